"""Issue 41: the simulation's per-byte message cost and the decentralised islands (sync, async)."""

import numpy as np
import pytest

pytest.importorskip("simpy")

from evoscale.cluster_sim import Calibration, sweep  # noqa: E402

W = [8, 64, 256]
CAL = Calibration(eval_s_per_individual=0.01, tell_s=0.05, tell_popsize=32, driver_s_per_message=2e-4,
                  driver_s_per_byte=1e-9, n_params=2788, latency_s=1e-4, bandwidth_Bps=125e6, speed_cv=0.3)


def test_ideal_decentralised_islands_are_perfectly_efficient():
    cal = Calibration(eval_s_per_individual=0.01, n_params=2788)
    for model in ("island-sync", "island-async"):
        df = sweep(cal, W, model, sim_generations=20, popsize=8, migrate_every=5)
        np.testing.assert_allclose(df["efficiency"], 1.0, rtol=1e-12)
        assert (df["evaluations"] == [20 * 8 * w for w in W]).all()


def test_per_byte_cost_is_charged_by_the_bytes_each_model_sends():
    cheap = Calibration(**{**CAL.__dict__, "tell_s": 0.0})
    costly = Calibration(**{**cheap.__dict__, "driver_s_per_byte": 1e-7})
    kw = dict(sim_generations=5, per_worker=8)
    full = [sweep(c, [64], "central", **kw)["sim_s"].iloc[0] for c in (cheap, costly)]
    seeds = [sweep(c, [64], "central", seed_only=True, **kw)["sim_s"].iloc[0] for c in (cheap, costly)]
    assert full[1] > 2 * full[0]  # parameter rows: 22 KB per individual
    # seed-only: the centre once per worker (8 individuals each here) and 16 bytes per individual
    assert seeds[1] - seeds[0] < (full[1] - full[0]) / 8 * 1.05


def test_decentralised_islands_free_the_driver():
    kw = dict(sim_generations=20, popsize=32, migrate_every=10)
    paced = sweep(CAL, W, "island", **kw)
    for model in ("island-sync", "island-async"):
        df = sweep(CAL, W, model, **kw)
        assert (df["driver_busy"] < paced["driver_busy"] / 5).all()
    sync, asyn = sweep(CAL, W, "island-sync", **kw), sweep(CAL, W, "island-async", **kw)
    assert (asyn["efficiency"] >= paced["efficiency"] - 1e-12).all()
    assert (asyn["efficiency"] > sync["efficiency"]).all()  # no barrier: nobody waits for the slowest
    flooded = Calibration(**{**CAL.__dict__, "driver_s_per_message": 2e-3})  # 512 messages > one generation
    busy = sweep(flooded, [256], "island", **kw)
    assert sweep(flooded, [256], "island-async", **kw)["efficiency"].iloc[0] > 2 * busy["efficiency"].iloc[0]


@pytest.mark.parametrize("model", ["island-sync", "island-async"])
def test_decentralised_rows_are_deterministic_and_cost_more_with_migrants(model):
    kw = dict(sim_generations=10, popsize=16, migrate_every=2, seed=3)
    a, b = sweep(CAL, [8, 32], model, **kw), sweep(CAL, [32], model, **kw)
    assert a.iloc[1].equals(b.iloc[0])
    none = sweep(CAL, [32], model, **{**kw, "migrants": 0})
    assert none["sim_s"].iloc[0] < b["sim_s"].iloc[0]


def test_bad_model_and_per_byte_cost():
    with pytest.raises(ValueError, match="unknown model"):
        sweep(CAL, W, "island-gossip")
    with pytest.raises(ValueError, match="driver_s_per_byte"):
        Calibration(eval_s_per_individual=0.01, driver_s_per_byte=-1.0)
