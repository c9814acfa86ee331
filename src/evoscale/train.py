"""The one training loop: ask -> evaluate -> tell -> record, until the episode budget is spent.

Each generation appends one record (a dict); generations that end a block of ``eval_every`` episodes,
and the last one, also carry ``eval_return``: the mean return of the trainer's current solution over
``eval_episodes`` fresh episodes (a seed stream training never uses). ``wall_s`` counts training time
only (ask + population evaluation + tell); the solved tests are timed separately in ``eval_wall_s``.
"""

from __future__ import annotations

import math
import time
from typing import Callable

import numpy as np

from .config import RunConfig
from .evaluation import EVAL, TRAIN, episode_seeds, make_evaluator
from .machine import machine_label
from .trainers import make_trainer

Record = dict


def solved_test(evaluator, solution: np.ndarray, config: RunConfig, generation: int):
    """Mean and std of the solution's return over ``eval_episodes`` fresh episodes."""
    seeds = episode_seeds(config.seed, EVAL, generation, 1, config.eval_episodes)
    result = evaluator.evaluate(solution[None, :], seeds)
    return float(result.returns.mean()), float(result.returns.std())


def train(config: RunConfig, callback: Callable[[Record], None] | None = None) -> list[Record]:
    """Run ``config`` to its budget; return one record per generation."""
    evaluator = make_evaluator(config.backend, config.env, config.hidden, config.device)
    n = evaluator.policy.n_params
    trainer = make_trainer(config.method, n, config.popsize, config.sigma0)
    state = trainer.init(config.seed)
    per_gen = config.popsize * config.episodes_per_eval
    generations = config.budget_evals // per_gen
    machine = machine_label(config.device)
    bar = _progress(config, generations)

    records: list[Record] = []
    evals = env_steps = 0
    wall = eval_wall = 0.0
    next_eval = config.eval_every or math.inf
    for gen in range(generations):
        t0 = time.perf_counter()
        population, state = trainer.ask(state)
        t1 = time.perf_counter()
        seeds = episode_seeds(config.seed, TRAIN, gen, len(population), config.episodes_per_eval)
        result = evaluator.evaluate(population, seeds)
        fitness = result.returns.mean(axis=1)
        t2 = time.perf_counter()
        state = trainer.tell(state, population, fitness)
        t3 = time.perf_counter()
        evals += result.episodes
        env_steps += result.env_steps
        wall += t3 - t0
        rec = {
            "method": config.method, "env": config.env, "n_params": n, "popsize": config.popsize,
            "seed": config.seed, "generation": gen, "evals": evals, "env_steps": env_steps,
            "wall_s": wall, "opt_s": (t1 - t0) + (t3 - t2), "pop_eval_s": t2 - t1,
            "best_return": float(fitness.max()), "mean_return": float(fitness.mean()),
            "median_return": float(np.median(fitness)), "eval_return": math.nan, "eval_std": math.nan,
            "eval_wall_s": eval_wall, "machine": machine,
        }
        if evals >= next_eval or gen == generations - 1:
            t4 = time.perf_counter()
            rec["eval_return"], rec["eval_std"] = solved_test(evaluator, trainer.solution(state), config, gen)
            eval_wall += time.perf_counter() - t4
            rec["eval_wall_s"] = eval_wall
            while next_eval <= evals:
                next_eval += config.eval_every
        records.append(rec)
        if callback:
            callback(rec)
        if bar:
            bar.update(1)
            bar.set_postfix(best=f"{rec['best_return']:.1f}", mean=f"{rec['mean_return']:.1f}", evals=evals)
    if bar:
        bar.close()
    return records


def _progress(config: RunConfig, total: int):
    if not config.progress:
        return None
    from tqdm.auto import tqdm

    return tqdm(total=total, mininterval=2.0, desc=f"{config.method} {config.env} seed {config.seed}", unit="gen")
