"""Open question 1 -- backprop vs evolution: PPO against three ES on matched budgets, and the number of
cores at which ES's parallelism overtakes PPO's data efficiency.

Runs: per task, the ES rows of chapter 5 (``methods.method_settings``: torch CMA-ES, OpenAI-ES, GA;
popsize 64) and PPO with the zoo's hyper-parameters at 3x the zoo's budget. LunarLander's ES runs are
chapter 3's and chapter 5's configurations (identical keys, one run each); its PPO runs are chapter
5's. Every curve has three x axes: env steps, training episodes, and wall-clock on one core --
the last *modelled* from per-method unit costs measured on an idle core (``measure_costs``; the
campaign's ``wall_s`` is measured beside other work at nice 19, so it is not used).

The crossover in cores (``time_to_threshold``): a run's one-core time splits into a parallel part
(ES: evaluating the population; PPO: collecting the rollout over ``n_envs`` environments) and a
sequential part (ES: ask + tell; PPO: the gradient update). On W cores the parallel part shrinks by
a speedup that is measured where it was (ES: chapter 4's Ray speedup at 1-2 workers; PPO: SB3
``SubprocVecEnv`` at 1-2 processes) and extrapolated beyond at the last measured efficiency
(PPO capped at ``n_envs`` processes); the sequential part does not shrink.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..config import RunConfig, parse_hidden
from ..envs import get_spec
from ..stats import MIN_SEEDS, N_RESAMPLES, compare, iqm_ci, km_medians
from . import available, check_parameters, methods, report, results_root, run_many, seed_list
from .unit_costs import cost_paths, load_costs  # noqa: F401  (chapters 6 and 9 read them through this module)

ES_ROWS = ("cmaes", "openai_es", "ga")  # methods.GRID_ROWS' names; "cmaes" is the torch CMA-ES
LABELS = {**methods.LABELS, "cmaes": "CMA-ES (torch)", "torch_cmaes": "CMA-ES (torch)"}
ZOO_STEPS = {"CartPole-v1": 100_000, "LunarLander-v3": 1_000_000, "BipedalWalker-v3": 5_000_000}
CORES = np.array([1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024])


def _task(budget_evals, eval_every, ppo_steps, ppo_eval_every, seeds, rows=ES_ROWS, eval_episodes=100, hidden="64,32"):
    return dict(budget_evals=budget_evals, eval_every=eval_every, ppo_steps=ppo_steps, ppo_eval_every=ppo_eval_every,
                seeds=seeds, rows=tuple(rows), eval_episodes=eval_episodes, hidden=hidden)


PROFILES = {
    # CI: seconds; the numbers mean nothing
    "smoke": dict(popsize=8, train_missing=True, costs_from_runs=True, tasks={
        "CartPole-v1": _task(32, 16, 1_024, 512, 2, ("cmaes", "openai_es"), eval_episodes=3, hidden="4,2")}),
    # about an hour on 2 cores
    "quick": dict(popsize=64, train_missing=True, costs_from_runs=False, tasks={
        "CartPole-v1": _task(3_200, 640, 100_000, 10_000, 5),
        "LunarLander-v3": _task(10_240, 2_560, 300_000, 100_000, 5)}),
    # the campaign's runs: PPO at 3x the zoo's budget, ES on chapter 3's protocol
    "book": dict(popsize=64, train_missing=False, costs_from_runs=False, tasks={
        "CartPole-v1": _task(6_400, 640, 300_000, 10_000, 10),
        "LunarLander-v3": _task(102_400, 2_560, 3_000_000, 100_000, 10),
        # ES: 200 generations, about 18M env steps (3.6x PPO's; Salimans: ES needs 3-10x), 1.7 CPU-h a seed
        "BipedalWalker-v3": _task(12_800, 2_560, 5_000_000, 250_000, 3, ("openai_es",), eval_episodes=20,
                                  hidden="")}),
}
PROFILES["full"] = {**PROFILES["book"], "train_missing": True}
PRIORITY = {("LunarLander-v3", "es"): 4, ("LunarLander-v3", "ppo"): 3, ("CartPole-v1", "es"): 3,
            ("CartPole-v1", "ppo"): 3, ("BipedalWalker-v3", "es"): 7, ("BipedalWalker-v3", "ppo"): 7}
"""The campaign's order for this chapter: LunarLander's PPO before its OpenAI-ES and GA runs, since its
torch CMA-ES runs (the headline comparison's ES side) are chapter 3's, trained first."""
COST_PRIORS = {("ppo", "LunarLander-v3"): 5e-4, ("ppo", "BipedalWalker-v3"): 1.3e-3,
               ("openai_es", "BipedalWalker-v3"): 0.45}
"""CPU-seconds per unit (PPO: env step; ES: training episode) on one core of the 2-core development
machine, for the campaign's plan until a stored run of the cell replaces them (``campaign.CostModel``;
without them a first run fell back on 1 ms a step or the task's median ES cost, and the plan could start a
BipedalWalker run the session's hard stop then killed). LunarLander PPO: its ten 3M-step runs took 18-35
CPU-min. BipedalWalker PPO: seed 0's first 786,432 steps took 1,034 CPU-s beside another run (1.3 ms a
step with its solved tests; 346 us a step plus 27.4 s a 65,536-step update on an idle core). BipedalWalker
OpenAI-ES: seed 0's first 2,560 episodes took 1,102 CPU-s (0.43 s each): episodes lengthen from about 600
steps to the 1,600-step limit once a walker stands, so 25,600 episodes would have cost about 3 CPU-h a
seed, hence the book's 12,800."""


@dataclass(frozen=True)
class BackpropParams:
    profile: str = "book"
    """smoke | quick | book | full -- sets the default of every parameter left at None."""
    tasks: dict | None = None
    """{task: dict(budget_evals, eval_every, ppo_steps, ppo_eval_every, seeds, rows, eval_episodes, hidden)}:
    per task the ES's episode budget and solved-test interval, PPO's env-step budget and interval, the
    seeds, the ES rows, the episodes per solved test and the ES's hidden widths ("": the registry's)."""
    popsize: int | None = None
    """ES population, individuals per generation."""
    processes: int | None = None
    """Runs trained in parallel, one core each (None: all cores)."""
    costs_from_runs: bool | None = None
    """Without the idle-core cost table, take the unit costs from the runs' own (shared-machine)
    timings (smoke: so the crossover is exercised; never for the book)."""
    train_missing: bool | None = None
    """Train runs the results store lacks (False for the book profile: the campaign trains them)."""

    def configs(self, task: str | None = None) -> list[tuple[str, RunConfig]]:
        """(side, config) for every run: side "es" or "ppo"."""
        mp = methods.params({"profile": "book"})  # chapter 5's ES hyper-parameters (identical in every profile)
        out = []
        for env, t in self.tasks.items():
            if task is not None and env != task:
                continue
            hidden = parse_hidden(t["hidden"]) if t["hidden"] else get_spec(env).default_hidden
            for s in seed_list(t["seeds"]):
                out += [("es", RunConfig(env=env, hidden=hidden, popsize=self.popsize, budget_evals=t["budget_evals"],
                                         eval_every=t["eval_every"], eval_episodes=t["eval_episodes"], seed=s,
                                         **methods.method_settings(mp, row))) for row in t["rows"]]
                out.append(("ppo", RunConfig(method="ppo", env=env, budget_steps=t["ppo_steps"],
                                             eval_every=t["ppo_eval_every"], eval_episodes=t["eval_episodes"], seed=s)))
        return out


ES_NETWORK_PPO = ("LunarLander-v3",)
"""Tasks whose PPO also trains on the evolution strategies' network (issue 34's fair rivals)."""


def es_network_ppo_configs(p: BackpropParams) -> list[RunConfig]:
    """PPO with the evolution strategies' network: an actor and a critic with the ES's hidden widths
    (LunarLander: 64-32, 2,788 actor parameters like the ES's policy; the zoo's default is 64-64 and a
    separate 64-64 critic), the same env-step budget and seeds as the zoo network's runs."""
    out = []
    for env, t in p.tasks.items():
        if env not in ES_NETWORK_PPO:
            continue
        hidden = parse_hidden(t["hidden"]) if t["hidden"] else get_spec(env).default_hidden
        out += [RunConfig(method="ppo", env=env, budget_steps=t["ppo_steps"], eval_every=t["ppo_eval_every"],
                          eval_episodes=t["eval_episodes"], seed=s, hyper={"net_arch": tuple(hidden)})
                for s in seed_list(t["seeds"])]
    return out


def es_method(task: dict) -> str:
    """The ES a task's verdicts and crossover use: the torch CMA-ES where the task runs it, else its first ES."""
    return "torch_cmaes" if "cmaes" in task["rows"] else task["rows"][0]


def es_methods(task: dict) -> tuple[str, ...]:
    """The trainers of a task's ES rows (the row "cmaes" is the torch CMA-ES), headline first."""
    rest = tuple("torch_cmaes" if r == "cmaes" else r for r in task["rows"])
    return (es_method(task), *(m for m in rest if m != es_method(task)))


def params(namespace: dict) -> BackpropParams:
    return check_parameters(BackpropParams, namespace, PROFILES)


def where(p: BackpropParams):
    return results_root() / p.profile / "runs"


def run(p: BackpropParams, log=print) -> pd.DataFrame | None:
    """All stored (or, with ``train_missing``, trained) records of the chapter's runs."""
    configs = [c for _, c in p.configs()]
    if not p.train_missing:
        df, missing = available(configs, where(p))
        if missing:
            log(f"{len(missing)} of {len(configs)} runs not stored yet (the campaign trains them)")
        return df
    return run_many(configs, where(p), processes=p.processes, log=log)


# ---------------------------------------------------------------- one-core cost model

def unit_costs(df: pd.DataFrame) -> pd.DataFrame:
    """Per (method, env): one-core seconds of the parallel part per env step (``pop_eval_s``: ES
    population evaluation, PPO rollout; median over generations) and of the sequential part per
    generation/update (``opt_s``; the mean, so a full CMA-ES's eigendecomposition every few
    generations counts at its amortised share), from records of runs timed on an idle core."""
    rows = []
    for (m, env), g in df.groupby(["method", "env"]):
        g = g.sort_values(["seed", "generation"])
        steps = g.groupby("seed")["env_steps"].diff()  # per generation; the first kept one of a cut run: unknown
        steps = steps.where(g["generation"] != 0, g["env_steps"])
        per_step = (g["pop_eval_s"] / steps.clip(lower=1))[steps.notna()]
        rows.append(dict(method=m, env=env, eval_s_per_step=float(np.median(per_step)),
                         serial_s_per_gen=float(np.mean(g["opt_s"])), machine=g["machine"].iloc[0]))
    return pd.DataFrame(rows, columns=["method", "env", "eval_s_per_step", "serial_s_per_gen", "machine"])


def one_core_wall(df: pd.DataFrame, costs: pd.DataFrame | None) -> pd.Series:
    """Each record's modelled one-core training time: env_steps x eval cost + updates x serial cost
    (NaN where the method's costs are not measured)."""
    if costs is None or costs.empty:
        return pd.Series(np.nan, index=df.index)
    c = df[["method", "env"]].merge(costs, on=["method", "env"], how="left").set_index(df.index)
    return df["env_steps"] * c["eval_s_per_step"] + (df["generation"] + 1) * c["serial_s_per_gen"]


def measure_costs(p: BackpropParams, tasks=("CartPole-v1", "LunarLander-v3"), generations: int = 20,
                  ppo_rollouts: int = 5, log=print) -> pd.DataFrame:
    """Time short runs of every method of each task (the chapter's own configurations of ``p``, seed 0)
    on this (idle!) machine, one core, one thread -> ``unit_costs``. An ES is timed over
    ``generations``, rounded up to whole periods of its sequential cost (a full CMA-ES decomposes its
    covariance every few dozen generations: ``trainers.timed_generations``), after one period that is
    not timed (the first decomposition comes at its end); PPO over ``ppo_rollouts`` rollouts + updates."""
    import torch
    from threadpoolctl import threadpool_limits

    from ..baselines.zoo import zoo_hyperparams
    from ..runs import train_records
    from ..train import build
    from ..trainers import serial_period, timed_generations

    torch.set_num_threads(1)
    frames = []
    with threadpool_limits(1):
        for env in tasks:
            first = seed_list(p.tasks[env]["seeds"])[0]
            for side, c in p.configs(env):
                if c.seed != first:
                    continue
                if side == "ppo":
                    z = zoo_hyperparams(env)
                    frames.append(train_records(c.replace(budget_steps=z["n_steps"] * z["n_envs"] * ppo_rollouts,
                                                          eval_every=0, eval_episodes=1)))
                    continue
                c = c.replace(eval_every=0, eval_episodes=1)
                trainer = build(c)[1]
                skip, g = serial_period(trainer), timed_generations(trainer, generations)
                df = train_records(c.replace(budget_evals=c.popsize * (skip + g)))
                frames.append(df[df["generation"] >= skip])
            log(f"{env}: timed")
    return unit_costs(pd.concat(frames, ignore_index=True))


def measure_ppo_speedup(env_id: str, processes=(1, 2), steps: int = 256, n_envs: int | None = None) -> pd.DataFrame:
    """PPO's rollout on W cores: its ``n_envs`` environments as SB3 ``SubprocVecEnv`` processes pinned
    (with the driver) to W cores, against ``DummyVecEnv`` in one process on one core; ``steps``
    vectorised steps of the untrained policy each. One row per W: seconds and speedup over W = 1."""
    import os
    import time

    from stable_baselines3 import PPO
    from stable_baselines3.common.vec_env import SubprocVecEnv

    from ..baselines.ppo import _make_venv, ppo_kwargs, zoo_hyperparams

    merged = zoo_hyperparams(env_id, None if n_envs is None else {"n_envs": n_envs})
    dummy = _make_venv(env_id, merged)
    model = PPO(merged.get("policy", "MlpPolicy"), dummy, seed=0, device="cpu", **ppo_kwargs(merged))
    cores, rows = sorted(os.sched_getaffinity(0)), []
    try:
        for w in processes:
            if w > len(cores):
                raise ValueError(f"{w} processes asked, {len(cores)} cores available")
            os.sched_setaffinity(0, cores[:w])
            venv = dummy if w == 1 else SubprocVecEnv([lambda: _make_venv(env_id, {**merged, "n_envs": 1}).envs[0]]
                                                      * merged["n_envs"], start_method="fork")
            obs, t = venv.reset(), time.perf_counter()
            for _ in range(steps):
                obs = venv.step(model.predict(obs, deterministic=False)[0])[0]
            rows.append(dict(env=env_id, workers=w, seconds=time.perf_counter() - t, n_envs=merged["n_envs"]))
            if venv is not dummy:
                venv.close()
    finally:
        os.sched_setaffinity(0, cores)
    out = pd.DataFrame(rows)
    return out.assign(speedup=out["seconds"].iloc[0] / out["seconds"])


def es_speedup_path(profile: str, env: str, method: str):
    """The ES Ray speedup measured for this chapter where chapter 4 has none (e.g. CartPole)."""
    return results_root() / profile / "backprop" / f"es-speedup-{env.replace('/', '_')}-{method}.csv"


def ppo_timings_path(profile: str):
    """``bench.ppo_costs`` timings of every task (idle machine), the PPO side's cost model."""
    return results_root() / profile / "backprop" / "ppo-costs.csv"


def load_ppo_timings(profile: str) -> pd.DataFrame | None:
    path = ppo_timings_path(profile)
    return pd.read_csv(path) if path.exists() else None


def _speedup_files(profile: str, env: str, method: str) -> list:
    """Chapter 4's speedup tables of (env, method), else this chapter's own measurement."""
    chapter4 = sorted((results_root() / profile / "workers").glob(f"speedup-{env.replace('/', '_')}-{method}-*.csv"))
    own = es_speedup_path(profile, env, method)
    return chapter4 or ([own] if own.exists() else [])


def measure_and_store(profile: str = "book", tasks=("CartPole-v1", "LunarLander-v3"), log=print,
                      generations: int = 20, ppo_rollouts: int = 5, steps: int = 256, es_speedup_only: bool = False) -> dict:
    """Run on an idle machine: ``measure_costs`` and ``measure_ppo_speedup`` (``steps`` vectorised
    steps) per task of ``profile``, written to ``cost_paths`` (replacing these tasks' rows, keeping the
    others'; skipped with ``es_speedup_only``); and the Ray speedup of each of the task's ES methods
    (chapter 4's ``measure_speedup`` on this chapter's network) that chapter 4 has not measured."""
    from ..store import atomic_write
    from . import workers

    P = params({"profile": profile})
    unknown = [t for t in tasks if t not in P.tasks]
    if unknown:
        raise ValueError(f"no task {', '.join(map(repr, unknown))} in chapter 6's {profile!r} profile; "
                         f"valid: {', '.join(P.tasks)}")
    out = {"unit_costs": [], "ppo_speedup": [], "es_speedup": []}
    if not es_speedup_only:
        costs = measure_costs(P, tasks, generations, ppo_rollouts, log)
        speed = pd.concat([measure_ppo_speedup(t, steps=steps) for t in tasks], ignore_index=True)
        for table, path in zip((costs, speed), cost_paths(profile)):
            if path.exists():  # the other tasks' rows stay
                old = pd.read_csv(path)
                table = pd.concat([old[~old["env"].isin(tasks)], table], ignore_index=True)
            atomic_write(path, lambda f, t=table: t.to_csv(f, index=False))
        out.update(unit_costs=costs.to_dict("records"), ppo_speedup=speed.to_dict("records"))
    for env in tasks:
        t = P.tasks[env]
        hidden = parse_hidden(t["hidden"]) if t["hidden"] else None
        wp = workers.params({"profile": profile, "popsize": P.popsize})
        for m in es_methods(t):
            if _speedup_files(profile, env, m):
                continue
            table = workers.measure_speedup(env, m, wp, log, hidden=hidden)
            atomic_write(es_speedup_path(profile, env, m), lambda f, t=table: t.to_csv(f, index=False))
            out["es_speedup"] += workers.speedup_table(table).to_dict("records")
    return out


def measure_ppo_timings(profile: str = "book", tasks=("CartPole-v1", "LunarLander-v3"), steps: int = 256,
                        repeats: int = 5, log=print) -> dict:
    """Run on an idle machine: ``bench.ppo_costs.measure`` per task, written to ``ppo_timings_path``
    (these tasks' rows replaced, the others' kept); per task the fitted ``ppo_model.PPOCostModel`` and
    its 2-process check (model / measured)."""
    import dataclasses

    from ..bench.ppo_costs import measure
    from ..store import atomic_write
    from .ppo_model import PPOCostModel

    frames, out = [], {}
    for env in tasks:
        log(f"{env}: timing PPO's parts")
        df = measure(env, steps=steps, repeats=repeats)
        m = PPOCostModel.fit(df)
        out[env] = {**dataclasses.asdict(m), "check_2_processes": m.check(df), "machine": df["machine"].iloc[0]}
        frames.append(df)
    table, path = pd.concat(frames, ignore_index=True), ppo_timings_path(profile)
    if path.exists():
        old = pd.read_csv(path)
        table = pd.concat([old[~old["env"].isin(tasks)], table], ignore_index=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(path, lambda f: table.to_csv(f, index=False))
    return out


# ---------------------------------------------------------------- the crossover in cores

def ipc_speedup(measured: dict, p) -> np.ndarray:
    """Speedup of a parallel part on ``p`` processes from a cost model calibrated on the measured
    speedup at 2 (``measured[2]``): per unit of one process's time, t(p) = 1 / p + c (p - 1), the
    work split evenly and each extra process costing c for its messages, with c = 1 / s(2) - 1 / 2.
    A side whose 2-process speedup is below 1 (c > 1/2) never gains from a second process here."""
    c = max(0.0, 1 / float(measured[2]) - 0.5)
    p = np.asarray(p, dtype=float)
    return 1 / (1 / p + c * (p - 1))


def speedup(W, measured: dict, cap: int | None = None, modelled: dict | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Speedup of the parallel part with W cores at hand, and whether it rests on a measurement. Per W
    the best process count p <= W (<= ``cap``: PPO runs one environment per process at most), p's
    speedup being measured where it was (1 process: 1 by definition), else ``modelled`` (e.g.
    ``cluster_sim``) where given, else ``ipc_speedup`` calibrated at 2 processes; NaN where none of
    these exists (no constant-efficiency extrapolation). So a side never gets slower with more cores."""
    W = np.atleast_1d(np.asarray(W, dtype=float)).astype(int)
    known = {1: 1.0, **{int(k): float(v) for k, v in measured.items()}}
    model = {int(k): float(v) for k, v in (modelled or {}).items()}
    top = int(min(W.max(), cap)) if cap else int(W.max())
    p = np.arange(1, top + 1)
    if model:  # the model's counts and the measured ones are the candidates
        each = np.array([known.get(k, model.get(k, np.nan)) for k in p])
    elif 2 in known:
        each = np.array([known.get(k, f) for k, f in zip(p, ipc_speedup(known, p))])
    else:  # nothing to model beyond one process from
        each = np.where(p == 1, 1.0, np.nan)
    each = np.where(np.isfinite(each), each, -np.inf)
    which = np.array([int(np.argmax(each[:k])) + 1 for k in p])  # the best count with at most p processes
    used = np.minimum(W, top) - 1
    out = each[which[used] - 1]
    if not model and 2 not in known:
        out = np.where(W > 1, np.nan, out)
    return out, np.isin(which[used], list(known)) & np.isfinite(out)


def time_to_threshold(steps_to, gens_to, eval_s_per_step: float, serial_s_per_gen: float, W, measured: dict,
                      cap: int | None = None, modelled: dict | None = None, speedups=None) -> np.ndarray:
    """Seconds to the threshold on W cores, one row per seed: steps x eval cost / speedup(W) + gens x
    serial cost / serial speedup(W). ``speedups``: (parallel, serial) speedup arrays over W from a cost
    model (``ppo_model``), used instead of ``speedup``; without it the serial part stays at one core's."""
    s, serial = speedups if speedups is not None else (speedup(W, measured, cap, modelled)[0], 1.0)
    steps, gens = np.asarray(steps_to, float)[:, None], np.asarray(gens_to, float)[:, None]
    return steps * eval_s_per_step / np.asarray(s)[None, :] + gens * serial_s_per_gen / np.asarray(serial)


def km_columns(t: np.ndarray, r: np.ndarray) -> np.ndarray:
    """Kaplan-Meier median per column of ``t`` (..., n seeds, K), the seeds' reached flags ``r``
    (..., n) shared by every column: (..., K)."""
    tt = np.moveaxis(np.asarray(t, dtype=float), -1, -2)
    rr = np.broadcast_to(np.asarray(r, dtype=bool)[..., None, :], tt.shape)
    return km_medians(tt.reshape(-1, tt.shape[-1]), rr.reshape(-1, rr.shape[-1])).reshape(tt.shape[:-1])


def crossover(es: np.ndarray, es_reached, ppo: np.ndarray, ppo_reached, W, n_resamples: int = N_RESAMPLES,
              seed: int = 0) -> dict:
    """The first W where the ES's Kaplan-Meier median time to the threshold drops below PPO's. ``es``
    and ``ppo``: seconds per seed (rows) and W (columns), a seed that never reached the threshold at its
    whole budget's seconds and flagged False in ``*_reached`` (censored, never dropped); or a stack of
    such matrices, one per cost-model draw (``ppo_model.draws``: the first is the point estimate).
    ``draws``: the crossover of each bootstrap resample over seeds, each side resampled and each with a
    random model draw (inf: no crossing within W), so the band covers the seeds and the timing noise;
    ``lo``/``hi`` its 95 % percentile CI (inf: beyond the largest W); ``share`` the resamples that cross;
    ``back``: the first larger W where PPO is ahead again (None: never); ``curves``: each side's median
    and 95 % band per W."""
    W = np.asarray(W, float)
    es, ppo = np.asarray(es, float), np.asarray(ppo, float)
    es_m, ppo_m = (x if x.ndim == 3 else x[None] for x in (es, ppo))  # model draws x seeds x W
    es, ppo = es_m[0], ppo_m[0]  # the point estimate: each side's model fitted on all its timings
    er, pr = np.asarray(es_reached, bool), np.asarray(ppo_reached, bool)

    def cross(a, b):
        below = a < b
        return np.where(below.any(-1), W[below.argmax(-1)], np.inf)

    out = dict(w=None, lo=None, hi=None, share=np.nan, n_es=len(es), n_ppo=len(ppo), reached_es=int(er.sum()),
               reached_ppo=int(pr.sum()), back=None, draws=np.array([]), curves={})
    if len(es) == 0 or len(ppo) == 0:
        return out
    m_es, m_ppo = km_columns(es, er), km_columns(ppo, pr)
    point = float(cross(m_es, m_ppo))
    if np.isfinite(point):  # where the ES falls behind again (e.g. a saturated central server), if it does
        behind = np.nonzero((W > point) & (m_es >= m_ppo))[0]
        out["back"] = float(W[behind[0]]) if behind.size else None
        out["w"] = point
    rng = np.random.default_rng(seed)
    ie, ip = rng.integers(len(es), size=(n_resamples, len(es))), rng.integers(len(ppo), size=(n_resamples, len(ppo)))
    me, mp = (rng.integers(len(x), size=(n_resamples, 1)) for x in (es_m, ppo_m))  # a model draw per resample
    b_es, b_ppo = km_columns(es_m[me, ie], er[ie]), km_columns(ppo_m[mp, ip], pr[ip])
    draws = cross(b_es, b_ppo)
    out.update(draws=draws, share=float(np.isfinite(draws).mean()),
               lo=float(np.percentile(draws, 2.5, method="lower")), hi=float(np.percentile(draws, 97.5, method="higher")))
    for side, mid, boot in (("es", m_es, b_es), ("ppo", m_ppo, b_ppo)):
        lo, hi = np.percentile(boot, [2.5, 97.5], axis=0, method="nearest")
        out["curves"][side] = (mid, lo, hi)
    return out


# ---------------------------------------------------------------- summaries and verdicts

def per_seed(df: pd.DataFrame, threshold: float, costs: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per (method, seed): final return (deterministic; PPO also sampled), env steps, episodes,
    updates and modelled one-core seconds to the first solved test at or above the threshold."""
    df = df.assign(wall_1core=one_core_wall(df, costs))
    if "eval_return_stochastic" not in df:
        df = df.assign(eval_return_stochastic=np.nan)
    rows = []
    for (m, s), g in df[np.isfinite(df["eval_return"])].groupby(["method", "seed"]):
        g = g.sort_values("env_steps")
        hit = g[g["eval_return"] >= threshold].head(1)
        at = lambda col: float(hit[col].iloc[0]) if len(hit) else np.nan  # noqa: E731
        rows.append(dict(method=m, seed=s, final=float(g["eval_return"].iloc[-1]),
                         final_stochastic=float(g["eval_return_stochastic"].iloc[-1]),
                         steps_to=at("env_steps"), evals_to=at("evals"), gens_to=at("generation") + 1,
                         wall_to=at("wall_1core"), max_steps=int(g["env_steps"].iloc[-1]),
                         max_wall=float(g["wall_1core"].iloc[-1]), max_gens=int(g["generation"].iloc[-1]) + 1))
    return pd.DataFrame(rows)


def at_x(df: pd.DataFrame, method: str, x: str, value: float) -> np.ndarray:
    """Each seed's solved-test return interpolated at ``x`` = value (its last value past its end)."""
    out = []
    for _, g in df[(df["method"] == method) & np.isfinite(df["eval_return"]) & np.isfinite(df[x])].groupby("seed"):
        g = g.sort_values(x)
        out.append(np.interp(value, g[x], g["eval_return"]))
    return np.asarray(out)


def summarise(df: pd.DataFrame | None, env: str, planned: int, costs: pd.DataFrame | None = None) -> dict:
    """Per method of one task: success, steps and one-core time to the threshold with each seed's
    budget (where one that never reached it is censored), final return; and the solved-test returns
    of both sides at equal env steps and at equal one-core time (the shorter side's end), compared
    (``stats.compare``: PPO - ES). ``backprop_verdicts`` judges the chapter's claims from it."""
    threshold = get_spec(env).solved
    out = dict(env=env, threshold=threshold, planned=planned, seeds=pd.DataFrame(), rows={}, compare={}, machine="")
    if df is None or df.empty or not (df["env"] == env).any():
        return out
    df = df[df["env"] == env].assign(wall_1core=lambda d: one_core_wall(d, costs))
    seeds = per_seed(df, threshold, costs)
    out.update(seeds=seeds, machine="; ".join(sorted(df["machine"].unique())))
    for m, g in seeds.groupby("method"):
        out["rows"][m] = dict(n=len(g), solved=int(np.isfinite(g["steps_to"]).sum()), final=g["final"].to_numpy(),
                              final_stochastic=g["final_stochastic"].to_numpy(), steps_to=g["steps_to"].to_numpy(),
                              wall_to=g["wall_to"].to_numpy(), max_steps=g["max_steps"].to_numpy(float),
                              max_wall=g["max_wall"].to_numpy(float))
    if "ppo" in out["rows"]:
        for m in out["rows"]:
            if m == "ppo":
                continue
            res = {}
            for x in ("env_steps", "wall_1core"):
                ends = df[df["method"].isin(["ppo", m])].groupby("method")[x].max()
                if len(ends) == 2 and np.isfinite(ends).all():
                    at = float(ends.min())
                    ppo_at, es_at = at_x(df, "ppo", x, at), at_x(df, m, x, at)
                    res[x] = dict(at=at, cmp=compare(ppo_at, es_at), ppo=ppo_at, es=es_at)
            out["compare"][m] = res
    return out


def table(S: dict, order: tuple[str, ...] = ()) -> pd.DataFrame:
    """Readers' table of one task: per method success, steps / one-core time to the threshold, final return,
    and P(PPO > this ES) at equal env steps and at equal one-core seconds (the shorter side's end). Rows in
    ``order`` (e.g. PPO, then the task's ES headline first), any other method after them."""
    def reached(r, to, budget, digits=0):  # censored seeds count at their budget (report.to_threshold)
        hit = np.isfinite(r[to])
        return report.to_threshold(np.where(hit, r[to], r[budget]), hit, digits, S["planned"])

    def p_ppo(m, x, digits):
        c = S["compare"].get(m, {}).get(x)
        if m == "ppo" or c is None:
            return "–"
        cmp, at = c["cmp"], report.num(c["at"], digits)
        if min(cmp["n_x"], cmp["n_y"]) < MIN_SEEDS:
            return f"– at {at} (n = {cmp['n_x']} vs {cmp['n_y']})"
        return f"{report.ci(cmp['p'], cmp['p_lo'], cmp['p_hi'], 2)} at {at} (n = {cmp['n_x']} vs {cmp['n_y']})"

    rows = []
    for m in sorted(S["rows"], key=lambda m: order.index(m) if m in order else len(order)):
        r = S["rows"][m]
        rows.append({"method": LABELS.get(m, m), "seeds solved": f"{r['solved']} ({report.n_of(r['n'], S['planned'])})",
                     "env steps to threshold": reached(r, "steps_to", "max_steps"),
                     "one-core s to threshold": reached(r, "wall_to", "max_wall", 1),
                     "final return (deterministic)": report.over_seeds(r["final"], 0, S["planned"]),
                     "final return (sampled actions)": report.over_seeds(r["final_stochastic"], 0, S["planned"])
                     if m == "ppo" else "= deterministic",
                     "P(PPO > ES), equal env steps": p_ppo(m, "env_steps", 0),
                     "P(PPO > ES), equal one-core s": p_ppo(m, "wall_1core", 1)})
    return pd.DataFrame(rows).set_index("method") if rows else pd.DataFrame()


def band(values: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """IQM and 95 % CI per column over finite rows (NaN where fewer than MIN_SEEDS)."""
    v = values[np.isfinite(values).all(1)] if values.size else values
    if len(v) < MIN_SEEDS:
        nan = np.full(values.shape[1], np.nan)
        return nan, nan, nan
    return tuple(np.array(x) for x in zip(*(iqm_ci(v[:, j]) for j in range(v.shape[1]))))


# ---------------------------------------------------------------- the chapter's crossover and figures

ES_MODEL_DRAWS = 20
"""Refits of the ES side's speedup model on resampled timings, for the crossover's band (each refit is
one simulation sweep; the first item of ``es_speedup_draws`` is the fit on all timings)."""
DRAW_SIM_GENERATIONS = 50
"""Simulated generations per refit (the point estimate simulates the profile's ``sim_generations``)."""


def es_speedup_draws(profile: str, env: str, W=CORES, method: str = "torch_cmaes", draws: int = ES_MODEL_DRAWS,
                     seed: int = 0) -> list[tuple[dict, dict]]:
    """ES evaluation speedups over the in-process evaluator, as (measured, modelled) dicts keyed by
    worker count: measured at 1-2 Ray workers (chapter 4's timings for ``method``, else this chapter's
    own measurement, ``measure_and_store``) and modelled beyond by ``cluster_sim``'s central server
    calibrated on them, with the ask + tell left out (it is the sequential part) and at most
    ``popsize`` workers (a generation has no more evaluations to share out; ``speedup`` keeps the best
    count for larger W). The first item is the fit on all timings; each of the ``draws`` others refits
    the calibration and re-simulates on the timed generations resampled with replacement within each
    worker count (the same resampling as ``ppo_model.draws``). [] where no timing exists."""
    import dataclasses

    from ..cluster_sim import sweep
    from . import workers

    files = _speedup_files(profile, env, method)
    if not files:
        return []
    raw = pd.concat([pd.read_csv(f) for f in files], ignore_index=True)
    p = workers.params({"profile": profile})
    rng = np.random.default_rng(seed)
    groups = [g.index.to_numpy() for _, g in raw.groupby("workers")]
    out = []
    for k in range(draws + 1):
        sample = raw if k == 0 else raw.loc[np.concatenate([g[rng.integers(len(g), size=len(g))] for g in groups])]
        T = workers.speedup_table(sample)
        measured = {int(r.workers): float(r.eval_speedup) for r in T.itertuples() if r.workers >= 1}
        cal = dataclasses.replace(workers.calibration(p, T, env), tell_s=0.0)
        beyond = [int(w) for w in np.asarray(W) if max(measured) < w <= p.popsize]
        sim = sweep(cal, workers=beyond, model="central", popsize=p.popsize, seed=p.seed + k,
                    sim_generations=p.sim_generations if k == 0 else min(p.sim_generations, DRAW_SIM_GENERATIONS)
                    ) if beyond else pd.DataFrame(columns=["workers", "speedup"])
        out.append((measured, dict(zip(sim["workers"].astype(int), sim["speedup"]))))
    return out


def es_speedup(profile: str, env: str, W=CORES, method: str = "torch_cmaes") -> tuple[dict, dict]:
    """``es_speedup_draws``' fit on all timings: (measured, modelled); ({}, {}) where none exists."""
    fits = es_speedup_draws(profile, env, W, method, draws=0)
    return fits[0] if fits else ({}, {})


def missing_inputs(S: dict, costs: pd.DataFrame | None, es_speed: dict, ppo_speed: dict,
                   es: str = "torch_cmaes") -> str | None:
    """What the crossover of one task still lacks, in words (None: nothing)."""
    lacks = [what for what, missing in (
        (f"{LABELS.get(es, es)} runs", es not in S["rows"]), ("PPO runs", "ppo" not in S["rows"]),
        ("the idle-core unit costs", costs is None or not {es, "ppo"} <= set(costs[costs["env"] == S["env"]].method)),
        ("the ES's measured Ray speedup", not es_speed), ("PPO's measured process speedup", not ppo_speed)) if missing]
    return "; ".join(lacks) if lacks else None


def cores(S: dict, costs: pd.DataFrame | None, es_speed: dict, ppo_speed: dict, es: str = "torch_cmaes",
          W=CORES, es_modelled: dict | None = None, ppo_timings: pd.DataFrame | None = None,
          model_draws: int = 200, es_draws: list[tuple[dict, dict]] | None = None) -> dict | None:
    """Time to the threshold against cores for ``es`` and PPO (every seed; one that never reached it
    counts at its whole budget's time, censored), and the crossover (``crossover``);
    None while an input is missing (``missing_inputs``): runs, one-core costs or a measured speedup
    (without one the model would silently assume linear scaling). With W cores at hand each side runs
    on as many of them (up to W) as is fastest, so more cores never make a run slower. PPO's speedups
    come from ``ppo_model`` fitted to ``ppo_timings`` where given (its rollout and its update, with
    ``model_draws`` refits on resampled timings for the crossover's band), else from its measured
    2-process speedup (``speedup``: the update held at one core's cost). The ES's speedups come from
    ``es_speed``/``es_modelled``, and the crossover's band also from ``es_draws`` where given (refits on
    resampled timings, ``es_speedup_draws``), so both sides' bands include their timing noise."""
    if missing_inputs(S, costs, es_speed, ppo_speed, es):
        return None
    from ..baselines.zoo import zoo_hyperparams
    from .ppo_model import draws

    c = costs[costs["env"] == S["env"]].set_index("method")
    seeds = S["seeds"].set_index("method")
    n_envs = int(zoo_hyperparams(S["env"])["n_envs"])
    W = np.asarray(W)
    models = draws(ppo_timings, model_draws) if ppo_timings is not None and len(ppo_timings) else None
    out = dict(W=W, es_measured=speedup(W, es_speed, None, es_modelled)[1],
               ppo_measured=W <= 2 if models else speedup(W, ppo_speed, n_envs)[1], reached={},
               ppo_model=models[0] if models else None)
    stacks = {}
    for side, speed, cap, model in ((es, es_speed, None, es_modelled), ("ppo", ppo_speed, n_envs, None)):
        g = seeds.loc[[side]]
        hit = np.isfinite(g["steps_to"]).to_numpy()
        steps = np.where(hit, g["steps_to"], g["max_steps"])  # never reached: its whole budget, censored
        gens = np.where(hit, g["gens_to"], g["max_gens"])
        if side == "ppo":
            each = [m.speedups(W) for m in models] if models else [None]
        else:  # the point fit first, then the refits (their own measured 1-2 and modelled speedups)
            each = [(speedup(W, speed, None, model)[0], 1.0)] + [
                (speedup(W, m, None, mod)[0], 1.0) for m, mod in (es_draws or [])[1:]]
        t = np.stack([time_to_threshold(steps, gens, c.loc[side, "eval_s_per_step"], c.loc[side, "serial_s_per_gen"],
                                        W, speed, cap, model, sp) for sp in each])
        stacks[side] = np.minimum.accumulate(t, axis=2)  # the best worker count up to W (W ascending)
        out[side] = stacks[side][0]
        out["reached"][side] = hit
    out["cross"] = crossover(stacks[es], out["reached"][es], stacks["ppo"], out["reached"]["ppo"], W)
    out["es"] = es
    out["complete"] = all(S["rows"][m]["n"] >= S["planned"] for m in (es, "ppo"))  # every planned seed stored
    return out


def crossover_for(profile: str, S: dict, costs: pd.DataFrame | None, ppo_speed: pd.DataFrame | None,
                  es: str, ppo_timings: pd.DataFrame | None = None) -> tuple[dict | None, str | None]:
    """``cores`` for one task and one ES method, with this method's own measured Ray speedup (chapter 4's
    or this chapter's; none measured: not available, never assumed linear) and PPO's process speedup;
    (C, what is missing)."""
    ppo_env = {} if ppo_speed is None else ppo_speed[ppo_speed.env == S["env"]]
    es_draws = es_speedup_draws(profile, S["env"], method=es)
    es_measured, es_modelled = es_draws[0] if es_draws else ({}, {})
    ppo_measured = {} if len(ppo_env) == 0 else dict(zip(ppo_env.workers, ppo_env.speedup))
    why = missing_inputs(S, costs, es_measured, ppo_measured, es)
    timings = None if ppo_timings is None else ppo_timings[ppo_timings["env"] == S["env"]]
    return cores(S, costs, es_measured, ppo_measured, es, es_modelled=es_modelled, es_draws=es_draws,
                 ppo_timings=timings if timings is not None and len(timings) else None), why


def _plain_ticks(axis, minor: bool):
    """Plain numbers on a log axis instead of powers of ten; ``minor``: also label the 2s and 5s."""
    from matplotlib.ticker import FuncFormatter, NullFormatter

    axis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}" if v >= 1 else f"{v:g}"))
    axis.set_minor_formatter(FuncFormatter(lambda v, _: f"{v:g}" if f"{v:.0e}"[0] in "25" else "") if minor
                             else NullFormatter())


def _empty_panel(ax, text):
    """A panel with nothing to draw: ``text`` in its middle, no ticks."""
    ax.text(0.5, 0.5, text, transform=ax.transAxes, ha="center", va="center", fontsize=9, color="0.4", wrap=True)
    ax.tick_params(which="both", left=False, bottom=False, labelleft=False, labelbottom=False)


def figure_curves(df: pd.DataFrame | None, summaries: list[dict], costs: pd.DataFrame | None):
    """One row per task, two columns: solved-test return against env steps and against modelled
    one-core seconds; IQM and 95 % band per method (each seed below 5 seeds); one legend under the
    figure (the solved thresholds dashed, unlabelled)."""
    import matplotlib.pyplot as plt
    from .. import plots

    plots.style()
    xs = (("env_steps", "env steps (log)"), ("wall_1core", "seconds on one idle core,\nmodelled (log)"))
    fig, axes = plt.subplots(len(summaries), len(xs), figsize=(plots.WIDTH, 3.1 * len(summaries) + 1.3),
                             squeeze=False)
    handles = {}
    for row, S in zip(axes, summaries):
        d = None if df is None else df[df["env"] == S["env"]].assign(wall_1core=lambda x: one_core_wall(x, costs))
        for ax, (x, name) in zip(row, xs):
            ax.set(xlabel=name, ylabel="solved-test return", title=S["env"])
            if d is None or d.empty or d[x].isna().all():
                _empty_panel(ax, f"no runs stored yet\n(n = 0 of {S['planned']} per method)" if d is None or d.empty else
                             "one-core costs not measured yet\n(python -m evoscale bench costs,\nidle machine)")
                continue
            if S["threshold"] is not None:
                ax.axhline(S["threshold"], color="0.3", linestyle="--", linewidth=1)
            for m, g in d[np.isfinite(d["eval_return"])].groupby("method"):
                k = g["seed"].nunique()
                plots.band(ax, g, x, "eval_return", LABELS.get(m, m) + (f" (n = {k})" if k >= MIN_SEEDS else ""),
                           color=plots.METHOD_COLORS.get(m))
            ax.set_xscale("log")
            _plain_ticks(ax.xaxis, minor=False)
            for h, label in zip(*ax.get_legend_handles_labels()):
                handles.setdefault(label, h)
    plots.finish(fig, [] if df is None or df.empty else df["machine"], handles=handles)
    return fig


def _draw_cores(ax, C: dict, side: str, flags: np.ndarray, headline: bool = True):
    """One method's time to the threshold against cores: the Kaplan-Meier median over seeds (censored
    seeds counted) with its 95 % band, measured points filled, modelled ones open; a method other than
    the headline pair thin and dashed, without its band. Where the median is not reached (more than half
    the seeds censored) nothing is drawn."""
    from .. import plots

    colour = plots.METHOD_COLORS.get(side, "0.3")
    mid, lo, hi = C["cross"]["curves"].get("ppo" if side == "ppo" else "es", (None, None, None))
    if mid is None or not np.isfinite(mid).any():
        return
    hit = C["reached"][side]
    label = f"{LABELS.get(side, side)} ({hit.sum()} of {hit.size} seeds reached it)"
    if headline:
        ax.fill_between(C["W"], lo, np.where(np.isfinite(hi), hi, np.nan), color=colour, alpha=0.2, linewidth=0)
    ax.plot(C["W"], mid, color=colour, lw=1.5 if headline else 1.0, linestyle="-" if headline else "--", label=label)
    ax.scatter(C["W"][flags], mid[flags], color=colour, zorder=3, s=12 if headline else 7)
    ax.scatter(C["W"][~flags], mid[~flags], facecolor="white", edgecolor=colour, zorder=3, s=12 if headline else 7)


def _cores_note(C: dict | None, S: dict, why: str | None) -> str | None:
    """Why a task's cores panel would be empty (None: it has a curve to draw)."""
    if C is None:
        return "not available yet; missing: " + (why or "seeds that reached the threshold")
    curves = C["cross"]["curves"]
    if any(curves.get(k, (None,))[0] is not None and np.isfinite(curves[k][0]).any() for k in ("es", "ppo")):
        return None
    cr = C["cross"]
    side = "either side" if not (cr["n_es"] or cr["n_ppo"]) else "one side"
    return f"no seed reached {S['threshold']:g} on {side}" + ("" if C.get("complete") else " yet")


def figure_cores(panels: list[tuple[dict | None, dict, str | None]], others: dict | None = None):
    """One panel per task with a curve to draw (C from ``cores``, S from ``summarise``, what is missing),
    two side by side: time to the threshold against cores for the task's headline ES and PPO, median
    and 95 % band over seeds, measured points filled, modelled ones open; the crossover with its CI
    shaded; each panel's legend under it. A task with nothing to draw is a line under the figure, not an
    empty panel. ``others``: per task, the ``cores`` of its other ES methods (None where an input is
    missing), drawn dashed."""
    import matplotlib.pyplot as plt

    from .. import plots

    plots.style()
    notes = {S["env"]: _cores_note(C, S, why) for C, S, why in panels}
    drawn = [(C, S) for C, S, _ in panels if notes[S["env"]] is None]
    cols = max(1, min(2, len(drawn)))
    rows = max(1, -(-len(drawn) // cols))
    fig, axes = plt.subplots(rows, cols, figsize=(plots.WIDTH, 5.4 * rows + 0.3), squeeze=False)
    for ax in axes.flat[len(drawn):]:
        ax.set_visible(False)
    for ax, (C, S) in zip(axes.flat, drawn):
        ax.set(xscale="log", yscale="log", xlabel="cores W (log)", ylabel="seconds to the solved threshold (log)",
               title=S["env"])
        _plain_ticks(ax.xaxis, minor=False)
        _plain_ticks(ax.yaxis, minor=True)
        for side, flags in ((C["es"], C["es_measured"]), ("ppo", C["ppo_measured"])):
            _draw_cores(ax, C, side, flags)
        for O in (others or {}).get(S["env"], []):
            if O is not None:
                _draw_cores(ax, O, O["es"], O["es_measured"], headline=False)
        cr = C["cross"]
        if cr["lo"] is not None and np.isfinite(cr["lo"]):
            ax.axvspan(cr["lo"], min(cr["hi"], C["W"][-1]), color="0.85", alpha=0.6, linewidth=0,
                       label="crossover, 95 % CI")
        if cr["w"] is not None:
            ax.axvline(cr["w"], color="0.4", linestyle=":", label=f"crossover W = {cr['w']:,.0f}")
        plots.legend_below(ax, ncol=1, title="filled: measured, open: modelled")
    missing = "\n".join(f"{env}: {note}" for env, note in notes.items() if note is not None)
    if not drawn:
        _empty_panel(axes[0, 0], missing)
    plots.finish(fig, sorted({S["machine"] for _, S, _ in panels if S["machine"]}), note=missing if drawn else "")
    return fig


def ppo_plan_text(C: dict | None) -> str:
    """What PPO's fitted cost model does with more cores, in words, read from the same result as the
    crossover (``cores``' point model, the one its PPO curve uses): whether and from which W the
    environments move to worker processes, and what the update gains from threads at most."""
    if C is None or C.get("ppo_model") is None:
        return "not modelled yet (PPO's parts not timed on the idle machine)"
    m, W = C["ppo_model"], np.asarray(C["W"])
    _, procs = m.step_seconds(W)
    roll, upd = m.speedups(W)
    cost = (f"a worker process adds {1e6 * m.message:,.0f} µs per env step, the step itself costs "
            f"{1e6 * m.env:,.0f} µs")
    if not procs.any():
        where = f"keeps its {m.n_envs} environments in one process at every W up to {W.max():,} ({cost})"
    else:
        where = (f"moves its environments to worker processes from W = {W[procs > 0][0]:,} ({cost}), its "
                 f"rollout at most {roll.max():.1f}x faster")
    return f"PPO {where}; its update gains at most {upd.max():.2f}x from more threads"


def cross_text(C: dict | None, why: str | None) -> str:
    """One task's crossover in words: W with its CI (measured up to 2 cores, modelled beyond), no
    crossing within ``CORES``, or what is missing."""
    if C is None:
        return f"not available yet (missing: {why or 'runs'})"
    cr, es = C["cross"], LABELS.get(C["es"], C["es"])
    n = (f"{cr['reached_es']} of {cr['n_es']} {es} seeds and {cr['reached_ppo']} of {cr['n_ppo']} PPO seeds reached "
         f"the threshold")
    if not (cr["n_es"] and cr["n_ppo"]):
        return f"not available yet ({n})"
    def where(w):
        return "beyond " + f"{CORES[-1]:,}" if not np.isfinite(w) else f"{w:,.0f}"
    ci = f"95 % CI {where(cr['lo'])}–{where(cr['hi'])} cores"
    if cr["w"] is not None:
        back = "" if cr.get("back") is None else f"; PPO is ahead again from W = {cr['back']:,.0f} (modelled)"
        how = "measured" if cr["w"] <= 2 else "modelled beyond 2 cores"
        first = "already on one core" if cr["w"] == 1 else f"from W = {cr['w']:,.0f} cores"
        return f"{es} reaches the threshold sooner than PPO {first} ({how}; {ci}; {n}){back}"
    return (f"the medians do not cross up to {CORES[-1]:,} cores ({ci}; {100 * cr['share']:.0f} % of bootstrap "
            f"resamples cross; {n})")
