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
