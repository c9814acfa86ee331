"""The EnvPool evaluator backend: episodes a pure function of their seed, the Gymnasium backends'
returns in distribution (not per episode), its own cache key, and clear errors.

EnvPool is optional (``make bench-compiled`` installs it); without it only the tests that need no
EnvPool run, and the backend's error names the make target.
"""

import importlib.util
import sys

import numpy as np
import pytest

from evoscale.bench import compiled
from evoscale.config import RunConfig
from evoscale.evaluation import TRAIN, episode_seeds, make_evaluator
from evoscale.evaluation.envpool import TASKS, EnvPoolEvaluator, consecutive_runs, make_pool
from evoscale.evaluation.seeds import CONTIGUOUS_SPAN
from evoscale.train import resolve

needs_envpool = pytest.mark.skipif(importlib.util.find_spec("envpool") is None,
                                   reason="EnvPool is optional: `make bench-compiled` installs it")


def _population(n_params, size=8, seed=0, scale=0.5):
    return np.random.default_rng(seed).normal(0, scale, (size, n_params))


def test_contiguous_seeds_are_one_run_and_a_pure_function_of_their_coordinates():
    a = episode_seeds(3, TRAIN, 7, 5, 2, contiguous=True)
    assert np.array_equal(a, episode_seeds(3, TRAIN, 7, 5, 2, contiguous=True))
    assert np.array_equal(a.ravel(), a.flat[0] + np.arange(10))
    assert 0 <= a.min() and a.max() < 2**31  # EnvPool takes int32 seeds
    assert a.flat[0] < CONTIGUOUS_SPAN
    assert a.flat[0] != episode_seeds(3, TRAIN, 8, 5, 2, contiguous=True).flat[0]
    assert a.flat[0] != episode_seeds(4, TRAIN, 7, 5, 2, contiguous=True).flat[0]
    with pytest.raises(ValueError, match="2\\*\\*24"):
        episode_seeds(0, TRAIN, 0, 2**13, 2**12, contiguous=True)


def test_consecutive_runs_split_at_gaps_and_at_the_width():
    assert consecutive_runs(np.array([5, 6, 7, 9, 10, 3]), 10) == [(0, 3), (3, 5), (5, 6)]
    assert consecutive_runs(np.arange(7), 3) == [(0, 3), (3, 6), (6, 7)]


def test_without_envpool_the_backend_says_how_to_get_it(monkeypatch):
    monkeypatch.setitem(sys.modules, "envpool", None)  # import envpool -> ImportError
    with pytest.raises(ValueError, match="make bench-compiled"):
        make_evaluator(RunConfig(env="CartPole-v1", hidden=(4,), backend="envpool"))


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match="backend 'envpool' has no 'ReversalBandit-v0'"):
        resolve(RunConfig(env="ReversalBandit-v0", method="neuromod", hidden=(4,), backend="envpool"))
    with pytest.raises(ValueError, match="unknown backend 'envpol'"):
        resolve(RunConfig(env="CartPole-v1", backend="envpol"))


@needs_envpool
def test_every_task_has_the_registry_spaces_and_cap():
    from evoscale.envs import get_spec

    for task in TASKS:
        spec, pool = get_spec(task), make_pool(task, 1, 0)
        assert pool.observation_space.shape == (spec.obs_dim,)
        assert pool.spec.config.max_episode_steps == spec.max_steps
        assert (pool.action_space.n if spec.discrete else pool.action_space.shape[0]) == spec.act_dim


@needs_envpool
def test_pool_env_i_of_seed_s_starts_like_env_0_of_seed_s_plus_i():
    obs, info = make_pool("LunarLander-v3", 4, 100).reset()
    alone = make_pool("LunarLander-v3", 1, 103).reset()[0]
    assert np.array_equal(obs[np.argsort(info["env_id"])][3], alone[0])


@needs_envpool
@pytest.mark.parametrize("env_id,hidden", [("CartPole-v1", (8,)), ("LunarLander-v3", (16,)),
                                           ("BipedalWalker-v3", (8,))])
def test_each_episode_is_a_pure_function_of_its_seed_whatever_the_pool(env_id, hidden):
    ev = EnvPoolEvaluator(env_id, hidden)
    pop = _population(ev.policy.n_params)
    seeds = episode_seeds(0, TRAIN, 0, len(pop), 2, contiguous=True)
    a = ev.evaluate(pop, seeds)
    assert np.array_equal(a.returns, ev.evaluate(pop, seeds).returns)  # repeatable
    narrow = EnvPoolEvaluator(env_id, hidden, width=3).evaluate(pop, seeds)  # other pools
    assert np.array_equal(a.returns, narrow.returns) and np.array_equal(a.lengths, narrow.lengths)
    one = ev.evaluate(pop[5:6], seeds[5:6, 1:2])  # alone in its pool
    assert one.returns[0, 0] == a.returns[5, 1] and one.lengths[0, 0] == a.lengths[5, 1]
    scattered = ev.evaluate(pop[::-1], seeds[::-1])  # no consecutive seeds: a pool per episode
    assert np.array_equal(scattered.returns[::-1], a.returns)
    assert (a.lengths >= 1).all() and (a.lengths <= ev.spec.max_steps).all()


@needs_envpool
def test_training_on_envpool_is_deterministic_and_hashed_apart_from_gymnasium():
    from evoscale.train import train

    config = RunConfig(method="cmaes", env="CartPole-v1", hidden=(4,), popsize=8, budget_evals=48,
                       test_every=0, test_episodes=5, backend="envpool")
    a, b = train(config), train(config)
    assert [r["best_return"] for r in a] == [r["best_return"] for r in b]
    assert a[-1]["test_return"] == b[-1]["test_return"]
    gym = train(config.replace(backend="lockstep"))
    assert config.key() != config.replace(backend="lockstep").key()
    assert [r["best_return"] for r in a] != [r["best_return"] for r in gym]  # other episodes


@needs_envpool
@pytest.mark.parametrize("task,policy,episodes", [("CartPole-v1", "random", 300), ("CartPole-v1", "heuristic", 300),
                                                  ("LunarLander-v3", "heuristic", 200),
                                                  ("BipedalWalker-v3", "random", 60)])
def test_returns_are_statistically_indistinguishable_from_gymnasium(task, policy, episodes):
    row = compiled.equivalence(task, policy, episodes)
    assert not row["resolved"] and row["p_lo"] <= 0.5 <= row["p_hi"], row
    assert row["ks_p"] > 0.01, row


@needs_envpool
@pytest.mark.parametrize("task", ["CartPole-v1", "LunarLander-v3"])
def test_the_check_tells_a_different_simulator_apart(task):
    """Negative control: the heuristic's actions mirrored on EnvPool's side must be resolved."""
    row = compiled.equivalence(task, "heuristic", 60, swap_actions=True)
    assert row["resolved"] and row["p_hi"] < 0.5 and row["ks_p"] < 1e-3, row


@needs_envpool
def test_equivalence_bad_arguments():
    with pytest.raises(ValueError, match="unknown policy 'greedy'"):
        compiled.equivalence("CartPole-v1", "greedy", 10)
    with pytest.raises(ValueError, match="episodes"):
        compiled.equivalence("CartPole-v1", "random", 1)
    with pytest.raises(ValueError, match="negative control"):
        compiled.equivalence("CartPole-v1", "random", 10, swap_actions=True)
    with pytest.raises(ValueError, match="no heuristic controller"):
        compiled.equivalence("BipedalWalker-v3", "heuristic", 10)
    with pytest.raises(ValueError, match="int32"):
        make_pool("CartPole-v1", 4, 2**31 - 2)


@needs_envpool
def test_trained_policy_and_speed_report_on_a_tiny_budget(monkeypatch):
    monkeypatch.setitem(compiled.TRAIN_EVALS, "CartPole-v1", 64)
    row = compiled.equivalence("CartPole-v1", "trained", 20)
    assert row["episodes"] == 20 and np.isfinite(row["mean_envpool"])
    speed = compiled.backend_speed("CartPole-v1", popsize=8, seconds=0.05, rounds=2, log=lambda *a: None)
    assert speed["envpool_steps_per_s"] > 0 and speed["lockstep_steps_per_s"] > 0
    assert speed["ratio_min"] <= speed["ratio"] <= speed["ratio_max"]
    assert len(speed["ratios"]) == 2 and min(speed["ratios"]) == speed["ratio_min"]  # per round, for chapter 8's test
