"""Open question 1 -- backprop vs evolution: PPO against three ES at equal env steps and equal one-core time, and the number of
cores at which ES's parallelism overtakes PPO's data efficiency.

Runs: per task, the ES rows of chapter 5 (``es_settings.method_settings``: torch CMA-ES, OpenAI-ES, GA;
popsize 64) and PPO with the zoo's hyper-parameters at 3x the zoo's budget. LunarLander's ES runs are
chapter 3's and chapter 5's configurations (identical keys, one run each); its PPO runs are chapter
5's. Every run is recorded against env steps, training episodes and wall-clock on one core; the
figure draws the first and the last, *modelled* from per-method unit costs measured on an idle core
(``backprop_measure``; the campaign's ``wall_s`` is measured beside other work at nice 19, so it is
not used).

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

from ..bench.backprop_costs import measure_ppo_speedup, unit_costs  # noqa: F401 (chapter 6 and its tests)
from ..config import RunConfig, parse_hidden
from ..envs import get_spec
from ..stats import MIN_SEEDS, compare, iqm_ci
from . import available, check_parameters, report, results_root, run_many, seed_list
from .backprop_cores import (CORES, DRAW_SIM_GENERATIONS, ES_MODEL_DRAWS, LABELS, SEED_ONLY_METHODS,  # noqa: F401
                             cores, cross_text, seed_only_text,
                             crossover, crossover_for, es_speedup, es_speedup_draws, ipc_speedup, km_columns,
                             missing_inputs, one_core_wall, ppo_plan_text, speedup, time_to_threshold)
from .backprop_figures import figure_cores, figure_curves  # noqa: F401 (chapter 6)
from .es_settings import BOOK, method_settings
from .unit_costs import (cost_paths, es_speedup_path, load_costs, load_ppo_timings,  # noqa: F401 (chapters 6, 9)
                         ppo_timings_path)

ES_ROWS = ("cmaes", "openai_es", "ga")  # es_settings.GRID_ROWS' names; "cmaes" is the torch CMA-ES
ZOO_STEPS = {"CartPole-v1": 100_000, "LunarLander-v3": 1_000_000, "BipedalWalker-v3": 5_000_000}


def _task(budget_evals, test_every, ppo_steps, ppo_test_every, seeds, rows=ES_ROWS, test_episodes=100, hidden="64,32",
          ppo_test_every_unsolved=None):
    return dict(budget_evals=budget_evals, test_every=test_every, ppo_steps=ppo_steps, ppo_test_every=ppo_test_every,
                seeds=seeds, rows=tuple(rows), test_episodes=test_episodes, hidden=hidden,
                ppo_test_every_unsolved=ppo_test_every_unsolved)


PROFILES = {
    # CI: seconds; the numbers mean nothing
    "smoke": dict(popsize=8, train_missing=True, costs_from_runs=True, tasks={
        "CartPole-v1": _task(32, 16, 1_024, 512, 2, ("cmaes", "openai_es"), test_episodes=3, hidden="4,2")}),
    # about an hour on 2 cores
    "quick": dict(popsize=64, train_missing=True, costs_from_runs=False, tasks={
        "CartPole-v1": _task(3_200, 640, 100_000, 10_000, 5),
        "LunarLander-v3": _task(10_240, 2_560, 300_000, 100_000, 5)}),
    # the campaign's runs: PPO at 3x the zoo's budget, ES on chapter 3's protocol
    "book": dict(popsize=64, train_missing=False, costs_from_runs=False, tasks={
        # CartPole: the ES's solved test every generation (64 episodes), PPO's every 1,024 env steps until
        # it first passes 475 (then every 10,000), so each side's steps to 475 are bracketed finely (every
        # 640 episodes and 10,000 steps left the ratio anywhere in 2.6-12x; issue 36)
        "CartPole-v1": _task(6_400, 64, 300_000, 10_000, 10, ppo_test_every_unsolved=1_024),
        "LunarLander-v3": _task(102_400, 2_560, 3_000_000, 100_000, 10),
        # ES: 200 generations, about 18M env steps (3.6x PPO's; Salimans: ES needs 3-10x), 1.7 CPU-h a seed
        "BipedalWalker-v3": _task(12_800, 2_560, 5_000_000, 250_000, 3, ("openai_es",), test_episodes=20,
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
    """{task: dict(budget_evals, test_every, ppo_steps, ppo_test_every, seeds, rows, test_episodes, hidden,
    ppo_test_every_unsolved)}: per task the ES's episode budget and solved-test interval, PPO's env-step
    budget and interval, the seeds, the ES rows, the episodes per solved test, the ES's hidden widths ("":
    the registry's) and PPO's solved-test interval until it first passes the threshold (None: its interval)."""
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
        mp = BOOK  # chapter 5's ES hyper-parameters (identical in every profile)
        out = []
        for env, t in self.tasks.items():
            if task is not None and env != task:
                continue
            hidden = parse_hidden(t["hidden"]) if t["hidden"] else get_spec(env).default_hidden
            for s in seed_list(t["seeds"]):
                out += [("es", RunConfig(env=env, hidden=hidden, popsize=self.popsize, budget_evals=t["budget_evals"],
                                         test_every=t["test_every"], test_episodes=t["test_episodes"], seed=s,
                                         **method_settings(mp, row))) for row in t["rows"]]
                out.append(("ppo", RunConfig(method="ppo", env=env, budget_steps=t["ppo_steps"],
                                             test_every=t["ppo_test_every"], test_episodes=t["test_episodes"], seed=s,
                                             test_every_unsolved=t.get("ppo_test_every_unsolved"))))
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
        out += [RunConfig(method="ppo", env=env, budget_steps=t["ppo_steps"], test_every=t["ppo_test_every"],
                          test_episodes=t["test_episodes"], seed=s, hyper={"net_arch": tuple(hidden)})
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


# ---------------------------------------------------------------- summaries and verdicts

def per_seed(df: pd.DataFrame, threshold: float, costs: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per (method, seed): final return (deterministic; PPO also sampled), env steps, episodes,
    updates and modelled one-core seconds to the first solved test at or above the threshold, and the
    env steps at the solved test before it (``steps_before``; 0 where the first test passed, NaN where
    none did), so the crossing is bracketed by the test cadence."""
    df = df.assign(wall_1core=one_core_wall(df, costs))
    if "test_return_stochastic" not in df:
        df = df.assign(test_return_stochastic=np.nan)
    rows = []
    for (m, s), g in df[np.isfinite(df["test_return"])].groupby(["method", "seed"]):
        g = g.sort_values("env_steps")
        passed = np.flatnonzero(g["test_return"].to_numpy() >= threshold)
        hit = g.iloc[passed[:1]]
        at = lambda col: float(hit[col].iloc[0]) if len(hit) else np.nan  # noqa: E731
        before = np.nan if not len(hit) else float(g["env_steps"].iloc[passed[0] - 1]) if passed[0] else 0.0
        rows.append(dict(method=m, seed=s, final=float(g["test_return"].iloc[-1]),
                         final_stochastic=float(g["test_return_stochastic"].iloc[-1]),
                         steps_to=at("env_steps"), steps_before=before, evals_to=at("evals"), gens_to=at("generation") + 1,
                         wall_to=at("wall_1core"), max_steps=int(g["env_steps"].iloc[-1]),
                         max_wall=float(g["wall_1core"].iloc[-1]), max_gens=int(g["generation"].iloc[-1]) + 1))
    return pd.DataFrame(rows)


def at_x(df: pd.DataFrame, method: str, x: str, value: float) -> np.ndarray:
    """Each seed's solved-test return interpolated at ``x`` = value (its last value past its end)."""
    out = []
    for _, g in df[(df["method"] == method) & np.isfinite(df["test_return"]) & np.isfinite(df[x])].groupby("seed"):
        g = g.sort_values(x)
        out.append(np.interp(value, g[x], g["test_return"]))
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
                              steps_before=g["steps_before"].to_numpy(),
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
