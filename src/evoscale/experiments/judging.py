"""What chapters 2 and 3 share in judging their claims by the tests declared for them (``claims``).

- ``judge``: one chapter's Holm family (``stats.family``) over its tests, each given as a function of
  the bootstrap seed returning a p-value per conclusion its word can reach (``stats.region_p``); a
  test's p is the smallest of them, its conclusion the one that smallest p points to.
- ``iqm_draws`` / ``sign_regions``: the bootstrap IQMs of one sample (a return minus its solved line,
  paired differences) and the p-values that their CI lies above or below 0.
- ``why_unresolved``, ``resolve_one`` and ``needs_two``: the sentence an unresolved test carries (not
  resolved after Holm, or borderline) and what would resolve it (the detectable difference at 80 %
  power and the seeds that would resolve the observed one; ``needs_two`` for two samples).
- ``combine``: the word of a claim made of sub-claims, as chapters 2 and 3 declare it.
- ``family_table``: a chapter's Holm family for readers.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..stats import MIN_SEEDS, N_RESAMPLES, detectable_difference, family, iqm, n_to_resolve_one, region_p
from . import report


def iqm_draws(x, seed: int = 0, n_resamples: int = N_RESAMPLES) -> np.ndarray:
    """The IQMs of ``n_resamples`` bootstrap resamples of the finite values of ``x``."""
    x = np.asarray(x, dtype=float)
    x = x[np.isfinite(x)]
    return iqm(x[np.random.default_rng(seed).integers(0, x.size, size=(n_resamples, x.size))], axis=1)


def sign_regions(draws: np.ndarray) -> dict:
    """p-values that the statistic's CI lies wholly above 0 ("above") or wholly below ("below")."""
    return {"above": region_p(draws, 0.0, np.inf), "below": region_p(draws, -np.inf, 0.0)}


def percentile_ci(draws: np.ndarray, level: float = 0.95) -> tuple[float, float]:
    """The percentile CI of bootstrap draws (the one whose exclusion of a value ``region_p`` tests)."""
    return float(np.quantile(draws, (1 - level) / 2)), float(np.quantile(draws, (1 + level) / 2))


def iqm_text(x, digits: int = 0, sign: bool = False, planned: int | None = None) -> str:
    """"IQM [CI] (n = k)" from the same bootstrap draws the test uses (seed 0), from ``MIN_SEEDS``
    seeds up; below that the values (``report.over_seeds``)."""
    x = np.asarray(x, dtype=float)
    x = x[np.isfinite(x)]
    if x.size < MIN_SEEDS:
        return report.over_seeds(x, digits, planned, sign)
    lo, hi = percentile_ci(iqm_draws(x))
    return f"{report.ci(float(iqm(x)), lo, hi, digits, sign)} ({report.n_of(x.size, planned)})"


def judge(T: dict, repeats: int = 100) -> dict:
    """The Holm family over ``T`` (key -> dict with ``regions``: seed -> {conclusion: p}): per key
    its raw and adjusted p, flip share, borderline, resolved and ``conclusion``."""
    if not T:
        return {}
    p_of = {k: (lambda seed, t=t: min(t["regions"](seed).values())) for k, t in T.items()}
    F = family(p_of, repeats)
    for k, t in T.items():
        regions = t["regions"](0)
        F[k]["conclusion"] = min(regions, key=regions.get)
    return F


def why_unresolved(f: dict) -> str:
    """Why a test in the family stayed unresolved."""
    if f["borderline"]:
        return f"borderline: its decision flips with the bootstrap seed in {f['flip']:.0%} of 100 repeats"
    return f"not resolved after Holm's correction (p = {f['p']:.3f}, adjusted {f['p_adj']:.3f})"


def resolve_one(d, digits: int = 0, unit: str = "") -> str:
    """What would resolve a one-sample test of ``d`` (values minus the null, or paired differences):
    the difference the data could detect at 80 % power, and the seeds that would resolve the observed
    IQM (the chapters' statistic) at that power, given the spread of ``d``."""
    det, need = detectable_difference(d), n_to_resolve_one(d, delta=float(iqm(np.asarray(d, dtype=float))))
    u = f" {unit}" if unit else ""
    if not np.isfinite(det):
        return "too few seeds to say what difference the data could detect"
    return (f"the data could detect a difference of about {report.num(det, digits)}{u} at 80 % power"
            + (f", and about {need:,.0f} seeds would resolve the observed one" if np.isfinite(need) else ""))


def needs_two(c: dict) -> str:
    """What would resolve an unresolved two-sample comparison (``stats.compare``): the difference the
    data could detect at 80 % power and the seeds a side that would resolve the observed one."""
    out = report.detectable(c["detectable"], 0, "return")
    if np.isfinite(c["n_needed"]):
        return out + f", and about {report.num(c['n_needed'])} seeds a side would resolve the observed difference"
    return out + (", and not even 10,000 seeds a side would resolve the observed difference"
                  if np.isinf(c["n_needed"]) else "")


def combine(V: dict, names: dict, brief: dict | None = None, what: str = "sub-claim") -> report.Verdict:
    """The word of a claim made of sub-claims (``names``: key -> readers' name, in order; ``brief``:
    key -> its number in a few words), as chapters 2 and 3 declare it: confirmed when every
    sub-claim is confirmed; refuted when the resolved ones all refute it; refined for any other mix
    with one resolved (they disagree, one is refined, or some confirm while others are still open);
    unresolved while none is resolved."""
    brief = brief or {}
    words = {k: V[k].word for k in names}
    resolved = {k: w for k, w in words.items() if w != "unresolved"}
    kinds = set(resolved.values())
    open_ = [names[k] for k, w in words.items() if w == "unresolved"]
    number = (f"{len(resolved)} of {len(words)} {what}s resolved: "
              + ", ".join(f"{names[k]} {w}" + (f" ({brief[k]})" if brief.get(k) else "") for k, w in words.items()))
    still = f"; still open: {', '.join(open_)} (each one's verdict says what would resolve it)" if open_ else ""
    if not resolved:
        return report.Verdict("unresolved", number, f"no {what} is resolved yet (each one's verdict says what would "
                                                    "resolve it)")
    if kinds == {"confirmed"} and not open_:
        return report.Verdict("confirmed", number, f"every {what} is confirmed")
    if kinds == {"refuted"}:
        return report.Verdict("refuted", number, f"the resolved {what}s refute it and none confirms it{still}")
    why = (f"the resolved {what}s disagree" if len(kinds) > 1 else f"a {what} is refined" if "refined" in kinds
           else f"confirmed so far, but not every {what} is resolved")
    return report.Verdict("refined", number, why + still)


def family_table(F: dict, tested: dict) -> pd.DataFrame:
    """A chapter's Holm family for readers, one row per test of ``tested`` (key -> what it tests); a
    claim left out of the family (fewer seeds than its minimum, or no runs) shows as not tested."""
    get = lambda k, f: F[k][f] if k in F else np.nan  # noqa: E731
    return pd.DataFrame({
        "What is tested": list(tested.values()),
        "raw p": [get(k, "p") for k in tested], "Holm-adjusted p": [get(k, "p_adj") for k in tested],
        "share of bootstrap seeds that flip it": [get(k, "flip") for k in tested],
        "resolved after Holm": [("not tested: no runs, or fewer seeds than its minimum" if k not in F else
                                 "borderline" if F[k]["borderline"] else "yes" if F[k]["resolved"] else "no")
                                for k in tested]})
