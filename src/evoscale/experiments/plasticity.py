"""Open question 2 -- can evolved local learning rules close the credit-assignment gap? (chapter 7)

The book's other tasks need no learning within an episode: a good LunarLander policy is one fixed map
from observation to action. Both tasks here (``envs.adapt``) hide a per-episode context the agent can
only infer from its own actions and their outcomes: which arm of ``ReversalBandit-v0`` pays more (it
may swap mid-episode), whether ``CartPoleFlip-v1`` inverts the actions.

Rows (``ROWS``), on equal footing: three networks evolved by the same ES (``optimizer``; same
population, sigma, episodes per fitness and episode budget) -- an MLP (fixed weights: it cannot
adapt), Neuromod (``policies.plastic.NeuromodPolicy`` of the same width: fast weights learn by an
evolved, neuromodulated Hebbian rule) and a GRU (``policies.recurrent``, a similar parameter count: it
adapts in its hidden state) -- and two backprop baselines matched in env steps: PPO (feedforward) and
RecurrentPPO (an LSTM, the RL^2 approach). Every ES record with a solved test keeps the tested
solution (``RunConfig.keep_solutions``), so the chapter replays the final networks
(``plasticity_probe``) without training anything.

Budgets (``PROFILES``): every evolution run gets ``budget_evals`` training episodes, on both tasks
(equal evaluations among the three networks). PPO and RecurrentPPO get ``ppo_steps`` env steps on
each task, and all five rows are also compared *at* that many env steps (``at_steps``: each run's
last solved test within them; the ES runs' records up to there are what an ES run with that budget
would have recorded): the headline verdict is judged there, at equal env steps. The two budgets differ because the costs do: an
evolution run on these tiny networks takes seconds of CPU per 100,000 env steps, RecurrentPPO
minutes (``COST_PRIORS``). The book's ES budget is the one the previous design gave all rows;
matching the baselines to it (1.28M steps) would cost about 25 CPU-hours, so they get a quarter.

Verdicts (``plasticity_verdicts``): open question 2 judged by its declared tests, at the baselines'
env steps (Neuromod's share of the bandit's gap between the best feedforward policy and the oracle,
and Neuromod against the blind controller on CartPoleFlip), with the share at the whole evolution
budget beside, all in one Holm family.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..config import RunConfig, parse_hidden
from ..envs.adapt import BANDIT_ID, CARTPOLE_ID, bandit_bounds, cartpole_references
from ..labels import METHOD_LABELS
from ..policies import CELLS, RULES
from ..runs import run_cpu_seconds
from ..trainers import GRADIENT_METHODS, POLICY_SEARCH, REGISTRY
from . import available, check_parameters, report, results_root, run_many, seed_list

ROWS = ("mlp", "neuromod", "recurrent", "ppo", "recurrent_ppo")
EVOLVED = ROWS[:3]
LABELS = {row: METHOD_LABELS[row] + what for row, what in (
    ("mlp", " (fixed weights)"), ("neuromod", " (plastic)"), ("recurrent", " (evolved)"), ("ppo", ""),
    ("recurrent_ppo", " (LSTM)"))}
"""The networks' readers' names (``plots.METHOD_LABELS``) with what each network is."""
TASKS = (BANDIT_ID, CARTPOLE_ID)
PRIORITY = {"es": 1, "ppo": 3, "recurrent_ppo": 5}
"""Campaign priorities of chapter 7's runs: the evolved networks cost seconds a run (60 runs, about
15 CPU-minutes in all) and unblock the chapter, so they go with the headline runs; PPO (about 1.1
CPU-h) with the secondary cells; RecurrentPPO (about 4.9 CPU-h) with chapter 3's cross-check."""

COST_PRIORS = {("recurrent_ppo", BANDIT_ID): 2.1e-3, ("recurrent_ppo", CARTPOLE_ID): 3.4e-3,
               ("ppo", BANDIT_ID): 0.6e-3, ("ppo", CARTPOLE_ID): 0.6e-3,
               **{(m, BANDIT_ID): 2e-3 for m in ("torch_cmaes", "neuromod", "recurrent")},
               **{(m, CARTPOLE_ID): 4e-3 for m in ("torch_cmaes", "neuromod", "recurrent")}}
"""CPU-seconds per unit on one core of the 2-core development machine, for the campaign's plan until
stored runs of the cell replace them (``campaign.CostModel``). Gradient baselines, per env step:
measured when they were built (8,192 steps, one thread). Evolved networks, per training episode with
the solved tests: one 3,200-episode run of each on each task took 2.5-3.2 s (1 ms an episode; the
CartPoleFlip runs balanced for 30-40 steps), rounded up for solved tests every 800 episodes and for
longer CartPoleFlip episodes once a network balances."""

MATCHED_STEPS = 320_000
"""The book's env-step budget of PPO and RecurrentPPO on each task, and the step count at which all five
rows are compared (``at_steps``): RecurrentPPO costs 2-3.5 ms of CPU per env step, 10 seeds x 2 tasks
x 320,000 steps about 5 CPU-hours of the chapter's about 6.5 (``python -m evoscale campaign plan
--chapters 07``); see the module docstring for why the ES runs go on for longer. Checked with one seed
of each on the shared development machine: on the bandit PPO sits at the feedforward bound (67.4)
and RecurrentPPO at 76.8 from the first solved test (40,000 steps) to 320,000 (RecurrentPPO 1.7 ms
CPU a step, solved tests included); PPO on CartPoleFlip peaked at 314 at 80,000 steps and ended at
61; the zoo's budget for CartPole-v1 is 100,000 steps."""

PROFILES = {
    # CI: the whole pipeline (one seed: five runs per task, and the replays) in seconds; numbers mean nothing
    "smoke": dict(popsize=8, episodes_per_fitness=2, budget_evals=64, test_every=32, test_episodes=5, seeds=1,
                  ppo_steps={BANDIT_ID: 512, CARTPOLE_ID: 512}, ppo_test_every=256, probe_episodes=8,
                  train_missing=True),
    # a first look: 3 seeds, half the book's episodes and env steps (about 1 CPU-hour, RecurrentPPO most of it)
    "quick": dict(popsize=16, episodes_per_fitness=8, budget_evals=6_400, test_every=800, test_episodes=100,
                  seeds=3, ppo_steps={t: MATCHED_STEPS // 2 for t in TASKS}, ppo_test_every=40_000,
                  probe_episodes=100, train_missing=True),
    # the rendered book: the ten-seed campaign's runs (results/book/runs/); the chapter trains nothing.
    # ES: 100 generations of 16 x 8 episodes (1.28M env steps on the bandit, ~15 CPU-s a run there);
    # PPO and RecurrentPPO: MATCHED_STEPS, the ES runs' first 3,200 episodes on the bandit
    "book": dict(popsize=16, episodes_per_fitness=8, budget_evals=12_800, test_every=800, test_episodes=200,
                 seeds=10, ppo_steps={t: MATCHED_STEPS for t in TASKS}, ppo_test_every=40_000,
                 probe_episodes=200, train_missing=False),
    # a cluster: twice the ES episodes, the gradient baselines at the ES runs' 1.28M bandit steps, 20 seeds
    "full": dict(popsize=16, episodes_per_fitness=8, budget_evals=25_600, test_every=1_600, test_episodes=200,
                 seeds=20, ppo_steps={t: 1_280_000 for t in TASKS}, ppo_test_every=160_000,
                 probe_episodes=200, train_missing=True),
}


@dataclass(frozen=True)
class PlasticityParams:
    profile: str = "book"
    """smoke | quick | book | full -- sets the default of every parameter left at None."""
    tasks: list | None = None
    """Tasks to run (None: both adaptation tasks, ReversalBandit-v0 and CartPoleFlip-v1). Both are
    ``envs.adapt``'s."""
    hidden: str | tuple = "16"
    """Hidden widths of the MLP and of Neuromod (the same network, Neuromod adds the rule)."""
    recurrent_hidden: str | tuple = "11"
    """Units of the evolved recurrent layer (11 GRU units: about Neuromod's parameter count). With the
    per-synapse rule: 519 against 515 on the bandit, 585 against 707 on CartPoleFlip."""
    cell: str = "gru"
    """Evolved recurrent cell: gru | elman."""
    rule: str = "per_synapse"
    """Neuromod's plasticity rule: per_synapse | per_layer (chapter 5's). The first evolves A, B, C, D
    and eta for every synapse (as Najarro & Risi 2020), the second one set per layer (chapter 5's
    Neuromod)."""
    optimizer: str = "torch_cmaes"
    """The ES that evolves all three networks (a plain ES of ``trainers.REGISTRY``)."""
    sigma0: float = 0.5
    """The ES's initial step size."""
    popsize: int | None = None
    """Individuals per generation."""
    episodes_per_fitness: int | None = None
    """Episodes averaged into one fitness value: a fixed-weight policy's return depends on the hidden
    context (a lucky arm), so one episode ranks luck, not skill."""
    budget_evals: int | None = None
    """Training episodes per ES run (the same for every network)."""
    test_every: int | None = None
    """Training episodes between solved tests."""
    test_episodes: int | None = None
    """Fresh episodes per solved test."""
    seeds: int | list | None = None
    """Number of seeds, or a list of seeds (a number n: seeds 0..n-1)."""
    ppo_steps: dict | None = None
    """Env steps of PPO and RecurrentPPO per task, and the matched comparison's: the bandit's equals the
    ES runs' first 3,200 episodes in the book profile (100-step episodes)."""
    ppo_test_every: int | None = None
    """Env steps between PPO's and RecurrentPPO's solved tests."""
    probe_episodes: int | None = None
    """Fresh episodes per replayed network for the within-episode analysis."""
    processes: int | None = None
    """Runs trained in parallel, one core each (None: all cores)."""
    train_missing: bool | None = None
    """Train runs the results store lacks (False for the book profile: the campaign trains them)."""

    def seed_list(self) -> list[int]:
        return seed_list(self.seeds)

    def config(self, row: str, task: str, seed: int) -> RunConfig:
        """The run of ``row`` (see ``ROWS``) on ``task`` with ``seed``."""
        if row in GRADIENT_METHODS:
            return RunConfig(method=row, env=task, budget_steps=self.ppo_steps[task], test_every=self.ppo_test_every,
                             test_episodes=self.test_episodes, seed=seed)
        method, hidden, hyper = {
            "mlp": (self.optimizer, self.hidden, None),
            "neuromod": ("neuromod", self.hidden, {"optimizer": self.optimizer, "rule": self.rule}),
            "recurrent": ("recurrent", self.recurrent_hidden, {"optimizer": self.optimizer, "cell": self.cell}),
        }[row]
        return RunConfig(method=method, env=task, hidden=parse_hidden(hidden), popsize=self.popsize,
                         sigma0=self.sigma0, hyper=hyper, budget_evals=self.budget_evals,
                         episodes_per_fitness=self.episodes_per_fitness, test_every=self.test_every,
                         test_episodes=self.test_episodes, seed=seed, keep_solutions=True)

    def cells(self) -> list[tuple[str, str, RunConfig]]:
        """(row, task, config) of every run the chapter reads."""
        return [(row, task, self.config(row, task, s)) for task in self.tasks for row in ROWS
                for s in self.seed_list()]

    def configs(self) -> list[RunConfig]:
        return [c for *_, c in self.cells()]


def params(namespace: dict) -> PlasticityParams:
    """The chapter's parameters from its notebook namespace (strict, profile defaults filled in)."""
    p = check_parameters(PlasticityParams, namespace, PROFILES)
    p = dataclasses.replace(p, tasks=list(TASKS)) if p.tasks is None else p
    for name, value, valid in (("cell", p.cell, tuple(CELLS)), ("rule", p.rule, RULES),
                               ("optimizer", p.optimizer, [m for m in REGISTRY if m not in POLICY_SEARCH])):
        if value not in valid:
            raise ValueError(f"{name} must be one of {', '.join(valid)}, got {value!r}")
    unknown = [t for t in p.tasks if t not in TASKS]
    if unknown or not p.tasks:
        raise ValueError(f"tasks must be a non-empty list of {', '.join(TASKS)}, got {p.tasks!r}")
    if not isinstance(p.ppo_steps, dict) or any(t not in p.ppo_steps for t in p.tasks):
        raise ValueError(f"ppo_steps must map every task to an env-step budget, got {p.ppo_steps!r}")
    p.configs()  # every RunConfig validates itself (counts, budgets)
    return p


def configs(profile: str = "book") -> list[RunConfig]:
    """Every run chapter 7 reads at ``profile`` (for the campaign's plan)."""
    return params({"profile": profile}).configs()


def where(p: PlasticityParams):
    return results_root() / p.profile / "runs"


def run(p: PlasticityParams, log=print) -> pd.DataFrame | None:
    """The runs' records with a ``row`` column (``ROWS``): trained where missing (``train_missing``),
    else only the stored ones (None if there are none yet)."""
    cells = p.cells()
    if p.train_missing:
        run_many([c for *_, c in cells], where(p), processes=p.processes, log=log)
    frames = []
    for row, _, c in cells:
        df, _missing = available([c], where(p))
        if df is not None:
            frames.append(df.assign(row=row))
    if len(frames) < len(cells):
        log(f"{len(cells) - len(frames)} of {len(cells)} runs not stored yet (the campaign trains them)")
    return pd.concat(frames, ignore_index=True) if frames else None


def bounds(task: str) -> dict:
    """Reference returns of ``task``: ``oracle`` (told the context), ``feedforward`` (the best fixed-weight
    feedforward policy; exact on the bandit, None where unknown) and ``blind`` (a policy that ignores
    what the episode reveals: one fixed arm; the oracle's CartPole controller told nothing)."""
    return dict(bandit_bounds()) if task == BANDIT_ID else {**cartpole_references(), "feedforward": None}


FINAL_COLUMNS = ["task", "row", "seed", "method", "n_params", "final", "evals", "env_steps", "wall_s",
                 "test_wall_s", "cpu_s", "machine", "solution"]


def finals(df: pd.DataFrame | None) -> pd.DataFrame:
    """One row per (task, row, seed): the last solved test, the spend, and the tested ES solution
    (None: no runs, an empty frame with these columns)."""
    if df is None or df.empty:
        return pd.DataFrame(columns=FINAL_COLUMNS)
    last = df.sort_values("generation").groupby(["env", "row", "seed"], sort=False).tail(1)
    out = last[["env", "row", "seed", "method", "n_params", "test_return", "evals", "env_steps", "wall_s",
                "test_wall_s", "machine"]].rename(columns={"env": "task", "test_return": "final"})
    out["cpu_s"] = [run_cpu_seconds(r) for _, r in last.iterrows()]  # CPU time where recorded, else wall-clock
    if "solution" in df:
        solved = df.dropna(subset=["solution"]).sort_values("generation").groupby(["env", "row", "seed"]).tail(1)
        out = out.merge(solved[["env", "row", "seed", "solution"]].rename(columns={"env": "task"}), how="left")
    else:
        out = out.assign(solution=None)
    return out.reset_index(drop=True)


def at_steps(df: pd.DataFrame | None, steps: dict) -> pd.DataFrame:
    """Like ``finals``, at matched env steps: per (task, row, seed) the last solved test with at most
    ``steps[task]`` training env steps (a gradient baseline's final test; an ES run's test at that point
    of its curve -- on CartPoleFlip up to ``test_every`` episodes before it)."""
    if df is None or df.empty:
        return pd.DataFrame(columns=FINAL_COLUMNS)
    within = df[df["env_steps"] <= df["env"].map(steps)].dropna(subset=["test_return"])
    return finals(within)


def values(per_seed: pd.DataFrame, task: str, row: str, column: str = "final") -> np.ndarray:
    """One cell's per-seed values (seed order)."""
    g = per_seed[(per_seed["task"] == task) & (per_seed["row"] == row)].sort_values("seed")
    return g[column].to_numpy(float)


def gap_closed(per_seed: pd.DataFrame, row: str = "neuromod") -> np.ndarray:
    """Per seed, the fraction of the bandit's gap from the best feedforward policy to the oracle that
    ``row``'s final network closes (0: no better than win-stay-lose-shift; 1: the oracle)."""
    b = bounds(BANDIT_ID)
    return (values(per_seed, BANDIT_ID, row) - b["feedforward"]) / (b["oracle"] - b["feedforward"])


def summarise(per_seed: pd.DataFrame, planned: int, matched: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per (task, row) in ``TASKS`` and ``ROWS`` order, for readers: parameters, the final
    solved-test return (IQM [95 % CI] from ``MIN_SEEDS`` seeds on, else the values; "n = k of N"),
    the same at the matched env steps (``matched``: ``at_steps``' frame, if given), on the bandit the
    share of the feedforward-to-oracle gap closed, and the median spend."""
    out = []
    for task in TASKS:
        for row in ROWS:
            g = per_seed[(per_seed["task"] == task) & (per_seed["row"] == row)]
            med = (lambda col: float(g[col].astype(float).median())) if len(g) else (lambda col: np.nan)
            at = {}
            if matched is not None:
                m = values(matched, task, row)
                at["return at the matched env steps"] = (report.over_seeds(m, 1, planned) if m.size or not len(g)
                                                         else "no solved test within them")
            out.append({
                "task": task, "network": LABELS[row], "n": len(g),
                "parameters": report.num(int(g["n_params"].iloc[0])) if len(g) else report.DASH,
                "final return": report.over_seeds(values(per_seed, task, row), 1, planned), **at,
                "share of the gap closed": report.over_seeds(gap_closed(per_seed, row), 2, planned)
                if task == BANDIT_ID else "",
                "env steps (median)": report.num(med("env_steps")),
                "CPU-minutes per run (median)": report.num(med("cpu_s") / 60, 1),
            })
    return pd.DataFrame(out)


def replays(p: PlasticityParams, per_seed: pd.DataFrame, task: str) -> dict:
    """The trace (``plasticity_probe.probe``) of every stored evolved network on ``task``, by (row, seed):
    ``probe_episodes`` fresh episodes each; the memory every step (bandit) or every 10th (CartPoleFlip)."""
    from .plasticity_probe import probe

    es = per_seed[(per_seed["task"] == task) & per_seed["row"].isin(EVOLVED) & per_seed["solution"].notna()]
    stride = 1 if task == BANDIT_ID else 10
    return {(r.row, r.seed): probe(p.config(r.row, task, r.seed), json.loads(r.solution), p.probe_episodes, stride)
            for r in es.itertuples()}

