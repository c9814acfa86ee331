import gymnasium as gym
import numpy as np
import pytest

from evoscale.envs import get_spec, make_env, make_wrapped_env
from evoscale.envs.adapt import (BANDIT_ID, CARTPOLE_ID, CartPoleFlip, ReversalBandit, bandit_bounds,
                                 cartpole_references, feedforward_return)

WSLS = [0, 1, 0, 0, 1]  # first pull: arm 0; then win-stay, lose-shift (index 1 + 2 arm + reward)


def play(env, seed, actions):
    obs, info = env.reset(seed=seed)
    out = [(obs, 0.0, info["context"])]
    for a in actions:
        obs, r, terminated, _, info = env.step(a)
        out.append((obs, r, info["context"]))
        if terminated:
            break
    return out


def same(a, b):
    return all(np.array_equal(x[0], y[0]) and x[1:] == y[1:] for x, y in zip(a, b)) and len(a) == len(b)


@pytest.mark.parametrize("env_id", [BANDIT_ID, CARTPOLE_ID])
def test_registry_matches_the_environment(env_id):
    spec, env = get_spec(env_id), make_env(env_id)
    assert env.observation_space.shape == (spec.obs_dim,) and env.action_space.n == spec.act_dim
    assert gym.spec(env_id).max_episode_steps == spec.max_steps
    assert gym.spec(env_id).reward_threshold == spec.solved
    assert isinstance(make_wrapped_env(env_id).unwrapped, (ReversalBandit, CartPoleFlip))


@pytest.mark.parametrize("env_id", [BANDIT_ID, CARTPOLE_ID])
def test_episodes_are_a_pure_function_of_the_seed(env_id):
    actions = np.arange(100) % 3 % 2
    used = make_env(env_id)
    play(used, 99, actions[::-1])  # history must not matter
    a, b = play(make_env(env_id), 5, actions), play(used, 5, actions)
    assert same(a, b)
    contexts = {play(used, s, actions)[0][2] for s in range(20)}
    assert contexts == {0, 1}  # the hidden context varies with the seed


def test_bandit_luck_and_context_do_not_depend_on_the_actions():
    env = ReversalBandit()
    for seed in range(30):
        env.reset(seed=seed)
        good = [env.good_arm(t) for t in range(100)]
        a, b = play(env, seed, [0] * 100), play(env, seed, [1] * 100)
        assert [x[2] for x in a[1:]] == [x[2] for x in b[1:]] == good
        # one uniform number per pull decides either arm: where arm 1 is the good one, arm 0 pays
        # only where arm 1 would have paid too
        assert all(ra <= rb for (_, ra, g), (_, rb, _) in zip(a[1:], b[1:]) if g == 1)


def test_bandit_observation_is_previous_action_reward_and_evidence():
    env = ReversalBandit()
    obs, _ = env.reset(seed=0)
    assert np.array_equal(obs, [0, 0, 0])
    for a in (0, 1, 1, 0):
        obs, r, *_ = env.step(a)
        sign = 1.0 if a else -1.0
        assert np.array_equal(obs, np.float32([sign, r, sign * (2 * r - 1)]))


def test_bandit_switches_once_in_the_middle_half_with_switch_prob():
    env = ReversalBandit(trials=40, switch_prob=0.5)
    at = []
    for seed in range(400):
        env.reset(seed=seed)
        at.append(env.switch_at)
    at = np.array(at)
    swapped = at < 40
    assert 0.4 < swapped.mean() < 0.6 and at[swapped].min() >= 10 and at[swapped].max() < 30
    env = ReversalBandit(switch_prob=0.0)
    for seed in range(20):
        env.reset(seed=seed)
        assert env.switch_at == 100


def test_feedforward_return_is_exact():
    b = bandit_bounds()
    assert b["oracle"] == 80.0 and b["blind"] == 50.0 and b["feedforward_map"] == WSLS
    assert feedforward_return(np.zeros(5, int)) == pytest.approx(50.0, abs=1e-9)  # one fixed arm
    assert feedforward_return(np.array(WSLS)) == pytest.approx(b["feedforward"], abs=1e-12)
    # no switch and a lucky first arm: the fixed arm earns p_high every pull
    assert feedforward_return(np.zeros(5, int), switch_prob=0.0) == pytest.approx(50.0)
    # Monte Carlo on the environment agrees with the forward computation
    env, returns = ReversalBandit(), []
    for seed in range(3000):
        obs, _ = env.reset(seed=seed)
        total, done = 0.0, False
        while not done:
            index = 0 if obs[0] == 0 else 1 + 2 * int(obs[0] > 0) + int(obs[1])
            obs, r, done, _, _ = env.step(WSLS[index])
            total += r
        returns.append(total)
    se = np.std(returns) / np.sqrt(len(returns))
    assert abs(np.mean(returns) - b["feedforward"]) < 4 * se


def test_cartpole_flip_inverts_the_actions_and_reports_the_previous_action():
    flip, plain = CartPoleFlip(flip_prob=1.0), gym.make("CartPole-v1").unwrapped
    a, _ = flip.reset(seed=3)
    b, _ = plain.reset(seed=3)
    assert np.array_equal(a[:4], b) and a[4] == 0
    for action in (1, 1, 0):
        a, *_ = flip.step(action)
        b, *_ = plain.step(1 - action)
        assert np.array_equal(a[:4], b) and a[4] == (1.0 if action else -1.0)
    assert CartPoleFlip(flip_prob=0.0).reset(seed=3)[1]["context"] == 0


def test_cartpole_references():
    ref = cartpole_references(episodes=12)
    assert ref["oracle"] == 500.0 and ref["blind"] < 500.0 and 0 < ref["inverted_share"] < 1


@pytest.mark.parametrize("make,match", [
    (lambda: ReversalBandit(trials=3), "trials"), (lambda: ReversalBandit(trials=10.0), "trials"),
    (lambda: ReversalBandit(p_high=1.5), "p_high"), (lambda: ReversalBandit(p_low=-0.1), "p_low"),
    (lambda: ReversalBandit(p_high=0.3, p_low=0.3), "p_low must be smaller than p_high"),
    (lambda: ReversalBandit(switch_prob=2), "switch_prob"), (lambda: CartPoleFlip(flip_prob=-1), "flip_prob"),
])
def test_bad_arguments_name_the_parameter(make, match):
    with pytest.raises(ValueError, match=match):
        make()
