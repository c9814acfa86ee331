"""``bench lowrank``: what a generation's forward step costs with full-rank perturbations, with low-rank
ones (``lowrank_es``'s factored population) and without any (batch inference of the centre network),
on MLPs of about 100K to 10M parameters (issue 39: "Dimension 1 beyond 100K parameters").

One lockstep forward step of a population of ``popsize`` (64), each member on its own observation,
on an MLP ``obs_dim -> h -> h -> act_dim`` with h sized to each target parameter count, one thread,
float64 (the MLP's CPU forward):

* ``full``: every member's own dense weights (OpenAI-ES's population ``theta + sigma eps``), the MLP's
  ordinary forward -- one matrix-vector product per member and layer, P x n weights streamed;
* ``lowrank``: ``lowrank_es``'s factored population of rank ``rank`` (``policies.LowRankPopulation``),
  the MLP's factored forward -- x W for all members in one matmul, plus each member's (x A) B^T;
* ``batch``: the centre network alone, x W for all members in one matmul (the bound for ``lowrank``).

Per size: the median forward time over ``repeats`` interleaved rounds (the three modes one after the
other in each round), the throughput of each mode relative to batch inference (batch seconds / mode
seconds), and the per-generation preparation (drawing the perturbations and unflattening them), timed
once. The issue's goal: ``lowrank`` at >= 0.8 of batch inference's throughput from 1M parameters up
(``goal_met``, judged at each target size; None below 1M). Timings mean something only on an idle machine.

A size whose predicted peak memory (``peak_bytes``: the full-rank population, P x n float64, and a few
n-vectors) exceeds the memory available is refused before anything is allocated (ValueError, one line).
"""

from __future__ import annotations

import math
import statistics
import time

import numpy as np

SIZES = (100_000, 1_000_000, 3_000_000, 10_000_000)
"""Target parameter counts of the benchmark MLPs."""
GOAL, GOAL_FROM = 0.8, 1_000_000
"""Issue 39's goal: low-rank throughput >= 0.8 x batch inference's, from 1M parameters up."""
MODES = ("batch", "lowrank", "full")


def hidden_for(n_params: int, obs_dim: int, act_dim: int) -> int:
    """The width h of two equal hidden layers whose MLP ``obs -> h -> h -> act`` has the parameter
    count nearest ``n_params`` (h^2 + (obs + act + 2) h + act parameters); ValueError if none >= 1 does."""
    from ..policies import param_count

    c = obs_dim + act_dim + 2
    root = round((-c + math.sqrt(c * c + 4 * max(n_params - act_dim, 0))) / 2)
    h = min({max(1, root - 1), max(1, root), root + 1},
            key=lambda w: (abs(param_count(obs_dim, (w, w), act_dim) - n_params), w))
    if abs(param_count(obs_dim, (h, h), act_dim) - n_params) > 0.5 * n_params:
        raise ValueError(f"size {n_params:,} is too small for an MLP {obs_dim} -> h -> h -> {act_dim} "
                         f"(h = 1 already has {param_count(obs_dim, (1, 1), act_dim):,} parameters)")
    return h


def peak_bytes(n_params: int, popsize: int, hidden: int, obs_dim: int, act_dim: int) -> int:
    """Predicted peak memory of one size: the full-rank population (P x n float64, drawn in place),
    the centre and the batch stacks' centre copy (a few n float64), the observations and activations."""
    return 8 * n_params * (popsize + 4) + 8 * popsize * (obs_dim + 2 * hidden + act_dim) * 4


def _check_sizes(sizes, popsize, rank, obs_dim, act_dim) -> list[tuple[int, int, int, int]]:
    """(target, h, n, predicted peak) per size; ValueError for a bad argument or a size that cannot fit."""
    from ..machine import available_bytes
    from ..policies import param_count

    for name, value, low in (("popsize", popsize, 2), ("rank", rank, 1), ("obs_dim", obs_dim, 1),
                             ("act_dim", act_dim, 1)):
        if isinstance(value, bool) or not isinstance(value, int) or value < low:
            raise ValueError(f"{name} must be an integer >= {low}, got {value!r}")
    if popsize % 2:
        raise ValueError(f"popsize must be even (mirrored pairs), got {popsize}")
    if not sizes or any(isinstance(s, bool) or not isinstance(s, int) or s < 1 for s in sizes):
        raise ValueError(f"sizes must be positive integers, got {sizes!r}")
    plan, free = [], available_bytes()
    for target in sizes:
        h = hidden_for(target, obs_dim, act_dim)
        n = param_count(obs_dim, (h, h), act_dim)
        need = peak_bytes(n, popsize, h, obs_dim, act_dim)
        if need > free:
            raise ValueError(f"size {target:,} ({n:,} parameters, popsize {popsize}) needs about "
                             f"{need / 2**30:,.1f} GiB at its peak (the full-rank population), more than the "
                             f"{free / 2**30:,.1f} GiB available; drop it from --sizes or lower --popsize")
        plan.append((target, h, n, need))
    return plan


def batch_forward(policy, centre_layers, obs: np.ndarray) -> np.ndarray:
    """The centre network on every row of ``obs`` (one matmul a layer), as ``policy.forward`` acts."""
    from ..policies import to_actions

    h = np.asarray(obs, dtype=np.float64)
    last = len(centre_layers) - 1
    for j, (W, b) in enumerate(centre_layers):
        h = h @ W + b
        if j < last:
            h = np.tanh(h)
    return to_actions(h, policy.discrete, policy.act_low, policy.act_high)


def _prepare(mode: str, policy, centre: np.ndarray, popsize: int, sigma: float, rank: int, seed: int):
    """One generation's forward input for ``mode``: (the callable forward step's arguments)."""
    rng = np.random.default_rng(seed)
    if mode == "batch":
        return [(W[0].copy(), b[0].copy()) for W, b in policy.unflatten(centre[None])]
    if mode == "lowrank":
        from ..trainers import make_trainer

        es = make_trainer("lowrank_es", policy.n_params, popsize, sigma, {"rank": rank, "x0": centre},
                          layout=policy.layout)
        population, _ = es.ask(es.init(seed))
        return policy.unflatten(population)
    population = rng.standard_normal((popsize, policy.n_params))  # in place: P x n float64 at the peak
    population *= sigma
    population += centre
    return policy.unflatten(population)


def bench_lowrank(sizes=SIZES, popsize: int = 64, rank: int = 1, repeats: int = 5, obs_dim: int = 24,
                  act_dim: int = 4, sigma: float = 0.02, seed: int = 0, log=print) -> dict:
    """Forward-step seconds (median of ``repeats``) of the three modes per size, one thread; see the module."""
    from threadpoolctl import threadpool_limits

    from ..machine import machine_label
    from ..policies import MLPPolicy

    if isinstance(repeats, bool) or not isinstance(repeats, int) or repeats < 1:
        raise ValueError(f"repeats must be a positive integer, got {repeats!r}")
    plan = _check_sizes(list(sizes), popsize, rank, obs_dim, act_dim)  # before anything is allocated
    out = {"machine": machine_label(), "threads": 1, "dtype": "float64", "popsize": popsize, "rank": rank,
           "obs_dim": obs_dim, "act_dim": act_dim, "repeats": repeats, "modes": list(MODES),
           "goal": f"lowrank throughput >= {GOAL} x batch inference from {GOAL_FROM:,} parameters", "sizes": {}}
    with threadpool_limits(1):
        for target, h, n, need in plan:
            log(f"lowrank bench: {n:,} parameters (hidden {h},{h}), predicted peak {need / 2**30:.2f} GiB")
            policy = MLPPolicy(obs_dim, (h, h), act_dim, True)
            rng = np.random.default_rng(seed)
            centre = rng.standard_normal(n) / math.sqrt(h)  # tanh units neither saturated nor idle
            obs = rng.standard_normal((popsize, obs_dim))
            inputs, setup = {}, {}
            for mode in MODES:
                t = time.perf_counter()
                inputs[mode] = _prepare(mode, policy, centre, popsize, sigma, rank, seed)
                setup[mode] = time.perf_counter() - t
            steps = {"batch": lambda: batch_forward(policy, inputs["batch"], obs),
                     "lowrank": lambda: policy.forward(inputs["lowrank"], obs),
                     "full": lambda: policy.forward(inputs["full"], obs)}
            times = {mode: [] for mode in MODES}
            for mode in MODES:  # warm-up: one step each
                steps[mode]()
            for _ in range(repeats):
                for mode in MODES:
                    t = time.perf_counter()
                    steps[mode]()
                    times[mode].append(time.perf_counter() - t)
            forward = {mode: statistics.median(ts) for mode, ts in times.items()}
            ratio = {mode: forward["batch"] / forward[mode] for mode in ("lowrank", "full")}
            out["sizes"][str(target)] = {
                "hidden": [h, h], "n_params": n, "peak_bytes_predicted": need,
                "forward_s": forward, "setup_s": setup, "throughput_vs_batch": ratio,
                "goal_met": (ratio["lowrank"] >= GOAL) if target >= GOAL_FROM else None,
            }
            del inputs, steps  # the full-rank population goes before the next size's
    return out
