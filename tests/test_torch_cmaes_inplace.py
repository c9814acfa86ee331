"""TorchCMAES(eigen_inplace=True): the layout for n = 100,000 on one GPU follows the default layout
to rounding error and needs one n x n matrix less during the eigendecomposition."""

import numpy as np
import pytest
import torch

from evoscale.trainers.torch_cmaes import TorchCMAES


def elli(X):
    n = X.shape[1]
    return np.sum(10 ** (6 * np.arange(n) / (n - 1)) * X**2, axis=1)


def test_inplace_layout_follows_the_default_one_given_the_same_populations():
    """Eigenvectors come with arbitrary signs, so the two layouts sample different (equally
    distributed) populations; told the same ones, their states agree to rounding error."""
    kw = dict(n_params=10, popsize=10, sigma0=0.5, dtype="float64")
    ta, tb = TorchCMAES(**kw), TorchCMAES(**kw, eigen_inplace=True)
    a, b = ta.init(1), tb.init(1)
    for _ in range(300):
        X, a = ta.ask(a)
        _, b = tb.ask(b)  # same lazy rule: decomposes when the default layout does
        a, b = ta.tell(a, X, -elli(X - 1)), tb.tell(b, X, -elli(X - 1))
        np.testing.assert_allclose(tb.solution(b), ta.solution(a), rtol=1e-9, atol=1e-12)
        assert b.sigma == pytest.approx(a.sigma, rel=1e-9)
        np.testing.assert_allclose(b.ps.numpy(), a.ps.numpy(), rtol=1e-6, atol=1e-9)
    assert b.eigen_eval == a.eigen_eval > 2000  # many decompositions happened
    lower = np.tril(a.C.numpy())
    np.testing.assert_allclose(np.tril(b.C.numpy()), lower, rtol=1e-6, atol=1e-9 * np.abs(lower).max())
    np.testing.assert_allclose(b.D.numpy(), a.D.numpy(), rtol=1e-6)
    Ba, Bb = a.B.numpy(), b.B.numpy()
    np.testing.assert_allclose(np.abs(Bb.T @ Ba), np.eye(10), atol=1e-6)  # same basis up to signs


def test_inplace_float32_solves_an_ill_conditioned_problem():
    n = 20
    t = TorchCMAES(n, 4 + int(3 * np.log(n)), 0.5, x0=np.ones(n), eigen_inplace=True)
    state, best = t.init(0), np.inf
    for _ in range(3000):
        X, state = t.ask(state)
        F = elli(X)
        best = min(best, F.min())
        if best <= 1e-8:
            break
        state = t.tell(state, X, -F)
    assert best <= 1e-8


def _peak_bytes(fn) -> int:
    """Peak of the net CPU memory torch allocated while ``fn`` ran (profiler allocation events)."""
    from torch.profiler import ProfilerActivity, profile

    with profile(activities=[ProfilerActivity.CPU], profile_memory=True) as prof:
        fn()
    events = sorted((e.start_ns(), e.nbytes()) for e in prof.profiler.kineto_results.events()
                    if e.name() == "[memory]")
    held = peak = 0
    for _, nbytes in events:
        held += nbytes
        peak = max(peak, held)
    return peak


@pytest.mark.parametrize("inplace,most", [(False, 3.1), (True, 2.1)])
def test_eigendecomposition_peak_memory(inplace, most):
    """Beyond C and B already held: default, a new B (n^2) plus LAPACK syevd's workspace (2 n^2);
    in place, the workspace only (C's storage becomes B, the rebuilt C takes the old B's place)."""
    n = 1000
    t = TorchCMAES(n, 64, 0.5, eigen_inplace=inplace)
    state = t.init(0)
    X, state = t.ask(state)
    state = t.tell(state, X, -np.sum(X**2, axis=1))
    state.B = None if inplace else state.B  # the in-place layout frees B inside; count from the same start
    peak = _peak_bytes(lambda: t.eigendecompose(state))
    assert 1.9 <= peak / (n * n * 4) <= most
    assert state.C.shape == state.B.shape == (n, n) and torch.isfinite(state.C).all()


def test_eigen_inplace_must_be_a_bool():
    with pytest.raises(ValueError, match="eigen_inplace"):
        TorchCMAES(4, 6, 0.5, eigen_inplace="yes")
