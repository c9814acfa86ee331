"""Atari (Pong) as the evaluator steps it: seeded sticky actions, and the pixel preprocessing fused
into one environment.

``SeededAtari`` draws v5's sticky actions (every frame, with probability 0.25 the previous action is
repeated; Machado et al. 2018) and the no-op count from generators seeded at ``reset(seed=...)``
instead of by the ALE, which applies a new seed only by reloading its ROM (~0.1 s, a third of a
random Pong episode). With sticky actions off the emulator is deterministic given the actions, so
every episode is a pure function of its seed at the cost of a plain ``reset_game``.

``AtariPixels`` is ``FrameStackObservation(AtariPreprocessing(SeededAtari(ale)), 4)`` -- up to 30
no-ops at reset, 4-frame skip with max-pooling of the last two frames, grey, 84x84 by area
interpolation, 4 stacked frames -- written as one loop over ``ale.act``. Same frames, rewards and
episode ends bit for bit (``reference_pixels`` builds the wrapper stack; the tests compare them),
but one Python call per agent step instead of a dozen (on the development machine 241 against
255 us per agent step; of those, ~180 us are the emulator's four frames, ~39 us the area resize and
~18 us the two grey screens).
"""

from __future__ import annotations

import gymnasium as gym
import numpy as np

NOOP_MAX, FRAME_SKIP, SIDE, STACK = 30, 4, 84, 4


def seeded_rngs(seed: int) -> tuple[np.random.Generator, np.random.Generator]:
    """The (sticky-action, no-op count) generators of an episode reset with ``seed``."""
    sticky, noops = np.random.SeedSequence(seed).spawn(2)
    return np.random.default_rng(sticky), np.random.default_rng(noops)


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
        if seed is not None:  # the no-op generator is AtariPreprocessing's
            self.rng, self.env.unwrapped.np_random = seeded_rngs(seed)
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


def ale_env(env_id: str, **kw) -> gym.Env:
    """The bare ALE environment: no frame skip, no sticky actions (``SeededAtari`` adds both)."""
    import ale_py  # ROMs ship with ale-py

    gym.register_envs(ale_py)
    return gym.make(env_id, frameskip=1, repeat_action_probability=0.0, **kw).unwrapped


def reference_pixels(env_id: str) -> gym.Env:
    """The Gymnasium wrapper stack that ``AtariPixels`` fuses (the tests' reference)."""
    from gymnasium.wrappers import AtariPreprocessing, FrameStackObservation

    env = SeededAtari(ale_env(env_id), observe=False)
    env = AtariPreprocessing(env, noop_max=NOOP_MAX, frame_skip=FRAME_SKIP, screen_size=SIDE, grayscale_obs=True)
    return FrameStackObservation(env, STACK)


class AtariPixels(gym.Env):
    """Observations ``uint8[4, 84, 84]``; see the module docstring (sticky probability ``p``)."""

    def __init__(self, env_id: str, p: float = 0.25):
        import cv2

        self._resize, self._area = cv2.resize, cv2.INTER_AREA
        self.ale_env = ale_env(env_id)
        self.ale, self.action_set = self.ale_env.ale, self.ale_env._action_set
        self.action_space = gym.spaces.Discrete(len(self.action_set))
        self.observation_space = gym.spaces.Box(0, 255, (STACK, SIDE, SIDE), np.uint8)
        h, w = self.ale.getScreenDims()
        self.screens = [np.zeros((h, w), np.uint8), np.zeros((h, w), np.uint8)]  # last, second-to-last frame
        self.stack = np.zeros((STACK, SIDE, SIDE), np.uint8)
        self.p, self.last = p, 0
        self.rng, self.noop_rng = np.random.default_rng(0), np.random.default_rng(0)

    def _frame(self, action: int) -> float:
        """One emulator frame with a sticky-action draw (as ``SeededAtari.step`` with frameskip 1)."""
        if self.rng.random() >= self.p:
            self.last = action
        return self.ale.act(self.action_set[self.last], 1.0)

    def _pooled(self) -> np.ndarray:
        last, before = self.screens
        np.maximum(last, before, out=last)
        return self._resize(last, (SIDE, SIDE), interpolation=self._area)

    def _reset_game(self, seed: int | None) -> None:
        if seed is not None:
            self.rng, self.noop_rng = seeded_rngs(seed)
        self.last = 0
        self.ale.reset_game()

    def reset(self, *, seed: int | None = None, options=None):
        self._reset_game(seed)
        for _ in range(int(self.noop_rng.integers(1, NOOP_MAX + 1))):
            self._frame(0)
            if self.ale.game_over(with_truncation=False) or self.ale.game_truncated():
                self._reset_game(seed)  # as AtariPreprocessing: a reset with the same seed
        self.ale.getScreenGrayscale(self.screens[0])
        self.screens[1].fill(0)
        self.stack[:] = self._pooled()
        return self.stack.copy(), {}

    def step(self, action):
        action, total, ale = int(action), 0.0, self.ale
        terminated = truncated = False
        for t in range(FRAME_SKIP):
            total += self._frame(action)
            terminated, truncated = ale.game_over(with_truncation=False), ale.game_truncated()
            if terminated or truncated:
                break
            if t >= FRAME_SKIP - 2:  # the last two frames, for max-pooling
                ale.getScreenGrayscale(self.screens[FRAME_SKIP - 1 - t])
        self.stack[:-1] = self.stack[1:]
        self.stack[-1] = self._pooled()
        return self.stack.copy(), total, terminated, truncated, {}

    def close(self):
        self.ale_env.close()
