"""Environment complexity: where does gradient-free training stop fitting one machine?

The seed estimates the evaluations each task needs (``CLAIMED_EVALS``) and claims neuroevolution
scales up to BipedalWalker while Atari needs CNNs and "massive compute" (OpenAI-ES, Salimans et al.
2017). This module turns that into measurements: learning curves within a profile's budget, ES
(the task's default method; GA on CartPole) vs PPO (on Pong's pixels: the zoo's "atari" entry with
SB3's CnnPolicy, on the evaluator's own preprocessing).

``EnvParams`` mirrors the chapter's papermill parameters cell; ``PROFILES`` holds the defaults. Runs
live in the shared store ``results/<profile>/runs`` (keyed by the full config hash, so chapters share
identical runs); LunarLander's CMA-ES curves are the compute chapter's runs (``cma_runs``), reused,
not retrained. What an evaluation costs per task on this machine and the cost model built on it
(evaluations x seconds per evaluation -> CPU-hours on 1 and N cores) are ``environments_cost``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..config import RunConfig, check_positive_int
from ..envs import get_spec
from ..machine import check_device
from . import check_parameters, cma_runs, report, results_root, run_many

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

PRIORITY = 7
"""Campaign priority of the chapter's runs: after the fair-rivals runs of chapters 1 and 3-7, before the
frontier's (every run of the book profile is stored; the other profiles' Pong and Humanoid runs are
the dearest of the plan)."""


def _es(method, popsize, sigma0, budget, every, episodes, hyper=None, seeds=None):
    return dict(method=method, popsize=popsize, sigma0=sigma0, budget_evals=budget, test_every=every,
                test_episodes=episodes, hyper=hyper, seeds=seeds)


def _ppo(steps, every, episodes, seeds=None, unsolved=None):
    return dict(budget_steps=steps, test_every=every, test_episodes=episodes, seeds=seeds, test_every_unsolved=unsolved)


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
                     "ga": _es("ga", 16, 0.5, 2_400, 160, 100)}, _ppo(300_000, 10_000, 100, unsolved=1_024)),
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

    def compute_params(self) -> cma_runs.ComputeParams:
        """LunarLander CMA-ES: the compute chapter's pycma runs (its cross-check) of the same profile."""
        return cma_runs.params({"profile": self.profile, "processes": self.processes}).crosscheck()


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
        df = pd.concat([df, cma_runs.run(p.compute_params(), log=log)], ignore_index=True)
    return df


def per_seed(df: pd.DataFrame) -> pd.DataFrame:
    """One row per (env, method, seed): the last solved test (``final``), the evaluations and env
    steps at which the solved test first reached the task's solved line (NaN: never), and what ran."""
    from ..stats import first_crossing

    rows = []
    for (env, method, seed), g in df.groupby(["env", "method", "seed"], sort=False):
        thr = get_spec(env).solved
        chk = g[np.isfinite(g["test_return"])].sort_values("evals")
        last = g.sort_values("generation").iloc[-1]
        cross = (lambda x: float(first_crossing(chk, thr, x=x).iloc[0])) if thr is not None and len(chk) else None
        rows.append(dict(env=env, method=method, seed=seed,
                         final=float(chk["test_return"].iloc[-1]) if len(chk) else np.nan,
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
    """Per quoted run (``QUOTED_RUNS``): final return (whole points as ``results_table`` and chapters 5 and
    6 show it, Pong's in tenths), seeds solved, evaluations and steps to solve and run."""
    out = {}
    for env, method, key in QUOTED_RUNS:
        r = result_row(T, env, method)
        digits = 1 if env.startswith("ALE/") else 0  # Pong's -21..21 needs its tenths; elsewhere as chapters 5 and 6 show it
        texts = {"final": lambda: report.over_seeds(r["finals"], digits), "solved": lambda: f"{r['solved']} of {r['seeds']}",
                 "evals": lambda: _reached(r, "evals"), "steps": lambda: _reached(r, "steps"),
                 "run": lambda: f"{r['evals_run']:,}", "steps_run": lambda: f"{r['steps_run']:,}"}
        out.update({f"{key}_{k}": "not run" if r is None else f() for k, f in texts.items()})
    return out
