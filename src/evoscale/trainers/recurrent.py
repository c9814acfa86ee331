"""Recurrent: evolve a GRU or Elman network (``evoscale.policies.recurrent``) with any registered ES.

The network adapts within an episode through its hidden state only; evolution searches all of its
weights (``optimizer``, default OpenAI-ES). Maximises the episode return, like every trainer.
"""

from __future__ import annotations

from ..policies.recurrent import CELLS
from .policy_search import PolicySearch


class Recurrent(PolicySearch):
    name = "recurrent"
    policy = "recurrent"

    def __init__(self, n_params: int, popsize: int, sigma0: float, optimizer: str = "openai_es",
                 cell: str = "gru", lr: float | None = None):
        if cell not in CELLS:
            raise ValueError(f"cell must be one of {', '.join(CELLS)}, got {cell!r}")
        super().__init__(n_params, popsize, sigma0, optimizer, lr)

    @staticmethod
    def policy_kwargs(hyper: dict) -> dict:
        return {"cell": hyper.get("cell", "gru")}
