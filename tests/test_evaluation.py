import numpy as np
import pytest

from evoscale.config import RunConfig
from evoscale.evaluation import EVAL, TRAIN, LockstepEvaluator, SerialEvaluator, episode_seeds, make_evaluator


def _population(n_params, size=12, seed=0, scale=0.5):
    return np.random.default_rng(seed).normal(0, scale, (size, n_params))


def test_seeds_are_a_pure_function_of_their_coordinates():
    a = episode_seeds(3, TRAIN, 7, 5, 2)
    assert np.array_equal(a, episode_seeds(3, TRAIN, 7, 5, 2))
    assert a.shape == (5, 2) and len(np.unique(a)) == 10
    assert not np.array_equal(a, episode_seeds(4, TRAIN, 7, 5, 2))
    assert not np.array_equal(a, episode_seeds(3, EVAL, 7, 5, 2))
    assert np.array_equal(a[:3], episode_seeds(3, TRAIN, 7, 3, 2))  # a slice of the population: same seeds


@pytest.mark.parametrize("env_id,hidden", [("CartPole-v1", (8,)), ("LunarLander-v3", (16,)),
                                           ("BipedalWalker-v3", (8,))])
def test_lockstep_equals_serial_reference(env_id, hidden):
    lock, ser = LockstepEvaluator(env_id, hidden), SerialEvaluator(env_id, hidden)
    pop = _population(lock.policy.n_params, size=5)
    seeds = episode_seeds(0, TRAIN, 0, 5, 2)
    a, b = lock.evaluate(pop, seeds), ser.evaluate(pop, seeds)
    assert np.array_equal(a.returns, b.returns)
    assert np.array_equal(a.lengths, b.lengths)
    assert a.env_steps == b.lengths.sum() and a.episodes == 10


def test_evaluator_determinism_same_seed_same_returns_other_seed_different():
    ev = LockstepEvaluator("LunarLander-v3", (64, 32))
    pop = _population(ev.policy.n_params)
    r1 = ev.evaluate(pop, episode_seeds(0, TRAIN, 0, len(pop), 1))
    r2 = LockstepEvaluator("LunarLander-v3", (64, 32)).evaluate(pop, episode_seeds(0, TRAIN, 0, len(pop), 1))
    r3 = ev.evaluate(pop, episode_seeds(1, TRAIN, 0, len(pop), 1))
    assert np.array_equal(r1.returns, r2.returns)
    assert not np.array_equal(r1.returns, r3.returns)


def test_episode_cap_is_enforced():
    import dataclasses

    ev = LockstepEvaluator("CartPole-v1", (4,))
    ev.spec = dataclasses.replace(ev.spec, max_steps=5)  # no CartPole episode falls within 5 steps
    result = ev.evaluate(_population(ev.policy.n_params, size=6), episode_seeds(0, TRAIN, 0, 6, 2))
    assert np.all(result.lengths == 5)


def test_unknown_backend():
    with pytest.raises(ValueError, match="lockstep"):
        make_evaluator(RunConfig(env="CartPole-v1", hidden=(4,), backend="threads"))


@pytest.mark.parametrize("rule", ["per_layer", "per_synapse"])
def test_plastic_policy_lockstep_equals_serial_with_fresh_state_per_episode(rule):
    lock = LockstepEvaluator("CartPole-v1", (8,), policy="neuromod", rule=rule)
    ser = SerialEvaluator("CartPole-v1", (8,), policy="neuromod", rule=rule)
    pop = _population(lock.policy.n_params, size=4, scale=0.3)
    seeds = episode_seeds(0, TRAIN, 0, 4, 3)
    a, b = lock.evaluate(pop, seeds), ser.evaluate(pop, seeds)
    assert np.array_equal(a.returns, b.returns) and np.array_equal(a.lengths, b.lengths)


@pytest.mark.parametrize("env_id,hidden,episodes", [("LunarLander-v3", (64, 32), 2), ("Humanoid-v5", (256, 256), 2),
                                                    ("BipedalWalker-v3", (40, 40), 1)])
def test_lockstep_any_width_equals_serial_reference(env_id, hidden, episodes):
    """Episodes in flight (``width``) only schedule the jobs: rows taken over by waiting jobs (weights
    put in place, environment reset) and finished rows leaving the batch never change a result."""
    if env_id == "Humanoid-v5":
        pytest.importorskip("mujoco")
    ser = SerialEvaluator(env_id, hidden)
    pop = _population(ser.policy.n_params, size=7, scale=0.1 if env_id == "Humanoid-v5" else 0.5)
    seeds = episode_seeds(0, TRAIN, 0, 7, episodes)
    ref = ser.evaluate(pop, seeds)
    assert len(np.unique(ref.lengths)) > 1  # episodes end at different steps: rows are refilled and dropped
    default = LockstepEvaluator(env_id, hidden)
    expected = {"Humanoid-v5": 1, "BipedalWalker-v3": 4}.get(env_id, 7 * episodes)  # 1.3 MB rows; max_width
    assert default.batch_width(7 * episodes) == expected
    for ev in [default] + [LockstepEvaluator(env_id, hidden, width=w) for w in (1, 3, 100)]:
        for _ in range(2):  # a second call reuses the environments
            got = ev.evaluate(pop, seeds)
            assert np.array_equal(got.returns, ref.returns) and np.array_equal(got.lengths, ref.lengths)


@pytest.mark.parametrize("rule", ["per_layer", "per_synapse"])
def test_plastic_lockstep_narrow_batch_gives_each_new_episode_a_fresh_state(rule):
    ser = SerialEvaluator("CartPole-v1", (8,), policy="neuromod", rule=rule)
    pop = _population(ser.policy.n_params, size=5, scale=0.3)
    seeds = episode_seeds(0, TRAIN, 0, 5, 2)
    ref = ser.evaluate(pop, seeds)
    for w in (1, 3):
        got = LockstepEvaluator("CartPole-v1", (8,), policy="neuromod", rule=rule, width=w).evaluate(pop, seeds)
        assert np.array_equal(got.returns, ref.returns) and np.array_equal(got.lengths, ref.lengths)


def test_width_must_be_positive():
    with pytest.raises(ValueError, match="width"):
        LockstepEvaluator("CartPole-v1", (4,), width=0)


def test_task_max_width_caps_the_default_batch_but_not_an_explicit_width():
    from evoscale.envs import get_spec

    assert get_spec("ALE/Pong-v5").max_width == 4 and get_spec("LunarLander-v3").max_width is None
    assert LockstepEvaluator("BipedalWalker-v3", (40, 40)).batch_width(64) == get_spec("BipedalWalker-v3").max_width
    assert LockstepEvaluator("BipedalWalker-v3", (40, 40), width=64).batch_width(64) == 64
    assert LockstepEvaluator("LunarLander-v3", (64, 32)).batch_width(64) == 64


def test_lockstep_timer_hook_sees_every_step_reset_and_forward_and_changes_nothing():
    calls = {"env": 0, "network": 0}

    def timer(kind, fn):
        def call(*args, **kw):
            calls[kind] += 1
            return fn(*args, **kw)
        return call

    timed, plain = LockstepEvaluator("CartPole-v1", (4,), timer=timer), LockstepEvaluator("CartPole-v1", (4,))
    pop, seeds = _population(timed.policy.n_params, size=5), episode_seeds(0, TRAIN, 0, 5, 2)
    a, b = timed.evaluate(pop, seeds), plain.evaluate(pop, seeds)
    assert np.array_equal(a.returns, b.returns) and np.array_equal(a.lengths, b.lengths)
    assert calls["env"] == a.env_steps + a.episodes  # every step and every reset
    assert calls["network"] == a.lengths.max()  # one batched forward per lockstep step
