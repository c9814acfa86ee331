"""Pong's "any reward signal?" test (experiments.pong)."""

import numpy as np
import pytest

from evoscale.experiments import pong


def test_wilson_interval_brackets_the_share_and_is_sensible_at_zero():
    lo, hi = pong.wilson(0, 64)
    assert lo == 0 and 0.03 < hi < 0.08  # no successes in 64 still allows a few per cent
    lo, hi = pong.wilson(32, 64)
    assert lo < 0.5 < hi and hi - lo < 0.3
    with pytest.raises(ValueError):
        pong.wilson(0, 0)


def test_first_points_records_one_episode_per_network_and_is_deterministic():
    a = pong.first_points(1, env_ids=("ALE/Pong-ram-v5",), sigmas=(0.05, 0.5))
    assert len(a) == 2 and set(a["sigma"]) == {0.05, 0.5}
    assert (a["length"] > 0).all() and a["return"].between(-21, 21).all()
    assert (a["scored"] == (a["return"] > -21)).all()
    b = pong.first_points(1, env_ids=("ALE/Pong-ram-v5",), sigmas=(0.05, 0.5))
    assert np.array_equal(a["return"], b["return"]) and np.array_equal(a["length"], b["length"])
    s = pong.summary(a)
    assert list(s["networks"]) == [1, 1] and (s["ci_low"] <= s["share_scored"]).all()


def test_first_points_rejects_a_bad_sample_count():
    with pytest.raises(ValueError, match="positive integer"):
        pong.first_points(0)
