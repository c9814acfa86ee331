"""Island runs are runs (issue 35 item 4): a bound ``island.IslandSpec`` is stored, loaded and trained
through the run store's functions and ``run_many`` as a ``RunConfig`` is, under the file names the
stored island runs already have."""

import pytest

from evoscale.config import RunConfig
from evoscale.island import IslandSpec
from evoscale.runs import is_cached, load_cached, run_many, run_path, train_records


def test_an_island_run_is_stored_loaded_and_trained_like_a_run(tmp_path):
    c = RunConfig(method="torch_cmaes", env="CartPole-v1", hidden=(4,), popsize=8, budget_evals=64, test_every=32,
                  test_episodes=2)
    settings = IslandSpec(2, 2, 1, "ring")
    with pytest.raises(ValueError, match="not bound to a run"):
        settings.path(tmp_path)
    run = settings.of(c)
    assert run_path(run, tmp_path).name == f"islands-K2-m2-x1-ring-CartPole-v1-s0-{c.key()}.csv"
    assert not is_cached(run, tmp_path)
    df = run_many([run], tmp_path, processes=1, log=lambda *a: None, progress=False)
    assert is_cached(run, tmp_path) and len(load_cached(run, tmp_path)) == len(df) == 4  # 64 / (2 x 8) generations
    assert not is_cached(IslandSpec(2, 4, 1, "ring").of(c), tmp_path)  # other settings: another run
    with pytest.raises(ValueError, match="cannot checkpoint"):
        train_records(run, checkpoint=tmp_path / "x.pkl")
