"""Chapter 4's Ray speedup, below the studies that read it (chapter 4's workers, chapter 6's crossover
in cores): the chapter's parameters (``WorkersParams``, its profiles), the timed generations on 1, 2,
... Ray workers (``measure_speedup``, cached by ``speedup``), their table (``speedup_table``) and the
``cluster_sim`` calibration drawn from it (``calibration``, with ``bench ray-messages``' message cost
where it is stored). ``workers`` re-exports them.
"""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import numpy as np
import pandas as pd

from ..config import RunConfig, content_key
from ..envs import get_spec
from ..evaluation import make_evaluator
from ..island import TOPOLOGIES, IslandSpec
from ..machine import machine_label, usable_cores
from ..train import build
from . import CHECKOUT_RESULTS, cached_table, check_parameters, cma_runs, results_root


PROFILES = {
    "smoke": dict(envs=["CartPole-v1"], methods=["cmaes", "openai_es"], workers=[1, 2], warmup_generations=2,
                  generations=3, raw_seconds=0.5, islands=2, migrate_every=2, migrants=1, island_budget=160,
                  island_seeds=2, sim_workers=[8, 32, 128], sim_generations=20, sim_seeds=5),
    "quick": dict(envs=["LunarLander-v3"], methods=["cmaes", "torch_cmaes", "openai_es"], workers=[1, 2],
                  warmup_generations=50, generations=10, raw_seconds=2.0, islands=2, migrate_every=10, migrants=1,
                  island_budget=5_120, island_seeds=5, sim_workers=[8, 16, 32, 64, 128, 256], sim_generations=100,
                  sim_seeds=5),
    # islands: 10 seeds x 20,480 evaluations through the campaign (``python -m evoscale campaign``)
    "book": dict(envs=["LunarLander-v3", "BipedalWalker-v3"], methods=["cmaes", "torch_cmaes", "openai_es"],
                 workers=[1, 2], warmup_generations=100, generations=20, raw_seconds=5.0, islands=2,
                 migrate_every=10, migrants=1, island_budget=20_480, island_seeds=10,
                 sim_workers=[8, 16, 32, 64, 128, 256], sim_generations=200, sim_seeds=10),
    "full": dict(envs=["LunarLander-v3", "BipedalWalker-v3"], methods=["cmaes", "torch_cmaes", "openai_es"],
                 workers=[1, 2, 4, 8, 16], warmup_generations=100, generations=30, raw_seconds=5.0, islands=4,
                 migrate_every=10, migrants=1, island_budget=51_200, island_seeds=10,
                 sim_workers=[8, 16, 32, 64, 128, 256, 512], sim_generations=500, sim_seeds=10),
}

SPEEDUP_HYPER = {"openai_es": {"lr": 0.03}}
"""Hyper-parameters of the timed methods (the chapter-5 grid's; irrelevant to the timing itself)."""


@dataclass(frozen=True)
class WorkersParams:
    profile: str = "book"
    """smoke | quick | book | full -- sets the default of every parameter left at None."""
    envs: list | None = None
    """Tasks of the speedup measurement (each with its registry network)."""
    methods: list | None = None
    """ES methods whose generations are timed (pycma's ``cmaes``, ``torch_cmaes``, ``openai_es``, ...)."""
    workers: list | None = None
    """Ray worker counts to time (local cluster: at most this machine's cores)."""
    popsize: int = 64
    """Individuals per generation."""
    warmup_generations: int | None = None
    """CMA-ES generations trained before timing starts (a mid-training population)."""
    generations: int | None = None
    """Timed generations per worker count (at least: a full CMA-ES's are rounded up to whole periods of
    its lazy eigendecomposition, ``trainers.timed_generations``, whose cost the mean then includes)."""
    raw_seconds: float | None = None
    """Seconds spent measuring one core's raw gymnasium.make step rate per task."""
    seed: int = 0
    """Seed of the speedup measurement's warm-up and timed generations, and of the simulation."""
    islands: int | None = None
    """Island count K; each island has popsize / K individuals."""
    migrate_every: int | None = None
    """Generations between migrations."""
    migrants: int | None = None
    """Individuals each island sends."""
    topology: str = "ring"
    """Migration topology: ring | random."""
    island_budget: int | None = None
    """Evaluations per island run, all islands together (at most the compute chapter's budget)."""
    island_seeds: int | None = None
    """Seeds of the island comparison (the first ones of the compute chapter's runs)."""
    sim_workers: list | None = None
    """Worker counts of the simulated cluster."""
    sim_generations: int | None = None
    """Simulated generations per worker count."""
    sim_seeds: int | None = None
    """Simulation seeds of the islands at the largest count of 100+ workers."""
    sim_speed_cv: float = 0.3
    """Spread of worker speeds in the simulation (coefficient of variation, lognormal)."""
    sim_latency_ms: float = 0.2
    """One-way network latency in the simulation (ms)."""
    processes: int | None = None
    """Island runs trained in parallel, one core each (None: all cores)."""
    ray_address: str | None = None
    """Ray cluster to join for the speedup measurement, e.g. "auto" after ``ray start``; None starts a local one."""

    def __post_init__(self):
        for e in self.envs or ():
            get_spec(e)
        from ..trainers import REGISTRY

        for m in self.methods or ():
            if m not in REGISTRY:
                raise ValueError(f"unknown ES method {m!r} in methods; valid: {', '.join(sorted(REGISTRY))}")
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

    def speedup_fields(self, env: str, method: str) -> dict:
        """What changes one (task, method) speedup measurement (its cache key); ``generations`` is the
        count actually timed."""
        fields = ("popsize", "warmup_generations", "raw_seconds", "seed", "workers")
        return {"env": env, "method": method, "hyper": SPEEDUP_HYPER.get(method),
                **{k: getattr(self, k) for k in fields}, "generations": self.timed(env, method)}

    def timed(self, env: str, method: str, hidden: tuple | None = None) -> int:
        """Generations timed per worker count: ``generations`` rounded up to the method's whole serial periods."""
        from ..policies import make_policy
        from ..trainers import make_trainer, timed_generations

        spec = get_spec(env)
        n = make_policy(spec, spec.default_hidden if hidden is None else tuple(hidden), "cpu").n_params
        return timed_generations(make_trainer(method, n, self.popsize, 0.5, SPEEDUP_HYPER.get(method)), self.generations)

    def speedup_key(self, env: str, method: str) -> str:
        return content_key(self.speedup_fields(env, method))

    def island_spec(self) -> IslandSpec:
        """The islands' settings (``island.IslandSpec``, unbound; ``island_runs`` binds them per run)."""
        return IslandSpec(self.islands, self.migrate_every, self.migrants, self.topology)

    def island_runs(self) -> list[IslandSpec]:
        """The island runs: the settings bound to each of ``island_configs``."""
        return [self.island_spec().of(c) for c in self.island_configs()]

    def baseline(self) -> cma_runs.ComputeParams:
        """The compute chapter's runs of this profile (torch_cmaes): the single-CMA-ES side of the
        island comparison, and the method every island runs (its ``inject`` takes the migrants)."""
        base = cma_runs.params({"profile": self.profile})
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
def measure_speedup(env: str, method: str, p: WorkersParams, log=print, hidden: tuple | None = None) -> pd.DataFrame:
    """One row per (worker count, timed generation) of ``method`` on ``env`` with the registry's network
    (or ``hidden``); ``workers == 0`` is the in-process evaluator."""
    from threadpoolctl import threadpool_limits

    from ..bench.evaluator import raw_steps_per_s
    from ..bench.generation import timed_generation
    from ..envs import make_wrapped_env

    spec = get_spec(env)
    hidden = spec.default_hidden if hidden is None else tuple(hidden)
    config = RunConfig(method=method, env=env, hidden=hidden, popsize=p.popsize, seed=p.seed,
                       budget_evals=p.popsize * (p.warmup_generations + p.generations),
                       hyper=SPEEDUP_HYPER.get(method))
    rows, kept = [], []
    timed = p.timed(env, method, hidden)
    with threadpool_limits(1):
        raw = raw_steps_per_s(make_wrapped_env(env), spec.max_steps, p.raw_seconds)
        evaluator, trainer, n = build(config.replace(budget_evals=p.popsize * (p.warmup_generations + timed)),
                                      backend="lockstep")
        state = trainer.init(p.seed)
        log(f"{env}, {method}: {p.warmup_generations} warm-up + {timed} timed generations in-process")
        for g in range(p.warmup_generations + timed):
            state, population, seeds, result, (ask_s, eval_s, tell_s) = timed_generation(evaluator, trainer, state,
                                                                                         p.seed, g)
            if g >= p.warmup_generations:
                kept.append((population, seeds, result.returns))
                rows.append(dict(workers=0, generation=g, eval_s=eval_s, opt_s=ask_s + tell_s,
                                 env_steps=result.env_steps, startup_s=0.0))
    for w in p.workers:
        log(f"{env}, {method}: Ray, {w} worker(s)")
        t0 = time.perf_counter()
        ev = make_evaluator(RunConfig(env=env, hidden=hidden, backend="ray", workers=w,
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
    df["env"], df["method"], df["n_params"], df["popsize"], df["raw_steps_per_s"] = env, method, n, p.popsize, raw
    df["machine"] = machine_label()
    return df


def speedup(p: WorkersParams, log=print) -> pd.DataFrame:
    """Every (task, method)'s timing rows, from the cache (``results/<profile>/workers/``) or measured."""
    where = results_root() / p.profile / "workers"
    return pd.concat([cached_table(where / f"speedup-{env.replace('/', '_')}-{m}", p.speedup_fields(env, m),
                                   partial(measure_speedup, env, m, p, log), log,
                                   meta={**dataclasses.asdict(p), **p.speedup_fields(env, m)})
                      for env in p.envs for m in p.methods], ignore_index=True)


def speedup_table(df: pd.DataFrame) -> pd.DataFrame:
    """Per task and worker count: steady-state seconds per generation, speedup over the in-process
    evaluator (evaluation alone, and whole generations incl. the sequential ask + tell), efficiency,
    step rate as a fraction of ``workers`` x one core's raw step rate, Ray start-up. ``ray_speedup`` is
    against Ray with one worker (what Amdahl's law describes: same system, more workers); ``speedup``
    against the in-process evaluator (what a user gains), i.e. ``ray_speedup`` times Ray's overhead
    factor ``speedup`` at one worker."""
    rows = []
    for (env, method), g in df.groupby(["env", "method"], sort=False):
        base = g[g.workers == 0].set_index("generation")
        opt, ev0 = base["opt_s"].sum(), base["eval_s"].sum()
        steps, raw = base["env_steps"].sum(), float(g["raw_steps_per_s"].iloc[0])
        ray1 = g[g.workers == 1]["eval_s"].sum() if (g.workers == 1).any() else np.nan
        for w, gw in g.groupby("workers"):
            ev = gw["eval_s"].sum()
            k = max(w, 1)
            rows.append(dict(
                env=env, method=method, n_params=int(g["n_params"].iloc[0]), workers=int(w), generations=len(gw),
                eval_s_per_gen=ev / len(gw), opt_s_per_gen=opt / len(gw),
                eval_speedup=ev0 / ev, speedup=(opt + ev0) / (opt + ev), efficiency=(opt + ev0) / (opt + ev) / k,
                ray_speedup=(opt + ray1) / (opt + ev) if w else np.nan,
                steps_per_s=steps / ev, steps_per_episode=steps / (len(base) * float(g["popsize"].iloc[0])), linear_fraction=steps / ev / (k * raw), raw_steps_per_s=raw,
                serial_fraction=opt / (opt + ev0), startup_s=float(gw["startup_s"].iloc[0]),
                machine=g["machine"].iloc[0]))
    return pd.DataFrame(rows)


MESSAGES_JSON = "ray-messages.json"
"""``bench ray-messages``' file under the checkout's ``results/bench/``."""


def ray_messages(root=None) -> dict | None:
    """The committed ``bench ray-messages`` measurement (per-call and per-byte message cost, the
    islands on 2 workers), or None where it is not stored."""
    from ..store import read_json

    return read_json(Path(root or CHECKOUT_RESULTS) / "bench" / MESSAGES_JSON)


def calibration(p: WorkersParams, T: pd.DataFrame, env: str | None = None, measured: dict | None = None):
    """``cluster_sim.Calibration`` from the speedup table's task ``env`` (default: its first): one
    core's seconds per individual (in-process evaluation) and the driver's ask + tell; the message
    cost per call and per byte as ``bench ray-messages`` measured it (``measured``), else inferred:
    Ray-1 minus in-process evaluation time, over 2 messages, per call."""
    from ..cluster_sim import Calibration

    T = T[T["method"] == "cmaes"] if (T["method"] == "cmaes").any() else T  # pycma: the design note's CMA-ES
    first = T[T.env == (env or T.env.iloc[0])].set_index("workers")
    ev0, opt = first.loc[0, "eval_s_per_gen"], first.loc[0, "opt_s_per_gen"]
    per_message = max(0.0, (first.loc[1, "eval_s_per_gen"] - ev0) / 2) if 1 in first.index else 0.0
    per_byte = 0.0
    if measured:
        per_message, per_byte = measured["per_call_s"], measured["per_byte_s"]
    return Calibration(eval_s_per_individual=ev0 / p.popsize, tell_s=opt, tell_popsize=p.popsize,
                       driver_s_per_message=per_message, driver_s_per_byte=per_byte,
                       n_params=int(first["n_params"].iloc[0]), latency_s=p.sim_latency_ms / 1e3,
                       bandwidth_Bps=125e6, speed_cv=p.sim_speed_cv)
