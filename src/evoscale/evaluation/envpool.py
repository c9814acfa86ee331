"""Population evaluation on EnvPool's C++ simulators: the same tasks, another simulator.

``EnvPoolEvaluator.evaluate(population, seeds)`` keeps the contract of the other backends -- one
return and one length per (individual, episode), every episode a pure function of its seed -- but
the episodes are EnvPool's (Weng et al. 2022), not Gymnasium's. EnvPool re-implements the
classic-control, Box2D and MuJoCo tasks in C++ with its own random number generator, so the same
seed starts a *different* episode of the *same* task: the returns are statistically
indistinguishable from Gymnasium's (``tests/test_evaluation_envpool.py`` checks it over many
episodes for random, heuristic and trained policies), not identical. The backend is therefore part
of a run's cache key (``RunConfig.backend`` is hashed), and its runs never mix with the
Gymnasium-simulated ones.

Seeds. EnvPool seeds environment i of a pool made with seed s with s + i, and that environment then
starts exactly like environment 0 of a pool made with seed s + i (tested). An episode with seed s is
therefore "the first episode of environment 0 of the pool with seed s", whatever pool it runs in:
a run of consecutive seeds s, s + 1, ..., s + k - 1 is one pool of k environments, and each
environment plays one episode only. (Its later episodes would depend on how many random numbers the
earlier ones drew, e.g. LunarLander's engine particles, so they are never used.) The backend accepts
any seeds; it is fast with runs of consecutive ones, which ``seeds.episode_seeds(...,
contiguous=True)`` draws (``CONTIGUOUS_SEEDS``: the training loop asks the evaluator).

Loop. Per pool, every environment starts at once; each step forwards the running episodes in one
batch and steps only them (``env_id``), and a finished episode leaves the batch, as in the lockstep
evaluator. At most ``width`` episodes share a pool (default: all of a generation's).

EnvPool is optional (``requirements-compiled.txt``); without it the backend stops with a clear
message naming the make target that installs it.
"""

from __future__ import annotations

import numpy as np

from ..envs import get_spec
from ..policies import make_policy
from .seeds import EvalResult

TASKS = ("CartPole-v1", "LunarLander-v3", "BipedalWalker-v3", "Humanoid-v5")
"""Tasks of ``envs.REGISTRY`` that EnvPool 1.2.5 provides under the same id, with the same
observation and action spaces and the same episode cap."""

CONTIGUOUS_SEEDS = True
"""The training loop draws each generation's episode seeds as one run of consecutive integers."""


def envpool_module():
    """``import envpool``, or a ValueError naming the make target that installs it."""
    try:
        import envpool
    except ImportError:
        raise ValueError("EnvPool is not installed: `make bench-compiled` installs requirements-compiled.txt "
                         "(envpool==1.2.5) and runs its benchmarks") from None
    return envpool


def make_pool(env_id: str, num_envs: int, seed: int):
    """One EnvPool pool of ``num_envs`` environments on one thread, stepped all together or by
    ``env_id``; environment i is seeded with ``seed + i`` (EnvPool takes int32 seeds only)."""
    if seed < 0 or seed + num_envs - 1 >= 2**31:
        raise ValueError(f"EnvPool seeds are int32: seed {seed} with {num_envs} environments is out of range")
    return envpool_module().make_gymnasium(env_id, num_envs=num_envs, batch_size=num_envs, num_threads=1,
                                           seed=int(seed))


def consecutive_runs(seeds: np.ndarray, width: int) -> list[tuple[int, int]]:
    """``(start, stop)`` slices of ``seeds`` (1-D) whose values are consecutive integers, each at most
    ``width`` long: one pool each."""
    breaks = np.flatnonzero(np.diff(seeds) != 1) + 1
    runs = []
    for start, stop in zip([0, *breaks.tolist()], [*breaks.tolist(), len(seeds)]):
        runs += [(s, min(s + width, stop)) for s in range(start, stop, width)]
    return runs


class EnvPoolEvaluator:
    """The lockstep loop on EnvPool pools: batched forward, only the running episodes stepped."""

    contiguous_seeds = CONTIGUOUS_SEEDS

    def __init__(self, env_id: str, hidden: tuple[int, ...], device: str = "cpu", policy: str = "mlp",
                 width: int | None = None, **policy_kw):
        self.spec = get_spec(env_id)
        if env_id not in TASKS:
            raise ValueError(f"backend 'envpool' has no {env_id!r}; EnvPool tasks: {', '.join(TASKS)}")
        if width is not None and (not isinstance(width, int) or width < 1):
            raise ValueError(f"width must be a positive integer or None, got {width!r}")
        envpool_module()
        self.policy = make_policy(self.spec, hidden, device, policy, **policy_kw)
        self.width = width
        self.action_dtype = np.int32 if self.spec.discrete else np.float32

    def evaluate(self, population: np.ndarray, seeds: np.ndarray) -> EvalResult:
        P, E = seeds.shape
        flat = seeds.ravel()
        returns, lengths = np.zeros(P * E), np.zeros(P * E, dtype=np.int64)
        fresh = self.policy.unflatten(population)  # episode-start state of every individual
        for start, stop in consecutive_runs(flat, self.width or P * E):
            self._pool_episodes(fresh, E, int(flat[start]), np.arange(start, stop), returns, lengths)
        return EvalResult(returns.reshape(P, E), lengths.reshape(P, E))

    def _pool_episodes(self, fresh, E: int, seed: int, jobs: np.ndarray, returns, lengths) -> None:
        """Jobs ``jobs`` (consecutive, seeds ``seed, seed + 1, ...``) as one pool, one episode each."""
        pool = make_pool(self.spec.env_id, len(jobs), seed)
        obs, info = pool.reset()
        obs = obs[np.argsort(info["env_id"])]
        running = np.arange(len(jobs))  # pool env ids still in their episode, ascending
        layers = self.policy.take(fresh, jobs // E)
        cap = self.spec.max_steps
        while running.size:
            actions = np.asarray(self.policy.forward(layers, obs), dtype=self.action_dtype)
            out, r, terminated, truncated, info = pool.step(actions, env_id=running)
            order = np.argsort(info["env_id"])  # rows back in the order of ``running``
            obs, r, terminated = out[order], np.asarray(r, dtype=np.float64)[order], terminated[order]
            j = jobs[running]
            returns[j] += r
            lengths[j] += 1
            keep = ~(terminated | (lengths[j] >= cap))
            if not keep.all():
                running, obs = running[keep], obs[keep]
                layers = self.policy.take(layers, np.flatnonzero(keep))
        pool.close()
