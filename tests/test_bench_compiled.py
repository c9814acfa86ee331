"""The compiled-simulator bench: EnvPool vs one gymnasium env on one thread (EnvPool is optional)."""

import sys

import pytest

from evoscale.bench import compiled


def test_without_envpool_the_bench_says_how_to_get_it(monkeypatch):
    monkeypatch.setitem(sys.modules, "envpool", None)  # import envpool -> ImportError
    with pytest.raises(ValueError, match="make bench-compiled"):
        compiled.bench_compiled(["CartPole-v1"], seconds=0.01, rounds=1)


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match="rounds"):
        compiled.bench_compiled(["CartPole-v1"], rounds=0)
    with pytest.raises(ValueError, match="seconds"):
        compiled.bench_compiled(["CartPole-v1"], seconds=0)


def test_tiny_measurement_reports_both_rates_and_their_ratio():
    pytest.importorskip("envpool", reason="EnvPool is optional: `make bench-compiled` installs it")
    with pytest.raises(ValueError, match="unknown task 'Pong-v5'"):
        compiled.envpool_steps_per_s("Pong-v5", 4, 0.01)
    with pytest.raises(ValueError, match="num_envs"):
        compiled.envpool_steps_per_s("CartPole-v1", 0, 0.01)
    out = compiled.bench_compiled(["CartPole-v1", "LunarLander-v3"], num_envs=4, seconds=0.05, rounds=2,
                                  log=lambda *a: None)
    assert out["threads"] == 1 and [r["env"] for r in out["per_task"]] == ["CartPole-v1", "LunarLander-v3"]
    for r in out["per_task"]:
        assert r["envpool_steps_per_s"] > 0 and r["gymnasium_steps_per_s"] > 0
        assert r["ratio_min"] <= r["ratio"] <= r["ratio_max"]
