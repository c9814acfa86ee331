"""What chapter 2's tasks cost: one evaluation measured per task, and the cost model built on it.

``measure_cost`` times one generation per task on one core (serial and population-batched, cached
per profile by ``measure_costs``); ``bench_table`` reads the committed ``bench evaluator`` results;
``episode_prices`` prices an evaluation from the stored ES runs that trained a task longest, early in
training and once training got furthest; ``cost_model`` turns the design note's evaluation estimates
(``environments.CLAIMED_EVALS``) and the ``full`` profile into CPU-hours, and ``cost_view`` /
``cost_texts`` show it to readers (``hours_text`` for hours in prose).
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np
import pandas as pd

from ..config import RunConfig
from ..envs import get_spec
from ..evaluation import TRAIN, episode_seeds, make_evaluator
from ..machine import machine_label
from . import cached_table, cma_runs, results_root
from .environments import CLAIMED_EVALS, PROFILES, TASKS, EnvParams
from .unit_costs import load_costs, us_per_step_text

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
    from ..store import read_json

    where = results_root() / "bench" if where is None else where
    rows = []
    for t in TASKS:
        d = read_json(where / f"evaluator-{t.replace('/', '_')}.json")  # None: not measured, or warned about
        if d is not None:
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


def episode_prices(env: str, runs: list[pd.DataFrame], unit: pd.DataFrame | None = None) -> dict | None:
    """What one evaluation of ``env`` costs, from the stored ES runs that trained it longest (those
    with the largest budget of evaluations among ``runs``). An evaluation costs its episode's env steps
    times the seconds per env step, plus the optimiser's seconds per evaluation (ask + tell over the
    population). The unit costs are the idle-core ones chapter 6 measured (``unit``:
    ``unit_costs.load_costs``, per method and task) for every run whose method has them, so a second
    per-step price of the same env step is never shown; a run without them is priced from its own
    records (population evaluation time over its env steps; taken on the shared machine). ``idle``
    counts the runs priced from the idle-core costs. Steps per episode are read in the first and the
    last ``PRICE_WINDOW`` of the runs' generations: episodes as they are early in training, and as they
    are once training has got furthest. ``solved``: the runs' median last solved test reached the
    task's solved line, so the late episodes are those of a policy that works. None without runs."""
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
        finals.append(r["test_return"].dropna().iloc[-1] if r["test_return"].notna().any() else np.nan)
    costs = {} if unit is None else {(m, e): c for m, e, c in
                                     zip(unit["method"], unit["env"], unit[["eval_s_per_step", "serial_s_per_gen"]].values)}
    eval_s = opt_s = 0.0  # seconds of the runs' evaluations and updates, at the unit costs that price them
    idle = 0
    for r in longest:
        c = costs.get((r["method"].iloc[0] if "method" in r else None, env))
        if c is None:
            eval_s, opt_s = eval_s + float(r["pop_eval_s"].sum()), opt_s + float(r["opt_s"].sum())
        else:
            eval_s, opt_s, idle = eval_s + c[0] * float(r["env_steps"].iloc[-1]), opt_s + c[1] * len(r), idle + 1
    steps = sum(float(r["env_steps"].iloc[-1]) for r in longest)
    evals = sum(float(r["evals"].iloc[-1]) for r in longest)
    thr = get_spec(env).solved
    median_final = float(np.nanmedian(finals)) if np.isfinite(finals).any() else np.nan
    return dict(env=env, runs=len(longest), budget_evals=budget, idle=idle,
                s_per_step=eval_s / steps, opt_s_per_eval=opt_s / evals,
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
            idle = int(q.get("idle", 0))
            basis += (", idle-core unit costs" if idle == q["runs"] else ", their own timings (shared machine)"
                      if idle == 0 else f", idle-core unit costs for {idle} of them")
            steps_late = q["steps_late"]
        else:
            early, late, per_step, solved, basis = (c["lockstep_s_per_episode"], np.nan,
                                                    c["lockstep_s_per_episode"] / c["steps_per_episode"], False,
                                                    "an untrained population")
            opt, steps_late = 0.0, np.nan
        cap = c["max_steps"] * per_step + opt
        upper = late if solved else cap
        es_full, _ = full["settings"][env]
        full_evals = sum(s["budget_evals"] for s in es_full.values()) * full["seeds"]
        if env == "LunarLander-v3":
            full_evals = cma_runs.PROFILES["full"]["budget_evals"] * cma_runs.PROFILES["full"]["seeds"]
        est = CLAIMED_EVALS[env]
        rows.append({
            "env": env, "claimed_evals": est, "priced_from": basis, "s_per_step": per_step,
            "steps_late": steps_late, "s_per_eval_early": early,
            "s_per_eval_late": late, "s_per_eval_cap": cap, "upper": "late" if solved else "cap",
            "claimed_cpu_h_early": est * early / 3600, "claimed_cpu_h_upper": est * upper / 3600,
            "claimed_h_on_cores": est * upper / 3600 / cores, "full_evals": full_evals,
            "full_cpu_h_upper": full_evals * upper / 3600, "cores": cores,
        })
    return pd.DataFrame(rows)


def prices(p: EnvParams) -> pd.DataFrame:
    """``episode_prices`` of every task of ``p`` from the profile's stored runs (any chapter's), at
    chapter 6's idle-core unit costs where they are stored."""
    where, (unit, _) = results_root() / p.profile / "runs", load_costs(p.profile)
    rows = [episode_prices(t, stored_es_runs(t, where), unit) for t in p.task_list()]
    return pd.DataFrame([r for r in rows if r is not None])


def cost_parts(cores: int) -> dict:
    """The cost model's two tables (``report.tables`` parts of ``cost_view``)."""
    return {"What one evaluation costs (s)": ["the design note's evaluations", "priced from", "µs per env step",
                                              "early in training",
                                              "once training got furthest", "every episode at the cap"],
            "What the design note's evaluations cost (extrapolated)": [
                "CPU-hours, early prices", "CPU-hours, upper end", "upper end", f"hours on {cores} ideal cores"]}


def cost_view(model: pd.DataFrame, cores: int) -> pd.DataFrame:
    """The cost model as the chapter shows it, in readers' words: split into ``cost_parts``."""
    return pd.DataFrame({
        "task": model["env"], "the design note's evaluations": model["claimed_evals"],
        "priced from": model["priced_from"], "µs per env step": model["s_per_step"].map(us_per_step_text),
        "early in training": model["s_per_eval_early"], "once training got furthest": model["s_per_eval_late"],
        "every episode at the cap": model["s_per_eval_cap"],
        "CPU-hours, early prices": model["claimed_cpu_h_early"].map(hours_text),
        "CPU-hours, upper end": model["claimed_cpu_h_upper"].map(hours_text),
        "upper end": model["upper"].map({"late": "once it works", "cap": "at the cap"}),
        "hours on the cores": model["claimed_h_on_cores"].map(hours_text),
    }).rename(columns={"hours on the cores": f"hours on {cores} ideal cores"})


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
            out[f"{key}_us_step"] = us_per_step_text(r["s_per_step"])
            out[f"{key}_steps_late"] = "not priced" if r["steps_late"] != r["steps_late"] else f"{r['steps_late']:,.0f}"
    return out
