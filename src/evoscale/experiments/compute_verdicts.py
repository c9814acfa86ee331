"""Chapter 3's verdicts, each judged by the test declared for it (``claims.dimensions``, d3.*).

- ``d3.diminishing``: the IQM over seeds of each seed's late-minus-early gain per 10K evaluations
  (90-100K against 40-50K); confirmed when its CI lies below 0, refuted above. At least 10 seeds.
- ``d3.solved``: the IQM of the final solved-test return minus 200; confirmed above 0, refuted below.
- ``d3.check``: the IQM difference book's CMA-ES minus pycma at pycma's budget; refuted (they differ)
  when its CI excludes 0, never confirmed (no equivalence margin is declared).
- ``d3.overall``: no test of its own; the words of d3.diminishing and d3.solved (``judging.combine``).

The three tests form one Holm family (``judging.judge``); a test whose decision flips with the
bootstrap seed in more than 5 % of 100 repeats is borderline and unresolved. A test below its
declared minimum of seeds is left out of the family and stays unresolved.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..claims import CLAIMS
from ..stats import N_RESAMPLES, diff_p, n_to_resolve
from . import report
from . import judging
from .judging import combine, iqm_draws, iqm_text, judge, resolve_one, sign_regions, why_unresolved

MIN_N = {c.id: c.min_n for c in CLAIMS if c.id.startswith("d3.")}
"""Fewest seeds a side before any word but "unresolved", from the declarations."""
NAMES = {"d3.diminishing": "diminishing returns after ~50K", "d3.solved": "LunarLander solved"}
"""The note's sub-claims of d3.overall, in readers' words (the pycma check is not one)."""
TESTED = {"d3.diminishing": "late − early gain per 10K evaluations (IQM over seeds), against 0",
          "d3.solved": "final return − 200 (IQM over seeds), against 0",
          "d3.check": "book's CMA-ES − pycma at pycma's budget (IQM difference), against 0"}
"""What each test of the family tests, for its table."""


def _gains(S: dict) -> np.ndarray:
    s = S["seeds"]
    return (s["gain_late"] - s["gain_early"]).to_numpy(float) if len(s) else np.array([])


def tests(S: dict, n_resamples: int = N_RESAMPLES) -> dict:
    """Every testable claim of the chapter from ``compute.summarise``'s summary: key -> (``regions``:
    bootstrap seed -> p per conclusion, ``values``: what it rests on). Claims below their minimum n
    are left out."""
    out = {}
    d = _gains(S)
    if d.size >= MIN_N["d3.diminishing"]:
        out["d3.diminishing"] = dict(values=d, regions=lambda seed: sign_regions(iqm_draws(d, seed, n_resamples)))
    if S["n_seeds"] >= MIN_N["d3.solved"]:
        f = S["seeds"]["final"].to_numpy(float) - S["threshold"]
        out["d3.solved"] = dict(values=f, regions=lambda seed: sign_regions(iqm_draws(f, seed, n_resamples)))
    c = S.get("check")
    if c is not None and min(len(c["main"]), len(c["pycma"])) >= MIN_N["d3.check"]:
        out["d3.check"] = dict(values=(c["main"], c["pycma"]),
                               regions=lambda seed: {"difference": diff_p(c["main"], c["pycma"], seed, n_resamples)})
    return out


def _few(n: int, key: str, planned) -> str:
    stored = f"{n} seeds" + (f" of {planned} planned" if planned and planned > n else "")
    return f"{stored}, at least {MIN_N[key]} needed before a word; {MIN_N[key]} seeds would let the test run"


def diminishing_verdict(S: dict, T: dict, F: dict) -> report.Verdict:
    d, planned = _gains(S), S["planned"]
    if "d3.diminishing" not in T:
        values = report.over_seeds(d, 1, planned, sign=True)
        return report.Verdict("unresolved", f"late minus early gain per 10K evaluations: {values}",
                              _few(d.size, "d3.diminishing", planned))
    number = (f"late minus early gain per 10K evaluations: {iqm_text(d, 1, True, planned)}, IQM over seeds, "
              f"with {int((d > 0).sum())} of {d.size} seeds gaining more late")
    f = F["d3.diminishing"]
    if not f["resolved"]:
        return report.Verdict("unresolved", number, why_unresolved(f) + "; " + resolve_one(d, 1, "per 10K evaluations"))
    if f["conclusion"] == "below":
        return report.Verdict("confirmed", number, "the marginal gain is smaller late than early")
    return report.Verdict("refuted", number, "the marginal gain is larger late than early")


def solved_verdict(S: dict, T: dict, F: dict) -> report.Verdict:
    n, planned, thr = S["n_seeds"], S["planned"], S["threshold"]
    finals = S["seeds"]["final"].to_numpy(float) if n else np.array([])
    if "d3.solved" not in T:
        return report.Verdict("unresolved", f"final return: {report.over_seeds(finals, 0, planned)}",
                              _few(n, "d3.solved", planned))
    number = f"final solved-test return {iqm_text(finals, 0, False, planned)}, {S['n_solved']} of {n} seeds crossed {thr:g}"
    f = F["d3.solved"]
    if not f["resolved"]:
        return report.Verdict("unresolved", number, why_unresolved(f) + "; " + resolve_one(finals - thr, 0, "return"))
    if f["conclusion"] == "above":
        return report.Verdict("confirmed", number, f"the whole CI lies above {thr:g}")
    return report.Verdict("refuted", number, f"the whole CI lies below {thr:g} after {S['budget_evals']:,} evaluations")


def check_verdict(S: dict, T: dict, F: dict) -> report.Verdict:
    c = S.get("check")
    if c is None or len(c["pycma"]) == 0:
        return report.Verdict("unresolved", "not tested", "no pycma runs stored yet; the cross-check's pycma runs "
                              f"({MIN_N['d3.check']} seeds or more) would test it")
    if len(c["main"]) == 0:
        return report.Verdict("unresolved", "not tested", f"pycma final return {report.over_seeds(c['pycma'])}, but "
                              f"no runs of the book's CMA-ES stored yet; {MIN_N['d3.check']} of them would test it")
    cmp = c["cmp"]
    number = (f"book's CMA-ES − pycma {report.ci(cmp['diff'], cmp['diff_lo'], cmp['diff_hi'], 0, True)} "
              f"at {c['at']:,} evaluations, IQM difference (n = {cmp['n_x']} vs {cmp['n_y']}), P(book > pycma) = "
              f"{report.ci(cmp['p'], cmp['p_lo'], cmp['p_hi'], 2)}")
    if "d3.check" not in T:
        return report.Verdict("unresolved", number, f"fewer than {MIN_N['d3.check']} seeds a side; "
                              f"{MIN_N['d3.check']} seeds a side would let the test decide it")
    f = F["d3.check"]
    if f["resolved"]:
        return report.Verdict("refuted", number, "the two implementations end at different returns")
    need = n_to_resolve(c["main"], c["pycma"])
    return report.Verdict("unresolved", number, why_unresolved(f) + "; agreement cannot be confirmed (no equivalence "
                          f"margin is declared): the data could detect a difference of about "
                          f"{report.num(cmp['detectable'])} return at 80 % power"
                          + (f", and about {need:,.0f} seeds a side would resolve the observed one"
                             if np.isfinite(need) else ""))


def verdicts(S: dict, repeats: int = 100) -> tuple[dict, dict]:
    """(claim id -> ``report.Verdict``, the Holm family) from ``compute.summarise``'s summary."""
    T = tests(S)
    F = judge(T, repeats)
    V = {"d3.diminishing": diminishing_verdict(S, T, F), "d3.solved": solved_verdict(S, T, F),
         "d3.check": check_verdict(S, T, F)}
    V["d3.overall"] = combine(V, NAMES, brief(S))
    return V, F


def brief(S: dict) -> dict:
    """Each sub-claim's number in a few words, for d3.overall's line."""
    d, finals = _gains(S), S["seeds"]["final"] if S["n_seeds"] else []
    return {"d3.diminishing": f"late − early gain per 10K evaluations: {iqm_text(d, 1, True)}",
            "d3.solved": f"final return: {iqm_text(finals)}"}


def family_table(F: dict) -> pd.DataFrame:
    """The chapter's Holm family for readers (``judging.family_table``)."""
    return judging.family_table(F, TESTED)
