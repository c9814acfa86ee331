"""Shared by the trainer tests: drive any ask/tell trainer on a synthetic function."""

import numpy as np


def neg_sphere(x):
    return -float(np.sum(x**2))


def run_trainer(trainer, f, generations, seed=0, state=None):
    """``generations`` of ask -> f -> tell from ``trainer.init(seed)`` (or from ``state``)."""
    state = trainer.init(seed) if state is None else state
    for _ in range(generations):
        pop, state = trainer.ask(state)
        state = trainer.tell(state, pop, np.array([f(x) for x in pop]))
    return state
