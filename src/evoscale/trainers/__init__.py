"""Registry of all optimisation methods. Each maps a name to a class following ``base.Trainer``."""

from __future__ import annotations

from .cmaes import CMAES, SepCMAES

REGISTRY = {cls.name: cls for cls in (CMAES, SepCMAES)}


def make_trainer(method: str, n_params: int, popsize: int, sigma0: float):
    if method not in REGISTRY:
        raise ValueError(f"unknown method {method!r}; valid methods: {', '.join(REGISTRY)}")
    return REGISTRY[method](n_params, popsize, sigma0)
