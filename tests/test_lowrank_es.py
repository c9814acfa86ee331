"""Low-rank ES (EGGROLL's perturbations A B^T / sqrt(r) on OpenAI-ES's update) and the population in
factored form it asks: its expectation against OpenAI-ES's, the factored forward against the dense
one, determinism, resume, the non-finite check. The registry-wide tests (test_trainers, test_train,
test_guards, test_runs) cover it too, with the MLP's layout."""

import pickle

import numpy as np
import pytest

from evoscale.evaluation import LockstepEvaluator, SerialEvaluator, episode_seeds
from evoscale.policies import LowRankPopulation, MLPPolicy
from evoscale.train import check_finite, peak_bytes
from evoscale.trainers import hyper_names, make_trainer
from evoscale.trainers.lowrank_es import LowRankES
from evoscale.trainers.openai_es import OpenAIES
from trainer_helpers import neg_sphere, run_trainer

LAYOUT = ((3, 2), (2, 2))  # W 3x2, b 2, W 2x2, b 2: 14 parameters, full rank 2
N = 14


def _quadratic(X):
    return -np.sum(np.asarray(X) ** 2, axis=1)


def _mean_estimates(es, theta, utility, seeds):
    """Mean and standard error over ``seeds`` of one generation's estimate at ``theta``."""
    G = []
    for seed in seeds:
        state = es.init(seed)
        population, state = es.ask(state)
        G.append(utility(es, population))
    G = np.array(G)
    return G.mean(axis=0), G.std(axis=0, ddof=1) / np.sqrt(len(G))


def _raw(es, population):
    """1/(P sigma) sum_i F_i eps_i with the raw fitness F as utility (no ranks)."""
    F = _quadratic(population)
    if isinstance(es, LowRankES):
        return es.estimate(es.x0, population, F)
    return F @ ((population - es.x0) / es.sigma0) / (es.popsize * es.sigma0)


def _ranked(es, population):
    return es.gradient(es.x0, population, _quadratic(population))


@pytest.mark.parametrize("rank", [2, 1])
def test_gradient_expectation_equals_openai_es_on_a_quadratic(rank):
    """With the fitness itself as utility, E[g] = grad F(theta) = -2 theta for both estimators on
    F = -|x|^2 (antithetic pairs cancel the quadratic term; E[eps eps^T] = I at every rank): at full rank
    (2) and at rank 1. Tolerance: 5 standard errors of the difference, per coordinate."""
    theta = np.linspace(-1.0, 1.0, N)
    low = LowRankES(N, 8, 0.5, rank=rank, layout=LAYOUT, x0=theta)
    ref = OpenAIES(N, 8, 0.5, x0=theta)
    m_low, se_low = _mean_estimates(low, theta, _raw, range(3000))
    m_ref, se_ref = _mean_estimates(ref, theta, _raw, range(10_000, 13_000))
    assert np.all(np.abs(m_low - m_ref) <= 5 * np.hypot(se_low, se_ref))
    assert np.all(np.abs(m_low - (-2 * theta)) <= 5 * se_low)
    assert np.all(se_low < 0.1)  # the test has power: 0.5 of a coordinate's 2 |theta| range would fail


def test_centred_ranks_expectation_approaches_openai_es_as_the_rank_grows():
    """With centred ranks (the update tell makes) the expectation depends on the noise's distribution,
    not only its covariance: A B^T / sqrt(r) is not Gaussian (a sum of r products of normals), so even at
    full rank the weights' mean step is shorter than OpenAI-ES's (~0.89 of it here), in the same direction,
    and it converges to OpenAI-ES's as r grows (EGGROLL's O(1/r)); the biases, full noise, agree."""
    theta = np.linspace(-1.0, 1.0, N)
    m_ref, se_ref = _mean_estimates(OpenAIES(N, 8, 0.5, x0=theta), theta, _ranked, range(10_000, 12_000))
    z, ratio = {}, {}
    for rank in (2, 64):
        m, se = _mean_estimates(LowRankES(N, 8, 0.5, rank=rank, layout=LAYOUT, x0=theta), theta, _ranked, range(2000))
        z[rank] = np.abs(m - m_ref) / np.hypot(se, se_ref)
        ratio[rank] = np.linalg.norm(m) / np.linalg.norm(m_ref)
        assert m @ m_ref / (np.linalg.norm(m) * np.linalg.norm(m_ref)) > 0.98
    assert z[2].max() > 5 and ratio[2] < 0.95  # full rank: measurably shorter
    assert z[64].max() < 5 and abs(ratio[64] - 1) < 0.05  # rank 64: within 5 standard errors


def _policy(discrete=True):
    return MLPPolicy(3, (5, 4), 2, discrete, None if discrete else (-1.0, -2.0), None if discrete else (1.0, 2.0))


def _population(policy, rank=1, P=8, sigma=0.4, seed=0):
    es = make_trainer("lowrank_es", policy.n_params, P, sigma, {"rank": rank}, layout=policy.layout)
    state = es.init(seed)
    state.mean = np.random.default_rng(seed + 100).normal(size=policy.n_params)
    return es.ask(state)[0]


@pytest.mark.parametrize("sigma", [0.05, 1.0])
@pytest.mark.parametrize("rank", [1, 3, 7])
def test_factored_forward_equals_the_dense_forward(rank, sigma, monkeypatch):
    """The network's outputs (before the actions), the factored stacks against the dense ones of the
    same perturbed parameters, to 1e-5; also after take and put, as the lockstep evaluator uses them."""
    from evoscale.policies import mlp

    monkeypatch.setattr(mlp, "to_actions", lambda out, *args: out)
    policy = _policy()
    pop = _population(policy, rank, sigma=sigma)
    dense = np.asarray(pop)
    assert dense.shape == (8, policy.n_params)
    obs = np.random.default_rng(1).normal(size=(8, 3))
    factored = policy.unflatten(pop)
    assert type(factored[0]).__name__ == "FactoredLayer"
    out = policy.forward(factored, obs)
    np.testing.assert_allclose(out, policy.forward(policy.unflatten(dense), obs), rtol=1e-5, atol=1e-5)
    assert np.ptp(out, axis=0).min() > 1e-3  # the members differ
    rows, src = np.array([5, 2, 2]), policy.unflatten(pop)
    taken = policy.take(factored, rows)
    np.testing.assert_allclose(policy.forward(taken, obs[:3]), policy.forward(policy.unflatten(dense[rows]), obs[:3]),
                               rtol=1e-5, atol=1e-5)
    policy.put(taken, [0, 2], src, np.array([7, 1]))
    np.testing.assert_allclose(policy.forward(taken, obs[:3]),
                               policy.forward(policy.unflatten(dense[[7, 2, 1]]), obs[:3]), rtol=1e-5, atol=1e-5)
    assert np.array_equal(policy.forward(factored, obs), out)  # take and put copied, never wrote the source


def test_actions_of_the_factored_forward_equal_the_dense_ones():
    for policy in (_policy(True), _policy(False)):
        pop = _population(policy, 2)
        obs = np.random.default_rng(2).normal(size=(8, 3))
        np.testing.assert_allclose(policy.forward(policy.unflatten(pop), obs),
                                   policy.forward(policy.unflatten(np.asarray(pop)), obs), rtol=1e-9, atol=1e-9)


def test_the_dense_population_is_centre_plus_sigma_times_the_low_rank_noise():
    policy = _policy()
    pop = _population(policy, rank=2, sigma=0.3)
    (i, o), A, B, e = pop.layout[0], pop.A[0], pop.B[0], pop.e[0]
    dense = np.asarray(pop)
    W = dense[:, : i * o].reshape(-1, i, o)
    np.testing.assert_allclose(W, pop.centre[: i * o].reshape(i, o) + 0.3 / np.sqrt(2) * A @ B.swapaxes(1, 2),
                               rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(dense[:, i * o : i * o + o], pop.centre[i * o : i * o + o] + 0.3 * e, rtol=1e-12)
    assert np.array_equal(A[0::2], -A[1::2]) and np.array_equal(B[0::2], B[1::2])  # mirrored pairs
    assert np.allclose(dense[0::2] - pop.centre, -(dense[1::2] - pop.centre))
    assert np.linalg.matrix_rank(W[0] - pop.centre[: i * o].reshape(i, o)) == 2  # rank r


def test_the_population_behaves_as_its_dense_matrix():
    pop = _population(_policy(), rank=2)
    dense = np.asarray(pop)
    assert len(pop) == 8 and pop.shape == dense.shape
    assert np.array_equal(pop[3], dense[3])
    assert isinstance(pop[2:5], LowRankPopulation) and np.array_equal(np.asarray(pop[2:5]), dense[2:5])
    assert np.array_equal(np.asarray(pop[[6, 1]]), dense[[6, 1]])
    assert np.array_equal(pop[:, 4], dense[:, 4])
    assert np.array_equal(np.array([x for x in pop]), dense)
    assert np.array_equal(np.asarray(pickle.loads(pickle.dumps(pop))), dense)
    assert _population(_policy(), rank=1).row_bytes == 8 * ((3 + 5) + 5 + (5 + 4) + 4 + (4 + 2) + 2)


def test_tell_on_the_factored_population_equals_tell_on_its_dense_matrix():
    policy = _policy()
    es = make_trainer("lowrank_es", policy.n_params, 8, 0.4, {"rank": 3}, layout=policy.layout)
    state = es.init(4)
    pop, state = es.ask(state)
    returns = np.random.default_rng(0).normal(size=8)
    a, b = es.tell(state, pop, returns), es.tell(state, np.asarray(pop), returns)
    np.testing.assert_allclose(a.grad, b.grad, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(a.mean, b.mean, rtol=1e-9, atol=1e-12)


def test_without_a_layout_it_is_openai_es_bit_for_bit():
    """A bare vector (no matrices) is perturbed fully: OpenAI-ES's draws, populations and update."""
    a, b = LowRankES(6, 8, 0.5, rank=3), OpenAIES(6, 8, 0.5)
    sa, sb = run_trainer(a, neg_sphere, 4, 1), run_trainer(b, neg_sphere, 4, 1)
    assert np.array_equal(a.solution(sa), b.solution(sb))
    assert isinstance(a.ask(sa)[0], np.ndarray)


def _run(es, generations, seed=0, state=None):
    return run_trainer(es, lambda x: neg_sphere(x - 0.5), generations, seed, state)


def test_same_seed_same_run_other_seed_another_and_exact_resume():
    policy = _policy()
    es = make_trainer("lowrank_es", policy.n_params, 8, 0.4, {"rank": 2}, layout=policy.layout)
    a, b, c = _run(es, 5, 1), _run(es, 5, 1), _run(es, 5, 2)
    assert np.array_equal(a.mean, b.mean) and not np.array_equal(a.mean, c.mean)
    assert np.array_equal(np.asarray(es.ask(a)[0]), np.asarray(es.ask(b)[0]))
    half = pickle.loads(pickle.dumps(_run(es, 3, 1)))
    resumed = _run(es, 2, state=half)
    for x, y in ((resumed.mean, a.mean), (resumed.adam_m, a.adam_m), (resumed.adam_v, a.adam_v), (resumed.grad, a.grad)):
        assert np.array_equal(x, y)
    assert resumed.adam_t == a.adam_t == 5


def test_it_improves_a_sphere():
    policy = MLPPolicy(4, (6,), 3, True)  # 51 parameters
    es = make_trainer("lowrank_es", policy.n_params, 20, 0.1, {"lr": 0.05, "rank": 1}, layout=policy.layout)
    es.x0 = np.full(policy.n_params, 1.0)
    state = run_trainer(es, neg_sphere, 300)
    assert -neg_sphere(es.solution(state)) < 0.05 * policy.n_params


def test_finite_rows_finds_nan_inf_and_overflow_without_the_dense_matrix():
    pop = _population(_policy(), rank=2)
    assert pop.finite_rows().all()
    A = [a.copy() for a in pop.A]
    A[1][3, 0, 1] = np.nan
    e = [x.copy() for x in pop.e]
    e[0][5, 1] = np.inf
    bad = LowRankPopulation(pop.centre, pop.layout, pop.sigma, tuple(A), pop.B, tuple(e))
    assert np.array_equal(np.flatnonzero(~bad.finite_rows()), [3, 5])
    assert np.array_equal(bad.finite_rows(), np.isfinite(np.asarray(bad)).all(axis=1))
    A[1][3, 0, 1], e[0][5, 1] = 1e300, 0.0  # finite factors whose product overflows, in member 3 only
    B = [b.copy() for b in pop.B]
    B[1][3, :, :] = 1e300
    big = LowRankPopulation(pop.centre, pop.layout, pop.sigma, tuple(A), tuple(B), tuple(e))
    assert np.array_equal(np.flatnonzero(~big.finite_rows()), [3])
    from evoscale.config import RunConfig
    from evoscale.train import DivergedError

    with pytest.raises(DivergedError, match="individual 3's parameter vector"):
        check_finite(big, "individual {i}'s parameter vector", RunConfig(method="lowrank_es"), 0)


def test_lockstep_and_serial_evaluators_run_it_factored_with_the_dense_returns():
    ev = LockstepEvaluator("CartPole-v1", (6,))
    es = make_trainer("lowrank_es", ev.policy.n_params, 6, 0.5, {"rank": 2}, layout=ev.policy.layout)
    pop, _ = es.ask(es.init(0))
    seeds = episode_seeds(0, 0, 0, 6, 2)
    dense = ev.evaluate(np.asarray(pop), seeds)
    factored = ev.evaluate(pop, seeds)
    assert np.array_equal(factored.returns, dense.returns) and np.array_equal(factored.lengths, dense.lengths)
    assert ev.batch_width(12, pop.row_bytes) == 12  # every job in one batch: the rows share the centre
    serial = SerialEvaluator("CartPole-v1", (6,)).evaluate(pop[:3], seeds[:3])
    assert np.array_equal(serial.returns, dense.returns[:3])


def test_layout_is_no_hyper_parameter_and_rank_and_layout_are_checked():
    assert "rank" in hyper_names("lowrank_es") and "layout" not in hyper_names("lowrank_es")
    with pytest.raises(ValueError, match="rank"):
        LowRankES(N, 8, 0.1, rank=0, layout=LAYOUT)
    with pytest.raises(ValueError, match="rank"):
        LowRankES(N, 8, 0.1, rank=1.5, layout=LAYOUT)
    with pytest.raises(ValueError, match="layout"):
        LowRankES(N + 1, 8, 0.1, layout=LAYOUT)
    with pytest.raises(ValueError, match="popsize"):
        LowRankES(N, 7, 0.1, layout=LAYOUT)
    es = LowRankES(N, 8, 0.1, layout=LAYOUT)
    pop, state = es.ask(es.init(0))
    with pytest.raises(ValueError, match="returns"):
        es.tell(state, pop, np.zeros(7))
    assert peak_bytes("lowrank_es", 10**7, 64) < peak_bytes("openai_es", 10**7, 64) / 20


def test_the_torch_forward_keeps_the_factored_form():
    """The MLP's torch path (a GPU's; ``device="cpu:0"`` takes it on the CPU, float32): factored stacks
    as tensors, outputs as the dense path's, take and put as on numpy."""
    pytest.importorskip("torch")
    policy = MLPPolicy(3, (5, 4), 2, False, (-1.0, -1.0), (1.0, 1.0), device="cpu:0")
    pop = _population(policy, rank=2)
    obs = np.random.default_rng(0).normal(size=(8, 3))
    factored, dense = policy.unflatten(pop), policy.unflatten(np.asarray(pop))
    assert type(factored[0]).__name__ == "FactoredLayer" and type(factored[0].W).__name__ == "Tensor"
    np.testing.assert_allclose(policy.forward(factored, obs), policy.forward(dense, obs), rtol=1e-5, atol=1e-5)
    taken = policy.take(factored, np.array([3, 1]))
    policy.put(taken, [0], factored, np.array([5]))
    np.testing.assert_allclose(policy.forward(taken, obs[:2]), policy.forward(policy.take(dense, np.array([5, 1])), obs[:2]),
                               rtol=1e-5, atol=1e-5)
