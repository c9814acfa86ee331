"""Dimension 4 -- workers: measured Ray speedup, an Amdahl fit, and the island model vs one CMA-ES.

``WorkersParams`` mirrors the chapter's papermill parameters cell; ``None`` takes the profile's value.

Speedup (``measure_speedup``): CMA-ES (pycma) trains in this process for ``warmup_generations``
(so the population is a mid-training one: crashes mixed with long episodes), then the next
``generations`` generations are timed: ask + tell (the sequential part), the in-process lockstep
evaluation, and then the *same* populations with the *same* episode seeds on a ``RayEvaluator`` with
1, 2, ... workers. Every Ray result is checked bitwise against the in-process one (so every worker
count does exactly the same work), and Ray's start-up (``ray.init`` plus actors building their
environments) is timed apart from the steady-state generations. One core's raw ``gymnasium.make``
step rate is measured in the same run, for the "fraction of linear" figure.

Island model (``run_islands``): ``islands`` CMA-ES instances of ``popsize / islands`` each, migrating
their best every ``migrate_every`` generations (``evoscale.island``), against one CMA-ES with the
whole population at equal total evaluations. The single CMA-ES runs *are* the compute chapter's runs
(same profile, same configurations, same cache), read up to the island budget: a CMA-ES run's
records up to N evaluations do not depend on its budget.
"""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass
from functools import partial

import numpy as np
import pandas as pd

from ..config import RunConfig, content_key
from ..envs import get_spec
from ..evaluation import TRAIN, episode_seeds, make_evaluator
from ..island import TOPOLOGIES, train_islands
from ..machine import machine_label, usable_cores
from ..runs import load_records
from ..store import save_run
from ..train import build
from . import cached_table, check_parameters, compute, results_root, run_many

PROFILES = {
    "smoke": dict(envs=["CartPole-v1"], workers=[1, 2], warmup_generations=2, generations=3, raw_seconds=0.5,
                  islands=2, migrate_every=2, migrants=1, island_budget=160, island_seeds=2,
                  sim_workers=[8, 32, 128], sim_generations=20),
    "quick": dict(envs=["LunarLander-v3"], workers=[1, 2], warmup_generations=50, generations=10, raw_seconds=2.0,
                  islands=2, migrate_every=10, migrants=1, island_budget=5_120, island_seeds=5,
                  sim_workers=[8, 16, 32, 64, 128, 256], sim_generations=100),
    "book": dict(envs=["LunarLander-v3", "BipedalWalker-v3"], workers=[1, 2], warmup_generations=100,
                 generations=20, raw_seconds=5.0, islands=2, migrate_every=10, migrants=1,
                 island_budget=20_032, island_seeds=4, sim_workers=[8, 16, 32, 64, 128, 256],
                 sim_generations=200),
    "full": dict(envs=["LunarLander-v3", "BipedalWalker-v3"], workers=[1, 2, 4, 8, 16], warmup_generations=100,
                 generations=30, raw_seconds=5.0, islands=4, migrate_every=10, migrants=1,
                 island_budget=50_000, island_seeds=10, sim_workers=[8, 16, 32, 64, 128, 256, 512],
                 sim_generations=500),
}


@dataclass(frozen=True)
class WorkersParams:
    profile: str = "book"
    """smoke | book | full -- sets the default of every parameter left at None."""
    envs: list | None = None
    """Tasks of the speedup measurement (each with its registry network)."""
    workers: list | None = None
    """Ray worker counts to time (local cluster: at most this machine's cores)."""
    popsize: int = 64
    warmup_generations: int | None = None
    """CMA-ES generations trained before timing starts (a mid-training population)."""
    generations: int | None = None
    """Timed generations per worker count."""
    raw_seconds: float | None = None
    """Seconds spent measuring one core's raw gymnasium.make step rate per task."""
    seed: int = 0
    islands: int | None = None
    """Island count K; each island has popsize / K individuals."""
    migrate_every: int | None = None
    migrants: int | None = None
    topology: str = "ring"
    island_budget: int | None = None
    """Evaluations (all islands together) per island run; at most the compute chapter's budget."""
    island_seeds: int | None = None
    """Seeds of the island comparison (the first ones of the compute chapter's runs)."""
    sim_workers: list | None = None
    """Worker counts of the simulated cluster."""
    sim_generations: int | None = None
    sim_speed_cv: float = 0.3
    """Spread of worker speeds in the simulation (coefficient of variation, lognormal)."""
    sim_latency_ms: float = 0.2
    """One-way network latency in the simulation."""
    processes: int | None = None
    """Island runs trained in parallel (one core each); None: all cores."""
    ray_address: str | None = None
    """Ray cluster to join for the speedup measurement; None starts a local one."""

    def __post_init__(self):
        for e in self.envs or ():
            get_spec(e)
        for w in self.workers or ():
            if not isinstance(w, int) or isinstance(w, bool) or w < 1:
                raise ValueError(f"workers must be positive integers, got {w!r}")
        if self.ray_address is None and self.workers and max(self.workers) > usable_cores():
            raise ValueError(f"workers={max(self.workers)} exceeds this machine's {usable_cores()} cores; "
                             f"lower workers or pass ray_address to use a Ray cluster")
        if self.topology not in TOPOLOGIES:
            raise ValueError(f"unknown topology {self.topology!r}; valid: {', '.join(TOPOLOGIES)}")
        if self.popsize < 2:
            raise ValueError(f"popsize must be at least 2, got {self.popsize}")

    def speedup_fields(self, env: str) -> dict:
        """What changes one task's speedup measurement (its cache key)."""
        fields = ("popsize", "warmup_generations", "generations", "raw_seconds", "seed", "workers")
        return {"env": env, **{k: getattr(self, k) for k in fields}}

    def speedup_key(self, env: str) -> str:
        return content_key(self.speedup_fields(env))

    def baseline(self) -> compute.ComputeParams:
        """The compute chapter's runs of this profile: the single-CMA-ES side of the island comparison."""
        base = compute.params({"profile": self.profile}).crosscheck()  # pycma: the islands inject migrants
        seeds = base.seed_list()
        if self.island_seeds > len(seeds):
            raise ValueError(f"island_seeds={self.island_seeds} exceeds the compute chapter's {len(seeds)} "
                             f"seeds of profile {self.profile!r}")
        if self.island_budget > base.budget_evals:
            raise ValueError(f"island_budget={self.island_budget} exceeds the compute chapter's budget "
                             f"{base.budget_evals} of profile {self.profile!r}")
        return dataclasses.replace(base, seeds=seeds[: self.island_seeds])

    def island_configs(self) -> list[RunConfig]:
        base = self.baseline()
        if base.popsize % self.islands:
            raise ValueError(f"islands={self.islands} must divide the compute chapter's popsize {base.popsize}")
        return [dataclasses.replace(c, popsize=base.popsize // self.islands, budget_evals=self.island_budget)
                for c in base.configs()]


def params(namespace: dict) -> WorkersParams:
    return check_parameters(WorkersParams, namespace, PROFILES)


# ---------------------------------------------------------------- speedup
def measure_speedup(env: str, p: WorkersParams, log=print) -> pd.DataFrame:
    """One row per (worker count, timed generation); ``workers == 0`` is the in-process evaluator."""
    from threadpoolctl import threadpool_limits

    from ..bench.evaluator import raw_steps_per_s
    from ..envs import make_wrapped_env

    spec = get_spec(env)
    config = RunConfig(method="cmaes", env=env, hidden=spec.default_hidden, popsize=p.popsize, seed=p.seed,
                       budget_evals=p.popsize * (p.warmup_generations + p.generations))
    rows, kept = [], []
    with threadpool_limits(1):
        raw = raw_steps_per_s(make_wrapped_env(env), spec.max_steps, p.raw_seconds)
        evaluator, trainer, n = build(config, backend="lockstep")
        state = trainer.init(p.seed)
        log(f"{env}: {p.warmup_generations} warm-up + {p.generations} timed generations in-process")
        for g in range(p.warmup_generations + p.generations):
            t0 = time.perf_counter()
            population, state = trainer.ask(state)
            t1 = time.perf_counter()
            seeds = episode_seeds(p.seed, TRAIN, g, len(population), 1)
            result = evaluator.evaluate(population, seeds)
            t2 = time.perf_counter()
            state = trainer.tell(state, population, result.returns.mean(axis=1))
            t3 = time.perf_counter()
            if g >= p.warmup_generations:
                kept.append((population, seeds, result.returns))
                rows.append(dict(workers=0, generation=g, eval_s=t2 - t1, opt_s=(t1 - t0) + (t3 - t2),
                                 env_steps=result.env_steps, startup_s=0.0))
    for w in p.workers:
        log(f"{env}: Ray, {w} worker(s)")
        t0 = time.perf_counter()
        ev = make_evaluator(RunConfig(env=env, hidden=spec.default_hidden, backend="ray", workers=w,
                                       ray_address=p.ray_address))
        try:
            ev.evaluate(kept[0][0][:w], kept[0][1][:w])  # actors up, environments built
            startup = time.perf_counter() - t0
            for (population, seeds, returns), row in zip(kept, rows[: len(kept)]):
                t1 = time.perf_counter()
                result = ev.evaluate(population, seeds)
                dt = time.perf_counter() - t1
                if not np.array_equal(result.returns, returns):
                    raise RuntimeError(f"Ray with {w} workers returned different returns than in-process")
                rows.append({**row, "workers": w, "eval_s": dt, "startup_s": startup})
        finally:
            ev.close()
    df = pd.DataFrame(rows)
    df["env"], df["n_params"], df["popsize"], df["raw_steps_per_s"] = env, n, p.popsize, raw
    df["machine"] = machine_label()
    return df


def speedup(p: WorkersParams, log=print) -> pd.DataFrame:
    """Every task's timing rows, from the cache (``results/<profile>/workers/``) or measured."""
    where = results_root() / p.profile / "workers"
    return pd.concat([cached_table(where / f"speedup-{env.replace('/', '_')}", p.speedup_fields(env),
                                   partial(measure_speedup, env, p, log), log,
                                   meta={"env": env, **dataclasses.asdict(p)}) for env in p.envs],
                     ignore_index=True)


def speedup_table(df: pd.DataFrame) -> pd.DataFrame:
    """Per task and worker count: steady-state seconds per generation, speedup over the in-process
    evaluator (evaluation alone, and whole generations incl. the sequential ask + tell), efficiency,
    step rate as a fraction of ``workers`` x one core's raw step rate, Ray start-up. ``ray_speedup`` is
    against Ray with one worker (what Amdahl's law describes: same system, more workers); ``speedup``
    against the in-process evaluator (what a user gains), i.e. ``ray_speedup`` times Ray's overhead
    factor ``speedup`` at one worker."""
    rows = []
    for env, g in df.groupby("env", sort=False):
        base = g[g.workers == 0].set_index("generation")
        opt, ev0 = base["opt_s"].sum(), base["eval_s"].sum()
        steps, raw = base["env_steps"].sum(), float(g["raw_steps_per_s"].iloc[0])
        ray1 = g[g.workers == 1]["eval_s"].sum() if (g.workers == 1).any() else np.nan
        for w, gw in g.groupby("workers"):
            ev = gw["eval_s"].sum()
            k = max(w, 1)
            rows.append(dict(
                env=env, n_params=int(g["n_params"].iloc[0]), workers=int(w),
                eval_s_per_gen=ev / len(gw), opt_s_per_gen=opt / len(gw),
                eval_speedup=ev0 / ev, speedup=(opt + ev0) / (opt + ev), efficiency=(opt + ev0) / (opt + ev) / k,
                ray_speedup=(opt + ray1) / (opt + ev) if w else np.nan,
                steps_per_s=steps / ev, steps_per_episode=steps / (len(base) * float(g["popsize"].iloc[0])), linear_fraction=steps / ev / (k * raw), raw_steps_per_s=raw,
                serial_fraction=opt / (opt + ev0), startup_s=float(gw["startup_s"].iloc[0]),
                machine=g["machine"].iloc[0]))
    return pd.DataFrame(rows)


# ---------------------------------------------------------------- island model
def _island_path(config: RunConfig, where, p: WorkersParams):
    tag = f"K{p.islands}-m{p.migrate_every}-x{p.migrants}-{p.topology}"
    return where / f"islands-{tag}-{config.env.replace('/', '_')}-s{config.seed}-{config.key()}.csv"


def _island_cached(config: RunConfig, where, fresh: bool, p: WorkersParams) -> pd.DataFrame:
    """One island run's records: from ``where`` unless ``fresh``, else trained (one core) and saved."""
    from threadpoolctl import threadpool_limits

    path = _island_path(config, where, p)
    if not fresh and (df := load_records(config, path, p.islands)) is not None:
        return df
    with threadpool_limits(1):
        df = pd.DataFrame(train_islands(config, p.islands, p.migrate_every, p.migrants, p.topology, use_ray=False))
    save_run(path, df, {"key": config.key(), **config.hashed_fields(), "islands": p.islands,
                        "migrate_every": p.migrate_every, "migrants": p.migrants, "topology": p.topology})
    return df


def run_islands(p: WorkersParams, log=print) -> pd.DataFrame:
    """Island runs and their single-CMA-ES baseline (the compute chapter's runs, cut at the same budget),
    one frame with a ``model`` column ("islands" | "single")."""
    islands = run_many(p.island_configs(), results_root() / p.profile / "workers", processes=p.processes,
                       log=log, path=partial(_island_path, p=p), run=partial(_island_cached, p=p))
    single = compute.run(p.baseline(), log=log)
    single = single[single["evals"] <= islands["evals"].max()].copy()
    islands["model"], single["model"] = f"{p.islands} islands", "one CMA-ES"
    return pd.concat([single, islands], ignore_index=True)


def island_summary(df: pd.DataFrame) -> pd.DataFrame:
    """Per model: IQM [95 % CI] over seeds of the last solved test within the budget."""
    from ..stats import iqm_ci

    rows = []
    for model, g in df.groupby("model", sort=False):
        tests = g[np.isfinite(g["eval_return"])].sort_values("evals")
        last = tests.groupby("seed").tail(1)
        point, lo, hi = iqm_ci(last["eval_return"].to_numpy())
        rows.append(dict(model=model, seeds=len(last), evals=int(last["evals"].min()), iqm=point, lo=lo, hi=hi,
                         popsize=int(g["popsize"].iloc[0])))
    return pd.DataFrame(rows)


# ---------------------------------------------------------------- Amdahl and the simulated cluster
def amdahl(T: pd.DataFrame) -> pd.DataFrame:
    """Per task: serial fraction fitted to the Ray speedups (vs one Ray worker), the measured one
    (ask + tell of an in-process generation), Ray's one-worker factor, and the predicted speedup and
    efficiency at 8 workers against the in-process evaluator."""
    from ..cluster_sim import amdahl_fit, amdahl_speedup

    rows = []
    for env, g in T[T.workers > 0].groupby("env", sort=False):
        s = amdahl_fit(g["workers"].to_numpy(), g["ray_speedup"].to_numpy())
        factor = float(g.loc[g.workers == 1, "speedup"].iloc[0])  # in-process time / Ray-1 time
        s8 = factor * amdahl_speedup(s, 8)
        w07 = next((w for w in range(1, 10_001) if factor * amdahl_speedup(s, w) / w < 0.7), None)
        rows.append(dict(env=env, serial_fit=s, serial_measured=float(g["serial_fraction"].iloc[0]),
                         ray_factor=factor, speedup_8=s8, efficiency_8=s8 / 8, below_07_from=w07,
                         fitted_on=", ".join(str(w) for w in g["workers"])))
    return pd.DataFrame(rows)


def calibration(p: WorkersParams, T: pd.DataFrame, env: str | None = None):
    """``cluster_sim.Calibration`` from the speedup table's task ``env`` (default: its first): one
    core's seconds per individual (in-process evaluation), the driver's ask + tell, and Ray's
    per-message cost (Ray-1 minus in-process evaluation time, over 2 messages)."""
    from ..cluster_sim import Calibration

    first = T[T.env == (env or T.env.iloc[0])].set_index("workers")
    ev0, opt = first.loc[0, "eval_s_per_gen"], first.loc[0, "opt_s_per_gen"]
    per_message = max(0.0, (first.loc[1, "eval_s_per_gen"] - ev0) / 2) if 1 in first.index else 0.0
    return Calibration(eval_s_per_individual=ev0 / p.popsize, tell_s=opt, tell_popsize=p.popsize,
                       driver_s_per_message=per_message, n_params=int(first["n_params"].iloc[0]),
                       latency_s=p.sim_latency_ms / 1e3, bandwidth_Bps=125e6, speed_cv=p.sim_speed_cv)


def simulate(p: WorkersParams, T: pd.DataFrame) -> pd.DataFrame:
    """Central server vs islands for ``sim_workers``, calibrated on the first task of ``T``: one core's
    seconds per individual (in-process evaluation), the driver's ask + tell (scaled linearly with the
    population, as pycma's rank-mu update and its eigendecomposition frequency are), and Ray's
    per-message cost (Ray-1 minus in-process evaluation time, over 2 messages). Both models use
    ``popsize / islands`` individuals per worker. A third curve, "central, O(n) update", is the central
    server with a free update (what OpenAI-ES or sep-CMA-ES cost at this n is < 1 % of a generation,
    chapter 1), so only messages and stragglers limit it; and "…, seeds only" the same with Salimans et
    al.'s shared-noise trick (workers regenerate the perturbations from a seed: 8 bytes out per
    individual instead of n parameters)."""
    from ..cluster_sim import sweep

    cal = calibration(p, T)
    per_worker = max(2, p.popsize // p.islands)
    kw = dict(workers=p.sim_workers, sim_generations=p.sim_generations, seed=p.seed, per_worker=per_worker)
    free = dataclasses.replace(cal, tell_s=0.0)  # an O(n) update (OpenAI-ES, sep-CMA-ES): ~free at this n
    df = pd.concat([sweep(cal, model="central", **kw),
                    sweep(free, model="central", **kw).assign(model="central, O(n) update"),
                    sweep(free, model="central", seed_only=True, **kw).assign(model="central, O(n) update, seeds only"),
                    sweep(cal, model="island", migrants=p.migrants, migrate_every=p.migrate_every, **kw)],
                   ignore_index=True)
    df["calibrated_on"] = T.env.iloc[0]
    return df


def central_bottleneck(sim: pd.DataFrame, model: str = "central") -> int | None:
    """The smallest simulated worker count where ``model``'s driver is busy > 90 % of the time or its
    efficiency is < 0.5 (None if neither happens in range)."""
    from ..cluster_sim import bottleneck_workers

    b = bottleneck_workers(sim[sim.model == model])
    hits = [w for w in b.values() if w is not None]
    return min(hits) if hits else None
