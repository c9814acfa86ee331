"""Chapter 8's verdicts: open question 4, judged by the tests declared for it (``claims.questions``).

Every claim's statistic is the median over interleaved rounds of a per-round ratio of two rates, with
a 95 % percentile bootstrap CI over rounds (10,000 resamples), against a fixed null:

- ``q4.gpu``: on one GPU, Humanoid with a 1,024x1,024 network at population 4,096, the env steps/s of
  MJX physics and policy compiled together over those of the forward alone on the GPU (MuJoCo on the
  CPU); null 1. Read from a GPU check's section ``sim_vs_inference`` (its per-round ``ratios``). No GPU
  check has that section yet, so it stays unresolved until a GPU run times both sides.
- ``q4.jax_cpu``: the JAX backend's useful env steps/s over the lockstep evaluator's (CartPole, the
  largest population, one core, ``bench.gpu.bench_jax``'s rounds); null: the largest Amdahl bound
  measured (``gpu.shares``), what a GPU running only the forward could give at most.
- ``q4.envpool_cpu``: the EnvPool backend over the lockstep evaluator on LunarLander (``bench envpool``'s
  per-round ``ratios``); null 1; valid only while no equivalence check (the negative controls aside)
  resolves a difference between the two simulators and every negative control does.
- ``q4.mjx_cpu``: MJX over MuJoCo's C on the Newton humanoid, one core, at MJX's best batch (per-round
  ``ratios`` of that batch's row in ``bench mjx``'s JSON); null 1. The stored bench times one round per
  batch, so it stays unresolved until a bench with rounds exists.

The tests with enough rounds (``MIN_N``) form one Holm family (``stats.family``), with the borderline
rule. ``q4`` takes the GPU claim's word (unresolved while no GPU run exists, whatever the CPU claims
say) and reports what the CPU measurements show beside it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..claims import CLAIMS
from ..stats import N_RESAMPLES, family, region_p
from . import report

MIN_N = {c.id: c.min_n for c in CLAIMS if c.id.startswith("q4")}
"""Fewest rounds before any word but "unresolved", from the declarations."""
GPU_CASE = "Humanoid with a 1,024×1,024 network at population 4,096"
"""The GPU claim's measurement (``claims.questions``)."""
ENVPOOL_TASK = "LunarLander-v3"
TASK_NAMES = {"LunarLander-v3": "LunarLander"}


def median_draws(ratios, n_resamples: int = N_RESAMPLES, seed: int = 0) -> np.ndarray:
    """Bootstrap medians over rounds of the per-round log ratios."""
    r = np.log(np.asarray(ratios, dtype=float))
    rng = np.random.default_rng(seed)
    return np.median(r[rng.integers(0, r.size, size=(n_resamples, r.size))], axis=1)


def ratio_numbers(ratios, null: float) -> dict:
    """Median ratio with its 95 % percentile CI (bootstrap seed 0, the draws the test uses) and n."""
    r = np.asarray(ratios, dtype=float)
    d = np.exp(median_draws(r))
    return dict(ratio=float(np.median(r)), lo=float(np.quantile(d, 0.025)), hi=float(np.quantile(d, 0.975)),
                n=int(r.size), null=float(null), above=int((r > null).sum()))


def _regions(ratios, null: float, n_resamples: int):
    def regions(seed):
        d = median_draws(ratios, n_resamples, seed)
        return {"above": region_p(d, np.log(null), np.inf), "below": region_p(d, -np.inf, np.log(null))}
    return regions


# ---------------------------------------------------------------- the stored measurements' per-round ratios

def jax_ratios(jax_table: pd.DataFrame) -> tuple[np.ndarray, int | None]:
    """(per-round JAX / lockstep ratios at the largest population, that population)."""
    if jax_table is None or jax_table.empty:
        return np.array([]), None
    top = int(jax_table["popsize"].max())
    r = jax_table[jax_table["popsize"] == top]
    return (r["jax"] / r["lockstep"]).to_numpy(float), top


def envpool_valid(checks: pd.DataFrame) -> tuple[bool, str]:
    """Whether the EnvPool speed claim holds as stated: no real equivalence check resolved a difference
    and every negative control did; with the reason."""
    if checks.empty:
        return False, "the equivalence checks were not run"
    control = checks["swap_actions"].astype(bool)
    real_res, ctrl_res = checks.loc[~control, "resolved"].astype(bool), checks.loc[control, "resolved"].astype(bool)
    if real_res.any():
        return False, f"{int(real_res.sum())} of {len(real_res)} equivalence checks resolved a difference between " \
                      "the simulators"
    if not ctrl_res.all():
        return False, f"only {int(ctrl_res.sum())} of {len(ctrl_res)} negative controls were caught"
    return True, (f"none of {len(real_res)} equivalence checks resolved a difference and all {len(ctrl_res)} "
                  "negative controls did")


def envpool_ratios(speed: pd.DataFrame, task: str = ENVPOOL_TASK) -> tuple[np.ndarray, dict | None]:
    """(per-round EnvPool / lockstep ratios on ``task`` where stored, the task's stored summary row)."""
    if speed is None or speed.empty or task not in set(speed["env"]):
        return np.array([]), None
    row = speed[speed["env"] == task].iloc[0].to_dict()
    ratios = row.get("ratios")
    return (np.asarray(ratios, float) if isinstance(ratios, (list, tuple, np.ndarray)) else np.array([])), row


def mjx_best(meta: dict) -> tuple[np.ndarray, dict | None]:
    """(per-round MJX / MuJoCo-C ratios at MJX's best batch where stored, that batch's row)."""
    rows = meta.get("mjx") or []
    if not rows:
        return np.array([]), None
    best = max(rows, key=lambda r: r["steps_per_s"])
    return np.asarray(best.get("ratios") or [], dtype=float), best


def gpu_ratios(G: dict | None) -> np.ndarray:
    """Per-round compiled-simulation / forward-only ratios from a GPU check (empty: not timed)."""
    section = ((G or {}).get("sections") or {}).get("sim_vs_inference") or {}
    return np.asarray(section.get("ratios") or [], dtype=float) if section.get("ok") else np.array([])


# ---------------------------------------------------------------- the family

def tests(jax_table: pd.DataFrame | None, shares: pd.DataFrame | None, checks: pd.DataFrame, speed: pd.DataFrame,
          mjx_meta: dict, G: dict | None, n_resamples: int = N_RESAMPLES) -> dict:
    """Every testable claim: key -> dict(regions, numbers). A claim with fewer rounds than its minimum,
    or whose condition fails (EnvPool's equivalence), is left out and stays unresolved."""
    out = {}
    bound = float(shares["amdahl_bound"].max()) if shares is not None and len(shares) else np.nan
    ev_ok = envpool_valid(checks)[0]
    cases = (("q4.gpu", gpu_ratios(G), 1.0, True), ("q4.jax_cpu", jax_ratios(jax_table)[0], bound, np.isfinite(bound)),
             ("q4.envpool_cpu", envpool_ratios(speed)[0], 1.0, ev_ok), ("q4.mjx_cpu", mjx_best(mjx_meta)[0], 1.0, True))
    for key, r, null, ok in cases:
        r = r[np.isfinite(r) & (r > 0)]
        if ok and r.size >= MIN_N[key]:
            out[key] = dict(regions=_regions(r, null, n_resamples), numbers=ratio_numbers(r, null))
    return out


def judge(T: dict, repeats: int = 100) -> dict:
    """The Holm family over ``tests`` (``stats.family``), with each claim's conclusion at seed 0."""
    F = family({k: (lambda seed, t=t: min(t["regions"](seed).values())) for k, t in T.items()}, repeats)
    for k, t in T.items():
        regions = t["regions"](0)
        F[k]["conclusion"] = min(regions, key=regions.get)
    return F


# ---------------------------------------------------------------- words

def _x(v: float) -> str:
    return f"{report.num(v, 2 if v < 10 else 1)}×"


def _ratio(r: dict) -> str:
    return f"{_x(r['ratio'])} [{_x(r['lo'])}, {_x(r['hi'])}]"


def _resolved(key: str, T: dict, F: dict, number: str, above: str, below: str) -> report.Verdict:
    f = F[key]
    if f["borderline"]:
        return report.Verdict("unresolved", number, f"borderline: its decision flips with the bootstrap seed in "
                                                    f"{f['flip']:.0%} of 100 repeats; more rounds would settle it")
    if not f["resolved"]:
        r = T[key]["numbers"]
        return report.Verdict("unresolved", number, f"not resolved after Holm's correction (p = {f['p']:.3f}, adjusted "
                                                    f"{f['p_adj']:.3f}); {r['n']} rounds, each more narrows the CI")
    word, what = ("confirmed", above) if f["conclusion"] == "above" else ("refuted", below)
    return report.Verdict(word, number, f"{what} (Holm-adjusted p = {f['p_adj']:.2g})")


def _rounds(key: str, n: int | None, why: str, run: str, number: str) -> report.Verdict:
    stored = "" if n is None else f"{n} {'round' if n == 1 else 'rounds'} stored, "
    return report.Verdict("unresolved", number, f"{why} ({stored}at least {MIN_N[key]} rounds needed): {run} would "
                                                "decide it")


GPU_RUN = (f"a GPU run that times, on one GPU, {GPU_CASE}, MJX physics and policy compiled together against the "
           "forward alone (MuJoCo on the CPU), in at least 5 interleaved rounds")


def verdicts(jax_table, shares, checks, speed, mjx_meta, G, repeats: int = 100, T: dict | None = None
             ) -> tuple[dict, dict]:
    """(claim id -> ``report.Verdict``, the Holm family); ``T``: these measurements' ``tests``, if the
    caller has them already (e.g. for ``short``)."""
    T = tests(jax_table, shares, checks, speed, mjx_meta, G) if T is None else T
    F = judge(T, repeats) if T else {}
    V = {}

    key = "q4.gpu"
    if key in T:
        V[key] = _resolved(key, T, F, f"compiled simulation over the forward alone on the GPU: {_ratio(T[key]['numbers'])} "
                                      f"(n = {T[key]['numbers']['n']} rounds, {GPU_CASE})",
                           "the CI lies above 1: a GPU buys simulation more than inference",
                           "the CI lies below 1: a GPU buys inference more than simulation")
    else:
        what = "no GPU run stored" if G is None else f"the GPU run on {G.get('machine', 'a GPU')} timed neither side"
        V[key] = report.Verdict("unresolved", f"not tested: {what}", f"{GPU_RUN} would decide it")

    key, (r_jax, top) = "q4.jax_cpu", jax_ratios(jax_table)
    bound = float(shares["amdahl_bound"].max()) if shares is not None and len(shares) else np.nan
    if key in T:
        r = T[key]["numbers"]
        V[key] = _resolved(key, T, F, f"the JAX backend ran {_ratio(r)} the lockstep evaluator's useful env steps/s on "
                                      f"one core (CartPole, population {top:,}, n = {r['n']} rounds) against the "
                                      f"largest forward-only bound measured, {_x(bound)}",
                           "the CI lies above the bound: compiling the simulator with the policy buys more on one "
                           "CPU core than a GPU running only the forward could",
                           "the CI lies below the bound")
    else:
        V[key] = _rounds(key, r_jax.size, "too few rounds or no bound measured", "the JAX benchmark with more rounds",
                         f"{r_jax.size} rounds of the JAX backend stored")

    key, (r_ev, row) = "q4.envpool_cpu", envpool_ratios(speed)
    ok, why = envpool_valid(checks)
    if key in T:
        r = T[key]["numbers"]
        V[key] = _resolved(key, T, F, f"the EnvPool backend ran {_ratio(r)} the lockstep evaluator's useful env steps/s "
                                      f"on {TASK_NAMES[ENVPOOL_TASK]}, one thread (n = {r['n']} rounds; {why})",
                           "the CI lies above 1: a compiled simulator speeds evaluation up before any GPU",
                           "the CI lies below 1")
    elif row is None:
        V[key] = report.Verdict("unresolved", "not tested: the EnvPool backend was not timed",
                                "the EnvPool benchmark with at least 5 rounds would decide it")
    else:
        number = (f"the EnvPool backend ran {_x(row['ratio'])} the lockstep evaluator's useful env steps/s on "
                  f"{TASK_NAMES[ENVPOOL_TASK]} (range {_x(row['ratio_min'])}–{_x(row['ratio_max'])}, median of its rounds)")
        V[key] = (report.Verdict("unresolved", number, f"not valid as stated: {why}") if not ok else
                  _rounds(key, r_ev.size or None, "the per-round ratios are not stored, only their median and range"
                          if not r_ev.size
                          else "too few rounds", "the EnvPool benchmark with at least 5 rounds, stored per round",
                          number))

    key, (r_mjx, best) = "q4.mjx_cpu", mjx_best(mjx_meta)
    if key in T:
        r = T[key]["numbers"]
        V[key] = _resolved(key, T, F, f"MJX ran {_ratio(r)} MuJoCo's C env steps/s on the Newton humanoid, one core "
                                      f"(batch {best['batch']:,}, n = {r['n']} rounds)",
                           "the CI lies above 1: MJX pays even on a CPU core",
                           "the CI lies below 1: MJX pays, if at all, only on an accelerator")
    elif best is None:
        V[key] = report.Verdict("unresolved", "not tested: MJX was not timed",
                                "the MJX benchmark with at least 5 interleaved rounds would decide it")
    else:
        V[key] = _rounds(key, max(r_mjx.size, 1), "one timing per batch size, no rounds",
                         "the MJX benchmark timing MJX and MuJoCo's C in at least 5 interleaved rounds",
                         f"MJX ran {_x(best['over_mujoco_newton'])} MuJoCo's C env steps/s on the Newton humanoid at "
                         f"its best batch ({best['batch']:,}), one core, one timing")
    V["q4"] = overall(V, T)
    return V, F


def overall(V: dict, T: dict) -> report.Verdict:
    """Open question 4 takes the GPU claim's word; the CPU claims are said beside it."""
    g = V["q4.gpu"]
    cpu = (f"on the CPU, compiled JAX loop {V['q4.jax_cpu'].word}, EnvPool {V['q4.envpool_cpu'].word}, "
           f"MJX {V['q4.mjx_cpu'].word}")
    if g.word != "unresolved":
        return report.Verdict(g.word, g.number, f"{g.because}; {cpu}")
    if "q4.jax_cpu" in T:
        r = T["q4.jax_cpu"]["numbers"]
        shown = (f" (what the CPU shows: on one core, CartPole compiled together with its policy ran {_ratio(r)} the "
                 f"lockstep evaluator's env steps/s, n = {r['n']} rounds, "
                 f"{'beyond' if r['lo'] > r['null'] else 'against'} the {_x(r['null'])} that a GPU running only the "
                 "forward could give at most)")
    else:
        shown = ""
    return report.Verdict("unresolved", f"no GPU run stored{shown}",
                          f"unresolved for the GPU until a GPU run exists: {GPU_RUN} would decide it; {cpu}")


def short(V: dict, T: dict | None = None) -> str:
    """The intro's line (at most 25 words): open question 4's word and what the CPU shows."""
    T = T or {}
    if V["q4"].word != "unresolved" or "q4.jax_cpu" not in T:
        return report.verdict_short(str(V["q4"]), max_words=25)
    r = T["q4.jax_cpu"]["numbers"]
    return report.verdict_short(f"unresolved: no GPU run yet (on one CPU core CartPole compiled with its policy ran "
                                f"{_ratio(r)} the lockstep evaluator, n = {r['n']} rounds)", max_words=25)


def family_table(F: dict) -> pd.DataFrame:
    """The chapter's Holm family for readers."""
    names = {"q4.gpu": "GPU: compiled simulation over the forward alone, against 1",
             "q4.jax_cpu": "one CPU core: JAX backend over the lockstep evaluator, against the forward-only bound",
             "q4.envpool_cpu": "one CPU core: EnvPool backend over the lockstep evaluator, against 1",
             "q4.mjx_cpu": "one CPU core: MJX over MuJoCo's C, against 1"}
    return pd.DataFrame({"What is tested": [names.get(k, k) for k in F],
                         "raw p": [f["p"] for f in F.values()], "Holm-adjusted p": [f["p_adj"] for f in F.values()],
                         "share of bootstrap seeds that flip it": [f["flip"] for f in F.values()],
                         "resolved after Holm": [("borderline" if f["borderline"] else "yes" if f["resolved"] else "no")
                                                 for f in F.values()]})
