"""``bench ask-tell``: why pycma's ask + tell costs more in chapter 4's training generations than in
chapter 1's table, timed on one pinned core (issue 42, item 3).

    python -m evoscale bench ask-tell --out results/bench/ask-tell.json      # idle machine, ~5 min

Chapter 1 prices pycma's ask + tell at LunarLander's 2,788 parameters from a fit over its isolated
measurements; chapter 4 times the same update inside training generations and finds it dearer. This
bench times, alternately in ``rounds`` interleaved rounds (the variants' order rotating each round) on
one core (``core``; the process and the ones it spawns are pinned to it, BLAS on one thread), at the
LunarLander network's own n:

* ``chapter1`` -- chapter 1's procedure itself (``bench.cma.in_fresh_process``, pycma): a fresh CMA-ES
  in a fresh process, ``generations`` generations on a synthetic quadratic (median of generations
  2..G), then one forced eigendecomposition spread over pycma's period;
* ``chapter4`` -- chapter 4's procedure (``bench.generation.timed_generation``, the loop body of its
  speedup measurement): the in-process lockstep evaluator and pycma built as chapter 4 builds them,
  trained ``warmup`` generations once before the rounds; each round starts again from that state and
  runs one generation plus one whole period, the period's mean ask + tell counting (as chapter 4's
  mean over whole periods);
* ``warm_synthetic`` -- chapter 1's procedure on chapter 4's state: the warmed-up state in a fresh
  process, the synthetic quadratic, no evaluation, the same generations as ``chapter4``;
* ``fresh_evaluated`` -- chapter 1's procedure with a real evaluation between ask and tell: a fresh
  CMA-ES in a fresh process, each population evaluated on LunarLander (not timed), tell given the
  returns.

The four form a 2 x 2 design: the state (fresh / after ``warmup`` training generations) and the
evaluation between ask and tell (none / real). ``differences`` lists every way the two chapters'
procedures differ and what here controls it. Per variant and round: the steady ask + tell (a
generation without a decomposition), the decomposition's extra seconds, and the amortised mean; per
pair the ratio of medians with a bootstrap CI over rounds (rounds resampled, paired). Every variant
does the same work in every round (the same seeds and states), so rounds differ only by the machine.
An idle machine only: timings on a loaded one measure the load.
"""

from __future__ import annotations

import os
import pickle
import statistics
import tempfile

import numpy as np

ENV = "LunarLander-v3"
VARIANTS = ("chapter1", "chapter4", "warm_synthetic", "fresh_evaluated")
FACTORS = {"chapter1": ("fresh", "none"), "chapter4": ("warm", "real"), "warm_synthetic": ("warm", "none"),
           "fresh_evaluated": ("fresh", "real")}
"""Each variant's (state, evaluation between ask and tell)."""
RATIOS = {
    "chapter4_over_chapter1": ("chapter4", "chapter1"),
    "state": ("warm_synthetic", "chapter1"),
    "evaluation_fresh": ("fresh_evaluated", "chapter1"),
    "evaluation_warm": ("chapter4", "warm_synthetic"),
}
"""Ratios reported: the two chapters' procedures, and each factor's effect (the other held)."""
PARTS = ("amortised", "steady", "decomposition")
GENERATIONS, WARMUP, POPSIZE, SEED = 5, 100, 64, 0
"""Chapter 1's timed generations and chapter 4's warm-up, population and seed at the ``book`` profile
(tests check them against the studies' profiles)."""

DIFFERENCES = [
    {"what": "machine load and day",
     "chapter1": "its table's own run on the shared 2-core machine, load not recorded",
     "chapter4": "its speedup run on the shared machine another day, load not recorded",
     "controlled": "all variants alternate in interleaved rounds on one pinned core; load average recorded"},
    {"what": "where the figure comes from",
     "chapter1": "a power-law fit over its measured sizes, read at the network's n",
     "chapter4": "measured at the network's n",
     "controlled": "every variant measured at the network's own n; the book compares chapter 1's fit "
                   "with the chapter1 variant"},
    {"what": "state of the search",
     "chapter1": "generations 2..G of a fresh CMA-ES (covariance near its initial diagonal)",
     "chapter4": "generations after the warm-up's training generations (a learned covariance)",
     "controlled": "factor 'state': fresh (chapter1, fresh_evaluated) / warm (chapter4, warm_synthetic)"},
    {"what": "eigendecomposition",
     "chapter1": "one forced after G generations, on a nearly diagonal covariance, spread over the period",
     "chapter4": "pycma's own lazy ones inside ask, on the learned covariance, averaged over whole periods",
     "controlled": "goes with factor 'state' (warm_synthetic: pycma's own, on the learned covariance)"},
    {"what": "work between ask and tell",
     "chapter1": "a synthetic quadratic (not timed), no environment",
     "chapter4": "the population's episodes on the lockstep evaluator (caches and memory churned)",
     "controlled": "factor 'evaluation': none (chapter1, warm_synthetic) / real (chapter4, fresh_evaluated)"},
    {"what": "fitness values told",
     "chapter1": "the synthetic quadratic's",
     "chapter4": "episode returns",
     "controlled": "goes with factor 'evaluation' (they only rank the population: the same arithmetic)"},
    {"what": "process",
     "chapter1": "a fresh spawned process holding only the optimiser",
     "chapter4": "the long-lived chapter process holding the evaluator and the run's history",
     "controlled": "chapter4 runs in the bench's long-lived process, the other variants in fresh ones: "
                   "fresh_evaluated against chapter1 separates the evaluation alone; chapter4 against "
                   "warm_synthetic the evaluation and the process together"},
    {"what": "statistic",
     "chapter1": "median of generations 2..G plus the decomposition / period",
     "chapter4": "mean over whole periods (steady: median of the generations without a decomposition)",
     "controlled": "each variant keeps its procedure's statistic; steady and decomposition parts are "
                   "compared apart as well"},
    {"what": "population size, step size, seed, pycma options, BLAS threads",
     "chapter1": "the book's population and seed, step size 0.5, the project's pycma wrapper, one thread",
     "chapter4": "the same (its registry configuration: the same wrapper and step size)",
     "controlled": "not a difference"},
]


def _check(name: str, value, least: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < least:
        raise ValueError(f"{name} must be an integer >= {least}, got {value!r}")


def _pin(core: int | None) -> tuple[int, set]:
    allowed = os.sched_getaffinity(0)
    core = max(allowed) if core is None else core
    if core not in allowed:
        raise ValueError(f"core {core!r} is not one this process may run on ({sorted(allowed)})")
    os.sched_setaffinity(0, {core})  # the spawned processes inherit it
    return core, allowed


def _fresh_parts(m: dict) -> dict:
    """Chapter 1's split of one ``bench.cma`` measurement: seconds per generation."""
    steady, each = m["ms_per_gen"] / 1e3, m["eig_ms"] / 1e3
    return {"steady": steady, "each": each, "amortised": m["amortised_ms_per_gen"] / 1e3,
            "decomposition": m["amortised_ms_per_gen"] / 1e3 - steady, "spikes": 0, "forced": 1}


def _warm_parts(seconds) -> dict:
    """Chapter 4's split of one period's ask + tell seconds (the first, warming, generation dropped)."""
    from .generation import split_update

    return {**split_update(seconds[1:]), "forced": 0}


def _paired_ratio(x, y, n_resamples: int, seed: int) -> dict:
    """median(x) / median(y) over paired rounds, with a 95 % percentile bootstrap CI (rounds resampled)."""
    x, y = np.asarray(x, float), np.asarray(y, float)
    out = {"ratio": float(np.median(x) / np.median(y)), "lo": None, "hi": None,
           "per_round": [float(a / b) for a, b in zip(x, y)]}
    if x.size >= 2:
        idx = np.random.default_rng(seed).integers(0, x.size, size=(n_resamples, x.size))
        draws = np.median(x[idx], axis=1) / np.median(y[idx], axis=1)
        out["lo"], out["hi"] = (float(v) for v in np.percentile(draws, [2.5, 97.5]))
    return out


def summarise(per_round: dict, n_resamples: int | None = None, seed: int = 0) -> dict:
    """Medians per variant and part, and ``RATIOS`` per part, from ``per_round[variant]`` (a list of
    ``_fresh_parts`` / ``_warm_parts`` dicts, one per round)."""
    from ..stats import N_RESAMPLES

    n_resamples = N_RESAMPLES if n_resamples is None else n_resamples
    medians = {v: {k: float(statistics.median(r[k] for r in rows)) for k in (*PARTS, "each")}
               for v, rows in per_round.items()}
    ratios = {}
    for name, (a, b) in RATIOS.items():
        ratios[name] = {}
        for part in PARTS:
            x, y = [r[part] for r in per_round[a]], [r[part] for r in per_round[b]]
            ratios[name][part] = _paired_ratio(x, y, n_resamples, seed) if min(y) > 0 and min(x) > 0 else None
    return {"medians": medians, "ratios": ratios}


def bench_ask_tell(rounds: int = 6, warmup: int = WARMUP, generations: int = GENERATIONS, popsize: int = POPSIZE,
                   env: str = ENV, core: int | None = None, seed: int = SEED, n_resamples: int | None = None,
                   log=print) -> dict:
    """See the module docstring; one JSON-able dict."""
    from threadpoolctl import threadpool_limits

    from ..config import RunConfig
    from ..envs import get_spec
    from ..machine import machine_label
    from ..train import build
    from .cma import in_fresh_process
    from .generation import timed_generation

    for name, value, least in (("rounds", rounds, 1), ("warmup", warmup, 0), ("generations", generations, 2),
                               ("popsize", popsize, 2), ("seed", seed, 0)):
        _check(name, value, least)
    spec = get_spec(env)
    config = RunConfig(method="cmaes", env=env, hidden=spec.default_hidden, popsize=popsize, seed=seed)
    core, allowed = _pin(core)
    load_before = os.getloadavg()[0]
    try:
        with threadpool_limits(1), tempfile.TemporaryDirectory(prefix="evoscale-ask-tell-") as tmp:
            evaluator, trainer, n = build(config, backend="lockstep")  # as chapter 4's measurement builds them
            period = trainer.serial_period()
            state = trainer.init(seed)
            log(f"{env}, pycma at n = {n:,} on core {core}: {warmup} warm-up generations (chapter 4's window), "
                f"period {period}")
            for g in range(warmup):
                state = timed_generation(evaluator, trainer, state, seed, g)[0]
            snapshot = os.path.join(tmp, "warm.pkl")
            with open(snapshot, "wb") as f:
                pickle.dump(state, f, protocol=pickle.HIGHEST_PROTOCOL)
            del state

            def chapter4() -> dict:
                with open(snapshot, "rb") as f:
                    s = pickle.load(f)
                opt = []
                for g in range(warmup, warmup + period + 1):
                    s, *_, (ask_s, _, tell_s) = timed_generation(evaluator, trainer, s, seed, g)
                    opt.append(ask_s + tell_s)
                return _warm_parts(opt)

            run = {
                "chapter1": lambda: _fresh_parts(in_fresh_process("pycma", n, popsize, generations, seed=seed)),
                "fresh_evaluated": lambda: _fresh_parts(in_fresh_process("pycma", n, popsize, generations, seed=seed,
                                                                         evaluate=env)),
                "warm_synthetic": lambda: _warm_parts([t / 1e3 for t in in_fresh_process(
                    "pycma", n, popsize, period + 1, seed=seed, state_path=snapshot)["ms_per_gen_all"]]),
                "chapter4": chapter4,
            }
            per_round = {v: [] for v in VARIANTS}
            orders = []
            for r in range(rounds):
                order = VARIANTS[r % len(VARIANTS):] + VARIANTS[: r % len(VARIANTS)]
                orders.append(list(order))
                for v in order:
                    per_round[v].append(run[v]())
                log(f"round {r + 1}/{rounds}: " + ", ".join(f"{v} {per_round[v][-1]['amortised']:.3f} s"
                                                         for v in VARIANTS))
    finally:
        os.sched_setaffinity(0, allowed)
    return {"machine": machine_label(), "core": core, "threads": 1, "env": env, "n_params": n, "popsize": popsize,
            "seed": seed, "period_generations": period, "warmup_generations": warmup, "generations": generations,
            "rounds": rounds, "orders": orders, "loadavg_before": round(load_before, 2),
            "loadavg_after": round(os.getloadavg()[0], 2), "factors": {v: dict(zip(("state", "evaluation"), f))
                                                                       for v, f in FACTORS.items()},
            "differences": DIFFERENCES, "per_round": per_round, **summarise(per_round, n_resamples, seed)}
