"""Experiments: one module per chapter. Each turns the chapter's parameters into runs (through the
results store, ``evoscale.runs``), summarises them and states its verdicts.

The store's functions are re-exported here for the chapters' convenience.
"""

from __future__ import annotations

import dataclasses
import types

from ..runs import (available, cached_table, fresh_requested, load_cached, results_root,  # noqa: F401
                    run_cached, run_many, run_path, table_path)

IPYTHON_NAMES = frozenset({"In", "Out", "exit", "quit", "get_ipython", "open"})


def seed_list(seeds) -> list[int]:
    """A chapter's ``seeds`` parameter: a count n (seeds 0..n-1) or an explicit list of seeds."""
    if isinstance(seeds, int) and not isinstance(seeds, bool):
        if seeds <= 0:
            raise ValueError(f"seeds must be a positive count or a list of seeds, got {seeds}")
        return list(range(seeds))
    return [int(s) for s in seeds]


def check_parameters(params_cls, namespace: dict, profiles: dict):
    """Build a chapter's parameter dataclass from its notebook namespace, strictly.

    A name injected by ``papermill -p`` that the parameters cell does not declare is an error
    (papermill itself only warns); ``None`` values take the profile's default.
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
    return params_cls(**values)
