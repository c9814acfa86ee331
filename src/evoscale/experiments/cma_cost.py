"""What a full CMA-ES costs at n parameters, fitted to chapter 1's measurement (``cma_scaling.run``'s
table): power-law fits of the ask + tell per generation, one LunarLander generation's evaluation
interpolated between the measured sizes, the peak memory at the largest measured n's bytes per
covariance entry, and from them a whole run's prediction (``predict_cma``).

Chapters 1, 4 and 5 read these fits (chapter 5 decides with ``predict_cma`` which CMA-ES cells this
machine can run), so they live here, below every study, not in chapter 1's.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

def power_law(df: pd.DataFrame, method: str, column: str = "amortised_ms_per_gen") -> tuple[float, float]:
    """(exponent, prefactor) of ``column = prefactor * n ** exponent``, least squares in log-log."""
    d = df[(df["method"] == method) & (df[column] > 0)]
    slope, intercept = np.polyfit(np.log(d["n"]), np.log(d[column]), 1)
    return float(slope), float(math.exp(intercept))


def eval_ms(df: pd.DataFrame, n) -> np.ndarray:
    """One LunarLander generation's evaluation time at n: log-log interpolation between the measured
    sizes (flat beyond them; the evaluation is not a power law: flat while the environment dominates,
    rising once the network forward does)."""
    d = df[df["method"] == "evaluation"].sort_values("n")
    return np.exp(np.interp(np.log(n), np.log(d["n"]), np.log(d["amortised_ms_per_gen"])))


def fitted_ms(df: pd.DataFrame, method: str, n, column: str = "amortised_ms_per_gen") -> float:
    """The method's amortised ms per generation at n (``column="ms_per_gen"``: a generation without an
    eigendecomposition), from its power-law fit (``power_law``)."""
    a, c = power_law(df, method, column)
    return c * n**a


def update_at(df: pd.DataFrame, method: str, n: int) -> dict:
    """A full CMA-ES's ask + tell at ``n`` parameters, in seconds per generation, from this chapter's
    isolated measurement (power-law fits): ``steady`` (a generation without an eigendecomposition),
    ``amortised`` (the decomposition spread over its period) and their difference ``decomposition``.
    The one source of this figure wherever the book quotes it (chapter 4 compares its own timing)."""
    steady, amortised = fitted_ms(df, method, n, "ms_per_gen") / 1e3, fitted_ms(df, method, n) / 1e3
    return {"steady": steady, "amortised": amortised, "decomposition": amortised - steady}


def bytes_per_entry(df: pd.DataFrame, method: str) -> float:
    """Peak memory per covariance entry (bytes / n^2) of a full CMA-ES at its largest measured n."""
    d = df[df["method"] == method].sort_values("n").iloc[-1]
    return float(d["peak_mib"] * 2**20 / d["n"] ** 2)


def peak_gib(df: pd.DataFrame, method: str, n: int) -> float:
    """A full CMA-ES's peak memory at n parameters, GiB: O(n^2) storage at ``bytes_per_entry``."""
    return bytes_per_entry(df, method) * n**2 / 2**30


def predict_cma(df: pd.DataFrame, method: str, n: int, generations: int) -> dict:
    """A full CMA-ES run on LunarLander at n parameters, from this measurement: seconds per generation
    (power-law fit of the amortised ask + tell, plus one generation's evaluation), the run's seconds
    for ``generations`` generations (one core; the evaluation of a mid-training population) and the
    peak GiB (``bytes_per_entry`` x n^2)."""
    s_per_gen = (fitted_ms(df, method, n) + float(eval_ms(df, n))) / 1e3
    return {"s_per_gen": s_per_gen, "run_s": generations * s_per_gen,
            "peak_gib": peak_gib(df, method, n)}


ASK_TELL_JSON = "ask-tell.json"
"""``bench ask-tell``'s file under the checkout's ``results/bench/`` (``make bench-ask-tell``)."""
_ASK_TELL_RATIOS = ("chapter4_over_chapter1", "state", "evaluation_fresh", "evaluation_warm")
_ASK_TELL_VARIANTS = ("chapter1", "chapter4", "warm_synthetic", "fresh_evaluated")


def ask_tell_measured(root=None) -> dict | None:
    """``bench ask-tell``'s committed measurement (pycma's ask + tell as chapters 1 and 4 time it, and
    two variants between them, alternately on one idle core), or None where it is not stored. A file
    that is not such a measurement is a one-line ValueError."""
    import json
    from pathlib import Path

    from . import CHECKOUT_RESULTS

    path = Path(root or CHECKOUT_RESULTS) / "bench" / ASK_TELL_JSON
    if not path.exists():
        return None
    try:
        d = json.loads(path.read_text())
        for k in ("machine", "rounds", "n_params", "warmup_generations", "period_generations"):
            d[k]
        for v in _ASK_TELL_VARIANTS:
            float(d["medians"][v]["amortised"])
        for r in _ASK_TELL_RATIOS:
            for part in ("amortised", "steady", "decomposition"):
                x = d["ratios"][r][part]
                if x is not None:
                    float(x["ratio"])
    except (ValueError, KeyError, TypeError) as err:
        msg = " ".join(str(err).split())
        raise ValueError(f"{path} is not a `bench ask-tell` measurement ({type(err).__name__}: {msg}); "
                         f"rerun `make bench-ask-tell` on an idle machine or remove the file") from None
    return d


def _x(r: dict | None) -> str:
    """A ratio with its CI: "1.9× [1.7, 2.1]"."""
    if r is None:
        return "–"
    out = f"{r['ratio']:.2f}×"
    return out if r.get("lo") is None else f"{out} [{r['lo']:.2f}, {r['hi']:.2f}]"


def _above_one(r: dict | None) -> bool:
    return r is not None and r.get("lo") is not None and r["lo"] > 1


def _same(r: dict | None) -> bool:
    return r is not None and r.get("lo") is not None and r["lo"] <= 1 <= r["hi"]


def ask_tell_reason(measured: dict | None, stored_ratio: float | None = None,
                    fit_s: float | None = None, warmup_evals: int | None = None) -> dict:
    """The texts chapters 4 (``why``) and 1 (``ch1_note``) glue about why pycma's ask + tell costs
    ``stored_ratio`` times more in chapter 4's stored timing than by chapter 1's fit (``fit_s``: the
    fit's seconds at the measured n), from ``ask_tell_measured``; without a measurement, that the cause
    is not measured yet and how to measure it (``warmup_evals``: chapter 4's training evaluations before
    its timed window)."""
    if measured is None:
        window = f"after {warmup_evals:,} training evaluations" if warmup_evals else "after a warm-up of training"
        return {"measured": False,
                "why": "Why both parts cost more here is not measured yet. The two timings differ in their window "
                       "(chapter 1: the first generations of a fresh CMA-ES on a synthetic function; here: "
                       f"generations {window}, with episodes run between updates) and perhaps in "
                       "the machine's load, which neither stored timing records; timing both procedures in "
                       "alternation on one idle core (make bench-ask-tell) would separate them",
                "ch1_note": "chapter 4 times the same update inside training generations, where it costs more; "
                            "it sets out what is measured of the difference and what is not"}
    R, M = measured["ratios"], measured["medians"]
    both = R["chapter4_over_chapter1"]["amortised"]
    head = (f"Timed alternately on one idle core ({measured['machine']}; {measured['rounds']} rounds, "
            f"{measured['n_params']:,} parameters), this chapter's procedure takes {M['chapter4']['amortised']:.2f} s a generation, chapter 1's "
            f"{M['chapter1']['amortised']:.2f} s: {_x(both)} (95 % CI over rounds)")
    if fit_s is not None:
        head += f"; chapter 1's fit is {fit_s / M['chapter1']['amortised']:.2f}× its direct measurement"
    stored = f" of the {stored_ratio:.1f}× between the stored timings" if stored_ratio is not None else ""
    if _above_one(both):
        causes = [label for k, label in (("state", "the trained state"), ("evaluation_warm", "the episodes between ask "
                                                                                             "and tell"))
                  if _above_one(R[k]["amortised"])]
        tail = (f"From this chapter's trained state, chapter 1's loop costs {_x(R['state']['amortised'])} as much "
                f"(steady {_x(R['state']['steady'])}, decomposition {_x(R['state']['decomposition'])}); episodes "
                f"between ask and tell multiply it by {_x(R['evaluation_warm']['amortised'])} in this chapter's "
                f"process and {_x(R['evaluation_fresh']['amortised'])} on a fresh search. ")
        tail += (f"So the difference comes from {' and '.join(causes)}" if causes
                 else "Neither alone is resolved, so the difference comes from the two together")
        if stored_ratio is not None and stored_ratio > both["hi"]:
            tail += f"; the rest{stored} was the machine's load"
        note = (f"chapter 4 times the same update inside training generations; timed alternately with this loop on "
                f"one idle core, it costs {both['ratio']:.2f}× as much there, and chapter 4 measures why")
    elif _same(both):
        r1 = None if fit_s is None else fit_s / M["chapter1"]["amortised"]  # chapter 1's figure over its idle value
        r4 = None if fit_s is None or stored_ratio is None else stored_ratio * fit_s / M["chapter4"]["amortised"]
        low1 = r1 is not None and r1 < 0.9
        where = []
        if low1:
            where.append("chapter 1's figure (below its own loop's idle cost, which a busier machine could only have "
                         "raised: so its fit or that day's machine)")
        if r4 is not None and r4 > 1.1:
            where.append(f"this chapter's stored timing, {r4:.2f}× its idle value (the machine's load when it ran)")
        tail = ("So on an idle core the two procedures cost the same" + (
            f"; the difference{stored} lies in " + " and in ".join(where) if where else
            f", and the difference{stored} was the machine's load on the days they ran, not the procedure"))
        note = ("chapter 4 times the same update inside training generations; timed alternately with this loop on "
                "one idle core, it costs the same there" + (
                    f", and this table's figure at that size is {r1:.2f}× what this loop takes on an idle core"
                    if low1 else ", and chapter 4 shows why its stored timing differs"))
    elif both.get("hi") is not None:  # cheaper in training generations
        tail = (f"So on an idle core this chapter's procedure is not the dearer one, and the difference{stored} was "
                f"the machine's load on the days they ran")
        note = ("chapter 4 times the same update inside training generations; timed alternately with this loop on "
                "one idle core, it is not dearer there, and chapter 4 shows why its stored timing differs")
    else:
        tail = "One round gives no interval, so this does not settle the cause; more rounds would"
        note = "chapter 4 times the same update inside training generations, where it costs more"
    return {"measured": True, "why": f"{head}. {tail}", "ch1_note": note}
