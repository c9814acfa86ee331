"""Aggregates over seeds, comparisons between methods, and what the data could have detected.

Following Agarwal et al. 2021 (rliable), with scipy instead of rliable itself (rliable 1.2 needs
``arch<8``, which does not import under the pinned pandas 3; ``tests/test_stats.py`` checks these
functions against rliable's definitions on hand-computed cases):

- the **IQM** is the mean of the middle 50 % of runs (``scipy.stats.trim_mean(x, 0.25)``, as rliable);
- **CIs** are 95 % percentile bootstraps over seeds; within one task the stratified bootstrap is the
  plain one, and two methods are resampled independently;
- the **probability of improvement** P(X > Y) is the Mann-Whitney statistic U / (m n), ties counting
  one half (rliable's ``probability_of_improvement`` for one task);
- a difference is **resolved** only when the CI of the IQM difference, or of P(X > Y) - 0.5, excludes 0;
- an unresolved comparison states the **detectable difference**: the smallest true difference of
  means a two-sided t-test at alpha = 0.05 would find with 80 % power, given the measured spread and n.

The book shows no IQM or CI from fewer than ``MIN_SEEDS`` seeds (the formatting in
``experiments.report`` prints the values and "n = k" instead); these functions compute regardless.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats as sps


MIN_SEEDS = 5
"""Fewest seeds from which the book reports an IQM or a CI."""


def iqm(x, axis=None) -> float:
    return sps.trim_mean(np.asarray(x, dtype=float), 0.25, axis=axis)


def iqm_ci(x, level: float = 0.95, n_resamples: int = 2000, seed: int = 0) -> tuple[float, float, float]:
    """(IQM, CI low, CI high) of the finite values in ``x``; NaNs are dropped (unreached = not counted)."""
    x = np.asarray(x, dtype=float)
    x = x[np.isfinite(x)]
    if x.size == 0:
        return (np.nan, np.nan, np.nan)
    point = float(iqm(x))
    if x.size < 2 or np.all(x == x[0]):
        return (point, point, point)
    res = sps.bootstrap(
        (x,), lambda s, axis: iqm(s, axis=axis), confidence_level=level, n_resamples=n_resamples,
        method="percentile", vectorized=True, rng=np.random.default_rng(seed),
    )
    return (point, float(res.confidence_interval.low), float(res.confidence_interval.high))


def curve_band(df: pd.DataFrame, x: str, y: str, grid=None, group: str = "seed") -> pd.DataFrame:
    """IQM and CI of ``y`` across ``group`` (seeds) at common ``x`` points.

    Each seed's curve is linearly interpolated onto ``grid`` (default: the x values all seeds share,
    or 50 points over the range every seed covers); points outside a seed's range are not invented.
    """
    df = df[np.isfinite(df[y])]
    curves = [g.sort_values(x) for _, g in df.groupby(group)]
    if not curves:
        return pd.DataFrame(columns=[x, "iqm", "lo", "hi", "n"])
    if grid is None:
        lo, hi = max(c[x].min() for c in curves), min(c[x].max() for c in curves)
        grid = np.linspace(lo, hi, 50) if hi > lo else np.array([lo])
    rows = []
    for g in np.asarray(grid, dtype=float):
        vals = [np.interp(g, c[x], c[y]) for c in curves if c[x].min() <= g <= c[x].max()]
        rows.append((g, *iqm_ci(vals), len(vals)))
    return pd.DataFrame(rows, columns=[x, "iqm", "lo", "hi", "n"])


def first_crossing(df: pd.DataFrame, threshold: float, x: str = "evals", y: str = "eval_return",
                   group: str = "seed") -> pd.Series:
    """Per seed, the first ``x`` at which ``y >= threshold`` (NaN where never reached)."""
    def first(g):
        hit = g[g[y] >= threshold]
        return float(hit[x].min()) if len(hit) else np.nan

    return df.groupby(group).apply(first, include_groups=False)


def _finite(x) -> np.ndarray:
    x = np.asarray(x, dtype=float)
    return x[np.isfinite(x)]


def prob_improvement(x, y) -> float:
    """P(X > Y) + P(X = Y) / 2 for one draw from each sample (Mann-Whitney U / (m n))."""
    x, y = _finite(x), _finite(y)
    if x.size == 0 or y.size == 0:
        return np.nan
    gt = (x[:, None] > y[None, :]).mean()
    eq = (x[:, None] == y[None, :]).mean()
    return float(gt + 0.5 * eq)


def _prob_improvement_rows(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """``prob_improvement`` of each row of x (B x m) against the same row of y (B x n)."""
    return (x[:, :, None] > y[:, None, :]).mean(axis=(1, 2)) + 0.5 * (x[:, :, None] == y[:, None, :]).mean(axis=(1, 2))


def _two_sample_boot(x, y, stat, n_resamples: int, seed: int, level: float) -> tuple[float, float]:
    """Percentile CI of ``stat(X*, Y*)`` (vectorised over resamples: rows) with x and y resampled
    independently (stratified by method)."""
    rng = np.random.default_rng(seed)
    xs = x[rng.integers(0, x.size, size=(n_resamples, x.size))]
    ys = y[rng.integers(0, y.size, size=(n_resamples, y.size))]
    vals = stat(xs, ys)
    a = (1 - level) / 2
    return float(np.quantile(vals, a)), float(np.quantile(vals, 1 - a))


def detectable_difference(x, y=None, power: float = 0.8, alpha: float = 0.05) -> float:
    """Smallest true difference of means a two-sided t-test at ``alpha`` detects with ``power``:
    (t_{1-alpha/2} + t_{power}) * s * sqrt(1/m + 1/n), s the pooled SD (df = m + n - 2). With ``y``
    None, ``x`` are paired differences: (t + t) * sd / sqrt(n), df = n - 1. NaN below 2 values a side."""
    x = _finite(x)
    if y is None:
        if x.size < 2:
            return np.nan
        df, se = x.size - 1, x.std(ddof=1) / np.sqrt(x.size)
    else:
        y = _finite(y)
        if x.size < 2 or y.size < 2:
            return np.nan
        df = x.size + y.size - 2
        pooled = np.sqrt(((x.size - 1) * x.var(ddof=1) + (y.size - 1) * y.var(ddof=1)) / df)
        se = pooled * np.sqrt(1 / x.size + 1 / y.size)
    return float((sps.t.ppf(1 - alpha / 2, df) + sps.t.ppf(power, df)) * se)


def compare(x, y, level: float = 0.95, n_resamples: int = 2000, seed: int = 0) -> dict:
    """X against Y (e.g. final returns of two methods over their seeds): IQMs, IQM difference with its
    CI, P(X > Y) with its CI, whether the difference is resolved, and the detectable difference."""
    x, y = _finite(x), _finite(y)
    out = dict(n_x=int(x.size), n_y=int(y.size), iqm_x=np.nan, iqm_y=np.nan, diff=np.nan, diff_lo=np.nan,
               diff_hi=np.nan, p=np.nan, p_lo=np.nan, p_hi=np.nan, resolved=False, detectable=np.nan)
    if x.size == 0 or y.size == 0:
        return out
    out.update(iqm_x=float(iqm(x)), iqm_y=float(iqm(y)), diff=float(iqm(x) - iqm(y)), p=prob_improvement(x, y))
    if x.size >= 2 and y.size >= 2:
        out["diff_lo"], out["diff_hi"] = _two_sample_boot(
            x, y, lambda a, b: iqm(a, axis=1) - iqm(b, axis=1), n_resamples, seed, level)
        out["p_lo"], out["p_hi"] = _two_sample_boot(x, y, _prob_improvement_rows, n_resamples, seed, level)
        out["resolved"] = bool(out["diff_lo"] > 0 or out["diff_hi"] < 0 or out["p_lo"] > 0.5 or out["p_hi"] < 0.5)
        out["detectable"] = detectable_difference(x, y)
    return out


def paired(d, level: float = 0.95, n_resamples: int = 2000, seed: int = 0) -> dict:
    """Per-seed paired differences ``d`` (e.g. late minus early gain of each seed): mean with its
    bootstrap CI, the share of seeds with d > 0, resolved (CI excludes 0) and the detectable difference."""
    d = _finite(d)
    out = dict(n=int(d.size), mean=np.nan, lo=np.nan, hi=np.nan, share_positive=np.nan, resolved=False,
               detectable=np.nan)
    if d.size == 0:
        return out
    out.update(mean=float(d.mean()), share_positive=float((d > 0).mean()))
    if d.size >= 2 and not np.all(d == d[0]):
        res = sps.bootstrap((d,), np.mean, confidence_level=level, n_resamples=n_resamples, method="percentile",
                            rng=np.random.default_rng(seed))
        out.update(lo=float(res.confidence_interval.low), hi=float(res.confidence_interval.high))
        out["resolved"] = bool(out["lo"] > 0 or out["hi"] < 0)
        out["detectable"] = detectable_difference(d)
    return out


def ratio(x, y, level: float = 0.95, n_resamples: int = 2000, seed: int = 0) -> dict:
    """IQM(X) / IQM(Y) of two positive samples (e.g. env steps to a threshold of two methods over their
    seeds), with a bootstrap CI (each side resampled); resolved when the CI excludes 1."""
    x, y = _finite(x), _finite(y)
    out = dict(n_x=int(x.size), n_y=int(y.size), ratio=np.nan, lo=np.nan, hi=np.nan, resolved=False)
    if x.size == 0 or y.size == 0:
        return out
    if (x <= 0).any() or (y <= 0).any():
        raise ValueError("ratio needs positive values on both sides")
    out["ratio"] = float(iqm(x) / iqm(y))
    if x.size >= 2 and y.size >= 2:
        out["lo"], out["hi"] = _two_sample_boot(x, y, lambda a, b: iqm(a, axis=1) / iqm(b, axis=1),
                                                n_resamples, seed, level)
        out["resolved"] = bool(out["lo"] > 1 or out["hi"] < 1)
    return out
