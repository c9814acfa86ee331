"""The campaign: every run the chapters of a profile read, what the results store already holds, and
a runner that trains the rest by priority within an hours limit.

    python -m evoscale campaign plan [--profile book] [--chapters 03 01]
    python -m evoscale campaign run --hours 2 [--processes 2] [--ray-address ADDR] [--envs CartPole-v1]

``needs(profile)`` asks every study of the registry (``evoscale.experiments.STUDIES``: chapter id ->
study, each with its runs' priorities and cost priors) for its runs. Runs that differ only in
``budget_evals`` form a *group*: only the longest is trained, and its records, cut, serve the shorter
budgets (``runs.served_by``). ``plan`` shows per cell the seeds done / planned and the CPU-minutes
still missing, estimated from the stored runs (``CostModel``); it, ``needs`` and ``still_to_run``
live in ``experiments.progress``, below the campaign, so the chapters read them without it. ``run`` trains the missing groups
one per core (or as Ray tasks of one CPU on a cluster), saves each run atomically as it finishes,
and starts no new run once the hours are spent. Where some runs wait for others (``Need.waits``: a
band's evaluation runs for its tuning runs), it plans again after each finished run, so a band's
re-runs start in the same campaign as its last tuning run, ahead of later bands by priority. With
``end_hours`` (the machine's hard stop, e.g. the end of a session that kills its processes) a run
starts only if its estimate ends before then; a longer one waits for the next campaign while
shorter ones further down the queue use the time.
Runs predicted longer than ``checkpoint_minutes`` (2.5:
the estimate can be several times too low, e.g. for a budget 10x the stored runs')
checkpoint under ``$EVOSCALE_CHECKPOINTS`` (default ``~/.cache/evoscale/checkpoints``), so an
interrupted one resumes where it stopped; a run with a checkpoint there always resumes it, whatever its
estimate. ``plan`` lists the orphaned checkpoints (their runs are stored) and ``clean-checkpoints``
removes them. A run killed mid-way leaves no file that counts; SIGINT (Ctrl-C, ``kill -INT``) stops the
workers at once, as SIGTERM does, keeping their checkpoints.

Two campaigns on one results folder do not train the same run: each claims a run before training it
(``store.claim``: a lock file beside its result, with pid and host) and skips the runs another live
campaign has claimed; a claim whose process is gone is taken over.
"""

from __future__ import annotations

import math
import os
import time
from pathlib import Path

import pandas as pd

from .config import RunConfig
# the planning half lives below the campaign, where the chapters read it (``experiments.progress``)
from .experiments.progress import (RUN_COST_COLUMNS, CostModel, contingent, cost_model, forget_stored, needs,  # noqa: F401
                                   only_envs, plan, still_to_run, units)
from .experiments.progress import n_params as _n_params
from .experiments.progress import need_path as _path
from .experiments.progress import need_stored as _stored
from .ray_connect import init_ray
from .runs import (Need, cell_name, exit_with_parent, generations, is_cached, results_root, run_path,  # noqa: F401
                   save_records, servable, train_records)
from .store import check_writable, claim, release

def orphan_checkpoints(profile: str = "book", chapters=None, envs=None) -> list[Path]:
    """Checkpoints of runs already stored (e.g. a run killed between its save and the checkpoint's
    removal): nothing resumes them; ``campaign clean-checkpoints`` removes them."""
    root = results_root() / profile
    found = []
    for u in units(only_envs(needs(profile, chapters), envs)):
        ckpt = checkpoint_dir() / f"{run_path(u.config, root).stem}.pkl"
        if u.run.can_checkpoint and ckpt.exists() and _stored(u, root):
            found.append(ckpt)
    return found


def format_plan(df: pd.DataFrame) -> str:
    w = max([len("chapter"), *map(len, df["chapter"])])  # the longest chapter id sets the first column
    lines = [f"{'chapter':<{w}}{'prio':>5}  {'cell':<55}{'n':>9}{'seeds':>9}{'CPU-min missing':>17}"]
    for r in df.itertuples():
        lines.append(f"{r.chapter:<{w}}{r.priority:>5}  {r.cell:<55}{r.n_params:>9,}{f'{r.done}/{r.planned}':>9}"
                     f"{r.cpu_min_missing:>17,.0f}")
    lines.append("")
    for ch, g in df.groupby("chapter"):
        lines.append(f"{ch:<{w}} {int(g['done'].sum()):>5,} of {int(g['planned'].sum()):>5,} runs stored; "
                     f"{g['cpu_min_missing'].sum() / 60:8,.1f} CPU-hours missing (estimate)")
    lines.append(f"{'total':<{w}} {int(df['done'].sum()):>5,} of {int(df['planned'].sum()):>5,} runs stored; "
                 f"{df['cpu_min_missing'].sum() / 60:8,.1f} CPU-hours missing (estimate)")
    return "\n".join(lines)


CHECKPOINT_SECONDS = 180.0
"""A campaign's run saves its checkpoint at most every 3 minutes of wall time, so an interruption costs
about that much, and spends at most 2 % of its time saving (``train.CheckpointClock``). The estimate
can be several times too low on a shared machine, so the clock, not a share of the generations, decides."""


def checkpoint_dir() -> Path:
    return Path(os.environ.get("EVOSCALE_CHECKPOINTS", Path.home() / ".cache" / "evoscale" / "checkpoints"))


def train_unit(config: RunConfig, where: Path, checkpoint: Path | None, checkpoint_seconds: float) -> float:
    """Train one run (``config``: a ``RunConfig`` or an island run, ``island.IslandSpec``; resuming its
    checkpoint, saved by the clock: ``train.CheckpointClock``), save it atomically, drop the
    checkpoint; wall seconds."""
    t = time.perf_counter()
    df = train_records(config, checkpoint=checkpoint, checkpoint_seconds=checkpoint_seconds)
    save_records(config, where, df, rescue_to=[checkpoint_dir()])  # a full disk: kept there, said in one line
    if checkpoint is not None:
        checkpoint.unlink(missing_ok=True)
    return time.perf_counter() - t


def harvest(profile: str = "book", chapters=None, log=print, envs=None) -> list[str]:
    """Shorter runs read out of the checkpoints of longer ones still in progress: a needed run whose
    generations a checkpoint of the same configuration (all but ``budget_evals``) already covers, with
    a solved test after its last generation, is written as a finished run -- the records are the
    ones it would have had (``runs.served_by``'s equality, tested for every method). Lets a session
    that stops in the middle of a long run commit what it has finished. A file there that is not a
    checkpoint of ``evoscale.train`` is a ValueError naming it."""
    from .train import read_checkpoint

    root = results_root() / profile
    ckpts = {p.stem: p for p in checkpoint_dir().glob("*.pkl")}
    written = []
    for need in only_envs(needs(profile, chapters), envs):
        c, where = need.config, root / need.store
        if not servable(need.run) or is_cached(c, where):
            continue
        g = generations(c)
        prefix = run_path(c, where).stem.rsplit("-", 1)[0] + "-"  # method, env and seed
        for stem, path in ckpts.items():
            if not stem.startswith(prefix):
                continue
            saved = read_checkpoint(path)  # a foreign or corrupt file: a ValueError naming it
            records = saved["progress"].records
            longer = _config_with_key(c, saved["key"])
            if longer is None or len(records) < g or not math.isfinite(records[g - 1]["test_return"]):
                continue
            save_records(c, where, pd.DataFrame(records[:g]))
            written.append(run_path(c, where).name)
            log(f"harvested {run_path(c, where).name} from {path.name} ({g} of its generations)")
            break
    return written


def _config_with_key(c: RunConfig, key: str) -> RunConfig | None:
    """The longer budget of ``c``'s configuration whose key is ``key`` (a checkpoint's), if any
    aligned budget up to 10x ``c``'s matches."""
    step = c.popsize * c.episodes_per_fitness
    for b in range(c.budget_evals, 10 * c.budget_evals + 1, step):
        other = c.replace(budget_evals=b)
        if other.key() == key:
            return other
    return None


def _train_remote(config) -> pd.DataFrame:
    return train_records(config)


def run(profile: str = "book", hours: float = 1.0, chapters=None, processes: int | None = None,
        ray_address: str | None = None, checkpoint_minutes: float = 2.5, log=print, max_runs: int | None = None,
        envs=None, end_hours: float | None = None) -> list[str]:
    """Train the missing runs by priority until ``hours`` have passed (no new run starts after that);
    with ``end_hours``, only runs whose estimate ends within that many hours start (``_next_fitting``).
    Returns the names of the files written."""
    if not hours > 0:
        raise ValueError(f"hours must be positive, got {hours!r}")
    if max_runs is not None and (not isinstance(max_runs, int) or max_runs < 1):
        raise ValueError(f"max_runs (--max-runs) must be a positive integer, got {max_runs!r}")
    if end_hours is not None and not end_hours > 0:
        raise ValueError(f"end_hours must be positive, got {end_hours!r}")
    root = results_root() / profile
    model = cost_model(profile)

    def ready(all_needs=None) -> list[Need]:
        """The missing runs that may train now, by priority."""
        all_needs = only_envs(needs(profile, chapters), envs) if all_needs is None else all_needs
        return [u for u in units([n for n in all_needs if n.waits is None]) if not _stored(u, root)]

    all_needs = only_envs(needs(profile, chapters), envs)
    todo = ready(all_needs)
    if max_runs is not None:
        todo = todo[:max_runs]
    est = {u: model.seconds(u.config, _n_params(u.config)) for u in todo}
    log(f"campaign ({profile}): {len(todo)} runs missing, about {sum(est.values()) / 3600:.1f} CPU-hours; "
        f"limit {hours:g} h")
    deadline = time.monotonic() + hours * 3600
    end = math.inf if end_hours is None else time.monotonic() + end_hours * 3600
    written: list[str] = []
    if not todo:
        return written
    check_writable(root, "results folder (EVOSCALE_RESULTS)", folder=True)
    if not ray_address:
        check_writable(checkpoint_dir(), "checkpoint folder (EVOSCALE_CHECKPOINTS)", folder=True)
    from tqdm import tqdm

    bar = tqdm(total=round(sum(est.values()) / 60), unit="CPU-min", desc="campaign", smoothing=0.1)

    def done(u: Need):
        written.append(_path(u, root).name)
        bar.update(round(est[u] / 60))
        bar.set_postfix(runs=f"{len(written)}/{len(todo)}")

    def replan(queue: list, busy: list) -> list:
        """The queue after a run finished: the plan again, since a finished tuning run can release the
        runs that waited for it and change the settings of others (``Need.waits``); not with
        ``max_runs``, nor when nothing waited at the start."""
        if max_runs is not None or not any(n.waits for n in all_needs) or time.monotonic() >= deadline:
            return queue
        training = {_path(u, root) for u in busy}
        forget_stored()  # the studies' once-per-process reads (a band's selection) see the new runs
        fresh = [u for u in ready() if _path(u, root) not in training]
        new, gone = [u for u in fresh if u not in est], set(queue) - set(fresh)
        for u in new:
            est[u] = model.seconds(u.config, _n_params(u.config))
        if new or gone:
            todo.extend(new)
            bar.total += round(sum(est[u] for u in new) / 60)
            log(f"campaign: the plan changed: {len(new)} runs ready now, {len(gone)} queued ones no longer "
                f"needed or stored elsewhere")
        return fresh

    try:
        if ray_address:
            _run_ray(todo, root, ray_address, deadline, end, est, done, log, replan)
        else:
            _run_local(todo, root, processes, deadline, end, est, checkpoint_minutes, done, log, replan)
    finally:
        bar.close()
    log(f"campaign: {len(written)} runs written, {len(todo) - len(written)} still missing")
    return written


def _next_fitting(queue: list, est: dict, deadline: float, end: float, told: set, log) -> Need | None:
    """Pop the first queued run whose estimate fits before ``end`` (the hard stop); a run kind that
    cannot checkpoint (``can_checkpoint``) must also end before ``deadline``. The others stay queued
    (said once each)."""
    now = time.monotonic()
    for i, u in enumerate(queue):
        left = end - now if u.run.can_checkpoint else min(end, deadline) - now
        if est[u] <= left:
            return queue.pop(i)
        if u not in told:
            told.add(u)
            why = "" if u.run.can_checkpoint else " (it cannot checkpoint)"
            log(f"campaign: {cell_name(u.config)} seed {u.config.seed} is estimated at {est[u] / 60:.0f} "
                f"CPU-min, more than the {max(left, 0) / 60:.0f} min left{why}; left for the next campaign")
    return None


def _checkpoint(u: Need, root: Path, seconds: float, checkpoint_minutes: float) -> Path | None:
    """Where ``u`` checkpoints (None: it does not): a run estimated at more than ``checkpoint_minutes``,
    and any run with a checkpoint already there (always resumed, whatever its estimate says now). A
    run kind that cannot checkpoint (``can_checkpoint``) never does."""
    if not u.run.can_checkpoint:
        return None
    ckpt = checkpoint_dir() / f"{run_path(u.config, root).stem}.pkl"
    if seconds <= checkpoint_minutes * 60 and not ckpt.exists():
        return None
    ckpt.parent.mkdir(parents=True, exist_ok=True)
    return ckpt


def _claim(u: Need, root: Path, log) -> Path | None:
    """Claim ``u``'s result for this campaign (``store.claim``); None, said in one line, if another
    live campaign trains it or it was stored since the plan."""
    lock = claim(_path(u, root))
    if lock is None:
        log(f"campaign: {cell_name(u.config)} seed {u.config.seed} is being trained by another campaign; skipped")
    elif _stored(u, root):
        release(lock)
        return None
    return lock


def _stop_workers(pool) -> None:
    """Terminate ``pool``'s workers now (what SIGTERM to the campaign does through
    ``exit_with_parent``): their checkpoints stay; nothing half-written counts."""
    for proc in list((getattr(pool, "_processes", None) or {}).values()):
        proc.terminate()
    pool.shutdown(wait=False, cancel_futures=True)


def _run_local(todo, root, processes, deadline, end, est, checkpoint_minutes, done, log, replan=None):
    from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
    from multiprocessing import get_context

    processes = max(1, min(processes or os.cpu_count() or 1, len(todo)))
    queue, told, running = list(todo), set(), {}
    pool = ProcessPoolExecutor(processes, mp_context=get_context("spawn"), initializer=exit_with_parent,
                               initargs=(os.getpid(),))
    try:
        while queue or running:
            while queue and len(running) < processes and time.monotonic() < deadline:
                u = _next_fitting(queue, est, deadline, end, told, log)
                if u is None:
                    break
                if (lock := _claim(u, root, log)) is None:
                    continue
                ckpt = _checkpoint(u, root, est[u], checkpoint_minutes)
                running[pool.submit(train_unit, u.run, root / u.store, ckpt, CHECKPOINT_SECONDS)] = (u, lock)
            if not running:
                break
            finished, _ = wait(running, return_when=FIRST_COMPLETED)
            for f in finished:
                u, lock = running.pop(f)
                release(lock)
                f.result()  # a failed run stops the campaign with its error
                done(u)
            queue = replan(queue, [u for u, _ in running.values()]) if replan else queue
        if queue:
            log(f"campaign: {len(queue)} runs not started (the hours are spent or none fits before the end)")
    except KeyboardInterrupt:  # SIGINT: as SIGTERM, the workers stop now
        _stop_workers(pool)
        raise
    finally:
        pool.shutdown(wait=True)
        for _, lock in running.values():
            release(lock)


def _run_ray(todo, root, address, deadline, end, est, done, log, replan=None):
    import ray

    if not ray.is_initialized():
        init_ray(address, include_dashboard=False, log_to_driver=False,
                 **({"num_cpus": 2} if address == "local" else {}))
    remote = ray.remote(num_cpus=1)(_train_remote)
    slots = max(1, int(ray.cluster_resources().get("CPU", 1)))
    queue, running, told = list(todo), {}, set()
    try:
        while queue or running:
            while queue and len(running) < slots and time.monotonic() < deadline:
                u = _next_fitting(queue, est, deadline, end, told, log)
                if u is None:
                    break
                if (lock := _claim(u, root, log)) is not None:
                    running[remote.remote(u.run)] = (u, lock)
            if not running:
                break
            ready, _ = ray.wait(list(running), num_returns=1)
            for ref in ready:
                u, lock = running.pop(ref)
                try:
                    # the driver writes the records (a full disk: kept in the checkpoint folder, one line)
                    save_records(u.run, root / u.store, ray.get(ref), rescue_to=[checkpoint_dir()])
                finally:
                    release(lock)
                done(u)
            queue = replan(queue, [u for u, _ in running.values()]) if replan else queue
    finally:
        for _, lock in running.values():
            release(lock)
    if queue:
        log(f"campaign: {len(queue)} runs not started (the hours are spent or none fits before the end)")


def command(args, log) -> dict:
    """``python -m evoscale campaign plan | run | harvest | clean-checkpoints`` on the parsed ``args``
    (``cli``), ``log`` for its progress lines; the summary the command prints as its last line."""
    if args.profile not in ("smoke", "quick", "book", "full"):
        raise ValueError(f"unknown profile {args.profile!r}; valid: smoke, quick, book, full")
    if args.what == "plan":
        df = plan(args.profile, args.chapters, args.envs)
        print(format_plan(df))
        orphans = orphan_checkpoints(args.profile, args.chapters, args.envs)
        for path in orphans:
            print(f"orphaned checkpoint (its run is stored): {path}")
        if orphans:
            print(f"remove them: python -m evoscale campaign clean-checkpoints --profile {args.profile}")
        runs, hours = contingent(args.profile, args.chapters, args.envs)
        if runs:
            print(f"contingent: {runs} stored runs of cells whose band is still being tuned; if every such band's "
                  f"selection changes their setting, re-running them costs about {hours:.1f} CPU-hours more")
        return {"profile": args.profile, "runs_planned": int(df["planned"].sum()), "runs_done": int(df["done"].sum()),
                "cpu_hours_missing": round(float(df["cpu_min_missing"].sum()) / 60, 2),
                "runs_contingent": runs, "cpu_hours_contingent": round(hours, 2)}
    if args.what == "clean-checkpoints":
        orphans = orphan_checkpoints(args.profile, args.chapters, args.envs)
        for path in orphans:
            path.unlink(missing_ok=True)
            log(f"removed {path} (its run is stored)")
        return {"profile": args.profile, "checkpoints_removed": len(orphans)}
    if args.what == "harvest":
        return {"profile": args.profile, "runs_written": len(harvest(args.profile, args.chapters, log=log, envs=args.envs))}
    if args.processes is not None and args.processes < 1:
        raise ValueError(f"--processes must be a positive integer, got {args.processes}")
    written = run(args.profile, args.hours, args.chapters, args.processes, args.ray_address,
                           log=log, max_runs=args.max_runs, envs=args.envs, end_hours=args.end_hours)
    return {"profile": args.profile, "runs_written": len(written)}
