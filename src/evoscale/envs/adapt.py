"""Tasks that change between episodes: each episode hides a context the agent must infer *within* it.

Both are Gymnasium environments whose episodes are a pure function of the reset seed (every random
number comes from ``self.np_random``, seeded by ``reset(seed=...)``), registered with Gymnasium on
import (``envs.registry.register_extras`` imports this module for their ids), and report the hidden
context of every step as ``info["context"]`` (for analysis only; no policy sees it).

* ``ReversalBandit-v0`` -- a two-armed bandit with a reversal (the reward-switching T-maze of
  Soltoggio et al. 2008 without the corridor; the meta-RL bandits of Wang et al. 2016 and Duan et al.
  2016). An episode is ``trials`` pulls. The good arm pays 1 with probability ``p_high``, the other
  with ``p_low``; which arm is good is drawn per episode, and with probability ``switch_prob`` the
  arms swap once, at a trial drawn uniformly from ``[trials // 4, 3 * trials // 4)``. Observation:
  ``[previous action a (-1 / +1), previous reward r (0 / 1), evidence a * (2 r - 1)]``, all 0 before
  the first pull -- the last trial's reward is an input, so a modulatory neuron can gate learning on
  it. The evidence (+1: "arm 1 looks good", -1: "arm 0 does") is a function of the other two, so it
  changes no bound below; it makes win-stay-lose-shift, the best feedforward policy, a *linear* map
  (otherwise an XOR of action and reward), so that no network type is held back by having to find
  the XOR first. Context: the good arm.
  Reward draws: one uniform number per trial, ``reward = u_t < p(arm)``, so the random numbers do not
  depend on the actions (every policy faces the same luck on the same seed).
* ``CartPoleFlip-v1`` -- CartPole-v1 whose action mapping is inverted (0 pushes right) in a random
  ``flip_prob`` of the episodes; nothing in the state says which. Observation: CartPole's four state
  variables plus the agent's previous action (-1 / +1; 0 at the start) -- the choice made for the
  book: with it a feedforward network sees what it did, but still not what that did to the cart (that
  needs the previous state as well), while a network with memory or plastic weights can relate its
  actions to their effects over time. Context: 1 if inverted.

``bandit_bounds`` gives the bandit's exact reference returns: the oracle that knows the context, and the
best *feedforward* policy -- a fixed map from the observation to an arm (the book's evolved networks
are deterministic: argmax), found by brute force over all 32 such maps with an exact forward
computation of each map's expected return. ``cartpole_references`` measures CartPoleFlip's oracle
(a fixed linear controller told the episode's context) and the same controller told nothing.
"""

from __future__ import annotations

import functools
import itertools

import gymnasium as gym
import numpy as np
from gymnasium.envs.classic_control.cartpole import CartPoleEnv

BANDIT_ID, CARTPOLE_ID = "ReversalBandit-v0", "CartPoleFlip-v1"


def _check_probability(name: str, value) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0.0 <= value <= 1.0:
        raise ValueError(f"{name} must be a probability in [0, 1], got {value!r}")
    return float(value)


class ReversalBandit(gym.Env):
    """Two arms, one good; the good arm may swap once per episode (see the module docstring)."""

    def __init__(self, trials: int = 100, p_high: float = 0.8, p_low: float = 0.2, switch_prob: float = 0.5):
        if isinstance(trials, bool) or not isinstance(trials, int) or trials < 4:
            raise ValueError(f"trials must be an integer >= 4, got {trials!r}")
        self.p_high, self.p_low = _check_probability("p_high", p_high), _check_probability("p_low", p_low)
        if not self.p_low < self.p_high:
            raise ValueError(f"p_low must be smaller than p_high, got p_low={p_low!r}, p_high={p_high!r}")
        self.trials, self.switch_prob = trials, _check_probability("switch_prob", switch_prob)
        self.observation_space = gym.spaces.Box(np.array([-1.0, 0.0, -1.0], np.float32), np.ones(3, np.float32))
        self.action_space = gym.spaces.Discrete(2)

    def reset(self, *, seed: int | None = None, options: dict | None = None):
        super().reset(seed=seed)
        rng = self.np_random
        self.good = int(rng.integers(2))
        switch = rng.random() < self.switch_prob
        at = int(rng.integers(self.trials // 4, 3 * self.trials // 4))  # drawn either way: one stream layout
        self.switch_at = at if switch else self.trials
        self.t = 0
        return np.zeros(3, np.float32), {"context": self.good, "switch_at": self.switch_at}

    def good_arm(self, t: int) -> int:
        return self.good if t < self.switch_at else 1 - self.good

    def step(self, action):
        good = self.good_arm(self.t)
        reward = float(self.np_random.random() < (self.p_high if int(action) == good else self.p_low))
        self.t += 1
        a = 1.0 if int(action) == 1 else -1.0
        obs = np.array([a, reward, a * (2.0 * reward - 1.0)], np.float32)
        return obs, reward, self.t >= self.trials, False, {"context": good, "switch_at": self.switch_at}


class CartPoleFlip(CartPoleEnv):
    """CartPole with the action mapping inverted in a random ``flip_prob`` of the episodes."""

    def __init__(self, flip_prob: float = 0.5, **kwargs):
        super().__init__(**kwargs)
        self.flip_prob = _check_probability("flip_prob", flip_prob)
        box = self.observation_space
        self.observation_space = gym.spaces.Box(np.append(box.low, -1.0).astype(np.float32),
                                                np.append(box.high, 1.0).astype(np.float32))

    def reset(self, *, seed: int | None = None, options: dict | None = None):
        state, _ = super().reset(seed=seed, options=options)
        self.inverted = int(self.np_random.random() < self.flip_prob)
        return np.append(state, np.float32(0.0)), {"context": self.inverted}

    def step(self, action):
        action = int(action)
        state, reward, terminated, truncated, info = super().step(action ^ self.inverted)
        obs = np.append(state, np.float32(1.0 if action == 1 else -1.0))
        return obs, reward, terminated, truncated, {**info, "context": self.inverted}


def _register() -> None:
    if BANDIT_ID not in gym.registry:
        gym.register(BANDIT_ID, entry_point=ReversalBandit, max_episode_steps=100)
        gym.register(CARTPOLE_ID, entry_point=CartPoleFlip, max_episode_steps=500, reward_threshold=475.0)


_register()


# --- reference returns ---------------------------------------------------------------------------

def feedforward_return(policy, trials: int = 100, p_high: float = 0.8, p_low: float = 0.2,
                       switch_prob: float = 0.5) -> np.ndarray:
    """Exact expected episode return of fixed maps ``policy[..., 5]`` from the observation index to an
    arm (index 0: the first pull; after it 1 + 2 * previous arm + previous reward) on
    ``ReversalBandit(trials, p_high, p_low, switch_prob)``: the distribution over the five
    observations is carried forward trial by trial, for both first good arms and every switch trial
    (and no switch), weighted by their probabilities."""
    policy = np.asarray(policy)
    starts = np.arange(trials // 4, 3 * trials // 4)
    switch_at = np.append(starts, trials)  # the last entry: no switch
    weight = np.append(np.full(starts.size, switch_prob / starts.size), 1.0 - switch_prob)
    total, arm = np.zeros(policy.shape[:-1]), policy[..., None, :]  # arm: [..., 1, 5]
    for first in (0, 1):
        d = np.zeros((*policy.shape[:-1], switch_at.size, 5))  # P(observation) per map and switch trial
        d[..., 0] = 1.0
        for t in range(trials):
            good = np.where(t < switch_at, first, 1 - first)  # [switch trials]
            p = np.where(arm == good[:, None], p_high, p_low)  # P(reward) per observation
            total = total + 0.5 * ((d * p).sum(-1) * weight).sum(-1)
            won, lost, right = d * p, d * (1.0 - p), arm == 1
            d = np.stack([np.zeros_like(d[..., 0]), (lost * ~right).sum(-1), (won * ~right).sum(-1),
                          (lost * right).sum(-1), (won * right).sum(-1)], -1)  # index 1 + 2 arm + reward
    return total


@functools.lru_cache(maxsize=None)
def bandit_bounds(trials: int = 100, p_high: float = 0.8, p_low: float = 0.2, switch_prob: float = 0.5) -> dict:
    """Reference returns of ``ReversalBandit``: ``oracle`` (always the good arm: ``p_high * trials``),
    ``feedforward`` (the best of all 2^5 fixed observation -> arm maps, exact) with that map
    (``feedforward_map``: arm per observation index) and ``blind`` (one fixed arm:
    ``(p_high + p_low) / 2 * trials``)."""
    maps = np.array(list(itertools.product((0, 1), repeat=5)))
    values = feedforward_return(maps, trials, p_high, p_low, switch_prob)
    best = int(np.argmax(values))
    return {"oracle": p_high * trials, "feedforward": float(values[best]), "feedforward_map": maps[best].tolist(),
            "blind": (p_high + p_low) / 2 * trials}


CARTPOLE_GAINS = np.array([0.1, 0.5, 10.0, 2.0])
"""A linear CartPole controller (push where ``gains . state`` points: towards where the pole falls)."""


@functools.lru_cache(maxsize=None)
def cartpole_references(episodes: int = 200, flip_prob: float = 0.5) -> dict:
    """Mean returns on ``CartPoleFlip`` (seeds 0 .. episodes-1) of the linear controller
    ``CARTPOLE_GAINS`` told the context (``oracle``: it undoes the inversion) and told nothing
    (``blind``: it balances the normal episodes and fails the inverted ones), with the share of
    inverted episodes among those seeds."""
    env, totals = CartPoleFlip(flip_prob), {"oracle": [], "blind": []}
    for told in (True, False):
        for seed in range(episodes):
            obs, info = env.reset(seed=seed)
            flip, steps, done = info["context"] if told else 0, 0, False
            while not done and steps < 500:
                obs, _, done, _, _ = env.step(int(float(CARTPOLE_GAINS @ obs[:4]) > 0) ^ flip)
                steps += 1
            totals["oracle" if told else "blind"].append(steps)
    inverted = np.mean([env.reset(seed=s)[1]["context"] for s in range(episodes)])
    return {k: float(np.mean(v)) for k, v in totals.items()} | {"inverted_share": float(inverted)}
