"""Issue 41 in chapter 4's study: the measured message cost calibrates the simulation, the decentralised
islands join it, and open question 3 names the island model it judges (today's without the measurement)."""

import json

import numpy as np
import pytest

from evoscale.experiments import workers as wk
from evoscale.experiments import workers_verdicts as wv
from test_workers_experiment import smoke, synthetic_timings
from test_workers_verdicts import judged, timings

MEASURED = {"machine": "test", "per_call_s": 2e-4, "per_byte_s": 1e-9, "round_trips": [],
            "islands": {"islands": 2, "popsize": 8, "migrate_every": 2, "migrants": 1, "budget_evals": 160,
                        "modes": {m: {"throughput_eps": 100.0, "driver_busy": 0.1, "driver_messages": 22}
                                  for m in ("paced", "sync", "async")}}}


@pytest.fixture(scope="module")
def T():
    return wk.speedup_table(synthetic_timings(s=0.3, ray_overhead=0.01))


def test_without_the_measurement_nothing_changes(T, tmp_path):
    p = smoke()
    assert wk.ray_messages(tmp_path) is None
    assert wk.calibration(p, T, measured=None) == wk.calibration(p, T)
    assert set(wk.simulate(p, T, None)["model"]) == set(wk.simulate(p, T)["model"])
    assert wk.hundred(p, T, wk.simulate(p, T))["model"] == "island" and wk.island_check(p, T, None) is None


def test_the_measurement_calibrates_and_adds_the_decentralised_islands(T, tmp_path):
    p = smoke()
    (tmp_path / "bench").mkdir()
    (tmp_path / "bench" / wk.MESSAGES_JSON).write_text(json.dumps(MEASURED))
    measured = wk.ray_messages(tmp_path)
    cal = wk.calibration(p, T, measured=measured)
    assert cal.driver_s_per_message == 2e-4 and cal.driver_s_per_byte == 1e-9
    sim = wk.simulate(p, T, measured)
    assert {"island", "island-sync", "island-async"} <= set(sim["model"])
    H = wk.hundred(p, T, sim, measured)
    assert H["model"] == "island-async" and len(H["efficiency"]) == p.sim_seeds
    assert H["efficiency"][0] == sim[(sim.model == "island-async") & (sim.workers == 128)]["efficiency"].iloc[0]
    check = wk.island_check(p, T, measured)
    assert list(check["mode"]) == ["paced", "sync", "async"] and (check["throughput_modelled"] > 0).all()


def test_open_question_3_names_the_island_model_it_judges():
    df = timings("cmaes", 0.5, n=3)
    for model in ("island", "island-async"):
        sim = {"workers": 256, "efficiency": np.full(10, 0.9) + np.linspace(0, 1e-3, 10), "model": model}
        v = judged(df, sim=sim)[0]["q3.islands"]
        assert v.word == "refined" and wv.ISLAND_MODELS[model] in v.number
