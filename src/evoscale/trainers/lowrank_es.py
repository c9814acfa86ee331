"""Low-rank ES: OpenAI-ES (``openai_es``) with each weight matrix perturbed by a rank-r product, as
EGGROLL (Sarkar et al. 2025, "Evolution Strategies at the Hyperscale", arXiv:2511.16652).

One generation, with mean theta, fixed sigma = ``sigma0``, P = ``popsize``, rank r = ``rank``; for each
weight matrix W [m, n] of the MLP and each mirrored pair j < P/2 (biases: full noise, as OpenAI-ES):

    A_j ~ N(0, I) [m, r],  B_j ~ N(0, I) [n, r],  E_j = A_j B_j^T / sqrt(r);   e_j ~ N(0, I) for a bias
    x_{2j} = theta + sigma eps_j,   x_{2j+1} = theta - sigma eps_j      (eps_j: the E_j and e_j, flat)

and then exactly OpenAI-ES's update: centred ranks u, g = 1/(P sigma) sum_i u_i eps_i, Adam on
``-sigma g + weight_decay * theta`` (``OpenAIES.step``). sigma, lr, weight_decay, beta1, beta2 and x0 mean
what they mean there; the state is ``OpenAIESState`` (theta, Adam's moments, the Generator, the last g),
so a pickled state is a checkpoint and a seed fixes the run.

E_j has the covariance of N(0, I) at every rank (its entries are uncorrelated with variance 1, odd
moments 0), so for any fitness quadratic in the parameters g has OpenAI-ES's expectation with raw
fitness as the utility; the entries are not Gaussian (a sum of r products of normals), so the centred
ranks' expectation differs slightly, by O(1/r) (the paper's convergence to the full-rank update).

``ask`` returns the population in factored form (``policies.LowRankPopulation``: theta and the factors,
never P dense matrices), which the MLP's lockstep forward evaluates as x W for all members at once plus
each member's (x A) B^T sigma / sqrt(r); it behaves as the dense matrix elsewhere (``np.asarray``).
``tell`` takes either form (the dense one: eps = (x - theta) / sigma, as OpenAI-ES).

The matrices come from ``layout`` -- the MLP's (in, out) per layer, which ``train.build`` hands over from
the policy (``make_trainer(..., layout=...)``); it is no hyper-parameter. Without one (a trainer built on
a bare vector, or a policy without dense-layer layout: the CNN) every parameter is perturbed fully and
the method is OpenAI-ES, dense population included.
"""

from __future__ import annotations

import math

import numpy as np

from ..policies.lowrank import LowRankPopulation
from .openai_es import OpenAIES, OpenAIESState, centered_ranks


def check_layout(layout, n_params: int) -> tuple[tuple[int, int], ...]:
    """``layout`` as a tuple of (in, out) pairs of positive integers whose W and b fill ``n_params``
    exactly; () for None. ValueError naming ``layout`` otherwise."""
    if layout is None:
        return ()
    try:
        pairs = tuple((i, o) for i, o in layout)
    except (TypeError, ValueError):
        pairs = None
    ok = pairs is not None and all(isinstance(x, (int, np.integer)) and not isinstance(x, bool) and x >= 1
                                   for pair in pairs for x in pair)
    if not ok or sum(i * o + o for i, o in pairs) != n_params:
        raise ValueError(f"layout must be (in, out) pairs whose weights and biases make {n_params} parameters, "
                         f"got {layout!r}")
    return tuple((int(i), int(o)) for i, o in pairs)


def _mirrored(noise: np.ndarray) -> np.ndarray:
    """Rows 2j, 2j+1 = +noise[j], -noise[j]."""
    out = np.empty((2 * len(noise), *noise.shape[1:]))
    out[0::2], out[1::2] = noise, -noise
    return out


class LowRankES(OpenAIES):
    """OpenAI-ES with rank-``rank`` perturbations A B^T / sqrt(r) of every weight matrix (EGGROLL)."""

    name = "lowrank_es"

    def __init__(self, n_params: int, popsize: int, sigma0: float, lr: float = 0.01,
                 weight_decay: float = 0.005, beta1: float = 0.9, beta2: float = 0.999, rank: int = 1,
                 x0: np.ndarray | None = None, layout=None):
        super().__init__(n_params, popsize, sigma0, lr, weight_decay, beta1, beta2, x0)
        if isinstance(rank, bool) or not isinstance(rank, (int, np.integer)) or rank < 1:
            raise ValueError(f"rank must be an integer >= 1, got {rank!r}")
        self.rank = int(rank)
        self.layout = check_layout(layout, self.n_params)

    def ask(self, state: OpenAIESState):
        if not self.layout:
            return super().ask(state)
        half, r, rng = self.popsize // 2, self.rank, state.rng
        A, B, e = [], [], []
        for i, o in self.layout:  # one pair's draws after the other's, layer by layer: A, B, e
            A.append(_mirrored(rng.standard_normal((half, i, r))))
            B.append(np.repeat(rng.standard_normal((half, o, r)), 2, axis=0))
            e.append(_mirrored(rng.standard_normal((half, o))))
        return LowRankPopulation(state.mean, self.layout, self.sigma0, tuple(A), tuple(B), tuple(e)), state

    def rebuild(self, message: dict, rows: np.ndarray):
        """Rows ``rows`` of the population ``ask_message`` described (OpenAI-ES's message: the Generator's
        state before the draw and theta), factored and bitwise equal to ``population.rows(rows)``: the
        factors of all P members are redrawn (P (in + out) r + P out normals per layer: cheap next to
        theta) and the worker keeps its members'."""
        if not self.layout:
            return super().rebuild(message, rows)
        rng = np.random.Generator(getattr(np.random, message["rng"]["bit_generator"])())
        rng.bit_generator.state = message["rng"]
        population, _ = self.ask(OpenAIESState(message["mean"], None, None, 0, rng))
        return population.rows(np.asarray(rows, dtype=np.int64))

    def estimate(self, mean: np.ndarray, population, utilities: np.ndarray) -> np.ndarray:
        """1/(P sigma) sum_i u_i eps_i for the utilities u (``gradient``: the centred ranks); eps_i from the
        factors of a ``LowRankPopulation``, else (x_i - theta) / sigma."""
        utilities = np.asarray(utilities, dtype=float)
        if not isinstance(population, LowRankPopulation):
            return utilities @ ((np.asarray(population, dtype=float) - mean) / self.sigma0) / (self.popsize * self.sigma0)
        parts = []
        for A, B, e in zip(population.A, population.B, population.e):
            # sum_i u_i A_i B_i^T: one [in, P r] x [P r, out] product
            W = np.tensordot(A * utilities[:, None, None], B, axes=([0, 2], [0, 2])) / math.sqrt(population.rank)
            parts += [W.ravel(), utilities @ e]
        return np.concatenate(parts) / (self.popsize * self.sigma0)

    def gradient(self, mean: np.ndarray, population, returns: np.ndarray) -> np.ndarray:
        return self.estimate(mean, population, centered_ranks(returns))

    def tell(self, state: OpenAIESState, population, returns: np.ndarray) -> OpenAIESState:
        if not isinstance(population, LowRankPopulation):
            return super().tell(state, population, returns)
        returns = np.asarray(returns, dtype=float)
        if len(population) != self.popsize or returns.shape != (self.popsize,) or population.layout != self.layout:
            raise ValueError(f"expected a population of {self.popsize} members of layout {self.layout} and returns "
                             f"{(self.popsize,)}, got {len(population)} of layout {population.layout} and "
                             f"{returns.shape}")
        return self.step(state, self.gradient(state.mean, population, returns))
