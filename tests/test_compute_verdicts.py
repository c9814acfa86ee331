"""Chapter 3's verdicts on synthetic runs: every branch of the vocabulary."""

import numpy as np
import pandas as pd
import pytest

from evoscale.experiments import compute, report


def runs(finals, early_gain, late_gain, budget=102_400, method="torch_cmaes", machine="test"):
    """Per seed a solved-test curve: linear pieces through 0..40K, 40-50K (early gain), 50-90K,
    90-100K (late gain) per 10K evaluations, ending at that seed's final return."""
    rows = []
    for seed, (fin, ge, gl) in enumerate(zip(finals, early_gain, late_gain)):
        evals = np.arange(2_560, budget + 1, 2_560)
        y100 = fin
        y90 = y100 - gl
        y50 = y90 - 20.0
        y40 = y50 - ge
        y = np.interp(evals, [0, 40_000, 50_000, 90_000, 100_000, budget], [-300, y40, y50, y90, y100, fin])
        for e, v in zip(evals, y):
            rows.append(dict(seed=seed, evals=e, eval_return=v, env_steps=300 * e, wall_s=e / 100, opt_s=1.0,
                             pop_eval_s=9.0, n_params=2788, popsize=64, method=method, machine=machine))
    return pd.DataFrame(rows)


def test_solved_confirmed_and_diminishing_confirmed():
    rng = np.random.default_rng(0)
    df = runs(250 + rng.normal(0, 5, 10), 40 + rng.normal(0, 3, 10), 5 + rng.normal(0, 3, 10))
    v = compute.verdicts(compute.summarise(df, "LunarLander-v3", planned=10))
    assert v["solved"].startswith("confirmed") and "n = 10" in v["solved"]
    assert v["diminishing"].startswith("confirmed")
    assert v["check"] == "no cross-check runs stored yet"


def test_refuted_branches():
    rng = np.random.default_rng(1)
    df = runs(50 + rng.normal(0, 5, 10), 5 + rng.normal(0, 1, 10), 40 + rng.normal(0, 1, 10))
    v = compute.verdicts(compute.summarise(df, "LunarLander-v3", planned=10))
    assert v["solved"].startswith("refuted")
    assert v["diminishing"].startswith("refuted")


def test_unresolved_states_the_detectable_difference():
    rng = np.random.default_rng(2)
    df = runs(200 + rng.normal(0, 60, 10), 20 + rng.normal(0, 30, 10), 20 + rng.normal(0, 30, 10))
    v = compute.verdicts(compute.summarise(df, "LunarLander-v3", planned=10))
    assert v["solved"].startswith("unresolved")
    assert v["diminishing"].startswith("unresolved") and "could only have detected" in v["diminishing"]


@pytest.mark.parametrize("n", [0, 3])
def test_fewer_than_five_seeds_show_values_not_an_iqm(n):
    df = runs([100, 150, 210][:n], [10] * n, [5] * n) if n else None
    v = compute.verdicts(compute.summarise(df, "LunarLander-v3", planned=10))
    assert v["solved"].startswith("unresolved") and f"n = {n} of 10" in v["solved"]
    assert "[" not in v["solved"].split(";")[0]  # no CI bracket
    if n:
        assert "100, 150, 210" in v["solved"]


def test_crosscheck_compares_at_pycmas_budget():
    rng = np.random.default_rng(3)
    main = runs(250 + rng.normal(0, 20, 10), [30] * 10, [5] * 10)
    check = runs(250 + rng.normal(0, 20, 10), [30] * 10, [5] * 10, budget=50_000, method="cmaes")
    S = compute.summarise(main, "LunarLander-v3", check=check, planned=10)
    assert S["check"]["at"] == 48_640  # the check's last solved test
    v = compute.verdicts(S)["check"]
    assert v.startswith("unresolved") and "P(torch > pycma)" in v


def test_windows_scale_with_a_short_budget():
    assert compute.window(102_400) == ((40_000, 50_000), (90_000, 100_000))
    assert compute.window(20_480) == ((8_192.0, 10_240.0), (18_432.0, 20_480))


def test_report_formatting():
    assert report.num(179454.274314) == "179,454"
    assert report.num(float("nan")) == "–"
    assert report.ci(1.5, 1.0, 2.0, 1) == "1.5 [1.0, 2.0]"
    assert report.over_seeds([1, 2, 3], planned=10) == "1, 2, 3 (n = 3 of 10)"
    assert report.over_seeds(range(10)).endswith("(n = 10)") and "[" in report.over_seeds(range(10))
    with pytest.raises(ValueError, match="verdict word"):
        report.Verdict("okay", "1", "x")


def test_idle_fraction_models_ask_tell_from_unit_costs():
    df = runs([250] * 5, [30] * 5, [5] * 5)
    assert np.isnan(compute.summarise(df, "LunarLander-v3", planned=10)["opt_fraction_idle"])
    costs = pd.DataFrame([dict(method="torch_cmaes", env="LunarLander-v3", eval_s_per_step=1e-5, serial_s_per_gen=0.1),
                          dict(method="ga", env="LunarLander-v3", eval_s_per_step=1.0, serial_s_per_gen=0.0)])
    S = compute.summarise(df, "LunarLander-v3", planned=10, costs=costs)
    gens, steps = 102_400 / 64, 300 * 102_400  # per seed: the last record's generations and env steps
    assert S["opt_fraction_idle"] == pytest.approx(gens * 0.1 / (gens * 0.1 + steps * 1e-5))
    assert S["opt_fraction"] == pytest.approx(0.1)  # the recorded shares: 1 s of 10 per generation
    assert np.isnan(compute.summarise(df, "LunarLander-v3", planned=10, costs=costs[costs.method == "ga"])
                    ["opt_fraction_idle"])
