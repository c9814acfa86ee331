"""A one-line description of the machine a result came from (stored in every record)."""

from __future__ import annotations

import functools
import os
import platform


@functools.lru_cache(maxsize=None)
def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def usable_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


@functools.lru_cache(maxsize=None)
def machine_label(device: str = "cpu") -> str:
    """E.g. ``"AMD EPYC 7B13, 2 cores, Linux x86_64"`` (plus the GPU's name when ``device`` is one)."""
    label = f"{cpu_model()}, {usable_cores()} cores, {platform.system()} {platform.machine()}"
    if device.startswith("cuda"):
        import torch

        label += f", GPU {torch.cuda.get_device_name(torch.device(device))}"
    return label
