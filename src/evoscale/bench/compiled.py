"""A compiled simulator as the per-core reference: EnvPool's C++ environments against Gymnasium's.

Chapter 8 asks what a GPU buys. Before that: how much of a CPU core does Gymnasium's Python step
leave unused? EnvPool (Weng et al. 2022, "EnvPool: A Highly Parallel Reinforcement Learning
Environment Execution Engine", NeurIPS Datasets and Benchmarks) re-implements the classic-control,
Box2D and MuJoCo tasks in C++ behind one batched ``step``. Here both sides run on **one thread**
with uniformly random actions, resetting finished episodes:

* ``gymnasium``: one ``gymnasium.make(task)`` environment (``bench.evaluator.raw_steps_per_s``);
* ``envpool``: ``envpool.make_gymnasium(task, num_envs=N, batch_size=N, num_threads=1)``, stepping
  all N environments per call (EnvPool resets finished ones itself).

Rounds alternate the two sides, and the JSON reports the median rate of each and the median of the
per-round ratios, so both see the same machine load. Where EnvPool beats the Python environment, the
environment's Python, not its physics, is the per-core limit of our evaluator (which runs at or above
one raw Gymnasium environment's rate, ``bench evaluator``).

EnvPool is optional (``requirements-compiled.txt``, ~0.7 GB with its MuJoCo assets): ``make
bench-compiled`` installs it; without it this benchmark stops with a clear message.
"""

from __future__ import annotations

import time

import numpy as np

TASKS = ("CartPole-v1", "LunarLander-v3", "BipedalWalker-v3", "Humanoid-v5")
"""Tasks EnvPool and Gymnasium both provide under the same id (Pong: EnvPool's own preprocessing
differs from ours, so its rate is not comparable)."""


def _envpool():
    try:
        import envpool
    except ImportError:
        raise ValueError("EnvPool is not installed: `make bench-compiled` installs requirements-compiled.txt "
                         "(envpool==1.2.5) and runs this benchmark") from None
    return envpool


def envpool_steps_per_s(task: str, num_envs: int, seconds: float, seed: int = 0) -> float:
    """Env steps per second of one EnvPool pool of ``num_envs`` on one thread, random actions."""
    if task not in TASKS:
        raise ValueError(f"unknown task {task!r} for the compiled-simulator bench; valid: {', '.join(TASKS)}")
    if not isinstance(num_envs, int) or num_envs < 1:
        raise ValueError(f"num_envs must be a positive integer, got {num_envs!r}")
    env = _envpool().make_gymnasium(task, num_envs=num_envs, batch_size=num_envs, num_threads=1, seed=seed)
    space = env.action_space
    rng = np.random.default_rng(seed)
    if hasattr(space, "n"):
        draw = lambda: rng.integers(0, space.n, num_envs)  # noqa: E731
    else:
        lo, hi = np.broadcast_to(space.low, space.shape), np.broadcast_to(space.high, space.shape)
        draw = lambda: rng.uniform(lo, hi, (num_envs, *space.shape)).astype(space.dtype)  # noqa: E731
    env.reset()
    steps, t = 0, time.perf_counter()
    deadline = t + seconds
    while True:
        for _ in range(20):
            env.step(draw())
            steps += num_envs
        if time.perf_counter() >= deadline:
            rate = steps / (time.perf_counter() - t)
            env.close()
            return rate


def bench_compiled(tasks=TASKS, num_envs: int = 64, seconds: float = 3.0, rounds: int = 3, log=print) -> dict:
    """Per task: median steps/s of EnvPool (``num_envs`` per pool, one thread) and of one Gymnasium
    environment, and the median per-round ratio; one thread each, rounds interleaved."""
    from threadpoolctl import threadpool_limits

    from ..envs import get_spec, make_wrapped_env
    from ..machine import machine_label
    from .evaluator import raw_steps_per_s

    if not isinstance(rounds, int) or rounds < 1:
        raise ValueError(f"rounds must be a positive integer, got {rounds!r}")
    if not seconds > 0:
        raise ValueError(f"seconds must be positive, got {seconds!r}")
    _envpool()
    out = {"machine": machine_label(), "num_envs": num_envs, "threads": 1, "rounds": rounds,
           "seconds_per_side": seconds, "per_task": []}
    with threadpool_limits(1):
        for task in tasks:
            spec = get_spec(task)
            pool, gym = [], []
            for r in range(rounds):
                pool.append(envpool_steps_per_s(task, num_envs, seconds, seed=r))
                gym.append(raw_steps_per_s(make_wrapped_env(task), spec.max_steps, seconds, seed=r))
                log(f"{task} round {r + 1}: envpool {pool[-1]:,.0f} steps/s, gymnasium {gym[-1]:,.0f}")
            ratios = np.array(pool) / np.array(gym)
            out["per_task"].append({"env": task, "envpool_steps_per_s": float(np.median(pool)),
                                    "gymnasium_steps_per_s": float(np.median(gym)),
                                    "ratio": float(np.median(ratios)), "ratio_min": float(ratios.min()),
                                    "ratio_max": float(ratios.max())})
    return out
