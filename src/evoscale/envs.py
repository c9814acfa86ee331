"""The book's tasks: one registry entry per environment, with the facts every chapter needs.

`make_env(env_id)` returns the *unwrapped* Gymnasium environment: the evaluator enforces the
episode cap itself (`EnvSpec.max_steps`) and never steps a finished episode, so the per-step
wrappers (`TimeLimit`, `OrderEnforcing`, the passive checker) are not needed on the hot path.
`make_wrapped_env(env_id)` is the plain `gymnasium.make` environment, used as the "raw step rate"
baseline in benchmarks.

Atari (Pong) comes in two observation kinds, one registry entry each:

* ``ALE/Pong-v5`` -- pixels with the usual preprocessing (Mnih et al. 2015; Machado et al. 2018's
  v5 settings kept: sticky actions p=0.25, minimal action set): the ALE env made with
  ``frameskip=1``, then Gymnasium's ``AtariPreprocessing`` (4-frame skip with max-pooling of the
  last two frames, up to 30 no-ops at reset, grey, 84x84 by area interpolation; needs
  ``opencv-python-headless``) and ``FrameStackObservation(4)``: observations ``uint8[4, 84, 84]``.
  The policy is the population-batched CNN (``policies_cnn``).
* ``ALE/Pong-ram-v5`` -- a registry key of this book (not a Gymnasium id) for the same game with
  ``obs_type="ram"``: the console's 128 bytes of RAM, scaled to [0, 1], fed to a small MLP.

Both keep v5's frame-skip of 4 and its cap of 108,000 frames = 27,000 agent steps, and v5's sticky
actions (every frame, with probability 0.25 the previous action is repeated; Machado et al. 2018) --
drawn by ``SeededAtari`` from a generator seeded at each ``reset(seed=...)`` instead of by the ALE.
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


REGISTRY: dict[str, EnvSpec] = {
    s.env_id: s
    for s in (
        EnvSpec("CartPole-v1", 4, 2, True, 475.0, 500, (16,), "cmaes",
                "trivial control; MLP 4-16-2 (114 parameters), CMA-ES"),
        EnvSpec(
            "LunarLander-v3", 8, 4, True, 200.0, 1000, (64, 32), "cmaes",
            "the seed's 8-64-32-4 MLP (2,788 parameters), CMA-ES",
        ),
        EnvSpec("BipedalWalker-v3", 24, 4, False, 300.0, 1600, (40, 40), "cmaes",
                "estool's 24-40-40-4 MLP (2,804 parameters), CMA-ES; continuous actions (tanh to the box)"),
        EnvSpec("ALE/Pong-v5", 84 * 84 * 4, 6, True, 21.0, 27000, (), "openai_es",
                "pixels (grey 84x84, 4 stacked frames); small CNN (policies_cnn: 8 and 16 filters, "
                "linear head, 11,902 parameters), OpenAI-ES as Salimans et al. 2017 for Atari",
                network="cnn", obs_shape=(4, 84, 84)),
        EnvSpec("ALE/Pong-ram-v5", 128, 6, True, 21.0, 27000, (32,), "openai_es",
                "Pong from the 128 RAM bytes (/255), MLP 128-32-6 (4,326 parameters), OpenAI-ES: "
                "does a small network get anywhere without a CNN?"),
        EnvSpec("Humanoid-v5", 348, 17, False, None, 1000, (256, 256), "openai_es",
                "MuJoCo; Salimans et al. 2017's 256x256 tanh MLP (159,505 parameters), OpenAI-ES"),
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


RAM_SUFFIX = "-ram-v5"


class SeededAtari(gym.Wrapper):
    """Sticky actions (per frame, probability ``p``) and the no-op count from generators seeded at
    ``reset(seed=...)``; the ALE below runs with ``repeat_action_probability=0`` and is reset without
    reloading its ROM. Each agent action lasts ``frameskip`` frames (rewards summed), driven through
    ``ale.act`` as ale-py's own step does. ``observe=False`` skips fetching the observation (for
    ``AtariPreprocessing``, which reads the screen from the ALE itself and ignores it)."""

    def __init__(self, env: gym.Env, p: float = 0.25, frameskip: int = 1, observe: bool = True):
        super().__init__(env)
        self.p, self.frameskip, self.observe, self.last = p, frameskip, observe, 0
        self.rng = np.random.default_rng(0)

    def reset(self, *, seed: int | None = None, options=None):
        if seed is not None:
            sticky, noops = np.random.SeedSequence(seed).spawn(2)
            self.rng = np.random.default_rng(sticky)
            self.env.unwrapped.np_random = np.random.default_rng(noops)  # AtariPreprocessing's no-ops
        self.last = 0  # the ALE's previous action after a reset: NOOP
        return self.env.reset(options=options)

    def step(self, action):
        env = self.env.unwrapped
        ale, total = env.ale, 0.0
        for _ in range(self.frameskip):
            if self.rng.random() >= self.p:
                self.last = int(action)
            total += ale.act(env._action_set[self.last], 1.0)
        obs = env._get_obs() if self.observe else None
        return obs, total, ale.game_over(with_truncation=False), ale.game_truncated(), {"lives": ale.lives()}


def _ale(env_id: str, **kw) -> gym.Env:
    return gym.make(env_id, frameskip=1, repeat_action_probability=0.0, **kw).unwrapped


def _atari_pixels(env_id: str) -> gym.Env:
    from gymnasium.wrappers import AtariPreprocessing, FrameStackObservation

    env = SeededAtari(_ale(env_id), observe=False)  # per-frame sticky actions; AtariPreprocessing skips frames
    env = AtariPreprocessing(env, noop_max=30, frame_skip=4, screen_size=84, grayscale_obs=True)
    return FrameStackObservation(env, 4)


def _atari_ram(env_id: str) -> gym.Env:
    from gymnasium.wrappers import TransformObservation

    base = SeededAtari(_ale(env_id.replace(RAM_SUFFIX, "-v5"), obs_type="ram"), frameskip=4)
    space = gym.spaces.Box(0.0, 1.0, base.observation_space.shape)
    return TransformObservation(base, lambda o: o * (1.0 / 255.0), space)


def make_wrapped_env(env_id: str) -> gym.Env:
    """The environment exactly as `gymnasium.make` builds it (with its default wrappers); for Atari
    the ALE env with the observation kind of the registry entry (raw frames or raw RAM bytes)."""
    get_spec(env_id)
    _register_extras(env_id)
    if env_id.endswith(RAM_SUFFIX):
        return gym.make(env_id.replace(RAM_SUFFIX, "-v5"), obs_type="ram")
    return gym.make(env_id)


def make_env(env_id: str) -> gym.Env:
    """The environment the evaluator steps: unwrapped (the caller enforces
    `get_spec(env_id).max_steps`), except Atari, which gets the preprocessing of the module docstring."""
    get_spec(env_id)
    if env_id.startswith("ALE/"):
        _register_extras(env_id)
        return _atari_ram(env_id) if env_id.endswith(RAM_SUFFIX) else _atari_pixels(env_id)
    return make_wrapped_env(env_id).unwrapped
