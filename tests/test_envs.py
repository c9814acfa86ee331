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
    import gymnasium as gym

    assert gym.spec(env_id).max_episode_steps == spec.max_steps
    assert gym.spec(env_id).reward_threshold in (spec.solved, None)


def test_pong_is_registered_and_makes():
    env = make_env("ALE/Pong-v5")
    assert env.action_space.n == REGISTRY["ALE/Pong-v5"].act_dim
