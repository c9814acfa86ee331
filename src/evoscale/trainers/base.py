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
