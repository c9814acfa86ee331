import math
import pickle

import numpy as np
import pytest
import torch

from evoscale.ppo import (
    RECORD_KEYS, ZOO_HYPERPARAMS, LinearSchedule, RunFinishedError, load_checkpoint, train_ppo, zoo_hyperparams,
)

torch.set_num_threads(1)

TIMING = {"wall_s", "opt_s", "pop_eval_s", "eval_wall_s"}
TINY = dict(n_envs=2, n_steps=64, batch_size=64, n_epochs=2)  # 128 env steps per rollout
STEP = 128


def strip(records):
    """Records without the timing columns, NaN made comparable."""
    return [{k: (None if v != v else v) for k, v in r.items() if k not in TIMING} for r in records]


def nan_safe(records):
    """Records with NaN made comparable (NaN != NaN)."""
    return [{k: (None if v != v else v) for k, v in r.items()} for r in records]


def run(seed=0, total=2048, **kw):
    kw.setdefault("hyper", TINY)
    return train_ppo("CartPole-v1", seed, total, eval_every_steps=1024, eval_episodes=5, **kw)


def test_records_have_exactly_the_evolution_columns_and_count_up():
    records = run()
    assert len(records) == 2048 // STEP
    assert all(set(r) == set(RECORD_KEYS) for r in records)
    r0 = records[0]
    assert r0["method"] == "ppo" and r0["env"] == "CartPole-v1" and r0["popsize"] == 2 and r0["seed"] == 0
    assert r0["n_params"] == 9155  # SB3 MlpPolicy: separate 4-64-64-2 actor and 4-64-64-1 critic
    assert [r["generation"] for r in records] == list(range(len(records)))
    assert [r["env_steps"] for r in records] == [STEP * (g + 1) for g in range(len(records))]
    assert all(b["evals"] >= a["evals"] for a, b in zip(records, records[1:])) and records[-1]["evals"] > 0
    assert all(b["wall_s"] > a["wall_s"] for a, b in zip(records, records[1:]))
    assert all(r["opt_s"] > 0 and r["pop_eval_s"] > 0 for r in records)
    tested = [r["env_steps"] for r in records if not math.isnan(r["eval_return"])]
    assert tested == [1024, 2048]
    assert all(math.isnan(r["eval_std"]) == math.isnan(r["eval_return"]) for r in records)
    assert records[-1]["eval_wall_s"] > 0 and records[0]["eval_wall_s"] == 0
    assert all(r["best_return"] >= r["median_return"] for r in records if r["evals"])


def test_twin_runs_are_identical_apart_from_time_and_other_seeds_differ():
    a, b, c = run(seed=3), run(seed=3), run(seed=4)
    assert strip(a) == strip(b)
    assert strip(a) != strip(c)


def test_checkpoint_resumes_where_the_first_call_stopped(tmp_path):
    ckpt = str(tmp_path / "ppo.ckpt")
    first = run(total=1024, checkpoint=ckpt)
    assert first[-1]["env_steps"] == 1024 and load_checkpoint(ckpt)["num_timesteps"] == 1024
    both = run(total=2048, checkpoint=ckpt)
    n = len(first)
    assert nan_safe(both[:n]) == nan_safe(first)  # the checkpoint's records come back unchanged
    resumed = both[n]
    assert resumed["generation"] == first[-1]["generation"] + 1
    assert resumed["env_steps"] == first[-1]["env_steps"] + STEP  # num_timesteps continued
    assert resumed["evals"] >= first[-1]["evals"] and resumed["wall_s"] > first[-1]["wall_s"]
    assert both[-1]["env_steps"] == 2048 and not math.isnan(both[-1]["eval_return"])
    assert nan_safe(load_checkpoint(ckpt)["records"]) == nan_safe(both)
    with pytest.raises(RunFinishedError, match="already holds a finished run"):
        run(total=2048, checkpoint=ckpt)
    with pytest.raises(ValueError, match="seed"):
        run(seed=1, total=4096, checkpoint=ckpt)


def test_vecnormalize_statistics_are_checkpointed(tmp_path):
    ckpt = str(tmp_path / "walker.ckpt")
    kw = dict(eval_every_steps=0, eval_episodes=1, hyper=dict(n_envs=2, n_steps=32, batch_size=64, n_epochs=1),
              checkpoint=ckpt)
    first = train_ppo("BipedalWalker-v3", 0, 64, **kw)
    stats = pickle.loads(load_checkpoint(ckpt)["vecnormalize"])
    assert stats.obs_rms.count > 64  # VecNormalize (zoo: normalize true) saw the 64 training steps
    both = train_ppo("BipedalWalker-v3", 0, 128, **kw)
    assert [r["env_steps"] for r in both] == [64, 128] and nan_safe(both[:1]) == nan_safe(first)
    assert pickle.loads(load_checkpoint(ckpt)["vecnormalize"]).obs_rms.count > stats.obs_rms.count


@pytest.mark.parametrize("env_id", ["LunarLander-v3", "Humanoid-v5"])
def test_zoo_settings_build_and_train_on_the_other_tasks(env_id):
    hyper = dict(n_envs=1, n_steps=32, batch_size=32, n_epochs=1)
    records = train_ppo(env_id, 0, 32, eval_every_steps=0, eval_episodes=1, hyper=hyper)
    assert len(records) == 1 and records[0]["env_steps"] == 32 and np.isfinite(records[0]["eval_return"])
    if env_id == "Humanoid-v5":  # 256-256 ReLU actor and critic, + log_std
        assert records[0]["n_params"] == (348 * 256 + 256 + 256 * 256 + 256 + 256 * 17 + 17 + 17
                                          + 348 * 256 + 256 + 256 * 256 + 256 + 256 + 1)


def test_zoo_table_and_schedules():
    assert set(ZOO_HYPERPARAMS) == {"CartPole-v1", "LunarLander-v3", "BipedalWalker-v3", "Humanoid-v5"}
    assert ZOO_HYPERPARAMS["CartPole-v1"]["learning_rate"] == "lin_0.001"
    assert [k for k, v in ZOO_HYPERPARAMS.items() if v["normalize"]] == ["BipedalWalker-v3", "Humanoid-v5"]
    assert zoo_hyperparams("CartPole-v1", {"n_steps": 16})["n_steps"] == 16
    lin = LinearSchedule(0.001)
    assert lin(1.0) == 0.001 and lin(0.5) == 0.0005 and lin(0.0) == 0.0


@pytest.mark.parametrize("env_id,hyper,match", [
    ("Pendulum-v1", None, "unknown env"),
    ("ALE/Pong-v5", None, "no PPO hyper-parameters"),
    ("CartPole-v1", {"n_step": 16}, "unknown PPO hyper-parameter"),
    ("CartPole-v1", {"learning_rate": "exp_0.1"}, "schedule"),
])
def test_bad_arguments_raise_value_error(env_id, hyper, match):
    with pytest.raises(ValueError, match=match):
        train_ppo(env_id, 0, 256, 128, hyper=hyper)
