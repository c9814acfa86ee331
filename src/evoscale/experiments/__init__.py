"""Experiments: one module per chapter. Each turns the chapter's parameters into runs (through the
results store, ``evoscale.runs``), summarises them and states its verdicts.

The store's functions are re-exported here for the chapters' convenience. ``STUDIES`` (chapter id ->
study, ``experiments.studies``) is the registry the campaign iterates; it is imported on first use,
since the studies import this package.
"""

from __future__ import annotations

import dataclasses
import math
import types
import typing
from pathlib import Path

from ..config import check_type
from ..runs import (available, cached_table, fresh_requested, load_cached, results_root,  # noqa: F401
                    run_cached, run_many, run_path, table_path)

CHECKOUT_RESULTS = Path(__file__).resolve().parents[3] / "results"
"""The committed results of this checkout (``make bench``'s JSON), whatever ``EVOSCALE_RESULTS`` says."""
IPYTHON_NAMES = frozenset({"In", "Out", "exit", "quit", "get_ipython", "open"})
ZERO_ALLOWED = frozenset({"seed", "test_every", "check_test_every", "ppo_test_every", "migrants", "ga_elites",
                          "warmup_generations", "warmup_evals", "sim_speed_cv", "sim_latency_ms"})
"""Numeric chapter parameters that may be 0; every other number (and list entry) must be positive."""


def seed_list(seeds, name: str = "seeds") -> list[int]:
    """A chapter's ``seeds`` parameter: a count n (seeds 0..n-1) or an explicit list of seeds."""
    if isinstance(seeds, int) and not isinstance(seeds, bool) and seeds > 0:
        return list(range(seeds))
    ok = isinstance(seeds, (list, tuple)) and len(seeds) == len(set(seeds)) > 0 and all(
        isinstance(s, int) and not isinstance(s, bool) and s >= 0 for s in seeds)
    if not ok:
        raise ValueError(f"{name} must be a positive count or a list of distinct non-negative integer seeds, "
                         f"got {seeds!r}")
    return list(seeds)


def check_value(name: str, value, hint) -> None:
    """One chapter parameter against its annotation (``config.check_type``) and the ranges every
    chapter shares: seeds via ``seed_list``; numbers, and the numbers in a list, finite and positive
    (or zero, for ``ZERO_ALLOWED``). ValueError naming the parameter."""
    check_type(name, value, hint)
    if "seeds" in name and value is not None:
        seed_list(value, name)
        return
    for v in value if isinstance(value, (list, tuple)) else [value]:
        if isinstance(v, (int, float)) and not isinstance(v, bool):
            zero_ok = name in ZERO_ALLOWED
            if not (math.isfinite(v) and (v >= 0 if zero_ok else v > 0)):
                raise ValueError(f"{name} must be {'non-negative' if zero_ok else 'positive'} (and finite), "
                                 f"got {value!r}")


def check_parameters(params_cls, namespace: dict, profiles: dict):
    """Build a chapter's parameter dataclass from its notebook namespace, strictly.

    A name injected by ``papermill -p`` that the parameters cell does not declare is an error
    (papermill itself only warns); ``None`` values take the profile's default; every value is then
    checked against its field's annotation and the shared ranges (``check_value``).
    """
    declared = {f.name for f in dataclasses.fields(params_cls)}
    unknown = sorted(
        k for k, v in namespace.items()
        if not k.startswith("_") and k not in declared and k not in IPYTHON_NAMES
        and not isinstance(v, (types.ModuleType, types.FunctionType, type)) and not callable(v)
    )
    if unknown:
        raise TypeError(
            f"unknown parameter(s) {', '.join(map(repr, unknown))}; this chapter's parameters are: "
            f"{', '.join(sorted(declared))}"
        )
    values = {k: namespace[k] for k in declared if k in namespace}
    profile = values.get("profile", "book")
    if profile not in profiles:
        raise ValueError(f"unknown profile {profile!r}; valid profiles: {', '.join(profiles)}")
    for k, default in profiles[profile].items():
        if values.get(k) is None:
            values[k] = default
    hints = typing.get_type_hints(params_cls)
    for k, v in values.items():
        check_value(k, v, hints[k])
    return params_cls(**values)


def __getattr__(name: str):
    """``STUDIES``: the registry of ``experiments.studies``, imported on first use (it imports the
    chapters' modules, which import this package)."""
    if name == "STUDIES":
        from .studies import STUDIES

        return STUDIES
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
