"""What one Ray message costs, measured directly, and the decentralised islands on 2 workers (issue 41).

    python -m evoscale bench ray-messages --out results/bench/ray-messages.json

An idle machine only. Two parts:

1. Round trips. A no-op actor (``Echo.ping`` returns the payload's length) is called ``calls`` times
   in a row with a payload of each size in ``payloads`` (bytes, default 16 B to a 64 x 2,788-float
   population), in ``rounds`` interleaved rounds; per size the median seconds per round trip and the
   driver's CPU seconds per round trip (this process, Ray's own threads included). A least-squares
   line through the medians gives the simulation's ``per_call_s`` and ``per_byte_s`` (one round trip
   is two messages, so half of each). Ray sends an argument of over 100 KiB through its object store,
   so the line is an average of two regimes; the points are stored too.
2. Islands. ``island.train_islands`` on LunarLander (pycma, 2 islands of 32, ``migrate_every`` 10)
   in the ``paced``, ``sync`` and ``async`` modes on 2 Ray workers, ``island_rounds`` interleaved
   runs each (medians): evaluations per second and the driver's CPU seconds over the run's wall-clock seconds (its busy share), plus the driver's
   messages. ``cluster_sim`` is calibrated on part 1 and checked against part 2.
"""

from __future__ import annotations

import time

import numpy as np

PAYLOADS = (16, 256, 4_096, 65_536, 64 * 2_788 * 8)
"""Bytes per call: a reply's 16 B up to one population's parameter vectors (64 x 2,788 float64)."""
MODES = ("paced", "sync", "async")


class Echo:
    """A Ray actor that does nothing but answer."""

    def ping(self, payload) -> int:
        return len(payload)


def round_trips(payloads=PAYLOADS, rounds: int = 5, calls: int = 200, log=print) -> list[dict]:
    """Per payload: the median over ``rounds`` of the mean wall and driver-CPU seconds per round trip."""
    import ray

    actor = ray.remote(num_cpus=1)(Echo).remote()
    data = {b: np.zeros(b, dtype=np.uint8) for b in payloads}
    try:
        for b in payloads:  # warm-up: the actor up, each size's path once
            ray.get(actor.ping.remote(data[b]))
        wall, cpu = {b: [] for b in payloads}, {b: [] for b in payloads}
        for r in range(rounds):
            for b in payloads:
                c0, t0 = time.process_time(), time.perf_counter()
                for _ in range(calls):
                    ray.get(actor.ping.remote(data[b]))
                wall[b].append((time.perf_counter() - t0) / calls)
                cpu[b].append((time.process_time() - c0) / calls)
            log(f"round {r + 1}/{rounds}: " + ", ".join(f"{b} B {1e6 * wall[b][-1]:.0f} us" for b in payloads))
    finally:
        ray.kill(actor)
    return [{"bytes": b, "round_trip_s": float(np.median(wall[b])), "driver_cpu_s": float(np.median(cpu[b])),
             "round_trip_s_all": wall[b]} for b in payloads]


def fit_line(rows: list[dict]) -> dict:
    """Per message: a fixed cost and a cost per byte, from the round trips (two messages each)."""
    x = np.array([r["bytes"] for r in rows], dtype=float)
    y = np.array([r["round_trip_s"] for r in rows], dtype=float) / 2
    slope, intercept = np.polyfit(x, y, 1)
    return {"per_call_s": float(max(intercept, 0.0)), "per_byte_s": float(max(slope, 0.0))}


def islands(env: str = "LunarLander-v3", method: str = "cmaes", popsize: int = 32, budget_evals: int = 2_560,
            migrate_every: int = 10, rounds: int = 3, modes=MODES, log=print) -> dict:
    """The island model on 2 Ray workers in each mode, ``rounds`` interleaved runs (the same seed, so
    the same work in ``paced`` and ``sync``): medians of throughput, driver busy share; messages."""
    from ..config import RunConfig
    from ..envs import get_spec
    from ..island import train_islands_log

    spec = get_spec(env)
    config = RunConfig(env=env, method=method, hidden=spec.default_hidden, popsize=popsize,
                       budget_evals=budget_evals, test_every=0, test_episodes=10)
    out = {"env": env, "method": method, "islands": 2, "popsize": popsize, "migrate_every": migrate_every,
           "migrants": 1, "budget_evals": budget_evals, "modes": {}}
    runs = {mode: [] for mode in modes}
    for r in range(rounds):
        for mode in modes:
            records, run = train_islands_log(config, islands=2, migrate_every=migrate_every, migrants=1, mode=mode)
            runs[mode].append({"wall_s": run["wall_s"], "evaluations": records[-1]["evals"],
                               "throughput_eps": records[-1]["evals"] / run["wall_s"],
                               "driver_cpu_s": run["driver_cpu_s"], "driver_busy": run["driver_cpu_s"] / run["wall_s"],
                               "driver_messages": sum(run["driver_messages"].values()),
                               "generations": run["generations"]})
            log(f"islands, round {r + 1}/{rounds}, {mode}: {runs[mode][-1]['throughput_eps']:.1f} evaluations/s, "
                f"driver busy {runs[mode][-1]['driver_busy']:.1%}")
    for mode, rows in runs.items():
        out["modes"][mode] = {"throughput_eps": float(np.median([x["throughput_eps"] for x in rows])),
                              "driver_busy": float(np.median([x["driver_busy"] for x in rows])),
                              "driver_messages": rows[0]["driver_messages"], "runs": rows}
    return out


def bench_ray_messages(payloads=PAYLOADS, rounds: int = 5, calls: int = 200, env: str = "LunarLander-v3",
                       popsize: int = 32, budget_evals: int = 2_560, migrate_every: int = 10, island_rounds: int = 3,
                       log=print) -> dict:
    """Both parts on a local 2-CPU Ray (see the module docstring); one JSON-able dict."""
    import ray

    from ..machine import machine_label
    from ..ray_connect import init_ray

    payloads = sorted(set(payloads))
    if len(payloads) < 2 or payloads[0] < 1:
        raise ValueError(f"payloads must give at least two distinct sizes of >= 1 byte, got {payloads!r}")
    for name, value in (("rounds", rounds), ("calls", calls), ("island_rounds", island_rounds)):
        if not isinstance(value, int) or value < 1:
            raise ValueError(f"{name} must be a positive integer, got {value!r}")
    owns = not ray.is_initialized()
    if owns:
        init_ray(None, log_to_driver=False, num_cpus=2, include_dashboard=False)
    try:
        rows = round_trips(payloads, rounds, calls, log)
        isl = islands(env, popsize=popsize, budget_evals=budget_evals, migrate_every=migrate_every,
                      rounds=island_rounds, log=log)
    finally:
        if owns:
            ray.shutdown()
    return {"machine": machine_label(), "rounds": rounds, "calls": calls, "round_trips": rows, **fit_line(rows),
            "islands": isl}
