import math

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("simpy")

from evoscale.cluster_sim import Calibration, amdahl_fit, amdahl_speedup, bottleneck_workers, sweep  # noqa: E402

W = [8, 16, 32, 64, 128, 256]
# the plausible calibration: 10 ms per episode, 0.4 s ask+tell at popsize 64 (n = 2,788),
# 1 ms per message, 100 us latency, 1 Gbit/s
PLAUSIBLE = Calibration(eval_s_per_individual=0.01, tell_s=0.4, tell_popsize=64, driver_s_per_message=1e-3,
                        n_params=2788, latency_s=1e-4, bandwidth_Bps=125e6)


def test_ideal_central_server_is_perfectly_efficient():
    cal = Calibration(eval_s_per_individual=0.01, tell_s=0.0, n_params=2788)  # no latency, overhead, bandwidth cost
    df = sweep(cal, W, "central", sim_generations=3, per_worker=4)
    np.testing.assert_allclose(df["efficiency"], 1.0, rtol=1e-12)
    np.testing.assert_allclose(df["sim_s"], 3 * 4 * 0.01, rtol=1e-12)
    assert list(df["workers"]) == W and (df["idle_workers"] == 0).all()
    assert list(df["popsize"]) == [4 * w for w in W]


def test_fixed_popsize_leaves_workers_idle():
    cal = Calibration(eval_s_per_individual=0.01)
    df = sweep(cal, [32, 64, 128], "central", sim_generations=2, popsize=64)
    assert list(df["idle_workers"]) == [0, 0, 64]
    np.testing.assert_allclose(df["efficiency"], [1.0, 1.0, 0.5], rtol=1e-12)


def test_serial_tell_follows_amdahl():
    eval_s, tell, lam = 0.01, 0.2, 256
    cal = Calibration(eval_s_per_individual=eval_s, tell_s=tell)
    workers = [1, 2, 4, 8, 16, 32, 64, 128, 256]
    df = sweep(cal, workers, "central", sim_generations=2, popsize=lam)
    eff = df["efficiency"].to_numpy()
    assert np.all(np.diff(eff) < 0)
    speedup = df["throughput_eps"] / df["throughput_eps"].iloc[0]
    s_true = tell / (tell + lam * eval_s)
    assert amdahl_fit(workers, speedup) == pytest.approx(s_true, abs=1e-6)
    np.testing.assert_allclose(speedup, amdahl_speedup(s_true, workers), rtol=1e-9)


def test_message_overhead_makes_the_driver_the_bottleneck():
    df = sweep(PLAUSIBLE, W, "central", sim_generations=3, per_worker=8)
    assert np.all(np.diff(df["efficiency"]) < 0)
    assert np.all(np.diff(df["driver_busy"]) >= 0)
    found = bottleneck_workers(df)
    assert found["driver_busy"] is not None and found["efficiency"] == 8
    assert df["driver_busy"].between(0, 1 + 1e-12).all()


def test_island_beats_central_at_scale():
    cal = Calibration(**{**PLAUSIBLE.__dict__, "speed_cv": 0.2, "latency_cv": 0.5})
    central = sweep(cal, W, "central", sim_generations=5, per_worker=8)
    island = sweep(cal, W, "island", sim_generations=5, popsize=64)
    assert (island["efficiency"] >= central["efficiency"]).all()
    assert island["efficiency"].iloc[-1] > 0.5 > central["efficiency"].iloc[-1]
    assert bottleneck_workers(island) == {"driver_busy": None, "efficiency": None}
    assert (island["strategies"] == island["workers"]).all()
    lockstep = sweep(cal, W, "island", sim_generations=5, popsize=64, barrier=True)
    assert (lockstep["efficiency"] <= island["efficiency"] + 1e-12).all()  # the barrier waits for the slowest


def test_migration_costs_time():
    cal = Calibration(eval_s_per_individual=0.01, driver_s_per_message=1e-3, n_params=10_000, bandwidth_Bps=1e6)
    never = sweep(cal, [4], "island", sim_generations=10, per_worker=8, migrants=0)
    often = sweep(cal, [4], "island", sim_generations=10, per_worker=8, migrants=4, migrate_every=1)
    assert often["efficiency"].iloc[0] < never["efficiency"].iloc[0]


def test_seed_only_sends_less():
    cal = Calibration(eval_s_per_individual=0.01, n_params=100_000, bandwidth_Bps=125e6)
    full = sweep(cal, [64], "central", sim_generations=2, per_worker=2)
    seeds = sweep(cal, [64], "central", sim_generations=2, per_worker=2, seed_only=True)
    assert seeds["efficiency"].iloc[0] > full["efficiency"].iloc[0]


def test_seed_only_ships_the_centre_once_per_worker():
    """The driver's NIC time per generation: vectors P n 8 bytes out, seed-only W (n 8) + 16 P (evaluation.messages)."""
    from evoscale.cluster_sim import RESULT_BYTES

    cal = Calibration(eval_s_per_individual=1e-3, n_params=100_000, bandwidth_Bps=1e8)
    kw = dict(sim_generations=1, popsize=64)
    for W in (2, 8):
        busy = {s: sweep(cal, [W], "central", seed_only=s, **kw).iloc[0] for s in (False, True)}
        nic = {s: busy[s]["driver_busy"] * busy[s]["sim_s"] for s in busy}
        assert nic[False] == pytest.approx((64 * 100_000 * 8 + 64 * RESULT_BYTES) / 1e8)
        assert nic[True] == pytest.approx((W * 100_000 * 8 + 64 * 16 + 64 * RESULT_BYTES) / 1e8)


@pytest.mark.parametrize("model", ["central", "island"])
def test_deterministic_given_seed(model):
    cal = Calibration(**{**PLAUSIBLE.__dict__, "speed_cv": 0.3, "latency_cv": 0.5})
    a = sweep(cal, [8, 32], model, sim_generations=3, seed=1)
    pd.testing.assert_frame_equal(a, sweep(cal, [8, 32], model, sim_generations=3, seed=1))
    pd.testing.assert_frame_equal(a.iloc[[1]].reset_index(drop=True),
                                  sweep(cal, [32], model, sim_generations=3, seed=1))  # rows independent
    assert not a["sim_s"].equals(sweep(cal, [8, 32], model, sim_generations=3, seed=2)["sim_s"])
    homo = Calibration(**{**PLAUSIBLE.__dict__})
    pd.testing.assert_frame_equal(sweep(homo, [8], model, 3, seed=1), sweep(homo, [8], model, 3, seed=2))


def test_heterogeneity_lowers_central_efficiency():
    homo = Calibration(eval_s_per_individual=0.01, tell_s=0.05)
    hetero = Calibration(eval_s_per_individual=0.01, tell_s=0.05, speed_cv=0.3)
    a = sweep(homo, [16, 64], "central", sim_generations=3, per_worker=8)
    b = sweep(hetero, [16, 64], "central", sim_generations=3, per_worker=8)
    assert (b["efficiency"] < a["efficiency"]).all()


def test_tell_time_scaling():
    assert Calibration(0.01, tell_s=0.4).tell_time(128) == 0.4
    assert Calibration(0.01, tell_s=0.4, tell_popsize=64).tell_time(128) == pytest.approx(0.8)
    assert Calibration(0.01, tell_s=lambda p: 0.001 * p).tell_time(100) == pytest.approx(0.1)
    with pytest.raises(ValueError, match="tell_s"):
        Calibration(0.01, tell_s=lambda p: -1.0).tell_time(8)


def test_amdahl_fit_recovers_serial_fraction():
    workers = np.array([1, 2, 4, 8, 16, 32, 64, 128, 256])
    rng = np.random.default_rng(0)
    for s in (0.0, 0.003, 0.05, 0.3, 1.0):
        assert amdahl_fit(workers, amdahl_speedup(s, workers)) == pytest.approx(s, abs=1e-6)
    noisy = amdahl_speedup(0.02, workers) * (1 + 0.01 * rng.standard_normal(workers.size))
    assert amdahl_fit(workers, noisy) == pytest.approx(0.02, abs=2e-3)
    assert amdahl_speedup(0.5, 1) == 1.0 and math.isclose(amdahl_speedup(0.5, 1e12), 2.0)


@pytest.mark.parametrize("kwargs, name", [
    ({"eval_s_per_individual": -0.01}, "eval_s_per_individual"),
    ({"eval_s_per_individual": 0.0}, "eval_s_per_individual"),
    ({"eval_s_per_individual": 0.01, "tell_s": -1}, "tell_s"),
    ({"eval_s_per_individual": 0.01, "driver_s_per_message": -1e-3}, "driver_s_per_message"),
    ({"eval_s_per_individual": 0.01, "latency_s": -1e-4}, "latency_s"),
    ({"eval_s_per_individual": 0.01, "latency_s": float("inf")}, "latency_s"),
    ({"eval_s_per_individual": "0.01"}, "eval_s_per_individual"),
    ({"eval_s_per_individual": 0.01, "bandwidth_Bps": 0}, "bandwidth_Bps"),
    ({"eval_s_per_individual": 0.01, "speed_cv": -0.1}, "speed_cv"),
    ({"eval_s_per_individual": 0.01, "latency_cv": float("nan")}, "latency_cv"),
    ({"eval_s_per_individual": 0.01, "n_params": -5}, "n_params"),
    ({"eval_s_per_individual": 0.01, "tell_popsize": 0}, "tell_popsize"),
])
def test_bad_calibration(kwargs, name):
    with pytest.raises(ValueError, match=name):
        Calibration(**kwargs)


@pytest.mark.parametrize("kwargs, name", [
    ({"workers": [8, 0]}, "workers"),
    ({"workers": []}, "workers"),
    ({"workers": [2.5]}, "workers"),
    ({"model": "ring"}, "model"),
    ({"sim_generations": 0}, "sim_generations"),
    ({"seed": -1}, "seed"),
    ({"popsize": 0}, "popsize"),
    ({"per_worker": 0}, "per_worker"),
    ({"popsize": 8, "per_worker": 2}, "per_worker"),
    ({"model": "island", "migrants": -1}, "migrants"),
    ({"model": "island", "migrate_every": 0}, "migrate_every"),
    ({"model": "island", "popsize": 4, "migrants": 4}, "migrants"),
])
def test_bad_sweep_arguments(kwargs, name):
    with pytest.raises(ValueError, match=name):
        sweep(Calibration(0.01), **{"workers": [8], **kwargs})


def test_bad_amdahl_and_bottleneck_arguments():
    with pytest.raises(ValueError, match="workers"):
        amdahl_fit([0, 2], [1, 2])
    with pytest.raises(ValueError, match="speedup"):
        amdahl_fit([1, 2], [1, -2])
    with pytest.raises(ValueError, match="equal length"):
        amdahl_fit([1, 2], [1])
    with pytest.raises(ValueError, match="s "):
        amdahl_speedup(1.5, 4)
    with pytest.raises(ValueError, match="driver_busy"):
        bottleneck_workers(pd.DataFrame({"workers": [8], "efficiency": [0.3]}))
