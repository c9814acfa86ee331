"""Chapter 6's idle-core measurements: each method's unit costs, timed on short runs
(``measure_costs`` -> ``unit_costs``: one ES evaluation per env step, one optimiser update or PPO
rollout per generation), and PPO's rollout on 1, 2, ... processes (``measure_ppo_speedup``).
``python -m evoscale bench costs`` runs them on the chapter's configurations and stores the tables
(``experiments.backprop_measure``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def unit_costs(df: pd.DataFrame) -> pd.DataFrame:
    """Per (method, env): one-core seconds of the parallel part per env step (``pop_eval_s``: ES
    population evaluation, PPO rollout; median over generations) and of the sequential part per
    generation/update (``opt_s``; the mean, so a full CMA-ES's eigendecomposition every few
    generations counts at its amortised share), from records of runs timed on an idle core."""
    rows = []
    for (m, env), g in df.groupby(["method", "env"]):
        g = g.sort_values(["seed", "generation"])
        steps = g.groupby("seed")["env_steps"].diff()  # per generation; the first kept one of a cut run: unknown
        steps = steps.where(g["generation"] != 0, g["env_steps"])
        per_step = (g["pop_eval_s"] / steps.clip(lower=1))[steps.notna()]
        rows.append(dict(method=m, env=env, eval_s_per_step=float(np.median(per_step)),
                         serial_s_per_gen=float(np.mean(g["opt_s"])), machine=g["machine"].iloc[0]))
    return pd.DataFrame(rows, columns=["method", "env", "eval_s_per_step", "serial_s_per_gen", "machine"])

def measure_costs(runs: dict, generations: int = 20, ppo_rollouts: int = 5, log=print) -> pd.DataFrame:
    """Time short runs of every method, ``runs``: task -> its (side, RunConfig) pairs ("es" or "ppo";
    chapter 6 passes its own configurations, one seed) on this (idle!) machine, one core, one thread ->
    ``unit_costs``. An ES is timed over ``generations``, rounded up to whole periods of its sequential
    cost (a full CMA-ES decomposes its covariance every few dozen generations:
    ``trainers.timed_generations``), after one period that is not timed (the first decomposition comes
    at its end); PPO over ``ppo_rollouts`` rollouts + updates."""
    import torch
    from threadpoolctl import threadpool_limits

    from ..baselines.zoo import zoo_hyperparams
    from ..runs import train_records
    from ..train import build
    from ..trainers import serial_period, timed_generations

    torch.set_num_threads(1)
    frames = []
    with threadpool_limits(1):
        for env, pairs in runs.items():
            for side, c in pairs:
                if side == "ppo":
                    z = zoo_hyperparams(env)
                    frames.append(train_records(c.replace(budget_steps=z["n_steps"] * z["n_envs"] * ppo_rollouts,
                                                          test_every=0, test_episodes=1)))
                    continue
                c = c.replace(test_every=0, test_episodes=1)
                trainer = build(c)[1]
                skip, g = serial_period(trainer), timed_generations(trainer, generations)
                df = train_records(c.replace(budget_evals=c.popsize * (skip + g)))
                frames.append(df[df["generation"] >= skip])
            log(f"{env}: timed")
    return unit_costs(pd.concat(frames, ignore_index=True))


def measure_ppo_speedup(env_id: str, processes=(1, 2), steps: int = 256, n_envs: int | None = None) -> pd.DataFrame:
    """PPO's rollout on W cores: its ``n_envs`` environments as SB3 ``SubprocVecEnv`` processes pinned
    (with the driver) to W cores, against ``DummyVecEnv`` in one process on one core; ``steps``
    vectorised steps of the untrained policy each. One row per W: seconds and speedup over W = 1."""
    import os
    import time

    from stable_baselines3 import PPO
    from stable_baselines3.common.vec_env import SubprocVecEnv

    from ..baselines.ppo import _make_venv, ppo_kwargs, zoo_hyperparams

    merged = zoo_hyperparams(env_id, None if n_envs is None else {"n_envs": n_envs})
    dummy = _make_venv(env_id, merged)
    model = PPO(merged.get("policy", "MlpPolicy"), dummy, seed=0, device="cpu", **ppo_kwargs(merged))
    cores, rows = sorted(os.sched_getaffinity(0)), []
    try:
        for w in processes:
            if w > len(cores):
                raise ValueError(f"{w} processes asked, {len(cores)} cores available")
            os.sched_setaffinity(0, cores[:w])
            venv = dummy if w == 1 else SubprocVecEnv([lambda: _make_venv(env_id, {**merged, "n_envs": 1}).envs[0]]
                                                      * merged["n_envs"], start_method="fork")
            obs, t = venv.reset(), time.perf_counter()
            for _ in range(steps):
                obs = venv.step(model.predict(obs, deterministic=False)[0])[0]
            rows.append(dict(env=env_id, workers=w, seconds=time.perf_counter() - t, n_envs=merged["n_envs"]))
            if venv is not dummy:
                venv.close()
    finally:
        os.sched_setaffinity(0, cores)
    out = pd.DataFrame(rows)
    return out.assign(speedup=out["seconds"].iloc[0] / out["seconds"])
