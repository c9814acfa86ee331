"""The one training loop: ask -> evaluate -> tell -> record, until the episode budget is spent.

Each generation appends one record (a dict); generations that end a block of ``test_every`` episodes,
and the last one, also carry ``test_return``: the mean return of the trainer's current solution over
``test_episodes`` fresh episodes (a seed stream training never uses). ``wall_s`` counts training time
only (ask + population evaluation + tell); the solved tests are timed separately in ``test_wall_s``.
``cpu_s`` is the process's CPU time for the run so far, training, solved tests and checkpoint saves
together: what the run cost, whatever else shared the machine. ``peak_mem_gib`` is the process's
peak resident memory since the run (or its resumption) started (``machine.peak_memory_gib``; NaN
where the system does not say): timing-like, it varies between runs of one seed.

Checkpoints: with ``checkpoint=PATH`` the loop pickles everything it needs to continue -- the
trainer's state (which holds its RNGs), the records so far and the counters -- every
``checkpoint_every`` generations (or, with ``checkpoint_seconds``, by the clock: ``CheckpointClock``)
and at the end, atomically. A later ``train(..., checkpoint=PATH)``
resumes from it; episode seeds depend only on (seed, generation, individual, episode), so the resumed
run is identical to an uninterrupted one. Large (nearly) symmetric matrices -- a covariance -- are
stored as a triangle plus the exact bitwise rest (``compact.dumps_compact``), which reads back bit for
bit; temporary files of a checkpoint write that was killed are removed when the next run starts.

Nothing non-finite passes: a parameter vector with NaN or inf is an error before it is evaluated,
and so is a non-finite return (``DivergedError``, naming method, generation and individual).
"""

from __future__ import annotations

import json
import math
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import numpy as np

from .config import RunConfig, check_type
from .envs import EnvSpec, get_spec
from .evaluation import BACKENDS, EVAL, TRAIN, episode_seeds, make_evaluator
from .machine import machine_label, peak_memory_gib, reset_peak_memory
from .compact import dumps_compact, load_pickle
from .store import atomic_write, current_names, remove_stale_temps
from .trainers import GRADIENT_METHODS, METHODS, REGISTRY, check_hyper_names, hyper_types, make_trainer, policy_for

Record = dict


@dataclass
class Progress:
    """Everything the loop carries from one generation to the next (besides the trainer state)."""

    generation: int = 0
    evals: int = 0
    env_steps: int = 0
    wall: float = 0.0
    eval_wall: float = 0.0
    cpu: float = 0.0
    """CPU seconds of this process spent on the run so far (training, solved tests and checkpoint saves;
    all its threads)."""
    next_eval: float = math.inf
    solved: bool = False
    """The run reached ``target_return`` and stopped early."""
    records: list = field(default_factory=list)


class FinishedRunError(ValueError):
    """Raised when asked to resume a run whose checkpoint already holds the full budget."""


class DivergedError(ValueError):
    """A non-finite parameter vector or return: the search diverged (or the task returned NaN)."""


def check_finite(values: np.ndarray, what: str, config: RunConfig, generation: int) -> None:
    """``DivergedError`` unless every row of ``values`` is finite; ``what`` names the first bad row
    (``{i}``: its index)."""
    if hasattr(values, "finite_rows"):  # a population in factored form (policies.LowRankPopulation)
        bad = ~values.finite_rows()
    else:
        bad = ~np.isfinite(values).reshape(len(values), -1).all(axis=1)
    if bad.any():
        raise DivergedError(
            f"{config.method} on {config.env} (seed {config.seed}) diverged: generation {generation}, "
            f"{what.format(i=int(np.argmax(bad)))} is not finite (nan or inf); lower sigma0 ({config.sigma0}) "
            f"or the method's step size / learning rate (hyper {dict(config.hyper or ())})")


def solved_test(evaluator, solution: np.ndarray, config: RunConfig, generation: int):
    """Mean and std of the solution's return over ``test_episodes`` fresh episodes."""
    check_finite(solution[None, :], "the solution", config, generation)
    seeds = episode_seeds(config.seed, EVAL, generation, 1, config.test_episodes, contiguous_seeds(evaluator))
    result = evaluator.evaluate(solution[None, :], seeds)
    check_finite(result.returns, "the solved test's return", config, generation)
    return float(result.returns.mean()), float(result.returns.std())


# --- the schedule: when a run tests its solution and when it stops (the training loop's and the
# island model's, ``island_actors._Recorder``: one schedule for every run kind)
def first_test(config: RunConfig) -> float:
    """The evaluations after which the first solved test is due (never: ``test_every`` 0)."""
    return config.test_every or math.inf


def steps_spent(config: RunConfig, env_steps: int) -> bool:
    """The run's env-step budget (if it has one) is spent."""
    return config.budget_steps is not None and env_steps >= config.budget_steps


def test_due(config: RunConfig, next_test: float, evals: int, env_steps: int, last: bool) -> bool:
    """A generation ends with the solved test when its evaluations reach ``next_test`` or it is the
    run's last (``last``: its last generation; or its env-step budget is spent)."""
    return evals >= next_test or last or steps_spent(config, env_steps)


def after_test(config: RunConfig, next_test: float, evals: int) -> float:
    """The next test point after a test at ``evals`` evaluations: every ``test_every``, skipping the
    points a long generation passed."""
    while next_test <= evals:
        next_test += config.test_every
    return next_test


def stops(config: RunConfig, record: Record, env_steps: int) -> str | None:
    """Why the run ends after this generation's ``record``: "solved" (its solved test reached
    ``target_return``), "steps" (the env-step budget is spent), else None (it goes on until its
    generations are done)."""
    if config.target_return is not None and record["test_return"] >= config.target_return:
        return "solved"
    return "steps" if steps_spent(config, env_steps) else None


def contiguous_seeds(evaluator) -> bool:
    """Whether ``evaluator`` wants each evaluation's seeds as one run of consecutive integers
    (``evaluation.envpool``: one pool per run); the other backends take independent seeds."""
    return getattr(evaluator, "contiguous_seeds", False)


def ask(trainer, state, evaluator):
    """``trainer.ask`` -- and, where ``evaluator`` takes seed-only messages (``evaluation.messages``), the
    generation's message too (the same draw: ``ask_message``); (population, state, message or None)."""
    if getattr(evaluator, "seeded", False):
        return trainer.ask_message(state)
    return (*trainer.ask(state), None)


@dataclass(frozen=True)
class Resolved:
    """A ``RunConfig`` checked against the registries (``resolve``), with what they say about it."""

    config: RunConfig
    spec: EnvSpec
    """The task (``envs.get_spec(config.env)``)."""
    policy: str
    """The kind of policy network the method evolves (``policies.make_policy``); ``"mlp"`` for the
    gradient baselines (their own networks are SB3's; this one sizes the run in ``n_params``)."""
    policy_kwargs: dict
    """Its keyword arguments, from the method's hyper-parameters (``trainers.policy_for``)."""
    trainer: type | None
    """The trainer class (``trainers.REGISTRY``); None for the gradient baselines (``GRADIENT_METHODS``)."""


def resolve(config: RunConfig) -> Resolved:
    """``config`` checked against the registries -- its env (``envs``), its method and the method's
    hyper-parameter names and types (``trainers``: the constructor's signature), the method's rules
    (a gradient baseline's step budget and backend; seed-only messages need a trainer that rebuilds
    its members) and its backend (``evaluation.BACKENDS``, EnvPool's tasks) -- and what they say: the
    task, the policy the method evolves and the trainer class. ValueError naming the offending
    parameter. ``RunConfig`` itself only checks its fields' types and ranges (``RunConfig.validate``);
    every run passes through here (``build``, ``train``), and so does every entry point that reads a
    configuration (the CLI's ``train``, the campaign's needs, ``runs.sidecar_problem``)."""
    c = config
    spec = get_spec(c.env)
    if c.method not in METHODS:
        raise ValueError(f"unknown method {c.method!r}; valid methods: {', '.join(METHODS)}")
    if c.method in GRADIENT_METHODS:
        if c.budget_steps is None:
            raise ValueError(f"method {c.method!r} needs budget_steps (its budget is counted in env steps)")
        if c.backend != "lockstep":
            raise ValueError(f"method {c.method!r} collects its own rollouts; backend must stay 'lockstep'")
        if c.keep_solutions:
            raise ValueError(f"keep_solutions keeps evolved solutions; method {c.method!r} has none")
    elif c.test_every_unsolved is not None:
        raise ValueError(f"test_every_unsolved is a gradient baseline's test cadence; method {c.method!r} tests "
                         f"every test_every episodes")
    trainer = REGISTRY.get(c.method)
    if trainer is not None:
        check_hyper_names(c.method, dict(c.hyper or ()))
        kinds = hyper_types(c.method) if c.hyper else {}
        for k, v in c.hyper or ():
            check_type(f"hyper-parameter {k!r} of {c.method}", v, kinds.get(k, Any))
    if c.backend not in BACKENDS:
        raise ValueError(f"unknown backend {c.backend!r}; valid: {', '.join(BACKENDS)}")
    if c.messages == "seeds" and not hasattr(trainer, "rebuild"):
        raise ValueError(f"messages='seeds' needs a method that rebuilds its members from a seed "
                         f"(openai_es, lowrank_es, torch_cmaes), got {c.method!r}")
    if c.backend == "envpool":
        from .evaluation.envpool import TASKS

        if c.env not in TASKS:
            raise ValueError(f"backend 'envpool' has no {c.env!r}; EnvPool tasks: {', '.join(TASKS)}")
    kind, kwargs = policy_for(c.method, dict(c.hyper or ())) if trainer is not None else ("mlp", {})
    return Resolved(c, spec, kind, kwargs, trainer)


def build(config: RunConfig, backend: str | None = None):
    """The run's evaluator (``backend`` overrides ``config.backend``) and trainer, and the parameter
    count; the configuration is checked against the registries first (``resolve``), and the evaluator
    gets the policy the method evolves from there."""
    r = resolve(config if backend is None else config.replace(backend=backend))
    _check_device(config)
    evaluator = make_evaluator(r.config, r.policy, r.policy_kwargs)
    n = evaluator.policy.n_params
    check_memory(config, n)
    layout = getattr(evaluator.policy, "layout", None)  # the MLP's layers, for lowrank_es
    trainer = make_trainer(config.method, n, config.popsize, config.sigma0, dict(config.hyper or ()), layout=layout)
    if hasattr(evaluator, "bind"):  # Ray: seed-only messages need the trainer (evaluation.messages)
        evaluator.bind(trainer)
    return evaluator, trainer, n


FULL_COVARIANCE = ("cmaes", "torch_cmaes")
"""Trainers that hold an n x n covariance matrix."""
FACTORED = ("lowrank_es",)
"""Trainers whose population is factored (a centre and low-rank factors, no ``popsize`` x ``n`` matrix)."""


def peak_bytes(method: str, n: int, popsize: int) -> int:
    """A lower bound of a run's peak memory: one population (``popsize`` x ``n`` float64) and, for a
    full CMA-ES, one n x n float32 matrix; for a factored population, the mean and Adam's two moments
    (3 x ``n`` float64). Anything above it is sure not to fit."""
    if method in FACTORED:
        return 8 * 3 * n
    return 8 * popsize * n + (4 * n * n if method in FULL_COVARIANCE else 0)


def check_memory(config: RunConfig, n: int) -> None:
    """ValueError, before anything is allocated, if the run cannot fit in the memory available now
    (``peak_bytes`` against ``machine.available_bytes``) -- not a MemoryError later."""
    from .machine import available_bytes

    on_gpu = dict(config.hyper or ()).get("device", "cpu") != "cpu"  # the covariance lives on the GPU
    need, free = peak_bytes("" if on_gpu else config.method, n, config.popsize), available_bytes()
    if need > free:
        raise ValueError(f"{config.method} with {n:,} parameters and popsize {config.popsize:,} needs at least "
                         f"{need / 2**30:,.1f} GiB at its peak, more than the {free / 2**30:,.1f} GiB available; "
                         f"lower popsize or hidden")


def _check_device(config: RunConfig) -> None:
    """No CUDA where ``config.device`` asks for it: a ValueError now, before anything is built."""
    if config.device != "cpu":
        from .machine import resolve_device

        resolve_device(config.device)


def generation_record(config: RunConfig, n: int, generation: int, fitness: np.ndarray, evals: int,
                      env_steps: int, wall: float, opt_s: float, pop_eval_s: float, eval_wall: float,
                      machine: str, **extra) -> Record:
    """One generation's record (the solved-test columns NaN until a test fills them)."""
    return {
        "method": config.method, "env": config.env, "n_params": n, "popsize": config.popsize,
        "seed": config.seed, "generation": generation, "evals": evals, "env_steps": env_steps,
        "wall_s": wall, "opt_s": opt_s, "pop_eval_s": pop_eval_s,
        "best_return": float(fitness.max()), "mean_return": float(fitness.mean()),
        "median_return": float(np.median(fitness)), "test_return": math.nan, "test_std": math.nan,
        "test_wall_s": eval_wall, "machine": machine, **extra,
    }


def _save(path: Path, config: RunConfig, progress: Progress, state: Any) -> None:
    blob = dumps_compact({"key": config.key(), "progress": progress, "state": state})
    try:
        atomic_write(path, lambda f: f.write(blob), binary=True)
    except OSError as err:  # a full disk, a removed folder: one line; the last checkpoint is intact
        raise ValueError(f"checkpoint {path} could not be written ({err.strerror or err}); the run stopped at "
                         f"generation {progress.generation} (its previous checkpoint, if any, is kept)") from None


def read_checkpoint(path: Path) -> dict:
    """A checkpoint of this loop: ``{"key", "progress", "state"}``, checked for their types; anything
    else (a foreign pickle, a hand-built dict) is a ValueError naming the file."""
    saved = load_pickle(path)
    if not isinstance(saved, dict) or not {"key", "progress", "state"} <= set(saved):
        raise ValueError(f"checkpoint {path} is not a checkpoint of evoscale.train")
    if not isinstance(saved["key"], str) or not isinstance(saved["progress"], Progress):
        raise ValueError(f"checkpoint {path} is not a checkpoint of evoscale.train (its key or progress has the "
                         f"wrong type: {type(saved['key']).__name__}, {type(saved['progress']).__name__})")
    saved["progress"].records = current_names(saved["progress"].records)  # written by older code: eval_* columns
    return saved


def _load(path: Path, config: RunConfig) -> tuple[Progress, Any]:
    saved = read_checkpoint(path)
    if saved["key"] != config.key():
        raise ValueError(f"checkpoint {path} belongs to another configuration ({saved['key']} != {config.key()})")
    return saved["progress"], saved["state"]


@dataclass
class CheckpointClock:
    """When a run saves its checkpoint by the clock: once at least ``seconds`` of wall time have passed
    since the last save, and never more than ``share`` of the run's time in saves (the wait grows to
    the last save's duration / ``share``). A checkpoint of full CMA-ES at 8,066 parameters pickles
    two 8,066 x 8,066 matrices (about 300 MB, about 4 CPU-s each); saved every 4 generations, that cost
    more CPU time than the run's training."""

    seconds: float
    share: float = 0.02
    last: float = field(default_factory=lambda: time.perf_counter())  # when it last saved (or started)
    cost: float = 0.0  # seconds the last save took

    def due(self) -> bool:
        return time.perf_counter() - self.last >= max(self.seconds, self.cost / self.share)

    def saved(self, started: float) -> None:
        self.last = time.perf_counter()
        self.cost = self.last - started


def train(config: RunConfig, callback: Callable[[Record], None] | None = None,
          checkpoint: str | Path | None = None, checkpoint_every: int = 10,
          checkpoint_seconds: float | None = None) -> list[Record]:
    """Run ``config`` to its budget (resuming from ``checkpoint`` if it exists); one record per generation.
    The checkpoint is saved every ``checkpoint_every`` generations, or with ``checkpoint_seconds`` by
    the clock (``CheckpointClock``), and after the last generation."""
    resolve(config)  # the registries' checks, before anything is touched
    checkpoint = Path(checkpoint) if checkpoint else None
    if checkpoint:
        remove_stale_temps(checkpoint)  # left by a run killed while writing its checkpoint
    _check_device(config)
    if config.method in GRADIENT_METHODS:
        return _train_gradient(config, checkpoint)
    reset_peak_memory()  # each record's peak_mem_gib: this run's, not an earlier one's in this process
    generations = config.budget_evals // (config.popsize * config.episodes_per_fitness)
    saved = _load(checkpoint, config) if checkpoint and checkpoint.exists() else None
    if saved and (saved[0].generation >= generations or saved[0].solved):
        raise FinishedRunError(
            f"checkpoint {checkpoint} already holds the finished run ({saved[0].generation} of "
            f"{generations} generations, {saved[0].evals} evaluations); nothing to resume"
        )
    evaluator, trainer, n = build(config)
    progress, state = saved or (Progress(next_eval=first_test(config)), trainer.init(config.seed))
    machine = machine_label(config.device)
    bar = _progress_bar(config, generations, progress.generation)
    p = progress
    cpu_before = p.cpu - time.process_time()  # + process_time() = CPU seconds of the run so far
    clock = CheckpointClock(checkpoint_seconds) if checkpoint_seconds is not None else None
    try:
        while p.generation < generations:
            gen = p.generation
            t0 = time.perf_counter()
            population, state, message = ask(trainer, state, evaluator)
            t1 = time.perf_counter()
            check_finite(population, "individual {i}'s parameter vector", config, gen)
            seeds = episode_seeds(config.seed, TRAIN, gen, len(population), config.episodes_per_fitness,
                                  contiguous_seeds(evaluator))
            result = evaluator.evaluate(population, seeds, *(() if message is None else (message,)))
            fitness = result.returns.mean(axis=1)
            check_finite(result.returns, "individual {i}'s return", config, gen)
            t2 = time.perf_counter()
            state = trainer.tell(state, population, fitness)
            t3 = time.perf_counter()
            p.evals += result.episodes
            p.env_steps += result.env_steps
            p.wall += t3 - t0
            rec = generation_record(config, n, gen, fitness, p.evals, p.env_steps, p.wall,
                                    (t1 - t0) + (t3 - t2), t2 - t1, p.eval_wall, machine)
            if test_due(config, p.next_eval, p.evals, p.env_steps, gen == generations - 1):
                t4 = time.perf_counter()
                solution = trainer.solution(state)
                rec["test_return"], rec["test_std"] = solved_test(evaluator, solution, config, gen)
                if config.keep_solutions:
                    rec["solution"] = json.dumps(np.asarray(solution, dtype=float).tolist())
                p.eval_wall += time.perf_counter() - t4
                rec["test_wall_s"] = p.eval_wall
                p.next_eval = after_test(config, p.next_eval, p.evals)
            p.cpu = cpu_before + time.process_time()
            rec["cpu_s"], rec["peak_mem_gib"] = p.cpu, peak_memory_gib()
            p.records.append(rec)
            p.generation += 1
            why = stops(config, rec, p.env_steps)
            if why == "solved":
                p.solved, generations = True, p.generation  # the run ends here
            elif why == "steps":
                generations = p.generation  # step budget spent (the last generation had its solved test)
            due = clock.due() if clock else p.generation % checkpoint_every == 0
            if checkpoint and (due or p.generation == generations):
                t5 = time.perf_counter()
                _save(checkpoint, config, p, state)
                if clock:
                    clock.saved(t5)
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


def _train_gradient(config: RunConfig, checkpoint) -> list[Record]:
    """The gradient baselines (SB3 PPO or sb3-contrib RecurrentPPO, zoo hyper-parameters) on the same
    records; one torch thread per run."""
    import torch

    from .baselines import train_gradient

    torch.set_num_threads(1)  # PPO's records depend on the thread count; fix it
    return train_gradient(config, str(checkpoint) if checkpoint else None)


def _progress_bar(config: RunConfig, total: int, done: int):
    if not config.progress:
        return None
    from tqdm.auto import tqdm

    return tqdm(total=total, initial=done, mininterval=2.0, unit="gen",
                desc=f"{config.method} {config.env} seed {config.seed}")
