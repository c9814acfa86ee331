"""Dimension 1 beyond 100K parameters: where does OpenAI-ES stop, and do low-rank perturbations move it?

Chapter 1's width sweep ends at 100,066 parameters with OpenAI-ES unbeaten. This study carries it on,
on the same task and protocol (LunarLander, population 64, 30,720 training episodes, a solved test of
100 episodes every 2,560):

* **OpenAI-ES, full rank** (every member a full Gaussian perturbation of all n weights) at about 300K
  and 1M parameters;
* **the low-rank ES** (EGGROLL: each weight matrix perturbed by a rank-r product, ``lowrank_es``) at
  100,066 parameters (chapter 1's widest network, against its stored full-rank runs), about 1M, about
  3M, and about 10M where ``bench lowrank`` predicts a run fits in ``max_run_hours`` on one core;
* **PPO** with the same hidden widths (SB3 ``net_arch``, an actor and a critic of that size) at about
  300K and 1M parameters, at the zoo's 1M env steps.

Networks from 300K up have two equal hidden layers. **Tuning, by the fair-rivals protocol**: before
the evaluation runs each ES gets the same short pass at about 1M parameters, ``tune_lrs`` learning
rates x 3 tuning seeds (100-102, none of the evaluation seeds) at 10,240 episodes, σ at the book's
0.05; the rule picks the best IQM of the final solved test (ties to the cheaper), and the choice serves
every width of this study. Until a method's pass is complete its evaluation runs are not planned
(``pending`` says how many wait), so no run is trained with a setting the rule may replace.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..bench import ppo_widths
from ..config import RunConfig, parse_hidden
from ..envs import get_spec
from ..labels import METHOD_LABELS
from ..policies import param_count
from ..runs import load_cached, results_root, run_cpu_seconds
from ..stats import loglog_interp
from ..store import read_json
from . import check_parameters, run_many, seed_list

ES = ("openai_es", "lowrank_es")
LABELS = {m: METHOD_LABELS[m] for m in (*ES, "ppo")}


@dataclass(frozen=True)
class FrontierParams:
    """The study's runs (the book protocol of chapter 1 beyond its widest network)."""

    profile: str = "book"
    """smoke | book (quick and full read the book's runs)."""
    env: str = "LunarLander-v3"
    """The task (chapter 1's)."""
    popsize: int | None = None
    """Population per generation."""
    budget_evals: int | None = None
    """Training episodes per evaluation run."""
    test_every: int | None = None
    """Training episodes between solved tests."""
    test_episodes: int | None = None
    """Episodes per solved test."""
    sigma: float | None = None
    """Perturbation scale of both ES (the book's OpenAI-ES σ)."""
    rank: int | None = None
    """Rank r of the low-rank perturbations."""
    full_rank: dict | None = None
    """OpenAI-ES (full rank): hidden widths -> seeds."""
    low_rank: dict | None = None
    """Low-rank ES: hidden widths -> seeds (the last only if ``bench lowrank`` predicts it fits)."""
    ppo: dict | None = None
    """PPO: hidden widths (actor and critic) -> seeds."""
    ppo_steps: int | None = None
    """PPO's env steps per run."""
    ppo_test_every: int | None = None
    """Env steps between PPO's solved tests."""
    tune_hidden: str | None = None
    """The width of the tuning pass."""
    tune_lrs: tuple | None = None
    """Learning rates of the tuning pass (Adam, both ES)."""
    tune_seeds: tuple | None = None
    """Tuning seeds: none of the evaluation seeds."""
    tune_budget_evals: int | None = None
    """Training episodes per tuning run."""
    max_run_hours: float | None = None
    """The low-rank ES's widest network runs only if its predicted run takes at most this (one core)."""


PROFILES = {
    # CI: tiny nets and budgets; the numbers mean nothing
    "smoke": dict(popsize=8, budget_evals=32, test_every=16, test_episodes=3, sigma=0.05, rank=1,
                  full_rank={"16,16": 2}, low_rank={"8,4": 2, "16,16": 2, "32,32": 2}, ppo={"16,16": 2},
                  ppo_steps=2_048, ppo_test_every=0, tune_hidden="16,16", tune_lrs=(0.01, 0.03),
                  tune_seeds=(100,), tune_budget_evals=16, max_run_hours=3.0),
    "book": dict(popsize=64, budget_evals=30_720, test_every=2_560, test_episodes=100, sigma=0.05, rank=1,
                 full_rank={"541,541": 5, "993,993": 5},
                 low_rank={"436,218": 5, "993,993": 5, "1725,1725": 5, "3155,3155": 3},
                 ppo={"541,541": 3, "993,993": 3}, ppo_steps=1_000_000, ppo_test_every=100_000,
                 tune_hidden="993,993", tune_lrs=(0.003, 0.01, 0.03), tune_seeds=(100, 101, 102),
                 tune_budget_evals=10_240, max_run_hours=3.0),
}
PRIORITY = {"tune": 8, "es": 9, "ppo": 9}
"""Campaign priority: after every fair-rivals run (1-7), the tuning pass before the evaluation runs."""


def params(namespace: dict) -> FrontierParams:
    """The study's parameters (strict; profile defaults filled in; quick and full read the book's)."""
    ns = dict(namespace)
    if ns.get("profile") in ("quick", "full"):
        ns["profile"] = "book"
    return check_parameters(FrontierParams, ns, PROFILES)


def n_params(hidden, env: str = "LunarLander-v3") -> int:
    """Parameters of the MLP policy with these hidden widths on ``env``."""
    spec = get_spec(env)
    return param_count(spec.obs_dim, parse_hidden(hidden), spec.act_dim)


def _es(p: FrontierParams, method: str, hidden, seed: int, lr: float, budget: int) -> RunConfig:
    hyper = {"lr": lr, **({"rank": p.rank} if method == "lowrank_es" else {})}
    return RunConfig(method=method, env=p.env, hidden=parse_hidden(hidden), popsize=p.popsize, sigma0=p.sigma,
                     budget_evals=budget, test_every=p.test_every, test_episodes=p.test_episodes, seed=seed,
                     hyper=hyper)


def tuning_configs(p: FrontierParams) -> list[tuple[str, float, RunConfig]]:
    """(method, learning rate, RunConfig) of every tuning run: the same number for both ES."""
    return [(m, lr, _es(p, m, p.tune_hidden, s, lr, p.tune_budget_evals))
            for m in ES for lr in p.tune_lrs for s in p.tune_seeds]


def tuning_table(p: FrontierParams) -> pd.DataFrame:
    """One row per tuning run: method, learning rate, seed, final solved-test return (NaN: not stored),
    CPU seconds, stored."""
    where = results_root() / p.profile / "runs"
    rows = []
    for m, lr, c in tuning_configs(p):
        df = load_cached(c, where)
        tests = None if df is None else df[np.isfinite(df["test_return"])]
        rows.append(dict(method=m, lr=lr, seed=c.seed, stored=df is not None,
                         final=float(tests["test_return"].iloc[-1]) if df is not None and len(tests) else math.nan,
                         cpu_s=run_cpu_seconds(df.iloc[-1]) if df is not None else math.nan))
    return pd.DataFrame(rows)


def selected_lrs(p: FrontierParams, runs: pd.DataFrame | None = None) -> dict[str, float]:
    """Per ES whose tuning pass is complete: its learning rate by the fair-rivals rule
    (``fair_rivals.best_setting``: the best IQM of the final solved test over the tuning seeds, ties to the
    cheaper)."""
    from .fair_rivals import best_setting

    runs = tuning_table(p) if runs is None else runs
    out = {}
    for m, g in runs.groupby("method", sort=False):
        complete, best, _ = best_setting(g.assign(setting=g["lr"].map(list(p.tune_lrs).index)))
        if complete:
            out[m] = float(p.tune_lrs[best])
    return out


def predicted_hours(method: str, hidden, p: FrontierParams, bench: dict | None = None,
                    episodes: tuple[float, float] | None = None) -> float:
    """A low-rank or full-rank ES run's predicted one-core hours (``seconds_per_episode`` x its
    training episodes); NaN without the bench or the stored runs."""
    return seconds_per_episode(method, n_params(hidden, p.env), p, bench, episodes) * p.budget_evals / 3600.0


def seconds_per_episode(method: str, n: int, p: FrontierParams, bench: dict | None = None,
                        episodes: tuple[float, float] | None = None) -> float:
    """One training episode's predicted one-core seconds at ``n`` parameters: ``bench lowrank``'s time
    for one lockstep step of the population (log-log interpolated in n, extrapolated with the end
    segments' slopes) x the env steps per episode, plus the per-generation set-up, each over the
    population, plus the environment's own seconds per episode; ``episodes`` = (env steps per episode,
    env seconds per episode), default ``stored_episodes``. NaN without the bench or the stored runs."""
    bench = load_bench() if bench is None else bench
    steps, env_s = episodes if episodes is not None else stored_episodes(p)
    if not bench or not np.isfinite(steps):
        return math.nan
    mode = "lowrank" if method == "lowrank_es" else "full"
    rows = sorted((v["n_params"], v["forward_s"][mode], v["setup_s"][mode]) for v in bench["sizes"].values())
    forward, setup = (loglog_interp(n, [r[0] for r in rows], [r[i] for r in rows]) for i in (1, 2))
    return forward / bench["popsize"] * steps + setup / p.popsize + env_s


def cost_prior(p: FrontierParams):
    """The campaign's priors: (method, env) -> seconds per training episode of both ES as a function
    of n (``seconds_per_episode``; the stored runs and the bench read once), and PPO's seconds per env
    step once ``bench ppo-widths`` is measured (``ppo_widths.cost_prior``). The campaign uses them
    until a run of the method is stored, and beyond twice its widest stored run."""
    bench, episodes = load_bench(), stored_episodes(p)
    out = {(m, p.env): (lambda n, m=m: seconds_per_episode(m, n, p, bench, episodes)) for m in ES}
    ppo = ppo_widths.cost_prior(p.env, results_root(), p.profile)  # PPO's wider nets: per env step
    return out | ({("ppo", p.env): ppo} if ppo else {})


def stored_episodes(p: FrontierParams) -> tuple[float, float]:
    """From the stored OpenAI-ES runs on the task: env steps per training episode of the widest (their
    whole run), and CPU seconds per episode of the narrowest (where the network costs next to nothing:
    the environment's share); (NaN, NaN) when none is stored."""
    from ..runs import load_stored

    runs = []
    for csv in (results_root() / p.profile / "runs").glob(f"openai_es-{p.env.replace('/', '_')}-*.csv"):
        df = load_stored(csv)
        if df is not None and len(df):
            last = df.iloc[-1]
            evals = max(float(last["evals"]), 1.0)
            runs.append((int(last["n_params"]), float(last["env_steps"]) / evals, run_cpu_seconds(last) / evals))
    if not runs:
        return math.nan, math.nan
    widest, narrowest = max(r[0] for r in runs), min(r[0] for r in runs)
    return (float(np.median([r[1] for r in runs if r[0] == widest])),
            float(np.median([r[2] for r in runs if r[0] == narrowest])))


def load_bench() -> dict | None:
    """``bench lowrank``'s JSON (measured on an idle machine, under ``results/bench/``), None until
    measured."""
    path = results_root() / "bench" / "lowrank.json"
    return read_json(path)


def evaluation_configs(p: FrontierParams, lrs: dict[str, float] | None = None,
                       ) -> tuple[list[tuple[str, RunConfig]], list[tuple[str, str, int]]]:
    """(part, RunConfig) of every evaluation run that can be planned now, and (method, hidden, seeds)
    of those waiting for their method's tuning pass. The low-rank ES's widest network is left out
    when ``predicted_hours`` exceeds ``max_run_hours``."""
    lrs = selected_lrs(p) if lrs is None else lrs
    ready, waiting = [], []
    widths = {"openai_es": p.full_rank, "lowrank_es": fitting_low_rank(p)}
    for m in ES:
        for hidden, seeds in widths[m].items():
            if m not in lrs:
                waiting.append((m, hidden, seeds))
                continue
            ready += [("es", _es(p, m, hidden, s, lrs[m], p.budget_evals)) for s in seed_list(seeds)]
    ready += [("ppo", RunConfig(method="ppo", env=p.env, budget_steps=p.ppo_steps, test_every=p.ppo_test_every,
                                test_episodes=p.test_episodes, seed=s, hyper={"net_arch": parse_hidden(hidden)}))
              for hidden, seeds in p.ppo.items() for s in seed_list(seeds)]
    return ready, waiting


def fitting_low_rank(p: FrontierParams) -> dict:
    """``low_rank`` without its widest network where that run is predicted to outlast ``max_run_hours``
    (kept where nothing is measured yet: the bench decides once it exists)."""
    widths = dict(p.low_rank)
    last = list(widths)[-1]
    hours = predicted_hours("lowrank_es", last, p)
    if np.isfinite(hours) and hours > p.max_run_hours:
        widths.pop(last)
    return widths


def needs(p: FrontierParams) -> list[tuple[int, str, RunConfig, str | None]]:
    """(priority, what, RunConfig, what it waits for or None) of every run: the tuning pass, PPO's
    runs, and each ES's evaluation runs -- ready once its pass is complete, until then listed with
    the pass's middle learning rate so that the campaign's plan prices them (its runner leaves them)."""
    out = [(PRIORITY["tune"], "frontier tuning", c, None) for _, _, c in tuning_configs(p)]
    ready, waiting = evaluation_configs(p)
    out += [(PRIORITY[part], "frontier", c, None) for part, c in ready]  # PPO's cell names its net_arch
    middle = p.tune_lrs[len(p.tune_lrs) // 2]
    return out + [(PRIORITY["es"], "frontier", _es(p, m, hidden, s, middle, p.budget_evals),
                   f"its tuning pass") for m, hidden, seeds in waiting for s in seed_list(seeds)]


def pending(p: FrontierParams) -> str:
    """The evaluation runs still waiting for a tuning pass, in words ("" when none wait)."""
    _, waiting = evaluation_configs(p)
    if not waiting:
        return ""
    n = sum(len(seed_list(s)) for _, _, s in waiting)
    who = sorted({LABELS[m] for m, _, _ in waiting})
    return f"{n} evaluation runs of {' and '.join(who)} wait for the tuning pass at {n_params(p.tune_hidden, p.env):,} parameters"


# ---------------------------------------------------------------- runs, per seed, verdicts

def run(p: FrontierParams, train_missing: bool | None = None, processes: int | None = None,
        log=print) -> pd.DataFrame:
    """Records of every evaluation run that can be planned now (``evaluation_configs``), annotated with
    ``part`` ("es" / "ppo") and ``width`` (the policy's parameter count, PPO's actor included at its
    hidden widths). With ``train_missing`` (default: the smoke profile only; the book's runs come from
    the campaign) the tuning pass is trained first, then the evaluation runs."""
    where = results_root() / p.profile / "runs"
    train = p.profile == "smoke" if train_missing is None else train_missing
    if train:
        run_many([c for _, _, c in tuning_configs(p)], where, processes=processes, log=log)
    ready, _ = evaluation_configs(p)
    if train:
        run_many([c for _, c in ready], where, processes=processes, log=log)
    frames = []
    for part, c in ready:
        df = load_cached(c, where)
        if df is not None:
            hidden = dict(c.hyper)["net_arch"] if part == "ppo" else c.hidden
            frames.append(df.assign(part=part, method=c.method, width=n_params(hidden, p.env)))
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(
        columns=["part", "method", "width", "seed", "evals", "env_steps", "wall_s", "test_return", "machine"])


def per_seed(df: pd.DataFrame) -> pd.DataFrame:
    """One row per (method, width, seed): the final solved-test return, one-core hours of the run,
    seconds per generation (ES), the run's peak memory in GiB (NaN for runs stored before it was
    recorded), and the machine."""
    rows = []
    for (m, w, seed), g in df.groupby(["method", "width", "seed"], sort=False):
        tests = g[np.isfinite(g["test_return"].astype(float))]
        last = g.iloc[-1]
        rows.append(dict(method=m, width=int(w), seed=int(seed),
                         final=float(tests["test_return"].iloc[-1]) if len(tests) else math.nan,
                         hours=run_cpu_seconds(last) / 3600.0,
                         s_per_gen=float(g["wall_s"].max()) / len(g) if m != "ppo" else math.nan,
                         mem=float(pd.to_numeric(g["peak_mem_gib"]).max()) if "peak_mem_gib" in g else math.nan,
                         machine=str(last.get("machine", ""))))
    return pd.DataFrame(rows, columns=["method", "width", "seed", "final", "hours", "s_per_gen", "mem", "machine"])


MIN_N = 5
"""Seeds a width needs before its CI is shown or judged (the science rules: 5 wherever a CI is shown)."""
EQUAL_MARGIN = 20.0
"""The low-rank ES counts as equal to full rank when their difference's CI lies within +-this (a tenth of
LunarLander's solved threshold; declared in the claim ``d1.lowrank_equal``)."""
WIDEST_FULL = 100_066
"""Chapter 1's widest network: the low-rank ES against its stored full-rank OpenAI-ES runs there."""


def finals(seeds: pd.DataFrame, method: str) -> dict[int, np.ndarray]:
    """width -> the final returns of ``method``'s seeds (finite only)."""
    g = seeds[seeds["method"] == method]
    return {int(w): x["final"].to_numpy(float)[np.isfinite(x["final"].to_numpy(float))]
            for w, x in g.groupby("width")}


def p_values(seeds: pd.DataFrame, full_at_widest: np.ndarray, threshold: float) -> dict:
    """The study's tests for chapter 1's Holm family (``methods_verdicts.width_tests(extra=...)``):
    each ES width with ``MIN_N`` seeds or more against the solved ``threshold`` (key ("solves",
    method, width)), and the low-rank ES against full-rank OpenAI-ES at ``WIDEST_FULL`` (key ("low-rank
    vs full", width))."""
    from ..stats import diff_p, iqm_p

    p_of = {}
    for m in ES:
        for w, x in finals(seeds, m).items():
            if x.size >= MIN_N:
                p_of[("solves", m, w)] = lambda s, x=x: iqm_p(x, threshold, s)
    low = finals(seeds, "lowrank_es").get(WIDEST_FULL, np.array([]))
    if low.size >= MIN_N and np.asarray(full_at_widest).size >= MIN_N:
        p_of[("low-rank vs full", WIDEST_FULL)] = lambda s, x=low, y=np.asarray(full_at_widest): diff_p(x, y, s)
    return p_of


def limit_verdict(seeds: pd.DataFrame, method: str, widths, threshold: float, F: dict):
    """Does ``method`` still solve the task at every one of ``widths``? Confirmed when each width's
    final-return IQM CI lies above ``threshold`` (resolved in chapter 1's family), refuted when one
    lies below (the verdict names the narrowest: where it stops), else unresolved. A width with fewer
    than ``MIN_N`` seeds is shown, not judged."""
    from ..stats import iqm
    from . import report

    vals = finals(seeds, method)
    judged = {w: vals[w] for w in sorted(widths) if w in vals and vals[w].size >= MIN_N}
    stored = any(len(vals.get(w, [])) for w in widths)
    number = ("; ".join(f"{w:,}: {report.over_seeds(vals.get(w, []), 0)}" for w in sorted(widths)) if stored
              else f"no runs yet at {' or '.join(f'{w:,}' for w in sorted(widths))} parameters")
    above = [w for w, x in judged.items() if F.get(("solves", method, w), {}).get("resolved") and iqm(x) > threshold]
    below = [w for w, x in judged.items() if F.get(("solves", method, w), {}).get("resolved") and iqm(x) < threshold]
    short = [w for w in widths if w not in judged]
    if below:
        return report.Verdict("refuted", number, f"{LABELS[method]} stops solving the task at {min(below):,} "
                                                 f"parameters (its CI lies below {threshold:g})")
    if judged and len(above) == len(judged) and not short:
        return report.Verdict("confirmed", number, f"its CI lies above {threshold:g} at every width up to "
                                                   f"{max(widths):,}")
    from .judging import resolve_one

    why = ([f"{MIN_N} seeds at each width would let the test decide it"] if not stored else
           [f"{', '.join(f'{w:,}' for w in short)} with fewer than {MIN_N} seeds so far ({MIN_N} seeds at each "
            "would let the test decide it)"] if short else []) + [
        f"{w:,} not resolved against {threshold:g}: {resolve_one(x - threshold, 0, 'return')}"
        for w, x in judged.items() if w not in above]
    return report.Verdict("unresolved", number, "; ".join(why) or "no width judged yet")


def equal_verdict(seeds: pd.DataFrame, full_at_widest, F: dict, margin: float):
    """Does the low-rank ES end as well as full-rank OpenAI-ES at ``WIDEST_FULL`` parameters? Refuted
    when it is resolved worse (chapter 1's family), refined when resolved better, confirmed when not
    resolved and the difference's CI lies inside +-``margin``; else unresolved with the detectable
    difference and the seeds that would resolve it."""
    from ..stats import compare
    from . import report

    low = finals(seeds, "lowrank_es").get(WIDEST_FULL, np.array([]))
    full = np.asarray(full_at_widest, dtype=float)
    if min(low.size, full.size) < MIN_N:
        return report.Verdict("unresolved", f"n = {low.size} vs {full.size}",
                              f"fewer than {MIN_N} seeds a side so far; {MIN_N} seeds a side would let the test decide it")
    c = compare(low, full)
    number = (f"IQM difference low-rank − full-rank at {WIDEST_FULL:,} parameters "
              f"{report.ci(c['diff'], c['diff_lo'], c['diff_hi'], 0, sign=True)} (n = {c['n_x']} vs {c['n_y']})")
    resolved = F.get(("low-rank vs full", WIDEST_FULL), {}).get("resolved", False)
    if resolved:
        return report.Verdict("refuted" if c["diff"] < 0 else "refined", number,
                              "resolved " + ("worse" if c["diff"] < 0 else "better") + " after Holm's correction")
    if -margin < c["diff_lo"] and c["diff_hi"] < margin:
        return report.Verdict("confirmed", number, f"not resolved, and the CI lies within ±{margin:g}")
    from .judging import needs_two

    return report.Verdict("unresolved", number, needs_two(c))


__all__ = ["FrontierParams", "PROFILES", "params", "needs", "pending", "tuning_configs", "tuning_table",
           "selected_lrs", "evaluation_configs", "predicted_hours", "n_params", "run", "per_seed", "p_values",
           "limit_verdict", "equal_verdict", "load_bench", "stored_episodes", "ES", "LABELS"]
