"""OpenAI-ES: Salimans, Ho, Chen, Sidor & Sutskever (2017), "Evolution Strategies as a Scalable
Alternative to Reinforcement Learning", arXiv:1703.03864 -- Algorithm 2 with mirrored sampling,
centered-rank fitness shaping, Adam and L2 weight decay, as in their code
(github.com/openai/evolution-strategies-starter, ``es_distributed/es.py`` and ``optimizers.py``).

Maximises the returns. One generation, with mean theta, fixed sigma = ``sigma0``, P = ``popsize``:

    eps_j ~ N(0, I), j < P/2;   x_{2j} = theta + sigma eps_j,   x_{2j+1} = theta - sigma eps_j
    u_i   = rank(F_i) / (P - 1) - 1/2                  centered ranks in [-0.5, 0.5], best = +0.5
    g     = 1 / (P sigma) * sum_i u_i eps_i             eps_i = (x_i - theta) / sigma  (the paper)
    d     = -sigma g + weight_decay * theta             the code's Adam input "-g + l2coeff * theta"
    theta <- theta - Adam(d)                            the code's Adam (epsilon 1e-8)

``solution(state)`` is theta. The state holds theta, Adam's moments, the Generator and the last g.

The reference code's gradient is ``sum_i u_i eps_i / P`` -- the paper's g without the 1/sigma (Adam
ignores the gradient's scale, but not its size relative to the decay term). Feeding Adam
``-sigma g + weight_decay * theta`` makes ``weight_decay`` mean exactly the code's ``l2coeff`` (0.005
in all its configurations, whatever sigma) and our update the code's (in float64, not float32).

EvoTorch equivalence (checked against EvoTorch 0.6.1's source and by tests/test_openai_es.py). With
``weight_decay=0`` this is ``evotorch.algorithms.PGPE(problem, popsize=P, center_learning_rate=lr,
stdev_learning_rate=0.0, stdev_init=sigma0, optimizer="adam", ranking_method="centered",
symmetric=True)`` up to Adam's epsilon: it samples the same interleaved pairs (rows 2j, 2j+1 =
theta +/- sigma eps_j), ranks the whole population the same way (-0.5 worst ... +0.5 best), and its
stdev step is 0 * grad, so sigma stays sigma0. What differs:

* EvoTorch's center gradient is ``sum_j (u_{2j} - u_{2j+1}) / 2 * sigma eps_j / (P/2)`` = sigma^2 g
  (it weights the *scaled* noise and never divides by sigma); we feed Adam sigma g.
* Its "adam" is ``torch.optim.Adam``, lr m_hat / (sqrt(v_hat) + 1e-8); the reference code's (ours)
  is Kingma & Ba's "efficient" form, lr sqrt(1-b2^t)/(1-b1^t) m / (sqrt(v) + 1e-8), i.e. epsilon on
  the raw sqrt(v). Adam being scale-invariant apart from epsilon, the updates are identical with
  epsilon 0 on both sides (tested over 5 generations to 1e-12); with the default 1e-8 they differ
  by roughly 1e-8 / (sqrt(1 - b2^t) |sigma g|) of a step (7e-6 at t=1 in the test, then shrinking).
* Ties in the returns: we rank by position (stable sort); EvoTorch's and the code's argsorts are not
  stable. EvoTorch's default problem dtype is float32; ours is float64. EvoTorch moves the center for
  generation k at the start of its next ``step()``, which does not change the sequence.
* EvoTorch has no weight decay on PGPE's center.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from .base import nan_worst

ADAM_EPSILON = 1e-8


@dataclass
class OpenAIESState:
    mean: np.ndarray
    """theta, the search distribution's mean -- also the solution."""
    adam_m: np.ndarray
    adam_v: np.ndarray
    adam_t: int
    """Adam's first and second moment estimates and its step count."""
    rng: np.random.Generator
    """The only source of randomness (pickles with the state)."""
    grad: np.ndarray | None = None
    """The last gradient estimate g (the paper's formula), for inspection."""


def centered_ranks(returns: np.ndarray) -> np.ndarray:
    """Ranks mapped linearly onto [-0.5, 0.5]: worst -0.5, best +0.5; ties ranked by position, NaN
    worst."""
    ranks = np.empty(len(returns))
    ranks[np.argsort(nan_worst(returns), kind="stable")] = np.arange(len(returns))
    return ranks / (len(returns) - 1) - 0.5


class OpenAIES:
    """OpenAI-ES (Salimans et al. 2017): mirrored sampling, fixed ``sigma0``, centered ranks, Adam."""

    name = "openai_es"

    def __init__(self, n_params: int, popsize: int, sigma0: float, lr: float = 0.01,
                 weight_decay: float = 0.005, beta1: float = 0.9, beta2: float = 0.999,
                 x0: np.ndarray | None = None):
        for param, value, ok, need in (
            ("n_params", n_params, n_params >= 1, ">= 1"),
            ("popsize", popsize, popsize >= 2 and popsize % 2 == 0, "an even number >= 2 (mirrored pairs)"),
            ("sigma0", sigma0, sigma0 > 0, "> 0"),
            ("lr", lr, lr > 0, "> 0"),
            ("weight_decay", weight_decay, weight_decay >= 0, ">= 0"),
            ("beta1", beta1, 0 <= beta1 < 1, "in [0, 1)"),
            ("beta2", beta2, 0 <= beta2 < 1, "in [0, 1)"),
        ):
            if not ok:
                raise ValueError(f"{param} must be {need}, got {value!r}")
        self.n_params, self.popsize, self.sigma0 = int(n_params), int(popsize), float(sigma0)
        self.lr, self.weight_decay, self.beta1, self.beta2 = float(lr), float(weight_decay), float(beta1), float(beta2)
        self.x0 = np.zeros(self.n_params) if x0 is None else np.array(x0, dtype=float)
        if self.x0.shape != (self.n_params,):
            raise ValueError(f"x0 must have shape ({self.n_params},), got {self.x0.shape}")

    def init(self, seed: int) -> OpenAIESState:
        zeros = np.zeros(self.n_params)
        return OpenAIESState(self.x0.copy(), zeros, zeros.copy(), 0, np.random.default_rng(seed))

    def ask(self, state: OpenAIESState) -> tuple[np.ndarray, OpenAIESState]:
        eps = state.rng.standard_normal((self.popsize // 2, self.n_params))
        population = np.empty((self.popsize, self.n_params))
        population[0::2] = state.mean + self.sigma0 * eps
        population[1::2] = state.mean - self.sigma0 * eps
        return population, state

    # -- seed-only messages (``evaluation.messages``) ------------------------------------------

    def ask_message(self, state: OpenAIESState):
        """``ask`` plus what a worker needs to rebuild any of its members: the Generator's state before
        the draw and theta (``rebuild``). The noise stream is ``ask``'s own, unchanged."""
        before = state.rng.bit_generator.state
        population, state = self.ask(state)
        return population, state, {"rng": before, "mean": state.mean}

    def rebuild(self, message: dict, rows: np.ndarray):
        """Rows ``rows`` (ascending member indices) of the population ``ask_message`` described, bitwise
        equal to ``population[rows]``: the worker replays the Generator pair by pair (numpy's ziggurat
        cannot jump to pair j, so pairs before the last needed one are drawn and dropped: P/2 x n normals
        at most, ``ask``'s own cost) and keeps only its members."""
        rows = np.asarray(rows, dtype=np.int64)
        rng = np.random.Generator(getattr(np.random, message["rng"]["bit_generator"])())
        rng.bit_generator.state = message["rng"]
        mean, out = message["mean"], np.empty((len(rows), self.n_params))
        want = {int(r): i for i, r in enumerate(rows)}
        for j in range(int(rows.max()) // 2 + 1 if len(rows) else 0):
            eps = rng.standard_normal(self.n_params)  # a row of ask's [P/2, n] draw (same stream)
            for sign, member in ((1, 2 * j), (-1, 2 * j + 1)):
                if member in want:
                    out[want[member]] = mean + self.sigma0 * eps if sign > 0 else mean - self.sigma0 * eps
        return out

    def gradient(self, mean: np.ndarray, population: np.ndarray, returns: np.ndarray) -> np.ndarray:
        """The paper's estimate g = 1/(P sigma) sum_i u_i eps_i of grad E[F(theta + sigma eps)]."""
        eps = (population - mean) / self.sigma0
        return centered_ranks(returns) @ eps / (self.popsize * self.sigma0)

    def tell(self, state: OpenAIESState, population: np.ndarray, returns: np.ndarray) -> OpenAIESState:
        population, returns = np.asarray(population, dtype=float), np.asarray(returns, dtype=float)
        if population.shape != (self.popsize, self.n_params) or returns.shape != (self.popsize,):
            raise ValueError(f"expected population {(self.popsize, self.n_params)} and returns "
                             f"{(self.popsize,)}, got {population.shape} and {returns.shape}")
        return self.step(state, self.gradient(state.mean, population, returns))

    def step(self, state: OpenAIESState, g: np.ndarray) -> OpenAIESState:
        """The update from the gradient estimate g: Adam on ``-sigma g + weight_decay * theta``."""
        d = -self.sigma0 * g + self.weight_decay * state.mean  # descent direction, as the code's
        t = state.adam_t + 1
        m = self.beta1 * state.adam_m + (1 - self.beta1) * d
        v = self.beta2 * state.adam_v + (1 - self.beta2) * d * d
        a = self.lr * np.sqrt(1 - self.beta2**t) / (1 - self.beta1**t)
        mean = state.mean - a * m / (np.sqrt(v) + ADAM_EPSILON)
        return replace(state, mean=mean, adam_m=m, adam_v=v, adam_t=t, grad=g)

    def solution(self, state: OpenAIESState) -> np.ndarray:
        return state.mean.copy()
