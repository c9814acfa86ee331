"""What a GPU could buy, measured on the CPU: the network's share of evaluation, and a simulator
compiled together with the policy.

* ``network_share`` -- where the lockstep evaluator's time goes (``bench.evaluator.time_breakdown``)
  for one task and network. Moving only the forward to an infinitely fast GPU removes at most the
  network's share f, so Amdahl's law bounds that speedup by ``1 / (1 - f)``.
* ``bench_jax`` -- useful env steps/s of the lockstep evaluator against the JAX backend
  (``evaluation.jax``: gymnax's CartPole and the MLP in one compiled loop) and against gymnax's bare
  auto-reset loop, at several population sizes, on one core, interleaved: every round times every
  side at every size, and ratios are taken within a round (medians over rounds are reported).

Timing counts only the ``evaluate`` calls (episode seeds are drawn between them); each size is
evaluated once before the clock starts (JAX compiles a program per batch shape).
"""

from __future__ import annotations

import os
import time
from contextlib import contextmanager

import numpy as np
import pandas as pd

from .evaluator import mixed_lander_population, time_breakdown, warmed_up_population
from ..envs import get_spec
from ..evaluation import TRAIN, LockstepEvaluator, episode_seeds
from ..machine import machine_label


@contextmanager
def one_core(cpu: int | None = None):
    """Run the block (and the threads it starts) on one core; BLAS single-threaded."""
    from threadpoolctl import threadpool_limits

    saved = os.sched_getaffinity(0)
    cpu = max(saved) if cpu is None else cpu
    os.sched_setaffinity(0, {cpu})
    try:
        with threadpool_limits(1):
            yield cpu
    finally:
        os.sched_setaffinity(0, saved)


def benchmark_population(policy, env_id: str, popsize: int, seed: int = 0) -> np.ndarray:
    """LunarLander: half random, half hovering controllers (``bench.evaluator``); else N(0, 0.1^2)."""
    if env_id == "LunarLander-v3" and getattr(policy, "hidden", ()):
        return mixed_lander_population(policy, popsize, seed)
    return np.random.default_rng(seed).normal(0, 0.1, (popsize, policy.n_params))


def network_share(env_id: str, hidden: tuple[int, ...], popsize: int, seconds: float) -> dict:
    """Shares of the lockstep evaluator's time (env, network, loop) and the Amdahl bound."""
    with one_core():
        evaluator = LockstepEvaluator(env_id, tuple(hidden))
        population = benchmark_population(evaluator.policy, env_id, popsize)
        shares = time_breakdown(evaluator, population, seconds)
    f = shares["network_fraction"]
    return {"env": env_id, "hidden": ",".join(map(str, hidden)), "n_params": evaluator.policy.n_params,
            "popsize": popsize, "width": evaluator.batch_width(popsize), **shares,
            "amdahl_bound": 1 / (1 - f), "machine": machine_label()}


def _timed(evaluate, population: np.ndarray, generation: int) -> tuple[float, object]:
    seeds = episode_seeds(1, TRAIN, generation, len(population), 1)
    t = time.perf_counter()
    result = evaluate(population, seeds)
    return time.perf_counter() - t, result


def _rate(evaluator, population: np.ndarray, seconds: float, first: int) -> tuple[float, float]:
    """(useful steps/s, computed steps/s) over evaluations totalling at least ``seconds``."""
    spent = steps = computed = 0
    g = first
    while spent < seconds:
        dt, result = _timed(evaluator.evaluate, population, g)
        spent, steps, g = spent + dt, steps + result.env_steps, g + 1
        computed += getattr(evaluator, "last_computed_steps", result.env_steps)
    return steps / spent, computed / spent


def _bare_rate(run, thetas, seeds, steps: int, seconds: float) -> float:
    spent = calls = 0
    while spent < seconds:
        t = time.perf_counter()
        float(run(thetas, seeds))  # blocks until the result is there
        spent, calls = spent + time.perf_counter() - t, calls + 1
    return calls * steps * thetas.shape[0] / spent


def _bare(ev, steps: int, popsizes, base: np.ndarray):
    """gymnax's auto-reset loop with ``ev``'s policy and precision, compiled for every size."""
    import jax.numpy as jnp

    from ..evaluation.jax import auto_reset_rollout

    with ev._x64():
        run = auto_reset_rollout(ev.env, ev.env_params, ev.forward, steps)
        args = {P: (jnp.asarray(base[np.arange(P) % len(base)], ev.dtype), jnp.arange(P, dtype=jnp.uint32))
                for P in popsizes}
        for P in popsizes:
            float(run(*args[P]))  # compile
    return ev, run, args


def bench_jax(env_id: str = "CartPole-v1", popsizes=(16, 64, 256, 1024, 4096), seconds: float = 1.0,
              rounds: int = 3, warmup_evals: int = 3_000, dtype: str = "float64", log=print) -> pd.DataFrame:
    """One row per (round, popsize): useful steps/s of ``lockstep`` and ``jax`` (Gymnasium's start
    states: the lockstep's episodes), ``jax_device_resets`` (gymnax's own resets), ``jax_f32`` (float32)
    and ``bare`` / ``bare_f32`` (gymnax's auto-reset loop, every step counted), plus ``*_computed``
    (masked steps included) for each JAX side.

    The population: the task's default method trained for ``warmup_evals`` episodes at popsize 64
    (0: N(0, 0.5^2) weights), tiled to each size, so every size sees the same mix of episode lengths.
    """
    from ..config import check_positive_int
    from ..evaluation.jax import JaxEvaluator

    spec = get_spec(env_id)
    for P in popsizes:
        check_positive_int("popsize", P)
    check_positive_int("rounds", rounds)
    if not seconds > 0 or not isinstance(warmup_evals, int) or warmup_evals < 0:
        raise ValueError(f"seconds must be positive and warmup_evals a non-negative integer, got {seconds!r}, "
                         f"{warmup_evals!r}")
    rows = []
    with one_core() as cpu:
        sides = {"jax": JaxEvaluator(env_id, spec.default_hidden, dtype=dtype),
                 "jax_device_resets": JaxEvaluator(env_id, spec.default_hidden, dtype=dtype, resets="jax"),
                 "jax_f32": JaxEvaluator(env_id, spec.default_hidden, dtype="float32")}
        lockstep = LockstepEvaluator(env_id, spec.default_hidden)
        if warmup_evals:
            log(f"warm-up: {spec.default_method} for {warmup_evals} episodes")
            base = warmed_up_population(lockstep, 64, warmup_evals, spec.default_method)
        else:
            base = np.random.default_rng(0).normal(0, 0.5, (64, lockstep.policy.n_params))
        bare = {k: _bare(sides[k], spec.max_steps, popsizes, base) for k in ("jax", "jax_f32")}
        pops = {P: base[np.arange(P) % len(base)] for P in popsizes}
        for P in popsizes:
            for e in (lockstep, *sides.values()):
                _timed(e.evaluate, pops[P], 0)  # compile / build environments
        for r in range(rounds):
            for P in popsizes:
                log(f"round {r + 1}/{rounds}, popsize {P}")
                row = {"round": r, "popsize": P, "lockstep": _rate(lockstep, pops[P], seconds, 1_000 * r)[0]}
                for name, e in sides.items():
                    row[name], row[f"{name}_computed"] = _rate(e, pops[P], seconds, 1_000 * r)
                for name, (ev, run, args) in bare.items():
                    with ev._x64():
                        row[name.replace("jax", "bare")] = _bare_rate(run, *args[P], spec.max_steps, seconds)
                rows.append(row)
    df = pd.DataFrame(rows)
    df["env"], df["dtype"], df["cpu"], df["machine"] = env_id, dtype, cpu, machine_label()
    df["n_params"] = lockstep.policy.n_params
    return df


def jax_summary(df: pd.DataFrame) -> pd.DataFrame:
    """Per popsize: median rates over rounds, and medians of the per-round ratios."""
    r = df.assign(jax_over_lockstep=df.jax / df.lockstep, device_resets_over_lockstep=df.jax_device_resets / df.lockstep,
                  f32_over_lockstep=df.jax_f32 / df.lockstep, computed_over_bare=df.jax_computed / df.bare,
                  useful_over_bare=df.jax / df.bare, f32_computed_over_bare=df.jax_f32_computed / df.bare_f32,
                  useful_fraction=df.jax / df.jax_computed)
    cols = ["lockstep", "jax", "jax_device_resets", "jax_f32", "jax_computed", "bare", "bare_f32",
            "jax_over_lockstep", "device_resets_over_lockstep", "f32_over_lockstep", "computed_over_bare",
            "useful_over_bare", "f32_computed_over_bare", "useful_fraction"]
    out = r.groupby("popsize")[cols].median().reset_index()
    out["rounds"] = r.groupby("popsize").size().to_numpy()
    return out
