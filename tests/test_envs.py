import pytest

from evoscale.envs import REGISTRY, get_spec, make_env


def test_unknown_env_lists_valid_ones():
    with pytest.raises(ValueError, match="Valid envs: CartPole-v1, LunarLander-v3"):
        get_spec("LunarLander-v2")


@pytest.mark.parametrize("env_id", ["CartPole-v1", "LunarLander-v3", "BipedalWalker-v3", "Humanoid-v5"])
def test_registry_matches_the_real_environment(env_id):
    spec, env = get_spec(env_id), make_env(env_id)
    assert env.observation_space.shape == (spec.obs_dim,)
    if spec.discrete:
        assert env.action_space.n == spec.act_dim
    else:
        assert env.action_space.shape == (spec.act_dim,)
        # the policy reads the box from the registry, bit for bit the environment's float32 bounds
        assert spec.act_low == tuple(map(float, env.action_space.low))
        assert spec.act_high == tuple(map(float, env.action_space.high))
    import gymnasium as gym

    assert gym.spec(env_id).max_episode_steps == spec.max_steps
    assert gym.spec(env_id).reward_threshold in (spec.solved, None)


def test_continuous_tasks_and_only_they_have_an_action_box():
    assert all((spec.act_box is None) == spec.discrete for spec in REGISTRY.values())
    import dataclasses

    with pytest.raises(ValueError, match="act_box"):
        dataclasses.replace(REGISTRY["BipedalWalker-v3"], act_box=None)


def test_pong_is_registered_and_makes():
    env = make_env("ALE/Pong-v5")
    assert env.action_space.n == REGISTRY["ALE/Pong-v5"].act_dim


def test_pong_pixels_are_preprocessed_and_ram_is_scaled():
    pix, ram = make_env("ALE/Pong-v5"), make_env("ALE/Pong-ram-v5")
    obs = pix.reset(seed=0)[0]
    assert obs.shape == REGISTRY["ALE/Pong-v5"].obs_shape == (4, 84, 84) and obs.dtype == "uint8"
    r = ram.reset(seed=0)[0]
    assert r.shape == (REGISTRY["ALE/Pong-ram-v5"].obs_dim,) and 0 <= r.min() and r.max() <= 1
    assert ram.action_space.n == pix.action_space.n == REGISTRY["ALE/Pong-v5"].act_dim


def test_every_task_documents_its_default_network_and_method():
    for spec in REGISTRY.values():
        assert spec.note and spec.default_method


@pytest.mark.parametrize("env_id", ["ALE/Pong-v5", "ALE/Pong-ram-v5"])
def test_atari_episodes_are_a_pure_function_of_the_seed(env_id):
    import numpy as np

    def play(env, seed, n=150):
        obs = [env.reset(seed=seed)[0]]
        obs += [env.step(a)[0] for a in np.arange(n) % env.action_space.n]
        return np.stack(obs)

    used = make_env(env_id)
    play(used, 99)  # history must not matter
    a, b, c = play(make_env(env_id), 5), play(used, 5), play(used, 6)
    assert np.array_equal(a, b) and not np.array_equal(a, c)  # sticky actions / no-ops follow the seed


def test_fused_pong_pixels_equal_the_gymnasium_wrapper_stack_bit_for_bit():
    """``AtariPixels`` fuses SeededAtari + AtariPreprocessing + FrameStackObservation(4) into one loop:
    same frames, rewards and episode ends, over whole episodes (several seeds, one env reused)."""
    import numpy as np

    from evoscale.envs.atari import AtariPixels, reference_pixels

    fused, ref = AtariPixels("ALE/Pong-v5"), reference_pixels("ALE/Pong-v5")
    rng = np.random.default_rng(1)
    for seed in (5, 2**31 - 1):
        a, b = fused.reset(seed=seed)[0], ref.reset(seed=seed)[0]
        assert a.dtype == b.dtype and np.array_equal(a, b)
        for n in range(3_000):
            action = int(rng.integers(6))
            a, b = fused.step(action), ref.step(action)
            assert np.array_equal(a[0], b[0]) and a[1:4] == b[1:4], f"seed {seed}, step {n}"
            if a[2] or a[3]:
                break
        assert a[2], "a random Pong episode ends within 3,000 steps"
