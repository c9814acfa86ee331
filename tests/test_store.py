import json

import pandas as pd
import pytest

from evoscale.config import RunConfig
from evoscale.experiments import run_cached, run_path
from evoscale.store import atomic_write, load_run, save_run


def test_failing_write_leaves_previous_file_intact(tmp_path):
    path = tmp_path / "r.csv"
    atomic_write(path, lambda f: f.write("old\n"))

    def crash(f):
        f.write("half a fi")
        raise RuntimeError("disk on fire")

    with pytest.raises(RuntimeError):
        atomic_write(path, crash)
    assert path.read_text() == "old\n"
    assert list(tmp_path.iterdir()) == [path]  # no temp file left behind


def test_save_and_load_round_trip(tmp_path):
    df = pd.DataFrame({"a": [1, 2], "b": [0.5, float("nan")]})
    save_run(tmp_path / "x.csv", df, {"k": 1})
    pd.testing.assert_frame_equal(load_run(tmp_path / "x.csv"), df)
    assert json.loads((tmp_path / "x.json").read_text()) == {"k": 1}
    assert load_run(tmp_path / "missing.csv") is None


def test_cache_is_reused_and_fresh_recomputes(tmp_path, monkeypatch):
    config = RunConfig(env="CartPole-v1", hidden=(4,), popsize=8, budget_evals=16, eval_episodes=2)
    first = run_cached(config, tmp_path)
    path = run_path(config, tmp_path)
    assert config.key() in path.name
    marker = first.assign(best_return=-1.0)
    save_run(path, marker, {})  # tamper: a cached file is returned as is
    assert (run_cached(config, tmp_path)["best_return"] == -1.0).all()
    monkeypatch.setenv("FRESH", "1")
    assert (run_cached(config, tmp_path)["best_return"] == first["best_return"]).all()
