"""The JAX backend (gymnax CartPole + the MLP in one compiled loop) against the lockstep evaluator."""

import numpy as np
import pytest

from evoscale.config import RunConfig
from evoscale.evaluation import TRAIN, LockstepEvaluator, episode_seeds, make_evaluator
from evoscale.evaluation.jax import JaxEvaluator


def balancer(n_params: int, gain: float, eps: float = 0.01) -> np.ndarray:
    """MLP 4-16-2 weights for "push right when theta + gain * theta_dot > 0" (long episodes)."""
    theta = np.zeros(n_params)
    W1 = np.zeros((4, 16))
    W1[2, 0], W1[3, 0] = eps, eps * gain
    k = 4 * 16 + 16
    theta[: 4 * 16] = W1.ravel()
    W2 = np.zeros((16, 2))
    W2[0, 1] = 1 / eps
    theta[k : k + 32] = W2.ravel()
    return theta


@pytest.fixture(scope="module")
def population():
    n = LockstepEvaluator("CartPole-v1", (16,)).policy.n_params
    rng = np.random.default_rng(0)
    good = [balancer(n, g) for g in np.linspace(0.2, 3.0, 12)]
    return np.vstack([rng.normal(0, 0.5, (12, n)), *good])


def test_returns_equal_the_lockstep_evaluators(population):
    """Same weights, same start states: the same episodes, except that rounding (XLA's tanh differs
    from glibc's by an ulp in about half the values, and XLA fuses a * b + c) may tip the end of a
    long episode that hovers at a termination boundary: one of these 48 (500 vs 493 steps)."""
    seeds = episode_seeds(3, TRAIN, 0, len(population), 2)
    ours = make_evaluator(RunConfig(env="CartPole-v1", hidden=(16,), backend="jax")).evaluate(population, seeds)
    theirs = LockstepEvaluator("CartPole-v1", (16,)).evaluate(population, seeds)
    assert theirs.lengths.max() == 500 and theirs.lengths.min() < 50  # capped and crashed episodes
    np.testing.assert_array_equal(ours.returns, ours.lengths)  # reward 1 per step, as Gymnasium's
    same = ours.lengths == theirs.lengths
    assert same[theirs.lengths < 100].all()  # every short episode is the same
    assert same.mean() >= 0.95 and abs(ours.returns.mean() / theirs.returns.mean() - 1) < 0.01


def test_masking_counts_and_float32_mode(population):
    seeds = episode_seeds(4, TRAIN, 0, len(population), 1)
    ev = JaxEvaluator("CartPole-v1", (16,), dtype="float32")
    result = ev.evaluate(population, seeds)
    reference = LockstepEvaluator("CartPole-v1", (16,)).evaluate(population, seeds)
    assert ev.last_computed_steps == len(population) * result.lengths.max() >= result.env_steps
    assert np.mean(result.lengths == reference.lengths) >= 0.75  # float32 physics: mostly the same episodes
    device = JaxEvaluator("CartPole-v1", (16,), resets="jax").evaluate(population, seeds)
    assert device.returns.shape == (len(population), 1) and device.lengths.min() >= 1


def test_auto_reset_rollout_counts_every_step():
    from evoscale.evaluation.jax import auto_reset_rollout

    ev = JaxEvaluator("CartPole-v1", (16,), dtype="float32")
    run = auto_reset_rollout(ev.env, ev.env_params, ev.forward, steps=50)
    thetas = np.random.default_rng(0).normal(0, 0.5, (8, ev.n_params)).astype(np.float32)
    assert float(run(thetas, np.arange(8, dtype=np.uint32))) == 8 * 50  # reward 1 per step


@pytest.mark.parametrize("kwargs,match", [
    (dict(env_id="LunarLander-v3"), "no port"), (dict(env_id="CartPol-v1"), "unknown env"),
    (dict(policy="neuromod"), "mlp"), (dict(dtype="float16"), "dtype"), (dict(resets="numpy"), "resets"),
    (dict(device="tpu"), "device"),
])
def test_bad_arguments_are_value_errors(kwargs, match):
    with pytest.raises(ValueError, match=match):
        JaxEvaluator(**{"env_id": "CartPole-v1", "hidden": (16,), **kwargs})


def test_cuda_without_a_jax_gpu_is_a_value_error():
    import jax

    if any(d.platform == "gpu" for d in jax.devices()):
        pytest.skip("a JAX GPU is present")
    with pytest.raises(ValueError, match="GPU"):
        JaxEvaluator("CartPole-v1", (16,), device="cuda")


def test_bad_shapes_are_value_errors(population):
    ev = JaxEvaluator("CartPole-v1", (16,))
    with pytest.raises(ValueError, match="population"):
        ev.evaluate(population[:, :5], episode_seeds(0, TRAIN, 0, len(population), 1))
    with pytest.raises(ValueError, match="seeds"):
        ev.evaluate(population, episode_seeds(0, TRAIN, 0, 3, 1))


def test_bench_jax_checks_its_arguments_first():
    """(The benchmark itself runs in chapter 8's smoke profile, tests/test_book.py.)"""
    from evoscale.bench.gpu import bench_jax

    for kw, match in ((dict(popsizes=(0,)), "popsize"), (dict(rounds=0), "rounds"), (dict(seconds=0), "seconds"),
                      (dict(env_id="LunarLander-v3"), "no port")):
        with pytest.raises(ValueError, match=match):
            bench_jax(**kw, log=lambda m: None)
