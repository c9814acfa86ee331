import numpy as np
import pandas as pd

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
    df = pd.DataFrame({"seed": [0, 0, 1, 1], "evals": [1, 2, 1, 2], "eval_return": [0, 300, 0, 10]})
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
