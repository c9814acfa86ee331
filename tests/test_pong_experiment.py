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


def test_texts_of_the_signal_test_and_the_scored_halves():
    import pandas as pd

    runs = pd.DataFrame({"env": "ALE/Pong-v5", "seed": 0, "popsize": 16, "evals": [16, 32, 48, 64],
                         "best_return": [-21, -21, -20, -19]})
    halves = pong.scored_halves(runs)
    assert halves["pong_pix_halves"] == "0 → 100 % (best training episode: -19)"
    assert halves["pong_pix_rising"] == "1 of 1" and halves["pong_ram_halves"] == "not run"
    signal = pong.summary(pd.DataFrame({"env": "ALE/Pong-ram-v5", "n_params": 10, "sigma": 0.05,
                                        "return": [-21.0, -20.0], "length": [700, 800], "scored": [False, True]}))
    texts = pong.signal_texts(signal)
    assert texts["signal_ram_lo"].startswith("1 of 2 (") and texts["signal_ram_lo_len"] == "750"
    assert "1 − (1 − p)^16: RAM 100 %" in pong.signal_verdict(signal, runs)
    assert pong.signal_verdict(signal.assign(scored=0), runs).startswith("At the ES runs' own scale no random")
    assert pong.signal_verdict(signal.iloc[:0], runs) == "not measured in this profile"
