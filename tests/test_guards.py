"""Nothing non-finite passes the loop: a NaN/inf parameter vector is an error before it is evaluated,
a NaN return is an error, both naming method, generation and individual; and every trainer ranks a
NaN return worst (never best, as centered ranks did)."""

import dataclasses
import warnings

import numpy as np
import pytest

import evoscale.train as train_module
from evoscale.config import RunConfig
from evoscale.policies import LowRankPopulation
from evoscale.train import DivergedError, train
from evoscale.trainers import REGISTRY, make_trainer

CONFIG = dict(env="CartPole-v1", hidden=(4,), popsize=8, budget_evals=48, test_every=16, test_episodes=2)


def _wrap_build(monkeypatch, bad_row=None, bad_return=None, generation=1):
    """``train.build`` whose trainer asks a NaN row ``bad_row`` / whose evaluator returns NaN for
    ``bad_return`` at ``generation``; returns the list of populations the evaluator saw."""
    real_build, seen = train_module.build, []

    def build(config, backend=None):
        evaluator, trainer, n = real_build(config, backend)
        real_ask, real_evaluate, gen = trainer.ask, evaluator.evaluate, [0]

        def ask(state):
            population, state = real_ask(state)
            if bad_row is not None and gen[0] == generation:
                population = _with_nan(population, bad_row)
            gen[0] += 1
            return population, state

        def evaluate(population, seeds):
            seen.append(np.array(population))
            result = real_evaluate(population, seeds)
            if bad_return is not None and len(seen) - 1 == generation:
                result.returns[bad_return, 0] = np.nan
            return result

        trainer.ask, evaluator.evaluate = ask, evaluate
        return evaluator, trainer, n

    monkeypatch.setattr(train_module, "build", build)
    return seen


def _with_nan(population, row):
    """``population`` with a NaN in member ``row``: entry (row, 1) of a dense matrix; in a factored one
    (``policies.LowRankPopulation``), its first weight factor's first entry."""
    if isinstance(population, LowRankPopulation):
        A = [a.copy() for a in population.A]
        A[0][row, 0, 0] = np.nan
        return dataclasses.replace(population, A=tuple(A))
    population = population.copy()
    population[row, 1] = np.nan
    return population


@pytest.mark.parametrize("method", sorted(REGISTRY))
def test_a_non_finite_parameter_vector_stops_the_run_before_it_is_evaluated(method, monkeypatch):
    seen = _wrap_build(monkeypatch, bad_row=3)
    with pytest.raises(DivergedError, match=f"{method} on CartPole-v1.*generation 1, individual 3's parameter"):
        train(RunConfig(method=method, **CONFIG))
    assert all(np.isfinite(p).all() for p in seen)


@pytest.mark.parametrize("method", sorted(REGISTRY))
def test_a_non_finite_return_stops_the_run(method, monkeypatch):
    _wrap_build(monkeypatch, bad_return=2)
    with pytest.raises(DivergedError, match=f"{method} on CartPole-v1.*generation 1, individual 2's return"):
        train(RunConfig(method=method, **CONFIG))


def test_a_diverging_learning_rate_is_an_error_not_a_finite_looking_run():
    """The reported case: OpenAI-ES with lr 1e200 turned every parameter NaN and exited 0."""
    config = RunConfig(method="openai_es", env="CartPole-v1", popsize=8, budget_evals=160, hyper={"lr": 1e200})
    with pytest.raises(DivergedError, match="openai_es on CartPole-v1 .* diverged: generation \\d+, "):
        train(config)


@pytest.mark.parametrize("method", sorted(REGISTRY))
def test_a_nan_return_ranks_worst(method):
    """tell() with a NaN return behaves exactly as with a return below all others."""
    nexts = []
    for bad in (np.nan, -1e9):
        trainer = make_trainer(method, 6, 8, 0.5, layout=((2, 2),))  # lowrank_es: a 2x2 matrix and its bias
        state = trainer.init(0)
        population, state = trainer.ask(state)
        returns = np.arange(8.0)
        returns[5] = bad
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            state = trainer.tell(state, population, returns)
        nexts.append((trainer.ask(state)[0], trainer.solution(state)))
    assert np.array_equal(nexts[0][0], nexts[1][0]) and np.array_equal(nexts[0][1], nexts[1][1])
