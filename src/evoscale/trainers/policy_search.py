"""Search the genome of a policy that is not the plain MLP with any registered evolution strategy.

``PolicySearch`` is the shared part of such trainers (Neuromod, Recurrent): it delegates ask/tell to
the inner ES named by ``optimizer`` (default OpenAI-ES, Salimans et al. 2017) and tells the training
loop which policy to build (class attributes ``policy`` and ``policy_kwargs``). Maximises the episode
return, like every trainer.
"""

from __future__ import annotations

import numpy as np


class PolicySearch:
    name = ""
    policy = "mlp"

    def __init__(self, n_params: int, popsize: int, sigma0: float, optimizer: str = "openai_es",
                 lr: float | None = None):
        from . import POLICY_SEARCH, REGISTRY, make_trainer

        plain = [m for m in REGISTRY if m not in POLICY_SEARCH]
        if optimizer not in plain:
            raise ValueError(f"optimizer must be one of {', '.join(plain)}, got {optimizer!r}")
        self.n_params, self.popsize, self.sigma0 = n_params, popsize, sigma0
        self.inner = make_trainer(optimizer, n_params, popsize, sigma0, {} if lr is None else {"lr": lr})

    @staticmethod
    def policy_kwargs(hyper: dict) -> dict:
        return {}

    def init(self, seed: int):
        return self.inner.init(seed)

    def ask(self, state):
        return self.inner.ask(state)

    def tell(self, state, population: np.ndarray, returns: np.ndarray):
        return self.inner.tell(state, population, returns)

    def solution(self, state) -> np.ndarray:
        return self.inner.solution(state)
