"""Aggregates over seeds: interquartile mean (IQM) with a 95 % bootstrap confidence interval.

Following Agarwal et al. 2021 (rliable): the IQM is the mean of the middle 50 % of runs (robust to an
outlier seed, less noisy than the median); the CI is a percentile bootstrap over seeds
(``scipy.stats.bootstrap``). Within one task the stratified bootstrap is the plain one over seeds.
With fewer than 2 finite values the CI collapses to the point.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats as sps


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
