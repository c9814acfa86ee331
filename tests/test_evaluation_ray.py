import os
import signal
import threading
import time

import gymnasium
import numpy as np
import pytest

ray = pytest.importorskip("ray")

from evoscale.bench.evaluator import mixed_lander_population  # noqa: E402
from evoscale.evaluation import TRAIN, LockstepEvaluator, episode_seeds  # noqa: E402
from evoscale.evaluation.ray import RayEvaluator  # noqa: E402


@pytest.fixture(scope="module", autouse=True)
def ray_cluster():
    """One local 2-CPU cluster for the whole module (RayEvaluator must not shut it down)."""
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield
    ray.shutdown()


@pytest.fixture(scope="module")
def lander():
    """A 2-worker LunarLander evaluator shared by the fault tests, and a slow mixed population."""
    with RayEvaluator("LunarLander-v3", (64, 32), workers=2) as ev:
        population = mixed_lander_population(ev.policy, 16)  # half crash in ~100 steps, half hover to 1,000
        yield ev, population, LockstepEvaluator("LunarLander-v3", (64, 32)).evaluate(population, _seeds(16, 2))


def _seeds(p, e, generation=0):
    return episode_seeds(0, TRAIN, generation, p, e)


def _same(a, b):
    return np.array_equal(a.returns, b.returns) and np.array_equal(a.lengths, b.lengths)


@pytest.mark.parametrize("env_id,hidden", [("CartPole-v1", (8,)), ("LunarLander-v3", (64, 32))])
def test_identical_to_lockstep_bitwise(env_id, hidden):
    lock = LockstepEvaluator(env_id, hidden)
    with RayEvaluator(env_id, hidden, workers=2) as ev:
        assert ev.policy.n_params == lock.policy.n_params and ev.spec == lock.spec
        pop = np.random.default_rng(1).normal(0, 0.5, (7, ev.policy.n_params))  # 7 rows: uneven slices
        for p, e in [(7, 2), (1, 3)]:  # 1 row: fewer rows than workers
            a, b = ev.evaluate(pop[:p], _seeds(p, e)), lock.evaluate(pop[:p], _seeds(p, e))
            assert a.returns.shape == (p, e) and a.lengths.dtype == b.lengths.dtype
            assert _same(a, b)
    assert ray.is_initialized()  # close() leaves a Ray it did not start alone


def test_mixed_population_identical(lander):
    ev, population, expected = lander
    assert _same(ev.evaluate(population, _seeds(16, 2)), expected)


def test_worker_killed_between_and_during_evaluations_gives_identical_result(lander):
    ev, population, expected = lander
    before = ev.pids()
    os.kill(before[0], signal.SIGKILL)  # between two calls
    assert _same(ev.evaluate(population, _seeds(16, 2)), expected)
    during = ev.pids()
    assert during[0] != before[0] and during[1] == before[1]

    big = np.repeat(population, 4, axis=0)  # ~4x longer: each slice takes a second or more
    reference = LockstepEvaluator("LunarLander-v3", (64, 32)).evaluate(big, _seeds(64, 1))
    killer = threading.Timer(0.2, os.kill, (during[1], signal.SIGKILL))
    killer.start()
    t = time.perf_counter()
    result = ev.evaluate(big, _seeds(64, 1))
    killer.join()
    assert time.perf_counter() - t > 0.2  # the kill landed during the evaluation (slow slice: ~0.5 s+)
    assert _same(result, reference)
    assert ev.pids()[1] != during[1]


def test_environment_exception_reaches_the_driver_with_its_cause(lander):
    ev, population, expected = lander
    seeds = _seeds(16, 2)
    seeds[12, 1] = -1  # the second worker's env.reset(seed=-1) raises gymnasium.error.Error
    with pytest.raises(gymnasium.error.Error, match="Seed must be greater or equal to zero") as info:
        ev.evaluate(population, seeds)
    assert isinstance(info.value, ray.exceptions.RayTaskError)
    assert isinstance(info.value.cause, gymnasium.error.Error)
    assert _same(ev.evaluate(population, _seeds(16, 2)), expected)  # workers unharmed


def test_timeout_raises_quickly_and_the_evaluator_recovers(lander):
    ev, population, expected = lander
    ev.pids()  # actors up: the timeout below hits the evaluation itself
    ev.timeout_s = 0.05
    t = time.perf_counter()
    with pytest.raises(RuntimeError, match="timeout_s=0.05"):
        ev.evaluate(np.repeat(population, 4, axis=0), _seeds(64, 1))
    assert time.perf_counter() - t < 2.0
    ev.timeout_s = 60.0
    assert _same(ev.evaluate(population, _seeds(16, 2)), expected)  # fresh workers


def test_dead_worker_beyond_restarts_is_a_runtime_error(lander):
    ev, population, expected = lander
    ev.pids()
    ray.kill(ev._actors[0], no_restart=True)  # a worker Ray may not restart
    with pytest.raises(RuntimeError, match="Ray evaluation failed"):
        ev.evaluate(population, _seeds(16, 2))
    assert _same(ev.evaluate(population, _seeds(16, 2)), expected)


def test_invalid_arguments():
    with pytest.raises(ValueError, match="workers"):
        RayEvaluator("CartPole-v1", (4,), workers=0)
    with pytest.raises(ValueError, match="timeout_s"):
        RayEvaluator("CartPole-v1", (4,), timeout_s=0)


def test_too_few_free_cpus_fails_fast_instead_of_hanging(lander):
    lander[0].pids()  # the module's evaluator holds both CPUs of the test cluster
    with RayEvaluator("CartPole-v1", (8,), workers=2) as other:
        t = time.perf_counter()
        with pytest.raises(RuntimeError, match="free CPUs but workers=2"):
            other.evaluate(np.zeros((2, other.policy.n_params)), _seeds(2, 1))
        assert time.perf_counter() - t < 30


def test_training_on_ray_gives_the_same_records_as_lockstep(lander):
    from evoscale.config import RunConfig
    from evoscale.train import train

    lander[0].close()  # free the cluster's CPUs for the run's own evaluator (recreated on next use)
    timing = {"wall_s", "opt_s", "pop_eval_s", "test_wall_s", "cpu_s", "peak_mem_gib"}
    strip = lambda recs: [{k: (None if v != v else v) for k, v in r.items() if k not in timing} for r in recs]
    config = RunConfig(env="CartPole-v1", hidden=(8,), popsize=10, budget_evals=60, test_every=30, test_episodes=5)
    ray_config = config.replace(backend="ray", workers=2)
    assert strip(train(ray_config)) == strip(train(config))
    assert config.replace(workers=3).key() == config.key()  # worker count is not part of the result
