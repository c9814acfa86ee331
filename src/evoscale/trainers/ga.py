"""Deep-neuroevolution GA: Such, Madhavan, Conti, Lehman, Stanley & Clune (2017), "Deep
Neuroevolution: Genetic Algorithms Are a Competitive Alternative for Training Deep Neural Networks
for Reinforcement Learning", arXiv:1712.06567, Algorithm 1.

Maximises the returns. Truncation selection, Gaussian mutation, no crossover, elitism:

    generation 0:  x_i = x0 + sigma0 * N(0, I)     (P random individuals; the paper uses its net's initialiser)
    afterwards:    [elite_1..elite_E] + [parent_k + sigma0 * N(0, I)] * (P - E),  k ~ U{top T}

``sigma0`` is the paper's mutation power (0.002 on Atari, at its initialisation's scale), ``truncation``
its T, ``elites`` its number of elites (1 in the paper). Parents are drawn uniformly from the top T,
with replacement. Default T = max(2, P // 5): the paper keeps 20 of 1,000 (2%) on Atari; at our
P = 16-256 that fraction would leave 0-5 parents and collapse the population onto one or two
lineages, so we keep a fifth -- the paper's 20 parents at P = 100 -- and never fewer than 2.

Elitism -- an adaptation, not the paper's procedure. Such et al. re-evaluate the top 10 (the previous
elite plus the generation's top 9) on 30 *extra* episodes each generation and keep the best of those
as the elite, which the loop's ask -> evaluate -> tell contract has no room for. Here every elite is
kept unmutated in the next population, so the loop re-evaluates it with the rest, and its fitness
estimate is the running mean over every generation it was evaluated in (``elite_fitness``, over
``elite_evals`` generations, in the state). Each generation the old elites (with their running means)
and the new offspring (one evaluation each: ``episodes_per_fitness`` episodes) are ranked together; the
top ``elites`` become the elites and the top ``truncation`` the parents of the next generation. In
noisy tasks a lucky newcomer can therefore displace a well-measured elite after a single evaluation
(its own mean then regresses as it is re-evaluated); the paper's 30 extra episodes make that rarer at
the cost of 30 x 10 episodes per generation. A displaced elite is forgotten, as in the paper.

``solution(state)`` is the best elite (with ``elites=0``: the best individual of the last generation).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np


@dataclass
class GAState:
    rng: np.random.Generator
    """The only source of randomness (pickles with the state)."""
    generation: int
    """Generations told so far."""
    parents: np.ndarray
    """The top-T individuals of the last generation, best first (empty before the first tell)."""
    elites: np.ndarray
    """[E, n], best first: carried unmutated into the next population (empty before the first tell)."""
    elite_fitness: np.ndarray
    """[E]: each elite's mean fitness over all generations it was evaluated in."""
    elite_evals: np.ndarray
    """[E]: how many generations each elite was evaluated in."""
    best: np.ndarray
    """The best individual by fitness estimate (the first elite if elites >= 1); x0 at first."""


class GA:
    """Truncation-selection GA with Gaussian mutation and elitism (Such et al. 2017)."""

    name = "ga"

    def __init__(self, n_params: int, popsize: int, sigma0: float, truncation: int | None = None,
                 elites: int = 1, x0: np.ndarray | None = None):
        if truncation is None:
            truncation = min(popsize, max(2, popsize // 5))
        for param, value, ok, need in (
            ("n_params", n_params, n_params >= 1, ">= 1"),
            ("popsize", popsize, popsize >= 2, ">= 2"),
            ("sigma0", sigma0, sigma0 > 0, "> 0"),
            ("truncation", truncation, 1 <= truncation <= popsize, f"in [1, popsize={popsize}]"),
            ("elites", elites, 0 <= elites < popsize, f"in [0, popsize={popsize})"),
        ):
            if not ok:
                raise ValueError(f"{param} must be {need}, got {value!r}")
        self.n_params, self.popsize, self.sigma0 = int(n_params), int(popsize), float(sigma0)
        self.truncation, self.elites = int(truncation), int(elites)
        self.x0 = np.zeros(self.n_params) if x0 is None else np.array(x0, dtype=float)
        if self.x0.shape != (self.n_params,):
            raise ValueError(f"x0 must have shape ({self.n_params},), got {self.x0.shape}")

    def init(self, seed: int) -> GAState:
        empty = np.empty((0, self.n_params))
        return GAState(np.random.default_rng(seed), 0, empty, empty, np.empty(0), np.empty(0, dtype=np.int64),
                       self.x0.copy())

    def ask(self, state: GAState) -> tuple[np.ndarray, GAState]:
        if state.generation == 0:
            noise = state.rng.standard_normal((self.popsize, self.n_params))
            return self.x0 + self.sigma0 * noise, state
        n_offspring = self.popsize - len(state.elites)
        k = state.rng.integers(len(state.parents), size=n_offspring)
        noise = state.rng.standard_normal((n_offspring, self.n_params))
        return np.concatenate([state.elites, state.parents[k] + self.sigma0 * noise]), state

    def tell(self, state: GAState, population: np.ndarray, returns: np.ndarray) -> GAState:
        population, returns = np.asarray(population, dtype=float), np.asarray(returns, dtype=float)
        if population.shape != (self.popsize, self.n_params) or returns.shape != (self.popsize,):
            raise ValueError(f"expected population {(self.popsize, self.n_params)} and returns "
                             f"{(self.popsize,)}, got {population.shape} and {returns.shape}")
        E = len(state.elites)
        if not np.array_equal(population[:E], state.elites):
            raise ValueError("tell() needs the population ask() returned: its first rows are the elites")
        # Fitness estimates: the old elites' running means, one evaluation for everyone else.
        fitness, evals = returns.copy(), np.ones(self.popsize, dtype=np.int64)
        evals[:E] = state.elite_evals + 1
        fitness[:E] = state.elite_fitness + (returns[:E] - state.elite_fitness) / evals[:E]
        order = np.argsort(-fitness, kind="stable")  # ties: the earlier row (an old elite) first
        top_e = order[: self.elites]
        return replace(
            state, generation=state.generation + 1,
            parents=population[order[: self.truncation]], elites=population[top_e],
            elite_fitness=fitness[top_e], elite_evals=evals[top_e], best=population[order[0]],
        )

    def solution(self, state: GAState) -> np.ndarray:
        return state.best.copy()
