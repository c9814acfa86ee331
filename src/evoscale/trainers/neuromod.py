"""Neuromod: evolve the genome of a neuromodulated plastic network (``evoscale.policies.plastic``).

The policy's fast weights learn *during* each episode by a Hebbian rule gated by a modulatory neuron
(Soltoggio et al. 2008; Najarro & Risi 2020); evolution only searches the genome -- rule
coefficients, the modulatory neuron and (``evolve_init=True``) the initial weights. Any registered
ES does the search (``optimizer``, default OpenAI-ES, Salimans et al. 2017): ``policy_search.PolicySearch``
delegates to it; this class adds the rule's settings and tells the training loop which policy to
build (``policy_kwargs``).
Maximises the episode return, like every trainer.
"""

from __future__ import annotations

from ..policies.plastic import RULES
from .policy_search import PolicySearch


class Neuromod(PolicySearch):
    name = "neuromod"
    policy = "neuromod"

    def __init__(self, n_params: int, popsize: int, sigma0: float, optimizer: str = "openai_es",
                 rule: str = "per_layer", evolve_init: bool = True, lr: float | None = None):
        if rule not in RULES:
            raise ValueError(f"rule must be 'per_layer' or 'per_synapse', got {rule!r}")
        super().__init__(n_params, popsize, sigma0, optimizer, lr)

    @staticmethod
    def policy_kwargs(hyper: dict) -> dict:
        return {"rule": hyper.get("rule", "per_layer"), "evolve_init": hyper.get("evolve_init", True)}
