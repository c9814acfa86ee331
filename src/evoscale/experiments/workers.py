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
from pathlib import Path

import numpy as np
import pandas as pd

from ..config import RunConfig, content_key
from ..envs import get_spec
from ..evaluation import TRAIN, episode_seeds, make_evaluator
from ..island import TOPOLOGIES, IslandSpec
from ..machine import machine_label, usable_cores
from ..train import build
from ..stats import N_RESAMPLES
from . import cached_table, check_parameters, cma_runs, results_root, run_many

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


SPIKE = 3.0
"""A timed generation whose ask + tell exceeds this multiple of the median ran an eigendecomposition."""


def update_split(df: pd.DataFrame, env: str, method: str) -> dict:
    """The driver's ask + tell in this chapter's in-process generations of (``env``, ``method``), in
    seconds: ``steady`` (median of the generations without an eigendecomposition), ``each`` (the
    mean extra seconds of a generation with one), ``spikes`` of ``generations`` had one, ``amortised``
    (the mean over all timed generations) and ``decomposition`` (amortised minus steady). Comparable
    with chapter 1's isolated ``parameters.update_at``."""
    opt = df[(df["env"] == env) & (df["method"] == method) & (df["workers"] == 0)]["opt_s"].to_numpy(float)
    spike = opt > SPIKE * np.median(opt)
    steady = float(np.median(opt[~spike]))
    return {"steady": steady, "amortised": float(opt.mean()), "decomposition": float(opt.mean()) - steady,
            "each": float(opt[spike].mean() - steady) if spike.any() else 0.0, "spikes": int(spike.sum()),
            "generations": int(opt.size)}


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


# ---------------------------------------------------------------- island model
def island_records(config: RunConfig, spec: IslandSpec) -> pd.DataFrame:
    """Train one island run on one core (its islands one after another in this process)."""
    return spec.of(config).train()


def run_islands(p: WorkersParams, log=print) -> pd.DataFrame | None:
    """Island runs and their single-CMA-ES baseline (the compute chapter's runs, cut at the same
    budget), one frame with a ``model`` column; a profile whose compute runs are not trained on
    render (``book``) reads what the campaign stored and trains nothing. None: no runs yet."""
    where, runs = results_root() / p.profile / "workers", p.island_runs()
    if p.baseline().train_missing:
        islands = run_many(runs, where, processes=p.processes, log=log)
    else:
        stored = [df for r in runs if (df := r.load(where)) is not None]
        log(f"{len(stored)} of {len(runs)} island runs stored (the campaign trains the rest)")
        islands = pd.concat(stored, ignore_index=True) if stored else None
    single = cma_runs.run(p.baseline(), log=log)
    frames = []
    if single is not None:
        frames.append(single[single["evals"] <= p.island_budget].assign(model="one CMA-ES"))
    if islands is not None:
        frames.append(islands.assign(model=f"{p.islands} islands"))
    return pd.concat(frames, ignore_index=True) if frames else None


def island_finals(df: pd.DataFrame | None, budget: int) -> dict:
    """Per model: each seed's solved-test return at ``budget`` evaluations (runs short of it left out)."""
    out = {}
    if df is None:
        return out
    for model, g in df.groupby("model", sort=False):
        at = g[(g["evals"] == budget) & np.isfinite(g["eval_return"])]
        out[model] = at.sort_values("seed")["eval_return"].to_numpy()
    return out


# ---------------------------------------------------------------- Amdahl and the simulated cluster
def amdahl(T: pd.DataFrame, df: pd.DataFrame | None = None, n_resamples: int = N_RESAMPLES, seed: int = 0) -> pd.DataFrame:
    """Per (task, method), two different things. Measured: the serial share (ask + tell of an
    in-process generation) and the efficiency Amdahl's law allows at 8 workers from it alone
    (``bound_8``: no other overhead, an upper bound). Modelled: the serial fraction fitted to the Ray
    speedups (vs one Ray worker, so Ray's per-generation overhead counts as serial), Ray's one-worker
    factor, and the speedup and efficiency they predict at 8 workers against the in-process evaluator.
    Given the per-generation timings ``df``, 95 % bootstrap CIs over the timed generations
    (``workers_verdicts.amdahl_numbers``): they cover the timing noise, not the model."""
    from ..cluster_sim import amdahl_fit, amdahl_speedup
    from .workers_verdicts import amdahl_bound, amdahl_numbers

    rows = []
    for (env, method), g in T[T.workers > 0].groupby(["env", "method"], sort=False):
        s = amdahl_fit(g["workers"].to_numpy(), g["ray_speedup"].to_numpy())
        factor = float(g.loc[g.workers == 1, "speedup"].iloc[0])  # in-process time / Ray-1 time
        s8 = factor * amdahl_speedup(s, 8)
        w07 = next((w for w in range(1, 10_001) if factor * amdahl_speedup(s, w) / w < 0.7), None)
        share = float(g["serial_fraction"].iloc[0])
        ci = {}
        if df is not None and (N := amdahl_numbers(df, env, method, n_resamples, seed)) is not None:
            ci = dict(bound_8_lo=N["bound"][1], bound_8_hi=N["bound"][2])
            if "modelled" in N:
                ci.update(efficiency_8_lo=N["modelled"][1], efficiency_8_hi=N["modelled"][2])
        top = g.loc[g["workers"].idxmax()]
        rows.append(dict(env=env, method=method, serial_measured=share, bound_8=float(amdahl_bound(share, 8)),
                         bound_8_lo=ci.get("bound_8_lo", np.nan), bound_8_hi=ci.get("bound_8_hi", np.nan),
                         workers_measured=int(top["workers"]), efficiency_measured=float(top["efficiency"]),
                         serial_fit=s, ray_factor=factor, speedup_8=s8, efficiency_8=s8 / 8,
                         efficiency_8_lo=ci.get("efficiency_8_lo", np.nan),
                         efficiency_8_hi=ci.get("efficiency_8_hi", np.nan), below_07_from=w07,
                         generations=int(g["generations"].iloc[0]), fitted_on=", ".join(str(w) for w in g["workers"])))
    return pd.DataFrame(rows)


def judged_model(measured: dict | None) -> str:
    """The island model open question 3 is judged on: the decentralised one without a barrier once the
    message cost is measured (``bench ray-messages``), else today's driver-paced one."""
    return "island-async" if measured else "island"


def hundred(p: WorkersParams, T: pd.DataFrame, sim: pd.DataFrame, measured: dict | None = None) -> dict | None:
    """The simulated islands' efficiency at the largest simulated count of at least 100 workers, one
    value per simulation seed (``sim_seeds`` of them: ``sim``'s own row for ``seed``, then seeds
    ``seed + 1``, ...; a row is a pure function of the calibration, the seed and W), for the model
    ``judged_model(measured)`` (named in the result's ``model``). None below 100."""
    from ..cluster_sim import sweep

    big = [w for w in p.sim_workers if w >= 100]
    if not big:
        return None
    W, model = max(big), judged_model(measured)
    first = sim[(sim["model"] == model) & (sim["workers"] == W)]["efficiency"].tolist()
    more = [sweep(calibration(p, T, measured=measured), workers=[W], model=model, sim_generations=p.sim_generations,
                  seed=p.seed + k, per_worker=max(2, p.popsize // p.islands), migrants=p.migrants,
                  migrate_every=p.migrate_every)["efficiency"].iloc[0] for k in range(1, p.sim_seeds)]
    return {"workers": W, "efficiency": np.asarray(first + more, dtype=float), "model": model}


MESSAGES_JSON = "ray-messages.json"
"""``bench ray-messages``' file under the checkout's ``results/bench/``."""


def ray_messages(root=None) -> dict | None:
    """The committed ``bench ray-messages`` measurement (per-call and per-byte message cost, the
    islands on 2 workers), or None where it is not stored."""
    import json

    from .gpu import CHECKOUT_RESULTS

    path = Path(root or CHECKOUT_RESULTS) / "bench" / MESSAGES_JSON
    return json.loads(path.read_text()) if path.exists() else None


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


def island_check(p: WorkersParams, T: pd.DataFrame, measured: dict | None) -> pd.DataFrame | None:
    """The simulation against ``bench ray-messages``' islands on 2 workers: per mode, measured and
    modelled evaluations per second and the driver's busy share (measured: its CPU seconds over the
    wall-clock; modelled: its message time over the simulated time, equal speeds). None without it."""
    from ..cluster_sim import sweep

    if not measured:
        return None
    m = measured["islands"]
    cal = dataclasses.replace(calibration(p, T, measured=measured), speed_cv=0.0)
    gens = max(1, m["budget_evals"] // (m["islands"] * m["popsize"]))
    rows = []
    for mode, model in (("paced", "island"), ("sync", "island-sync"), ("async", "island-async")):
        if mode not in m["modes"]:
            continue
        sim = sweep(cal, [m["islands"]], model, sim_generations=gens, popsize=m["popsize"], migrants=m["migrants"],
                    migrate_every=m["migrate_every"], barrier=mode == "paced").iloc[0]
        got = m["modes"][mode]
        rows.append({"mode": mode, "throughput_measured": got["throughput_eps"],
                     "throughput_modelled": sim["throughput_eps"], "driver_busy_measured": got["driver_busy"],
                     "driver_busy_modelled": sim["driver_busy"], "driver_messages": got["driver_messages"]})
    return pd.DataFrame(rows)


def simulate(p: WorkersParams, T: pd.DataFrame, measured: dict | None = None) -> pd.DataFrame:
    """Central server vs islands for ``sim_workers``, calibrated on the first task of ``T``: one core's
    seconds per individual (in-process evaluation), the driver's ask + tell (scaled linearly with the
    population, as pycma's rank-mu update and its eigendecomposition frequency are), and Ray's
    per-message cost (Ray-1 minus in-process evaluation time, over 2 messages). Both models use
    ``popsize / islands`` individuals per worker. A third curve, "central, O(n) update", is the central
    server with a free update (what OpenAI-ES or sep-CMA-ES cost at this n is < 1 % of a generation,
    chapter 1), so only messages and stragglers limit it; and "…, seeds only" the same with Salimans et
    al.'s shared-noise trick (workers regenerate the perturbations from a seed: 8 bytes out per
    individual instead of n parameters). With ``bench ray-messages``' measurement (``measured``) the
    messages cost what it measured, per call and per byte, and the decentralised islands join
    ("island-sync", "island-async"); "island" stays today's driver-paced islands."""
    from ..cluster_sim import sweep

    cal = calibration(p, T, measured=measured)
    per_worker = max(2, p.popsize // p.islands)
    kw = dict(workers=p.sim_workers, sim_generations=p.sim_generations, seed=p.seed, per_worker=per_worker)
    free = dataclasses.replace(cal, tell_s=0.0)  # an O(n) update (OpenAI-ES, sep-CMA-ES): ~free at this n
    df = pd.concat([sweep(cal, model="central", **kw),
                    sweep(free, model="central", **kw).assign(model="central, O(n) update"),
                    sweep(free, model="central", seed_only=True, **kw).assign(model="central, O(n) update, seeds only"),
                    *[sweep(cal, model=m, migrants=p.migrants, migrate_every=p.migrate_every, **kw)
                      for m in (("island", "island-sync", "island-async") if measured else ("island",))]],
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
