"""The island model: K independent trainers ("islands") that swap their best individuals now and then.

Design. Island k runs its own trainer (``config.method``, popsize ``config.popsize``, seed derived
from ``(config.seed, k)``) and its own ``LockstepEvaluator``, in one Ray actor (``use_ray``) or in
this process; both give identical records. Every ``migrate_every`` generations each island sends its
``migrants`` best individuals of that generation to its neighbour (``ring``: i -> i+1 mod K;
``random``: a random ring, the order drawn from an RNG seeded by (seed, generation)), which injects
them into its next ``ask``: pycma's ``es.inject(..., force=True)`` puts them, unrescaled, in the first
rows of the next population (up to one rounding of ``mean + sigma * (x - mean) / sigma``; pycma's
``tell`` still trims their weight in the covariance update). Without ``force`` pycma would rescale a
distant migrant to a random Mahalanobis length, i.e. keep only its direction. Trainers without an
inject mechanism raise ``ValueError`` (unless ``migrants=0``).

Decentralised: an island's state (its mean and covariance: O(n^2) for CMA-ES) never leaves its
worker. Per generation the driver sends a generation number (plus, after a migration, the
migrants) and gets back ``popsize`` fitness values, two counters and two timings. Cost model, in
floats over the wire: the central model (one strategy, population evaluated on K workers) moves
K * popsize * n parameters every generation; the island model moves K * migrants * n every
``migrate_every`` generations (and n for the solved test of the best island's mean), a factor
``popsize * migrate_every / migrants`` less. Each island also runs its own ask/tell, so the O(n^2)
CMA-ES update is spread over the workers instead of serialised in the driver.

Three ways to run the islands (``mode``):

- ``paced`` (today's, the default; stored runs were trained this way): the driver calls every island
  every generation, so it handles 2 K messages per generation and relays the migrants.
- ``sync``: every island runs its own ask / evaluate / tell loop for ``migrate_every`` generations
  without the driver (``Island.run``), then sends its migrants straight to its neighbour (an actor
  call from island to island); the driver only starts each segment and collects its fitness values
  (2 K messages per ``migrate_every`` generations, none in between), a barrier at each migration.
  The records equal ``paced``'s (tested).
- ``async``: no barrier. An island's ``migrate_every`` generations are granted one segment at a time
  by the driver, as long as the budget (all islands' evaluations together) lasts, so a fast island
  does more generations. Migrants go island to island as in ``sync``; an island injects whatever has
  arrived by its next ask (the newest message per sender). What each island injected when (the
  *arrivals*) and how many generations each did are returned (``train_islands_log``); passing them
  back as ``schedule`` replays the run exactly, on Ray or in this process. In this process, ``async``
  orders the islands' generations by a virtual clock (``speeds``: seconds per generation per island).
  The records are one per *round* (the islands' h-th generations together), built when the islands
  are done; a target return then only truncates them (the islands have used the whole budget).

Each island keeps its solution after every generation (n floats each), so the driver asks only the
best island for the one it tests.

Seeds: island k's generation g evaluates episodes ``episode_seeds(seed, TRAIN, g * K + k, ...)``, so
islands never share episodes and every record is a pure function of the configuration. The budget
``budget_evals`` counts all islands' episodes together, for direct comparisons with one strategy.

References: D. Whitley, S. Rana, R. B. Heckendorn (1999), "The Island Model Genetic Algorithm: On
Separability, Population Size and Convergence", J. Computing and Information Technology 7(1);
Z. Skolicki, K. De Jong (2005), "The influence of migration sizes and intervals on island models",
GECCO 2005.
"""

from __future__ import annotations

import dataclasses
import math
import time
import typing
from pathlib import Path

import pandas as pd

from .config import RunConfig
from .island_actors import (MODES, TOPOLOGIES, WAIT_S, Island, _Recorder, can_inject, destinations,  # noqa: F401
                            island_seed)
from .ray_connect import init_ray
from .runs import load_records
from .store import save_run
from .train import build
from .trainers import GRADIENT_METHODS


def _check(config: RunConfig, islands, migrate_every, migrants, topology, mode, speeds, schedule) -> int:
    """The number of lockstep generations the budget allows; every bad argument is one ValueError."""
    K = islands
    for name, value, low in (("islands", islands, 2), ("migrate_every", migrate_every, 1), ("migrants", migrants, 0)):
        if not isinstance(value, int) or isinstance(value, bool) or value < low:
            raise ValueError(f"{name} must be an integer >= {low}, got {value!r}")
    if migrants >= config.popsize:
        raise ValueError(f"migrants={migrants} must be smaller than each island's popsize={config.popsize}")
    if topology not in TOPOLOGIES:
        raise ValueError(f"unknown topology {topology!r}; valid: {', '.join(TOPOLOGIES)}")
    if mode not in MODES:
        raise ValueError(f"unknown mode {mode!r}; valid: {', '.join(MODES)}")
    if (speeds is not None or schedule is not None) and mode != "async":
        raise ValueError(f"speeds and schedule belong to mode='async', not mode={mode!r}")
    if speeds is not None and (len(speeds) != K or not all(isinstance(v, (int, float)) and 0 < v < math.inf
                                                           for v in speeds)):
        raise ValueError(f"speeds must give {K} positive finite seconds per generation, one per island, got {speeds!r}")
    if config.method in GRADIENT_METHODS:
        raise ValueError(f"the island model needs a population-based method, not {config.method!r}")
    per_gen = K * config.popsize * config.episodes_per_fitness
    generations = config.budget_evals // per_gen
    if generations == 0:
        raise ValueError(f"budget_evals={config.budget_evals} is smaller than one generation of {K} islands "
                         f"(islands {K} x popsize {config.popsize} x episodes_per_fitness "
                         f"{config.episodes_per_fitness} = {per_gen})")
    if schedule is not None:
        done, arrivals = schedule.get("generations"), schedule.get("arrivals")
        if (not isinstance(done, (list, tuple)) or len(done) != K or sum(done) != K * generations
                or not isinstance(arrivals, (list, tuple)) or any(len(a) != 4 for a in arrivals)):
            raise ValueError(f"schedule must be a recorded async run of these {K} islands ({K * generations} "
                             f"island generations: 'generations' per island and 'arrivals' (island, generation, "
                             f"sender, its generation)), got {str(schedule)[:80]!r}")
    return generations


@dataclasses.dataclass(frozen=True)
class IslandSpec:
    """An island-model run: the islands' settings and, once bound (``of``), the ``RunConfig`` every
    island runs (its popsize one island's, its budget all islands' together). A bound spec is a run as
    a ``RunConfig`` is: ``runs.run_path`` / ``load_cached`` / ``train_records`` / ``save_records`` (and
    so ``runs.run_many`` and the campaign) take either; here they are ``path`` / ``load`` / ``train`` /
    ``save``. Trained on one core, its islands one after another in this process; it cannot checkpoint."""

    can_checkpoint: typing.ClassVar[bool] = False
    """Its islands train one after another in one process, with no checkpoint to resume from (the
    campaign starts it only if it ends before the campaign's deadline)."""
    islands: int
    migrate_every: int
    migrants: int
    topology: str
    config: RunConfig | None = None
    """The run's configuration; None: the settings alone (``of`` binds them)."""

    def tag(self) -> str:
        return f"K{self.islands}-m{self.migrate_every}-x{self.migrants}-{self.topology}"

    def of(self, config: RunConfig) -> IslandSpec:
        """These settings for ``config``'s run."""
        return dataclasses.replace(self, config=config)

    def _bound(self) -> RunConfig:
        if self.config is None:
            raise ValueError(f"island settings {self.tag()} are not bound to a run: use .of(config)")
        return self.config

    def path(self, where) -> Path:
        c = self._bound()
        return Path(where) / f"islands-{self.tag()}-{c.env.replace('/', '_')}-s{c.seed}-{c.key()}.csv"

    def load(self, where) -> pd.DataFrame | None:
        """The stored records, if they verify and are complete; else None."""
        return load_records(self._bound(), self.path(where), self.islands)

    def train(self) -> pd.DataFrame:
        """The run's records, trained on one core."""
        from threadpoolctl import threadpool_limits

        with threadpool_limits(1):
            return pd.DataFrame(train_islands(self._bound(), self.islands, self.migrate_every, self.migrants,
                                              self.topology, use_ray=False))

    def save(self, where, df: pd.DataFrame) -> Path:
        c, path = self._bound(), self.path(where)
        save_run(path, df, {"key": c.key(), **c.hashed_fields(), "islands": self.islands,
                            "migrate_every": self.migrate_every, "migrants": self.migrants, "topology": self.topology})
        return path


def train_islands(config: RunConfig, islands: int = 2, migrate_every: int = 10, migrants: int = 1,
                  topology: str = "ring", use_ray: bool = True, ray_address: str | None = None,
                  mode: str = "paced", speeds=None, schedule: dict | None = None) -> list[dict]:
    """Run the island model to ``config``'s budget (all islands together); one record per generation
    (``async``: per round). ``mode``: paced | sync | async (see the module docstring)."""
    return train_islands_log(config, islands, migrate_every, migrants, topology, use_ray, ray_address, mode,
                             speeds, schedule)[0]


def train_islands_log(config: RunConfig, islands: int = 2, migrate_every: int = 10, migrants: int = 1,
                      topology: str = "ring", use_ray: bool = True, ray_address: str | None = None,
                      mode: str = "paced", speeds=None, schedule: dict | None = None) -> tuple[list[dict], dict]:
    """``train_islands``'s records and a log: ``driver_messages`` (generation or round -> messages the
    driver sent or received: calls, replies, solved tests), ``arrivals`` [(island, generation, sender,
    its generation), ...] (what each island injected before which generation), ``generations`` (per
    island), ``wall_s`` and ``driver_cpu_s`` (this process's CPU seconds over the run)."""
    K = islands
    generations = _check(config, islands, migrate_every, migrants, topology, mode, speeds, schedule)
    evaluator, trainer, n = build(config, backend="lockstep")  # the driver's: solved tests, inject check
    if migrants and not can_inject(trainer):
        raise ValueError(f"method {config.method!r} has no inject mechanism for migrants; use a CMA-ES "
                         f"method (cmaes, sepcmaes) or migrants=0")

    owns_ray = False
    if use_ray:
        import ray

        if not ray.is_initialized():
            local = {"num_cpus": K, "include_dashboard": False} if ray_address in (None, "local") else {}
            init_ray(ray_address, log_to_driver=False, **local)
            owns_ray = True
        # two threads: an island receives migrants while it runs its generations
        actors = [ray.remote(num_cpus=1, max_concurrency=2)(Island).remote(config, k, K) for k in range(K)]
        ray.get([a.connect.remote(actors) for a in actors])  # every island up before the clock starts
    else:
        actors = [Island(config, k, K) for k in range(K)]
        for a in actors:
            a.connect(actors)
    extra = dict(method=f"islands-{config.method}", popsize=K * config.popsize, islands=K,
                 migrate_every=migrate_every, migrants=migrants, topology=topology)
    log = {"driver_messages": {}, "arrivals": [], "generations": [0] * K}
    cpu0, t0 = time.process_time(), time.perf_counter()
    try:
        run = {"paced": _paced, "sync": _sync, "async": _async}[mode]
        records = run(config, actors, use_ray, generations, migrate_every, migrants, topology, log,
                      _Recorder(config, n, evaluator, extra, _solutions(actors, use_ray, mode)),
                      speeds=speeds, schedule=schedule)
    finally:
        if use_ray:
            for a in actors:
                ray.kill(a)
            if owns_ray:
                ray.shutdown()
    log["wall_s"], log["driver_cpu_s"] = time.perf_counter() - t0, time.process_time() - cpu0
    return records, log


def _solutions(actors, use_ray, mode):
    """(island, generation) -> that island's solution: its current one when paced, else its snapshot."""
    if use_ray:
        import ray

        if mode == "paced":
            return lambda k, g: ray.get(actors[k].solution.remote())
        return lambda k, g: ray.get(actors[k].snapshot.remote(g))
    return (lambda k, g: actors[k].solution()) if mode == "paced" else (lambda k, g: actors[k].snapshot(g))


def _count(log: dict, gen: int, messages: int) -> None:
    log["driver_messages"][gen] = log["driver_messages"].get(gen, 0) + messages


def _paced(config, actors, use_ray, generations, migrate_every, migrants, topology, log, rec, **_):
    """Today's islands: the driver calls every island every generation and relays the migrants."""
    K = len(actors)
    if use_ray:
        import ray

        step = lambda args: ray.get([a.step.remote(*x) for a, x in zip(actors, args)])  # noqa: E731
    else:
        step = lambda args: [a.step(*x) for a, x in zip(actors, args)]  # noqa: E731
    wall, immigrants = 0.0, [None] * K
    for gen in range(generations):
        migrate = migrants > 0 and (gen + 1) % migrate_every == 0 and gen + 1 < generations
        t0 = time.perf_counter()
        results = step([(gen, immigrants[k], migrants if migrate else 0) for k in range(K)])
        wall += time.perf_counter() - t0
        immigrants = [None] * K
        if migrate:
            for src, dst in enumerate(destinations(topology, K, config.seed, gen)):
                immigrants[dst] = results[src]["emigrants"]
                log["arrivals"].append((dst, gen + 1, src, gen))
        tests = rec.tests
        stop = rec.add(gen, results, wall, gen == generations - 1)
        _count(log, gen, 2 * K + 2 * (rec.tests - tests))
        if stop:
            break
    log["generations"] = [len(rec.records)] * K
    return rec.records


def _sync(config, actors, use_ray, generations, migrate_every, migrants, topology, log, rec, **_):
    """Segments of ``migrate_every`` generations run by the islands alone, a barrier after each."""
    K = len(actors)
    wall = 0.0
    for start in range(0, generations, migrate_every):
        stop = min(start + migrate_every, generations)
        send = [stop - 1] if migrants > 0 and stop < generations else []
        expects = [{start: [(_sender(topology, K, config.seed, start - 1, k), start - 1)]}
                   if migrants > 0 and start > 0 else {} for k in range(K)]
        t0 = time.perf_counter()
        if use_ray:
            import ray

            out = ray.get([a.run.remote(start, stop, expects[k], send, topology, migrants)
                           for k, a in enumerate(actors)])
        else:
            out = [a.run(start, stop, expects[k], send, topology, migrants) for k, a in enumerate(actors)]
        wall += time.perf_counter() - t0
        _count(log, start, K)
        _count(log, stop - 1, K)
        for k in range(K):
            log["arrivals"] += [(k, h["generation"], *x) for h in out[k] for x in h["injected"]]
        for i, gen in enumerate(range(start, stop)):
            tests = rec.tests
            done = rec.add(gen, [o[i] for o in out], wall, gen == generations - 1)
            _count(log, gen, 2 * (rec.tests - tests))
            if done:
                log["generations"] = [gen + 1] * K
                return rec.records
    log["generations"] = [generations] * K
    return rec.records


def _sender(topology: str, K: int, seed: int, generation: int, k: int) -> int:
    """The island whose migrants island k receives after ``generation``."""
    return destinations(topology, K, seed, generation).index(k)


def _async(config, actors, use_ray, generations, migrate_every, migrants, topology, log, rec, speeds=None,
           schedule=None):
    """No barrier: segments granted per island while the budget lasts; records per round at the end."""
    K = len(actors)
    total = K * generations  # island generations in the budget, all islands together
    quota = list(schedule["generations"]) if schedule else None
    expects = [{} for _ in range(K)]
    for k, h, src, g in (schedule or {}).get("arrivals", []):
        expects[k].setdefault(h, []).append((src, g))
    results = [[] for _ in range(K)]
    t0 = time.perf_counter()
    if use_ray:
        _async_ray(actors, results, expects, quota, total, migrate_every, migrants, topology, log)
    else:
        _async_here(actors, results, expects, quota, total, migrate_every, migrants, topology, log,
                    speeds or [1.0] * K)
    wall = time.perf_counter() - t0
    log["generations"] = [len(r) for r in results]
    log["arrivals"] = sorted((k, h["generation"], *x) for k in range(K) for h in results[k] for x in h["injected"])
    rounds = max(log["generations"])
    for h in range(rounds):
        here = [results[k][h] for k in range(K) if len(results[k]) > h]
        tests = rec.tests
        done = rec.add(h, here, wall, h == rounds - 1, round_islands=len(here), mode="async")
        _count(log, h, 2 * (rec.tests - tests))
        if done:
            break
    return rec.records


def _segment(h: int, left: int, migrate_every: int, quota_k: int | None) -> int:
    """The end of the segment an island starting at generation ``h`` is granted (``left``: unclaimed
    island generations of the budget; ``quota_k``: a replayed island's own count)."""
    stop = (h // migrate_every + 1) * migrate_every
    return min(stop, quota_k) if quota_k is not None else min(stop, h + left)


def _async_ray(actors, results, expects, quota, total, migrate_every, migrants, topology, log):
    import ray

    pending, claimed = {}, 0

    def grant(k):
        nonlocal claimed
        h = len(results[k])
        stop = _segment(h, total - claimed, migrate_every, quota[k] if quota else None)
        if stop > h:
            claimed += stop - h
            sends = [stop - 1] if migrants > 0 and stop % migrate_every == 0 else []
            plan = {g: e for g, e in expects[k].items() if h <= g < stop} if quota else None
            pending[actors[k].run.remote(h, stop, plan, sends, topology, migrants)] = k
            _count(log, h, 1)

    for k in range(K := len(actors)):
        grant(k)
    while pending:
        [ref], _ = ray.wait(list(pending), num_returns=1)
        k = pending.pop(ref)
        out = ray.get(ref)
        _count(log, out[-1]["generation"], 1)
        results[k] += out
        grant(k)


def _async_here(actors, results, expects, quota, total, migrate_every, migrants, topology, log, speeds):
    """In this process: the islands' generations in the order of a virtual clock (``speeds``)."""
    K = len(actors)
    clock, stops, claimed = [0.0] * K, [0] * K, 0
    sent = set()  # (sender, generation) already sent: a replayed island waits for its expected ones

    def ready(k):
        h = len(results[k])
        return all(tuple(e) in sent for e in expects[k].get(h, []))

    while True:
        for k in range(K):  # grant a new segment to every island at the end of its last one
            h = len(results[k])
            if h == stops[k]:
                stop = _segment(h, total - claimed, migrate_every, quota[k] if quota else None)
                if stop > h:
                    claimed += stop - h
                    stops[k] = stop
                    _count(log, h, 1)
        live = [k for k in range(K) if len(results[k]) < stops[k] and ready(k)]
        if not live:
            if any(len(results[k]) < stops[k] for k in range(K)):
                raise ValueError("schedule is not a recorded run: an island waits for migrants never sent")
            return
        k = min(live, key=lambda j: (clock[j], j))
        h = len(results[k])
        send = migrants > 0 and (h + 1) % migrate_every == 0
        end = clock[k] + speeds[k]
        out = actors[k].generation(h, expects[k].get(h, []) if quota else None, clock[k], send, topology, migrants,
                                   clock=end)
        clock[k] = end
        if send:
            sent.add((k, h))
        results[k].append(out)
        if len(results[k]) == stops[k]:
            _count(log, h, 1)
