"""TorchCMAES: purecma's equations exactly, pycma-like performance, determinism, O(n^2) memory."""

import math
import pickle
import random

import numpy as np
import pytest
import torch
from cma import purecma

import cma
from evoscale.trainers.torch_cmaes import CMAParams, TorchCMAES


def sphere(X):
    return np.sum(X**2, axis=1)


def elli(X):  # condition number 1e6
    n = X.shape[1]
    return np.sum(10 ** (6 * np.arange(n) / (n - 1)) * X**2, axis=1)


def rosen(X):
    return np.sum(100 * (X[:, 1:] - X[:, :-1] ** 2) ** 2 + (1 - X[:, :-1]) ** 2, axis=1)


FUNCS = {"sphere": (sphere, 1.0), "elli": (elli, 1.0), "rosen": (rosen, 0.0)}  # f, x0 coordinate
SIGMA0, TARGET, MAXEVALS = 0.5, 1e-8, 100_000


def default_popsize(n):
    return 4 + int(3 * math.log(n))


def evals_torch(fname, n, seed):
    f, x0 = FUNCS[fname]
    t = TorchCMAES(n, default_popsize(n), SIGMA0, x0=np.full(n, x0), dtype="float64")
    state, evals = t.init(seed), 0
    while evals < MAXEVALS:
        X, state = t.ask(state)
        F = f(X)
        evals += len(F)
        if F.min() <= TARGET:
            return evals
        state = t.tell(state, X, -F)
    return math.inf


def evals_pycma(fname, n, seed):
    f, x0 = FUNCS[fname]
    es = cma.CMAEvolutionStrategy(np.full(n, x0), SIGMA0,
                                  {"seed": seed, "verbose": -9, "popsize": default_popsize(n)})
    evals = 0
    while evals < MAXEVALS:
        X = np.array(es.ask())
        F = f(X)
        evals += len(F)
        if F.min() <= TARGET:
            return evals
        es.tell(list(X), list(F))
    return math.inf


# Rosenbrock: seeds 1-3 reach the global optimum (f < 1e-8) from x0 = 0 for both implementations;
# other seeds may end in the known local optimum near x_1 = -1, which is not a bug.
# n = 40 on elli / rosen takes ~4,500 generations per run, so two seeds there (the suite stays fast).
@pytest.mark.parametrize("fname,n,seeds", [
    ("sphere", 10, (1, 2, 3)), ("sphere", 20, (1, 2, 3)), ("sphere", 40, (1, 2, 3)),
    ("elli", 10, (1, 2, 3)), ("elli", 40, (1, 2)), ("rosen", 10, (1, 2, 3)), ("rosen", 40, (1, 2)),
])
def test_reaches_1e_8_with_pycma_like_evaluations(fname, n, seeds):
    ours = [evals_torch(fname, n, s) for s in seeds]
    theirs = [evals_pycma(fname, n, s) for s in seeds]
    assert all(math.isfinite(e) for e in ours), ours
    assert all(math.isfinite(e) for e in theirs), theirs
    ratio = np.mean(ours) / np.mean(theirs)
    # Fair tolerance: we follow purecma (positive weights only), pycma's defaults add active CMA
    # (negative weights) and other learning rates, which saves ~1.3-1.5x evaluations on
    # ill-conditioned functions (measured ours / pycma: sphere 1.04-1.08, elli 1.4-1.55, rosen
    # 1.3-1.4; against pycma with CMA_active=False, elli-10 and rosen-10 are ~1.08); seed noise on
    # a 2-3-seed mean is ~5-10%. So [0.5, 2] catches a broken update (typically 3x-100x or no
    # convergence) without flagging the known algorithmic difference; exactness against purecma is
    # tested separately below.
    assert 0.5 <= ratio <= 2.0, (ours, theirs, ratio)


def test_tell_equals_purecma_given_the_same_populations():
    """Fed purecma's own samples, our state follows purecma's to rounding error (float64)."""
    n, lam = 8, 10
    x0 = [1.0] * n
    es = purecma.CMAES(x0, SIGMA0, popsize=lam, randn=random.Random(5).normalvariate)
    t = TorchCMAES(n, lam, SIGMA0, x0=np.array(x0), dtype="float64")
    state = t.init(0)
    p = t.params
    assert (p.mu, p.mueff, p.cc, p.cs, p.c1, p.cmu, p.damps, p.chiN, p.lazy_gap_evals) == (
        es.params.mu, es.params.mueff, es.params.cc, es.params.cs, es.params.c1, es.params.cmu,
        es.params.damps, es.params.chiN, es.params.lazy_gap_evals)
    assert list(p.weights) == es.params.weights[: p.mu]
    eigens = 0
    for _ in range(150):
        X = np.array(es.ask())
        _, state = t.ask(state)  # same lazy-eigendecomposition rule: decomposes when purecma does
        assert state.eigen_eval == es.C.updated_eval
        eigens += state.eigen_eval == state.counteval and state.counteval > 0
        F = elli(X)
        es.tell([list(x) for x in X], list(F))
        state = t.tell(state, X, -F)
        np.testing.assert_allclose(t.solution(state), es.xmean, rtol=1e-9, atol=1e-12)
        assert state.sigma == pytest.approx(es.sigma, rel=1e-9)
        np.testing.assert_allclose(state.ps.numpy(), es.ps, rtol=1e-7, atol=1e-10)
        np.testing.assert_allclose(state.pc.numpy(), es.pc, rtol=1e-7, atol=1e-12)
        C = np.tril(state.C.numpy())
        C = C + np.tril(C, -1).T  # only the lower triangle is ours
        np.testing.assert_allclose(C, np.array(es.C), rtol=1e-7, atol=1e-12 * np.abs(C).max())
    assert eigens > 20
    np.testing.assert_allclose(np.sort(state.D.numpy() ** 2), np.sort(es.C.eigenvalues), rtol=1e-7)


def test_default_float32_solves_ill_conditioned_problem():
    n = 20
    t = TorchCMAES(n, default_popsize(n), SIGMA0, x0=np.ones(n))  # float32 C and B
    assert t.init(0).C.dtype == torch.float32
    state, best = t.init(0), math.inf
    for _ in range(3000):
        X, state = t.ask(state)
        F = elli(X)
        best = min(best, F.min())
        if best <= TARGET:
            break
        state = t.tell(state, X, -F)
    assert best <= TARGET


def test_maximises_returns():
    t = TorchCMAES(5, 8, 0.3, x0=np.zeros(5), dtype="float64")
    state = t.init(0)
    for _ in range(200):
        X, state = t.ask(state)
        state = t.tell(state, X, -np.sum((X - 2.0) ** 2, axis=1))  # maximum at x = 2
    np.testing.assert_allclose(t.solution(state), 2.0, atol=1e-4)


def _run(t, seed, generations):
    state, pops = t.init(seed), []
    for _ in range(generations):
        X, state = t.ask(state)
        pops.append(X)
        state = t.tell(state, X, -sphere(X - 1))
    return state, pops


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_same_seed_identical_other_seed_different(dtype):
    t = TorchCMAES(6, 8, 0.5, dtype=dtype)
    (a, pa), (b, pb), (c, pc) = _run(t, 1, 30), _run(t, 1, 30), _run(t, 2, 30)
    assert a.eigen_eval > 0  # the eigendecomposition path is covered
    assert all(np.array_equal(x, y) for x, y in zip(pa, pb))
    assert np.array_equal(t.solution(a), t.solution(b)) and torch.equal(a.C, b.C)
    assert not np.array_equal(pa[0], pc[0])
    assert not np.array_equal(t.solution(a), t.solution(c))


def test_global_rngs_neither_used_nor_disturbed():
    t = TorchCMAES(6, 8, 0.5)
    torch.manual_seed(0)
    np.random.seed(0)
    s1, p1 = _run(t, 0, 5)
    torch.manual_seed(99)
    np.random.seed(99)
    s2, p2 = _run(t, 0, 5)
    assert all(np.array_equal(x, y) for x, y in zip(p1, p2))


@pytest.mark.parametrize("dtype,active", [("float32", False), ("float64", False), ("float32", True)])
def test_pickled_state_resumes_exactly(dtype, active):
    t = TorchCMAES(7, 9, 0.5, dtype=dtype, active=active)
    straight, pops = _run(t, 3, 40)
    half, _ = _run(t, 3, 20)
    half = pickle.loads(pickle.dumps(half))
    for g in range(20, 40):
        X, half = t.ask(half)
        assert np.array_equal(X, pops[g])
        half = t.tell(half, X, -sphere(X - 1))
    assert np.array_equal(t.solution(straight), t.solution(half))
    assert torch.equal(straight.C, half.C) and straight.sigma == half.sigma


def test_contract_types_and_shapes():
    t = TorchCMAES(5, 6, 0.5)
    state = t.init(0)
    X, state = t.ask(state)
    assert X.dtype == np.float64 and X.shape == (6, 5)
    state = t.tell(state, X, np.arange(6.0))
    x = t.solution(state)
    assert x.dtype == np.float64 and x.shape == (5,)
    with pytest.raises(ValueError, match="population"):
        t.tell(state, X[:5], np.arange(5.0))
    with pytest.raises(ValueError, match="returns"):
        t.tell(state, X, np.arange(5.0))


def test_x0_set_after_construction_is_used():
    t = TorchCMAES(4, 6, 0.5)
    t.x0 = np.full(4, 3.0)
    np.testing.assert_array_equal(t.solution(t.init(0)), 3.0)


@pytest.mark.parametrize("kwargs,name", [
    (dict(sigma0=0.0), "sigma0"), (dict(sigma0=-1.0), "sigma0"), (dict(sigma0=float("nan")), "sigma0"),
    (dict(popsize=1), "popsize"), (dict(dtype="float16"), "dtype"), (dict(device="tpu"), "device"),
    (dict(x0=np.zeros(3)), "x0"), (dict(n_params=0), "n_params"),
])
def test_validation_names_the_parameter(kwargs, name):
    args = dict(n_params=4, popsize=6, sigma0=0.5) | kwargs
    with pytest.raises(ValueError, match=name):
        TorchCMAES(**args)


@pytest.mark.skipif(torch.cuda.is_available(), reason="CUDA present")
def test_cuda_without_cuda_is_a_value_error():
    with pytest.raises(ValueError, match="device"):
        TorchCMAES(4, 6, 0.5, device="cuda")


def test_params_are_purecmas_defaults():
    p, q = CMAParams.default(40, 64), purecma.CMAESParameters(40, 64)
    assert (p.mu, p.mueff, p.cc, p.cs, p.c1, p.cmu, p.damps, p.chiN, p.lazy_gap_evals) == (
        q.mu, q.mueff, q.cc, q.cs, q.c1, q.cmu, q.damps, q.chiN, q.lazy_gap_evals)


def _largest_allocation(fn) -> int:
    """Largest net CPU allocation (bytes) of any single op while ``fn`` runs (torch profiler)."""
    from torch.profiler import ProfilerActivity, profile

    with profile(activities=[ProfilerActivity.CPU], profile_memory=True) as prof:
        fn()
    return max((e.cpu_memory_usage for e in prof.events()), default=0)


def test_no_n_by_n_temporaries_and_eigh_within_bounds():
    n, lam = 1000, 64
    t = TorchCMAES(n, lam, 0.5)  # float32
    state = t.init(0)
    X, state = t.ask(state)
    state = t.tell(state, X, -sphere(X))
    nn = n * n * 4

    def generation():
        X, _ = t.ask(state)
        t.tell(state, X, -sphere(X))

    assert state.counteval <= state.eigen_eval + t.params.lazy_gap_evals  # no eigh in this one
    largest = _largest_allocation(generation)
    # all per-generation buffers are O(lam n) (largest: the float64 [lam, n] population);
    # a [lam, n, n] tensor would be 64x nn, even one n x n temporary would be nn
    assert largest <= lam * n * 8 < nn / 4
    # the eigendecomposition: the new B (n^2) plus LAPACK syevd's workspace (~2 n^2)
    largest = _largest_allocation(lambda: t.eigendecompose(state))
    assert largest <= 3 * nn


def test_large_n_runs():
    n, lam = 3000, 64
    t = TorchCMAES(n, lam, 0.1)
    state = t.init(0)
    for _ in range(3):
        X, state = t.ask(state)
        assert X.shape == (lam, n) and np.all(np.isfinite(X))
        state = t.tell(state, X, -sphere(X))
    assert state.C.shape == (n, n) and state.C.dtype == torch.float32
    assert np.all(np.isfinite(t.solution(state)))


def test_inject_puts_migrants_first_and_clips_their_step_like_pycma():
    n, lam = 6, 8
    es = TorchCMAES(n, lam, 0.5, dtype="float64")
    s = es.init(0)
    near = np.full((2, n), 0.1)
    s = es.inject(s, near)
    pop, s = es.ask(s)
    assert np.array_equal(pop[:2], near) and s.n_injected == 2 and s.injected is None
    ref = es.init(0)  # the sampled rows are the ones a run without migrants draws
    ref_pop, _ = es.ask(ref)
    np.testing.assert_array_equal(pop[2:], ref_pop[2:])
    pop2, s = es.ask(es.tell(s, pop, -np.arange(lam, dtype=float)))  # migrants ranked best
    assert s.n_injected == 0  # one ask only

    far = es.init(0)  # a migrant 1,000 sigma away moves the mean no further than the clip allows
    far = es.inject(far, np.full((1, n), 500.0))
    pop, far = es.ask(far)
    upper = n**0.5 + 2 * n / (n + 2)
    clipped = es._clip_injected(far, pop)
    assert np.linalg.norm(clipped[0]) / 0.5 == pytest.approx(upper)  # C = I, mean 0: Mahalanobis = |x| / sigma
    np.testing.assert_array_equal(clipped[1:], pop[1:])
    far = es.tell(far, pop, np.r_[1.0, np.zeros(lam - 1)])
    assert np.abs(far.mean.numpy()).max() < 0.5 * upper
    restored = pickle.loads(pickle.dumps(es.inject(es.init(1), near)))
    assert np.array_equal(es.ask(restored)[0][:2], near)


@pytest.mark.parametrize("bad", [np.zeros((1, 5)), np.zeros((9, 6)), np.full((1, 6), np.nan), np.zeros((0, 6))])
def test_inject_rejects_bad_migrants(bad):
    es = TorchCMAES(6, 8, 0.5)
    with pytest.raises(ValueError, match="inject"):
        es.inject(es.init(0), bad)


def tablet(X):  # the first coordinate 1e6 times the others'
    return 1e6 * X[:, 0] ** 2 + np.sum(X[:, 1:] ** 2, axis=1)


def _evals_to_target(make_step, f, n, seed):
    """Evaluations until the best of a generation is below 1e-8, from x0 = 1, sigma0 = 1 (pycma's own
    test set-up for elli and tablet)."""
    evals, ask_tell = 0, make_step(seed)
    while evals < MAXEVALS:
        X, tell = ask_tell()
        F = f(X)
        evals += len(F)
        if F.min() < TARGET:
            return evals
        tell(F)
    return math.inf


def _ours(n, active):
    def make(seed):
        t = TorchCMAES(n, default_popsize(n), 1.0, x0=np.ones(n), dtype="float64", active=active)
        box = [t.init(seed)]

        def ask_tell():
            X, box[0] = t.ask(box[0])
            return X, lambda F: box.__setitem__(0, t.tell(box[0], X, -F))
        return ask_tell
    return make


def _pycma(n):
    def make(seed):
        es = cma.CMAEvolutionStrategy(np.ones(n), 1.0, {"seed": seed + 1, "verbose": -9})

        def ask_tell():
            X = np.array(es.ask())
            return X, lambda F: es.tell(list(X), list(F))
        return ask_tell
    return make


@pytest.mark.parametrize("f", [elli, tablet], ids=["elli", "tablet"])
def test_active_cma_needs_pycmas_evaluations_at_10d(f):
    """Active CMA closes the gap to pycma's defaults (median of 10 seeds, 10-D): within 1.15x, where
    purecma's positive weights alone need about 1.4x (elli) and 1.9x (tablet). 40-D: ``bench active``."""
    n, seeds = 10, range(10)
    active = np.median([_evals_to_target(_ours(n, True), f, n, s) for s in seeds])
    passive = np.median([_evals_to_target(_ours(n, False), f, n, s) for s in seeds])
    theirs = np.median([_evals_to_target(_pycma(n), f, n, s) for s in seeds])
    assert active / theirs <= 1.15, (active, theirs)
    assert passive / theirs > 1.3, (passive, theirs)  # the gap active CMA closes is real here


def test_active_weights_follow_the_tutorial_and_keep_c_positive_definite():
    n, lam = 12, 16
    p, q = CMAParams.default(n, lam, active=True), CMAParams.default(n, lam)
    assert p.weights == q.weights and q.neg_weights == () and len(p.neg_weights) == lam - p.mu
    assert all(w < 0 for w in p.neg_weights) and list(p.neg_weights) == sorted(p.neg_weights, reverse=True)
    bound = min(1 + p.c1 / p.cmu, (1 - p.c1 - p.cmu) / (n * p.cmu))  # eq. (53)'s limits
    assert -sum(p.neg_weights) <= bound + 1e-12
    t = TorchCMAES(n, lam, 0.5, dtype="float64", active=True)
    state = t.init(0)
    for _ in range(300):
        X, state = t.ask(state)
        state = t.tell(state, X, -elli(X - 1))
        assert torch.linalg.eigvalsh(state.C).min() > 0
    assert np.abs(t.solution(state) - 1).max() < 1e-2  # and it converges


def test_active_is_off_by_default_and_validated():
    a, b = TorchCMAES(6, 8, 0.5), TorchCMAES(6, 8, 0.5, active=False)
    (sa, pa), (sb, pb) = _run(a, 1, 20), _run(b, 1, 20)
    assert all(np.array_equal(x, y) for x, y in zip(pa, pb)) and torch.equal(sa.C, sb.C)
    (sc, _) = _run(TorchCMAES(6, 8, 0.5, active=True), 1, 20)
    assert not torch.equal(sa.C, sc.C)
    with pytest.raises(ValueError, match="active"):
        TorchCMAES(6, 8, 0.5, active=1)
