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

Seeds: island k's generation g evaluates episodes ``episode_seeds(seed, TRAIN, g * K + k, ...)``, so
islands never share episodes and every record is a pure function of the configuration. The budget
``budget_evals`` counts all islands' episodes together, for direct comparisons with one strategy.

References: D. Whitley, S. Rana, R. B. Heckendorn (1999), "The Island Model Genetic Algorithm: On
Separability, Population Size and Convergence", J. Computing and Information Technology 7(1);
Z. Skolicki, K. De Jong (2005), "The influence of migration sizes and intervals on island models",
GECCO 2005.
"""

from __future__ import annotations

import math
import time

import numpy as np

from .config import RunConfig
from .evaluation import TRAIN, episode_seeds
from .machine import machine_label
from .trainers import GRADIENT_METHODS
from .ray_connect import init_ray
from .train import build, check_finite, generation_record, solved_test
from .trainers.cmaes import CMAES

TOPOLOGIES = ("ring", "random")


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
        seeds = episode_seeds(c.seed, TRAIN, generation * self.K + self.k, len(population), c.episodes_per_eval)
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


def train_islands(config: RunConfig, islands: int = 2, migrate_every: int = 10, migrants: int = 1,
                  topology: str = "ring", use_ray: bool = True, ray_address: str | None = None) -> list[dict]:
    """Run the island model to ``config``'s budget (all islands together); one record per generation."""
    K = islands
    for name, value, low in (("islands", islands, 2), ("migrate_every", migrate_every, 1), ("migrants", migrants, 0)):
        if not isinstance(value, int) or isinstance(value, bool) or value < low:
            raise ValueError(f"{name} must be an integer >= {low}, got {value!r}")
    if migrants >= config.popsize:
        raise ValueError(f"migrants={migrants} must be smaller than popsize={config.popsize}")
    if topology not in TOPOLOGIES:
        raise ValueError(f"unknown topology {topology!r}; valid: {', '.join(TOPOLOGIES)}")
    if config.method in GRADIENT_METHODS:
        raise ValueError(f"the island model needs a population-based method, not {config.method!r}")
    per_gen = K * config.popsize * config.episodes_per_eval
    generations = config.budget_evals // per_gen
    if generations == 0:
        raise ValueError(f"budget_evals={config.budget_evals} is smaller than one generation of {K} islands "
                         f"(islands {K} x popsize {config.popsize} x episodes_per_eval "
                         f"{config.episodes_per_eval} = {per_gen})")
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
        actors = [ray.remote(num_cpus=1)(Island).remote(config, k, K) for k in range(K)]
        step = lambda args: ray.get([a.step.remote(*x) for a, x in zip(actors, args)])
        solution_of = lambda k: ray.get(actors[k].solution.remote())
    else:
        actors = [Island(config, k, K) for k in range(K)]
        step = lambda args: [a.step(*x) for a, x in zip(actors, args)]
        solution_of = lambda k: actors[k].solution()

    machine = machine_label(config.device)
    records, evals, env_steps, wall, eval_wall = [], 0, 0, 0.0, 0.0
    next_eval = config.eval_every or math.inf
    immigrants: list = [None] * K
    try:
        for gen in range(generations):
            migrate = migrants > 0 and (gen + 1) % migrate_every == 0 and gen + 1 < generations
            t0 = time.perf_counter()
            results = step([(gen, immigrants[k], migrants if migrate else 0) for k in range(K)])
            wall += time.perf_counter() - t0
            immigrants = [None] * K
            if migrate:
                for src, dst in enumerate(destinations(topology, K, config.seed, gen)):
                    immigrants[dst] = results[src]["emigrants"]
            best = int(np.argmax([r["fitness"].mean() for r in results]))  # the best island (its mean)
            fitness = np.concatenate([r["fitness"] for r in results])
            evals += sum(r["episodes"] for r in results)
            env_steps += sum(r["env_steps"] for r in results)
            rec = generation_record(
                config, n, gen, fitness, evals, env_steps, wall, max(r["opt_s"] for r in results),
                max(r["pop_eval_s"] for r in results), eval_wall, machine,
                method=f"islands-{config.method}", popsize=K * config.popsize, islands=K,
                migrate_every=migrate_every, migrants=migrants, topology=topology, best_island=best)
            last = gen == generations - 1 or (config.budget_steps is not None and env_steps >= config.budget_steps)
            if evals >= next_eval or last:
                t1 = time.perf_counter()
                solution = np.asarray(solution_of(best))
                rec["eval_return"], rec["eval_std"] = solved_test(evaluator, solution, config, gen)
                eval_wall += time.perf_counter() - t1
                rec["eval_wall_s"] = eval_wall
                while next_eval <= evals:
                    next_eval += config.eval_every
            records.append(rec)
            if last or (config.target_return is not None and rec["eval_return"] >= config.target_return):
                break
    finally:
        if use_ray:
            for a in actors:
                ray.kill(a)
            if owns_ray:
                ray.shutdown()
    return records
