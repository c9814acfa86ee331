"""The results store: one CSV of records per run, keyed by the hash of its configuration.

``run_cached(config, where)`` trains one ``RunConfig`` unless its records are stored; ``run_many``
does that for many configs, the missing ones in parallel processes (one core each);
``available`` returns only what is stored (the book profile renders from it at any state of the
campaign). The cache is honest: the file name carries the hash of every result-changing field (see
``RunConfig.key``), and ``FRESH=1`` in the environment (or ``fresh=True``) recomputes.

**A longer run serves a shorter one.** No trainer sees the total budget, and episode seeds depend
only on (seed, generation, individual), so the first G generations of a run with a larger
``budget_evals`` are the records of the G-generation run -- provided the longer run also held a
solved test after generation G - 1, which the shorter run always holds (its last generation). This
holds when G * popsize crosses a multiple of ``eval_every`` ("aligned" budgets: the book uses
``eval_every`` = 40 generations and budgets that are multiples of it). ``served_by`` finds such a
run; ``tests/test_runs.py`` checks the equality for every registered method. PPO (the zoo's
linear schedules depend on the total budget) and runs that stop early (``target_return``,
``budget_steps``) are never served this way.
"""

from __future__ import annotations

import json
import os
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path

import pandas as pd

from .config import RESULT_FORMAT_VERSION, RunConfig, content_key
from .store import load_run, save_run
from .train import FinishedRunError, train
from .trainers import GRADIENT_METHODS


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


def generations(config: RunConfig) -> int:
    """Generations the loop runs for ``config``'s episode budget (ES methods)."""
    return config.budget_evals // (config.popsize * config.episodes_per_eval)


def servable(config: RunConfig) -> bool:
    """Whether a longer run may serve ``config`` (see the module docstring)."""
    return config.method not in GRADIENT_METHODS and config.target_return is None and config.budget_steps is None


def _same_but_budget(config: RunConfig) -> dict:
    fields = dict(config.hashed_fields())
    fields.pop("budget_evals")
    return json.loads(json.dumps(fields))  # tuples -> lists, as in the sidecar


def served_by(config: RunConfig, where: Path) -> tuple[Path, pd.DataFrame] | None:
    """A stored longer run of ``config`` (every hashed field equal but ``budget_evals``) and its
    records cut to ``config``'s generations, or None if there is none that serves it exactly."""
    if not servable(config):
        return None
    want = _same_but_budget(config)
    g = generations(config)
    stem = run_path(config, where).name.rsplit("-", 1)[0]
    for side in sorted(Path(where).glob(f"{stem}-*.json")):
        try:
            meta = json.loads(side.read_text())
        except (OSError, ValueError):
            continue
        if meta.get("budget_evals", 0) <= config.budget_evals:
            continue
        if {k: v for k, v in meta.items() if k not in ("key", "budget_evals")} != want:
            continue
        df = load_run(side.with_suffix(".csv"))
        if df is None:
            continue
        cut = df[df["generation"] < g]
        if len(cut) == g and pd.notna(cut["eval_return"].iloc[-1]):
            return side.with_suffix(".csv"), cut.reset_index(drop=True)
    return None


def load_cached(config: RunConfig, where: Path) -> pd.DataFrame | None:
    """``config``'s stored records (its own file, or a longer run cut to its budget), else None."""
    if (df := load_run(run_path(config, where))) is not None:
        return df
    served = served_by(config, where)
    return None if served is None else served[1]


def is_cached(config: RunConfig, where: Path) -> bool:
    return run_path(config, where).exists() or served_by(config, where) is not None


def train_records(config: RunConfig, checkpoint: Path | None = None,
                  checkpoint_every: int = 10) -> pd.DataFrame:
    """Train ``config`` on one core (same numbers however many runs share the machine); resume
    from ``checkpoint`` if one exists there."""
    from threadpoolctl import threadpool_limits

    with threadpool_limits(1):
        try:
            records = train(config, checkpoint=checkpoint, checkpoint_every=checkpoint_every)
        except FinishedRunError:  # killed after the last checkpoint, before the CSV was written
            import pickle

            with open(checkpoint, "rb") as f:
                records = pickle.load(f)["progress"].records
    return pd.DataFrame(records)


def save_records(config: RunConfig, where: Path, df: pd.DataFrame) -> Path:
    path = run_path(config, where)
    save_run(path, df, {"key": config.key(), **config.hashed_fields()})
    return path


def run_cached(config: RunConfig, where: Path, fresh: bool | None = None) -> pd.DataFrame:
    """Records of ``config``: from the store when present (unless fresh), else trained and saved."""
    fresh = fresh_requested() if fresh is None else fresh
    if not fresh and (df := load_cached(config, where)) is not None:
        return df
    df = train_records(config)
    save_records(config, where, df)
    return df


def available(configs: list[RunConfig], where: Path) -> tuple[pd.DataFrame | None, list[RunConfig]]:
    """What the store holds of ``configs``, without training: (records of the stored ones, or None
    if there are none; the configs still missing)."""
    frames, missing = [], []
    for c in configs:
        df = load_cached(c, where)
        (missing.append(c) if df is None else frames.append(df))
    return (pd.concat(frames, ignore_index=True) if frames else None), missing


def run_many(configs: list[RunConfig], where: Path, processes: int | None = None,
             fresh: bool | None = None, log=print, progress: bool = True, path=run_path,
             run=run_cached) -> pd.DataFrame:
    """All configs' records in one frame; missing runs computed ``processes`` at a time.

    ``path(config, where)`` names a run's cache file and ``run(config, where, fresh)`` returns its
    records (training and saving them unless cached); other kinds of runs (e.g. the island model)
    pass their own pair (picklable: module-level functions or ``functools.partial`` of them)."""
    fresh = fresh_requested() if fresh is None else fresh
    cached = (lambda c: is_cached(c, where)) if path is run_path else (lambda c: path(c, where).exists())
    todo = [c for c in configs if fresh or not cached(c)]
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
