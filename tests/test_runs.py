"""The results store: a longer run serves a shorter one exactly (every method), only when aligned."""

import numpy as np
import pandas as pd
import pytest

from evoscale.config import RunConfig
from evoscale.runs import available, load_cached, run_cached, run_path, served_by
from evoscale.trainers import REGISTRY

TIMING = ["wall_s", "opt_s", "pop_eval_s", "test_wall_s", "cpu_s", "peak_mem_gib", "machine"]


def _cfg(method, budget, **kw):
    # popsize 8, a solved test every 4 generations (32 episodes): budgets 64 and 128 are aligned
    return RunConfig(method=method, env="CartPole-v1", hidden=(4,), popsize=8, sigma0=0.5, budget_evals=budget,
                     test_every=32, test_episodes=3, seed=3, **kw)


@pytest.mark.parametrize("method,hyper", [(m, None) for m in sorted(REGISTRY)] + [("torch_cmaes", {"active": True})])
def test_a_longer_run_cut_equals_the_shorter_run(method, hyper, tmp_path):
    short, long = _cfg(method, 64, hyper=hyper), _cfg(method, 128, hyper=hyper)
    a = run_cached(short, tmp_path / "a")
    run_cached(long, tmp_path / "b")
    path, served = served_by(short, tmp_path / "b")
    assert path == run_path(long, tmp_path / "b")
    pd.testing.assert_frame_equal(a.drop(columns=TIMING), served.drop(columns=TIMING), check_dtype=False)


def test_an_unaligned_budget_is_not_served(tmp_path):
    run_cached(_cfg("openai_es", 128), tmp_path)
    assert served_by(_cfg("openai_es", 48), tmp_path) is None  # 6 generations: no solved test after gen 5
    assert served_by(_cfg("openai_es", 64), tmp_path) is not None
    assert served_by(_cfg("openai_es", 64, target_return=400.0), tmp_path) is None
    assert served_by(_cfg("openai_es", 64).replace(seed=4), tmp_path) is None
    assert served_by(_cfg("openai_es", 64).replace(sigma0=0.4), tmp_path) is None
    assert served_by(_cfg("openai_es", 256), tmp_path) is None  # shorter runs never serve longer ones


def test_available_trains_nothing(tmp_path):
    have, missing_cfg = _cfg("ga", 64), _cfg("ga", 64).replace(seed=9)
    run_cached(have, tmp_path)
    df, missing = available([have, missing_cfg], tmp_path)
    assert missing == [missing_cfg]
    assert set(df["seed"]) == {3}
    assert load_cached(missing_cfg, tmp_path) is None
    assert not run_path(missing_cfg, tmp_path).exists()
    assert np.isfinite(df["test_return"].iloc[-1])


def test_a_cell_names_the_network_its_run_trains():
    from evoscale.config import RunConfig
    from evoscale.runs import cell_name

    es = RunConfig(method="openai_es", env="LunarLander-v3", hidden=(64, 32), budget_evals=30_720)
    assert cell_name(es) == "openai_es LunarLander-v3 64,32 x 30,720 episodes"
    ppo = RunConfig(method="ppo", env="LunarLander-v3", budget_steps=1_000_000, hyper={"net_arch": [993, 993]})
    assert cell_name(ppo) == "ppo LunarLander-v3 993,993 x 1,000,000 steps"  # its own actor and critic
    zoo = RunConfig(method="ppo", env="LunarLander-v3", budget_steps=3_000_000)
    assert cell_name(zoo) == "ppo LunarLander-v3 zoo net x 3,000,000 steps"  # not the unused config MLP


def test_the_peak_memory_differs_between_runs_like_a_timing():
    import pandas as pd

    from evoscale.runs import records_difference, timing_column

    assert timing_column("peak_mem_gib") and timing_column("cpu_s") and not timing_column("test_return")
    a = pd.DataFrame(dict(test_return=[1.0, 2.0], peak_mem_gib=[0.5, 0.6]))
    assert records_difference(a, a.assign(peak_mem_gib=[0.7, 0.9])) is None
    assert records_difference(a, a.drop(columns="peak_mem_gib")) is None  # a run stored before it was recorded
