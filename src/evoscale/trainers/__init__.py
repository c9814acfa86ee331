"""Registry of all optimisation methods. Each maps a name to a class following ``base.Trainer``.

Every trainer is constructed as ``cls(n_params, popsize, sigma0, **hyper)``: the three shared
settings plus its own keyword hyper-parameters (with the paper's defaults), which validate
themselves and raise ``ValueError`` naming the offending parameter. A trainer whose constructor takes
``layout`` (``lowrank_es``) also gets the policy's dense-layer layout from ``make_trainer`` (no
hyper-parameter: it follows from the task and the network).
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Mapping


class _LazyRegistry(Mapping):
    """name -> trainer class, importing a method's module only when that method is used (pycma,
    torch and EvoTorch cost seconds to import; a CLI typo should not wait for them)."""

    def __init__(self, paths: dict[str, str]):
        self._paths = paths

    def __getitem__(self, name: str):
        module, cls = self._paths[name].split(":")
        return getattr(importlib.import_module(module, __name__), cls)

    def __iter__(self):
        return iter(self._paths)

    def __len__(self) -> int:
        return len(self._paths)


REGISTRY = _LazyRegistry({
    "cmaes": ".cmaes:CMAES", "sepcmaes": ".cmaes:SepCMAES", "openai_es": ".openai_es:OpenAIES",
    "ga": ".ga:GA", "neuromod": ".neuromod:Neuromod", "torch_cmaes": ".torch_cmaes:TorchCMAES",
    "snes": ".evotorch_es:SNES", "pgpe": ".evotorch_es:PGPE", "sep_cmaes_torch": ".evotorch_es:EvoTorchSepCMA",
    "recurrent": ".recurrent:Recurrent", "lowrank_es": ".lowrank_es:LowRankES",
})
"""Population-based trainers driven by ``train.train``. PPO (``evoscale.baselines.ppo``) and recurrent
PPO (``evoscale.baselines.recurrent_ppo``) are the gradient baselines with their own loop;
``METHODS`` lists all."""
POLICY_SEARCH = ("neuromod", "recurrent")
"""Trainers that evolve another policy than the MLP with an inner ES (``policy_search.PolicySearch``)."""
GRADIENT_METHODS = ("ppo", "recurrent_ppo")
"""Methods trained by backprop (Stable-Baselines3): budgets in env steps, their own rollouts."""
METHODS = (*REGISTRY, *GRADIENT_METHODS)


def serial_period(trainer) -> int:
    """Generations after which a trainer's sequential cost repeats: a full CMA-ES decomposes its
    covariance only every few generations (its "lazy" update, seconds at n = 2,788), so a timing of
    its ask + tell must span whole periods and be averaged, not a median of a few generations; 1 for
    trainers whose every generation costs the same."""
    period = getattr(trainer, "serial_period", None)
    return 1 if period is None else int(period())


def timed_generations(trainer, at_least: int) -> int:
    """Generations a timing of ``trainer``'s ask + tell spans: whole ``serial_period``s, at least ``at_least``."""
    period = serial_period(trainer)
    return period * max(1, -(-int(at_least) // period))


def policy_for(method: str, hyper: dict | None = None) -> tuple[str, dict]:
    """The policy network a method evolves: (kind, keyword arguments) for ``make_policy``."""
    cls = REGISTRY[method]
    kind = getattr(cls, "policy", "mlp")
    return kind, (cls.policy_kwargs(dict(hyper or {})) if hasattr(cls, "policy_kwargs") else {})


def hyper_names(method: str) -> list[str]:
    """The method's own keyword hyper-parameters (beyond n_params, popsize, sigma0)."""
    params = inspect.signature(REGISTRY[method].__init__).parameters
    return [p for p in params if p not in ("self", "n_params", "popsize", "sigma0", "layout")]


def hyper_types(method: str) -> dict:
    """The annotations of the method's hyper-parameters (name -> type), for ``config.check_type``."""
    import typing

    hints = typing.get_type_hints(REGISTRY[method].__init__)
    return {name: hints[name] for name in hyper_names(method) if name in hints}


def check_hyper_names(method: str, hyper: dict) -> None:
    """ValueError naming the names in ``hyper`` that are no hyper-parameter of ``method`` (``hyper_names``)."""
    unknown = sorted(set(hyper) - set(hyper_names(method)))
    if unknown:
        raise ValueError(f"unknown hyper-parameter(s) {', '.join(map(repr, unknown))} for {method}; "
                         f"valid: {', '.join(hyper_names(method)) or 'none'}")


def make_trainer(method: str, n_params: int, popsize: int, sigma0: float, hyper: dict | None = None,
                 layout=None):
    """The trainer ``method`` on ``n_params`` parameters. ``layout``: the policy's dense layers, (in, out) per
    layer (``MLPPolicy.layout``), for a trainer that perturbs weight matrices as matrices (``lowrank_es``);
    the others ignore it."""
    if method not in REGISTRY:
        raise ValueError(f"unknown method {method!r}; valid methods: {', '.join(REGISTRY)}")
    hyper = dict(hyper or {})
    check_hyper_names(method, hyper)
    cls = REGISTRY[method]
    if layout is not None and "layout" in inspect.signature(cls.__init__).parameters:
        hyper["layout"] = layout
    return cls(n_params, popsize, sigma0, **hyper)
