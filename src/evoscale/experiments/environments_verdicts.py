"""Chapter 2's verdicts, each judged by the test declared for it (``claims.dimensions``, d2.*).

- ``d2.cartpole``, ``d2.lunarlander``, ``d2.bipedal_evals``: the Kaplan-Meier median of CMA-ES's
  evaluations to the task's solved line over seeds (a seed that never reached it censored at its
  budget, never dropped) divided by the design note's estimate; confirmed when its CI lies inside
  [1/3, 3], refuted when it lies wholly below 1/3 or wholly above 3. A median the budget did not
  reach leaves the CI's upper end open: above 3 only counts where that budget was at least 3x the
  estimate (each resample's largest time is then a lower bound of its median).
- ``d2.bipedal``: the IQM of CMA-ES's final BipedalWalker return minus 300; confirmed above 0 at a
  budget of at most the note's 500K evaluations, refuted below 0 at a budget of at least 500K.
- ``d2.cnn``: the IQM difference of OpenAI-ES's final Pong return, pixel CNN minus RAM MLP at equal
  evaluations; at the note's 5M evaluations confirmed above 0 and refuted below, at a smaller budget
  refined either way (it says which input is ahead that early, not whether Atari needs a CNN).
- ``d2.overall``: no test of its own; the five words combined (``judging.combine``).

The tests form one Holm family for the chapter (``judging.judge``); a test whose decision flips with
the bootstrap seed in more than 5 % of 100 repeats is borderline and unresolved. A test below its
declared minimum of seeds is left out of the family and stays unresolved, saying what would resolve it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..claims import CLAIMS
from ..envs import get_spec
from ..stats import MIN_SEEDS, N_RESAMPLES, compare, diff_p, km_median_ci, km_medians, region_p
from . import report
from .environments import CLAIMED_EVALS, censored, result_row
from .environments_cost import hours_text
from . import judging
from .judging import combine, iqm_draws, iqm_text, judge, resolve_one, sign_regions, why_unresolved

MIN_N = {c.id: c.min_n for c in CLAIMS if c.id.startswith("d2.")}
"""Fewest seeds a side before any word but "unresolved", from the declarations."""
FACTOR = 3
"""An estimate of evaluations holds when the CI of the ratio lies within this factor of it."""
ESTIMATES = {"d2.cartpole": "CartPole-v1", "d2.lunarlander": "LunarLander-v3", "d2.bipedal_evals": "BipedalWalker-v3"}
"""The estimate claims and their tasks (CMA-ES's runs; LunarLander's are the compute chapter's pycma runs)."""
ES = "cmaes"
BIPEDAL, PONG, PONG_RAM = "BipedalWalker-v3", "ALE/Pong-v5", "ALE/Pong-ram-v5"
NAMES = {"d2.cartpole": "CartPole's evaluations", "d2.lunarlander": "LunarLander's evaluations",
         "d2.bipedal_evals": "BipedalWalker's evaluations", "d2.bipedal": "solving BipedalWalker",
         "d2.cnn": "Atari needs CNNs"}
"""d2.overall's sub-claims in readers' words, in order."""
TESTED = {"d2.cartpole": "CartPole: median evaluations to 475 ÷ ~5K, against [1/3, 3]",
          "d2.lunarlander": "LunarLander: median evaluations to 200 ÷ ~100K, against [1/3, 3]",
          "d2.bipedal_evals": "BipedalWalker: median evaluations to 300 ÷ ~500K, against [1/3, 3]",
          "d2.bipedal": "BipedalWalker: final return − 300 (IQM), against 0",
          "d2.cnn": "Pong: pixel CNN − RAM MLP at equal evaluations (IQM difference), against 0"}
"""What each test of the family tests, for its table."""


# ---------------------------------------------------------------- the tests' p-values

def km_draws(times, reached, n_resamples: int = N_RESAMPLES, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Bootstrap resamples of the seeds (censored ones with the rest, as ``stats.km_median_ci``, whose
    CI these draws give at the same seed): each resample's Kaplan-Meier median (inf where it is not
    reached) and its largest time, a lower bound of a median not reached."""
    t, r = np.asarray(times, dtype=float), np.asarray(reached, dtype=bool)
    idx = np.random.default_rng(seed).integers(0, t.size, size=(n_resamples, t.size))
    return km_medians(t[idx], r[idx]), t[idx].max(axis=1)


def estimate_regions(times, reached, claimed: float, seed: int = 0, n_resamples: int = N_RESAMPLES) -> dict:
    """p-value per conclusion of an estimate claim: the ratio's CI "inside" [1/FACTOR, FACTOR], wholly
    "below" it or wholly "above" it. A median not reached counts beyond every end for "inside" and
    "below", and at its lower bound (the resample's largest time) for "above"."""
    med, bound = km_draws(times, reached, n_resamples, seed)
    lo, hi = -np.log(FACTOR), np.log(FACTOR)
    with np.errstate(divide="ignore"):
        upper, lower = np.log(med / claimed), np.log(np.where(np.isfinite(med), med, bound) / claimed)
    return {"inside": region_p(upper, lo, hi), "below": region_p(upper, -np.inf, lo),
            "above": region_p(lower, hi, np.inf)}


def _finals(row) -> np.ndarray:
    f = np.asarray(row["finals"], dtype=float)
    return f[np.isfinite(f)]


def tests(T: pd.DataFrame, n_resamples: int = N_RESAMPLES) -> dict:
    """Every testable claim of the chapter from ``environments.evals_to_threshold``'s frame: key ->
    (``regions``: bootstrap seed -> p per conclusion its word can reach, ``numbers``). Claims without
    runs or below their minimum n are left out (they stay unresolved)."""
    out = {}
    for key, env in ESTIMATES.items():
        row = result_row(T, env, ES)
        if row is not None and int(row["seeds"]) >= MIN_N[key]:
            x = censored(row, "evals")
            out[key] = dict(numbers=x, regions=lambda seed, x=x, c=CLAIMED_EVALS[env]: estimate_regions(
                *x, c, seed, n_resamples))
    row = result_row(T, BIPEDAL, ES)
    if row is not None and _finals(row).size >= MIN_N["d2.bipedal"]:
        d, budget, claimed = _finals(row) - get_spec(BIPEDAL).solved, int(row["evals_run"]), CLAIMED_EVALS[BIPEDAL]

        def regions(seed, d=d):
            r = sign_regions(iqm_draws(d, seed, n_resamples))  # above: confirmed; below: refuted
            return {k: p for k, p in r.items() if (k == "above" and budget <= claimed) or
                    (k == "below" and budget >= claimed)}
        out["d2.bipedal"] = dict(numbers=d, regions=regions)
    pix, ram = result_row(T, PONG, "openai_es"), result_row(T, PONG_RAM, "openai_es")
    if pix is not None and ram is not None and min(_finals(pix).size, _finals(ram).size) >= MIN_N["d2.cnn"]:
        a, b = _finals(pix), _finals(ram)
        out["d2.cnn"] = dict(numbers=(a, b), regions=lambda seed: {"difference": diff_p(a, b, seed, n_resamples)})
    return out


# ---------------------------------------------------------------- words

def _x(v: float) -> str:
    """A ratio to the estimate: two significant digits."""
    return "open" if not np.isfinite(v) else f"{v:.2g}" if v < 10 else f"{v:,.0f}"


def _cost(model: pd.DataFrame | None, env: str, factor: float = 1.0, what: str = "a seed") -> str:
    """" (about X–Y CPU-hours a seed on one core, extrapolated)" for ``factor`` x the note's estimate."""
    m = None if model is None or "env" not in model else model[model["env"] == env]
    if m is None or m.empty:
        return ""
    lo, hi = (factor * float(m[c].iloc[0]) for c in ("claimed_cpu_h_early", "claimed_cpu_h_upper"))
    return f" (about {hours_text(lo)}–{hours_text(hi)} CPU-hours {what} on one core, extrapolated)"


def estimate_verdict(key: str, T: pd.DataFrame, tests_: dict, F: dict,
                     model: pd.DataFrame | None = None) -> tuple[report.Verdict, str]:
    """(verdict, its number in a few words) of an estimate claim (``ESTIMATES``)."""
    env = ESTIMATES[key]
    claimed, thr, need = CLAIMED_EVALS[env], get_spec(env).solved, MIN_N[key]
    far = FACTOR * claimed
    row = result_row(T, env, ES)
    if row is None:
        return report.Verdict("unresolved", "not tested", f"no CMA-ES runs on {env} in this profile; {need} seeds "
                              f"run to {far:,} evaluations would test it{_cost(model, env, FACTOR)}"), "not tested"
    times, reached = censored(row, "evals")
    n, k, budget = int(row["seeds"]), int(reached.sum()), int(row["evals_run"])
    number = f"CMA-ES's evaluations to reach {thr:g}: {report.to_threshold(times, reached)}"
    brief = f"n = {n}"
    point = km_median_ci(times, reached)[0] if n >= MIN_SEEDS else np.nan
    if np.isfinite(point):
        _, lo, hi = km_median_ci(times, reached)
        brief = f"{_x(point / claimed)} [{_x(lo / claimed)}, {_x(hi / claimed)}]× the estimate"
        number += f", {brief} of ~{claimed:,}"
    else:
        brief = "median not reached" if n >= MIN_SEEDS else brief
        number += f" within {budget:,} a seed (estimate ~{claimed:,})"
    longer = (f"runs of {far:,} evaluations a seed ({FACTOR}× the estimate) would decide it{_cost(model, env, FACTOR)}"
              if k < n and budget < far else "")
    if key not in tests_:
        return report.Verdict("unresolved", number, f"{n} seeds, at least {need} needed before a word; {need} seeds"
                              + (f" run to {far:,} evaluations ({FACTOR}× the estimate)" if longer else "")
                              + " would let the test decide it" + (_cost(model, env, FACTOR) if longer else "")), brief
    f = F[key]
    if not f["resolved"]:
        if longer:
            more = (f"{n - k} of {n} seeds had not reached {thr:g} when their {budget:,} evaluations ended, so the "
                    f"CI has no upper end below {FACTOR}× the estimate; " + longer)
        else:
            more = _seeds_to_narrow(times, reached, claimed, n)
        return report.Verdict("unresolved", number, why_unresolved(f) + "; " + more), brief
    c = f["conclusion"]
    if c == "inside":
        return report.Verdict("confirmed", number, f"the CI lies within a factor {FACTOR} of the estimate"), brief
    side = ("below a third of the estimate: CMA-ES needs far fewer evaluations" if c == "below" else
            f"above {FACTOR}× the estimate: CMA-ES needs far more evaluations")
    return report.Verdict("refuted", number, f"the whole CI lies {side}"), brief


def _seeds_to_narrow(times, reached, claimed: float, n: int) -> str:
    """The seeds at which the ratio's CI, narrowing as 1/√n, would clear the nearest edge of the band."""
    point, lo, hi = km_median_ci(times, reached)
    if not (np.isfinite(point) and np.isfinite(hi) and lo > 0):
        return "more seeds would narrow it"
    r, edges = np.log(point / claimed), (-np.log(FACTOR), np.log(FACTOR))
    dist = min(abs(r - e) for e in edges)
    need = int(np.ceil(n * ((np.log(hi) - np.log(lo)) / 2 / max(dist, 1e-9)) ** 2))
    return f"about {need:,} seeds would resolve it (the CI narrowing as 1/√n)"


def bipedal_verdict(T: pd.DataFrame, tests_: dict, F: dict, model: pd.DataFrame | None = None
                    ) -> tuple[report.Verdict, str]:
    """(verdict, brief) of "gradient-free methods scale up to BipedalWalker" (d2.bipedal)."""
    thr, claimed, need = get_spec(BIPEDAL).solved, CLAIMED_EVALS[BIPEDAL], MIN_N["d2.bipedal"]
    row = result_row(T, BIPEDAL, ES)
    at_claim = f"{need} seeds run to the note's {claimed:,} evaluations would let the test decide it{_cost(model, BIPEDAL)}"
    if row is None:
        return report.Verdict("unresolved", "not tested", f"no CMA-ES runs on BipedalWalker; {at_claim}"), "not tested"
    finals, budget = _finals(row), int(row["evals_run"])
    number = f"final return {iqm_text(finals)} after {budget:,} evaluations (solved: {thr:g})"
    brief = f"n = {finals.size}" if finals.size < MIN_SEEDS else f"final return {iqm_text(finals)}"
    if "d2.bipedal" not in tests_:
        return report.Verdict("unresolved", number, f"{finals.size} seeds, at least {need} needed before a word; "
                              f"{at_claim}"), brief
    f = F["d2.bipedal"]
    if not f["resolved"]:
        more = resolve_one(finals - thr, 0, "return")
        if budget < claimed:
            more += f"; at {budget / claimed:.1%} of the note's budget only a confirmation counts: {at_claim}"
        return report.Verdict("unresolved", number, why_unresolved(f) + "; " + more), brief
    if f["conclusion"] == "above":
        return report.Verdict("confirmed", number, f"the whole CI lies above {thr:g} within the note's budget"), brief
    return report.Verdict("refuted", number, f"the whole CI lies below {thr:g} after the note's budget"), brief


def cnn_verdict(T: pd.DataFrame, tests_: dict, F: dict, model: pd.DataFrame | None = None
                ) -> tuple[report.Verdict, str]:
    """(verdict, brief) of "Atari needs CNNs" (d2.cnn): pixel CNN against RAM MLP at equal evaluations."""
    claimed, need = CLAIMED_EVALS[PONG], MIN_N["d2.cnn"]
    pix, ram = result_row(T, PONG, "openai_es"), result_row(T, PONG_RAM, "openai_es")
    at_claim = (f"{need} seeds a side at the note's {claimed:,} evaluations would let the test decide it"
                f"{_cost(model, PONG, what='a pixel seed')}")
    if pix is None or ram is None:
        return report.Verdict("unresolved", "not tested", f"one of the two inputs did not run; {at_claim}"), "not tested"
    a, b, budget = _finals(pix), _finals(ram), int(pix["evals_run"])
    cmp = compare(a, b)
    if min(a.size, b.size) < MIN_SEEDS:
        number = (f"pixel CNN {report.over_seeds(a, 1)} vs RAM MLP {report.over_seeds(b, 1)} after {budget:,} "
                  f"evaluations")
        brief = f"n = {a.size} vs {b.size}"
    else:
        number = (f"pixel CNN − RAM MLP {report.ci(cmp['diff'], cmp['diff_lo'], cmp['diff_hi'], 1, True)} after "
                  f"{budget:,} evaluations, IQM difference (n = {a.size} vs {b.size}), P(CNN > MLP) = "
                  f"{report.ci(cmp['p'], cmp['p_lo'], cmp['p_hi'], 2)}")
        brief = f"{report.ci(cmp['diff'], cmp['diff_lo'], cmp['diff_hi'], 1, True)} points"
    detect = (f"the data could detect a difference of about {report.num(cmp['detectable'], 1)} points at 80 % power"
              + (f", and about {cmp['n_needed']:,.0f} seeds a side would resolve the observed one"
                 if np.isfinite(cmp["n_needed"]) else "")) if np.isfinite(cmp["detectable"]) else ""
    if "d2.cnn" not in tests_:
        return report.Verdict("unresolved", number, f"{min(a.size, b.size)} seeds a side, at least {need} needed "
                              f"before a word; " + (detect + "; " if detect else "") + at_claim), brief
    f = F["d2.cnn"]
    if not f["resolved"]:
        return report.Verdict("unresolved", number, why_unresolved(f) + "; " + (detect or "more seeds") +
                              ("" if budget >= claimed else f"; {at_claim}")), brief
    ahead = "the CNN on pixels" if cmp["diff"] > 0 else "the MLP on RAM"
    if budget < claimed:
        return report.Verdict("refined", number, f"{ahead} is ahead after {budget:,} evaluations; whether Atari "
                              f"needs a CNN is decided at the note's {claimed:,}"), brief
    if cmp["diff"] > 0:
        return report.Verdict("confirmed", number, "the CNN on pixels is ahead at the note's budget"), brief
    return report.Verdict("refuted", number, "the MLP on RAM is ahead at the note's budget: no CNN was needed"), brief


def verdicts(T: pd.DataFrame, model: pd.DataFrame | None = None, repeats: int = 100) -> tuple[dict, dict]:
    """(claim id -> ``report.Verdict``, the Holm family) from ``environments.evals_to_threshold``'s
    frame and the cost model (which prices what would resolve an open claim)."""
    tests_ = tests(T)
    F = judge(tests_, repeats)
    V, brief = {}, {}
    for key in ESTIMATES:
        V[key], brief[key] = estimate_verdict(key, T, tests_, F, model)
    V["d2.bipedal"], brief["d2.bipedal"] = bipedal_verdict(T, tests_, F, model)
    V["d2.cnn"], brief["d2.cnn"] = cnn_verdict(T, tests_, F, model)
    V["d2.overall"] = combine(V, NAMES, brief)
    return V, F


def family_table(F: dict) -> pd.DataFrame:
    """The chapter's Holm family for readers (``judging.family_table``)."""
    return judging.family_table(F, TESTED)
