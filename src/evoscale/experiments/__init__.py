"""Experiments: turn a chapter's parameters into runs, reuse cached results, return tidy records.

``run_cached(config, where)`` trains one ``RunConfig`` unless ``where/<name>-<hash>.csv`` exists;
``run_many`` does that for many configs, the missing ones in parallel processes (one core each).
The cache is honest: the file name carries the hash of every result-changing field (see
``RunConfig.key``), and ``FRESH=1`` in the environment (or ``fresh=True``) recomputes.
"""

from __future__ import annotations

import dataclasses
import os
import types
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path

import pandas as pd

from ..config import RESULT_FORMAT_VERSION, RunConfig, content_key
from ..store import load_run, save_run
from ..train import train

IPYTHON_NAMES = frozenset({"In", "Out", "exit", "quit", "get_ipython", "open"})


def results_root() -> Path:
    """``$EVOSCALE_RESULTS``, else ``results/`` of the enclosing checkout (found from the cwd)."""
    if os.environ.get("EVOSCALE_RESULTS"):
        return Path(os.environ["EVOSCALE_RESULTS"])
    here = Path.cwd().resolve()
    for d in (here, *here.parents):
        if (d / "_config.yml").exists() and (d / "book").is_dir():
            return d / "results"
    return here / "results"


def fresh_requested() -> bool:
    return os.environ.get("FRESH", "0") not in ("", "0", "false", "False")


def table_path(stem: Path, what: dict) -> Path:
    """``<stem>-<content_key(what)>.csv``; ``what`` holds every input that changes the table."""
    return Path(f"{stem}-{content_key(what)}.csv")


def cached_table(stem: Path, what: dict, make, log=print, meta: dict | None = None) -> pd.DataFrame:
    """``make()`` (a DataFrame) cached in ``table_path(stem, what)``; ``FRESH=1`` recomputes. The JSON
    beside it records ``meta`` (default: ``what`` and the result-format version)."""
    path = table_path(stem, what)
    if not fresh_requested() and (df := load_run(path)) is not None:
        log(f"cached: {path}")
        return df
    df = make()
    save_run(path, df, {"v": RESULT_FORMAT_VERSION, **what} if meta is None else meta)
    return df


def run_path(config: RunConfig, where: Path) -> Path:
    env = config.env.replace("/", "_")
    return Path(where) / f"{config.method}-{env}-s{config.seed}-{config.key()}.csv"


def run_cached(config: RunConfig, where: Path, fresh: bool | None = None) -> pd.DataFrame:
    """Records of ``config``: from the cache when present (unless fresh), else trained and saved."""
    path = run_path(config, where)
    fresh = fresh_requested() if fresh is None else fresh
    if not fresh and (df := load_run(path)) is not None:
        return df
    from threadpoolctl import threadpool_limits

    with threadpool_limits(1):  # one core per run: same numbers however many runs share the machine
        df = pd.DataFrame(train(config))
    save_run(path, df, {"key": config.key(), **config.hashed_fields()})
    return df


def run_many(configs: list[RunConfig], where: Path, processes: int | None = None,
             fresh: bool | None = None, log=print, progress: bool = True, path=run_path,
             run=run_cached) -> pd.DataFrame:
    """All configs' records in one frame; missing runs computed ``processes`` at a time.

    ``path(config, where)`` names a run's cache file and ``run(config, where, fresh)`` returns its
    records (training and saving them unless cached); other kinds of runs (e.g. the island model)
    pass their own pair (picklable: module-level functions or ``functools.partial`` of them)."""
    fresh = fresh_requested() if fresh is None else fresh
    todo = [c for c in configs if fresh or not path(c, where).exists()]
    log(f"{len(configs) - len(todo)} of {len(configs)} runs cached in {where}; computing {len(todo)}.")
    processes = max(1, min(processes or os.cpu_count() or 1, len(todo)))
    if todo:
        from tqdm import tqdm

        with tqdm(total=len(todo), desc="runs", unit="run", disable=not progress) as bar:
            if processes > 1:
                with ProcessPoolExecutor(processes, mp_context=get_context("spawn")) as pool:
                    for _ in pool.map(run, todo, [where] * len(todo), [True] * len(todo)):
                        bar.update(1)
            else:
                for c in todo:
                    run(c, where, True)
                    bar.update(1)
    return pd.concat([run(c, where, False) for c in configs], ignore_index=True)


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
