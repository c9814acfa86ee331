"""What PPO's parts cost on 1 and 2 cores, for the cost model of chapter 6's crossover in cores.

    python -m evoscale bench ppo-costs --env LunarLander-v3 [--repeats 5] [--steps 256]

An idle machine only. Per task (its rl-baselines3-zoo settings, ``n_envs`` environments), each timing
``repeats`` times, one row each:

- ``forward``: the policy's forward for one vectorised step (a batch of ``n_envs`` observations);
- ``dummy``: one vectorised step in one process (``DummyVecEnv``: forward plus ``n_envs`` env steps);
- ``subproc``: the same with every environment in its own ``SubprocVecEnv`` process, all pinned to
  ``cores`` = 1 (so the per-step message cost shows without any parallelism) and 2;
- ``update``: one PPO update (``model.train()`` on a full rollout buffer) on ``threads`` = 1 and 2 torch
  threads (pinned to as many cores).

Seconds are per vectorised step (rollout parts) or per update. ``experiments.backprop.ppo_model`` fits
the model to them.
"""

from __future__ import annotations

import os
import time

import numpy as np
import pandas as pd

PARTS = ("forward", "dummy", "subproc", "update")


CORES = sorted(os.sched_getaffinity(0))
"""The cores this process may use when the module is imported (before any pinning)."""


def _pinned(k: int):
    """The first ``k`` usable cores (the caller restores the affinity)."""
    cores = CORES
    if k > len(cores):
        raise ValueError(f"{k} cores asked, {len(cores)} available")
    return cores[:k]


def measure(env_id: str, steps: int = 256, repeats: int = 5, update_repeats: int = 3, seed: int = 0) -> pd.DataFrame:
    """The timings above for one task (see the module docstring); one row per part, cores, threads
    and repeat, with the seconds and the task's ``n_envs``."""
    import torch
    from stable_baselines3 import PPO
    from stable_baselines3.common.vec_env import SubprocVecEnv

    from ..baselines.ppo import _make_venv, ppo_kwargs, zoo_hyperparams
    from ..machine import machine_label

    merged = zoo_hyperparams(env_id)
    n = int(merged["n_envs"])
    everything, threads0 = sorted(os.sched_getaffinity(0)), torch.get_num_threads()
    dummy = _make_venv(env_id, merged)
    model = PPO(merged.get("policy", "MlpPolicy"), dummy, seed=seed, device="cpu", **ppo_kwargs(merged))
    rows = []

    def rollout(venv):
        obs = venv.reset()
        t = time.perf_counter()
        for _ in range(steps):
            obs = venv.step(model.predict(obs, deterministic=False)[0])[0]
        return (time.perf_counter() - t) / steps

    try:
        torch.set_num_threads(1)
        os.sched_setaffinity(0, _pinned(1))
        obs = dummy.reset()
        for r in range(repeats):
            t = time.perf_counter()
            for _ in range(steps):
                model.predict(obs, deterministic=False)
            rows.append(dict(part="forward", cores=1, threads=1, repeat=r, seconds=(time.perf_counter() - t) / steps))
            rows.append(dict(part="dummy", cores=1, threads=1, repeat=r, seconds=rollout(dummy)))
        for k in (1, 2):
            os.sched_setaffinity(0, _pinned(k))  # the worker processes inherit it at fork
            venv = SubprocVecEnv([lambda: _make_venv(env_id, {**merged, "n_envs": 1}).envs[0]] * n,
                                 start_method="fork")
            try:
                rollout(venv)  # warm-up
                for r in range(repeats):
                    rows.append(dict(part="subproc", cores=k, threads=1, repeat=r, seconds=rollout(venv)))
            finally:
                venv.close()
        os.sched_setaffinity(0, _pinned(1))
        model.learn(total_timesteps=int(merged["n_steps"]) * n)  # one rollout and update: the buffer is full
        for k in (1, 2):
            torch.set_num_threads(k)
            os.sched_setaffinity(0, _pinned(k))
            for r in range(update_repeats):
                t = time.perf_counter()
                model.train()
                rows.append(dict(part="update", cores=k, threads=k, repeat=r, seconds=time.perf_counter() - t))
    finally:
        os.sched_setaffinity(0, everything)
        torch.set_num_threads(threads0)
        dummy.close()
    return pd.DataFrame(rows).assign(env=env_id, n_envs=n, machine=machine_label())


def summary(df: pd.DataFrame) -> dict:
    """Median seconds per (part, cores, threads), as JSON-ready floats."""
    med = df.groupby(["part", "cores", "threads"])["seconds"].median()
    return {f"{p} {c} core(s) {t} thread(s)": float(v) for (p, c, t), v in med.items()}


__all__ = ["PARTS", "measure", "summary"]
