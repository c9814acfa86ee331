"""Full-covariance CMA-ES in torch, memory-lean: pycma's ``purecma`` equations on torch tensors.

The algorithm, its default strategy parameters (recombination weights, ``mueff``, ``cc``, ``cs``,
``c1``, ``cmu``, ``damps``, ``chiN``), its update order and its lazy eigendecomposition rule are
those of ``cma.purecma`` (Hansen, pycma, ``cma/more_algorithms/purecma.py``), which is the readable
reference implementation of Hansen 2016, "The CMA Evolution Strategy: A Tutorial"
(arXiv:1604.00772). Like purecma (and unlike pycma's defaults) it uses positive recombination
weights only by default; ``active=True`` adds active CMA (the tutorial's negative weights for the
lam - mu worst steps, as pycma does by default). It keeps purecma's squared-norm step-size rule
``sigma *= exp(min(1, cs/damps * (|ps|^2/n - 1) / 2))``.

What is maximised: the returns handed to ``tell`` (higher is better). Internally, like pycma, the
strategy minimises ``-returns``.

Per generation (``lam = popsize``, ``mu = lam // 2``):

* ask: every ``lazy_gap_evals = 0.5 * lam / ((c1 + cmu) * n)`` evaluations (purecma's rule, i.e.
  every ``0.5 / ((c1 + cmu) n)`` generations; pycma waits ``0.1 / ((c1 + cmu) n)``) ``C`` is
  eigendecomposed with ``torch.linalg.eigh``, ``C = B diag(D^2) B^T``; then
  ``x_k = m + sigma * B (D * z_k)`` for all ``k`` as one ``[lam, n] @ [n, n]`` matmul.
* tell: sort by ``-returns``; new mean; ``ps`` with ``C^(-1/2) y = B ((B^T y) / D)`` (two
  matrix-vector products -- purecma's stored ``C^(-1/2)`` would be a third n x n matrix);
  ``hsig``; ``pc``; then ``C <- (1 - c1a - cmu sum w) C + c1 pc pc^T + cmu sum_k w_k y_k y_k^T``
  as a single in-place ``C.addmm_`` of ``[n, mu+1] @ [mu+1, n]`` (the rank-one vector ``pc`` is
  stacked as an extra row to the ``mu`` selected steps ``y_k``, so ``C`` is read and written once);
  finally ``sigma``.

Memory: ``C`` and ``B`` are the only n x n tensors kept, in ``dtype`` (float32 by default) on
``device``: about ``2 n^2 itemsize`` bytes (n = 10,000 fp32: 0.8 GB; n = 50,000: 20 GB;
n = 100,000: 80 GB), plus O(lam n) per generation. No [lam, n, n] tensor ever exists and ``ask`` /
``tell`` allocate no n x n temporary. The eigendecomposition transiently needs its output (a new
``B``; the old one is released first) plus the solver's workspace (LAPACK ``syevd``: about
``2 n^2`` elements more), so the peak during that one step is about ``4 n^2 itemsize``. Vectors
(mean, evolution paths) are kept in float64: O(n), and the mean never loses precision.

``eigen_inplace=True`` (for n where ``C`` alone fills half the device: n = 100,000 fp32 is 40 GB of
C on a 139 GiB H200) decomposes ``C`` in its own storage (``torch.linalg.eigh(V, out=(D, V))`` on the column-major
view ``V = C.mT``, which the solver works in without a copy), which then holds ``B``, and rebuilds ``C = B diag(D^2) B^T`` into the buffer the old ``B`` freed,
``EIGEN_BLOCK`` rows at a time. The peak of the decomposition falls from ``2 n^2`` elements plus the
solver's workspace to ``n^2`` plus the workspace (the rebuild needs ``2 n^2`` plus one block), at the
cost of one extra ``n^3`` matmul; ``C`` comes back equal to rounding error (tested against the
default layout).

Only the lower triangle of ``C`` is read (``eigh``'s default), so purecma's explicit
symmetrisation before the eigendecomposition is unnecessary. Where purecma raises on a
non-positive eigenvalue (which float32 can produce at extreme conditioning), we instead add
``eps * max_eigenvalue - min_eigenvalue`` to C's diagonal, which shifts every eigenvalue by that
amount and leaves ``B`` exact, and warn. Precision: float32 resolves C's condition number up to
roughly 1/eps ~ 1e7 (axis ratio ~ 3e3); for more ill-conditioned problems use ``dtype="float64"``.

Randomness: one ``torch.Generator`` on ``device``, held in the state; every sample comes from it.
Pickling the state stores the generator's state tensor, so an unpickled state continues the exact
stream (same seed, same device, same dtype -> identical populations on CPU). The state is updated in
place by ``ask``/``tell`` (``C`` especially: copying it would double the memory).
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np
import torch

from ..machine import resolve_device
from .base import check_x0

_DTYPES = {"float32": torch.float32, "float64": torch.float64}


@dataclass(frozen=True)
class CMAParams:
    """purecma's ``CMAESParameters`` (default, positive weights), for dimension n and popsize lam."""

    n: int
    lam: int
    mu: int
    weights: tuple  # mu positive weights summing to one
    mueff: float
    cc: float
    cs: float
    c1: float
    cmu: float
    damps: float
    chiN: float  # E||N(0, I)||; computed as in purecma, whose sigma rule does not use it
    lazy_gap_evals: float
    neg_weights: tuple = ()  # active CMA: lam - mu negative weights (worst last); () without it

    @classmethod
    def default(cls, n: int, lam: int, active: bool = False) -> "CMAParams":
        N = n
        chiN = N**0.5 * (1 - 1.0 / (4 * N) + 1.0 / (21 * N**2))
        mu = int(lam / 2)
        raw = [math.log(lam / 2 + 0.5) - math.log(i + 1) for i in range(mu)]
        weights = tuple(w / sum(raw) for w in raw)
        mueff = sum(weights) ** 2 / sum(w**2 for w in weights)
        cc = (4 + mueff / N) / (N + 4 + 2 * mueff / N)
        cs = (mueff + 2) / (N + mueff + 5)
        c1 = 2 / ((N + 1.3) ** 2 + mueff)
        cmu = min(1 - c1, 2 * (mueff - 2 + 1 / mueff) / ((N + 2) ** 2 + mueff))
        damps = 2 * mueff / lam + 0.3 + cs
        lazy_gap_evals = 0.5 * N * lam * (c1 + cmu) ** -1 / N**2
        neg = ()
        if active and lam > mu:
            # Hansen 2016, eq. (53): the remaining lam - mu weights, negative, scaled so that the
            # rank-mu update stays positive definite and its negative mass is bounded
            raw_neg = [math.log(lam / 2 + 0.5) - math.log(i + 1) for i in range(mu, lam)]
            mass = sum(abs(w) for w in raw_neg)
            if mass > 0:
                mueff_neg = sum(raw_neg) ** 2 / sum(w**2 for w in raw_neg)
                alpha = min(1 + c1 / cmu, 1 + 2 * mueff_neg / (mueff + 2), (1 - c1 - cmu) / (N * cmu))
                neg = tuple(alpha * w / mass for w in raw_neg)
        return cls(N, lam, mu, weights, mueff, cc, cs, c1, cmu, damps, chiN, lazy_gap_evals, neg)


@dataclass
class TorchCMAState:
    mean: torch.Tensor  # [n] float64, the distribution mean m
    sigma: float  # step size
    C: torch.Tensor  # [n, n] dtype, covariance (only its lower triangle is read)
    B: torch.Tensor  # [n, n] dtype, eigenvectors of C (columns), from the last decomposition
    D: torch.Tensor  # [n] dtype, square roots of C's eigenvalues: C = B diag(D^2) B^T
    pc: torch.Tensor  # [n] float64, evolution path for C
    ps: torch.Tensor  # [n] float64, evolution path for sigma
    generation: int  # completed tells
    counteval: int  # evaluations told
    eigen_eval: int  # counteval at the last eigendecomposition
    generator: torch.Generator  # the only source of randomness; pickled as its state tensor
    injected: np.ndarray | None = None  # migrants waiting for the next ask (``inject``)
    n_injected: int = 0  # rows of the last ask that were injected (clipped in ``tell``)

    def __getstate__(self):
        d = dict(self.__dict__)
        gen = d.pop("generator")
        d["_generator_device"] = str(gen.device)
        d["_generator_state"] = gen.get_state()
        return d

    def __setstate__(self, d):
        d = dict(d)
        gen = torch.Generator(device=d.pop("_generator_device"))
        gen.set_state(d.pop("_generator_state"))
        d["generator"] = gen
        self.__dict__.update(d)


def _is_int(v) -> bool:
    return isinstance(v, (int, np.integer)) and not isinstance(v, bool)


class TorchCMAES:
    """Full-covariance CMA-ES in torch; C in ``dtype`` on ``device``.

    Hansen 2016, "The CMA Evolution Strategy: A Tutorial", with the default parameters, equations
    and update order of pycma's ``purecma``. Maximises the returns. Memory: about
    ``2 n^2 itemsize`` bytes (C and B); see the module doc.
    Hyper-parameters: ``x0`` (initial mean, default zeros), ``dtype`` ("float32" or "float64", of C
    and B), ``device`` ("cpu" or "cuda"), ``eigen_inplace`` (decompose C in its own storage; see the
    module doc).
    """

    name = "torch_cmaes"

    def __init__(self, n_params: int, popsize: int, sigma0: float, x0: np.ndarray | None = None,
                 dtype: str = "float32", device: str = "cpu", eigen_inplace: bool = False,
                 active: bool = False):
        if not _is_int(n_params) or n_params < 1:
            raise ValueError(f"n_params must be a positive integer, got {n_params!r}")
        if not _is_int(popsize) or popsize < 2:
            raise ValueError(f"popsize must be an integer >= 2, got {popsize!r}")
        try:
            ok = math.isfinite(float(sigma0)) and float(sigma0) > 0
        except (TypeError, ValueError):
            ok = False
        if not ok:
            raise ValueError(f"sigma0 must be a finite number > 0, got {sigma0!r}")
        if dtype not in _DTYPES:
            raise ValueError(f"dtype must be one of {', '.join(_DTYPES)}, got {dtype!r}")
        if not isinstance(eigen_inplace, bool):
            raise ValueError(f"eigen_inplace must be True or False, got {eigen_inplace!r}")
        if not isinstance(active, bool):
            raise ValueError(f"active must be True or False, got {active!r}")
        self.n_params, self.popsize, self.sigma0 = int(n_params), int(popsize), float(sigma0)
        self.eigen_inplace = eigen_inplace
        self.dtype = _DTYPES[dtype]
        self.device = resolve_device(device)
        self.x0 = x0  # validated in init(), since callers may set it afterwards
        check_x0(self.x0, self.n_params)
        self.active = active
        self.params = CMAParams.default(self.n_params, self.popsize, active)

    # -- contract -----------------------------------------------------------------------------

    def init(self, seed: int) -> TorchCMAState:
        n, dev, dt = self.n_params, self.device, self.dtype
        gen = torch.Generator(device=dev)
        gen.manual_seed(int(seed))
        f64 = dict(dtype=torch.float64, device=dev)
        return TorchCMAState(
            mean=torch.as_tensor(check_x0(self.x0, self.n_params), **f64).clone(),
            sigma=self.sigma0,
            C=torch.eye(n, dtype=dt, device=dev),
            B=torch.eye(n, dtype=dt, device=dev),
            D=torch.ones(n, dtype=dt, device=dev),
            pc=torch.zeros(n, **f64),
            ps=torch.zeros(n, **f64),
            generation=0, counteval=0, eigen_eval=0,
            generator=gen,
        )

    def serial_period(self) -> int:
        """Generations from one lazy eigendecomposition to the next (``trainers.serial_period``)."""
        return int(self.params.lazy_gap_evals // self.popsize) + 1

    def ask(self, state: TorchCMAState) -> tuple[np.ndarray, TorchCMAState]:
        p = self.params
        if state.counteval > state.eigen_eval + p.lazy_gap_evals:  # purecma's lazy rule
            self.eigendecompose(state)
        x = self._sample(state.generator, state.mean, state.sigma, state.B, state.D)
        if state.injected is not None:  # migrants take the first rows, unrescaled
            x[: len(state.injected)] = state.injected
        state.n_injected = 0 if state.injected is None else len(state.injected)
        state.injected = None
        return x, state

    def _sample(self, generator: torch.Generator, mean, sigma: float, B, D) -> np.ndarray:
        """``lam`` samples ``m + sigma B (D z)``, z drawn from ``generator``: ``ask``'s (and ``rebuild``'s)."""
        p = self.params
        z = torch.randn(p.lam, p.n, generator=generator, dtype=self.dtype, device=self.device)
        z.mul_(D)  # D * z, row-wise
        y = z @ B.T  # rows: B (D z_k) -- one [lam, n] @ [n, n] matmul
        del z
        x = y.to(torch.float64)
        del y
        x.mul_(sigma).add_(mean)
        return x.cpu().numpy()

    # -- seed-only messages (``evaluation.messages``) ------------------------------------------

    def ask_message(self, state: TorchCMAState):
        """``ask`` plus what a worker needs to rebuild the population: the generator's state before the
        draw, m, sigma and the migrants injected, and -- under ``"basis"``, to be kept by the worker
        between eigendecompositions and shipped only when it changed -- the eigenbasis B and D, with
        the evaluation count of its decomposition as its version. The stream is ``ask``'s own."""
        before = state.generator.get_state()
        population, state = self.ask(state)
        injected = None if not state.n_injected else population[: state.n_injected].copy()
        return population, state, {"rng": before, "mean": state.mean, "sigma": state.sigma, "injected": injected,
                                   "basis": (state.eigen_eval, (state.B, state.D))}

    def rebuild(self, message: dict, rows: np.ndarray, basis=None) -> np.ndarray:
        """Rows ``rows`` of the population ``ask_message`` described, bitwise equal to
        ``population[rows]``: the worker redraws z from the generator's state and repeats ``ask``'s whole
        ``[lam, n] @ [n, n]`` product (a product of fewer rows may round differently), then keeps its
        rows. ``basis``: (B, D) as the worker kept them (default: the message's own)."""
        B, D = message["basis"][1] if basis is None else basis
        gen = torch.Generator(device=self.device)
        gen.set_state(message["rng"])
        x = self._sample(gen, message["mean"], message["sigma"], B, D)
        if message["injected"] is not None:
            x[: len(message["injected"])] = message["injected"]
        return x[np.asarray(rows, dtype=np.int64)]

    def inject(self, state: TorchCMAState, solutions) -> TorchCMAState:
        """Put ``solutions`` (e.g. an island model's migrants) into the first rows of the next ``ask``,
        unrescaled, like pycma's ``inject(..., force=True)``. ``tell`` then clips each injected
        step's Mahalanobis length ``|C^(-1/2) (x - m)| / sigma`` at ``sqrt(n) + 2n / (n + 2)``, as
        pycma's ``repair_genotype`` does, so a distant migrant moves the mean and C no further than
        a long sampled step would. Not part of purecma; a run that never injects is unchanged."""
        sol = np.asarray(solutions, dtype=np.float64)
        if sol.ndim == 1:
            sol = sol[None]
        if sol.ndim != 2 or sol.shape[1] != self.n_params or not 0 < len(sol) <= self.popsize:
            raise ValueError(f"inject needs 1 to popsize={self.popsize} solutions of {self.n_params} "
                             f"parameters, got shape {np.shape(solutions)}")
        if not np.isfinite(sol).all():
            raise ValueError("inject got a non-finite parameter")
        state.injected = sol.copy()
        return state

    def _clip_injected(self, state: TorchCMAState, population: np.ndarray) -> np.ndarray:
        """The injected rows of ``population`` with their Mahalanobis step clipped (see ``inject``)."""
        k, n = state.n_injected, self.n_params
        mean = state.mean.cpu().numpy()
        y = torch.as_tensor((population[:k] - mean) / state.sigma, dtype=self.dtype, device=self.device)
        length = torch.linalg.vector_norm((y @ state.B) / state.D, dim=1).to(torch.float64).cpu().numpy()
        upper = n**0.5 + 2 * n / (n + 2)
        fac = np.maximum(length / upper, 1.0)
        population = population.copy()
        population[:k] = mean + (population[:k] - mean) / fac[:, None]
        return population

    def tell(self, state: TorchCMAState, population: np.ndarray, returns: np.ndarray) -> TorchCMAState:
        p = self.params
        population = np.asarray(population, dtype=np.float64)
        fitvals = -np.asarray(returns, dtype=np.float64)  # minimise -returns
        if population.shape != (p.lam, p.n):
            raise ValueError(f"population must have shape {(p.lam, p.n)}, got {population.shape}")
        if fitvals.shape != (p.lam,):
            raise ValueError(f"returns must have shape {(p.lam,)}, got {fitvals.shape}")
        dev, dt, N = self.device, self.dtype, p.n
        f64 = dict(dtype=torch.float64, device=dev)
        if state.n_injected:
            population = self._clip_injected(state, population)

        state.counteval += p.lam
        state.generation += 1
        best = np.argsort(fitvals, kind="stable")[: p.mu]  # sort by fitness, keep the mu best
        arx = torch.as_tensor(population[best], **f64)  # [mu, n]
        w = torch.tensor(p.weights, **f64)
        xold = state.mean
        # recombination: new mean
        state.mean = w @ arx
        # cumulation: evolution paths
        y = state.mean - xold
        z = state.B @ ((state.B.T @ y.to(dt)) / state.D)  # C^(-1/2) y
        csn = (p.cs * (2 - p.cs) * p.mueff) ** 0.5 / state.sigma
        state.ps.mul_(1 - p.cs).add_(z.to(torch.float64), alpha=csn)
        del z
        ccn = (p.cc * (2 - p.cc) * p.mueff) ** 0.5 / state.sigma
        sum_square_ps = float(state.ps @ state.ps)
        hsig = (sum_square_ps / N / (1 - (1 - p.cs) ** (2 * state.counteval / p.lam))
                < 2 + 4.0 / (N + 1))
        state.pc.mul_(1 - p.cc).add_(y, alpha=ccn * hsig)
        # covariance: C *= 1 - c1a - cmu sum(w); C += c1 pc pc^T; C += cmu sum_k w_k y_k y_k^T,
        # as one in-place addmm over rows [y_1 .. y_mu, pc] with coefficients [cmu w, c1]
        c1a = p.c1 * (1 - (1 - hsig**2) * p.cc * (2 - p.cc))
        arx.sub_(xold).div_(state.sigma)  # y_k = (x_k - xold) / sigma
        rows = torch.cat([arx, state.pc[None]]).to(dt)  # [mu + 1, n]
        del arx
        coef = torch.cat([w * p.cmu, torch.tensor([p.c1], **f64)]).to(dt)
        decay = 1 - c1a - p.cmu * sum(p.weights)
        if p.neg_weights:  # active CMA: the worst steps, each weight times n / |C^(-1/2) y|^2 (eq. 46)
            worst = np.argsort(fitvals, kind="stable")[p.mu:]
            y_neg = torch.as_tensor(population[worst], **f64).sub_(xold).div_(state.sigma).to(dt)
            norm2 = ((y_neg @ state.B) / state.D).square().sum(1).to(torch.float64)
            w_neg = torch.tensor(p.neg_weights, **f64) * N / norm2.clamp_min(1e-300)
            rows = torch.cat([rows[:-1], y_neg, rows[-1:]])
            coef = torch.cat([coef[:-1], (w_neg * p.cmu).to(dt), coef[-1:]])
            decay -= p.cmu * sum(p.neg_weights)
        state.C.addmm_((rows * coef[:, None]).T, rows, beta=decay, alpha=1.0)
        # step size
        state.sigma *= math.exp(min(1.0, p.cs / p.damps * (sum_square_ps / N - 1) / 2))
        return state

    def solution(self, state: TorchCMAState) -> np.ndarray:
        return state.mean.detach().cpu().numpy().astype(np.float64, copy=True)

    # -- internals ----------------------------------------------------------------------------

    def eigendecompose(self, state: TorchCMAState) -> None:
        """C = B diag(D^2) B^T with ``torch.linalg.eigh`` (lower triangle of C); O(n^3)."""
        state.B = None  # release the old eigenbasis before eigh allocates the new one
        if self.eigen_inplace:
            evals = torch.empty(self.n_params, dtype=self.dtype, device=self.device)
            B = state.C.mT  # C is symmetric: its column-major view is C, and LAPACK / cuSOLVER work in it
            torch.linalg.eigh(B, out=(evals, B))  # without a copy: C's storage now holds the eigenvectors
            state.C = None
        else:
            evals, B = torch.linalg.eigh(state.C)
        lo, hi = float(evals.min()), float(evals.max())
        if lo <= 0:  # purecma raises here; shift C (and so every eigenvalue) up instead
            shift = torch.finfo(self.dtype).eps * hi - lo if hi > 0 else 1.0
            warnings.warn(f"covariance not positive definite (min eigenvalue {lo:.3g}); "
                          f"adding {shift:.3g} to its diagonal", RuntimeWarning, stacklevel=2)
            if state.C is not None:
                state.C.diagonal().add_(shift)
            evals += shift
        if state.C is None:  # rebuild C = B diag(evals) B^T, a block of rows at a time
            state.C = torch.empty_like(B)
            for i in range(0, self.n_params, EIGEN_BLOCK):
                torch.matmul(B[i : i + EIGEN_BLOCK] * evals, B.T, out=state.C[i : i + EIGEN_BLOCK])
        state.B, state.D = B, evals.sqrt_()
        state.eigen_eval = state.counteval


EIGEN_BLOCK = 4096
"""Rows of C rebuilt per matmul by ``eigen_inplace`` (a [block, n] temporary: 1.6 GB at n = 100,000)."""
