"""Environment complexity: where does gradient-free training stop fitting one machine?

The seed estimates the evaluations each task needs (``CLAIMED_EVALS``) and claims neuroevolution
scales up to BipedalWalker while Atari needs CNNs and "massive compute" (OpenAI-ES, Salimans et al.
2017). This module turns that into measurements: the cost of one evaluation per task on this machine
(``measure_cost``: env steps and seconds per episode, serial vs population-batched), a cost model
(``cost_model``: evaluations x seconds per evaluation -> CPU-hours on 1 and N cores), and learning
curves within a profile's budget, ES (the task's default method; GA on CartPole) vs PPO (on Pong's
pixels: the zoo's "atari" entry with SB3's CnnPolicy, on the evaluator's own preprocessing).

``EnvParams`` mirrors the chapter's papermill parameters cell; ``PROFILES`` holds the defaults. Runs
live in the shared store ``results/<profile>/runs`` (keyed by the full config hash, so chapters share
identical runs); LunarLander's CMA-ES curves are the compute chapter's runs, reused, not retrained.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ..config import RunConfig, check_positive_int
from ..envs import get_spec
from ..evaluation import TRAIN, episode_seeds, make_evaluator
from ..machine import check_device, machine_label
from . import cached_table, check_parameters, compute, report, results_root, run_many

TASKS = ("CartPole-v1", "LunarLander-v3", "BipedalWalker-v3", "ALE/Pong-v5", "ALE/Pong-ram-v5", "Humanoid-v5")

CLAIMED_EVALS = {  # the design note's "evaluations needed" per task (Pong RAM: Pong's)
    "CartPole-v1": 5_000, "LunarLander-v3": 100_000, "BipedalWalker-v3": 500_000,
    "ALE/Pong-v5": 5_000_000, "ALE/Pong-ram-v5": 5_000_000, "Humanoid-v5": 50_000_000,
}

PUBLISHED = {  # /work/shared/reference/anchors.md (rl-baselines3-zoo benchmark.md, one run each; papers)
    "CartPole-v1": "PPO (zoo) 500 at 100K steps; ARS 500 at 50K steps",
    "LunarLander-v3": "PPO (zoo) 242 ± 32 at 1M steps",
    "BipedalWalker-v3": "PPO (zoo) 213 ± 130 at 5M steps; estool CMA-ES ~1,600 generations x 96",
    "ALE/Pong-v5": "PPO (zoo, PongNoFrameskip-v4) 20.99 at 10M steps; ES 1 h on 720 cores (Salimans)",
    "ALE/Pong-ram-v5": "no published reference used here",
    "Humanoid-v5": "ES: ~10 min on 1,440 cores (Salimans); SAC 6,232 / TD3 5,567 at 2M steps (zoo)",
}


def _es(method, popsize, sigma0, budget, every, episodes, hyper=None, seeds=None):
    return dict(method=method, popsize=popsize, sigma0=sigma0, budget_evals=budget, eval_every=every,
                eval_episodes=episodes, hyper=hyper, seeds=seeds)


def _ppo(steps, every, episodes, seeds=None):
    return dict(budget_steps=steps, eval_every=every, eval_episodes=episodes, seeds=seeds)


# Per task: the ES runs (method -> settings) and the PPO run (zoo hyper-parameters; None: not run).
# LunarLander's ES is the compute chapter's profile (reused). PPO on Pong pixels: the zoo's "atari"
# entry (CnnPolicy) on the evaluator's preprocessing; PPO on Pong RAM (the same entry with MlpPolicy,
# not a zoo setting) only in `full`.
_SMOKE = {
    "CartPole-v1": ({"cmaes": _es("cmaes", 8, 0.5, 32, 16, 5), "ga": _es("ga", 8, 0.5, 32, 16, 5)},
                    _ppo(1_024, 512, 3)),  # chapter 6's smoke PPO runs: one number, one source at every profile
    "LunarLander-v3": ({}, _ppo(16_384, 16_384, 5, seeds=1)),
    "BipedalWalker-v3": ({"cmaes": _es("cmaes", 4, 0.5, 8, 4, 2)}, None),
    "ALE/Pong-v5": ({"openai_es": _es("openai_es", 2, 0.05, 2, 2, 1)}, _ppo(1_024, 1_024, 1, seeds=1)),
    "ALE/Pong-ram-v5": ({"openai_es": _es("openai_es", 2, 0.05, 2, 2, 1)}, None),
    "Humanoid-v5": ({"openai_es": _es("openai_es", 4, 0.02, 8, 4, 2)}, _ppo(512, 512, 2, seeds=1)),
}
_BOOK = {  # CartPole at the profile's 10 seeds (seconds a run); the dearer tasks at 3 (values shown, "n = 3")
    # PPO on CartPole, LunarLander and BipedalWalker: chapter 6's runs (its book profile's settings), so a
    # number both chapters show comes from one stored result (tests/test_environments_experiment.py)
    "CartPole-v1": ({"cmaes": _es("cmaes", 16, 0.5, 2_400, 160, 100),
                     "ga": _es("ga", 16, 0.5, 2_400, 160, 100)}, _ppo(300_000, 10_000, 100)),
    "LunarLander-v3": ({}, _ppo(3_000_000, 100_000, 100)),
    "BipedalWalker-v3": ({"cmaes": _es("cmaes", 32, 0.5, 1_920, 640, 10, seeds=3)},
                         _ppo(5_000_000, 250_000, 20, seeds=3)),
    # Pong ES: 2,048 evaluations (~1.6M env steps), ~8 min per pixel run and ~5 min per RAM run on one core
    "ALE/Pong-v5": ({"openai_es": _es("openai_es", 16, 0.05, 2_048, 256, 5, {"lr": 0.03}, seeds=3)},
                    _ppo(49_152, 16_384, 2, seeds=3)),  # ~3.5 min per seed on one core (~240 steps/s measured while sizing it)
    "ALE/Pong-ram-v5": ({"openai_es": _es("openai_es", 16, 0.05, 2_048, 256, 5, {"lr": 0.03}, seeds=3)}, None),
    "Humanoid-v5": ({"openai_es": _es("openai_es", 32, 0.02, 3_200, 640, 10, seeds=3)},
                    _ppo(102_400, 25_600, 10, seeds=3)),
}
_FULL = {  # the design note's estimates with 10 seeds (a cluster: see the cost model)
    "CartPole-v1": ({"cmaes": _es("cmaes", 16, 0.5, 5_000, 250, 100),
                     "ga": _es("ga", 16, 0.5, 5_000, 250, 100)}, _ppo(100_000, 5_000, 100)),
    "LunarLander-v3": ({}, _ppo(1_000_000, 50_000, 100)),
    "BipedalWalker-v3": ({"cmaes": _es("cmaes", 96, 0.5, 500_000, 9_600, 100),
                          "ga": _es("ga", 96, 0.5, 500_000, 9_600, 100)}, _ppo(5_000_000, 250_000, 100)),
    "ALE/Pong-v5": ({"openai_es": _es("openai_es", 1_000, 0.02, 5_000_000, 100_000, 30),
                     "ga": _es("ga", 1_000, 0.002, 5_000_000, 100_000, 30)},
                    _ppo(10_000_000, 250_000, 30)),  # the zoo's n_timesteps
    "ALE/Pong-ram-v5": ({"openai_es": _es("openai_es", 1_000, 0.02, 5_000_000, 100_000, 30)},
                        _ppo(10_000_000, 250_000, 30)),
    "Humanoid-v5": ({"openai_es": _es("openai_es", 10_000, 0.02, 50_000_000, 500_000, 30)},
                    _ppo(10_000_000, 250_000, 30)),
}
PROFILES = {
    # CI: every task end to end in well under 90 s on 2 cores; numbers mean nothing
    "smoke": dict(seeds=2, tasks=TASKS, settings=_SMOKE, signal_samples=2, cost_popsize=2, budget_scale=1.0,
                  device="cpu", workers=None),
    # the whole book in about an hour: a third of the book's budgets, 3 seeds (labelled "quick")
    "quick": dict(seeds=3, tasks=TASKS, settings=_BOOK, signal_samples=16, cost_popsize=8, budget_scale=0.33,
                  device="cpu", workers=None),
    # the rendered book: 35 min on the 2-core machine from an empty store (the compute chapter's runs reused)
    "book": dict(seeds=10, tasks=TASKS, settings=_BOOK, signal_samples=64, cost_popsize=8, budget_scale=1.0,
                 device="cpu", workers=None),
    # the design note's scale: Pong/Humanoid need a cluster (backend ray, workers) or a GPU for the forward
    # (PPO on Pong's pixels trains its CNN on `device` too)
    "full": dict(seeds=10, tasks=TASKS, settings=_FULL, signal_samples=1000, cost_popsize=64, budget_scale=1.0,
                 device="cuda", workers=64),
}


@dataclass(frozen=True)
class EnvParams:
    profile: str = "book"
    """smoke | quick | book | full -- sets the default of every parameter left at None."""
    tasks: str | tuple | None = None
    """Comma-separated subset of the registry's tasks, ``TASKS`` (None: all six)."""
    seeds: int | None = None
    """Seeds per run (0..seeds-1); a task's profile entry may cap it (``seeds`` in its settings)."""
    budget_scale: float | None = None
    """Multiplies every budget of the profile (evaluations and PPO steps)."""
    cost_popsize: int | None = None
    """Individuals in the per-task cost measurement (one episode each, serial and batched)."""
    signal_samples: int | None = None
    """Random networks per Pong input (pixels, RAM) and scale in the "any reward signal?" test (``pong``)."""
    processes: int | None = None
    """Runs trained in parallel, one core each (None: all cores)."""
    device: str | None = None
    """cpu | cuda: where the Pong/Humanoid policy forward runs (full: cuda batches the CNN/MLP on the GPU;
    PPO on Pong's pixels also trains its CNN there)."""
    workers: int | None = None
    """Ray actors per ES run on Pong and Humanoid (None: the single-process lockstep evaluator)."""
    settings: dict = field(default=None, repr=False)
    """Per-task settings (not a papermill parameter: always the profile's)."""

    def __post_init__(self):
        """Bad values fail here, before any run starts (papermill passes whatever ``-p`` says)."""
        for name in ("seeds", "cost_popsize", "signal_samples"):
            check_positive_int(name, getattr(self, name))
        for name in ("processes", "workers"):  # None: all cores / no Ray
            if getattr(self, name) is not None:
                check_positive_int(name, getattr(self, name))
        if not isinstance(self.budget_scale, (int, float)) or not self.budget_scale > 0:
            raise ValueError(f"budget_scale must be a positive number, got {self.budget_scale!r}")
        check_device(self.device)
        self.task_list()  # an unknown task names the valid ones

    def task_list(self) -> list[str]:
        tasks = self.tasks.split(",") if isinstance(self.tasks, str) else list(self.tasks)
        for t in tasks:
            get_spec(t.strip())  # unknown task: ValueError listing the valid ones
        return [t.strip() for t in tasks]

    def configs(self) -> list[RunConfig]:
        """Every run of the chapter except LunarLander's CMA-ES (the compute chapter's)."""
        out = []
        for task in self.task_list():
            es, ppo = self.settings[task]
            spec = get_spec(task)
            for s in es.values():
                s = dict(s)
                n_seeds = min(self.seeds, s.pop("seeds") or self.seeds)
                budget = max(s["popsize"], int(s.pop("budget_evals") * self.budget_scale))
                big = task.startswith("ALE/") or task == "Humanoid-v5"
                out += [RunConfig(env=task, hidden=spec.default_hidden, budget_evals=budget, seed=k,
                                  device=self.device if big else "cpu",
                                  backend="ray" if big and self.workers else "lockstep",
                                  workers=self.workers if big else None, **s) for k in range(n_seeds)]
            if ppo is not None:
                p = dict(ppo)
                n_seeds = min(self.seeds, p.pop("seeds") or self.seeds)
                p["budget_steps"] = int(p["budget_steps"] * self.budget_scale)
                if spec.network == "cnn" and self.device != "cpu":  # the CNN update wants the GPU
                    p["device"] = self.device
                out += [RunConfig(method="ppo", env=task, seed=k, **p) for k in range(n_seeds)]
        return out

    def compute_params(self) -> compute.ComputeParams:
        """LunarLander CMA-ES: the compute chapter's pycma runs (its cross-check) of the same profile."""
        return compute.params({"profile": self.profile, "processes": self.processes}).crosscheck()


def params(namespace: dict) -> EnvParams:
    """The chapter's parameters from its notebook namespace (strict, profile defaults filled in)."""
    return check_parameters(EnvParams, namespace, PROFILES)


def run(p: EnvParams, log=print) -> pd.DataFrame:
    """All runs' per-generation records (ES, PPO, and the reused LunarLander CMA-ES)."""
    where, configs = results_root() / p.profile / "runs", p.configs()
    local = [c for c in configs if c.backend != "ray"]
    ray = [c for c in configs if c.backend == "ray"]  # the cluster does the parallel work: one at a time
    df = pd.concat([run_many(local, where, processes=p.processes, log=log)]
                   + ([run_many(ray, where, processes=1, log=log)] if ray else []), ignore_index=True)
    if "LunarLander-v3" in p.task_list():
        df = pd.concat([df, compute.run(p.compute_params(), log=log)], ignore_index=True)
    return df


def measure_cost(env_id: str, popsize: int, seed: int = 0) -> dict:
    """One generation of ``popsize`` individuals (N(0, 0.1^2) weights of the task's default network,
    one episode each), evaluated serially and population-batched on one core."""
    from threadpoolctl import threadpool_limits

    spec = get_spec(env_id)
    out = {"env": env_id, "network": spec.network, "hidden": str(spec.default_hidden), "popsize": popsize}
    with threadpool_limits(1):
        for backend in ("serial", "lockstep"):
            ev = make_evaluator(RunConfig(env=env_id, hidden=spec.default_hidden, backend=backend))
            pop = np.random.default_rng(seed).normal(0, 0.1, (popsize, ev.policy.n_params))
            if hasattr(ev, "prepare"):
                ev.prepare(popsize)  # build the environments outside the clock
            t = time.perf_counter()
            res = ev.evaluate(pop, episode_seeds(seed, TRAIN, 1, popsize, 1))
            out[f"{backend}_s_per_episode"] = (time.perf_counter() - t) / popsize
        out.update(n_params=ev.policy.n_params, steps_per_episode=float(res.lengths.mean()),
                   max_steps=spec.max_steps, machine=machine_label())
    out["batched_steps_per_s"] = out["steps_per_episode"] / out["lockstep_s_per_episode"]
    return out


def measure_costs(p: EnvParams, log=print) -> pd.DataFrame:
    """``measure_cost`` per task, cached in ``results/<profile>/environments/cost-<hash>.csv`` (the hash
    covers the tasks, the population and the result-format version; ``FRESH=1`` re-measures)."""
    measure = lambda: pd.DataFrame([measure_cost(t, p.cost_popsize) for t in p.task_list()])  # noqa: E731
    return cached_table(*cost_cache(p), measure, log)


def cost_cache(p: EnvParams) -> tuple:
    """(stem, what) of the cost measurement's cache file (``table_path`` gives the file)."""
    what = {"tasks": list(p.task_list()), "popsize": p.cost_popsize}
    return results_root() / p.profile / "environments" / "cost", what


BENCH_COLUMNS = ("env", "n_params", "popsize", "raw_steps_per_s", "replay_steps_per_s", "evaluator_steps_per_s",
                 "ratio", "ratio_vs_unwrapped", "ratio_vs_serial", "ratio_vs_replay", "env_fraction",
                 "emulator_fraction", "preprocessing_fraction", "network_fraction", "loop_fraction", "machine")
"""What the chapter shows of each ``bench evaluator`` JSON (``bench.evaluator``'s docstring defines them)."""


def bench_table(where=None) -> pd.DataFrame:
    """The committed ``bench evaluator`` results (``results/bench/evaluator-<task>.json``), one row each."""
    import json

    where = results_root() / "bench" if where is None else where
    rows = []
    for t in TASKS:
        f = where / f"evaluator-{t.replace('/', '_')}.json"
        if f.exists():
            d = json.loads(f.read_text())
            rows.append({k: d.get(k) for k in BENCH_COLUMNS})
    return pd.DataFrame(rows)


def stored_es_runs(env: str, where: Path) -> list[pd.DataFrame]:
    """Every verified stored run of a gradient-free method on ``env`` in ``where`` (any chapter's)."""
    from ..runs import load_stored
    from ..trainers import GRADIENT_METHODS

    out = []
    for side in sorted(where.glob(f"*-{env.replace('/', '_')}-s*-*.json")):
        try:
            meta = json.loads(side.read_text())
        except (OSError, ValueError):
            continue
        if not isinstance(meta, dict) or meta.get("env") != env or meta.get("method") in GRADIENT_METHODS:
            continue
        df = load_stored(side.with_suffix(".csv"))
        if df is not None and len(df) and {"evals", "env_steps", "pop_eval_s", "opt_s"} <= set(df.columns):
            out.append(df)
    return out


PRICE_WINDOW = 0.1
"""Share of a run's generations that make its "early" (first) and "late" (last) window."""


def episode_prices(env: str, runs: list[pd.DataFrame]) -> dict | None:
    """What one evaluation of ``env`` costs, from the stored ES runs that trained it longest (those
    with the largest budget of evaluations among ``runs``). An evaluation costs its episode's env steps
    times the seconds per env step (the population's evaluation time over its env steps), plus the
    optimiser's seconds per evaluation (ask + tell over the population). Steps per episode are read in
    the first and the last ``PRICE_WINDOW`` of the runs' generations: episodes as they are early in
    training, and as they are once training has got furthest. ``solved``: the runs' median last solved
    test reached the task's solved line, so the late episodes are those of a policy that works. None
    without runs."""
    if not runs:
        return None
    budget = max(int(r["evals"].iloc[-1]) for r in runs)
    longest = [r for r in runs if int(r["evals"].iloc[-1]) == budget]
    early, late, finals = [], [], []
    for r in longest:
        k = max(1, int(len(r) * PRICE_WINDOW))
        early.append(r["env_steps"].iloc[k - 1] / r["evals"].iloc[k - 1])
        before = r.iloc[-k - 1] if len(r) > k else pd.Series({"env_steps": 0, "evals": 0})
        late.append((r["env_steps"].iloc[-1] - before["env_steps"]) / (r["evals"].iloc[-1] - before["evals"]))
        finals.append(r["eval_return"].dropna().iloc[-1] if r["eval_return"].notna().any() else np.nan)
    steps = sum(float(r["env_steps"].iloc[-1]) for r in longest)
    evals = sum(float(r["evals"].iloc[-1]) for r in longest)
    thr = get_spec(env).solved
    median_final = float(np.nanmedian(finals)) if np.isfinite(finals).any() else np.nan
    return dict(env=env, runs=len(longest), budget_evals=budget,
                s_per_step=sum(float(r["pop_eval_s"].sum()) for r in longest) / steps,
                opt_s_per_eval=sum(float(r["opt_s"].sum()) for r in longest) / evals,
                steps_early=float(np.mean(early)), steps_late=float(np.mean(late)), median_final=median_final,
                solved=bool(thr is not None and median_final >= thr),
                machine="; ".join(sorted({str(m) for r in longest for m in r.get("machine", pd.Series()).unique()})))


def cost_model(prices: pd.DataFrame, cost: pd.DataFrame, p: EnvParams, cores: int = 64) -> pd.DataFrame:
    """Seconds per evaluation -> CPU-hours for the design note's estimate and for the ``full`` profile.

    Per task, from ``episode_prices`` (one row per task; missing: the cost table's own measurement of
    an untrained population stands in for "early", with no "late"): the price of an evaluation early in
    training, late (once the longest runs got furthest) and at the task's episode cap. The range's upper
    end is the late price where the longest runs solved the task (their policies work: this is what a
    working policy's episodes cost), else the cap (a working policy may run until it). Hours on
    ``cores`` cores assume ideal scaling (Salimans et al.: near-linear, workers exchange only scalars).
    Everything beyond the budgets run is an extrapolation, labelled as such in the chapter.
    """
    full = PROFILES["full"]
    priced = prices.set_index("env") if len(prices) else pd.DataFrame()
    rows = []
    for _, c in cost.set_index("env", drop=False).iterrows():
        env = c["env"]
        if env in priced.index:
            q = priced.loc[env]
            per_step, opt = q["s_per_step"], q["opt_s_per_eval"]
            early, late = q["steps_early"] * per_step + opt, q["steps_late"] * per_step + opt
            solved, basis = bool(q["solved"]), f"{int(q['runs'])} runs of {int(q['budget_evals']):,} evaluations"
        else:
            early, late, per_step, solved, basis = (c["lockstep_s_per_episode"], np.nan,
                                                    c["lockstep_s_per_episode"] / c["steps_per_episode"], False,
                                                    "an untrained population")
            opt = 0.0
        cap = c["max_steps"] * per_step + opt
        upper = late if solved else cap
        es_full, _ = full["settings"][env]
        full_evals = sum(s["budget_evals"] for s in es_full.values()) * full["seeds"]
        if env == "LunarLander-v3":
            full_evals = compute.PROFILES["full"]["budget_evals"] * compute.PROFILES["full"]["seeds"]
        est = CLAIMED_EVALS[env]
        rows.append({
            "env": env, "claimed_evals": est, "priced_from": basis, "s_per_eval_early": early,
            "s_per_eval_late": late, "s_per_eval_cap": cap, "upper": "late" if solved else "cap",
            "claimed_cpu_h_early": est * early / 3600, "claimed_cpu_h_upper": est * upper / 3600,
            "claimed_h_on_cores": est * upper / 3600 / cores, "full_evals": full_evals,
            "full_cpu_h_upper": full_evals * upper / 3600, "cores": cores,
        })
    return pd.DataFrame(rows)


def prices(p: EnvParams) -> pd.DataFrame:
    """``episode_prices`` of every task of ``p`` from the profile's stored runs (any chapter's)."""
    where = results_root() / p.profile / "runs"
    rows = [episode_prices(t, stored_es_runs(t, where)) for t in p.task_list()]
    return pd.DataFrame([r for r in rows if r is not None])


def cost_parts(cores: int) -> dict:
    """The cost model's two tables (``report.tables`` parts of ``cost_view``)."""
    return {"What one evaluation costs (s)": ["the design note's evaluations", "early in training",
                                              "once training got furthest", "every episode at the cap"],
            "What the design note's evaluations cost (extrapolated)": [
                "CPU-hours, early prices", "CPU-hours, upper end", "upper end", f"hours on {cores} ideal cores"]}


def cost_view(model: pd.DataFrame, cores: int) -> pd.DataFrame:
    """The cost model as the chapter shows it, in readers' words: split into ``cost_parts``."""
    return pd.DataFrame({
        "task": model["env"], "the design note's evaluations": model["claimed_evals"],
        "early in training": model["s_per_eval_early"], "once training got furthest": model["s_per_eval_late"],
        "every episode at the cap": model["s_per_eval_cap"],
        "CPU-hours, early prices": model["claimed_cpu_h_early"].map(hours_text),
        "CPU-hours, upper end": model["claimed_cpu_h_upper"].map(hours_text),
        "upper end": model["upper"].map({"late": "once it works", "cap": "at the cap"}),
        "hours on the cores": model["claimed_h_on_cores"].map(hours_text),
    }).rename(columns={"hours on the cores": f"hours on {cores} ideal cores"})


def per_seed(df: pd.DataFrame) -> pd.DataFrame:
    """One row per (env, method, seed): the last solved test (``final``), the evaluations and env
    steps at which the solved test first reached the task's solved line (NaN: never), and what ran."""
    from ..stats import first_crossing

    rows = []
    for (env, method, seed), g in df.groupby(["env", "method", "seed"], sort=False):
        thr = get_spec(env).solved
        chk = g[np.isfinite(g["eval_return"])].sort_values("evals")
        last = g.sort_values("generation").iloc[-1]
        cross = (lambda x: float(first_crossing(chk, thr, x=x).iloc[0])) if thr is not None and len(chk) else None
        rows.append(dict(env=env, method=method, seed=seed,
                         final=float(chk["eval_return"].iloc[-1]) if len(chk) else np.nan,
                         evals_to_solve=cross("evals") if cross else np.nan,
                         steps_to_solve=cross("env_steps") if cross else np.nan,
                         evals_run=int(last["evals"]), steps_run=int(last["env_steps"]), wall_s=float(last["wall_s"])))
    return pd.DataFrame(rows, columns=["env", "method", "seed", "final", "evals_to_solve", "steps_to_solve",
                                       "evals_run", "steps_run", "wall_s"])


def evals_to_threshold(df: pd.DataFrame) -> pd.DataFrame:
    """Per (env, method): the seeds' final returns and evaluations / env steps to the solved line
    (lists, one entry per seed; NaN where a seed never reached it), seeds solved, budgets run (the
    largest, and each seed's: where a seed that never reached the line is censored), the design note's
    estimate and the published reference. Returns shown from it go through ``report.over_seeds`` (an
    IQM and CI only from five seeds up), times to the line through ``report.to_threshold``."""
    rows = []
    for (env, method), g in per_seed(df).groupby(["env", "method"], sort=False):
        rows.append({"env": env, "method": method, "seeds": len(g), "finals": g["final"].tolist(),
                     "solved": int(np.isfinite(g["evals_to_solve"]).sum()),
                     "evals_to_solve": g["evals_to_solve"].tolist(), "steps_to_solve": g["steps_to_solve"].tolist(),
                     "evals_run": int(g["evals_run"].max()), "steps_run": int(g["steps_run"].max()),
                     "evals_run_each": g["evals_run"].tolist(), "steps_run_each": g["steps_run"].tolist(),
                     "wall_s": float(g["wall_s"].mean()), "claimed_evals": CLAIMED_EVALS[env],
                     "published": PUBLISHED[env]})
    return pd.DataFrame(rows, columns=["env", "method", "seeds", "finals", "solved", "evals_to_solve",
                                       "steps_to_solve", "evals_run", "steps_run", "evals_run_each", "steps_run_each",
                                       "wall_s", "claimed_evals", "published"])


# --- what the chapter quotes from the results (texts for its glue keys) -----------------------------

QUOTED_RUNS = (("CartPole-v1", "cmaes", "cp_cma"), ("CartPole-v1", "ga", "cp_ga"), ("CartPole-v1", "ppo", "cp_ppo"),
               ("LunarLander-v3", "cmaes", "ll_cma"), ("LunarLander-v3", "ppo", "ll_ppo"),
               ("BipedalWalker-v3", "cmaes", "bw_cma"), ("BipedalWalker-v3", "ppo", "bw_ppo"),
               ("ALE/Pong-v5", "openai_es", "pong"), ("ALE/Pong-ram-v5", "openai_es", "pongram"),
               ("Humanoid-v5", "openai_es", "hum"), ("Humanoid-v5", "ppo", "hum_ppo"),
               ("ALE/Pong-v5", "ppo", "pong_ppo"))
"""(env, method, glue key prefix) of every (task, method) the chapter's prose quotes."""


def censored(row, unit: str = "evals") -> tuple[np.ndarray, np.ndarray]:
    """(times, reached) of one ``evals_to_threshold`` row in ``unit`` (evals | steps): a seed that
    never reached the solved line counts at its budget, censored."""
    to = np.asarray(row[f"{unit}_to_solve"], dtype=float)
    reached = np.isfinite(to)
    return np.where(reached, to, np.asarray(row[f"{unit}_run_each"], dtype=float)), reached


def _reached(row, unit: str = "evals") -> str:
    """Evaluations or env steps to the solved line, censored seeds counted (``report.to_threshold``)."""
    return report.to_threshold(*censored(row, unit))


def results_table(T: pd.DataFrame) -> pd.DataFrame:
    """``evals_to_threshold``'s frame as the chapter shows it: final return and the evaluations / env
    steps to the solved line as IQM [95 % CI] (n = k) from five seeds up, else the seeds' values."""
    return pd.DataFrame({
        "task": T["env"], "method": T["method"],
        "final solved-test return": [report.over_seeds(v) for v in T["finals"]],
        "seeds solved": [f"{s} of {n}" for s, n in zip(T["solved"], T["seeds"])],
        "evaluations to solve": [_reached(r, "evals") for _, r in T.iterrows()],
        "env steps to solve": [_reached(r, "steps") for _, r in T.iterrows()],
        "evaluations run": T["evals_run"].map(report.num), "env steps run": T["steps_run"].map(report.num),
        "design note's estimate (evaluations)": T["claimed_evals"].map(report.num), "published": T["published"],
    })


def result_row(T: pd.DataFrame, env: str, method: str):
    """The (env, method) row of ``evals_to_threshold``'s frame, or None if it did not run."""
    r = T[(T["env"] == env) & (T["method"] == method)]
    return None if r.empty else r.iloc[0]


def run_texts(T: pd.DataFrame) -> dict:
    """Per quoted run (``QUOTED_RUNS``): final return, seeds solved, evaluations and steps to solve and run."""
    out = {}
    for env, method, key in QUOTED_RUNS:
        r = result_row(T, env, method)
        texts = {"final": lambda: report.over_seeds(r["finals"], 1), "solved": lambda: f"{r['solved']} of {r['seeds']}",
                 "evals": lambda: _reached(r, "evals"), "steps": lambda: _reached(r, "steps"),
                 "run": lambda: f"{r['evals_run']:,}", "steps_run": lambda: f"{r['steps_run']:,}"}
        out.update({f"{key}_{k}": "not run" if r is None else f() for k, f in texts.items()})
    return out


def hours_text(x: float) -> str:
    """Hours in prose: whole numbers from 100 up, 3 significant digits down to 0.01, 2 below (never
    more than four decimals), "under 0.001" below that."""
    if x >= 100:
        return f"{x:,.0f}"
    if x >= 0.01:
        return f"{x:.3g}"
    return f"{x:.2g}" if x >= 0.001 else "under 0.001"


def cost_texts(model: pd.DataFrame) -> dict:
    """Per task of ``cost_model``'s frame: CPU-hours on one core early and at the upper end, hours on its
    cores and the ``full`` profile's CPU-hours (both at the upper end)."""
    out = {}
    for env, key in (("CartPole-v1", "cp"), ("LunarLander-v3", "ll"), ("BipedalWalker-v3", "bw"),
                     ("ALE/Pong-v5", "pong"), ("ALE/Pong-ram-v5", "pongram"), ("Humanoid-v5", "hum")):
        r = model[model["env"] == env]
        if len(r):
            r = r.iloc[0]
            out[f"{key}_cpu_h_early"] = hours_text(r["claimed_cpu_h_early"])
            out[f"{key}_cpu_h_upper"] = hours_text(r["claimed_cpu_h_upper"])
            out[f"{key}_upper"] = {"late": "once its policies work", "cap": "with every episode at the cap"}[r["upper"]]
            out[f"{key}_h_cores"] = hours_text(r["claimed_h_on_cores"])
            out[f"{key}_full_h"] = hours_text(r["full_cpu_h_upper"])
    return out
