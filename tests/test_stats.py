import numpy as np
import pandas as pd
import pytest

from evoscale import stats
from evoscale.stats import curve_band, first_crossing, iqm, iqm_ci


def test_iqm_ignores_the_outer_quartiles():
    assert iqm([1, 2, 3, 4, 5, 6, 7, 100]) == np.mean([3, 4, 5, 6])


def test_ci_contains_the_iqm_and_collapses_for_one_value():
    point, lo, hi = iqm_ci(np.random.default_rng(0).normal(10, 1, 20))
    assert lo < point < hi and hi - lo < 2
    assert iqm_ci([3.0]) == (3.0, 3.0, 3.0)
    assert np.isnan(iqm_ci([np.nan, np.nan])[0])


def test_curve_band_interpolates_each_seed():
    df = pd.DataFrame({"seed": [0, 0, 1, 1], "evals": [0, 10, 0, 10], "y": [0.0, 10.0, 0.0, 20.0]})
    band = curve_band(df, "evals", "y", grid=[5])
    assert band["iqm"].iloc[0] == 7.5 and band["n"].iloc[0] == 2


def test_first_crossing_per_seed():
    df = pd.DataFrame({"seed": [0, 0, 1, 1], "evals": [1, 2, 1, 2], "test_return": [0, 300, 0, 10]})
    hits = first_crossing(df, 200)
    assert hits[0] == 2 and np.isnan(hits[1])


# --- against rliable's definitions (Agarwal et al. 2021), on cases computed by hand ---------------

from evoscale.stats import compare, detectable_difference, paired, prob_improvement  # noqa: E402


def test_iqm_is_rliables_trimmed_mean_on_a_hand_case():
    # 8 runs: the middle 50 % are 3, 4, 5, 6 -> 4.5 (rliable: scipy.stats.trim_mean(x, 0.25))
    assert iqm([8, 1, 7, 2, 6, 3, 5, 4]) == 4.5
    # at n = 3 trim_mean(0.25) drops nothing: the IQM is the mean (why the book wants >= 5 seeds)
    assert iqm([0, 1, 10]) == np.mean([0, 1, 10])


def test_probability_of_improvement_counts_ties_as_half():
    # pairs (x > y): 1>0; 2>0, 2=2 (1/2); 3>0, 3>2 -> 4.5 of 9
    assert prob_improvement([1, 2, 3], [0, 2, 4]) == 0.5
    assert prob_improvement([5, 6], [1, 2]) == 1.0 and prob_improvement([1, 2], [5, 6]) == 0.0
    # equals scipy's Mann-Whitney U / (m n), as in rliable
    from scipy.stats import mannwhitneyu

    x, y = np.array([3.0, 1, 4, 1, 5]), np.array([9.0, 2, 6, 5])
    assert np.isclose(prob_improvement(x, y), mannwhitneyu(x, y).statistic / (len(x) * len(y)))


def test_compare_resolves_separated_samples_and_not_overlapping_ones():
    rng = np.random.default_rng(1)
    far = compare(rng.normal(100, 10, 10), rng.normal(0, 10, 10))
    assert far["resolved"] and far["diff_lo"] > 0 and far["p_lo"] > 0.5 and far["p"] == 1.0
    same = compare(rng.normal(0, 10, 10), rng.normal(0, 10, 10))
    assert not same["resolved"] and same["diff_lo"] < 0 < same["diff_hi"]
    assert same["p_lo"] < 0.5 < same["p_hi"]
    assert compare([1.0], [])["n_y"] == 0 and np.isnan(compare([1.0], [])["diff"])


def test_detectable_difference_matches_the_textbook_formula():
    # two samples with SD 90 and n = 10 each: (t_.975,18 + t_.8,18) * 90 * sqrt(2/10) ~ 115
    from scipy.stats import t

    x = np.array([-1.0, 1.0] * 5) * 90 * np.sqrt(9 / 10)  # sample SD exactly 90
    want = (t.ppf(0.975, 18) + t.ppf(0.8, 18)) * 90 * np.sqrt(0.2)
    assert np.isclose(detectable_difference(x, x + 5), want)
    assert 110 < want < 120
    # paired: (t_.975,9 + t_.8,9) * sd / sqrt(10)
    assert np.isclose(detectable_difference(x), (t.ppf(0.975, 9) + t.ppf(0.8, 9)) * 90 / np.sqrt(10))
    assert np.isnan(detectable_difference([1.0]))


def test_paired_differences():
    up = paired([1.0, 2.0, 3.0, 2.5, 1.5])
    assert up["resolved"] and up["lo"] > 0 and up["share_positive"] == 1.0
    mixed = paired([-1.0, 1.0, -2.0, 2.0, 0.5])
    assert not mixed["resolved"] and mixed["lo"] < 0 < mixed["hi"]


def test_ratio_of_iqms_with_its_bootstrap_ci():
    import pytest

    from evoscale.stats import ratio

    rng = np.random.default_rng(0)
    es, ppo = rng.uniform(100, 140, 10), rng.uniform(18, 22, 10)
    r = ratio(es, ppo)
    assert r["ratio"] == pytest.approx(iqm(es) / iqm(ppo)) and r["lo"] < r["ratio"] < r["hi"] and r["resolved"]
    assert 4 < r["lo"] and r["hi"] < 8
    same = ratio(ppo, ppo[::-1])
    assert same["ratio"] == pytest.approx(1) and same["lo"] < 1 < same["hi"] and not same["resolved"]
    one = ratio([5.0], [2.0, np.nan])
    assert one["ratio"] == 2.5 and np.isnan(one["lo"]) and not one["resolved"] and one["n_y"] == 1
    assert np.isnan(ratio([], [1.0])["ratio"])
    with pytest.raises(ValueError, match="positive"):
        ratio([0.0, 1.0], [1.0, 2.0])


# --- issue 36: one statistic, Holm, stable intervals, censoring ----------------------------------------

EITHER_OR_X = [-0.46, -0.55, 1.26, 0.37, -1.58, 2.15, 0.71, 1.9, 0.39, 0.31]
EITHER_OR_Y = [0.29, -0.84, 0.13, 0.12, -0.15, 1.12, -5.82, -0.9, -1.28, -1.45]


def test_p_of_improvement_is_no_second_route_to_resolved():
    c = stats.compare(EITHER_OR_X, EITHER_OR_Y)
    assert c["p_lo"] > 0.5  # the old either-or rule resolved this on P(X > Y) alone
    assert c["diff_lo"] < 0 < c["diff_hi"] and not c["resolved"]
    assert c["p_value"] >= 0.05 and np.isfinite(c["detectable"]) and c["n_needed"] > 10


def test_bootstrap_p_value_agrees_with_the_percentile_ci():
    rng = np.random.default_rng(0)
    for shift in (0.0, 0.5, 1.0, 2.0):
        x, y = rng.normal(shift, 1, 10), rng.normal(0, 1, 10)
        c = stats.compare(x, y)
        assert (c["p_value"] < 0.05) == c["resolved"], (shift, c)
    assert stats.boot_p(np.ones(99), 0.0) == pytest.approx(2 / 100)  # never 0


def test_holm_matches_the_textbook_example():
    adjusted, resolved = stats.holm([0.01, 0.04, 0.03, 0.005, np.nan])
    np.testing.assert_allclose(adjusted[:4], [0.03, 0.06, 0.06, 0.02])
    assert list(resolved) == [True, False, False, True, False] and np.isnan(adjusted[4])
    # one test alone is not corrected
    assert stats.holm([0.04])[1].tolist() == [True]


def test_a_family_can_unresolve_what_one_test_resolves():
    rng = np.random.default_rng(2)
    x, y = rng.normal(0.95, 1, 10), rng.normal(0, 1, 10)
    c = stats.compare(x, y)
    assert c["resolved"] and 0.005 < c["p_value"] < 0.05
    _, resolved = stats.holm([c["p_value"]] + [0.5] * 11)  # eleven other claims in the family
    assert not resolved[0]


def test_a_borderline_resolution_flips_with_the_bootstrap_seed():
    rng = np.random.default_rng(0)
    assert stats.flip_share(rng.normal(3, 1, 10), rng.normal(0, 1, 10), repeats=20) == 0.0
    # shift x until the CI's lower end sits on 0 (bisection at one bootstrap seed): there the verdict
    # depends on the bootstrap seed
    x, y = np.array([0.5, 1.2, -0.3, 0.9, 1.8, 0.1, 0.7, 1.4, -0.6, 1.0]), np.linspace(-1, 1, 10)
    lo, hi = -2.0, 2.0
    for _ in range(30):
        mid = (lo + hi) / 2
        lo, hi = (lo, mid) if stats.compare(x + mid, y, n_resamples=2000)["diff_lo"] > 0 else (mid, hi)
    assert stats.flip_share(x + hi, y, repeats=20, n_resamples=2000) > stats.BORDERLINE


def test_km_median_counts_censored_seeds_at_their_budget():
    t = [10, 20, 30, 40, 50, 60, 70, 80, 90, 100]
    assert stats.km_median(t, [True] * 10) == 50  # uncensored: the 5th of 10 (S falls to 0.5 there)
    # two seeds never reached it within 100: dropping them would give a median of 40
    reached = [True] * 8 + [False] * 2
    assert stats.km_median([10, 20, 30, 40, 50, 60, 70, 80, 100, 100], reached) == 50
    assert stats.km_median([10, 20, 100, 100, 100], [True, True, False, False, False]) == np.inf
    assert np.isnan(stats.km_median([], []))


def test_a_seed_censored_early_in_another_unit_does_not_make_a_median():
    """An ES run's budget is in episodes; in env steps a failing seed (short episodes) can stop before a
    solving seed reaches the threshold. 3 of 7 seeds reached it, so no median, whatever the censoring
    times (plain Kaplan-Meier, censoring at 5-8, would give 20)."""
    reached = [True] * 3 + [False] * 4
    assert stats.km_median([10, 20, 30, 5, 6, 7, 8], reached) == np.inf
    assert stats.km_median([10, 20, 30, 40, 1, 2, 3], [True] * 4 + [False] * 3) == 40  # 4 of 7: the 4th
    t = np.array([[10, 20, 30, 5, 6, 7, 8]], float)
    assert stats.km_medians(t, np.array([reached])) == np.inf
    assert stats.km_median_ci([10, 20, 30, 5, 6, 7, 8], reached)[0] == np.inf


def test_a_censored_ratio_is_larger_than_one_that_drops_the_censored_seeds():
    es = np.array([40, 50, 60, 70, 80, 90, 100, 110, 150, 150], dtype=float)  # two censored at 150
    reached = np.array([True] * 8 + [False] * 2)
    ppo = np.full(10, 10.0) + np.arange(10)
    dropped = stats.ratio(es[reached], ppo)
    kept = stats.censored_ratio(es, reached, ppo, np.ones(10, bool), n_resamples=2000)
    assert kept["censored_x"] == 2 and kept["ratio"] > dropped["ratio"]
    assert kept["resolved"] and kept["lo"] > 1
    mostly = stats.censored_ratio([5, 150, 150, 150], [True, False, False, False], ppo, np.ones(10, bool),
                                  n_resamples=500)
    assert mostly["ratio"] == np.inf and mostly["lower_bound"] == pytest.approx(150 / stats.km_median(ppo, [True] * 10))


def test_n_to_resolve_is_where_the_detectable_difference_reaches_the_observed_one():
    from scipy import stats as sps

    rng = np.random.default_rng(5)
    x, y = rng.normal(0.6, 1, 8), rng.normal(0, 1, 8)
    n = int(stats.n_to_resolve(x, y))
    delta = abs(x.mean() - y.mean())
    s = np.sqrt((7 * x.var(ddof=1) + 7 * y.var(ddof=1)) / 14)

    def detectable(k):  # a two-sample t-test's detectable difference with k seeds a side
        return (sps.t.ppf(0.975, 2 * k - 2) + sps.t.ppf(0.8, 2 * k - 2)) * s * np.sqrt(2 / k)

    assert n > 2 and detectable(n) <= delta < detectable(n - 1)
    assert stats.n_to_resolve(x, x) == np.inf and np.isnan(stats.n_to_resolve([1.0], y))


def test_a_family_is_holm_corrected_and_marks_its_borderline_tests():
    rng = np.random.default_rng(2)
    near, zero = rng.normal(0.95, 1, 10), rng.normal(0, 1, 10)  # p about 0.01 alone
    far = zero + 3
    tests = {"far": lambda s: stats.diff_p(far, zero, s, 2000), "near": lambda s: stats.diff_p(near, zero, s, 2000),
             **{f"null{i}": (lambda s: stats.diff_p(zero[::-1], zero, s, 2000)) for i in range(5)}}
    out = stats.family(tests, repeats=10)
    assert out["far"]["resolved"] and out["far"]["p_adj"] >= out["far"]["p"]
    assert not out["null0"]["resolved"]
    assert stats.compare(near, zero)["resolved"] and not out["near"]["resolved"]  # resolved alone, not in a family of 7
    assert stats.family({}) == {}
    assert stats.paired(np.array([1.0, 2, 3, 4, 5]))["p_value"] < 0.05


def test_iqm_p_agrees_with_the_iqm_ci():
    rng = np.random.default_rng(1)
    for mean in (150.0, 190.0, 230.0, 280.0):
        x = rng.normal(mean, 40, 10)
        lo, hi = iqm_ci(x)[1:]
        assert (stats.iqm_p(x, 200.0) < 0.05) == (lo > 200 or hi < 200), mean


def test_loglog_interp_is_exact_at_the_points_and_extends_the_end_slopes():
    from evoscale.stats import loglog_interp

    xs, ys = [10, 100, 1000], [1.0, 10.0, 1000.0]
    assert [loglog_interp(x, xs, ys) for x in xs] == pytest.approx(ys)
    assert loglog_interp(1, xs, ys) == pytest.approx(0.1)  # slope 1 below
    assert loglog_interp(10_000, xs, ys) == pytest.approx(1e5)  # slope 2 above
    assert loglog_interp(5, [3], [2.0]) == 2.0  # one point: its value
