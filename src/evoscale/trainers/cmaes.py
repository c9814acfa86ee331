"""CMA-ES and sep-CMA-ES through pycma -- we drive pycma, we do not re-implement it.

* ``cmaes``: full covariance (Hansen & Ostermeier 2001; Hansen 2016, "The CMA Evolution Strategy: A
  Tutorial"). O(n^2) memory, O(n^2) per sample plus a lazy O(n^3) eigendecomposition.
* ``sepcmaes``: diagonal covariance, pycma's ``CMA_diagonal=True`` (Ros & Hansen 2008, "A Simple
  Modification in CMA-ES Achieving Linear Time and Space Complexity"). O(n) memory and time.

Maximises the episode return (pycma minimises, so it is told ``-returns``).

Randomness, made explicit: pycma samples with ``np.random.randn`` by default, the *global* RNG.
We hand it the ``randn`` of a private ``RandomState`` (pycma's ``randn`` option), which pickles
together with the strategy, so a pickled state resumes the exact stream. (With the default, a
pickled-and-restored pycma silently samples from a frozen *copy* of the global RNG.) Anything else
in pycma that might touch the global RNG runs with the state's own global-RNG state swapped in.
"""

from __future__ import annotations

import contextlib
import math
from dataclasses import dataclass

import cma
import numpy as np

from .base import nan_worst


@dataclass
class CMAState:
    es: cma.CMAEvolutionStrategy
    np_global_rng: tuple
    """numpy's global RNG state as pycma left it (pycma's own pickle does not contain it)."""


@contextlib.contextmanager
def _own_global_rng(state: CMAState):
    outside = np.random.get_state()
    np.random.set_state(state.np_global_rng)
    try:
        yield
    finally:
        state.np_global_rng = np.random.get_state()
        np.random.set_state(outside)


class CMAES:
    """Full-covariance CMA-ES (pycma), mean starting at ``x0`` (zeros), step size ``sigma0``."""

    name = "cmaes"
    separable = False

    def __init__(self, n_params: int, popsize: int, sigma0: float, x0: np.ndarray | None = None):
        self.n_params, self.popsize, self.sigma0 = n_params, popsize, sigma0
        self.x0 = np.zeros(n_params) if x0 is None else np.asarray(x0, dtype=float)

    def init(self, seed: int) -> CMAState:
        sampler_rng = np.random.RandomState(seed)
        state = CMAState(es=None, np_global_rng=np.random.RandomState(seed + 1).get_state())
        opts = {
            "randn": sampler_rng.randn,
            "popsize": self.popsize,
            "seed": np.nan,  # pycma must not reseed the global RNG; we own it (see module doc)
            "verbose": -9,
            "CMA_diagonal": self.separable,
            "maxfevals": np.inf,
            "tolfun": 0, "tolfunhist": 0, "tolx": 0, "tolstagnation": np.inf, "tolflatfitness": np.inf,
        }
        with _own_global_rng(state):
            state.es = cma.CMAEvolutionStrategy(self.x0, self.sigma0, opts)
        return state

    def serial_period(self, state: CMAState | None = None) -> int:
        """Generations from one eigendecomposition of C to the next (``trainers.serial_period``): pycma's
        lazy gap, ``1 / ((c1 + cmu) n 10)`` tells, rounded up (read from ``state``, else from a fresh
        one); 1 for the diagonal (sep) variant."""
        if self.separable:
            return 1
        return max(1, math.ceil((state or self.init(0)).es.sm.lazy_update_gap))

    def ask(self, state: CMAState) -> tuple[np.ndarray, CMAState]:
        with _own_global_rng(state):
            population = np.array(state.es.ask())
        return population, state

    def tell(self, state: CMAState, population: np.ndarray, returns: np.ndarray) -> CMAState:
        with _own_global_rng(state):
            state.es.tell(list(population), list(-nan_worst(returns)))
        return state

    def solution(self, state: CMAState) -> np.ndarray:
        return np.array(state.es.mean)


class SepCMAES(CMAES):
    """sep-CMA-ES: pycma with ``CMA_diagonal=True`` (diagonal covariance, linear cost)."""

    name = "sepcmaes"
    separable = True
