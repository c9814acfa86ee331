"""Open question 2 -- can evolved local learning rules close the credit-assignment gap? (chapter 7)

The book's other tasks need no learning within an episode: a good LunarLander policy is one fixed map
from observation to action. Both tasks here (``envs_adapt``) hide a per-episode context the agent can
only infer from its own actions and their outcomes: which arm of ``ReversalBandit-v0`` pays more (it
may swap mid-episode), whether ``CartPoleFlip-v1`` inverts the actions.

Rows (``ROWS``), on equal footing: three networks evolved by the same ES (``optimizer``; same
population, sigma, episodes per fitness and episode budget) -- an MLP (fixed weights: it cannot
adapt), Neuromod (``plastic.NeuromodPolicy`` of the same width: fast weights learn by an evolved,
neuromodulated Hebbian rule) and a GRU (``policies_recurrent``, a similar parameter count: it adapts in
its hidden state) -- and two backprop baselines matched in env steps: PPO (feedforward) and
RecurrentPPO (an LSTM, the RL^2 approach). Every ES record with a solved test keeps the tested
solution (``RunConfig.keep_solutions``), so the chapter replays the final networks
(``plasticity_probe``) without training anything.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats as sps

from ..config import RunConfig, parse_hidden
from ..envs_adapt import BANDIT_ID, CARTPOLE_ID, bandit_bounds, cartpole_references
from ..plastic import RULES
from ..policies_recurrent import CELLS
from ..stats import iqm, iqm_ci
from ..trainers import GRADIENT_METHODS, POLICY_SEARCH, REGISTRY
from . import check_parameters, load_cached, results_root, run_many, seed_list

ROWS = ("mlp", "neuromod", "recurrent", "ppo", "recurrent_ppo")
EVOLVED = ROWS[:3]
LABELS = {"mlp": "MLP (fixed weights)", "neuromod": "Neuromod (plastic)", "recurrent": "GRU (evolved)",
          "ppo": "PPO", "recurrent_ppo": "RecurrentPPO (LSTM)"}
TASKS = (BANDIT_ID, CARTPOLE_ID)
MIN_SEEDS_FOR_CI = 5
"""Below this many seeds a cell shows its values and "n = k" instead of an IQM and CI."""

PROFILES = {
    # CI: the whole pipeline (one seed: five runs per task, and the replays) in seconds; numbers mean nothing
    "smoke": dict(popsize=8, episodes_per_eval=2, budget_evals=64, eval_every=32, eval_episodes=5, seeds=1,
                  ppo_steps={BANDIT_ID: 512, CARTPOLE_ID: 512}, ppo_eval_every=256, probe_episodes=8,
                  train_missing=True),
    # a first look: 3 seeds, half the book's episodes and env steps (about 2 h on 2 cores, RecurrentPPO most of it)
    "quick": dict(popsize=16, episodes_per_eval=8, budget_evals=6_400, eval_every=1_600, eval_episodes=200,
                  seeds=3, ppo_steps={BANDIT_ID: 640_000, CARTPOLE_ID: 640_000}, ppo_eval_every=160_000,
                  probe_episodes=200, train_missing=True),
    # the rendered book: the ten-seed campaign's runs (results/book/runs/); the chapter trains nothing.
    # 100 generations of 16 x 8 episodes; PPO's 1.28M steps are the ES runs' on the bandit
    "book": dict(popsize=16, episodes_per_eval=8, budget_evals=12_800, eval_every=1_600, eval_episodes=200,
                 seeds=10, ppo_steps={BANDIT_ID: 1_280_000, CARTPOLE_ID: 1_280_000}, ppo_eval_every=160_000,
                 probe_episodes=200, train_missing=False),
    # a cluster: twice the episodes and env steps, 20 seeds
    "full": dict(popsize=16, episodes_per_eval=8, budget_evals=25_600, eval_every=3_200, eval_episodes=200,
                 seeds=20, ppo_steps={BANDIT_ID: 2_560_000, CARTPOLE_ID: 2_560_000}, ppo_eval_every=320_000,
                 probe_episodes=200, train_missing=True),
}


@dataclass(frozen=True)
class PlasticityParams:
    profile: str = "book"
    """smoke | quick | book | full -- sets the default of every parameter left at None."""
    tasks: list | None = None
    """Tasks to run (default both adaptation tasks of ``envs_adapt``)."""
    hidden: str | tuple = "16"
    """Hidden widths of the MLP and of Neuromod (the same network, Neuromod adds the rule)."""
    recurrent_hidden: str | tuple = "11"
    """Units of the evolved recurrent layer (11 GRU units: about Neuromod's parameter count with the
    per-synapse rule -- 519 against 515 on the bandit, 585 against 707 on CartPoleFlip)."""
    cell: str = "gru"
    """Evolved recurrent cell: gru or elman."""
    rule: str = "per_synapse"
    """Neuromod's plasticity rule: per_synapse (A, B, C, D, eta for every synapse, as Najarro & Risi
    2020) or per_layer (one set per layer, chapter 5's Neuromod)."""
    optimizer: str = "torch_cmaes"
    """The ES that evolves all three networks (a plain ES of ``trainers.REGISTRY``)."""
    sigma0: float = 0.5
    popsize: int | None = None
    episodes_per_eval: int | None = None
    """Episodes averaged into one fitness value: a fixed-weight policy's return depends on the hidden
    context (a lucky arm), so one episode ranks luck, not skill."""
    budget_evals: int | None = None
    """Training episodes per ES run (the same for every network)."""
    eval_every: int | None = None
    eval_episodes: int | None = None
    seeds: int | list | None = None
    ppo_steps: dict | None = None
    """Env steps of PPO and RecurrentPPO per task: the bandit's equals the ES runs' (100-step episodes)."""
    ppo_eval_every: int | None = None
    probe_episodes: int | None = None
    """Fresh episodes per replayed network for the within-episode analysis."""
    processes: int | None = None
    train_missing: bool | None = None
    """Train runs the results store lacks (False for the book profile: the campaign trains them)."""

    def seed_list(self) -> list[int]:
        return seed_list(self.seeds)

    def config(self, row: str, task: str, seed: int) -> RunConfig:
        """The run of ``row`` (see ``ROWS``) on ``task`` with ``seed``."""
        if row in GRADIENT_METHODS:
            return RunConfig(method=row, env=task, budget_steps=self.ppo_steps[task], eval_every=self.ppo_eval_every,
                             eval_episodes=self.eval_episodes, seed=seed)
        method, hidden, hyper = {
            "mlp": (self.optimizer, self.hidden, None),
            "neuromod": ("neuromod", self.hidden, {"optimizer": self.optimizer, "rule": self.rule}),
            "recurrent": ("recurrent", self.recurrent_hidden, {"optimizer": self.optimizer, "cell": self.cell}),
        }[row]
        return RunConfig(method=method, env=task, hidden=parse_hidden(hidden), popsize=self.popsize,
                         sigma0=self.sigma0, hyper=hyper, budget_evals=self.budget_evals,
                         episodes_per_eval=self.episodes_per_eval, eval_every=self.eval_every,
                         eval_episodes=self.eval_episodes, seed=seed, keep_solutions=True)

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
    for name, value, valid in (("cell", p.cell, CELLS), ("rule", p.rule, RULES),
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
    frames = [df.assign(row=row) for row, _, c in cells if (df := load_cached(c, where(p))) is not None]
    if len(frames) < len(cells):
        log(f"{len(cells) - len(frames)} of {len(cells)} runs not stored yet (the campaign trains them)")
    return pd.concat(frames, ignore_index=True) if frames else None


def bounds(task: str) -> dict:
    """Reference returns of ``task``: ``oracle`` (told the context), ``feedforward`` (the best fixed-weight
    feedforward policy; exact on the bandit, None where unknown) and ``blind`` (a policy that ignores
    what the episode reveals: one fixed arm; the oracle's CartPole controller told nothing)."""
    return dict(bandit_bounds()) if task == BANDIT_ID else {**cartpole_references(), "feedforward": None}


def finals(df: pd.DataFrame) -> pd.DataFrame:
    """One row per (task, row, seed): the last solved test, the spend, and the tested ES solution."""
    last = df.sort_values("generation").groupby(["env", "row", "seed"], sort=False).tail(1)
    out = last[["env", "row", "seed", "method", "n_params", "eval_return", "evals", "env_steps", "wall_s",
                "eval_wall_s", "machine"]].rename(columns={"env": "task", "eval_return": "final"})
    if "solution" in df:
        solved = df.dropna(subset=["solution"]).sort_values("generation").groupby(["env", "row", "seed"]).tail(1)
        out = out.merge(solved[["env", "row", "seed", "solution"]].rename(columns={"env": "task"}), how="left")
    return out.reset_index(drop=True)


def describe(values) -> dict:
    """IQM [95 % CI] of ``values`` with n; below ``MIN_SEEDS_FOR_CI`` the CI is NaN (show the values)."""
    values = np.asarray(values, dtype=float)
    if values.size >= MIN_SEEDS_FOR_CI:
        point, lo, hi = iqm_ci(values)
    else:
        point, lo, hi = (float(np.mean(values)) if values.size else math.nan), math.nan, math.nan
    return {"n": int(values.size), "iqm": point, "lo": lo, "hi": hi, "values": sorted(values.tolist())}


def diff_ci(a, b, n_resamples: int = 2000, seed: int = 0) -> tuple[float, float, float]:
    """IQM(a) - IQM(b) with a 95 % percentile bootstrap CI (seeds resampled within each group)."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    res = sps.bootstrap((a, b), lambda x, y, axis: iqm(x, axis=axis) - iqm(y, axis=axis), paired=False,
                        n_resamples=n_resamples, method="percentile", vectorized=True,
                        rng=np.random.default_rng(seed))
    return float(iqm(a) - iqm(b)), float(res.confidence_interval.low), float(res.confidence_interval.high)


def summarise(per_seed: pd.DataFrame) -> pd.DataFrame:
    """One row per (task, row), in ``TASKS`` and ``ROWS`` order: the final solved-test return
    (``describe``) and the median spend (env steps; wall-clock with the solved tests, one core)."""
    rows = []
    for task in TASKS:
        for row in ROWS:
            g = per_seed[(per_seed["task"] == task) & (per_seed["row"] == row)]
            if len(g):
                rows.append({"task": task, "row": row, **describe(g["final"]), "n_params": int(g["n_params"].iloc[0]),
                             "env_steps": float(g["env_steps"].median()),
                             "wall_s": float((g["wall_s"] + g["eval_wall_s"]).median())})
    return pd.DataFrame(rows)


def gap_closed(per_seed: pd.DataFrame, row: str = "neuromod") -> np.ndarray:
    """Per seed, the fraction of the bandit's gap from the best feedforward policy to the oracle that
    ``row``'s final network closes (0: no better than win-stay-lose-shift; 1: the oracle)."""
    b = bounds(BANDIT_ID)
    final = per_seed.loc[(per_seed["task"] == BANDIT_ID) & (per_seed["row"] == row), "final"].to_numpy(float)
    return (final - b["feedforward"]) / (b["oracle"] - b["feedforward"])


def _sign(lo: float, hi: float) -> int:
    return 1 if lo > 0 else -1 if hi < 0 else 0


def verdict(per_seed: pd.DataFrame) -> dict:
    """Open question 2's verdict (confirmed | refuted | refined | unresolved) and its number: the share
    of the bandit's feedforward-to-oracle gap Neuromod closes (IQM [95 % CI], n seeds). Confirmed:
    that share's CI lies above 0 and Neuromod beats the MLP on CartPoleFlip (CI of the difference of
    IQMs above 0); refined: one of the two; refuted: the share's CI lies below 0 and Neuromod does not
    beat the MLP on CartPoleFlip; unresolved otherwise, or with fewer than ``MIN_SEEDS_FOR_CI`` seeds.
    ``detectable``: half the share's CI width, about the smallest share these seeds can resolve."""
    gap = describe(gap_closed(per_seed)) if BANDIT_ID in set(per_seed["task"]) else describe([])
    cart = per_seed[per_seed["task"] == CARTPOLE_ID].pivot(index="seed", columns="row", values="final")
    pair = cart[["neuromod", "mlp"]].dropna() if {"neuromod", "mlp"} <= set(cart) else cart.iloc[:0, :0]
    n_cart = len(pair)
    diff = diff_ci(pair["neuromod"], pair["mlp"]) if n_cart >= MIN_SEEDS_FOR_CI else (math.nan,) * 3
    out = {"gap": gap, "cartpole_diff": diff, "n_cartpole": n_cart,
           "detectable": (gap["hi"] - gap["lo"]) / 2}
    if gap["n"] < MIN_SEEDS_FOR_CI or n_cart < MIN_SEEDS_FOR_CI:
        return {**out, "word": "unresolved"}
    b, c = _sign(gap["lo"], gap["hi"]), _sign(diff[1], diff[2])
    word = ("confirmed" if b == c == 1 else "refined" if 1 in (b, c) else
            "refuted" if b == -1 and c <= 0 else "unresolved")
    return {**out, "word": word}


def fmt(d: dict, digits: int = 1) -> str:
    """``describe``'s dict as text: "IQM [lo, hi] (n = k)", or the values below ``MIN_SEEDS_FOR_CI``."""
    if d["n"] == 0:
        return "no runs stored"
    if math.isnan(d["lo"]):
        return f"{', '.join(f'{v:.{digits}f}' for v in d['values'])} (n = {d['n']})"
    return f"{d['iqm']:.{digits}f} [{d['lo']:.{digits}f}, {d['hi']:.{digits}f}] (n = {d['n']})"


def replays(p: PlasticityParams, per_seed: pd.DataFrame, task: str) -> dict:
    """The trace (``plasticity_probe.probe``) of every stored evolved network on ``task``, by (row, seed):
    ``probe_episodes`` fresh episodes each; the memory every step (bandit) or every 10th (CartPoleFlip)."""
    from .plasticity_probe import probe

    es = per_seed[(per_seed["task"] == task) & per_seed["row"].isin(EVOLVED)]
    stride = 1 if task == BANDIT_ID else 10
    return {(r.row, r.seed): probe(p.config(r.row, task, r.seed), r.solution, p.probe_episodes, stride)
            for r in es.itertuples()}
