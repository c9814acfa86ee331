"""Discrete-event simulation (SimPy) of a central-server vs an island-model cluster, 8 ... 256 workers.

``sweep`` simulates ``sim_generations`` generations per worker count W and reports throughput
(evaluations/s), speedup = throughput * ``eval_s_per_individual`` and efficiency = speedup / W (vs W
ideal workers with no overhead); ``bottleneck_workers`` gives the first W whose driver is busy > 90 %
of the time or whose efficiency is < 0.5. ``Calibration`` holds the measured costs:
``eval_s_per_individual`` (one worker core, one individual = one episode), ``tell_s`` (ask + tell per
generation, sequential: seconds, scaled linearly in the population if ``tell_popsize`` (where it was
measured) is set, or a function popsize -> seconds), ``driver_s_per_message`` (CPU cost per message:
Ray task submission, (de)serialisation), ``driver_s_per_byte`` (its cost per byte of payload; the
two measured together by ``bench ray-messages``), ``n_params``, ``bytes_per_param``, ``latency_s`` (one way),
``bandwidth_Bps``.

Assumptions.
* Heterogeneity: worker k's compute times are multiplied by a factor drawn once from a lognormal of
  mean 1 and coefficient of variation ``speed_cv`` (0: homogeneous); each one-way latency is
  ``latency_s`` times a fresh lognormal factor (mean 1, CV ``latency_cv``). The RNG is
  ``default_rng([seed, W])``, drawn in SimPy's deterministic event order: a row is a pure function of
  (calibration, options, seed, W), whatever the other W in the list.
* The driver is one thread behind one NIC, a SimPy ``Resource`` of capacity 1: each message it sends
  or receives holds it ``driver_s_per_message + bytes * driver_s_per_byte + bytes / bandwidth_Bps``
  (each model is charged only the messages and bytes it sends); latency then adds without
  holding it. Bandwidth is charged once, at the driver (the shared link); worker-side message costs
  overlap and are not charged, except a peer-to-peer migration, which holds its sender one message.
* Central server: population lambda = ``popsize`` (fixed: with lambda < W workers idle) or
  ``per_worker * W``, dealt out strided as in ``evaluation.ray`` (shares differ by <= 1). Per
  generation the driver runs ask + tell (workers idle), sends each busy worker its share (share * n *
  bytes_per_param bytes, or with ``seed_only`` the seed-only message of ``evaluation.messages``, as
  ``RayEvaluator(messages="seeds")`` sends it: the centre once per worker, n * bytes_per_param, and two
  scalars per individual, its row and its episode seed -- Salimans et al. 2017's design; for CMA-ES
  it leaves out the eigenbasis a worker keeps between decompositions, 4 n^2 bytes per worker once per
  decomposition, which ``bench messages`` reports); the worker evaluates for share * eval_s * factor and replies 16 bytes per
  individual (return, length). Synchronous: the generation ends with the slowest reply. Driver busy =
  (NIC time + ask/tell time) / simulated time.
* Island model: W islands, each a CMA-ES of ``per_worker`` (else ``popsize``) individuals doing its
  own ask/tell (``tell_time(island popsize)`` times the worker's factor) and evaluation. The driver
  paces each island like a Ray actor call (an 8-byte command and a reply of 16 bytes per individual,
  both through the driver NIC) and collects only scalars. ``barrier=False`` (default): no global
  synchronisation; an island starts its next generation as soon as its reply is in; every
  ``migrate_every`` generations it sends ``migrants`` vectors peer to peer to its ring neighbour, who
  injects them at its next ask without waiting for them (asynchronous migration). Simulated until
  every island has done ``sim_generations`` generations; faster islands' extra generations count.
  ``barrier=True`` models ``island.train_islands`` as written: lockstep generations (the slowest
  island sets the pace) and migrants relayed through the driver (in replies and next commands).
* Decentralised islands (``island.train_islands``' ``sync`` and ``async`` modes): the driver is called
  on once per island and segment of ``migrate_every`` generations (an 8-byte call out, the segment's
  fitness values back, 16 bytes per individual and generation); in between, each island runs alone.
  Migrants go peer to peer: the sender pays one message for them (per-call, per-byte and bandwidth
  cost on its own link). ``island-sync``: a barrier at each migration (every island's segment and
  its migrants' delivery). ``island-async``: an island's next segment starts as soon as the driver
  has its reply; delivery is not awaited. Both simulated until every island has done
  ``sim_generations`` generations; faster islands' extra generations count.
* Not modelled: solved tests, failures and retries, per-generation stragglers, memory, contention
  between a machine's cores; nor convergence per evaluation (small islands vs one big population).

``amdahl_fit``/``amdahl_speedup``: S(W) = 1 / (s + (1 - s) / W), s fitted by least squares on S.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from typing import Callable

import numpy as np
import pandas as pd
import simpy
from scipy.optimize import minimize_scalar

MODELS = ("central", "island", "island-sync", "island-async")
WORKERS = (8, 16, 32, 64, 128, 256)
DEFAULT_POPSIZE = 64
SCALAR_BYTES = 8  # a seed, a command
RESULT_BYTES = 16  # per individual: return and episode length, as evaluation.ray sends back


def _nonneg(name: str, value) -> float:
    """A number >= 0, finite except for a bandwidth."""
    number = isinstance(value, (int, float)) and not isinstance(value, bool)
    if not number or not (0 <= value < math.inf or (name == "bandwidth_Bps" and value == math.inf)):
        raise ValueError(f"{name} must be a finite number >= 0, got {value!r}")
    return float(value)


def _int(name: str, value, low: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
        raise ValueError(f"{name} must be an integer >= {low}, got {value!r}")
    return int(value)


@dataclass(frozen=True)
class Calibration:
    """Measured costs of one generation's pieces; see the module docstring for the model."""

    eval_s_per_individual: float
    tell_s: float | Callable[[int], float] = 0.0
    driver_s_per_message: float = 0.0
    n_params: int = 0
    bytes_per_param: int = 8
    latency_s: float = 0.0
    bandwidth_Bps: float = math.inf
    speed_cv: float = 0.0
    latency_cv: float = 0.0
    tell_popsize: int | None = None  # tell_s was measured at this popsize; scale linearly (None: fixed)
    driver_s_per_byte: float = 0.0  # per byte of a message's payload, on top of driver_s_per_message

    def __post_init__(self):
        for name in ("eval_s_per_individual", "driver_s_per_message", "driver_s_per_byte", "latency_s", "speed_cv", "latency_cv",
                     "bandwidth_Bps") + (() if callable(self.tell_s) else ("tell_s",)):
            _nonneg(name, getattr(self, name))
        for name in ("eval_s_per_individual", "bandwidth_Bps"):
            if not getattr(self, name) > 0:
                raise ValueError(f"{name} must be > 0, got {getattr(self, name)!r}")
        for name, low in (("n_params", 0), ("bytes_per_param", 1), ("tell_popsize", 1)):
            if name != "tell_popsize" or self.tell_popsize is not None:
                _int(name, getattr(self, name), low)

    def tell_time(self, popsize: int) -> float:
        """Seconds of ask + tell for one generation of ``popsize`` individuals."""
        if callable(self.tell_s):
            return _nonneg(f"tell_s({popsize})", self.tell_s(popsize))
        return self.tell_s * (popsize / self.tell_popsize if self.tell_popsize else 1.0)


def _lognormal(rng: np.random.Generator, cv: float, size: int) -> np.ndarray:
    """Factors with mean 1 and coefficient of variation ``cv`` (all ones for cv = 0; no draw)."""
    if cv == 0:
        return np.ones(size)
    sigma = math.sqrt(math.log1p(cv * cv))
    return rng.lognormal(-sigma * sigma / 2, sigma, size)


class _Driver:
    """The driver's NIC/thread (a capacity-1 resource) and the network between it and the workers."""

    def __init__(self, env: simpy.Environment, cal: Calibration, rng: np.random.Generator):
        self.env, self.cal, self.rng = env, cal, rng
        self.nic = simpy.Resource(env, capacity=1)
        self.busy = 0.0

    def cost(self, nbytes: float) -> float:
        """Seconds one message of ``nbytes`` holds whoever sends or receives it."""
        return self.cal.driver_s_per_message + nbytes * self.cal.driver_s_per_byte + nbytes / self.cal.bandwidth_Bps

    def message(self, nbytes: float):
        with self.nic.request() as req:
            yield req
            t = self.cost(nbytes)
            yield self.env.timeout(t)
            self.busy += t

    def latency(self):
        return self.env.timeout(self.cal.latency_s * _lognormal(self.rng, self.cal.latency_cv, 1)[0])

    def call(self, send_bytes: float, work_s: float, reply_bytes: float):
        """Driver sends, wire, worker computes, wire, driver receives."""
        yield from self.message(send_bytes)
        yield self.latency()
        yield self.env.timeout(work_s)
        yield self.latency()
        yield from self.message(reply_bytes)


def _central(cal, W, gens, rng, lam, seed_only):
    factors = _lognormal(rng, cal.speed_cv, W)
    shares = [len(range(k, lam, W)) for k in range(W)]
    per_ind = 2 * SCALAR_BYTES if seed_only else cal.n_params * cal.bytes_per_param
    per_call = cal.n_params * cal.bytes_per_param if seed_only else 0  # the centre, once per worker
    env = simpy.Environment()
    drv, tell = _Driver(env, cal, rng), cal.tell_time(lam)

    def run():
        for _ in range(gens):
            yield env.timeout(tell)  # ask + tell on the driver, workers idle
            drv.busy += tell
            yield env.all_of([env.process(drv.call(per_call + s * per_ind, s * cal.eval_s_per_individual * f, s * RESULT_BYTES))
                              for s, f in zip(shares, factors) if s])

    env.process(run())
    env.run()
    return env.now, gens * lam, drv.busy, shares.count(0)


def _island(cal, W, gens, rng, lam, migrants, migrate_every, barrier):
    factors = _lognormal(rng, cal.speed_cv, W)
    work = [(cal.tell_time(lam) + lam * cal.eval_s_per_individual) * f for f in factors]
    vectors = migrants * cal.n_params * cal.bytes_per_param
    env = simpy.Environment()
    drv, evals = _Driver(env, cal, rng), [0] * W

    def migrates(g):  # after generation g (0-based)
        return migrants > 0 and W > 1 and (g + 1) % migrate_every == 0

    def lockstep():
        for g in range(gens):
            inbound, outbound = vectors * (g > 0 and migrates(g - 1)), vectors * migrates(g)
            yield env.all_of([env.process(drv.call(SCALAR_BYTES + inbound, w, lam * RESULT_BYTES + outbound))
                              for w in work])
            evals[:] = [e + lam for e in evals]

    def island(k, done):
        for g in itertools.count():
            yield from drv.call(SCALAR_BYTES, work[k], lam * RESULT_BYTES)
            evals[k] += lam
            if migrates(g):  # serialise and send to the ring neighbour; delivery is not awaited
                yield env.timeout(drv.cost(vectors))
            if g + 1 == gens:
                done.succeed()

    done = [env.event() for _ in range(W)]
    procs = [env.process(lockstep())] if barrier else [env.process(island(k, done[k])) for k in range(W)]
    env.run(until=env.all_of(procs if barrier else done))
    return env.now, sum(evals), drv.busy, 0


def _decentral(cal, W, gens, rng, lam, migrants, migrate_every, barrier):
    """``island.train_islands``' sync (``barrier``) and async modes: the driver once per segment."""
    factors = _lognormal(rng, cal.speed_cv, W)
    work = [(cal.tell_time(lam) + lam * cal.eval_s_per_individual) * f for f in factors]
    vectors = migrants * cal.n_params * cal.bytes_per_param
    env = simpy.Environment()
    drv, evals, done = _Driver(env, cal, rng), [0] * W, [0] * W

    def segment(k, g, last):
        """Island k's generations g ... the next migration: a call, its work, its migrants, a reply."""
        n = migrate_every - g % migrate_every if last is None else min(migrate_every - g % migrate_every, last - g)
        migrate = migrants > 0 and W > 1 and (g + n) % migrate_every == 0 and (last is None or g + n < last)
        yield from drv.message(SCALAR_BYTES)
        yield drv.latency()
        for _ in range(n):  # counted generation by generation: the run may end inside a segment
            yield env.timeout(work[k])
            evals[k] += lam
            done[k] += 1
            if done[k] == gens and not finished[k].triggered:
                finished[k].succeed()
        if migrate:  # peer to peer: the sender serialises and sends; with a barrier, delivery counts too
            yield env.timeout(drv.cost(vectors))
            if barrier:
                yield drv.latency()
        yield drv.latency()
        yield from drv.message(n * lam * RESULT_BYTES)

    def lockstep():
        g = 0
        while g < gens:
            yield env.all_of([env.process(segment(k, g, gens)) for k in range(W)])
            g = done[0]

    def island(k):
        while True:
            yield from segment(k, done[k], None)

    finished = [env.event() for _ in range(W)]
    procs = [env.process(lockstep())] if barrier else [env.process(island(k)) for k in range(W)]
    env.run(until=env.all_of(procs if barrier else finished))
    return env.now, sum(evals), drv.busy, 0


def sweep(cal: Calibration, workers=WORKERS, model: str = "central", sim_generations: int = 20, seed: int = 0, *,
          popsize: int | None = None, per_worker: int | None = None, seed_only: bool = False,
          migrants: int = 1, migrate_every: int = 10, barrier: bool = False) -> pd.DataFrame:
    """Simulate ``model`` for each W in ``workers``; one row per W: "central", "island" (driver-paced,
    as ``island.train_islands``' default ``paced`` mode; ``barrier``: in lockstep), "island-sync" or
    "island-async" (decentralised; see the module docstring).

    ``popsize``: the central server's fixed population, or each island's population; ``per_worker``:
    the central population grows as per_worker * W (islands: their population). At most one of the
    two; neither means ``popsize=64``. Columns: model, workers, popsize (per strategy), strategies,
    sim_s, evaluations, throughput_eps, speedup, efficiency, driver_busy, idle_workers.
    """
    if model not in MODELS:
        raise ValueError(f"unknown model {model!r}; valid: {', '.join(MODELS)}")
    if isinstance(workers, (int, np.integer)):
        workers = [workers]
    workers = [_int("workers", w, 1) for w in workers]
    if not workers:
        raise ValueError("workers must list at least one worker count")
    gens, _ = _int("sim_generations", sim_generations, 1), _int("seed", seed, 0)
    if popsize is not None and per_worker is not None:
        raise ValueError(f"give popsize or per_worker, not both (popsize={popsize!r}, per_worker={per_worker!r})")
    if per_worker is not None:
        _int("per_worker", per_worker, 1)
    else:
        popsize = _int("popsize", DEFAULT_POPSIZE if popsize is None else popsize, 1)
    _, _ = _int("migrants", migrants, 0), _int("migrate_every", migrate_every, 1)
    rows = []
    for W in workers:
        rng = np.random.default_rng([seed, W])
        if model == "central":
            lam = popsize if popsize is not None else per_worker * W
            t, evals, busy, idle = _central(cal, W, gens, rng, lam, bool(seed_only))
            strategies = 1
        else:
            lam = per_worker if per_worker is not None else popsize
            if migrants >= lam:
                raise ValueError(f"migrants={migrants} must be smaller than the island popsize {lam}")
            if model == "island":
                t, evals, busy, idle = _island(cal, W, gens, rng, lam, migrants, migrate_every, bool(barrier))
            else:
                t, evals, busy, idle = _decentral(cal, W, gens, rng, lam, migrants, migrate_every,
                                                  model == "island-sync")
            strategies = W
        speedup = evals / t * cal.eval_s_per_individual  # t > 0: eval_s > 0 and every run evaluates
        rows.append({"model": model, "workers": W, "popsize": lam, "strategies": strategies, "sim_s": t,
                     "evaluations": evals, "throughput_eps": evals / t, "speedup": speedup,
                     "efficiency": speedup / W, "driver_busy": busy / t, "idle_workers": idle})
    return pd.DataFrame(rows)


def bottleneck_workers(df: pd.DataFrame, busy: float = 0.9, efficiency: float = 0.5) -> dict:
    """The smallest W whose driver is busy more than ``busy`` of the time, and the smallest W whose
    efficiency is below ``efficiency`` (None where no row qualifies)."""
    for name in ("workers", "driver_busy", "efficiency"):
        if name not in df.columns:
            raise ValueError(f"df lacks the column {name!r}; pass a sweep() result")
    df = df.sort_values("workers")
    first = lambda mask: int(df.loc[mask, "workers"].iloc[0]) if mask.any() else None  # noqa: E731
    return {"driver_busy": first(df["driver_busy"] > busy), "efficiency": first(df["efficiency"] < efficiency)}


def amdahl_speedup(s: float, workers):
    """Amdahl's law: speedup on W workers of a job whose fraction ``s`` is serial."""
    if not 0 <= s <= 1:
        raise ValueError(f"s (serial fraction) must be in [0, 1], got {s!r}")
    W = np.asarray(workers, dtype=float)
    if np.any(W < 1):
        raise ValueError(f"workers must be >= 1, got {workers!r}")
    out = 1.0 / (s + (1.0 - s) / W)
    return float(out) if out.ndim == 0 else out


def amdahl_fit(workers, speedup) -> float:
    """Serial fraction s in [0, 1] minimising sum (S_measured - amdahl_speedup(s, W))^2."""
    W, S = np.asarray(workers, dtype=float).ravel(), np.asarray(speedup, dtype=float).ravel()
    if W.size == 0 or W.shape != S.shape:
        raise ValueError(f"workers and speedup must be non-empty and of equal length ({W.size} vs {S.size})")
    for name, x, bad, rule in (("workers", W, W < 1, ">= 1"), ("speedup", S, S <= 0, "> 0")):
        if np.any(bad | ~np.isfinite(x)):
            raise ValueError(f"{name} must be finite and {rule}, got {x.tolist()!r}")
    loss = lambda s: float(np.sum((1.0 / (s + (1.0 - s) / W) - S) ** 2))  # noqa: E731
    res = minimize_scalar(loss, bounds=(0.0, 1.0), method="bounded", options={"xatol": 1e-12})
    return float(min((res.x, 0.0, 1.0), key=loss))  # the bounded search never evaluates the end points
