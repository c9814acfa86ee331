"""The two in-process backends, one contract: ``evaluate(population, seeds) -> EvalResult``.

* ``SerialEvaluator`` -- the reference: one episode after another, one forward per step.
* ``LockstepEvaluator`` -- all (individual, episode) jobs at once, one batched forward per step for
  the episodes still running. A finished episode leaves the batch immediately, so time is spent only
  on useful steps even when a population mixes 100-step crashes with 1,000-step hovering landers.

Every episode is a pure function of its seed (``seeds``), so both give identical returns.
"""

from __future__ import annotations

import numpy as np

from ..envs import get_spec, make_env
from ..policies import LowRankPopulation, make_policy
from .seeds import EvalResult, reset


class SerialEvaluator:
    """Reference backend: plain loops, one environment, one individual at a time."""

    def __init__(self, env_id: str, hidden: tuple[int, ...], device: str = "cpu", policy: str = "mlp",
                 **policy_kw):
        self.spec = get_spec(env_id)
        self.policy = make_policy(self.spec, hidden, device, policy, **policy_kw)
        self.env = make_env(env_id)

    def evaluate(self, population: np.ndarray, seeds: np.ndarray) -> EvalResult:
        P, E = seeds.shape
        returns, lengths = np.zeros((P, E)), np.zeros((P, E), dtype=np.int64)
        for p in range(P):
            for e in range(E):
                layers = self.policy.unflatten(population[p : p + 1])  # fresh (plastic) state per episode
                obs = reset(self.env, seeds[p, e])
                for t in range(self.spec.max_steps):
                    action = self.policy.forward(layers, obs[None])[0]
                    obs, r, terminated, _, _ = self.env.step(action)
                    returns[p, e] += r
                    lengths[p, e] = t + 1
                    if terminated:
                        break
        return EvalResult(returns, lengths)


CACHE_BYTES = 2 << 20
"""Budget for the per-row state (weights) of one lockstep batch, ``policy.row_bytes`` per row: the
L2 cache of one core of a current x86 server. A batch whose rows stream more than this through the
core every step (Humanoid's 256x256 MLP: 1.3 MB per individual in float64) runs from DRAM -- all
64 individuals' weights are 81 MB -- and pushes the simulators' state out of the cache, so the
lockstep evaluator then keeps fewer episodes in flight (``LockstepEvaluator.width``)."""


class LockstepEvaluator:
    """One process, episodes in lockstep; only the running ones are stepped and forwarded.

    At most ``width`` episodes are in flight (default: as many rows as fit ``CACHE_BYTES`` by the
    policy's ``row_bytes``, all jobs for small networks or a policy without ``row_bytes``; never more
    than the task's ``EnvSpec.max_width``, where many simulators in flight evict each other). When an
    episode ends and jobs are waiting, the next job takes over its batch row and its environment
    (weights copied into that row in place, ``policy.put``); once none wait, finished rows leave the
    batch (``policy.take``). Every row is computed on its own, so the width never changes a result.

    ``timer``: an optional ``timer(kind, fn) -> fn`` through which ``evaluate`` makes the calls a time
    breakdown needs (``bench.evaluator``): kind ``"env"`` wraps every environment step and reset,
    ``"network"`` the policy forward. None (the default): the calls themselves.
    """

    def __init__(self, env_id: str, hidden: tuple[int, ...], device: str = "cpu", policy: str = "mlp",
                 width: int | None = None, timer=None, **policy_kw):
        if width is not None and (not isinstance(width, int) or width < 1):
            raise ValueError(f"width must be a positive integer or None, got {width!r}")
        self.spec = get_spec(env_id)
        self.policy = make_policy(self.spec, hidden, device, policy, **policy_kw)
        self.width, self.timer = width, timer
        self.envs: list = []  # reused across calls: creating Box2D worlds is not free

    def _envs(self, n: int) -> list:
        while len(self.envs) < n:
            self.envs.append(make_env(self.spec.env_id))
        return self.envs[:n]

    def prepare(self, jobs: int) -> None:
        """Build the environments an evaluation of ``jobs`` jobs steps (e.g. before timing one)."""
        self._envs(self.batch_width(jobs))

    def batch_width(self, jobs: int, row_bytes: int | None = None) -> int:
        """Episodes in flight for ``jobs`` (individual, episode) jobs: ``width`` if given, else as many
        as the policy's rows fit ``CACHE_BYTES``, at most the task's ``EnvSpec.max_width``. ``row_bytes``:
        a population's own bytes per row where it says (a factored population's factors, its centre
        shared by all rows), else the policy's."""
        if self.width is not None:
            return min(self.width, jobs)
        if not hasattr(self.policy, "put"):
            return jobs
        if row_bytes is None:
            row_bytes = getattr(self.policy, "row_bytes", 0)
        width = max(1, min(jobs, CACHE_BYTES // row_bytes)) if row_bytes else jobs
        return min(width, self.spec.max_width or width)

    def _factored_row_bytes(self, population) -> int | None:
        """A factored population's bytes per row where the policy runs it factored (the MLP of its layout)."""
        if isinstance(population, LowRankPopulation) and population.layout == getattr(self.policy, "layout", None):
            return population.row_bytes
        return None

    def evaluate(self, population: np.ndarray, seeds: np.ndarray) -> EvalResult:
        P, E = seeds.shape
        jobs = P * E
        width, cap, seeds = self.batch_width(jobs, self._factored_row_bytes(population)), self.spec.max_steps, seeds.ravel()
        timed = self.timer or _untimed
        reset_, forward = timed("env", reset), timed("network", self.policy.forward)
        envs = self._envs(width)  # batch row i steps envs[i]; a job taking over a row takes its env
        steps = [timed("env", env.step) for env in envs]
        obs = np.stack([reset_(env, s) for env, s in zip(envs, seeds[:width])])
        running = np.arange(width)  # job j = individual j // E, episode j % E
        fresh = self.policy.unflatten(population)  # episode-start state of every individual
        layers = self.policy.take(fresh, running // E)
        waiting = width  # next job to start
        returns, lengths = [0.0] * jobs, [0] * jobs  # Python scalars: cheapest per-step bookkeeping
        while running.size:
            actions = forward(layers, obs)
            done = []
            for i, j in enumerate(running.tolist()):
                o, r, terminated, _, _ = steps[i](actions[i])
                obs[i] = o
                returns[j] += r
                lengths[j] += 1
                if terminated or lengths[j] >= cap:
                    done.append(i)
            if done and waiting < jobs:  # waiting jobs take over finished rows
                rows, done = done[: jobs - waiting], done[jobs - waiting :]
                new = np.arange(waiting, waiting + len(rows))
                waiting += len(rows)
                for i, j in zip(rows, new.tolist()):
                    obs[i] = reset_(envs[i], seeds[j])
                running[rows] = new
                self.policy.put(layers, rows, fresh, new // E)
            if done:
                keep = np.ones(running.size, dtype=bool)
                keep[done] = False
                running, obs = running[keep], obs[keep]
                envs = [env for env, k in zip(envs, keep.tolist()) if k]
                steps = [step for step, k in zip(steps, keep.tolist()) if k]
                layers = self.policy.take(layers, np.flatnonzero(keep))
        return EvalResult(np.array(returns).reshape(P, E), np.array(lengths, dtype=np.int64).reshape(P, E))


def _untimed(kind: str, fn):
    return fn
