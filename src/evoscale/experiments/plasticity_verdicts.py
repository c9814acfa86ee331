"""Chapter 7's verdicts: open question 2, judged by the tests declared for it (``claims.questions``).

Each claim has one statistic (declared before the data), an IQM over seeds against a fixed null:

- ``q2.bandit_share``: Neuromod's share of the reversal bandit's gap from the best feedforward policy (0)
  to the oracle (1), from each run's last solved test within the baselines' env steps (``at``: 320,000
  in the book, read from the stored curves); confirmed when the CI lies above 0, refuted below.
- ``q2.bandit_share_full``: the same share at each run's final test (its whole budget, 1.28M env steps
  in the book, 4x the baselines'); a second line beside the first, never the headline.
- ``q2.cartpoleflip``: Neuromod's CartPoleFlip return at the baselines' env steps minus the blind
  controller's mean return (a fixed reference: it balances the normal episodes and drops the inverted
  ones); confirmed above 0, refuted below. The MLP's return is shown beside, never tested.

Each test's bootstrap p-value (``stats.region_p``: the CI of the IQM lies on one side of the null)
enters one Holm family for the chapter (``stats.family``); a test whose decision flips with the
bootstrap seed in more than 5 % of 100 repeats is "borderline" and unresolved. A claim below its
declared minimum of seeds is left out of the family and stays unresolved. ``q2`` answers the question
at equal env steps from the two 320,000-step parts; the full-budget share is reported beside it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..claims import CLAIMS
from ..envs.adapt import BANDIT_ID, CARTPOLE_ID
from ..stats import N_RESAMPLES, detectable_difference, iqm, n_to_resolve_one, region_p
from . import report
from .judging import judge, why_unresolved
from .plasticity import bounds, gap_closed, values

MIN_N = {c.id: c.min_n for c in CLAIMS if c.id.startswith("q2")}
"""Fewest seeds before any word but "unresolved", from the declarations."""


def iqm_draws(x, n_resamples: int = N_RESAMPLES, seed: int = 0) -> np.ndarray:
    """Bootstrap IQMs of ``x`` (the finite values, resampled with replacement)."""
    x = np.asarray(x, dtype=float)
    x = x[np.isfinite(x)]
    rng = np.random.default_rng(seed)
    return iqm(x[rng.integers(0, x.size, size=(n_resamples, x.size))], axis=1)


def one_sample(x, null: float, n_resamples: int = N_RESAMPLES) -> dict:
    """IQM of ``x`` minus ``null`` with its 95 % percentile CI (bootstrap seed 0, the draws the test
    uses), the seeds above the null, the detectable difference at 80 % power and the seeds that would
    resolve the observed difference (a one-sample t-test at 5 %)."""
    x = np.asarray(x, dtype=float)
    x = x[np.isfinite(x)]
    out = dict(n=int(x.size), diff=np.nan, lo=np.nan, hi=np.nan, above=int((x > null).sum()),
               detectable=np.nan, n_needed=np.nan)
    if x.size == 0:
        return out
    out["diff"] = float(iqm(x) - null)
    if x.size >= 2:
        d = iqm_draws(x, n_resamples, 0) - null
        out["lo"], out["hi"] = float(np.quantile(d, 0.025)), float(np.quantile(d, 0.975))
        out["detectable"] = detectable_difference(x - null)
        out["n_needed"] = n_one_sample(x - null)
    return out


n_one_sample = n_to_resolve_one
"""Seeds a one-sample test of the observed mean of ``d`` needs (``stats.n_to_resolve_one``)."""


def _regions(x, null: float, n_resamples: int):
    """Function of the bootstrap seed: p-value per conclusion ("above" / "below" the null)."""
    def regions(seed):
        d = iqm_draws(x, n_resamples, seed)
        return {"above": region_p(d, null, np.inf), "below": region_p(d, -np.inf, null)}
    return regions


def tests(full: pd.DataFrame, at: pd.DataFrame, n_resamples: int = N_RESAMPLES) -> dict:
    """Every testable claim of the chapter: key -> dict(regions = function of the bootstrap seed giving
    the p-value per conclusion, numbers = ``one_sample``'s result, values). ``full`` holds each run's
    final test (``plasticity.finals``), ``at`` its last test within the baselines' env steps
    (``plasticity.at_steps``). A claim below its minimum n is left out (it stays unresolved)."""
    out = {}
    blind = bounds(CARTPOLE_ID)["blind"]
    for key, x, null in (("q2.bandit_share", gap_closed(at), 0.0), ("q2.bandit_share_full", gap_closed(full), 0.0),
                         ("q2.cartpoleflip", values(at, CARTPOLE_ID, "neuromod"), blind)):
        x = x[np.isfinite(x)]
        if x.size >= MIN_N[key]:
            out[key] = dict(regions=_regions(x, null, n_resamples), numbers=one_sample(x, null, n_resamples), values=x)
    return out




# ---------------------------------------------------------------- words



def _needs(r: dict, digits: int, unit: str) -> str:
    """What would resolve an unresolved one-sample test."""
    out = report.detectable(r["detectable"], digits, unit)
    if np.isfinite(r["n_needed"]):
        out += f", and about {r['n_needed']:,.0f} seeds would resolve the observed one"
    elif np.isinf(r["n_needed"]):
        out += ", and the observed one is too close to the null for 10,000 seeds to resolve"
    return out


def _holm(f: dict) -> str:
    return f" (Holm-adjusted p = {f['p_adj']:.2g})"


def _too_few(key: str, n: int, planned: int, number: str) -> report.Verdict:
    return report.Verdict("unresolved", number, f"{n} seeds stored ({report.n_of(n, planned)}), at least "
                                                f"{MIN_N[key]} needed: the campaign's remaining seeds would decide it")


def _share_verdict(key: str, T: dict, F: dict, x: np.ndarray, planned: int, where: str) -> report.Verdict:
    if key not in T:
        number = f"Neuromod closes {report.over_seeds(x, 2, planned)} of the bandit's feedforward-to-oracle gap {where}"
        return _too_few(key, int(np.isfinite(x).sum()), planned, number)
    r, f = T[key]["numbers"], F[key]
    number = (f"Neuromod closes {report.ci(r['diff'], r['lo'], r['hi'], 2)} of the bandit's feedforward-to-oracle "
              f"gap {where} (n = {r['n']}; {r['above']} of {r['n']} seeds above 0)")
    if not f["resolved"]:
        return report.Verdict("unresolved", number, why_unresolved(f) + "; " + _needs(r, 2, "of the gap"))
    if f["conclusion"] == "above":
        return report.Verdict("confirmed", number, "the CI lies above 0: Neuromod does better than any fixed map, so "
                                                   "it learns within the episode" + _holm(f))
    return report.Verdict("refuted", number, "the CI lies below 0: Neuromod does worse than the best fixed map "
                                             "(win-stay-lose-shift)" + _holm(f))


def _cart_verdict(T: dict, F: dict, at: pd.DataFrame, planned: int, where: str) -> report.Verdict:
    key, blind = "q2.cartpoleflip", bounds(CARTPOLE_ID)["blind"]
    x, mlp = values(at, CARTPOLE_ID, "neuromod"), values(at, CARTPOLE_ID, "mlp")
    refs = (f"blind controller {report.num(blind, 0)}, Neuromod {report.over_seeds(x, 0, planned)}, "
            f"MLP {report.over_seeds(mlp, 0, planned)} {where}")
    if key not in T:
        return _too_few(key, int(np.isfinite(x).sum()), planned, "returns: " + refs)
    r, f = T[key]["numbers"], F[key]
    number = (f"Neuromod − blind controller {report.ci(r['diff'], r['lo'], r['hi'], 0, True)} {where} "
              f"(n = {r['n']}; {r['above']} of {r['n']} seeds above it; returns: {refs})")
    if not f["resolved"]:
        return report.Verdict("unresolved", number, why_unresolved(f) + "; " + _needs(r, 0, "return"))
    if f["conclusion"] == "above":
        return report.Verdict("confirmed", number, "the CI lies above 0: Neuromod beats ignoring the flip" + _holm(f))
    mlp_below = mlp.size > 0 and iqm(mlp) < blind
    return report.Verdict("refuted", number, "the CI lies below 0: evolved Neuromod does worse than ignoring the flip"
                          + _holm(f) + ("; the MLP sits below it too, so both optimisations failed before "
                                        "adaptation could matter" if mlp_below else ""))


def overall(V: dict, T: dict | None = None, steps: str = "") -> report.Verdict:
    """Open question 2's word at equal env steps, by the declared rule: confirmed when both 320,000-step
    parts are confirmed, refuted when the bandit share is refuted and CartPoleFlip not confirmed,
    refined when exactly one part is confirmed, else unresolved. The full-budget share is said beside."""
    b, c, full = V["q2.bandit_share"], V["q2.cartpoleflip"], V["q2.bandit_share_full"]
    confirmed = [v.word == "confirmed" for v in (b, c)]
    if all(confirmed):
        word = "confirmed"
    elif b.word == "refuted" and not confirmed[1]:
        word = "refuted"
    elif sum(confirmed) == 1:
        word = "refined"
    else:
        word = "unresolved"
    T = T or {}
    parts = []
    if "q2.bandit_share" in T:
        r = T["q2.bandit_share"]["numbers"]
        parts.append(f"Neuromod closes {report.ci(r['diff'], r['lo'], r['hi'], 2)} of the bandit's gap to the oracle "
                     f"(n = {r['n']})")
    if "q2.cartpoleflip" in T:
        r = T["q2.cartpoleflip"]["numbers"]
        parts.append(f"ends CartPoleFlip {report.ci(abs(r['diff']), *sorted((abs(r['lo']), abs(r['hi']))), 0)} "
                     f"{'below' if r['diff'] < 0 else 'above'} a controller that ignores the flip (n = {r['n']})")
    number = (f"at the baselines' {steps + ' ' if steps else ''}env steps, " + " and ".join(parts) if parts else
              "fewer seeds stored than the parts need")
    because = f"bandit share {b.word}, CartPoleFlip {c.word}; with its whole budget the share is {full.word}: {full.number}"
    if word == "unresolved":
        because += "; to resolve it: " + " / ".join(v.because for v in (b, c) if v.word == "unresolved")
    return report.Verdict(word, number, because)


def verdicts(full: pd.DataFrame, at: pd.DataFrame, planned: int, steps: dict, repeats: int = 100) -> tuple[dict, dict]:
    """(claim id -> ``report.Verdict``, the Holm family ``judge`` returns). ``steps``: the baselines'
    env steps per task (``PlasticityParams.ppo_steps``)."""
    T = tests(full, at)
    F = judge(T, repeats) if T else {}
    at_b = f"at {report.num(steps.get(BANDIT_ID))} env steps (the baselines' budget)"
    end = full.loc[full["task"] == BANDIT_ID, "env_steps"] if "env_steps" in full and len(full) else pd.Series([])
    whole = (f"at its whole budget ({report.num(end.astype(float).median())} env steps, "
             f"{end.astype(float).median() / steps[BANDIT_ID]:.0f}× the baselines')" if len(end) and BANDIT_ID in steps
             else "at its whole budget")
    V = {"q2.bandit_share": _share_verdict("q2.bandit_share", T, F, gap_closed(at), planned, at_b),
         "q2.bandit_share_full": _share_verdict("q2.bandit_share_full", T, F, gap_closed(full), planned, whole),
         "q2.cartpoleflip": _cart_verdict(T, F, at, planned, f"at {report.num(steps.get(CARTPOLE_ID))} env steps")}
    V["q2"] = overall(V, T, report.num(steps.get(BANDIT_ID)) if steps.get(BANDIT_ID) == steps.get(CARTPOLE_ID) else "")
    return V, F


def short(V: dict, planned: int, stored: int, T: dict | None = None, steps: dict | None = None) -> str:
    """The intro's one line (at most 25 words): open question 2's word, the bandit share at equal env
    steps with its CI and n, and CartPoleFlip's word (not run yet while nothing is stored)."""
    if stored == 0:
        return f"unresolved: not run yet ({report.n_of(0, planned)} seeds); the campaign trains chapter 7's runs"
    T, steps = T or {}, steps or {}
    if "q2.bandit_share" in T:
        r = T["q2.bandit_share"]["numbers"]
        share = f"Neuromod closes {report.ci(r['diff'], r['lo'], r['hi'], 2)} of the bandit's gap to the oracle (n = {r['n']})"
    else:
        share = "too few seeds for the bandit share"
    number = (f"at equal env steps ({report.num(steps.get(BANDIT_ID))}), {share}, CartPoleFlip "
              f"{V['q2.cartpoleflip'].word}")
    return report.verdict_short(f"{V['q2'].word}: {number}", max_words=25)


def family_table(F: dict) -> pd.DataFrame:
    """The chapter's Holm family for readers."""
    names = {"q2.bandit_share": "bandit: Neuromod's share of the gap at the baselines' env steps, against 0",
             "q2.bandit_share_full": "bandit: the same share with the whole evolution budget, against 0",
             "q2.cartpoleflip": "CartPoleFlip: Neuromod's return minus the blind controller's, against 0"}
    return pd.DataFrame({"What is tested": [names.get(k, k) for k in F],
                         "raw p": [f["p"] for f in F.values()], "Holm-adjusted p": [f["p_adj"] for f in F.values()],
                         "share of bootstrap seeds that flip it": [f["flip"] for f in F.values()],
                         "resolved after Holm": [("borderline" if f["borderline"] else "yes" if f["resolved"] else "no")
                                                 for f in F.values()]})
