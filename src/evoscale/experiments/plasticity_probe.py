"""Chapter 7's within-episode analysis: replay a trained network on fresh episodes and record what it
does step by step, and what it carries from step to step.

``probe`` runs one evolved solution on ``episodes`` fresh episodes (seed stream ``PROBE``, which
neither training nor the solved tests use) in lockstep and returns a ``Trace``: reward, action and
hidden context per step, and the network's *memory* every ``stride`` steps -- Neuromod's fast
weights minus their episode-start values (flattened over all layers), the GRU's hidden state, nothing
for the MLP. The analyses below turn traces into tidy frames for the figures.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..config import RunConfig
from ..envs import get_spec, make_env
from ..envs.adapt import BANDIT_ID
from ..evaluation import episode_seeds, reset
from ..policies import MLPPolicy, NeuromodState, RecurrentState, layer_sizes, make_policy
from ..trainers import policy_for

PROBE = 2
"""Seed stream of the replays (training uses 0, the solved tests 1)."""


@dataclass
class Trace:
    reward: np.ndarray
    """[E, T] reward of each step; NaN after the episode ended."""
    action: np.ndarray
    """[E, T] action of each step; -1 after the episode ended."""
    context: np.ndarray
    """[E, T] the hidden context of each step (``info["context"]``); -1 after the episode ended."""
    at: np.ndarray
    """[K] steps after which ``memory`` was recorded."""
    memory: np.ndarray
    """[E, K, D] the network's memory after those steps, relative to the episode start."""

    @property
    def length(self) -> np.ndarray:
        return (self.action >= 0).sum(axis=1)


def memory(state) -> np.ndarray:
    """What a network carries from one step to the next, one row per episode (see the module docstring)."""
    if isinstance(state, NeuromodState):
        return np.concatenate([W.reshape(len(W), -1) for W in state.W], axis=1)
    if isinstance(state, RecurrentState):
        return state.h.copy()
    return np.zeros((len(state[0][0]), 0))  # the MLP's layers: no memory


def probe(config: RunConfig, solution, episodes: int, stride: int = 1) -> Trace:
    """Replay ``solution`` (a vector, or the JSON of a record's ``solution``) of ``config``'s network."""
    solution = np.asarray(json.loads(solution) if isinstance(solution, str) else solution, dtype=float)
    spec = get_spec(config.env)
    kind, kw = policy_for(config.method, dict(config.hyper or ()))
    policy = make_policy(spec, config.hidden, "cpu", kind, **kw)
    seeds = episode_seeds(config.seed, PROBE, 0, 1, episodes)[0]
    envs = [make_env(config.env) for _ in seeds]
    obs = np.stack([reset(env, s) for env, s in zip(envs, seeds)])
    state = policy.unflatten(np.repeat(solution[None], episodes, axis=0))
    start, T = memory(state), spec.max_steps
    reward, action, context = np.full((episodes, T), np.nan), np.full((episodes, T), -1), np.full((episodes, T), -1)
    at, mem, alive = np.arange(stride - 1, T, stride), [], np.ones(episodes, dtype=bool)
    for t in range(T):
        actions = policy.forward(state, obs)  # every row: finished ones are ignored
        for i in np.flatnonzero(alive):
            obs[i], reward[i, t], terminated, _, info = envs[i].step(actions[i])
            action[i, t], context[i, t], alive[i] = actions[i], info["context"], not terminated
        if t % stride == stride - 1:
            mem.append(memory(state) - start)
        if not alive.any():
            at = at[: len(mem)]
            break
    return Trace(reward, action, context, at, np.stack(mem, axis=1))


def wsls_solution(hidden: tuple[int, ...]) -> np.ndarray:
    """The bandit's best feedforward policy, win-stay-lose-shift, as weights of the chapter's MLP
    (``ReversalBandit`` input -> ``hidden`` -> 2): hidden unit 0 of each layer passes the evidence input
    on, and the output's arm-1 logit minus its arm-0 logit is that unit (arm 0 on a tie: the first pull)."""
    spec = get_spec(BANDIT_ID)
    theta, k = np.zeros(MLPPolicy(spec.obs_dim, tuple(hidden), spec.act_dim, True).n_params), 0
    sizes = layer_sizes(spec.obs_dim, tuple(hidden), spec.act_dim)
    for j, (i, o) in enumerate(sizes):
        W = theta[k : k + i * o].reshape(i, o)  # a view: writes go into theta
        src = 2 if j == 0 else 0  # the evidence input, then hidden unit 0
        if j < len(sizes) - 1:
            W[src, 0] = 1.0
        else:
            W[src] = (-1.0, 1.0)
        k += i * o + o
    return theta


def around_switch(trace: Trace, before: int = 20, after: int = 40) -> pd.DataFrame:
    """Bandit: per trial relative to the swap (0: the first trial after it), over the episodes that swap,
    the share of pulls of the now-good arm and the mean reward."""
    switch = np.argmax(trace.context != trace.context[:, :1], axis=1)
    swapped = np.flatnonzero(switch > 0)
    offsets = np.arange(-before, after)
    idx = switch[swapped, None] + offsets[None, :]
    ok = (idx >= 0) & (idx < trace.action.shape[1])
    idx = np.clip(idx, 0, trace.action.shape[1] - 1)
    good = np.take_along_axis(trace.action[swapped] == trace.context[swapped], idx, 1)
    rew = np.take_along_axis(trace.reward[swapped], idx, 1)
    n = ok.sum(0)
    share = np.where(n > 0, (good & ok).sum(0) / np.maximum(n, 1), np.nan)
    mean_reward = np.where(n > 0, np.where(ok, rew, 0.0).sum(0) / np.maximum(n, 1), np.nan)
    return pd.DataFrame({"offset": offsets, "p_good": share, "reward": mean_reward, "episodes": n})


def recovery_trials(curve: pd.DataFrame, level: float = 0.5) -> float:
    """Trials after the swap until the share of good-arm pulls first reaches ``level`` again (NaN: never)."""
    after = curve[curve["offset"] >= 0]
    hit = after.loc[after["p_good"] >= level, "offset"]
    return float(hit.iloc[0]) + 1 if len(hit) else np.nan


def survival(trace: Trace) -> pd.DataFrame:
    """CartPoleFlip: share of episodes still running after each step, per context (0 normal, 1 inverted)."""
    flip = trace.context[:, 0]
    steps = np.arange(1, trace.action.shape[1] + 1)
    rows = [pd.DataFrame({"step": steps, "context": c, "alive": (trace.length[flip == c, None] >= steps).mean(0)})
            for c in (0, 1) if (flip == c).any()]
    return pd.concat(rows, ignore_index=True)


def project(trace: Trace) -> np.ndarray:
    """[E, K] the memory projected on the axis from the mean memory in context 0 to that in context 1
    (``memory`` steps pooled), centred on their midpoint: positive reads "context 1". Fitted on the
    even episodes and applied to the odd ones, and vice versa. All NaN for a network without memory."""
    E, K, D = trace.memory.shape
    ctx, proj = trace.context[:, trace.at], np.full((E, K), np.nan)
    if D == 0:
        return proj
    for fit, use in ((slice(0, None, 2), slice(1, None, 2)), (slice(1, None, 2), slice(0, None, 2))):
        m, c = trace.memory[fit], ctx[fit]
        if not ((c == 0).any() and (c == 1).any()):
            continue  # one context never seen while running: no axis
        mu0, mu1 = m[c == 0].mean(0), m[c == 1].mean(0)
        axis = (mu1 - mu0) / max(float(np.linalg.norm(mu1 - mu0)), 1e-12)
        proj[use] = (trace.memory[use] - (mu0 + mu1) / 2) @ axis
    return np.where(ctx >= 0, proj, np.nan)


def decoding(trace: Trace, proj: np.ndarray) -> pd.DataFrame:
    """Per recorded step, the share of running episodes whose projection's sign names their context."""
    seen = np.isfinite(proj)
    hits = (seen & ((proj > 0) == (trace.context[:, trace.at] == 1))).sum(axis=0)
    counts = seen.sum(axis=0)
    return pd.DataFrame({"step": trace.at + 1, "accuracy": np.where(counts > 0, hits / np.maximum(counts, 1), np.nan)})
