"""The machine: a one-line description of the one a result came from (stored in every record), and the
one vocabulary for the devices computation runs on."""

from __future__ import annotations

import functools
import os
import platform
import re


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


def ram_gib() -> float:
    """This machine's memory (RAM), GiB."""
    import psutil

    return psutil.virtual_memory().total / 2**30


def available_bytes() -> int:
    """Memory (RAM) a new allocation can take now without swapping: psutil's ``available``."""
    import psutil

    return int(psutil.virtual_memory().available)


def check_device(device, auto: bool = False) -> None:
    """The project's one device vocabulary, for the policy forward (``RunConfig.device``) and the torch
    optimisers (their ``device`` hyper-parameter) alike: ``"cpu"``, ``"cuda"`` or ``"cuda:N"``, and with
    ``auto`` also ``"auto"``. ValueError naming ``device`` otherwise."""
    valid = "'cpu', 'cuda[:N]' or 'auto'" if auto else "'cpu' or 'cuda[:N]'"
    if not (isinstance(device, str) and (device == "cpu" or re.fullmatch(r"cuda(:\d+)?", device)
                                         or (auto and device == "auto"))):
        raise ValueError(f"device must be {valid}, got {device!r}")


def resolve_device(device):
    """A ``torch.device`` for a name of the vocabulary (``check_device``, ``"auto"`` included):
    ``"auto"`` -> cuda if available else cpu; a ``"cuda[:N]"`` must exist. No silent fallback: asking
    for CUDA without one is a ValueError naming ``device``."""
    import torch

    check_device(device, auto=True)
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    dev = torch.device(device)
    if dev.type == "cuda":
        if not torch.cuda.is_available():
            raise ValueError(f"device={device!r} requested but CUDA is not available (device='auto' "
                             "falls back to the cpu)")
        if dev.index is not None and dev.index >= torch.cuda.device_count():
            raise ValueError(f"device={device!r}: only {torch.cuda.device_count()} CUDA device(s)")
    return dev


def reset_peak_memory() -> bool:
    """Start this process's peak resident memory afresh (Linux: ``5`` to ``/proc/self/clear_refs``
    resets ``VmHWM``), so that ``peak_memory_gib`` measures what comes after, not what an earlier run
    in the same process (a campaign worker's) held; False where the system does not allow it."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def peak_memory_gib() -> float:
    """This process's peak resident memory since it started or since ``reset_peak_memory``, GiB
    (Linux: ``VmHWM`` of ``/proc/self/status``); NaN where the system does not say."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024 / 2**30
    except OSError:
        pass
    return float("nan")
