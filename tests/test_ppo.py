import dataclasses
import math
import pickle

import numpy as np
import pytest
import torch

from evoscale import envs
from evoscale.baselines.ppo import (
    RECORD_KEYS, ZOO_HYPERPARAMS, LinearSchedule, RunFinishedError, load_checkpoint, train_ppo, zoo_hyperparams,
)
from evoscale.config import RunConfig

torch.set_num_threads(1)

TIMING = {"wall_s", "opt_s", "pop_eval_s", "test_wall_s", "cpu_s", "peak_mem_gib"}
TINY = dict(n_envs=2, n_steps=64, batch_size=64, n_epochs=2)  # 128 env steps per rollout
STEP = 128


def strip(records):
    """Records without the timing columns, NaN made comparable."""
    return [{k: (None if v != v else v) for k, v in r.items() if k not in TIMING} for r in records]


def nan_safe(records):
    """Records with NaN made comparable (NaN != NaN)."""
    return [{k: (None if v != v else v) for k, v in r.items()} for r in records]


def ppo(env_id, seed, total, test_every=0, test_episodes=100, hyper=None, checkpoint=None):
    """``train_ppo`` of the run (env, seed, budget_steps=total, ...)."""
    config = RunConfig(method="ppo", env=env_id, seed=seed, budget_steps=total, test_every=test_every,
                       test_episodes=test_episodes, hyper=hyper)
    return train_ppo(config, checkpoint=checkpoint)


def run(seed=0, total=2048, **kw):
    kw.setdefault("hyper", TINY)
    return ppo("CartPole-v1", seed, total, test_every=1024, test_episodes=5, **kw)


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
    tested = [r["env_steps"] for r in records if not math.isnan(r["test_return"])]
    assert tested == [1024, 2048]
    assert all(math.isnan(r["test_std"]) == math.isnan(r["test_return"]) for r in records)
    assert records[-1]["test_wall_s"] > 0 and records[0]["test_wall_s"] == 0
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
    assert both[-1]["env_steps"] == 2048 and not math.isnan(both[-1]["test_return"])
    assert nan_safe(load_checkpoint(ckpt)["records"]) == nan_safe(both)
    with pytest.raises(RunFinishedError, match="already holds a finished run"):
        run(total=2048, checkpoint=ckpt)
    with pytest.raises(ValueError, match="seed"):
        run(seed=1, total=4096, checkpoint=ckpt)


def test_vecnormalize_statistics_are_checkpointed(tmp_path):
    ckpt = str(tmp_path / "walker.ckpt")
    kw = dict(test_every=0, test_episodes=1, hyper=dict(n_envs=2, n_steps=32, batch_size=64, n_epochs=1),
              checkpoint=ckpt)
    first = ppo("BipedalWalker-v3", 0, 64, **kw)
    stats = pickle.loads(load_checkpoint(ckpt)["vecnormalize"])
    assert stats.obs_rms.count > 64  # VecNormalize (zoo: normalize true) saw the 64 training steps
    both = ppo("BipedalWalker-v3", 0, 128, **kw)
    assert [r["env_steps"] for r in both] == [64, 128] and nan_safe(both[:1]) == nan_safe(first)
    assert pickle.loads(load_checkpoint(ckpt)["vecnormalize"]).obs_rms.count > stats.obs_rms.count


@pytest.mark.parametrize("env_id", ["LunarLander-v3", "Humanoid-v5"])
def test_zoo_settings_build_and_train_on_the_other_tasks(env_id):
    hyper = dict(n_envs=1, n_steps=32, batch_size=32, n_epochs=1)
    records = ppo(env_id, 0, 32, test_every=0, test_episodes=1, hyper=hyper)
    assert len(records) == 1 and records[0]["env_steps"] == 32 and np.isfinite(records[0]["test_return"])
    if env_id == "Humanoid-v5":  # 256-256 ReLU actor and critic, + log_std
        assert records[0]["n_params"] == (348 * 256 + 256 + 256 * 256 + 256 + 256 * 17 + 17 + 17
                                          + 348 * 256 + 256 + 256 * 256 + 256 + 256 + 1)


def test_zoo_table_and_schedules():
    assert set(ZOO_HYPERPARAMS) == {"CartPole-v1", "LunarLander-v3", "BipedalWalker-v3", "Humanoid-v5",
                                    "ALE/Pong-v5", "ALE/Pong-ram-v5", "ReversalBandit-v0", "CartPoleFlip-v1"}
    for adapt in ("ReversalBandit-v0", "CartPoleFlip-v1"):  # no zoo entry: the CartPole-v1 setting
        assert ZOO_HYPERPARAMS[adapt] == ZOO_HYPERPARAMS["CartPole-v1"]
    atari = dict(n_envs=8, n_steps=128, n_epochs=4, batch_size=256, n_timesteps=10_000_000,
                 learning_rate="lin_2.5e-4", clip_range="lin_0.1", vf_coef=0.5, ent_coef=0.01, normalize=False)
    assert {k: ZOO_HYPERPARAMS["ALE/Pong-v5"][k] for k in atari} == atari  # the zoo's "atari" entry
    assert ZOO_HYPERPARAMS["ALE/Pong-v5"]["policy"] == "CnnPolicy"
    assert {**ZOO_HYPERPARAMS["ALE/Pong-v5"], "policy": "MlpPolicy"} == ZOO_HYPERPARAMS["ALE/Pong-ram-v5"]
    assert ZOO_HYPERPARAMS["CartPole-v1"]["learning_rate"] == "lin_0.001"
    assert [k for k, v in ZOO_HYPERPARAMS.items() if v["normalize"]] == ["BipedalWalker-v3", "Humanoid-v5"]
    assert zoo_hyperparams("CartPole-v1", {"n_steps": 16})["n_steps"] == 16
    lin = LinearSchedule(0.001)
    assert lin(1.0) == 0.001 and lin(0.5) == 0.0005 and lin(0.0) == 0.0


@pytest.mark.parametrize("env_id,hyper,match", [
    ("Pendulum-v1", None, "unknown env"),
    ("ALE/Pong-ram-v5", {"policy": "CnnPolicy"}, "needs image observations"),
    ("CartPole-v1", {"policy": "MultiInputPolicy"}, "policy must be one of"),
    ("CartPole-v1", {"n_step": 16}, "unknown PPO hyper-parameter"),
    ("CartPole-v1", {"learning_rate": "exp_0.1"}, "schedule"),
    ("CartPole-v1", {"net_arch": [64, 0]}, "net_arch must be a list of positive hidden widths"),
    ("CartPole-v1", {"net_arch": "64,32"}, "net_arch must be a list of positive hidden widths"),
])
def test_bad_arguments_raise_value_error(env_id, hyper, match):
    with pytest.raises(ValueError, match=match):
        ppo(env_id, 0, 256, 128, hyper=hyper)


def test_train_ppo_takes_only_ppo_runs():
    with pytest.raises(ValueError, match="method 'ppo'"):
        train_ppo(RunConfig(env="CartPole-v1", hidden=(4,)))


# --- Atari: the zoo's "atari" entry on the evaluator's own preprocessing -------------------------

PONG_TINY = dict(n_envs=2, n_steps=64, batch_size=64, n_epochs=1)  # 128 env steps per rollout


def _capped(monkeypatch, env_id, steps):
    """Cap the task's episodes (training TimeLimit and evaluator both read the registry)."""
    monkeypatch.setitem(envs.REGISTRY, env_id, dataclasses.replace(envs.REGISTRY[env_id], max_steps=steps))


def pong(seed=0, total=1024, env_id="ALE/Pong-v5", **kw):
    return ppo(env_id, seed, total, test_every=512, test_episodes=2, hyper=PONG_TINY, **kw)


def test_pong_pixels_trains_on_the_evaluators_observation(monkeypatch):
    from stable_baselines3.common.preprocessing import is_image_space, is_image_space_channels_first

    from evoscale.baselines.ppo import _atari_env

    _capped(monkeypatch, "ALE/Pong-v5", 60)
    train_env, eval_env = _atari_env("ALE/Pong-v5"), envs.make_env("ALE/Pong-v5")
    space = train_env.observation_space
    assert space == eval_env.observation_space and space.shape == (4, 84, 84) and space.dtype == np.uint8
    assert is_image_space(space) and is_image_space_channels_first(space)  # CnnPolicy takes it as is
    a, b = train_env.reset(seed=7)[0], eval_env.reset(seed=7)[0]
    assert np.array_equal(a, b)  # same seed, same first observation (no-ops drawn from the seed)
    for _ in range(70):  # and the same dynamics (sticky actions drawn from the seed), up to the cap
        ra, rb = train_env.step(3), eval_env.step(3)
        assert np.array_equal(ra[0], rb[0]) and ra[1] == rb[1]
        if ra[2] or ra[3]:
            break
    assert ra[3] and train_env.get_wrapper_attr("_elapsed_steps") == 60  # TimeLimit at EnvSpec.max_steps


def test_pong_pixels_records_and_twin_runs_are_identical(monkeypatch):
    _capped(monkeypatch, "ALE/Pong-v5", 60)
    a, b = pong(seed=2), pong(seed=2)
    assert len(a) == 1024 // 128 and all(set(r) == set(RECORD_KEYS) for r in a)
    assert [r["env_steps"] for r in a] == [128 * (g + 1) for g in range(8)]
    assert a[0]["popsize"] == 2 and a[0]["env"] == "ALE/Pong-v5"
    # SB3 CnnPolicy: NatureCNN (32 8x8/4, 64 4x4/2, 64 3x3/1, dense 3136->512) shared, heads 512->6, 512->1
    assert a[0]["n_params"] == (4 * 64 * 32 + 32) + (32 * 16 * 64 + 64) + (64 * 9 * 64 + 64) + (3136 * 512 + 512) \
        + (512 * 6 + 6) + (512 + 1)
    assert [r["env_steps"] for r in a if not math.isnan(r["test_return"])] == [512, 1024]
    assert a[-1]["evals"] > 0 and all(-60 <= r["test_return"] <= 60 for r in a if not math.isnan(r["test_return"]))
    assert strip(a) == strip(b)


def test_pong_solved_test_is_the_evaluators_with_the_es_seeds(monkeypatch):
    from stable_baselines3 import PPO

    from evoscale.evaluation import EVAL, SerialEvaluator, episode_seeds
    from evoscale.baselines.ppo import SB3Policy, SolvedTest, _make_venv, zoo_hyperparams

    _capped(monkeypatch, "ALE/Pong-v5", 50)
    merged = zoo_hyperparams("ALE/Pong-v5", PONG_TINY)
    model = PPO("CnnPolicy", _make_venv("ALE/Pong-v5", merged), seed=0, n_steps=64, batch_size=64)
    seeds = episode_seeds(0, EVAL, 3, 1, 3)[0]
    mean, std = SolvedTest("ALE/Pong-v5")(model, seeds)
    serial = SerialEvaluator("ALE/Pong-v5", ())
    serial.policy = SB3Policy(model)
    returns = serial.evaluate(np.zeros((1, 1)), seeds[None, :]).returns
    assert mean == returns.mean() and std == returns.std()  # lockstep (batched) == one episode at a time


def test_pong_checkpoint_continues_num_timesteps(monkeypatch, tmp_path):
    _capped(monkeypatch, "ALE/Pong-v5", 60)
    ckpt = str(tmp_path / "pong.ckpt")
    first = pong(total=512, checkpoint=ckpt)
    assert load_checkpoint(ckpt)["num_timesteps"] == 512
    both = pong(total=1024, checkpoint=ckpt)
    assert nan_safe(both[: len(first)]) == nan_safe(first)
    assert [r["env_steps"] for r in both] == [128 * (g + 1) for g in range(8)]
    assert [r["generation"] for r in both] == list(range(8)) and load_checkpoint(ckpt)["num_timesteps"] == 1024


def test_pong_ram_trains_with_the_atari_entry_and_an_mlp(monkeypatch):
    _capped(monkeypatch, "ALE/Pong-ram-v5", 60)
    records = pong(total=256, env_id="ALE/Pong-ram-v5")
    assert [r["env_steps"] for r in records] == [128, 256] and np.isfinite(records[-1]["test_return"])
    assert records[0]["n_params"] == (128 * 64 + 64 + 64 * 64 + 64) * 2 + (64 * 6 + 6) + (64 + 1)


# --- the solved test against SB3's own evaluate_policy (issue 14's audit) --------------------------

@pytest.mark.parametrize("env_id", ["CartPole-v1", "LunarLander-v3"])
def test_solved_test_equals_sb3_evaluate_policy_on_the_same_reset_seeds(env_id):
    """Our deterministic solved test and ``evaluate_policy(model, env, deterministic=True)`` give the
    same per-episode returns on the same model and reset seeds (one 1-env VecEnv per seed, since a
    VecEnv seeds env i with seed + i)."""
    import gymnasium as gym
    from stable_baselines3 import PPO
    from stable_baselines3.common.evaluation import evaluate_policy
    from stable_baselines3.common.monitor import Monitor
    from stable_baselines3.common.vec_env import DummyVecEnv

    from evoscale.baselines.ppo import SB3Policy, SolvedTest, _make_venv, zoo_hyperparams
    from evoscale.evaluation import EVAL, episode_seeds

    merged = zoo_hyperparams(env_id, dict(n_envs=2, n_steps=256, batch_size=64, n_epochs=2))
    model = PPO("MlpPolicy", _make_venv(env_id, merged), seed=0, n_steps=256, batch_size=64, n_epochs=2)
    model.learn(1024)
    seeds = episode_seeds(0, EVAL, 7, 1, 4)[0]
    ours = SolvedTest(env_id).evaluator
    ours.policy = SB3Policy(model)
    mine = ours.evaluate(np.zeros((1, 1)), seeds[None, :]).returns.ravel()
    sb3 = []
    for s in seeds:
        venv = DummyVecEnv([lambda: Monitor(gym.make(env_id))])
        venv.seed(int(s))
        rewards, _ = evaluate_policy(model, venv, n_eval_episodes=1, deterministic=True, return_episode_rewards=True)
        sb3.append(rewards[0])
    np.testing.assert_allclose(mine, sb3, rtol=1e-4, atol=1e-3)
    mean, std = SolvedTest(env_id)(model, seeds)
    assert mean == pytest.approx(np.mean(sb3), abs=1e-3) and std == pytest.approx(np.std(sb3), abs=1e-3)


def test_stochastic_solved_test_is_seeded_and_leaves_training_random_numbers_alone():
    records = run(seed=5)
    tested = [r for r in records if not math.isnan(r["test_return"])]
    assert all(np.isfinite(r["test_return_stochastic"]) and np.isfinite(r["test_std_stochastic"]) for r in tested)
    assert all(math.isnan(r["test_return_stochastic"]) for r in records if math.isnan(r["test_return"]))
    assert strip(run(seed=5)) == strip(records)  # a pure function of the config
    from stable_baselines3 import PPO

    from evoscale.baselines.ppo import SolvedTest, _make_venv, zoo_hyperparams

    model = PPO("MlpPolicy", _make_venv("CartPole-v1", zoo_hyperparams("CartPole-v1", TINY)), seed=0, n_steps=64,
                batch_size=64)
    state = torch.get_rng_state()
    seeds = np.arange(4)
    a, b = SolvedTest("CartPole-v1")(model, seeds, 11), SolvedTest("CartPole-v1")(model, seeds, 11)
    assert a == b and torch.equal(torch.get_rng_state(), state)


def test_net_arch_gives_the_actor_and_a_critic_the_evolution_strategies_widths():
    records = run(total=256, hyper={**TINY, "net_arch": [8, 4]})
    # actor 4-8-4-2 and critic 4-8-4-1: (40 + 36 + 10) + (40 + 36 + 5), plus the log-std free Categorical
    assert records[0]["n_params"] == (4 * 8 + 8 + 8 * 4 + 4 + 4 * 2 + 2) + (4 * 8 + 8 + 8 * 4 + 4 + 4 * 1 + 1)
    a = RunConfig(method="ppo", env="CartPole-v1", budget_steps=256, hyper={"net_arch": [8, 4]})
    b = RunConfig(method="ppo", env="CartPole-v1", budget_steps=256, hyper={"net_arch": (8, 4)})
    assert a == b and a.key() == b.key() and hash(a) == hash(b)  # a list or a tuple: one run
    assert a.key() != RunConfig(method="ppo", env="CartPole-v1", budget_steps=256).key()


def test_test_every_unsolved_tests_finely_until_the_threshold_then_coarsely():
    """``test_every_unsolved``: the solved test every that many env steps until a test first reaches the
    task's threshold, then every ``test_every``; unset, the run and its key are as before; an ES refuses it."""
    from evoscale.baselines.ppo import RecordCallback
    from evoscale.train import resolve

    config = RunConfig(method="ppo", env="CartPole-v1", seed=0, budget_steps=2048, test_every=1024, test_episodes=3,
                       hyper=TINY, test_every_unsolved=256)
    fine = train_ppo(config)  # 2,048 tiny steps never balance CartPole for 475: every 256 steps
    assert [r["env_steps"] for r in fine if not math.isnan(r["test_return"])] == [256, 512, 768, 1024, 1280, 1536,
                                                                                   1792, 2048]
    plain = config.replace(test_every_unsolved=None)
    assert "test_every_unsolved" not in plain.hashed_fields() and config.key() != plain.key()
    assert [r["env_steps"] for r in train_ppo(plain) if not math.isnan(r["test_return"])] == [1024, 2048]

    def next_test(records, steps):  # the callback's next test after ``steps`` env steps, from its records
        run = {"eval_every_steps": 10_000, "test_every_unsolved": 1_024, "solved": 475.0}
        return RecordCallback(run, records, None, None, {})._next(steps)

    assert next_test([{"test_return": 300.0, "env_steps": 5_120}], 5_120) == 6_144  # not solved yet: fine
    assert next_test([{"test_return": 480.0, "env_steps": 5_120}], 5_120) == 10_000  # solved (a resumed run): coarse
    with pytest.raises(ValueError, match="test_every_unsolved"):
        resolve(RunConfig(env="CartPole-v1", test_every_unsolved=64))
    with pytest.raises(ValueError, match="test_every_unsolved"):
        RunConfig(method="ppo", env="CartPole-v1", budget_steps=2048, test_every_unsolved=0)
