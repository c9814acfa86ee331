import math

import pytest

from evoscale.config import RunConfig
from evoscale.train import train

SMALL = dict(env="CartPole-v1", hidden=(8,), popsize=16, budget_evals=480, eval_every=160, eval_episodes=10)


def test_cmaes_solves_cartpole_in_a_small_budget():
    records = train(RunConfig(method="cmaes", **SMALL))
    final = records[-1]
    assert final["eval_return"] >= 475  # mean over 10 fresh episodes of the distribution mean
    assert final["evals"] == 480 and final["env_steps"] > 480


@pytest.mark.parametrize("method", ["cmaes", "sepcmaes"])
def test_twin_runs_are_identical_apart_from_time(method):
    timing = {"wall_s", "opt_s", "pop_eval_s", "eval_wall_s"}
    a, b = (train(RunConfig(method=method, seed=5, **SMALL)) for _ in range(2))
    c = train(RunConfig(method=method, seed=6, **SMALL))
    strip = lambda recs: [{k: v for k, v in r.items() if k not in timing} for r in recs]
    assert strip(a) == strip(b)
    assert strip(a) != strip(c)


def test_records_have_the_documented_columns_and_eval_checkpoints():
    records = train(RunConfig(**SMALL))
    assert len(records) == 30
    cols = {"method", "env", "n_params", "seed", "generation", "evals", "env_steps", "wall_s",
            "best_return", "mean_return", "median_return", "eval_return", "machine"}
    assert cols <= set(records[0])
    evaluated = [r["evals"] for r in records if not math.isnan(r["eval_return"])]
    assert evaluated == [160, 320, 480]
    assert all(r2["evals"] > r1["evals"] for r1, r2 in zip(records, records[1:]))


@pytest.mark.parametrize("bad,match", [
    (dict(env="Lunar"), "unknown env"), (dict(method="ppo2"), "unknown method"),
    (dict(popsize=0), "popsize"), (dict(budget_evals=-5), "budget_evals"),
    (dict(budget_evals=10), "smaller than one generation"), (dict(sigma0=0.0), "sigma0"),
    (dict(hidden="64,x"), "hidden"), (dict(device="tpu"), "device"),
])
def test_bad_config_names_the_parameter(bad, match):
    with pytest.raises(ValueError, match=match):
        RunConfig(**bad)


def test_config_key_changes_with_results_not_with_display():
    base = RunConfig()
    assert base.key() == RunConfig().key()
    assert base.key() != RunConfig(seed=1).key()
    assert base.key() != RunConfig(hidden=(64,)).key()
    assert base.key() == RunConfig(progress=True).key()
