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
