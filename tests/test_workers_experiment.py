"""The workers chapter's experiment module: strict parameters, speedup arithmetic, Amdahl fit, island
configurations, and one tiny real measurement (Ray must give the in-process returns bitwise)."""

import dataclasses

import numpy as np
import pandas as pd
import pytest

from evoscale.cluster_sim import amdahl_speedup
from evoscale.experiments import compute
from evoscale.experiments import workers as wk


def smoke(**kw):
    return wk.params({"profile": "smoke", **kw})


def test_unknown_parameter_and_bad_values_are_named():
    with pytest.raises(TypeError, match="unknown parameter.*'worker'"):
        wk.params({"profile": "smoke", "worker": [1]})
    with pytest.raises(ValueError, match="exceeds this machine's"):
        smoke(workers=[1, 10_000])
    with pytest.raises(ValueError, match="unknown topology"):
        smoke(topology="star")
    with pytest.raises(ValueError, match="unknown env"):
        smoke(envs=["LunarLander-v9"])
    with pytest.raises(ValueError, match="workers must be positive"):
        smoke(workers=[0])
    with pytest.raises(ValueError, match="unknown ES method 'cmaess'"):
        smoke(methods=["cmaess"])


def test_island_side_is_checked_against_the_compute_runs():
    with pytest.raises(ValueError, match="island_budget=.*exceeds the compute chapter's budget"):
        smoke(island_budget=10**9).island_configs()
    with pytest.raises(ValueError, match="island_seeds=.*exceeds"):
        smoke(island_seeds=99).island_configs()
    with pytest.raises(ValueError, match="islands=3 must divide"):
        smoke(islands=3).island_configs()


def test_island_configs_split_the_compute_population():
    p = wk.params({"profile": "book"})
    base = compute.params({"profile": "book"})  # torch_cmaes: its inject takes the migrants
    configs = p.island_configs()
    assert [c.seed for c in configs] == base.seed_list()[: p.island_seeds]
    assert all(c.popsize * p.islands == base.popsize for c in configs)
    assert all(c.budget_evals == p.island_budget <= base.budget_evals for c in configs)
    assert all(dataclasses.replace(c, popsize=base.popsize, budget_evals=base.budget_evals) == b
               for c, b in zip(configs, base.configs()))


def synthetic_timings(s: float, ray_overhead: float, gen_s: float = 1.0) -> pd.DataFrame:
    """Timings of an ideal Amdahl job: serial part s of a generation, Ray adds a constant."""
    rows = []
    for w in (0, 1, 2, 4):
        for g in range(3):
            ev = (1 - s) * gen_s / max(w, 1) + (ray_overhead if w else 0.0)
            rows.append(dict(workers=w, generation=g, eval_s=ev, opt_s=s * gen_s, env_steps=1000,
                             startup_s=2.0 if w else 0.0))
    df = pd.DataFrame(rows)
    df["env"], df["n_params"], df["popsize"], df["raw_steps_per_s"], df["machine"] = "X", 10, 64, 2000.0, "m"
    df["method"] = "cmaes"
    return df


def test_speedup_table_arithmetic():
    T = wk.speedup_table(synthetic_timings(s=0.2, ray_overhead=0.0))
    t = T.set_index("workers")
    assert t.loc[0, "speedup"] == pytest.approx(1.0)
    assert t.loc[2, "speedup"] == pytest.approx(1 / (0.2 + 0.8 / 2))
    assert t.loc[4, "efficiency"] == pytest.approx(1 / (0.2 + 0.8 / 4) / 4)
    assert t.loc[2, "eval_speedup"] == pytest.approx(2.0)
    assert t.loc[0, "serial_fraction"] == pytest.approx(0.2)
    # 1000 steps in 0.8 s in-process -> 1250 steps/s = 0.625 of one raw env (2000/s)
    assert t.loc[0, "linear_fraction"] == pytest.approx(0.625)
    assert t.loc[2, "startup_s"] == 2.0


def test_amdahl_recovers_the_serial_fraction_and_ray_overhead():
    A = wk.amdahl(wk.speedup_table(synthetic_timings(s=0.1, ray_overhead=0.0))).iloc[0]
    assert A["serial_fit"] == pytest.approx(0.1, abs=1e-6)
    assert A["ray_factor"] == pytest.approx(1.0)
    assert A["efficiency_8"] == pytest.approx(amdahl_speedup(0.1, 8) / 8, rel=1e-6)
    # a constant Ray overhead makes Ray-1 slower than in-process and shows up as a factor < 1
    A2 = wk.amdahl(wk.speedup_table(synthetic_timings(s=0.1, ray_overhead=0.1))).iloc[0]
    assert A2["ray_factor"] == pytest.approx(1 / 1.1)
    assert A2["efficiency_8"] < A["efficiency_8"]


def test_amdahl_separates_the_measured_bound_from_the_modelled_fit_with_cis():
    rng = np.random.default_rng(0)
    df = synthetic_timings(s=0.02, ray_overhead=0.01)
    df["eval_s"] *= rng.uniform(0.97, 1.03, len(df))  # noisy generations: a CI of some width
    a = wk.amdahl(wk.speedup_table(df), df).iloc[0]
    assert a["efficiency_8_lo"] <= a["efficiency_8"] <= a["efficiency_8_hi"]
    assert a["bound_8_lo"] <= a["bound_8"] <= a["bound_8_hi"]
    # the bound uses the measured share alone; Ray's overhead lowers only the modelled efficiency
    assert a["bound_8"] == pytest.approx(amdahl_speedup(a["serial_measured"], 8) / 8)
    assert a["efficiency_8"] < a["bound_8"]
    assert a["generations"] == 3
    assert np.isnan(wk.amdahl(wk.speedup_table(df)).iloc[0]["efficiency_8_lo"])  # no CI without timings


def test_island_finals_read_each_seed_at_the_budget():
    df = pd.DataFrame({"model": ["a"] * 4, "seed": [0, 0, 1, 1], "evals": [64, 128, 64, 128],
                       "test_return": [1.0, 2.0, np.nan, 3.0]})
    assert wk.island_finals(df, 128)["a"].tolist() == [2.0, 3.0]
    assert wk.island_finals(None, 128) == {}


def test_simulation_is_calibrated_from_the_table_and_deterministic():
    p = smoke()
    T = wk.speedup_table(synthetic_timings(s=0.3, ray_overhead=0.01))
    a, b = wk.simulate(p, T), wk.simulate(p, T)
    pd.testing.assert_frame_equal(a, b)
    assert set(a["model"]) == {"central", "central, O(n) update", "central, O(n) update, seeds only", "island"}
    assert list(a[a.model == "central"]["workers"]) == p.sim_workers
    free = a[a.model == "central, O(n) update"]["efficiency"].to_numpy()
    assert (free >= a[a.model == "central"]["efficiency"].to_numpy()).all()  # a free update never hurts
    assert (a[a.model == "island"]["efficiency"].to_numpy() >= a[a.model == "central"]["efficiency"].to_numpy()).all()
    assert wk.central_bottleneck(a) == p.sim_workers[0]  # a 30 % serial driver saturates at once


@pytest.mark.slow
def test_tiny_real_measurement_matches_in_process(tmp_path, monkeypatch):
    monkeypatch.setenv("EVOSCALE_RESULTS", str(tmp_path))
    p = smoke(workers=[1], warmup_generations=1, generations=3, raw_seconds=0.2, methods=["cmaes", "torch_cmaes"])
    df = wk.speedup(p, log=lambda *a: None)  # raises if Ray's returns differ from in-process ones
    assert sorted(df["workers"].unique()) == [0, 1] and (df["eval_s"] > 0).all()
    assert len(list((tmp_path / "smoke" / "workers").glob("speedup-*.csv"))) == len(p.methods)
    again = wk.speedup(p, log=lambda *a: None)  # from the cache
    pd.testing.assert_frame_equal(df, again, check_dtype=False)
    assert np.isfinite(wk.speedup_table(df)["speedup"]).all()
    # a full CMA-ES is timed over whole periods of its eigendecomposition, so the mean ask + tell includes it
    from evoscale.trainers import make_trainer, serial_period

    for m in p.methods:
        period = serial_period(make_trainer(m, 114, p.popsize, 0.5, wk.SPEEDUP_HYPER.get(m)))
        timed = (df[(df.method == m) & (df.workers == 0)]).shape[0]
        assert timed == p.timed("CartPole-v1", m) and timed % period == 0 and timed >= p.generations
    assert p.timed("CartPole-v1", "torch_cmaes") == 4  # period 2 at n = 114, popsize 64: 3 rounded up


def test_hundred_gives_one_island_efficiency_per_simulation_seed():
    p = smoke()
    T = wk.speedup_table(synthetic_timings(s=0.3, ray_overhead=0.01))
    sim = wk.simulate(p, T)
    H = wk.hundred(p, T, sim)
    assert H["workers"] == 128 and len(H["efficiency"]) == p.sim_seeds
    assert H["efficiency"][0] == sim[(sim.model == "island") & (sim.workers == 128)]["efficiency"].iloc[0]
    assert wk.hundred(dataclasses.replace(p, sim_workers=[8, 32]), T, sim) is None
