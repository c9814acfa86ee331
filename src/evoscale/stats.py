"""Aggregates over seeds, comparisons between methods, and what the data could have detected.

Following Agarwal et al. 2021 (rliable), with scipy instead of rliable itself (rliable 1.2 needs
``arch<8``, which does not import under the pinned pandas 3; ``tests/test_stats.py`` checks these
functions against rliable's definitions on hand-computed cases):

- the **IQM** is the mean of the middle 50 % of runs (``scipy.stats.trim_mean(x, 0.25)``, as rliable);
- **CIs** are 95 % percentile bootstraps over seeds; within one task the stratified bootstrap is the
  plain one, and two methods are resampled independently;
- the **probability of improvement** P(X > Y) is the Mann-Whitney statistic U / (m n), ties counting
  one half (rliable's ``probability_of_improvement`` for one task);
- a difference is **resolved** only when the CI of the IQM difference excludes 0 (the one pre-declared
  statistic; P(X > Y) with its CI is reported beside it, never as a second route), from
  ``N_RESAMPLES`` bootstrap resamples; within a chapter's family of claims the bootstrap p-values are
  **Holm**-adjusted (``holm``), and a resolution that flips across bootstrap seeds in more than 5 % of
  repeats is **borderline** (``family``; ``flip_share`` for one comparison alone);
- times to a threshold treat a seed that never reached it as **censored** at its budget (``km_median``,
  ``censored_ratio``), never dropped;
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
N_RESAMPLES = 10_000
"""Bootstrap resamples of every CI and p-value (2,000 left about one verdict in eight at the boundary
flipping with the bootstrap seed)."""
ALPHA = 0.05
"""Family-wise error rate of a chapter's claims (Holm)."""
BORDERLINE = 0.05
"""A resolution that flips in more than this share of bootstrap seeds is shown as unresolved."""


def iqm(x, axis=None) -> float:
    return sps.trim_mean(np.asarray(x, dtype=float), 0.25, axis=axis)


def iqm_ci(x, level: float = 0.95, n_resamples: int = N_RESAMPLES, seed: int = 0) -> tuple[float, float, float]:
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


def first_crossing(df: pd.DataFrame, threshold: float, x: str = "evals", y: str = "test_return",
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


def _two_sample_draws(x, y, stat, n_resamples: int, seed: int) -> np.ndarray:
    """``stat(X*, Y*)`` for ``n_resamples`` bootstrap resamples (rows), x and y resampled
    independently (stratified by method)."""
    rng = np.random.default_rng(seed)
    xs = x[rng.integers(0, x.size, size=(n_resamples, x.size))]
    ys = y[rng.integers(0, y.size, size=(n_resamples, y.size))]
    return stat(xs, ys)


def _percentile(vals: np.ndarray, level: float) -> tuple[float, float]:
    a = (1 - level) / 2
    return float(np.quantile(vals, a)), float(np.quantile(vals, 1 - a))


def _two_sample_boot(x, y, stat, n_resamples: int, seed: int, level: float) -> tuple[float, float]:
    """Percentile CI of ``stat(X*, Y*)`` (``_two_sample_draws``)."""
    return _percentile(_two_sample_draws(x, y, stat, n_resamples, seed), level)


def boot_p(vals, null: float) -> float:
    """Two-sided bootstrap p-value of ``null`` from a statistic's resampled values: twice the smaller
    share of draws on either side of it (each share counted as (k + 1) / (B + 1), so never 0). The
    percentile CI at level 1 - a excludes ``null`` when this is below a."""
    vals = np.asarray(vals, dtype=float)
    b = vals.size
    below, above = (np.sum(vals <= null) + 1) / (b + 1), (np.sum(vals >= null) + 1) / (b + 1)
    return float(min(1.0, 2 * min(below, above)))


def region_p(draws, lo: float = -np.inf, hi: float = np.inf) -> float:
    """Bootstrap p-value against "the statistic lies in [lo, hi]" failing: twice the larger share of
    resampled values at or beyond either end (each counted as (k + 1) / (B + 1)). The percentile CI
    at level 1 - a lies inside (lo, hi) when this is below a. An open end counts nothing."""
    d = np.asarray(draws, dtype=float)
    b = d.size
    below = (np.sum(d <= lo) + 1) / (b + 1) if np.isfinite(lo) else 0.0
    above = (np.sum(d >= hi) + 1) / (b + 1) if np.isfinite(hi) else 0.0
    return float(min(1.0, 2 * max(below, above)))


def holm(pvalues, alpha: float = ALPHA) -> tuple[np.ndarray, np.ndarray]:
    """Holm's step-down correction of one family: (adjusted p-values, resolved at family-wise
    ``alpha``). NaN p-values (comparisons that could not be made) stay NaN and unresolved and do not
    count towards the family's size."""
    p = np.asarray(pvalues, dtype=float)
    adjusted = np.full(p.shape, np.nan)
    ok = np.flatnonzero(np.isfinite(p))
    m = ok.size
    order = ok[np.argsort(p[ok], kind="stable")]
    running = 0.0
    for k, i in enumerate(order):
        running = max(running, min(1.0, (m - k) * p[i]))
        adjusted[i] = running
    return adjusted, np.where(np.isfinite(adjusted), adjusted < alpha, False).astype(bool)


def flip_share(x, y, repeats: int = 100, n_resamples: int = N_RESAMPLES, level: float = 0.95) -> float:
    """How often the resolution of the IQM difference of x and y differs from its majority across
    ``repeats`` bootstrap seeds: min(share resolved, share unresolved). Above ``BORDERLINE`` the
    verdict is shown as unresolved (borderline)."""
    x, y = _finite(x), _finite(y)
    if x.size < 2 or y.size < 2:
        return 0.0
    hits = 0
    for seed in range(repeats):
        lo, hi = _two_sample_boot(x, y, lambda a, b: iqm(a, axis=1) - iqm(b, axis=1), n_resamples, seed, level)
        hits += bool(lo > 0 or hi < 0)
    share = hits / repeats
    return float(min(share, 1 - share))


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


def compare(x, y, level: float = 0.95, n_resamples: int = N_RESAMPLES, seed: int = 0) -> dict:
    """X against Y (e.g. final returns of two methods over their seeds): IQMs, IQM difference with its
    CI and bootstrap p-value (``p_value``, for a family's Holm correction), P(X > Y) with its CI
    (reported beside, never resolving), whether the difference is resolved (its CI excludes 0), the
    detectable difference and the seeds per side that would resolve the observed difference."""
    x, y = _finite(x), _finite(y)
    out = dict(n_x=int(x.size), n_y=int(y.size), iqm_x=np.nan, iqm_y=np.nan, diff=np.nan, diff_lo=np.nan,
               diff_hi=np.nan, p_value=np.nan, p=np.nan, p_lo=np.nan, p_hi=np.nan, resolved=False,
               detectable=np.nan, n_needed=np.nan)
    if x.size == 0 or y.size == 0:
        return out
    out.update(iqm_x=float(iqm(x)), iqm_y=float(iqm(y)), diff=float(iqm(x) - iqm(y)), p=prob_improvement(x, y))
    if x.size >= 2 and y.size >= 2:
        draws = _two_sample_draws(x, y, lambda a, b: iqm(a, axis=1) - iqm(b, axis=1), n_resamples, seed)
        out["diff_lo"], out["diff_hi"] = _percentile(draws, level)
        out["p_value"] = boot_p(draws, 0.0)
        out["p_lo"], out["p_hi"] = _two_sample_boot(x, y, _prob_improvement_rows, n_resamples, seed, level)
        out["resolved"] = bool(out["diff_lo"] > 0 or out["diff_hi"] < 0)
        out["detectable"] = detectable_difference(x, y)
        out["n_needed"] = n_to_resolve(x, y)
    return out


def n_to_resolve(x, y, power: float = 0.8, alpha: float = ALPHA, largest: int = 10_000) -> float:
    """Seeds per side at which a two-sided t-test at ``alpha`` would detect the observed difference of
    means with ``power``, given the pooled spread (the smallest n with ``detectable_difference`` at or
    below it); inf for no difference, NaN below 2 values a side."""
    x, y = _finite(x), _finite(y)
    if x.size < 2 or y.size < 2:
        return np.nan
    delta = abs(x.mean() - y.mean())
    df = x.size + y.size - 2
    s = np.sqrt(((x.size - 1) * x.var(ddof=1) + (y.size - 1) * y.var(ddof=1)) / df)
    if delta == 0:
        return np.inf
    if s == 0:
        return 2.0
    n = np.arange(2, largest + 1)
    dof = 2 * n - 2
    ok = np.flatnonzero((sps.t.ppf(1 - alpha / 2, dof) + sps.t.ppf(power, dof)) * s * np.sqrt(2 / n) <= delta)
    return float(n[ok[0]]) if ok.size else np.inf


def n_to_resolve_one(d, power: float = 0.8, alpha: float = ALPHA, largest: int = 10_000,
                     delta: float | None = None) -> float:
    """``n_to_resolve`` for one sample against a null (``d``: the values minus the null, or paired
    differences): the seeds at which a two-sided one-sample t-test would detect a difference of
    ``delta`` (default: the observed mean of ``d``; a chapter whose statistic is an IQM passes the
    IQM) with ``power``, given the spread of ``d``; inf for no difference, NaN below 2 values."""
    d = _finite(d)
    if d.size < 2:
        return np.nan
    delta, s = abs(d.mean() if delta is None else delta), d.std(ddof=1)
    if delta == 0:
        return np.inf
    if s == 0:
        return 2.0
    n = np.arange(2, largest + 1)
    ok = np.flatnonzero((sps.t.ppf(1 - alpha / 2, n - 1) + sps.t.ppf(power, n - 1)) * s / np.sqrt(n) <= delta)
    return float(n[ok[0]]) if ok.size else np.inf


def km_medians(t: np.ndarray, r: np.ndarray) -> np.ndarray:
    """Kaplan-Meier medians of each row of (times ``t``, reached ``r``), both R x n, with every
    censored seed counted as censored after every reached seed's time. Every run's budget is set in
    its own unit (training episodes for an ES, env steps for PPO) and is the same for all seeds of a
    cell, so in that unit no seed is censored before another reaches the threshold. In another unit
    (env steps or seconds of an ES run, whose episodes differ in length) a failing seed's budget can
    end earlier than a solving seed's time; KM would then read its censoring as uninformative and give
    a median even where fewer than half the seeds reached the threshold.

    With no censoring before the last event, the estimated share not yet at the threshold after the
    k-th event is (n - k) / n, so the median is the ceil(n/2)-th smallest time of a reached seed: the
    time by which half the seeds reached the threshold, inf where fewer than half did."""
    n = t.shape[1]
    if n == 0:
        return np.full(len(t), np.inf)
    return np.sort(np.where(r, t, np.inf), axis=1)[:, (n + 1) // 2 - 1]


def km_median(times, reached) -> float:
    """Kaplan-Meier median time to a threshold over seeds: ``times`` where ``reached`` is True are
    the times it was reached; the others are censored at their budget, after every reached seed
    (``km_medians``: their ``times``, the budget they ran without reaching it, do not move the median).
    inf when fewer than half the seeds reached the threshold, NaN without seeds."""
    t, r = np.asarray(times, dtype=float), np.asarray(reached, dtype=bool)
    if t.size == 0:
        return np.nan
    return float(km_medians(t[None, :], r[None, :])[0])


def km_median_ci(times, reached, level: float = 0.95, n_resamples: int = N_RESAMPLES,
                 seed: int = 0) -> tuple[float, float, float]:
    """``km_median`` with a percentile bootstrap CI over seeds, censored seeds resampled with the rest
    (none dropped); an end of the CI is inf where that share of resamples has no median. NaN CI below
    two seeds."""
    t, r = np.asarray(times, dtype=float), np.asarray(reached, dtype=bool)
    point = km_median(t, r)
    if t.size < 2:
        return point, np.nan, np.nan
    idx = np.random.default_rng(seed).integers(0, t.size, size=(n_resamples, t.size))
    lo, hi = np.percentile(km_medians(t[idx], r[idx]), [50 * (1 - level), 50 * (1 + level)], method="lower")
    return point, float(lo), float(hi)


def censored_ratio_draws(x_times, x_reached, y_times, y_reached, n_resamples: int = N_RESAMPLES,
                         seed: int = 0) -> np.ndarray:
    """Bootstrap draws of log(km_median(X) / km_median(Y)), each side resampled with its censored seeds
    (inf where X's median is undefined, also where neither side's is)."""
    xt, xr = np.asarray(x_times, dtype=float), np.asarray(x_reached, dtype=bool)
    yt, yr = np.asarray(y_times, dtype=float), np.asarray(y_reached, dtype=bool)
    rng = np.random.default_rng(seed)
    ix = rng.integers(0, xt.size, size=(n_resamples, xt.size))
    iy = rng.integers(0, yt.size, size=(n_resamples, yt.size))
    with np.errstate(invalid="ignore", divide="ignore"):
        vals = km_medians(xt[ix], xr[ix]) / km_medians(yt[iy], yr[iy])
        return np.log(np.where(np.isnan(vals), np.inf, vals))  # inf / inf: neither median defined


def censored_ratio(x_times, x_reached, y_times, y_reached, level: float = 0.95, n_resamples: int = N_RESAMPLES,
                   seed: int = 0) -> dict:
    """km_median(X) / km_median(Y) with a percentile bootstrap CI over seeds, each side resampled with
    its censored seeds (none dropped). An infinite median (X mostly censored) gives an infinite ratio;
    an infinite upper end of the CI reads "at least lo". Resolved when the CI excludes 1. Also
    ``lower_bound``: where X's median is undefined, budget(X's largest censoring time) / median(Y),
    what the data show at least."""
    xt, xr = np.asarray(x_times, dtype=float), np.asarray(x_reached, dtype=bool)
    yt, yr = np.asarray(y_times, dtype=float), np.asarray(y_reached, dtype=bool)
    out = dict(n_x=int(xt.size), n_y=int(yt.size), censored_x=int((~xr).sum()), censored_y=int((~yr).sum()),
               ratio=np.nan, lo=np.nan, hi=np.nan, p_value=np.nan, resolved=False, lower_bound=np.nan)
    if xt.size == 0 or yt.size == 0:
        return out
    mx, my = km_median(xt, xr), km_median(yt, yr)
    out["ratio"] = mx / my if np.isfinite(my) and my > 0 else np.nan
    if not np.isfinite(mx) and np.isfinite(my) and my > 0:
        out["lower_bound"] = float(xt.max() / my)
    if xt.size >= 2 and yt.size >= 2:
        logs = censored_ratio_draws(xt, xr, yt, yr, n_resamples, seed)  # inf / inf: counted as inf
        lo, hi = (np.percentile(logs, 50 * (1 - level), method="lower"),  # order statistics: inf stays inf
                  np.percentile(logs, 50 * (1 + level), method="higher"))
        out.update(lo=float(np.exp(lo)), hi=float(np.exp(hi)), p_value=boot_p(logs, 0.0))
        out["resolved"] = bool(out["lo"] > 1 or out["hi"] < 1)
    return out


def _paired_draws(d: np.ndarray, n_resamples: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return d[rng.integers(0, d.size, size=(n_resamples, d.size))].mean(axis=1)


def paired(d, level: float = 0.95, n_resamples: int = N_RESAMPLES, seed: int = 0) -> dict:
    """Per-seed paired differences ``d`` (e.g. late minus early gain of each seed): mean with its
    percentile bootstrap CI and p-value, the share of seeds with d > 0, resolved (CI excludes 0) and
    the detectable difference."""
    d = _finite(d)
    out = dict(n=int(d.size), mean=np.nan, lo=np.nan, hi=np.nan, p_value=np.nan, share_positive=np.nan,
               resolved=False, detectable=np.nan)
    if d.size == 0:
        return out
    out.update(mean=float(d.mean()), share_positive=float((d > 0).mean()))
    if d.size >= 2 and not np.all(d == d[0]):
        draws = _paired_draws(d, n_resamples, seed)
        out["lo"], out["hi"] = _percentile(draws, level)
        out["p_value"] = boot_p(draws, 0.0)
        out["resolved"] = bool(out["lo"] > 0 or out["hi"] < 0)
        out["detectable"] = detectable_difference(d)
    return out


def iqm_p(x, null: float, seed: int = 0, n_resamples: int = N_RESAMPLES) -> float:
    """Bootstrap p-value of "the IQM of x equals ``null``" (e.g. a solved threshold): ``boot_p`` of the
    resampled IQMs, consistent with ``iqm_ci``'s percentile CI."""
    x = _finite(x)
    if x.size < 2 or np.all(x == x[0]):
        return np.nan if x.size < 2 else (0.0 if x[0] != null else 1.0)
    rng = np.random.default_rng(seed)
    return boot_p(iqm(x[rng.integers(0, x.size, size=(n_resamples, x.size))], axis=1), null)


def diff_p(x, y, seed: int = 0, n_resamples: int = N_RESAMPLES) -> float:
    """``compare``'s p-value alone (the IQM difference's bootstrap p with bootstrap seed ``seed``)."""
    x, y = _finite(x), _finite(y)
    if x.size < 2 or y.size < 2:
        return np.nan
    return boot_p(_two_sample_draws(x, y, lambda a, b: iqm(a, axis=1) - iqm(b, axis=1), n_resamples, seed), 0.0)


def paired_p(d, seed: int = 0, n_resamples: int = N_RESAMPLES) -> float:
    """``paired``'s p-value alone, with bootstrap seed ``seed``."""
    d = _finite(d)
    if d.size < 2 or np.all(d == d[0]):
        return np.nan
    return boot_p(_paired_draws(d, n_resamples, seed), 0.0)


def family(p_of: dict, repeats: int = 100, alpha: float = ALPHA) -> dict:
    """One family of tests, Holm-corrected, with its stability: ``p_of`` maps a test's key to a
    function of the bootstrap seed giving its p-value. Per key: the raw and Holm-adjusted p-values
    (bootstrap seed 0), ``flip`` (the share of ``repeats`` bootstrap seeds whose Holm decision
    differs from the majority's), ``borderline`` (flip above ``BORDERLINE``) and ``resolved``
    (adjusted p below ``alpha`` at seed 0, and not borderline)."""
    keys = list(p_of)
    if not keys:
        return {}
    ps = np.array([[p_of[k](seed) for k in keys] for seed in range(repeats)])
    decisions = np.array([holm(row, alpha)[1] for row in ps])
    share = decisions.mean(axis=0)
    flip = np.minimum(share, 1 - share)
    adjusted, resolved = holm(ps[0], alpha)
    return {k: dict(p=float(ps[0, i]), p_adj=float(adjusted[i]), flip=float(flip[i]),
                    borderline=bool(flip[i] > BORDERLINE), resolved=bool(resolved[i] and flip[i] <= BORDERLINE))
            for i, k in enumerate(keys)}


def ratio(x, y, level: float = 0.95, n_resamples: int = N_RESAMPLES, seed: int = 0) -> dict:
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


def loglog_interp(n: float, xs, ys) -> float:
    """``ys`` at ``n``, piecewise linear in log-log between the points (``xs`` ascending), extrapolated
    with the end segments' slopes; one point: its value. A zero ``y`` stays about zero."""
    if len(xs) == 1:
        return float(ys[0])
    lx, ly, ln = np.log(xs), np.log(np.maximum(ys, 1e-12)), np.log(n)
    i = int(np.clip(np.searchsorted(lx, ln), 1, len(lx) - 1))
    return float(np.exp(ly[i - 1] + (ly[i] - ly[i - 1]) / (lx[i] - lx[i - 1]) * (ln - lx[i - 1])))

