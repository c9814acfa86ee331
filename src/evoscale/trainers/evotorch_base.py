"""Shared machinery of the EvoTorch adapters (``evotorch_es``): the objective-less problem that
receives the told returns, the state, validation helpers and the ask/tell adapter base class.
See ``evotorch_es`` for the design."""


from __future__ import annotations

import contextlib
import logging
import math
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from ..machine import resolve_device
from .base import check_x0, nan_worst

_DTYPES = {"float32": torch.float32, "float64": torch.float64}
_RANKINGS = ("centered", "linear", "nes", "normalized", "raw")  # evotorch.tools.ranking.rankers
_PGPE_OPTIMIZERS = ("clipup", "adam", "sgd", None)


# -- helpers -----------------------------------------------------------------------------------


def _is_int(v) -> bool:
    return isinstance(v, (int, np.integer)) and not isinstance(v, bool)


def _is_pos(v, allow_zero: bool = False) -> bool:
    try:
        f = float(v)
    except (TypeError, ValueError):
        return False
    return not isinstance(v, bool) and math.isfinite(f) and (f >= 0 if allow_zero else f > 0)


@contextlib.contextmanager
def _quiet_evotorch():
    """EvoTorch logs several INFO lines per Problem/optimizer it builds; silence them meanwhile."""
    logger = logging.getLogger("evotorch")
    level = logger.level
    logger.setLevel(logging.WARNING)
    try:
        with warnings.catch_warnings():
            # CMAES.__init__ passes a tensor through torch.tensor(); harmless, but warns.
            warnings.filterwarnings("ignore", message="To copy construct from a tensor")
            # CMAES.__init__: np.floor of a torch tensor (numpy 2 deprecation inside EvoTorch).
            warnings.filterwarnings("ignore", message="__array_wrap__ must accept context")
            yield
    finally:
        logger.setLevel(level)


def _make_problem_class():
    from evotorch import Problem

    class AskTellProblem(Problem):
        """An EvoTorch problem without an objective: ``evaluate`` copies in the told returns.

        ``_told`` is (population tensor, returns tensor) during ``tell`` only. The population EvoTorch
        evaluates must equal the told one exactly, else ``_PopulationMismatch`` is raised.
        """

        _told: Any = None

        def _evaluate_batch(self, batch):
            if self._told is None:  # SNES/PGPE sample-and-"evaluate" a population: leave it unevaluated
                return
            values, returns = self._told
            if not torch.equal(batch.values, values):
                raise _PopulationMismatch()
            batch.set_evals(returns)

    AskTellProblem.__module__ = __name__
    AskTellProblem.__qualname__ = "_AskTellProblem"
    return AskTellProblem


class _PopulationMismatch(Exception):
    pass


_problem_class = None


def __getattr__(name):  # lazily defined so that importing evoscale.trainers doesn't import evotorch
    if name == "_AskTellProblem":
        return _get_problem_class()
    raise AttributeError(name)


def _get_problem_class():
    global _problem_class
    if _problem_class is None:
        _problem_class = _make_problem_class()
        globals()["_AskTellProblem"] = _problem_class  # so that pickle finds it by name
    return _problem_class


@dataclass
class EvoTorchState:
    searcher: Any
    """The EvoTorch searcher; ``searcher.problem`` holds the generator (the only randomness)."""
    device: str
    """The device actually used (``"auto"`` resolved)."""
    seed: int
    generation: int = 0
    """Completed tells."""

    @property
    def problem(self):
        return self.searcher.problem


# -- the shared adapter ------------------------------------------------------------------------


class _EvoTorchAdapter:
    name = ""
    _SAMPLES_IN_STEP = False  # CMAES: step() samples, evaluates and updates (replayed in tell)

    def _check_common(self, n_params, popsize, sigma0, dtype, device):
        if not _is_int(n_params) or n_params < 1:
            raise ValueError(f"n_params must be a positive integer, got {n_params!r}")
        if not _is_int(popsize) or popsize < 2:
            raise ValueError(f"popsize must be an integer >= 2, got {popsize!r}")
        if not _is_pos(sigma0):
            raise ValueError(f"sigma0 must be a finite number > 0, got {sigma0!r}")
        if dtype not in _DTYPES:
            raise ValueError(f"dtype must be one of {', '.join(_DTYPES)}, got {dtype!r}")
        self.n_params, self.popsize, self.sigma0 = int(n_params), int(popsize), float(sigma0)
        self.dtype = dtype
        self.device = resolve_device(device)

    def _make_searcher(self, problem, center_init: np.ndarray):
        raise NotImplementedError

    # -- contract -------------------------------------------------------------------------------

    def _global_rng_untouched(self):
        """EvoTorch draws a throw-away ``torch.randint(0, 1)`` (always 0) from torch's *global*
        generator whenever it allocates a fresh random tensor (``make_batched_false_for_vmap``, for
        ``vmap``): it never changes our results, but would advance the global stream. Restore it."""
        devices = []
        if self.device.type == "cuda":
            devices = [self.device.index if self.device.index is not None else torch.cuda.current_device()]
        return torch.random.fork_rng(devices=devices)

    def init(self, seed: int) -> EvoTorchState:
        if not _is_int(seed):
            raise ValueError(f"seed must be an integer, got {seed!r}")
        x0 = check_x0(self.x0, self.n_params)
        problem_class = _get_problem_class()  # imports evotorch (which configures its logger) first
        with _quiet_evotorch(), self._global_rng_untouched():
            problem = problem_class(
                "max", solution_length=self.n_params, initial_bounds=(-1.0, 1.0),
                dtype=_DTYPES[self.dtype], eval_dtype=torch.float64, device=self.device,
                seed=int(seed), store_solution_stats=False, num_actors=0,
            )
            searcher = self._make_searcher(problem, x0)
            if not self._SAMPLES_IN_STEP:
                searcher.step()  # first step of a Gaussian searcher: sample the first population only
        return EvoTorchState(searcher, str(self.device), int(seed))

    def _asked(self, state: EvoTorchState) -> torch.Tensor:
        searcher = state.searcher
        if not self._SAMPLES_IN_STEP:
            return searcher.population.values
        gen = searcher.problem.generator
        saved = gen.get_state()
        try:
            _, _, xs = searcher.sample_distribution()
        finally:
            gen.set_state(saved)
        return xs

    def ask(self, state: EvoTorchState) -> tuple[np.ndarray, EvoTorchState]:
        with self._global_rng_untouched():
            x = self._asked(state).detach().to("cpu")
        return np.array(x.numpy(), dtype=np.float64), state

    def tell(self, state: EvoTorchState, population: np.ndarray, returns: np.ndarray) -> EvoTorchState:
        population, returns = np.asarray(population, dtype=float), nan_worst(returns)
        if population.shape != (self.popsize, self.n_params) or returns.shape != (self.popsize,):
            raise ValueError(f"expected population {(self.popsize, self.n_params)} and returns "
                             f"{(self.popsize,)}, got {population.shape} and {returns.shape}")
        searcher, problem = state.searcher, state.searcher.problem
        values = torch.as_tensor(population, device=problem.device).to(problem.dtype)
        evals = torch.as_tensor(returns, dtype=problem.eval_dtype, device=problem.device)
        mismatch = ValueError("population must be exactly the one returned by the last ask(state) "
                              "(EvoTorch updates from its own stored samples)")
        with self._global_rng_untouched():
            if not self._SAMPLES_IN_STEP:
                pop = searcher.population
                if not torch.equal(pop.values, values):
                    raise mismatch
                pop.set_evals(evals)
                searcher.step()  # update from the evals, then sample the next population
            else:
                saved = problem.generator.get_state()
                problem._told = (values, evals)
                try:
                    searcher.step()  # resamples the asked population, "evaluates" it with the returns, updates
                except _PopulationMismatch:
                    problem.generator.set_state(saved)  # nothing was updated yet: the state stays usable
                    raise mismatch from None
                finally:
                    problem._told = None
        state.generation += 1
        return state

    def solution(self, state: EvoTorchState) -> np.ndarray:
        center = state.searcher.status["center"]
        return np.array(center.detach().to("cpu").numpy(), dtype=np.float64)


# -- the three searchers -----------------------------------------------------------------------
