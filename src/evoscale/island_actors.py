"""The islands themselves, below the island model's runs (``island``): one ``Island`` (a trainer state
and an evaluator, in a Ray actor or in the driver; it sends and receives migrants), the migration
topologies (``destinations``), each island's seed (``island_seed``) and the records built from the
islands' per-generation results (``_Recorder``). ``island`` re-exports them.
"""

from __future__ import annotations

import math
import threading
import time

import numpy as np

from .config import RunConfig
from .evaluation import TRAIN, episode_seeds
from .machine import machine_label
from .train import after_test, build, check_finite, first_test, generation_record, solved_test, stops, test_due
from .trainers.cmaes import CMAES


TOPOLOGIES = ("ring", "random")
MODES = ("paced", "sync", "async")
WAIT_S = 600.0
"""Seconds an island waits for migrants it must inject (``sync``, a replayed ``async``) before it gives up."""


def island_seed(seed: int, k: int) -> int:
    """Island k's trainer seed, derived from (run seed, k); below 2**31 (pycma's RNGs use seed + 1)."""
    return int(np.random.SeedSequence([seed, k]).generate_state(1)[0]) >> 1


def destinations(topology: str, K: int, seed: int, generation: int) -> list[int]:
    """``dest[i]``: the island that island i sends its migrants to after ``generation``."""
    if topology == "ring":
        return [(i + 1) % K for i in range(K)]
    order = np.random.default_rng([seed, generation]).permutation(K)  # a random ring: no self-sends
    dest = [0] * K
    for j in range(K):
        dest[order[j]] = int(order[(j + 1) % K])
    return dest


def can_inject(trainer) -> bool:
    return hasattr(trainer, "inject") or isinstance(trainer, CMAES)


class Island:
    """One island: a trainer state and an evaluator. Runs in a Ray actor or in the driver."""

    def __init__(self, config: RunConfig, k: int, K: int):
        self.config, self.k, self.K = config, k, K
        self.evaluator, self.trainer, _ = build(config, backend="lockstep")  # the island is the worker
        self.state = self.trainer.init(island_seed(config.seed, k))
        self.population = None  # the last population; stays here (inspected by tests in-process)
        self.mailbox: list[tuple] = []  # (sender, its generation, rows, arrival on the virtual clock)
        self.arrived = threading.Condition()  # a Ray actor receives in a second thread while it runs
        self.peers: list = []
        self.snapshots: dict[int, np.ndarray] = {}  # generation -> the solution after its tell

    def connect(self, peers: list) -> None:
        """Every island's handle (or, in this process, the ``Island`` itself), for sending migrants."""
        self.peers = list(peers)

    def receive(self, sender: int, generation: int, rows: np.ndarray, at: float = 0.0) -> None:
        with self.arrived:
            self.mailbox.append((sender, generation, rows, at))
            self.arrived.notify_all()

    def _take(self, expect: list | None, before: float) -> tuple[np.ndarray | None, list]:
        """The immigrants of the next ask: exactly ``expect`` [(sender, generation), ...] (waiting for
        them on Ray), or, with None, whatever arrived by ``before`` (the newest message per sender, at
        most popsize - 1 rows, the newest first)."""
        with self.arrived:
            if expect is not None:
                has = lambda: all(any(m[:2] == tuple(e) for m in self.mailbox) for e in expect)  # noqa: E731
                if not self.arrived.wait_for(has, timeout=WAIT_S):
                    raise RuntimeError(f"island {self.k}: the migrants {expect} never arrived")
                chosen = [next(m for m in self.mailbox if m[:2] == tuple(e)) for e in expect]
            else:
                newest = {}
                for m in self.mailbox:
                    if m[3] <= before and (m[0] not in newest or m[1] > newest[m[0]][1]):
                        newest[m[0]] = m
                chosen, rows = [], 0
                for m in sorted(newest.values(), key=lambda m: -m[3]):
                    if rows + len(m[2]) < self.config.popsize:
                        chosen.append(m)
                        rows += len(m[2])
            used = {id(m) for m in chosen}
            gone = {m[0]: m[1] for m in chosen}  # older messages of a sender that was read are superseded
            self.mailbox = [m for m in self.mailbox if id(m) not in used and m[1] > gone.get(m[0], -1)]
        if not chosen:
            return None, []
        return np.concatenate([m[2] for m in chosen]), [(m[0], m[1]) for m in chosen]

    def generation(self, h: int, expect: list | None = None, before: float = math.inf, send: bool = False,
                   topology: str = "ring", migrants: int = 0, clock: float = 0.0) -> dict:
        """Generation ``h`` without the driver: inject, step, keep the solution, send the migrants."""
        immigrants, injected = self._take(expect, before)
        out = self.step(h, immigrants, migrants if send else 0)
        self.snapshots[h] = np.array(self.solution(), dtype=float)
        rows = out.pop("emigrants")
        if send:
            peer = self.peers[destinations(topology, self.K, self.config.seed, h)[self.k]]
            if isinstance(peer, Island):
                peer.receive(self.k, h, rows, clock)
            else:  # a Ray actor handle: island to island, not awaited
                peer.receive.remote(self.k, h, rows, clock)
        return {**out, "island": self.k, "generation": h, "injected": injected}

    def run(self, start: int, stop: int, expects: dict | None, sends: list, topology: str,
            migrants: int) -> list[dict]:
        """Generations ``start`` ... ``stop - 1``, one after another, without the driver. ``expects``:
        generation -> the migrants to inject before it (none where absent); None: whatever arrived."""
        return [self.generation(h, None if expects is None else expects.get(h, []), math.inf, h in sends, topology,
                                migrants) for h in range(start, stop)]

    def snapshot(self, h: int) -> np.ndarray:
        return self.snapshots[h]

    def step(self, generation: int, immigrants: np.ndarray | None, n_send: int) -> dict:
        """Inject ``immigrants``, ask, evaluate, tell; return fitness, counters, timings, best rows."""
        t0 = time.perf_counter()
        if immigrants is not None and len(immigrants):
            if hasattr(self.trainer, "inject"):
                self.state = self.trainer.inject(self.state, immigrants)
            else:  # pycma: into the first rows of the next ask, unrescaled
                self.state.es.inject([np.array(x, dtype=float) for x in immigrants], force=True)
        population, self.state = self.trainer.ask(self.state)
        t1 = time.perf_counter()
        c = self.config
        check_finite(population, f"island {self.k}, individual {{i}}'s parameter vector", c, generation)
        seeds = episode_seeds(c.seed, TRAIN, generation * self.K + self.k, len(population), c.episodes_per_fitness)
        result = self.evaluator.evaluate(population, seeds)
        check_finite(result.returns, f"island {self.k}, individual {{i}}'s return", c, generation)
        fitness = result.returns.mean(axis=1)
        t2 = time.perf_counter()
        self.state = self.trainer.tell(self.state, population, fitness)
        t3 = time.perf_counter()
        self.population = population
        best = population[np.argsort(-fitness, kind="stable")[:n_send]] if n_send else None
        return {"fitness": fitness, "episodes": result.episodes, "env_steps": result.env_steps,
                "opt_s": (t1 - t0) + (t3 - t2), "pop_eval_s": t2 - t1, "emigrants": best}

    def solution(self) -> np.ndarray:
        return self.trainer.solution(self.state)


class _Recorder:
    """Today's records from the islands' per-generation results: one ``add`` per generation (or round)."""

    def __init__(self, config: RunConfig, n: int, evaluator, extra: dict, solution_of):
        self.config, self.n, self.evaluator, self.extra, self.solution_of = config, n, evaluator, extra, solution_of
        self.machine = machine_label(config.device)
        self.records, self.evals, self.env_steps, self.eval_wall = [], 0, 0, 0.0
        self.next_eval = first_test(config)
        self.tests = 0  # solved tests: one driver call each

    def add(self, gen: int, results: list[dict], wall: float, last: bool, **more) -> bool:
        """Append generation ``gen``'s record; True when the run stops here."""
        config = self.config
        best = int(np.argmax([r["fitness"].mean() for r in results]))  # the best island (its mean)
        fitness = np.concatenate([r["fitness"] for r in results])
        self.evals += sum(r["episodes"] for r in results)
        self.env_steps += sum(r["env_steps"] for r in results)
        rec = generation_record(
            config, self.n, gen, fitness, self.evals, self.env_steps, wall, max(r["opt_s"] for r in results),
            max(r["pop_eval_s"] for r in results), self.eval_wall, self.machine, **self.extra,
            best_island=int(results[best].get("island", best)), **more)
        if test_due(config, self.next_eval, self.evals, self.env_steps, last):
            t1 = time.perf_counter()
            solution = np.asarray(self.solution_of(rec["best_island"], results[best].get("generation", gen)))
            self.tests += 1
            rec["test_return"], rec["test_std"] = solved_test(self.evaluator, solution, config, gen)
            self.eval_wall += time.perf_counter() - t1
            rec["test_wall_s"] = self.eval_wall
            self.next_eval = after_test(config, self.next_eval, self.evals)
        self.records.append(rec)
        return last or stops(config, rec, self.env_steps) is not None
