"""The one training loop: ask -> evaluate -> tell -> record, until the episode budget is spent.

Each generation appends one record (a dict); generations that end a block of ``eval_every`` episodes,
and the last one, also carry ``eval_return``: the mean return of the trainer's current solution over
``eval_episodes`` fresh episodes (a seed stream training never uses). ``wall_s`` counts training time
only (ask + population evaluation + tell); the solved tests are timed separately in ``eval_wall_s``.

Checkpoints: with ``checkpoint=PATH`` the loop pickles everything it needs to continue -- the
trainer's state (which holds its RNGs), the records so far and the counters -- every
``checkpoint_every`` generations and at the end, atomically. A later ``train(..., checkpoint=PATH)``
resumes from it; episode seeds depend only on (seed, generation, individual, episode), so the resumed
run is identical to an uninterrupted one.
"""

from __future__ import annotations

import json
import math
import pickle
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import numpy as np

from .config import RunConfig
from .evaluation import EVAL, TRAIN, episode_seeds, make_evaluator
from .machine import machine_label
from .store import atomic_write
from .trainers import GRADIENT_METHODS, make_trainer, policy_for

Record = dict


@dataclass
class Progress:
    """Everything the loop carries from one generation to the next (besides the trainer state)."""

    generation: int = 0
    evals: int = 0
    env_steps: int = 0
    wall: float = 0.0
    eval_wall: float = 0.0
    next_eval: float = math.inf
    solved: bool = False
    """The run reached ``target_return`` and stopped early."""
    records: list = field(default_factory=list)


class FinishedRunError(ValueError):
    """Raised when asked to resume a run whose checkpoint already holds the full budget."""


def solved_test(evaluator, solution: np.ndarray, config: RunConfig, generation: int):
    """Mean and std of the solution's return over ``eval_episodes`` fresh episodes."""
    seeds = episode_seeds(config.seed, EVAL, generation, 1, config.eval_episodes)
    result = evaluator.evaluate(solution[None, :], seeds)
    return float(result.returns.mean()), float(result.returns.std())


def build(config: RunConfig, backend: str | None = None):
    """The run's evaluator (``backend`` overrides ``config.backend``) and trainer, and the parameter count."""
    hyper = dict(config.hyper or ())
    kind, policy_kw = policy_for(config.method, hyper)
    evaluator = make_evaluator(backend or config.backend, config.env, config.hidden, config.device, kind,
                               config.workers, config.ray_address, **policy_kw)
    n = evaluator.policy.n_params
    return evaluator, make_trainer(config.method, n, config.popsize, config.sigma0, hyper), n


def generation_record(config: RunConfig, n: int, generation: int, fitness: np.ndarray, evals: int,
                      env_steps: int, wall: float, opt_s: float, pop_eval_s: float, eval_wall: float,
                      machine: str, **extra) -> Record:
    """One generation's record (the solved-test columns NaN until a test fills them)."""
    return {
        "method": config.method, "env": config.env, "n_params": n, "popsize": config.popsize,
        "seed": config.seed, "generation": generation, "evals": evals, "env_steps": env_steps,
        "wall_s": wall, "opt_s": opt_s, "pop_eval_s": pop_eval_s,
        "best_return": float(fitness.max()), "mean_return": float(fitness.mean()),
        "median_return": float(np.median(fitness)), "eval_return": math.nan, "eval_std": math.nan,
        "eval_wall_s": eval_wall, "machine": machine, **extra,
    }


def _save(path: Path, config: RunConfig, progress: Progress, state: Any) -> None:
    blob = pickle.dumps({"key": config.key(), "progress": progress, "state": state})
    atomic_write(path, lambda f: f.write(blob), binary=True)


def _load(path: Path, config: RunConfig) -> tuple[Progress, Any]:
    with open(path, "rb") as f:
        saved = pickle.load(f)
    if saved["key"] != config.key():
        raise ValueError(f"checkpoint {path} belongs to another configuration ({saved['key']} != {config.key()})")
    return saved["progress"], saved["state"]


def train(config: RunConfig, callback: Callable[[Record], None] | None = None,
          checkpoint: str | Path | None = None, checkpoint_every: int = 10) -> list[Record]:
    """Run ``config`` to its budget (resuming from ``checkpoint`` if it exists); one record per generation."""
    if config.method in GRADIENT_METHODS:
        return _train_ppo(config, checkpoint)
    evaluator, trainer, n = build(config)
    generations = config.budget_evals // (config.popsize * config.episodes_per_eval)
    checkpoint = Path(checkpoint) if checkpoint else None
    if checkpoint and checkpoint.exists():
        progress, state = _load(checkpoint, config)
        if progress.generation >= generations or progress.solved:
            raise FinishedRunError(
                f"checkpoint {checkpoint} already holds the finished run ({progress.generation} of "
                f"{generations} generations, {progress.evals} evaluations); nothing to resume"
            )
    else:
        progress, state = Progress(next_eval=config.eval_every or math.inf), trainer.init(config.seed)
    machine = machine_label(config.device)
    bar = _progress_bar(config, generations, progress.generation)
    p = progress
    try:
        while p.generation < generations:
            gen = p.generation
            t0 = time.perf_counter()
            population, state = trainer.ask(state)
            t1 = time.perf_counter()
            seeds = episode_seeds(config.seed, TRAIN, gen, len(population), config.episodes_per_eval)
            result = evaluator.evaluate(population, seeds)
            fitness = result.returns.mean(axis=1)
            t2 = time.perf_counter()
            state = trainer.tell(state, population, fitness)
            t3 = time.perf_counter()
            p.evals += result.episodes
            p.env_steps += result.env_steps
            p.wall += t3 - t0
            rec = generation_record(config, n, gen, fitness, p.evals, p.env_steps, p.wall,
                                    (t1 - t0) + (t3 - t2), t2 - t1, p.eval_wall, machine)
            last = gen == generations - 1 or (config.budget_steps is not None and p.env_steps >= config.budget_steps)
            if p.evals >= p.next_eval or last:
                t4 = time.perf_counter()
                solution = trainer.solution(state)
                rec["eval_return"], rec["eval_std"] = solved_test(evaluator, solution, config, gen)
                if config.keep_solutions:
                    rec["solution"] = json.dumps(solution.tolist())
                p.eval_wall += time.perf_counter() - t4
                rec["eval_wall_s"] = p.eval_wall
                while p.next_eval <= p.evals:
                    p.next_eval += config.eval_every
            p.records.append(rec)
            p.generation += 1
            if config.target_return is not None and rec["eval_return"] >= config.target_return:
                p.solved, generations = True, p.generation  # the run ends here
            elif config.budget_steps is not None and p.env_steps >= config.budget_steps:
                generations = p.generation  # step budget spent (the last generation had its solved test)
            if checkpoint and (p.generation % checkpoint_every == 0 or p.generation == generations):
                _save(checkpoint, config, p, state)
            if callback:
                callback(rec)
            if bar:
                bar.update(1)
                bar.set_postfix(best=f"{rec['best_return']:.1f}", mean=f"{rec['mean_return']:.1f}", evals=p.evals)
    finally:
        if bar:
            bar.close()
        if hasattr(evaluator, "close"):  # Ray actors
            evaluator.close()
    return p.records


def _train_ppo(config: RunConfig, checkpoint) -> list[Record]:
    """The PPO baselines (SB3 PPO or sb3-contrib RecurrentPPO, zoo hyper-parameters) on the same
    records; one torch thread per run."""
    import torch

    from .ppo import train_ppo

    torch.set_num_threads(1)  # PPO's records depend on the thread count; fix it
    return train_ppo(config.env, config.seed, config.budget_steps, config.eval_every or config.budget_steps,
                     config.eval_episodes, dict(config.hyper or ()) or None, config.device,
                     str(checkpoint) if checkpoint else None, config.progress, config.method)


def _progress_bar(config: RunConfig, total: int, done: int):
    if not config.progress:
        return None
    from tqdm.auto import tqdm

    return tqdm(total=total, initial=done, mininterval=2.0, unit="gen",
                desc=f"{config.method} {config.env} seed {config.seed}")
