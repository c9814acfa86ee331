"""The book's tasks: one registry entry per environment, with the facts every chapter needs.

`make_env(env_id)` returns the *unwrapped* Gymnasium environment: the evaluator enforces the
episode cap itself (`EnvSpec.max_steps`) and never steps a finished episode, so the per-step
wrappers (`TimeLimit`, `OrderEnforcing`, the passive checker) are not needed on the hot path.
`make_wrapped_env(env_id)` is the plain `gymnasium.make` environment, used as the "raw step rate"
baseline in benchmarks.

Atari (Pong) comes in two observation kinds, one registry entry each:

* ``ALE/Pong-v5`` -- pixels with the usual preprocessing (Mnih et al. 2015; Machado et al. 2018's
  v5 settings kept: sticky actions p=0.25, minimal action set): the ALE env made with
  ``frameskip=1``, then the preprocessing of Gymnasium's ``AtariPreprocessing`` (4-frame skip with
  max-pooling of the last two frames, up to 30 no-ops at reset, grey, 84x84 by area interpolation;
  needs ``opencv-python-headless``) and ``FrameStackObservation(4)``, fused into one environment
  (``envs.atari.AtariPixels``, bitwise equal to that wrapper stack): observations ``uint8[4, 84, 84]``.
  The policy is the population-batched CNN (``policies.cnn``).
* ``ALE/Pong-ram-v5`` -- a registry key of this book (not a Gymnasium id) for the same game with
  ``obs_type="ram"``: the console's 128 bytes of RAM, scaled to [0, 1], fed to a small MLP.

Both keep v5's frame-skip of 4 and its cap of 108,000 frames = 27,000 agent steps, and v5's sticky
actions (every frame, with probability 0.25 the previous action is repeated; Machado et al. 2018) --
drawn by ``envs.atari`` from a generator seeded at each ``reset(seed=...)`` instead of by the ALE.
The ALE applies a new seed only by reloading the ROM (~0.1 s, a third of a random Pong episode);
with sticky actions off the emulator is deterministic given the actions (tested), so the wrapper
keeps every episode a pure function of its seed at the cost of a plain ``reset_game``.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass

import gymnasium as gym
import numpy as np


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
    """The task's default network and method, and why (the registry documents both)."""
    network: str = "mlp"
    """Policy family the evaluator builds for this task: ``mlp`` or ``cnn`` (pixels)."""
    obs_shape: tuple[int, ...] | None = None
    """Shape of one observation when it is not a flat vector (pixels: ``(4, 84, 84)``)."""
    max_width: int | None = None
    """Most episodes the lockstep evaluator keeps in flight (None: no limit of the task's own). Each
    step touches every in-flight simulator; BipedalWalker's Box2D worlds (with their terrain) and the
    Atari emulators are big enough that many of them evict each other from the core's cache. Measured
    on the 2-core development machine (useful steps/s, median of 3 interleaved repeats): BipedalWalker
    at pop 64, widths 1/4/16/64 and serial: 7,876/8,097/7,960/7,089 and 7,899; Pong pixels at pop 16,
    widths 1/4/16 and serial: 3,210/3,314/3,076 and 3,228. LunarLander, CartPole and Pong RAM lose
    nothing at full width (and CartPole/LunarLander gain most from batching the forward)."""
    act_box: tuple[float, float] | None = None
    """Continuous tasks: the action box (low, high), the same in every dimension, as Gymnasium
    registers it (float32); the policy maps its tanh outputs onto it. None for discrete actions."""

    def __post_init__(self):
        if self.discrete == (self.act_box is not None):
            raise ValueError(f"{self.env_id}: a continuous task needs act_box, a discrete one has none")

    @property
    def act_low(self) -> tuple[float, ...] | None:
        """Every action dimension's lower bound (the float32 value, as the environment's ``action_space``)."""
        return None if self.act_box is None else (float(np.float32(self.act_box[0])),) * self.act_dim

    @property
    def act_high(self) -> tuple[float, ...] | None:
        return None if self.act_box is None else (float(np.float32(self.act_box[1])),) * self.act_dim


REGISTRY: dict[str, EnvSpec] = {
    s.env_id: s
    for s in (
        EnvSpec("CartPole-v1", 4, 2, True, 475.0, 500, (16,), "cmaes",
                "trivial control; MLP 4-16-2 (114 parameters), CMA-ES"),
        EnvSpec(
            "LunarLander-v3", 8, 4, True, 200.0, 1000, (64, 32), "cmaes",
            "the design note's 8-64-32-4 MLP (2,788 parameters), CMA-ES",
        ),
        EnvSpec("BipedalWalker-v3", 24, 4, False, 300.0, 1600, (40, 40), "cmaes",
                "estool's 24-40-40-4 MLP (2,804 parameters), CMA-ES; continuous actions (tanh to the box)",
                max_width=4, act_box=(-1.0, 1.0)),
        EnvSpec("ALE/Pong-v5", 84 * 84 * 4, 6, True, 21.0, 27000, (), "openai_es",
                "pixels (grey 84x84, 4 stacked frames); small CNN (policies.cnn: 8 and 16 filters, "
                "linear head, 11,902 parameters), OpenAI-ES as Salimans et al. 2017 for Atari",
                network="cnn", obs_shape=(4, 84, 84), max_width=4),
        EnvSpec("ALE/Pong-ram-v5", 128, 6, True, 21.0, 27000, (32,), "openai_es",
                "Pong from the 128 RAM bytes (/255), MLP 128-32-6 (4,326 parameters), OpenAI-ES: "
                "does a small network get anywhere without a CNN?"),
        EnvSpec("Humanoid-v5", 348, 17, False, None, 1000, (256, 256), "openai_es",
                "MuJoCo; Salimans et al. 2017's 256x256 tanh MLP (159,505 parameters), OpenAI-ES",
                act_box=(-0.4, 0.4)),
        EnvSpec("ReversalBandit-v0", 3, 2, True, None, 100, (16,), "neuromod",
                "envs.adapt: two-armed bandit whose good arm may swap within the episode (100 pulls); "
                "inputs previous action, reward and their product; MLP 3-16-2 (98 parameters), Neuromod (chapter 7)"),
        EnvSpec("CartPoleFlip-v1", 5, 2, True, 475.0, 500, (16,), "neuromod",
                "envs.adapt: CartPole with the actions inverted in a random half of the episodes; inputs "
                "the state and the previous action; MLP 5-16-2 (130 parameters), Neuromod (chapter 7)"),
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


ADAPT_IDS = ("ReversalBandit-v0", "CartPoleFlip-v1")
"""Chapter 7's tasks with a hidden per-episode context (``envs.adapt``, registered on import)."""


def register_extras(env_id: str) -> None:
    """Register ``env_id`` with Gymnasium where it is not one of Gymnasium's own (Atari, ``envs.adapt``)."""
    if env_id in ADAPT_IDS:
        from . import adapt  # noqa: F401 (registers them with Gymnasium)
    elif env_id.startswith("ALE/"):
        import ale_py  # ROMs ship with ale-py

        gym.register_envs(ale_py)


RAM_SUFFIX = "-ram-v5"


def _atari_pixels(env_id: str) -> gym.Env:
    from .atari import AtariPixels

    return AtariPixels(env_id)


def _atari_ram(env_id: str) -> gym.Env:
    from gymnasium.wrappers import TransformObservation

    from .atari import SeededAtari, ale_env

    base = SeededAtari(ale_env(env_id.replace(RAM_SUFFIX, "-v5"), obs_type="ram"), frameskip=4)
    space = gym.spaces.Box(0.0, 1.0, base.observation_space.shape)
    return TransformObservation(base, lambda o: o * (1.0 / 255.0), space)


def make_wrapped_env(env_id: str) -> gym.Env:
    """The environment exactly as `gymnasium.make` builds it (with its default wrappers); for Atari
    the ALE env with the observation kind of the registry entry (raw frames or raw RAM bytes)."""
    get_spec(env_id)
    register_extras(env_id)
    if env_id.endswith(RAM_SUFFIX):
        return gym.make(env_id.replace(RAM_SUFFIX, "-v5"), obs_type="ram")
    return gym.make(env_id)


def make_env(env_id: str) -> gym.Env:
    """The environment the evaluator steps: unwrapped (the caller enforces
    `get_spec(env_id).max_steps`), except Atari, which gets the preprocessing of the module docstring."""
    get_spec(env_id)
    if env_id.startswith("ALE/"):
        register_extras(env_id)
        return _atari_ram(env_id) if env_id.endswith(RAM_SUFFIX) else _atari_pixels(env_id)
    return make_wrapped_env(env_id).unwrapped
