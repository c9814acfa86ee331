"""Population evaluation: every individual's episodes, as fast as one core steps the environment.

Two backends with one contract, ``evaluate(population, seeds) -> EvalResult``:

* ``SerialEvaluator`` -- the reference: one episode after another, one forward per step.
* ``LockstepEvaluator`` -- all (individual, episode) jobs at once, one batched forward per step for
  the episodes still running. A finished episode leaves the batch immediately, so time is spent only
  on useful steps even when a population mixes 100-step crashes with 1,000-step hovering landers.

Episode seeds are a pure function of (run seed, stream, generation, individual, episode), so every
backend -- and any split of the population across workers -- gives identical returns.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .envs import EnvSpec, get_spec, make_env
from .plastic import NeuromodPolicy
from .policies import MLPPolicy
from .policies_cnn import CNNPolicy
from .policies_recurrent import RecurrentPolicy

POLICIES = {"mlp": MLPPolicy, "neuromod": NeuromodPolicy, "cnn": CNNPolicy, "recurrent": RecurrentPolicy}

TRAIN, EVAL = 0, 1
"""Seed streams: training episodes and the fresh episodes of the solved test never share seeds."""


def episode_seeds(run_seed: int, stream: int, generation: int, n_individuals: int, episodes: int) -> np.ndarray:
    """``seeds[i, e]`` for individual i's episode e (32-bit ints, fit for ``env.reset(seed=...)``)."""
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


def make_policy(spec: EnvSpec, hidden: tuple[int, ...], device: str = "cpu", kind: str = "mlp",
                **policy_kw):
    """The task's policy network (``kind``: ``mlp``, ``neuromod`` or ``recurrent``), action box read from the env.

    Pixel tasks (``spec.network == "cnn"``) get the population-batched CNN (``policies_cnn``), with
    ``hidden`` as the widths of its dense layers after the conv trunk.
    """
    if kind not in POLICIES:
        raise ValueError(f"unknown policy kind {kind!r}; valid: {', '.join(POLICIES)}")
    if spec.network == "cnn":
        if kind not in ("mlp", "cnn") or policy_kw:
            raise ValueError(f"policy kind {kind!r} cannot read pixels; {spec.env_id} uses the CNN "
                             f"(use a method whose policy is 'mlp', e.g. {spec.default_method})")
        return CNNPolicy(spec.obs_shape, tuple(hidden), spec.act_dim, spec.discrete, device)
    box = (None, None)
    if not spec.discrete:
        space = make_env(spec.env_id).action_space
        box = (tuple(map(float, space.low)), tuple(map(float, space.high)))
    return POLICIES[kind](spec.obs_dim, tuple(hidden), spec.act_dim, spec.discrete, *box, device, **policy_kw)


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
    """

    def __init__(self, env_id: str, hidden: tuple[int, ...], device: str = "cpu", policy: str = "mlp",
                 width: int | None = None, **policy_kw):
        if width is not None and (not isinstance(width, int) or width < 1):
            raise ValueError(f"width must be a positive integer or None, got {width!r}")
        self.spec = get_spec(env_id)
        self.policy = make_policy(self.spec, hidden, device, policy, **policy_kw)
        self.width = width
        self.envs: list = []  # reused across calls: creating Box2D worlds is not free

    def _envs(self, n: int) -> list:
        while len(self.envs) < n:
            self.envs.append(make_env(self.spec.env_id))
        return self.envs[:n]

    def prepare(self, jobs: int) -> None:
        """Build the environments an evaluation of ``jobs`` jobs steps (e.g. before timing one)."""
        self._envs(self.batch_width(jobs))

    def batch_width(self, jobs: int) -> int:
        """Episodes in flight for ``jobs`` (individual, episode) jobs: ``width`` if given, else as many
        as the policy's rows fit ``CACHE_BYTES``, at most the task's ``EnvSpec.max_width``."""
        if self.width is not None:
            return min(self.width, jobs)
        if not hasattr(self.policy, "put"):
            return jobs
        row_bytes = getattr(self.policy, "row_bytes", 0)
        width = max(1, min(jobs, CACHE_BYTES // row_bytes)) if row_bytes else jobs
        return min(width, self.spec.max_width or width)

    def evaluate(self, population: np.ndarray, seeds: np.ndarray) -> EvalResult:
        P, E = seeds.shape
        jobs = P * E
        width, cap, seeds = self.batch_width(jobs), self.spec.max_steps, seeds.ravel()
        envs = self._envs(width)  # batch row i steps envs[i]; a job taking over a row takes its env
        obs = np.stack([reset(env, s) for env, s in zip(envs, seeds[:width])])
        running = np.arange(width)  # job j = individual j // E, episode j % E
        fresh = self.policy.unflatten(population)  # episode-start state of every individual
        layers = self.policy.take(fresh, running // E)
        waiting = width  # next job to start
        returns, lengths = [0.0] * jobs, [0] * jobs  # Python scalars: cheapest per-step bookkeeping
        while running.size:
            actions = self.policy.forward(layers, obs)
            done = []
            for i, j in enumerate(running.tolist()):
                o, r, terminated, _, _ = envs[i].step(actions[i])
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
                    obs[i] = reset(envs[i], seeds[j])
                running[rows] = new
                self.policy.put(layers, rows, fresh, new // E)
            if done:
                keep = np.ones(running.size, dtype=bool)
                keep[done] = False
                running, obs = running[keep], obs[keep]
                envs = [env for env, k in zip(envs, keep.tolist()) if k]
                layers = self.policy.take(layers, np.flatnonzero(keep))
        return EvalResult(np.array(returns).reshape(P, E), np.array(lengths, dtype=np.int64).reshape(P, E))


BACKENDS = ("serial", "lockstep", "ray")
"""``ray``: ``evaluation_ray.RayEvaluator``, the lockstep evaluator on ``workers`` Ray actors."""


def make_evaluator(backend: str, env_id: str, hidden: tuple[int, ...], device: str = "cpu",
                   policy: str = "mlp", workers: int | None = None, ray_address: str | None = None,
                   **policy_kw):
    if backend not in BACKENDS:
        raise ValueError(f"unknown evaluator backend {backend!r}; valid: {', '.join(BACKENDS)}")
    if backend == "ray":
        from .evaluation_ray import RayEvaluator  # imports Ray only when asked for

        return RayEvaluator(env_id, hidden, device, policy, workers=workers or 2, ray_address=ray_address,
                            **policy_kw)
    cls = SerialEvaluator if backend == "serial" else LockstepEvaluator
    return cls(env_id, hidden, device, policy, **policy_kw)
