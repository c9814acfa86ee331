import numpy as np
import pytest

from evoscale.policies import MLPPolicy, param_count


def test_param_count_of_the_seeds_network():
    assert param_count(obs=8, hidden=(64, 32), act=4) == 2788
    assert param_count(4, (), 2) == 10


def _forward_one(policy, theta, obs):
    """Plain per-individual forward written independently of the batched code."""
    h, k, dims = obs, 0, [policy.obs_dim, *policy.hidden, policy.act_dim]
    for j, (i, o) in enumerate(zip(dims[:-1], dims[1:])):
        W = theta[k : k + i * o].reshape(i, o)
        b = theta[k + i * o : k + i * o + o]
        k += i * o + o
        h = h @ W + b
        if j < len(dims) - 2:
            h = np.tanh(h)
    return h


@pytest.mark.parametrize("discrete", [True, False])
def test_batched_forward_equals_per_individual(discrete):
    rng = np.random.default_rng(1)
    kw = {} if discrete else dict(act_low=(-1.0, -2.0, -1.0, 0.0), act_high=(1.0, 2.0, 3.0, 1.0))
    policy = MLPPolicy(8, (64, 32), 4, discrete, **kw)
    pop = rng.normal(size=(17, policy.n_params))
    obs = rng.normal(size=(17, 8))
    actions = policy.forward(policy.unflatten(pop), obs)
    for p in range(17):
        out = _forward_one(policy, pop[p], obs[p])
        if discrete:
            assert actions[p] == np.argmax(out)
        else:
            low, high = np.array(kw["act_low"]), np.array(kw["act_high"])
            np.testing.assert_allclose(actions[p], low + (np.tanh(out) + 1) / 2 * (high - low), rtol=1e-12)
            assert np.all(actions[p] >= low) and np.all(actions[p] <= high)


def test_take_keeps_rows_bitwise():
    """Dropping finished episodes from the batch must not change the others' actions at all."""
    rng = np.random.default_rng(2)
    policy = MLPPolicy(8, (64, 32), 4, False, (-1.0,) * 4, (1.0,) * 4)
    pop, obs = rng.normal(size=(9, policy.n_params)), rng.normal(size=(9, 8))
    layers = policy.unflatten(pop)
    rows = np.array([1, 4, 8])
    assert np.array_equal(policy.forward(policy.take(layers, rows), obs[rows]), policy.forward(layers, obs)[rows])


def test_wrong_parameter_count_is_an_error():
    with pytest.raises(ValueError, match="2788"):
        MLPPolicy(8, (64, 32), 4, True).unflatten(np.zeros((2, 10)))


def _cuda_available():
    try:
        import torch

        return torch.cuda.is_available()
    except ImportError:
        return False


@pytest.mark.skipif(not _cuda_available(), reason="needs a CUDA GPU (run on the GPU machine)")
@pytest.mark.parametrize("discrete", [True, False])
def test_cuda_forward_matches_cpu(discrete):
    rng = np.random.default_rng(3)
    kw = {} if discrete else dict(act_low=(-1.0,) * 4, act_high=(1.0,) * 4)
    cpu, gpu = MLPPolicy(8, (64, 32), 4, discrete, **kw), MLPPolicy(8, (64, 32), 4, discrete, device="cuda", **kw)
    pop, obs = rng.normal(0, 0.3, (32, cpu.n_params)), rng.normal(size=(32, 8))
    a, b = cpu.forward(cpu.unflatten(pop), obs), gpu.forward(gpu.unflatten(pop), obs)
    rows = np.array([0, 5, 31])
    c = gpu.forward(gpu.take(gpu.unflatten(pop), rows), obs[rows])
    if discrete:
        assert np.mean(a == b) > 0.9  # fp32 on the GPU may flip near-ties
    else:
        np.testing.assert_allclose(a, b, atol=1e-4)
    assert np.array_equal(np.asarray(c), np.asarray(b)[rows]) or not discrete
