
import numpy as np
import pytest

from evoscale.trainers import openai_es
from evoscale.trainers.openai_es import OpenAIES, centered_ranks
from trainer_helpers import neg_sphere, run_trainer


def test_centered_ranks_span_minus_half_to_half_best_highest():
    assert np.array_equal(centered_ranks(np.array([3.0, -1.0, 10.0, 0.0, 5.0])), [0, -0.5, 0.5, -0.25, 0.25])


def test_mirrored_pairs_and_mean_update_match_the_papers_formulas_by_hand():
    """Two generations on a tiny problem, against Algorithm 2 + the reference code's Adam, written out."""
    n, P, sigma, lr, wd, b1, b2 = 3, 6, 0.5, 0.1, 0.01, 0.9, 0.999
    x0 = np.array([1.0, -2.0, 0.5])
    es = OpenAIES(n, P, sigma, lr=lr, weight_decay=wd, beta1=b1, beta2=b2, x0=x0)
    f = lambda x: -np.sum((x - np.array([0.3, 0.1, -0.7])) ** 2)  # noqa: E731
    state = es.init(7)
    theta, m, v = x0.copy(), np.zeros(n), np.zeros(n)
    for t in (1, 2):
        pop, state = es.ask(state)
        assert np.allclose(pop[0::2] - theta, -(pop[1::2] - theta))  # antithetic pairs
        F = np.array([f(x) for x in pop])
        state = es.tell(state, pop, F)
        # ranks by counting: u_i = #{j : F_j < F_i} / (P - 1) - 1/2 (no ties here)
        u = np.array([sum(F[j] < F[i] for j in range(P)) for i in range(P)]) / (P - 1) - 0.5
        g = sum(u[i] * (pop[i] - theta) / sigma for i in range(P)) / (P * sigma)
        assert np.allclose(state.grad, g, rtol=1e-12, atol=1e-14)
        d = -sigma * g + wd * theta
        m = b1 * m + (1 - b1) * d
        v = b2 * v + (1 - b2) * d**2
        theta = theta - lr * np.sqrt(1 - b2**t) / (1 - b1**t) * m / (np.sqrt(v) + 1e-8)
        assert np.allclose(es.solution(state), theta, rtol=1e-12, atol=1e-14)
    assert es.solution(state) is not state.mean  # a copy


def _centers_with_evotorch_pgpe(adam_epsilon, steps=5):
    """Drive EvoTorch's PGPE and feed its samples and fitnesses to our tell; both centers per step."""
    torch = pytest.importorskip("torch")
    evotorch = pytest.importorskip("evotorch")
    from evotorch.algorithms import PGPE

    n, P, sigma, lr = 4, 8, 0.3, 0.05
    x0 = np.array([1.0, -0.5, 2.0, 0.25])
    target = torch.tensor([0.2, 0.4, -0.3, 0.0], dtype=torch.float64)
    problem = evotorch.Problem("max", lambda x: -torch.sum((x - target) ** 2), solution_length=n,
                               initial_bounds=(-1, 1), dtype=torch.float64, seed=0)
    pgpe = PGPE(problem, popsize=P, center_learning_rate=lr, stdev_learning_rate=0.0, stdev_init=sigma,
                optimizer="adam", optimizer_config={"epsilon": adam_epsilon}, ranking_method="centered",
                symmetric=True, center_init=x0)
    es = OpenAIES(n, P, sigma, lr=lr, weight_decay=0.0, x0=x0)
    state = es.init(0)
    ours, theirs = [x0], [x0]
    pgpe.step()  # EvoTorch samples + evaluates generation 0; it moves the center on the next step()
    for _ in range(steps):
        samples = pgpe.population.values.numpy().copy()
        state = es.tell(state, samples, pgpe.population.evals[:, 0].numpy().copy())
        pgpe.step()  # the center update from those samples, then the next generation
        ours.append(es.solution(state))
        theirs.append(pgpe.status["center"].numpy().copy())
        assert np.array_equal(pgpe.status["stdev"].numpy(), np.full(n, sigma))  # stdev lr 0: fixed
    return np.array(ours), np.array(theirs)


def test_center_update_equals_evotorch_pgpe_on_the_same_samples(monkeypatch):
    """EvoTorch's PGPE(adam, centered, symmetric, stdev lr 0) moves the center as we do (weight_decay=0).

    Its gradient is sigma^2 g and its Adam (torch's) adds epsilon to the bias-corrected sqrt(v); the
    reference code's (ours) adds it to the raw sqrt(v). With epsilon 0 on both sides the two are the
    same update; with the default 1e-8 they differ by ~1e-5 of a step early on (sqrt(1-beta2^t) small).
    """
    monkeypatch.setattr(openai_es, "ADAM_EPSILON", 0.0)
    ours, theirs = _centers_with_evotorch_pgpe(adam_epsilon=0.0)
    assert np.allclose(ours, theirs, rtol=1e-12, atol=1e-13)
    assert np.linalg.norm(ours[-1] - ours[0]) > 0.1  # it did move
    monkeypatch.undo()
    ours, theirs = _centers_with_evotorch_pgpe(adam_epsilon=1e-8)
    steps_ours, steps_theirs = np.diff(ours, axis=0), np.diff(theirs, axis=0)
    assert np.allclose(steps_ours, steps_theirs, rtol=1e-4, atol=0)
    assert not np.array_equal(steps_ours, steps_theirs)


def test_improves_10d_sphere():
    es = OpenAIES(10, 20, 0.1, lr=0.05, x0=np.full(10, 3.0))
    state = run_trainer(es, neg_sphere, 300)
    assert -neg_sphere(es.solution(state)) < 0.01 * 90.0


@pytest.mark.parametrize("args, kwargs, name", [
    ((4, 5, 0.1), {}, "popsize"),
    ((4, 0, 0.1), {}, "popsize"),
    ((4, 8, 0.0), {}, "sigma0"),
    ((4, 8, -1.0), {}, "sigma0"),
    ((4, 8, 0.1), {"lr": 0.0}, "lr"),
    ((4, 8, 0.1), {"weight_decay": -0.1}, "weight_decay"),
    ((4, 8, 0.1), {"beta1": 1.0}, "beta1"),
    ((4, 8, 0.1), {"beta2": -0.1}, "beta2"),
    ((4, 8, 0.1), {"x0": np.zeros(3)}, "x0"),
])
def test_bad_hyper_parameters_name_themselves(args, kwargs, name):
    with pytest.raises(ValueError, match=name):
        OpenAIES(*args, **kwargs)


def test_tell_rejects_wrong_shapes():
    es = OpenAIES(4, 8, 0.1)
    state = es.init(0)
    pop, state = es.ask(state)
    with pytest.raises(ValueError, match="returns"):
        es.tell(state, pop, np.zeros(7))
