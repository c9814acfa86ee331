"""The results store: one CSV of records per run, keyed by the hash of its configuration.

``run_cached(config, where)`` trains one ``RunConfig`` unless its records are stored; ``run_many``
does that for many configs, the missing ones in parallel processes (one core each);
``available`` returns only what is stored (the book profile renders from it at any state of the
campaign). A run is a ``RunConfig`` or another kind of run with the same shape -- ``path(where)``,
``load(where)``, ``train()``, ``save(where, records)``: the island model's ``island.IslandSpec`` --
and every function here takes either. The cache is honest: the file name carries the hash of every result-changing field (see
``RunConfig.key``), a stored run counts only if its sidecar's checksum, row count, format version
and key match and its records reach the budget (``incomplete``; else it is recomputed, see
``store.load_run``), and ``FRESH=1`` in the environment (or ``fresh=True``) recomputes.

**A longer run serves a shorter one.** No trainer sees the total budget, and episode seeds depend
only on (seed, generation, individual), so the first G generations of a run with a larger
``budget_evals`` are the records of the G-generation run -- provided the longer run also held a
solved test after generation G - 1, which the shorter run always holds (its last generation). This
holds when G * popsize crosses a multiple of ``test_every`` ("aligned" budgets: the book uses
``test_every`` = 40 generations and budgets that are multiples of it). ``served_by`` finds such a
run; ``tests/test_runs.py`` checks the equality for every registered method. PPO (the zoo's
linear schedules depend on the total budget) and runs that stop early (``target_return``,
``budget_steps``) are never served this way.
"""

from __future__ import annotations

import dataclasses
import json
import os
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path

import numpy as np
import pandas as pd

from .config import RESULT_FORMAT_VERSION, RunConfig, content_key
from .compact import load_pickle
from .store import check_writable, fresh_requested, load_run, rescue, save_run
from .train import FinishedRunError, resolve, train
from .trainers import GRADIENT_METHODS


@dataclasses.dataclass(frozen=True)
class Need:
    """One run a chapter's study reads (``evoscale.experiments.STUDIES``), with what the campaign
    needs to schedule and price it."""

    priority: int
    """Lower runs first: headline comparisons before the rest."""
    chapter: str
    cell: str
    """What the run is a seed of, e.g. "torch_cmaes 64,32 x 102,400"."""
    config: RunConfig
    store: str = "runs"
    """Folder under ``results/<profile>/``."""
    islands: object = None
    """For an island-model run (chapter 4) its ``island.IslandSpec``, bound to ``config``; else None."""
    waits: str | None = None
    """What the run waits for before it may train (e.g. a tuning pass that sets its learning rate):
    the campaign's ``plan`` prices it, its ``run`` leaves it; None: ready."""

    def __post_init__(self):
        resolve(self.config)  # a study's run the registries do not know is an error when it is planned

    @property
    def run(self):
        """What trains and stores it: ``config``, or the island run."""
        return self.config if self.islands is None else self.islands


def cell_name(c: RunConfig) -> str:
    """A run's cell in words: method, env, hidden sizes and budget (episodes, or env steps for the
    gradient baselines), e.g. "torch_cmaes LunarLander-v3 64,32 x 102,400 episodes". A gradient
    baseline trains its own network: its ``net_arch``, else "zoo net" (the zoo's for the task)."""
    size = ",".join(map(str, c.hidden))
    budget = f"{c.budget_steps:,} steps" if c.method in GRADIENT_METHODS else f"{c.budget_evals:,} episodes"
    if c.method in GRADIENT_METHODS:
        size = ",".join(map(str, dict(c.hyper or ()).get("net_arch") or ())) or "zoo net"
    return f"{c.method} {c.env} {size} x {budget}"


def results_root() -> Path:
    """``$EVOSCALE_RESULTS``, else ``results/`` of the enclosing checkout (found from the cwd)."""
    if os.environ.get("EVOSCALE_RESULTS"):
        return Path(os.environ["EVOSCALE_RESULTS"])
    here = Path.cwd().resolve()
    for d in (here, *here.parents):
        if (d / "_config.yml").exists() and (d / "book").is_dir():
            return d / "results"
    return here / "results"


def table_path(stem: Path, what: dict) -> Path:
    """``<stem>-<content_key(what)>.csv``; ``what`` holds every input that changes the table."""
    return Path(f"{stem}-{content_key(what)}.csv")


def cached_table(stem: Path, what: dict, make, log=print, meta: dict | None = None) -> pd.DataFrame:
    """``make()`` (a DataFrame) cached in ``table_path(stem, what)``; ``FRESH=1`` recomputes. The JSON
    beside it records ``meta`` (default: ``what`` and the result-format version)."""
    path = table_path(stem, what)
    if not fresh_requested() and (df := load_run(path, expect=what)) is not None:
        log(f"cached: {path}")
        return df
    check_writable(path.parent, "results folder (EVOSCALE_RESULTS)", folder=True)
    df = make()
    save_run(path, df, {"v": RESULT_FORMAT_VERSION, **what} if meta is None else meta)
    return df


def run_path(config: RunConfig, where: Path) -> Path:
    if not isinstance(config, RunConfig):  # another kind of run (module docstring)
        return config.path(where)
    env = config.env.replace("/", "_")
    return Path(where) / f"{config.method}-{env}-s{config.seed}-{config.key()}.csv"


def generations(config: RunConfig) -> int:
    """Generations the loop runs for ``config``'s episode budget (ES methods)."""
    return config.budget_evals // (config.popsize * config.episodes_per_fitness)


def servable(config) -> bool:
    """Whether a longer run may serve ``config`` (see the module docstring): a ``RunConfig`` of a
    population method with no target and no step budget; another run kind (an island run), never."""
    return (isinstance(config, RunConfig) and config.method not in GRADIENT_METHODS and config.target_return is None
            and config.budget_steps is None)


def incomplete(config: RunConfig, df: pd.DataFrame, islands: int = 1) -> str | None:
    """None if ``df`` holds every generation of ``config`` (``islands`` islands of ``popsize``: the
    island model's runs) -- ``budget_evals // (popsize * episodes_per_fitness)`` of them, fewer only if
    the records show an early stop (``target_return`` reached, ``budget_steps`` spent; PPO: its step
    budget) -- with a solved test after the last; else what is wrong."""
    if df.empty or "generation" not in df or not np.array_equal(df["generation"], np.arange(len(df))):
        return "its generations are not 0, 1, ..., n-1"
    last = df.iloc[-1]
    steps_spent = config.budget_steps is not None and last["env_steps"] >= config.budget_steps
    want = config.budget_evals // (islands * config.popsize * config.episodes_per_fitness)
    solved = config.target_return is not None and last["test_return"] >= config.target_return
    gradient = config.method in GRADIENT_METHODS
    if gradient and not steps_spent:
        return f"it holds {last['env_steps']} of {config.budget_steps} env steps"
    if not gradient and not (len(df) == want or (len(df) < want and (solved or steps_spent))):
        return f"it holds {len(df)} of the budget's {want} generations"
    if not np.isfinite(last["test_return"]):
        return "its last generation has no solved test"
    return None


NUMERIC_COLUMNS = ("n_params", "popsize", "seed", "generation", "evals", "env_steps", "wall_s", "opt_s",
                   "pop_eval_s", "best_return", "mean_return", "median_return", "test_return", "test_std",
                   "test_wall_s", "cpu_s", "peak_mem_gib")
"""The record columns that hold numbers (``train.generation_record``); the others are text."""


def not_numeric(df: pd.DataFrame) -> str | None:
    """None if every column of ``NUMERIC_COLUMNS`` that ``df`` has holds numbers, else which does not
    (e.g. "3072O" where a count belongs)."""
    for col in NUMERIC_COLUMNS:
        if col in df and not pd.api.types.is_numeric_dtype(df[col]):
            bad = df[col][pd.to_numeric(df[col], errors="coerce").isna() & df[col].notna()]
            value, row = (bad.iloc[0], bad.index[0]) if len(bad) else (df[col].iloc[0], 0)
            return f"its column {col} holds a non-number ({value!r} in record {row})"
    return None


def load_stored(path: Path, expect: dict | None = None, check=None) -> pd.DataFrame | None:
    """The one verified loader of a stored run's CSV: ``store.load_run`` (sidecar, checksum, rows)
    plus numbers where numbers belong (``not_numeric``) and ``check(df)``; a file that fails is
    named in one warning and read as missing (None)."""
    return load_run(path, expect=expect, check=lambda df: not_numeric(df) or (check(df) if check else None))


def load_records(config: RunConfig, path: Path, islands: int = 1) -> pd.DataFrame | None:
    """The records stored at ``path`` for ``config``, if they verify (``load_stored``) and are
    complete (``incomplete``); else None."""
    return load_stored(path, expect={"key": config.key()}, check=lambda df: incomplete(config, df, islands))


def sidecar_problem(meta: dict, csv_path: Path, df: pd.DataFrame) -> str | None:
    """For ``migrate``: why an older sidecar's run must not count (None: it may). A sidecar
    with a ``key`` is a run's: its configuration must still have that key and its records reach the
    budget; other sidecars (tables) need nothing more than a CSV that parses."""
    if "key" not in meta or "method" not in meta:
        return None
    try:
        config = resolve(RunConfig.from_stored(meta)).config
    except (TypeError, ValueError) as err:
        return f"its configuration is no longer valid ({err})"
    if config.key() != meta["key"] or not csv_path.stem.endswith(meta["key"]):
        return f"its key {meta['key']} is not its configuration's ({config.key()}) or its file name's"
    return incomplete(config, df, meta.get("islands", 1))


def served_by(config: RunConfig, where: Path) -> tuple[Path, pd.DataFrame] | None:
    """A stored longer run of ``config`` (every hashed field equal but ``budget_evals``), verified like
    any stored run, and its records cut to ``config``'s generations; None if none serves it exactly."""
    if not servable(config):
        return None
    g = generations(config)
    stem = run_path(config, where).name.rsplit("-", 1)[0]
    for side in sorted(Path(where).glob(f"{stem}-*.json")):
        try:
            budget = json.loads(side.read_text()).get("budget_evals", 0)
        except (OSError, ValueError, AttributeError):
            continue
        if not isinstance(budget, int) or budget <= config.budget_evals:
            continue
        longer = config.replace(budget_evals=budget)
        path = run_path(longer, where)
        if path.with_suffix(".json") != side or (df := load_records(longer, path)) is None:
            continue
        cut = df[df["generation"] < g]
        if len(cut) == g and pd.notna(cut["test_return"].iloc[-1]):
            return path, cut.reset_index(drop=True)
    return None


def load_cached(config: RunConfig, where: Path) -> pd.DataFrame | None:
    """``config``'s stored records (its own file, or a longer run cut to its budget), else None."""
    if not isinstance(config, RunConfig):
        return config.load(where)
    if (df := load_records(config, run_path(config, where))) is not None:
        return df
    served = served_by(config, where)
    return None if served is None else served[1]


def timing_column(name: str) -> bool:
    """Whether a record column measures time or memory or names the machine (``wall_s``, ``cpu_s``,
    ``peak_mem_gib``, ``machine``, ...): it differs between two runs of the same configuration."""
    return name.endswith("_s") or "time" in name or name in ("machine", "peak_mem_gib")


def records_difference(a: pd.DataFrame, b: pd.DataFrame) -> str | None:
    """None if two runs' records agree in every result column (timing columns aside, NaN equal to
    NaN), else the first difference in one line."""
    ca, cb = ([c for c in df.columns if not timing_column(c)] for df in (a, b))
    if set(ca) != set(cb):
        only = sorted(set(ca) ^ set(cb))
        return f"result columns differ: {', '.join(only)} in only one of them"
    if len(a) != len(b):
        return f"{len(a)} records against {len(b)}"
    for col in ca:
        x, y = a[col].reset_index(drop=True), b[col].reset_index(drop=True)
        differ = ~((x == y) | (x.isna() & y.isna()))
        if differ.any():
            i = int(np.argmax(differ.to_numpy()))
            return f"column {col} differs first in record {i}: {x[i]!r} against {y[i]!r}"
    return None


def run_cpu_seconds(last: pd.Series) -> float:
    """A stored run's cost from its last record: the process's CPU seconds (``cpu_s``, recorded since
    it was added), else its wall-clock with the solved tests (an over-estimate on a shared machine)."""
    cpu = last.get("cpu_s", np.nan)
    return float(cpu) if np.isfinite(cpu) else float(last["wall_s"] + last["test_wall_s"])


def is_cached(config: RunConfig, where: Path) -> bool:
    return load_cached(config, where) is not None


def train_records(config: RunConfig, checkpoint: Path | None = None, checkpoint_every: int = 10,
                  checkpoint_seconds: float | None = None) -> pd.DataFrame:
    """Train ``config`` on one core (same numbers however many runs share the machine); resume
    from ``checkpoint`` if one exists there (saved as ``train`` says)."""
    if checkpoint is not None and not config.can_checkpoint:
        raise ValueError(f"{run_path(config, '.').name}: this kind of run cannot checkpoint")
    if not isinstance(config, RunConfig):
        return config.train()
    from threadpoolctl import threadpool_limits

    with threadpool_limits(1):
        try:
            records = train(config, checkpoint=checkpoint, checkpoint_every=checkpoint_every,
                            checkpoint_seconds=checkpoint_seconds)
        except FinishedRunError:  # killed after the last checkpoint, before the CSV was written
            records = load_pickle(checkpoint)["progress"].records
    return pd.DataFrame(records)


def save_records(config: RunConfig, where: Path, df: pd.DataFrame, rescue_to=()) -> Path:
    """Store ``df`` as ``config``'s run in ``where`` (atomically). If that fails (a full disk), the
    trained records are kept under a rescue name in the first folder of ``rescue_to`` (e.g. the
    checkpoint folder), the results root or the temporary folder that takes them, and the ValueError
    names it in one line."""
    path = run_path(config, where)
    try:
        if not isinstance(config, RunConfig):
            return config.save(where, df)
        save_run(path, df, {"key": config.key(), **config.hashed_fields()})
    except OSError as err:
        import tempfile

        kept = rescue(df.to_csv(index=False).encode(), path.name, [*rescue_to, results_root(), tempfile.gettempdir()])
        raise ValueError(f"{path} could not be written ({err.strerror or err}); its records are "
                         + (f"kept in {kept}" if kept else "lost: no folder could take them")) from None
    return path


def run_cached(config: RunConfig, where: Path, fresh: bool | None = None) -> pd.DataFrame:
    """Records of ``config``: from the store when present (unless fresh), else trained and saved."""
    fresh = fresh_requested() if fresh is None else fresh
    if not fresh and (df := load_cached(config, where)) is not None:
        return df
    check_writable(where, "results folder (EVOSCALE_RESULTS)", folder=True)
    df = train_records(config)
    save_records(config, where, df)
    return df


def available(configs: list[RunConfig], where: Path) -> tuple[pd.DataFrame | None, list[RunConfig]]:
    """What the store holds of ``configs``, without training: (records of the stored ones, or None
    if there are none; the configs still missing)."""
    frames, missing = [], []
    for c in configs:
        if isinstance(c, RunConfig):  # a run the registries do not know is an error, not "not stored yet"
            resolve(c)
        df = load_cached(c, where)
        (missing.append(c) if df is None else frames.append(df))
    return (pd.concat(frames, ignore_index=True) if frames else None), missing


def exit_with_parent(parent: int) -> None:
    """Pool initializer: the worker gets SIGTERM when its parent dies (Linux ``PR_SET_PDEATHSIG``),
    so a killed chapter or campaign leaves no orphan training on; exits at once if the parent
    ``parent`` is already gone."""
    try:
        import ctypes
        import signal

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        return
    if os.getppid() != parent:
        os._exit(1)


def dies_with_me():
    """``preexec_fn`` for a subprocess the package starts: it gets SIGTERM when this process dies
    (``exit_with_parent``), like the pools' workers."""
    import functools

    return functools.partial(exit_with_parent, os.getpid())


def run_many(configs: list[RunConfig], where: Path, processes: int | None = None,
             fresh: bool | None = None, log=print, progress: bool = True) -> pd.DataFrame:
    """All runs' records in one frame (``configs``: ``RunConfig``s or other runs of the same shape,
    e.g. ``island.IslandSpec``); missing runs computed ``processes`` at a time."""
    fresh = fresh_requested() if fresh is None else fresh
    for c in configs:
        if isinstance(c, RunConfig):  # before any worker starts (an island run's are checked when it builds)
            resolve(c)
    todo = [c for c in configs if fresh or not is_cached(c, where)]
    log(f"{len(configs) - len(todo)} of {len(configs)} runs cached in {where}; computing {len(todo)}.")
    processes = max(1, min(processes or os.cpu_count() or 1, len(todo)))
    if todo:
        from tqdm import tqdm

        check_writable(where, "results folder (EVOSCALE_RESULTS)", folder=True)
        quiet = not progress or os.environ.get("TQDM_DISABLE") == "1"  # bookbuild: no bars in the book
        with tqdm(total=len(todo), desc="runs", unit="run", disable=quiet) as bar:
            if processes > 1:
                with ProcessPoolExecutor(processes, mp_context=get_context("spawn"), initializer=exit_with_parent,
                                         initargs=(os.getpid(),)) as pool:
                    for _ in pool.map(run_cached, todo, [where] * len(todo), [True] * len(todo)):
                        bar.update(1)
            else:
                for c in todo:
                    run_cached(c, where, True)
                    bar.update(1)
    return pd.concat([run_cached(c, where, False) for c in configs], ignore_index=True)


def migrate(root, log=print) -> tuple[int, int, list[str]]:
    """``store.migrate`` with the run checks (key and budget) of ``sidecar_problem``."""
    from .store import migrate as migrate_store

    return migrate_store(root, sidecar_problem, log)


def main(argv=None) -> int:
    import argparse
    import sys

    p = argparse.ArgumentParser(prog="python -m evoscale.runs", description="results store maintenance")
    sub = p.add_subparsers(dest="command", required=True)
    m = sub.add_parser("migrate", help="add format version, rows and checksum to older sidecars")
    m.add_argument("root", type=Path, help="a results folder, e.g. results/")
    args = p.parse_args(argv)
    if not args.root.is_dir():
        print(f"evoscale.runs: error: {args.root} is not a folder", file=sys.stderr)
        return 2
    _, _, left = migrate(args.root)
    return 1 if left else 0


if __name__ == "__main__":
    raise SystemExit(main())
