"""The trainer contract: ask/tell with explicit, picklable state.

A trainer is constructed from the problem size and its hyper-parameters, then driven by the loop:

    state = trainer.init(seed)
    population, state = trainer.ask(state)          # population[P, n]
    state = trainer.tell(state, population, returns)  # returns[P]: higher is better, always
    x = trainer.solution(state)                     # the point the solved test evaluates

``state`` holds every random-number generator the trainer uses, so pickling the state is a complete
checkpoint and the same seed gives the same sequence of populations.
"""

from __future__ import annotations

from typing import Any, Protocol

import numpy as np


class Trainer(Protocol):
    name: str
    n_params: int
    popsize: int

    def init(self, seed: int) -> Any: ...

    def ask(self, state: Any) -> tuple[np.ndarray, Any]: ...

    def tell(self, state: Any, population: np.ndarray, returns: np.ndarray) -> Any: ...

    def solution(self, state: Any) -> np.ndarray: ...


def nan_worst(returns) -> np.ndarray:
    """``returns`` as float64 with NaN replaced by -inf: a NaN return ranks worst, never best."""
    returns = np.asarray(returns, dtype=float)
    return np.where(np.isnan(returns), -np.inf, returns)


def check_x0(x0, n_params: int) -> np.ndarray:
    """The initial mean as a float64 vector (zeros when ``x0`` is None); ValueError if malformed."""
    if x0 is None:
        return np.zeros(n_params)
    x0 = np.asarray(x0, dtype=float)
    if x0.shape != (n_params,) or not np.all(np.isfinite(x0)):
        raise ValueError(f"x0 must be a finite vector of length {n_params}, got shape {x0.shape}")
    return x0
