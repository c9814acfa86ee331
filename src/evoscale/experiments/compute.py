"""Dimension 3 -- compute scaling: score vs evaluations for CMA-ES on LunarLander.

``ComputeParams`` mirrors the chapter's papermill parameters cell field by field; ``None`` means
"the profile's default" (``PROFILES``). ``run`` returns tidy per-generation records of all seeds,
``summarise`` the numbers the chapter's verdict quotes.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..config import RunConfig, parse_hidden
from ..envs import get_spec
from ..stats import curve_band, first_crossing, iqm_ci
from . import available, check_parameters, results_root, run_many, seed_list

# The book's LunarLander protocol (shared with chapters 1, 5 and 6): popsize 64, a solved test of
# 100 fresh episodes every 2,560 episodes (40 generations), budgets that are multiples of 2,560, so
# a longer run's records serve every shorter budget (``evoscale.runs.served_by``).
PROFILES = {
    # CI: proves the pipeline end to end in well under 90 s on 2 cores; numbers mean nothing.
    "smoke": dict(method="torch_cmaes", popsize=16, sigma0=0.5, budget_evals=160, eval_every=80, eval_episodes=5,
                  seeds=2, check_budget_evals=160, check_eval_every=80, check_seeds=2, train_missing=True),
    # the whole book in about an hour on 2 cores: 5 seeds, a fifth of the budget; labelled "quick"
    "quick": dict(method="torch_cmaes", popsize=64, sigma0=0.5, budget_evals=20_480, eval_every=2_560,
                  eval_episodes=100, seeds=5, check_budget_evals=10_240, check_eval_every=2_560, check_seeds=5,
                  train_missing=True),
    # the rendered book: the ten-seed campaign (``python -m evoscale campaign``), committed under
    # results/book/; the chapter renders whatever part of it is stored and trains nothing
    "book": dict(method="torch_cmaes", popsize=64, sigma0=0.5, budget_evals=102_400, eval_every=2_560,
                 eval_episodes=100, seeds=10, check_budget_evals=50_000, check_eval_every=2_500, check_seeds=10,
                 train_missing=False),
    # a cluster: 30 seeds
    "full": dict(method="torch_cmaes", popsize=64, sigma0=0.5, budget_evals=102_400, eval_every=2_560,
                 eval_episodes=100, seeds=30, check_budget_evals=50_000, check_eval_every=2_500, check_seeds=30,
                 train_missing=True),
}

CLAIMED_CURVE = pd.DataFrame(
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
    method: str | None = None
    """The full CMA-ES of the main runs: torch_cmaes (the book's) or cmaes (pycma)."""
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
    check_method: str = "cmaes"
    """The implementation cross-check: the same CMA-ES in pycma, at ``check_budget_evals``."""
    check_budget_evals: int | None = None
    check_eval_every: int | None = None
    check_seeds: int | list | None = None
    train_missing: bool | None = None
    """Train runs the results store lacks (False for the book profile: the campaign trains them, the
    chapter shows what is stored, "n = k of 10")."""

    def crosscheck(self) -> "ComputeParams":
        """The pycma runs of the cross-check, as a parameter set of their own."""
        return dataclasses.replace(self, method=self.check_method, budget_evals=self.check_budget_evals,
                                   eval_every=self.check_eval_every, seeds=self.check_seeds)

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


def where(params: ComputeParams):
    """The shared run store (chapters 1, 2, 5 and 6 read the same runs)."""
    return results_root() / params.profile / "runs"


def run(params: ComputeParams, log=print) -> pd.DataFrame | None:
    """The runs' records: trained where missing (``train_missing``), else only the stored ones (None
    if there are none yet)."""
    if not params.train_missing:
        df, missing = available(params.configs(), where(params))
        if missing:
            log(f"{len(missing)} of {len(params.configs())} runs not stored yet (the campaign trains them)")
        return df
    processes = 1 if params.backend == "ray" else params.processes  # the cluster does the parallel work
    return run_many(params.configs(), where(params), processes=processes, log=log)


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
