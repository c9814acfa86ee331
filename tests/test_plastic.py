import numpy as np
import pytest

from evoscale.policies import RULE_TERMS, MLPPolicy, NeuromodPolicy, genome_layout, layer_sizes, param_count
from policy_helpers import assert_batched_equals_single

BOX = dict(act_low=(-1.0, -2.0, 0.0), act_high=(1.0, 2.0, 3.0))


def _genome(policy, rng, scale=0.5, **fixed):
    """Random genome with the named layout entries set to constants (e.g. ``eta0=0.0``)."""
    theta = rng.normal(0, scale, policy.n_params)
    for name, value in fixed.items():
        theta[policy.layout[name][0]] = value
    return theta


def _set_all(policy, theta, term, value):
    for l in range(len(policy.hidden) + 1):
        theta[..., policy.layout[f"{term}{l}"][0]] = value
    return theta


@pytest.mark.parametrize("evolve_init", [True, False])
def test_n_params_matches_the_layout(evolve_init):
    for obs, hidden, act in [(8, (64, 32), 4), (2, (3,), 2), (4, (), 2)]:
        sizes, m_in = layer_sizes(obs, hidden, act), (hidden[-1] if hidden else obs)
        init = param_count(obs, hidden, act) if evolve_init else 0
        syn = sum(i * o for i, o in sizes)
        for rule, plastic in [("per_layer", 5 * len(sizes)), ("per_synapse", 5 * syn)]:
            policy = NeuromodPolicy(obs, hidden, act, True, rule=rule, evolve_init=evolve_init)
            layout = genome_layout(obs, hidden, act, rule, evolve_init)
            assert policy.n_params == init + plastic + m_in + 1
            slices = [s for s, _ in layout.values()]  # contiguous, in order, sized by their shapes
            assert slices[0].start == 0 and slices[-1].stop == policy.n_params
            assert all(a.stop == b.start for a, b in zip(slices, slices[1:]))
            assert all(s.stop - s.start == int(np.prod(shape)) for s, shape in layout.values())
    assert NeuromodPolicy(8, (64, 32), 4, True).n_params == 2836
    assert NeuromodPolicy(8, (64, 32), 4, True, rule="per_synapse").n_params == 16261


def test_bad_inputs_are_errors():
    with pytest.raises(ValueError, match="rule"):
        NeuromodPolicy(2, (3,), 2, True, rule="hebb")
    with pytest.raises(ValueError, match="31"):
        NeuromodPolicy(2, (3,), 2, True).unflatten(np.zeros((2, 5)))


@pytest.mark.parametrize("silence", ["eta", "ABCD"])
@pytest.mark.parametrize("rule", ["per_layer", "per_synapse"])
@pytest.mark.parametrize("discrete", [True, False])
def test_without_plasticity_it_is_the_mlp(silence, rule, discrete):
    rng = np.random.default_rng(0)
    kw = {} if discrete else BOX
    policy = NeuromodPolicy(5, (16, 8), 3, discrete, rule=rule, **kw)
    mlp = MLPPolicy(5, (16, 8), 3, discrete, **kw)
    pop = np.stack([_genome(policy, rng) for _ in range(6)])
    for term in (["eta"] if silence == "eta" else ["A", "B", "C", "D"]):
        _set_all(policy, pop, term, 0.0)
    state, layers = policy.unflatten(pop), mlp.unflatten(pop[:, : mlp.n_params])  # MLP genome = prefix
    for _ in range(5):
        obs = rng.normal(size=(6, 5))
        assert np.array_equal(policy.forward(state, obs), mlp.forward(layers, obs))
    for W, (W_mlp, _) in zip(state.W, layers):
        assert np.array_equal(W, W_mlp)


@pytest.mark.parametrize("rule", ["per_layer", "per_synapse"])
@pytest.mark.parametrize("hidden", [(16, 8), ()])
def test_batched_equals_one_individual_at_a_time(rule, hidden):
    rng = np.random.default_rng(1)
    policy = NeuromodPolicy(5, hidden, 3, False, rule=rule, **BOX)
    P = 7
    pop = np.stack([_genome(policy, rng) for _ in range(P)])
    batch, singles = assert_batched_equals_single(policy, pop, rng)
    for p in range(P):
        for W, W1 in zip(batch.W, singles[p].W):
            np.testing.assert_allclose(W[p], W1[0], rtol=1e-12, atol=1e-14)
    assert not np.allclose(batch.W[0], policy.unflatten(pop).W[0])  # the weights did change


def test_take_rows_are_independent_copies():
    rng = np.random.default_rng(2)
    policy = NeuromodPolicy(5, (16, 8), 3, True, rule="per_synapse")
    pop = np.stack([_genome(policy, rng) for _ in range(3)])
    pop_before, state = pop.copy(), policy.unflatten(pop)
    jobs = policy.take(state, np.array([0, 0, 1, 1, 2, 2]))  # 2 episodes per individual
    policy.forward(jobs, rng.normal(size=(6, 5)))
    assert np.array_equal(pop, pop_before)  # the genome is never written
    assert all(np.array_equal(W, W0) for W, W0 in zip(state.W, policy.unflatten(pop).W))  # nor the source
    assert not np.array_equal(jobs.W[0][0], jobs.W[0][1])  # same individual, own fast weights
    # dropping rows mid-episode: the survivors go on exactly as in the full batch
    kept, obs = policy.take(jobs, np.array([1, 4])), rng.normal(size=(6, 5))
    assert np.array_equal(policy.forward(kept, obs[[1, 4]]), policy.forward(jobs, obs)[[1, 4]])
    assert all(np.array_equal(Wk, Wj[[1, 4]]) for Wk, Wj in zip(kept.W, jobs.W))
    policy.forward(kept, obs[[1, 4]])  # updating the taken rows leaves the batch they came from alone
    assert not np.array_equal(kept.W[0][0], jobs.W[0][1])


@pytest.mark.parametrize("rule", ["per_layer", "per_synapse"])
def test_one_hebbian_update_by_hand(rule):
    """obs 2 -> hidden (3,) -> act 2, every term of the rule written out with loops."""
    rng = np.random.default_rng(3)
    policy = NeuromodPolicy(2, (3,), 2, True, rule=rule)
    theta = _genome(policy, rng)
    get = lambda name: theta[policy.layout[name][0]].reshape(policy.layout[name][1])
    obs = np.array([0.3, -0.7])
    W0, b0, W1, b1 = get("W0"), get("b0"), get("W1"), get("b1")
    h = np.tanh(obs @ W0 + b0)
    logits = h @ W1 + b1
    m = np.tanh(sum(get("mod_w")[k] * h[k] for k in range(3)) + get("mod_b"))
    state = policy.unflatten(theta)
    assert policy.forward(state, obs[None])[0] == np.argmax(logits)
    for l, (W, pre, post) in enumerate([(W0, obs, h), (W1, h, np.tanh(logits))]):
        A, B, C, D, eta = (np.broadcast_to(get(f"{t}{l}"), W.shape) for t in RULE_TERMS)
        expected = W.copy()
        for i in range(W.shape[0]):
            for o in range(W.shape[1]):
                expected[i, o] += eta[i, o] * m * (
                    A[i, o] * pre[i] * post[o] + B[i, o] * pre[i] + C[i, o] * post[o] + D[i, o])
        assert not np.allclose(expected, W)
        np.testing.assert_allclose(state.W[l][0], expected, rtol=1e-13, atol=1e-15)


def test_zero_init_starts_from_zero_weights():
    policy = NeuromodPolicy(2, (3,), 2, True, evolve_init=False)
    theta = np.zeros(policy.n_params)
    _set_all(policy, theta, "eta", 1.0)
    _set_all(policy, theta, "D", 0.5)
    theta[policy.layout["mod_b"][0]] = 1.0
    state = policy.unflatten(theta)
    assert all(not W.any() and not b.any() for W, b in zip(state.W, state.b))
    policy.forward(state, np.array([[1.0, -1.0]]))
    for W in state.W:  # only D acts on the first step: dW = eta * tanh(mod_b) * D everywhere
        np.testing.assert_allclose(W, np.tanh(1.0) * 0.5)


@pytest.mark.parametrize("rule", ["per_layer", "per_synapse"])
def test_fast_weights_stay_bounded(rule):
    rng = np.random.default_rng(4)
    policy = NeuromodPolicy(5, (16, 8), 3, False, rule=rule, w_max=2.0, **BOX)
    pop = np.stack([_genome(policy, rng, scale=3.0) for _ in range(4)])  # initial weights beyond w_max too
    state = policy.unflatten(pop)
    assert all(np.abs(W).max() <= 2.0 for W in state.W)
    for _ in range(30):
        actions = policy.forward(state, rng.normal(0, 3, size=(4, 5)))
        assert all(np.abs(W).max() <= 2.0 for W in state.W)
        assert np.all(np.isfinite(actions))
    assert any(np.isclose(np.abs(W), 2.0).any() for W in state.W)  # the bound is reached, not vacuous
