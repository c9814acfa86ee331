"""Dimension 3 -- compute scaling: score vs evaluations for CMA-ES on LunarLander.

``ComputeParams`` mirrors the chapter's papermill parameters cell field by field; ``None`` means
"the profile's default" (``PROFILES``). ``run`` returns tidy per-generation records of all seeds,
``summarise`` the numbers the chapter's verdict quotes.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..config import RunConfig, parse_hidden
from ..envs import get_spec
from ..stats import curve_band, first_crossing, iqm_ci
from . import check_parameters, seed_list, results_root, run_many

PROFILES = {
    # CI: proves the pipeline end to end in well under 90 s on 2 cores; numbers mean nothing.
    "smoke": dict(popsize=16, sigma0=0.5, budget_evals=160, eval_every=80, eval_episodes=5, seeds=2),
    # the rendered book: 2-core laptop, <= 30 min, results committed under results/book/
    "book": dict(popsize=64, sigma0=0.5, budget_evals=50_000, eval_every=2_500, eval_episodes=100, seeds=4),
    # paper scale (seed's 100K evals, 10 seeds): a bigger machine
    "full": dict(popsize=64, sigma0=0.5, budget_evals=100_000, eval_every=5_000, eval_episodes=100, seeds=10),
}

SEED_SKETCH = pd.DataFrame(
    # The seed document's ASCII plot ("Phase 7", Dimension 3), read off by hand: x from the axis
    # labels (2K ... 100K), y from the row labels. Approximate by construction; shown as a claim.
    [(1_000, -100), (5_000, -50), (12_500, 0), (20_000, 80), (35_000, 120), (50_000, 160), (82_500, 240),
     (100_000, 280)],
    columns=["evals", "score"],
)


@dataclass(frozen=True)
class ComputeParams:
    profile: str = "book"
    """smoke | book | full -- sets the default of every parameter left at None."""
    env: str = "LunarLander-v3"
    method: str = "cmaes"
    hidden: str | tuple = "64,32"
    popsize: int | None = None
    sigma0: float | None = None
    budget_evals: int | None = None
    eval_every: int | None = None
    eval_episodes: int | None = None
    seeds: int | list | None = None
    """Number of seeds (0..seeds-1) or an explicit list of seeds."""
    processes: int | None = None
    """Runs trained in parallel (one core each); None: all cores. With backend="ray": one at a time."""
    backend: str = "lockstep"
    """Population evaluator: lockstep (this process) or ray (``workers`` Ray actors, same results)."""
    workers: int | None = None
    """Ray actors per run (backend="ray")."""
    ray_address: str | None = None
    """Ray cluster to join, e.g. "auto" after ``ray start``; None starts a local one."""
    device: str = "cpu"

    def seed_list(self) -> list[int]:
        return seed_list(self.seeds)

    def configs(self) -> list[RunConfig]:
        return [
            RunConfig(
                method=self.method, env=self.env, hidden=parse_hidden(self.hidden), popsize=self.popsize,
                sigma0=self.sigma0, budget_evals=self.budget_evals, eval_every=self.eval_every,
                eval_episodes=self.eval_episodes, seed=s, device=self.device, backend=self.backend,
                workers=self.workers, ray_address=self.ray_address,
            )
            for s in self.seed_list()
        ]


def params(namespace: dict) -> ComputeParams:
    """The chapter's parameters from its notebook namespace (strict, profile defaults filled in)."""
    return check_parameters(ComputeParams, namespace, PROFILES)


def run(params: ComputeParams, log=print) -> pd.DataFrame:
    where = results_root() / params.profile / "compute"
    processes = 1 if params.backend == "ray" else params.processes  # the cluster does the parallel work
    return run_many(params.configs(), where, processes=processes, log=log)


def summarise(df: pd.DataFrame, env: str) -> dict:
    """The chapter's numbers: final score, evals to solve, marginal gains, cost per evaluation."""
    threshold = get_spec(env).solved
    evals_ = df[np.isfinite(df["eval_return"])]
    last = df.sort_values("generation").groupby("seed").tail(1)
    final = iqm_ci(last["eval_return"])
    to_solve = first_crossing(evals_, threshold) if threshold is not None else pd.Series(dtype=float)
    budget = int(last["evals"].min())
    # marginal gain of the IQM eval-return curve per 10K evals, first vs second half of the budget
    grid = np.array([evals_["evals"].min(), budget / 2, budget])
    b = curve_band(evals_, "evals", "eval_return", grid=grid)
    y0, ymid, y1 = b["iqm"].to_numpy()
    gain_first = (ymid - y0) / ((grid[1] - grid[0]) / 1e4)
    gain_second = (y1 - ymid) / ((grid[2] - grid[1]) / 1e4)
    per_gen = df.sort_values("generation").groupby("seed")
    steps_per_eval = (df.groupby("seed")["env_steps"].max() / df.groupby("seed")["evals"].max())
    return {
        "n_seeds": int(df["seed"].nunique()),
        "n_params": int(df["n_params"].iloc[0]),
        "popsize": int(df["popsize"].iloc[0]),
        "budget_evals": budget,
        "final_iqm": final[0], "final_lo": final[1], "final_hi": final[2],
        "solved_threshold": threshold,
        "n_solved": int(np.isfinite(to_solve).sum()),
        "evals_to_solve": iqm_ci(to_solve.to_numpy()),
        "gain_first_half_per_10k": float(gain_first),
        "gain_second_half_per_10k": float(gain_second),
        "wall_s_per_seed": float(per_gen["wall_s"].max().mean()),
        "env_steps_per_eval": float(steps_per_eval.mean()),
        "opt_fraction": float(df["opt_s"].sum() / (df["opt_s"].sum() + df["pop_eval_s"].sum())),
        "machine": "; ".join(sorted(df["machine"].unique())),
    }
