"""End-to-end training throughput as a share of the raw env step rate, per method, in one run.

A method's *throughput* is its training env steps per second of training wall-clock (ask +
population evaluation + tell; the solved tests are timed apart and left out). Dividing by the step
rate of one plain ``gymnasium.make`` env taking random actions, measured in the same run right
before each method (``rounds`` interleaved rounds, medians), gives a ratio that machine load
affects on both sides alike: 1.0 means training runs as fast as the bare simulator; pycma's O(n^2)
``tell`` at 2,788 parameters pulls it far below. One core, one thread.
"""

from __future__ import annotations

import numpy as np

from ..config import RunConfig
from ..machine import machine_label

METHODS = ("cmaes", "torch_cmaes", "sepcmaes", "openai_es", "ga")
SETTINGS = {"openai_es": dict(sigma0=0.05, hyper={"lr": 0.03}), "ga": dict(sigma0=0.05, hyper={"elites": 1})}


def bench_throughput(env_id: str = "LunarLander-v3", hidden=(64, 32), popsize: int = 64, budget_evals: int = 6_400,
                     methods=None, raw_seconds: float = 5.0, rounds: int = 1, seed: int = 0, log=print) -> dict:
    import gymnasium as gym
    import torch
    from threadpoolctl import threadpool_limits

    from .evaluator import raw_steps_per_s
    from ..envs import get_spec
    from ..train import train

    methods = list(methods or METHODS)
    if rounds < 1:
        raise ValueError(f"rounds must be a positive integer, got {rounds}")
    spec = get_spec(env_id)
    out = {"machine": machine_label(), "env": env_id, "hidden": list(hidden), "popsize": popsize,
           "budget_evals": budget_evals, "threads": 1, "rounds": rounds, "methods": {}}
    raw_env = gym.make(env_id)
    torch.set_num_threads(1)
    per = {m: {"raw": [], "train": [], "ratio": []} for m in methods}
    with threadpool_limits(1):
        for r in range(rounds):
            for m in methods:
                raw = raw_steps_per_s(raw_env, spec.max_steps, raw_seconds, seed=r)
                config = RunConfig(method=m, env=env_id, hidden=hidden, popsize=popsize, budget_evals=budget_evals,
                                   test_every=0, test_episodes=1, seed=seed, **SETTINGS.get(m, {}))
                last = train(config)[-1]
                rate = last["env_steps"] / last["wall_s"]
                per[m]["raw"].append(raw)
                per[m]["train"].append(rate)
                per[m]["ratio"].append(rate / raw)
                log(f"round {r}: {m}: {rate:,.0f} training steps/s, raw {raw:,.0f} -> {rate / raw:.2f}")
    for m, v in per.items():
        out["methods"][m] = {"train_steps_per_s": float(np.median(v["train"])),
                             "raw_steps_per_s": float(np.median(v["raw"])),
                             "ratio": float(np.median(v["ratio"])), "ratio_per_round": v["ratio"]}
    return out
