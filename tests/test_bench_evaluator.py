"""The evaluator benchmark's bookkeeping (its speed figures live in results/bench, not here)."""

import numpy as np
import pytest

from evoscale.bench.evaluator import bench_evaluator, replay_steps_per_s, time_breakdown
from evoscale.config import RunConfig
from evoscale.evaluation import TRAIN, episode_seeds, make_evaluator


def test_time_breakdown_shares_add_up_and_leave_the_evaluator_as_it_was():
    ev = make_evaluator(RunConfig(env="LunarLander-v3", hidden=(8,)))
    population = np.random.default_rng(0).normal(0, 0.5, (6, ev.policy.n_params))
    seeds = episode_seeds(3, TRAIN, 0, 6, 1)
    before = ev.evaluate(population, seeds)
    shares = time_breakdown(ev, population, seconds=0.2)
    assert {"env_fraction", "network_fraction", "loop_fraction"} <= set(shares)
    assert 0 < shares["env_fraction"] < 1 and 0 < shares["network_fraction"] < 1
    assert shares["env_fraction"] + shares["network_fraction"] + shares["loop_fraction"] == pytest.approx(1)
    assert "emulator_fraction" not in shares  # Atari pixels only
    # timer hook removed again, nothing left on the envs, same results
    assert ev.timer is None and type(ev.policy).__name__ == "MLPPolicy"
    assert all("step" not in vars(env) and "_frame" not in vars(env) for env in ev.envs)
    after = ev.evaluate(population, seeds)
    assert np.array_equal(before.returns, after.returns) and np.array_equal(before.lengths, after.lengths)


def test_pong_pixels_breakdown_splits_emulator_from_preprocessing():
    ev = make_evaluator(RunConfig(env="ALE/Pong-v5", hidden=()))
    population = np.random.default_rng(0).normal(0, 0.1, (1, ev.policy.n_params))
    shares = time_breakdown(ev, population, seconds=0.01)  # one evaluation: a whole episode
    assert 0 < shares["emulator_fraction"] < shares["env_fraction"]
    assert shares["preprocessing_fraction"] == pytest.approx(shares["env_fraction"] - shares["emulator_fraction"])


def test_bench_evaluator_reports_medians_over_interleaved_rounds():
    out = bench_evaluator("CartPole-v1", (4,), popsize=4, seconds=0.3, warmup_evals=0, rounds=3, log=lambda *_: None)
    assert out["rounds"] == 3 and len(out["ratio_per_round"]) == 3
    assert out["ratio"] == pytest.approx(float(np.median(out["ratio_per_round"])))
    for key in ("raw", "unwrapped", "evaluator", "serial", "replay"):
        assert out[f"{key}_steps_per_s"] > 0


def test_replay_steps_per_s_is_a_plain_env_step_rate():
    """The replay rate of a population's own episodes (what it replays: tests/test_cli.py) is finite and
    positive, and CartPole steps at well over 1,000/s on any machine."""
    ev = make_evaluator(RunConfig(env="CartPole-v1", hidden=(4,), backend="serial"))
    population = np.random.default_rng(0).normal(0, 1.0, (4, ev.policy.n_params))
    rate = replay_steps_per_s("CartPole-v1", ev.policy, population, seconds=0.2)
    assert np.isfinite(rate) and rate > 1_000


@pytest.mark.parametrize("kw, message", [({"rounds": 0}, "rounds must be"), ({"seconds": 0}, "seconds must be"),
                                         ({"warmup_evals": -1}, "warmup_evals must be")])
def test_bench_evaluator_rejects_bad_arguments(kw, message):
    with pytest.raises(ValueError, match=message):
        bench_evaluator("CartPole-v1", (4,), popsize=4, **{"seconds": 0.1, "warmup_evals": 0, **kw})


def test_throughput_benchmark_prints_a_ratio_per_method():
    import json
    import subprocess
    import sys

    r = subprocess.run([sys.executable, "-m", "evoscale", "bench", "throughput", "--env", "CartPole-v1", "--hidden", "4",
                        "--popsize", "8", "--budget-evals", "32", "--methods", "openai_es,torch_cmaes",
                        "--raw-seconds", "0.1"], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout.splitlines()[-1])
    assert set(out["methods"]) == {"openai_es", "torch_cmaes"}
    assert all(v["ratio"] > 0 and v["raw_steps_per_s"] > 0 for v in out["methods"].values())
    bad = subprocess.run([sys.executable, "-m", "evoscale", "bench", "throughput", "--methods", "nope",
                          "--raw-seconds", "0.1"], capture_output=True, text=True, timeout=300)
    assert bad.returncode == 2 and "unknown method 'nope'" in bad.stderr
