"""The CMA-ES runs on LunarLander that chapters 2, 3 and 4 share: chapter 3's parameters (``ComputeParams``,
``PROFILES``), the runs they make (the book's CMA-ES and the pycma cross-check, ``crosscheck``) and
their records (``run``). Chapter 2 reuses the cross-check's runs as its LunarLander CMA-ES curves,
chapter 4 the main runs as its one-worker baseline, so they live here, below every study; chapter 3's
analysis is ``compute``.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import pandas as pd

from ..config import RunConfig, parse_hidden
from . import available, check_parameters, results_root, run_many, seed_list

# The book's LunarLander protocol (shared with chapters 1, 5 and 6): popsize 64, a solved test of
# 100 fresh episodes every 2,560 episodes (40 generations), budgets that are multiples of 2,560, so
# a longer run's records serve every shorter budget (``evoscale.runs.served_by``).
PROFILES = {
    # CI: proves the pipeline end to end in well under 90 s on 2 cores; numbers mean nothing.
    "smoke": dict(method="torch_cmaes", popsize=16, sigma0=0.5, budget_evals=160, test_every=80, test_episodes=5,
                  seeds=2, check_budget_evals=160, check_test_every=80, check_seeds=2, train_missing=True),
    # the whole book in about an hour on 2 cores: 5 seeds, a tenth of the budget; labelled "quick"
    "quick": dict(method="torch_cmaes", popsize=64, sigma0=0.5, budget_evals=10_240, test_every=2_560,
                  test_episodes=100, seeds=5, check_budget_evals=5_120, check_test_every=2_560, check_seeds=5,
                  train_missing=True),
    # the rendered book: the ten-seed campaign (``python -m evoscale campaign``), committed under
    # results/book/; the chapter renders whatever part of it is stored and trains nothing
    "book": dict(method="torch_cmaes", popsize=64, sigma0=0.5, budget_evals=102_400, test_every=2_560,
                 test_episodes=100, seeds=10, check_budget_evals=50_000, check_test_every=2_500, check_seeds=10,
                 train_missing=False),
    # a cluster: 30 seeds
    "full": dict(method="torch_cmaes", popsize=64, sigma0=0.5, budget_evals=102_400, test_every=2_560,
                 test_episodes=100, seeds=30, check_budget_evals=50_000, check_test_every=2_500, check_seeds=30,
                 train_missing=True),
}

@dataclass(frozen=True)
class ComputeParams:
    profile: str = "book"
    """smoke | quick | book | full -- sets the default of every parameter left at None."""
    env: str = "LunarLander-v3"
    """Any task in ``evoscale.envs.REGISTRY``."""
    method: str | None = None
    """The full CMA-ES of the main runs: torch_cmaes (the book's) | cmaes (pycma)."""
    hidden: str | int | tuple = "64,32"
    """Hidden layer widths; "64,32" is the claim's 2,788-parameter network."""
    popsize: int | None = None
    """Individuals per generation."""
    sigma0: float | None = None
    """Initial step size."""
    budget_evals: int | None = None
    """Training episodes per seed."""
    test_every: int | None = None
    """Training episodes between solved tests."""
    test_episodes: int | None = None
    """Fresh episodes per solved test."""
    seeds: int | list | None = None
    """Number of seeds, or a list of seeds (a number n: seeds 0..n-1)."""
    processes: int | None = None
    """Runs trained in parallel, one core each (None: all cores; backend "ray": one at a time)."""
    backend: str = "lockstep"
    """Population evaluator: lockstep (this process) | ray (``workers`` Ray actors, same results)."""
    workers: int | None = None
    """Ray actors per run (backend "ray")."""
    ray_address: str | None = None
    """Ray cluster to join, e.g. "auto" after ``ray start``; None starts a local one."""
    device: str = "cpu"
    """cpu | cuda: where the policy forward runs."""
    check_method: str = "cmaes"
    """The cross-check's implementation: the same CMA-ES in pycma (at ``check_budget_evals``)."""
    check_budget_evals: int | None = None
    """The cross-check's budget in training episodes per seed."""
    check_test_every: int | None = None
    """The cross-check's training episodes between solved tests."""
    check_seeds: int | list | None = None
    """The cross-check's seeds: a number of seeds, or a list."""
    train_missing: bool | None = None
    """Train runs the results store lacks (False for the book profile: the campaign trains them, the
    chapter shows what is stored, "n = k of 10")."""

    def crosscheck(self) -> "ComputeParams":
        """The pycma runs of the cross-check, as a parameter set of their own."""
        return dataclasses.replace(self, method=self.check_method, budget_evals=self.check_budget_evals,
                                   test_every=self.check_test_every, seeds=self.check_seeds)

    def seed_list(self) -> list[int]:
        return seed_list(self.seeds)

    def configs(self) -> list[RunConfig]:
        return [
            RunConfig(
                method=self.method, env=self.env, hidden=parse_hidden(self.hidden), popsize=self.popsize,
                sigma0=self.sigma0, budget_evals=self.budget_evals, test_every=self.test_every,
                test_episodes=self.test_episodes, seed=s, device=self.device, backend=self.backend,
                workers=self.workers, ray_address=self.ray_address,
            )
            for s in self.seed_list()
        ]


def params(namespace: dict) -> ComputeParams:
    """The chapter's parameters from its notebook namespace (strict, profile defaults filled in)."""
    p = check_parameters(ComputeParams, namespace, PROFILES)
    parse_hidden(p.hidden)
    return p


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
