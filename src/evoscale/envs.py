"""The book's tasks: one registry entry per environment, with the facts every chapter needs.

`make_env(env_id)` returns the *unwrapped* Gymnasium environment: the evaluator enforces the
episode cap itself (`EnvSpec.max_steps`) and never steps a finished episode, so the per-step
wrappers (`TimeLimit`, `OrderEnforcing`, the passive checker) are not needed on the hot path.
`make_wrapped_env(env_id)` is the plain `gymnasium.make` environment, used as the "raw step rate"
baseline in benchmarks.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass

import gymnasium as gym


@dataclass(frozen=True)
class EnvSpec:
    """Static facts about one task."""

    env_id: str
    obs_dim: int
    act_dim: int
    discrete: bool
    solved: float | None
    """Gymnasium's reward threshold for "solved" (mean over 100 fresh episodes); None if none."""
    max_steps: int
    """Episode cap (truncation) as registered in Gymnasium."""
    default_hidden: tuple[int, ...]
    """The network this book uses by default for the task."""
    default_method: str
    note: str = ""


REGISTRY: dict[str, EnvSpec] = {
    s.env_id: s
    for s in (
        EnvSpec("CartPole-v1", 4, 2, True, 475.0, 500, (16,), "cmaes", "trivial control"),
        EnvSpec(
            "LunarLander-v3", 8, 4, True, 200.0, 1000, (64, 32), "cmaes",
            "the seed's 8-64-32-4 MLP has 2,788 parameters",
        ),
        EnvSpec("BipedalWalker-v3", 24, 4, False, 300.0, 1600, (40, 40), "cmaes", "estool's 2,804-param net"),
        EnvSpec("ALE/Pong-v5", 84 * 84 * 4, 6, True, 21.0, 27000, (), "openai_es", "pixels; needs a CNN"),
        EnvSpec("Humanoid-v5", 348, 17, False, None, 1000, (256, 256), "openai_es", "Salimans et al. 256x256"),
    )
}
"""All tasks the book knows. Pong's solved value is the maximum score (+21)."""


def get_spec(env_id: str) -> EnvSpec:
    """Registry lookup; unknown ids raise ValueError naming the valid ones."""
    try:
        return REGISTRY[env_id]
    except KeyError:
        close = difflib.get_close_matches(env_id, REGISTRY, n=1)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        raise ValueError(
            f"unknown env {env_id!r}.{hint} Valid envs: {', '.join(REGISTRY)}."
        ) from None


def _register_extras(env_id: str) -> None:
    if env_id.startswith("ALE/"):
        import ale_py  # ROMs ship with ale-py

        gym.register_envs(ale_py)


def make_wrapped_env(env_id: str) -> gym.Env:
    """The environment exactly as `gymnasium.make` builds it (with its default wrappers)."""
    get_spec(env_id)
    _register_extras(env_id)
    return gym.make(env_id)


def make_env(env_id: str) -> gym.Env:
    """The unwrapped environment; the caller enforces `get_spec(env_id).max_steps`."""
    return make_wrapped_env(env_id).unwrapped
