"""The campaign: every run the chapters of a profile read, what the results store already holds, and
a runner that trains the rest by priority within an hours limit.

    python -m evoscale campaign plan [--profile book] [--chapters 03 01]
    python -m evoscale campaign run --hours 2 [--processes 2] [--ray-address ADDR] [--envs CartPole-v1]

``needs(profile)`` asks each chapter's experiment module for its runs. Runs that differ only in
``budget_evals`` form a *group*: only the longest is trained, and its records, cut, serve the shorter
budgets (``runs.served_by``). ``plan`` shows per cell the seeds done / planned and the CPU-minutes
still missing, estimated from the stored runs (``CostModel``). ``run`` trains the missing groups
one per core (or as Ray tasks of one CPU on a cluster), saves each run atomically as it finishes,
and starts no new run once the hours are spent. With ``end_hours`` (the machine's hard stop, e.g. the
end of a session that kills its processes) a run starts only if its estimate ends before then; a
longer one waits for the next campaign while shorter ones further down the queue use the time.
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

import json
import math
import os
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from .config import RunConfig
from .ray_connect import init_ray
from .runs import (exit_with_parent, generations, is_cached, load_stored, results_root, run_cpu_seconds, run_path, save_records,
                   servable, train_records)
from .store import check_writable, claim, release, rescue
from .trainers import GRADIENT_METHODS

CHAPTERS = ("tuning", "01_parameters", "03_compute", "04_workers", "05_methods", "06_backprop_vs_evolution",
            "07_plasticity", "frontier")
"""The studies the campaign trains for; "tuning" is the fair-rivals protocol of chapters 1 and 5,
"frontier" chapter 1's networks beyond 100K parameters (after every other run)."""


@dataclass(frozen=True)
class Need:
    """One run a chapter reads."""

    priority: int
    """Lower runs first: headline comparisons before the rest."""
    chapter: str
    cell: str
    """What the run is a seed of, e.g. "torch_cmaes 64,32 x 102,400"."""
    config: RunConfig
    store: str = "runs"
    """Folder under ``results/<profile>/``."""
    islands: object = None
    """``experiments.workers.IslandSpec`` for an island-model run (chapter 4), else None."""
    waits: str | None = None
    """What the run waits for before it may train (e.g. a tuning pass that sets its learning rate):
    ``plan`` prices it, ``run`` leaves it; None: ready."""


def needs(profile: str = "book", chapters=None) -> list[Need]:
    """Every run the chapters of ``profile`` read (duplicates across chapters included)."""
    from .experiments import backprop, compute, frontier, methods, parameters, plasticity, tuning, workers

    if chapters:
        unknown = [x for x in chapters if not any(c.startswith(str(x)) for c in CHAPTERS)]
        if unknown:
            raise ValueError(f"unknown chapter(s) {', '.join(map(str, unknown))}; valid: {', '.join(CHAPTERS)} "
                             "(or a prefix such as 03)")
    chapters = CHAPTERS if not chapters else [c for c in CHAPTERS if any(c.startswith(str(x)) for x in chapters)]
    out: list[Need] = []
    if "tuning" in chapters and profile in tuning.PROFILES:
        out += [Need(tuning.PRIORITY[band], "tuning", f"tuning {band}: " + _cell(c), c)
                for row, band, i, c in tuning.configs(profile)]
    if "03_compute" in chapters:
        P = compute.params({"profile": profile})
        for prio, p in ((1, P), (5, P.crosscheck())):
            out += [Need(prio, "03_compute", _cell(c), c) for c in p.configs()]
    grid_parts = [part for ch, part in (("01_parameters", "width"), ("05_methods", "grid")) if ch in chapters]
    if grid_parts:
        mp = methods.params({"profile": profile})
        try:
            cost = parameters.run(parameters.params({"profile": profile}), log=lambda *a: None) \
                if profile == "book" else None
        except Exception:  # no cost table for this profile: every cell counts as runnable
            cost = None
        for part in grid_parts:
            chapter = "01_parameters" if part == "width" else "05_methods"
            for cell, c in methods.configs(mp, methods.plan(mp, cost, part), ppo=part == "grid"):
                if cell is None:
                    prio = 6
                elif cell.row in ("cmaes", "openai_es") and cell.band != "large":
                    prio = 2
                elif cell.size.startswith("w") and cell.band != "large":
                    prio = 5  # chapter 1's extra small width for sep-CMA-ES and the GA: drawn, in no verdict
                else:
                    prio = 3 if cell.band != "large" else 4
                out.append(Need(prio, chapter, _cell(c), c))
    if "04_workers" in chapters:
        wp = workers.params({"profile": profile})
        out += [Need(5, "04_workers", f"{wp.islands} islands x " + _cell(c), c, "workers", wp.island_spec())
                for c in wp.island_configs()]
    if "06_backprop_vs_evolution" in chapters:
        bp = backprop.params({"profile": profile})
        for side, c in bp.configs():
            out.append(Need(backprop.PRIORITY.get((c.env, side), 5), "06_backprop_vs_evolution", _cell(c), c))
        out += [Need(4, "06_backprop_vs_evolution", _cell(c) + " (ES network)", c)  # after the tuning runs
                for c in backprop.es_network_ppo_configs(bp)]
    if "07_plasticity" in chapters:  # after the other chapters: the evolved networks, then PPO, then RecurrentPPO
        for c in plasticity.configs(profile):
            out.append(Need(plasticity.PRIORITY.get(c.method, plasticity.PRIORITY["es"]), "07_plasticity", _cell(c), c))
    if "frontier" in chapters and profile in frontier.PROFILES:  # its evaluation runs once their tuning is done
        out += [Need(prio, "frontier", f"{what}: " + _cell(c), c, waits=waits)
                for prio, what, c, waits in frontier.needs(frontier.params({"profile": profile}))]
    return out


def only_envs(all_needs: list[Need], envs=None) -> list[Need]:
    """The needs whose task is one of ``envs`` (None or empty: all of them), e.g. to finish one task's
    comparison before the next; an unknown env id is a ValueError naming the valid ones."""
    if not envs:
        return all_needs
    from .envs.registry import get_spec

    for e in envs:
        get_spec(e)
    return [n for n in all_needs if n.config.env in envs]


def _cell(c: RunConfig) -> str:
    size = ",".join(map(str, c.hidden))
    budget = f"{c.budget_steps:,} steps" if c.method in GRADIENT_METHODS else f"{c.budget_evals:,} episodes"
    return f"{c.method} {c.env} {size} x {budget}"


def _group_key(need: Need) -> str:
    c = need.config
    fields = c.hashed_fields()
    if servable(c) and need.islands is None:
        fields.pop("budget_evals")
    islands = None if need.islands is None else need.islands.tag()
    return json.dumps({"store": need.store, "islands": islands, **fields}, sort_keys=True)


def _path(need: Need, root: Path) -> Path:
    """Where ``need``'s run is stored (an island run: ``experiments.workers.island_path``)."""
    if need.islands is None:
        return run_path(need.config, root / need.store)
    from .experiments.workers import island_path

    return island_path(need.config, root / need.store, need.islands)


def _stored(need: Need, root: Path) -> bool:
    if need.islands is None:
        return is_cached(need.config, root / need.store)
    from .experiments.workers import island_cached

    return island_cached(need.config, root / need.store, need.islands) is not None


def units(all_needs: list[Need]) -> list[Need]:
    """The runs to train: per group (same run but for ``budget_evals``) the longest, with the group's
    best priority; sorted by priority, then seed."""
    groups: dict[str, list[Need]] = {}
    for n in all_needs:
        groups.setdefault(_group_key(n), []).append(n)
    out = []
    for members in groups.values():
        longest = max(members, key=lambda n: n.config.budget_evals)
        out.append(Need(min(n.priority for n in members), longest.chapter, longest.cell, longest.config,
                        longest.store, longest.islands))
    return sorted(out, key=lambda n: (n.priority, n.config.seed, n.chapter, n.cell))


RUN_COST_COLUMNS = ("method", "env", "n_params", "evals", "env_steps", "wall_s", "eval_wall_s", "cpu_s")


class CostModel:
    """CPU-seconds per training episode, fitted to the stored runs: per (method, env) a power law in
    the parameter count (log-log least squares; one size: its mean), else a chapter's measured prior
    (``priors``: (method, env) -> seconds per unit, or a function of n giving them, which also wins
    beyond twice the widest stored run), else the env's median over methods, else 10 ms.
    Includes the solved tests (``run_cpu_seconds``: CPU seconds where recorded). The gradient baselines: seconds per env step the same way (else 1 ms).
    Episodes lengthen as policies learn, so where a (method, env) has stored runs of at least half the
    target budget only those are used (a 10K-episode run underestimates a 100K one several times); where
    there are only shorter ones, a prior for the cell wins over them."""

    def __init__(self, *stores: Path, priors: dict | None = None):
        self.priors = dict(priors or {})
        rows = []
        for side in sorted({p for store in stores for p in Path(store).glob("*.json")}):
            csv = side.with_suffix(".csv")
            if not csv.exists() or (df := load_stored(csv)) is None or df.empty:
                continue  # a file that does not verify was named in a warning and counts as missing
            if not set(RUN_COST_COLUMNS[:-1]) <= set(df.columns):
                continue
            df = df.iloc[-1]
            unit = df["env_steps"] if df["method"] in GRADIENT_METHODS else df["evals"]
            rows.append(dict(method=df["method"], env=df["env"], n=df["n_params"], budget=unit,
                             s_per_unit=run_cpu_seconds(df) / max(unit, 1)))
        self.runs = pd.DataFrame(rows, columns=["method", "env", "n", "budget", "s_per_unit"])

    def seconds(self, config: RunConfig, n: int) -> float:
        r = self.runs
        units_ = config.budget_steps if config.method in GRADIENT_METHODS else config.budget_evals
        same = r[(r["method"] == config.method) & (r["env"] == config.env)]
        prior = self.priors.get((config.method, config.env))
        if callable(prior):  # a prior in the parameter count (a measured model); NaN: none yet
            prior = prior(n) if np.isfinite(prior(n)) else None
            if prior is not None and len(same) and n > 2 * same["n"].max():
                same = same.iloc[:0]  # far beyond every stored width: the model, not the fit's extrapolation
        if (same["budget"] >= units_ / 2).any():
            same = same[same["budget"] >= units_ / 2]
        elif prior is not None:  # only shorter runs: the prior measured for this cell
            same = same.iloc[:0]
        if same.empty and prior is not None:
            s = prior
        elif same.empty and config.method not in GRADIENT_METHODS:
            same = r[(r["env"] == config.env) & ~r["method"].isin(GRADIENT_METHODS)]
            s = float(same["s_per_unit"].median()) if len(same) else 0.01
        elif same.empty:
            s = 1e-3
        elif same["n"].nunique() < 2:
            s = float(same["s_per_unit"].mean())
        else:
            log_n, log_s = np.log(same["n"].astype(float)), np.log(same["s_per_unit"].astype(float))
            b, a = np.polyfit(log_n, log_s, 1)
            # cost does not fall with size: a negative slope (noise, e.g. runs that crash early) is
            # refitted with slope 0, the geometric mean -- not the old intercept, which would
            # extrapolate from n = 1
            s = float(np.exp(a + b * np.log(n))) if b >= 0 else float(np.exp(log_s.mean()))
        return s * units_


def _n_params(c: RunConfig) -> int:
    """Parameters of the network a run evolves (gradient baselines: of the config's MLP, not of their own
    networks)."""
    from .envs import get_spec
    from .policies import make_policy
    from .trainers import REGISTRY, policy_for

    kind, kw = policy_for(c.method, dict(c.hyper or ())) if c.method in REGISTRY else ("mlp", {})
    return make_policy(get_spec(c.env), c.hidden, "cpu", kind, **kw).n_params


def cost_model(profile: str) -> CostModel:
    """The cost model of ``profile``'s campaign: its stored runs and the book's, and the chapters' priors."""
    from .experiments import backprop, frontier, plasticity

    root = results_root()
    fp = frontier.params({"profile": profile if profile in frontier.PROFILES else "book"})
    return CostModel(root / profile / "runs", root / "book" / "runs",
                     priors={**backprop.COST_PRIORS, **plasticity.COST_PRIORS, **frontier.cost_prior(fp)})


def plan(profile: str = "book", chapters=None, envs=None) -> pd.DataFrame:
    """One row per chapter cell: seeds done / planned and the estimated CPU-minutes still missing."""
    root = results_root() / profile
    all_needs = only_envs(needs(profile, chapters), envs)
    model = cost_model(profile)
    group_of = {_group_key(u): u for u in units(all_needs)}
    missing = {k for k, u in group_of.items() if not _stored(u, root)}
    rows = []
    for n in all_needs:
        unit = group_of[_group_key(n)]
        missing_unit = _group_key(n) in missing
        done = _stored(n, root)
        cost = model.seconds(unit.config, _n_params(unit.config)) / 60 if missing_unit else 0.0
        rows.append(dict(chapter=n.chapter, priority=n.priority, n_params=_n_params(n.config),
                         cell=n.cell + (f" (waits for {n.waits})" if n.waits else ""),
                         done=int(done), planned=1, unit=_path(unit, root).name,
                         cpu_min_missing=cost))
    df = pd.DataFrame(rows)
    # a unit's cost counts once, for its own cell (the longest budget of its group)
    df["cpu_min_missing"] = df["cpu_min_missing"].where(~df.duplicated("unit"), 0.0)
    return (df.groupby(["chapter", "priority", "cell", "n_params"], as_index=False, sort=False)
              .agg(done=("done", "sum"), planned=("planned", "sum"), cpu_min_missing=("cpu_min_missing", "sum"))
              .sort_values(["priority", "chapter", "n_params"]))


def orphan_checkpoints(profile: str = "book", chapters=None, envs=None) -> list[Path]:
    """Checkpoints of runs already stored (e.g. a run killed between its save and the checkpoint's
    removal): nothing resumes them; ``campaign clean-checkpoints`` removes them."""
    root = results_root() / profile
    found = []
    for u in units(only_envs(needs(profile, chapters), envs)):
        ckpt = checkpoint_dir() / f"{run_path(u.config, root).stem}.pkl"
        if u.islands is None and ckpt.exists() and _stored(u, root):
            found.append(ckpt)
    return found


def still_to_run(profile: str, chapter: str) -> str:
    """For a chapter's prose: how many of the runs it plans are stored and, if any are missing, the
    campaign's estimate of their cost (CPU-hours, one core per run; a run this chapter shares with
    another counts here too)."""
    df = plan(profile, [chapter])
    done, planned = int(df["done"].sum()), int(df["planned"].sum())
    if done == planned:
        return f"all {planned:,} planned runs are stored"
    minutes = df["cpu_min_missing"].sum()
    cost = f"{minutes / 60:,.1f} CPU-hours" if minutes >= 6 else f"{minutes:,.1f} CPU-minutes"
    return (f"{done:,} of {planned:,} planned runs are stored; the other {planned - done:,} are estimated at "
            f"{cost} (one core per run)")


def format_plan(df: pd.DataFrame) -> str:
    lines = [f"{'chapter':<15}{'prio':>5}  {'cell':<55}{'n':>9}{'seeds':>9}{'CPU-min missing':>17}"]
    for r in df.itertuples():
        lines.append(f"{r.chapter:<15}{r.priority:>5}  {r.cell:<55}{r.n_params:>9,}{f'{r.done}/{r.planned}':>9}"
                     f"{r.cpu_min_missing:>17,.0f}")
    lines.append("")
    for ch, g in df.groupby("chapter"):
        lines.append(f"{ch:<15} {int(g['done'].sum()):>4} of {int(g['planned'].sum()):>4} runs stored; "
                     f"{g['cpu_min_missing'].sum() / 60:6.1f} CPU-hours missing (estimate)")
    lines.append(f"{'total':<15} {int(df['done'].sum()):>4} of {int(df['planned'].sum()):>4} runs stored; "
                 f"{df['cpu_min_missing'].sum() / 60:6.1f} CPU-hours missing (estimate)")
    return "\n".join(lines)


def checkpoint_dir() -> Path:
    return Path(os.environ.get("EVOSCALE_CHECKPOINTS", Path.home() / ".cache" / "evoscale" / "checkpoints"))


def train_unit(config: RunConfig, where: Path, checkpoint: Path | None, checkpoint_every: int,
               islands=None) -> float:
    """Train one run (resuming its checkpoint), save it atomically, drop the checkpoint; wall seconds.
    An island run (``islands``: its ``IslandSpec``) trains and saves through ``experiments.workers``."""
    t = time.perf_counter()
    if islands is not None:
        from .experiments.workers import island_run

        island_run(config, where, True, islands)
        return time.perf_counter() - t
    df = train_records(config, checkpoint=checkpoint, checkpoint_every=checkpoint_every)
    try:
        save_records(config, where, df)
    except OSError as err:  # a full disk after the training: keep the records, say where
        kept = rescue(df.to_csv(index=False).encode(), run_path(config, where).name, [checkpoint_dir(), where])
        raise ValueError(f"{run_path(config, where)} could not be written ({err.strerror or err}); its records are "
                         + (f"kept in {kept}" if kept else "lost: no folder could take them")) from None
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
    from .runs import generations as gens_of
    from .train import read_checkpoint

    root = results_root() / profile
    ckpts = {p.stem: p for p in checkpoint_dir().glob("*.pkl")}
    written = []
    for need in only_envs(needs(profile, chapters), envs):
        c, where = need.config, root / need.store
        if need.islands is not None or not servable(c) or is_cached(c, where):
            continue
        g = gens_of(c)
        prefix = run_path(c, where).stem.rsplit("-", 1)[0] + "-"  # method, env and seed
        for stem, path in ckpts.items():
            if not stem.startswith(prefix):
                continue
            saved = read_checkpoint(path)  # a foreign or corrupt file: a ValueError naming it
            records = saved["progress"].records
            longer = _config_with_key(c, saved["key"])
            if longer is None or len(records) < g or not math.isfinite(records[g - 1]["eval_return"]):
                continue
            save_records(c, where, pd.DataFrame(records[:g]))
            written.append(run_path(c, where).name)
            log(f"harvested {run_path(c, where).name} from {path.name} ({g} of its generations)")
            break
    return written


def _config_with_key(c: RunConfig, key: str) -> RunConfig | None:
    """The longer budget of ``c``'s configuration whose key is ``key`` (a checkpoint's), if any
    aligned budget up to 10x ``c``'s matches."""
    step = c.popsize * c.episodes_per_eval
    for b in range(c.budget_evals, 10 * c.budget_evals + 1, step):
        other = c.replace(budget_evals=b)
        if other.key() == key:
            return other
    return None


def _train_remote(config: RunConfig, islands=None) -> pd.DataFrame:
    if islands is not None:
        from .experiments.workers import island_records

        return island_records(config, islands)
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
    todo = [u for u in units([n for n in only_envs(needs(profile, chapters), envs) if n.waits is None])
            if not _stored(u, root)]
    if max_runs is not None:
        todo = todo[:max_runs]
    est = {id(u): model.seconds(u.config, _n_params(u.config)) for u in todo}
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
        bar.update(round(est[id(u)] / 60))
        bar.set_postfix(runs=f"{len(written)}/{len(todo)}")

    try:
        if ray_address:
            _run_ray(todo, root, ray_address, deadline, end, est, done, log)
        else:
            _run_local(todo, root, processes, deadline, end, est, checkpoint_minutes, done, log)
    finally:
        bar.close()
    log(f"campaign: {len(written)} runs written, {len(todo) - len(written)} still missing")
    return written


def _next_fitting(queue: list, est: dict, deadline: float, end: float, told: set, log) -> Need | None:
    """Pop the first queued run whose estimate fits before ``end`` (the hard stop); an island run, which
    cannot checkpoint, must also end before ``deadline``. The others stay queued (said once each)."""
    now = time.monotonic()
    for i, u in enumerate(queue):
        left = end - now if u.islands is None else min(end, deadline) - now
        if est[id(u)] <= left:
            return queue.pop(i)
        if id(u) not in told:
            told.add(id(u))
            why = " (an island run cannot checkpoint)" if u.islands is not None else ""
            log(f"campaign: {_cell(u.config)} seed {u.config.seed} is estimated at {est[id(u)] / 60:.0f} "
                f"CPU-min, more than the {max(left, 0) / 60:.0f} min left{why}; left for the next campaign")
    return None


def _checkpoint(u: Need, root: Path, seconds: float, checkpoint_minutes: float) -> tuple[Path | None, int]:
    """Where ``u`` checkpoints (None: it does not) and every how many generations: a run estimated at
    more than ``checkpoint_minutes``, and any run with a checkpoint already there (always resumed,
    whatever its estimate says now). Island runs cannot checkpoint."""
    if u.islands is not None:
        return None, 10
    ckpt = checkpoint_dir() / f"{run_path(u.config, root).stem}.pkl"
    if seconds <= checkpoint_minutes * 60 and not ckpt.exists():
        return None, 10
    ckpt.parent.mkdir(parents=True, exist_ok=True)
    # 40 checkpoints a run: the estimate can be several times too low on a shared
    # machine, and an interruption should cost a few minutes, not an hour
    return ckpt, max(1, generations(u.config) // 40)


def _claim(u: Need, root: Path, log) -> Path | None:
    """Claim ``u``'s result for this campaign (``store.claim``); None, said in one line, if another
    live campaign trains it or it was stored since the plan."""
    lock = claim(_path(u, root))
    if lock is None:
        log(f"campaign: {_cell(u.config)} seed {u.config.seed} is being trained by another campaign; skipped")
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


def _run_local(todo, root, processes, deadline, end, est, checkpoint_minutes, done, log):
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
                ckpt, every = _checkpoint(u, root, est[id(u)], checkpoint_minutes)
                running[pool.submit(train_unit, u.config, root / u.store, ckpt, every, u.islands)] = (u, lock)
            if not running:
                break
            finished, _ = wait(running, return_when=FIRST_COMPLETED)
            for f in finished:
                u, lock = running.pop(f)
                release(lock)
                f.result()  # a failed run stops the campaign with its error
                done(u)
        if queue:
            log(f"campaign: {len(queue)} runs not started (the hours are spent or none fits before the end)")
    except KeyboardInterrupt:  # SIGINT: as SIGTERM, the workers stop now
        _stop_workers(pool)
        raise
    finally:
        pool.shutdown(wait=True)
        for _, lock in running.values():
            release(lock)


def _run_ray(todo, root, address, deadline, end, est, done, log):
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
                    running[remote.remote(u.config, u.islands)] = (u, lock)
            if not running:
                break
            ready, _ = ray.wait(list(running), num_returns=1)
            for ref in ready:
                u, lock = running.pop(ref)
                try:
                    if u.islands is None:  # the driver writes the records
                        save_records(u.config, root / u.store, ray.get(ref))
                    else:
                        from .experiments.workers import save_island

                        save_island(u.config, root / u.store, u.islands, ray.get(ref))
                finally:
                    release(lock)
                done(u)
    finally:
        for _, lock in running.values():
            release(lock)
    if queue:
        log(f"campaign: {len(queue)} runs not started (the hours are spent or none fits before the end)")
