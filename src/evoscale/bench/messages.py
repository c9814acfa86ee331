"""``bench messages``: seed-only messages against parameter vectors on Ray (issue 39, item 4).

    python -m evoscale bench messages --out results/bench/messages.json             # idle machine
    python -m evoscale bench messages --bytes-only --out results/bench/messages.json  # bytes, no timing

Per method (OpenAI-ES, the low-rank ES) and size (LunarLander's MLP ``8 -> h -> h -> 4`` with h sized to
about 100K and 1M parameters), population ``popsize`` (64) on ``workers`` (2) Ray workers:

* ``bytes_per_generation`` -- payload bytes a generation puts on the wire, both ways, counted as
  ``RayEvaluator.traffic`` counts them (``messages.payload_bytes``: arrays by their data): ``vectors``
  (today: every member's parameters out, a return and a length per member back) and ``seeds`` (per
  worker the centre, the generator's state, its row indices and episode seeds out; the same replies),
  in a steady generation (the trainer, kept by each worker from its first message, is counted apart in
  ``first_generation_extra_bytes``). ``torch_cmaes`` is listed by its message (m, sigma, the generator's
  state) and its eigenbasis (B and D, float32: 4 n^2 + 4 n bytes per worker, once per decomposition:
  ``basis_bytes``, ``period_generations``, amortised in ``bytes_per_generation``), computed, as an n^2
  matrix at these sizes exceeds this machine.
* with timing (not ``--bytes-only``): ``rounds`` interleaved rounds of one generation each, evaluated
  in-process (``LockstepEvaluator``, one core), on Ray with vectors and on Ray with seed-only messages
  (the same evaluator; the workers rebuild their rows, which they pay for); medians of the seconds and
  the 2-worker efficiency ``in-process seconds / (workers x Ray seconds)``, and the driver's ``ask``
  seconds. Returns are checked bitwise equal (seed-only against in-process always; vectors too
  for a dense population -- the low-rank ES's vectors are its dense rows, evaluated by the dense forward). An idle machine only.

Expected time on an idle 2-core machine: about 5 minutes with the defaults (1M parameters: ~10 s per
in-process generation of OpenAI-ES).
"""

from __future__ import annotations

import statistics
import time
import uuid

import numpy as np

SIZES = (100_000, 1_000_000)
METHODS = ("openai_es", "lowrank_es")
ENV = "LunarLander-v3"


def _setup(method: str, n_target: int, popsize: int, rank: int, seed: int = 0):
    """The task's spec, the hidden widths sized to ``n_target`` and the trainer (a random centre, so
    episodes end at different lengths, not all at the same crash)."""
    from ..envs import get_spec
    from ..policies import make_policy
    from ..trainers import make_trainer
    from .lowrank import hidden_for

    spec = get_spec(ENV)
    h = hidden_for(n_target, spec.obs_dim, spec.act_dim)
    policy = make_policy(spec, (h, h), "cpu")
    x0 = np.random.default_rng(seed).normal(0, 0.1, policy.n_params)
    trainer = make_trainer(method, policy.n_params, popsize, 0.05, {"x0": x0, **({"rank": rank} if method == "lowrank_es" else {})},
                           layout=policy.layout)
    return spec, (h, h), policy, trainer


def generation_bytes(population, seeds: np.ndarray, message: dict, workers: int, trainer) -> dict:
    """Payload bytes of one generation for both protocols, as ``RayEvaluator`` sends and counts them:
    {"vectors", "seeds", "first_generation_extra_bytes", "replies"}."""
    from ..evaluation.messages import payload_bytes, split

    P = len(seeds)
    shares = range(min(workers, P))
    replies = sum(payload_bytes((np.empty(seeds[k::workers].shape), np.empty(seeds[k::workers].shape, np.int64)))
                  for k in shares)
    dense = np.asarray(population) if not isinstance(population, np.ndarray) else population
    vectors = sum(payload_bytes((dense[k::workers], seeds[k::workers])) for k in shares)
    token = uuid.uuid4().hex  # RayEvaluator.bind's token: the same length, so the same bytes
    shared, kept = split(message)
    kept = {"trainer": ((token, 0), trainer), **{name: ((token, v), d) for name, (v, d) in kept.items()}}
    steady = sum(payload_bytes(shared) + payload_bytes(({name: (v, None) for name, (v, _) in kept.items()},
                                                        np.arange(k, P, workers), seeds[k::workers])) for k in shares)
    extra = sum(payload_bytes(d) for _, d in kept.values()) * len(shares)
    return {"vectors": vectors + replies, "seeds": steady + replies, "first_generation_extra_bytes": extra,
            "replies": replies}


def cma_bytes(n: int, popsize: int, workers: int) -> dict:
    """torch CMA-ES's seed-only message at ``n`` parameters, computed (see the module docstring)."""
    import torch

    from ..evaluation.messages import payload_bytes
    from ..trainers.torch_cmaes import CMAParams

    params = CMAParams.default(n, popsize)
    period = int(params.lazy_gap_evals // popsize) + 1  # TorchCMAES.serial_period
    gen = torch.Generator()
    gen.manual_seed(0)
    message = {"rng": gen.get_state(), "mean": np.zeros(n), "sigma": 0.5, "injected": None}
    share = -(-popsize // workers)
    rows_seeds = 2 * 8 * popsize  # row indices and episode seeds, all workers together
    replies, basis = 16 * popsize, 4 * n * n + 4 * n
    steady = workers * payload_bytes(message) + rows_seeds + replies
    return {"method": "torch_cmaes", "n_params": n, "computed": True, "period_generations": period,
            "basis_bytes": basis, "bytes_per_generation": {
                "vectors": 8 * n * popsize + 8 * popsize + replies,
                "seeds": steady + workers * basis / period, "seeds_between_decompositions": steady},
            "members_per_worker": share}


def bench_messages(sizes=SIZES, methods=METHODS, popsize: int = 64, workers: int = 2, rank: int = 1,
                   rounds: int = 3, bytes_only: bool = False, log=print) -> dict:
    """See the module docstring; one JSON-able dict."""
    from ..evaluation import TRAIN, episode_seeds
    from ..machine import machine_label

    sizes, methods = [int(s) for s in sizes], list(methods)
    for name, value in (("popsize", popsize), ("workers", workers), ("rank", rank), ("rounds", rounds)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"{name} must be a positive integer, got {value!r}")
    if popsize % 2:
        raise ValueError(f"popsize must be even (mirrored pairs), got {popsize}")
    unknown = sorted(set(methods) - set(METHODS))
    if unknown or not methods:
        raise ValueError(f"methods must be some of {', '.join(METHODS)}, got {methods!r}")
    if not sizes or min(sizes) < 1_000:
        raise ValueError(f"sizes must be parameter counts >= 1,000, got {sizes!r}")
    rows = []
    for n_target in sizes:
        for method in methods:
            spec, hidden, policy, trainer = _setup(method, n_target, popsize, rank)
            population, state, message = trainer.ask_message(trainer.init(0))
            seeds = episode_seeds(0, TRAIN, 0, popsize, 1)
            b = generation_bytes(population, seeds, message, workers, trainer)
            row = {"method": method, "n_params": policy.n_params, "hidden": list(hidden), "popsize": popsize,
                   "workers": workers, "bytes_per_generation": {"vectors": b["vectors"], "seeds": b["seeds"]},
                   "first_generation_extra_bytes": b["first_generation_extra_bytes"],
                   "reduction": b["vectors"] / b["seeds"]}
            log(f"{method}, n = {policy.n_params:,}: {b['vectors']:,} B (vectors) -> {b['seeds']:,} B (seeds) "
                f"a generation, x{row['reduction']:.1f} less")
            if not bytes_only:
                row.update(_timed(spec, hidden, trainer, popsize, workers, rounds, log))
            rows.append(row)
        rows.append(cma_bytes(rows[-1]["n_params"], popsize, workers))
    return {"machine": machine_label(), "env": ENV, "popsize": popsize, "workers": workers, "rank": rank,
            "rounds": rounds, "timed": not bytes_only, "sizes": rows}


def _timed(spec, hidden, trainer, popsize: int, workers: int, rounds: int, log) -> dict:
    """Interleaved rounds: ask, in-process, Ray vectors, Ray seeds; medians and efficiencies."""
    import ray
    from threadpoolctl import threadpool_limits

    from ..evaluation import TRAIN, LockstepEvaluator, episode_seeds
    from ..evaluation.ray import RayEvaluator
    from ..ray_connect import init_ray

    owns = not ray.is_initialized()
    if owns:
        init_ray(None, log_to_driver=False, num_cpus=workers, include_dashboard=False)
    secs = {k: [] for k in ("ask", "in_process", "vectors", "seeds")}
    try:
        with threadpool_limits(1), RayEvaluator(spec.env_id, hidden, workers=workers, messages="seeds") as ray_ev:
            ray_ev.bind(trainer)
            local, state = LockstepEvaluator(spec.env_id, hidden), trainer.init(0)
            population, state, message = trainer.ask_message(state)
            ray_ev.evaluate(population, episode_seeds(1, TRAIN, 0, popsize, 1), message)  # warm: actors, trainer
            lengths = []
            for r in range(rounds):
                t = time.perf_counter()
                population, state, message = trainer.ask_message(state)
                secs["ask"].append(time.perf_counter() - t)
                seeds = episode_seeds(0, TRAIN, r, popsize, 1)
                results = {}
                for mode, run in (("in_process", lambda: local.evaluate(population, seeds)),
                                  ("vectors", lambda: ray_ev.evaluate(population, seeds)),
                                  ("seeds", lambda: ray_ev.evaluate(population, seeds, message))):
                    t = time.perf_counter()
                    results[mode] = run()
                    secs[mode].append(time.perf_counter() - t)
                base = results["in_process"]  # a factored population runs factored in-process and seeded, dense as vectors
                same = ("seeds", "vectors") if isinstance(population, np.ndarray) else ("seeds",)
                if not all(np.array_equal(results[m].returns, base.returns) for m in same):
                    raise RuntimeError("seed-only (or vector) and in-process returns differ: a bug, not a timing")
                lengths.append(base.lengths.ravel())
                log(f"  round {r + 1}/{rounds}: " + ", ".join(f"{k} {v[-1]:.2f} s" for k, v in secs.items()))
    finally:
        if owns:
            ray.shutdown()
    med = {k: statistics.median(v) for k, v in secs.items()}
    lengths = np.concatenate(lengths)
    return {"seconds": med, "seconds_all": secs,
            "efficiency": {m: med["in_process"] / (workers * med[m]) for m in ("vectors", "seeds")},
            "episode_length_median": float(np.median(lengths)), "episode_length_max": int(lengths.max())}
