"""What makes an evaluation reproducible, shared by every backend: episode seeds, the result type and
a reset that is a pure function of its seed.

Episode seeds are a pure function of (run seed, stream, generation, individual, episode), so every
backend -- and any split of the population across workers -- gives identical returns.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

TRAIN, EVAL = 0, 1
"""Seed streams: training episodes and the fresh episodes of the solved test never share seeds."""


CONTIGUOUS_SPAN = 2**31 - 2**24
"""Contiguous seeds start below this, so a generation of up to 2**24 episodes stays within int32
(EnvPool's seed type)."""


def episode_seeds(run_seed: int, stream: int, generation: int, n_individuals: int, episodes: int,
                  contiguous: bool = False) -> np.ndarray:
    """``seeds[i, e]`` for individual i's episode e (32-bit ints, fit for ``env.reset(seed=...)``).

    ``contiguous``: the seeds are one run of consecutive integers ``base + i * episodes + e``, ``base``
    drawn from the same four numbers (what one EnvPool pool per generation needs,
    ``evaluation.envpool``); otherwise every seed is drawn independently.
    """
    if contiguous:
        if n_individuals * episodes > 2**24:
            raise ValueError(f"contiguous seeds cover at most 2**24 episodes, got {n_individuals * episodes}")
        base = int(np.random.SeedSequence([run_seed, stream, generation]).generate_state(1)[0]) % CONTIGUOUS_SPAN
        return base + np.arange(n_individuals * episodes, dtype=np.int64).reshape(n_individuals, episodes)
    return np.array(
        [
            [np.random.SeedSequence([run_seed, stream, generation, i, e]).generate_state(1)[0] for e in range(episodes)]
            for i in range(n_individuals)
        ],
        dtype=np.int64,
    )


@dataclass
class EvalResult:
    returns: np.ndarray
    """Episode returns, shape [P, episodes] (maximised everywhere)."""
    lengths: np.ndarray
    """Episode lengths in env steps, shape [P, episodes]."""

    @property
    def env_steps(self) -> int:
        return int(self.lengths.sum())

    @property
    def episodes(self) -> int:
        return int(self.lengths.size)


def reset(env, seed: int) -> np.ndarray:
    """``env.reset(seed=seed)``, made a pure function of the seed.

    Gymnasium's Box2D tasks keep one ``b2World`` for the environment's lifetime and only destroy its
    bodies on reset; the world's internal bookkeeping (proxy ids, contact order) then depends on the
    episodes that came before, and BipedalWalker's returns differ in the 3rd digit between a fresh
    and a used environment with the same seed. A new world per episode removes that history.
    """
    world = getattr(env, "world", None)
    if world is not None and hasattr(env, "_destroy"):
        import Box2D

        env._destroy()
        env.world = Box2D.b2World(gravity=world.gravity)
    return env.reset(seed=int(seed))[0]
