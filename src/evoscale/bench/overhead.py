"""``bench overhead``: optimiser time per generation against the time the evaluator needs for that
generation (speed targets live here, never in unit tests), and the two measurements it is made of --
``ask_tell_cost`` and ``lander_generation_seconds`` -- which chapter 1's cost sweep uses too."""

from __future__ import annotations

import time

import numpy as np

from ..config import RunConfig
from ..evaluation import TRAIN, episode_seeds, make_evaluator
from ..machine import machine_label
from ..trainers import make_trainer
from .evaluator import mixed_lander_population

OVERHEAD_NETS = {2788: (64, 32), 9668: (128, 64)}
"""LunarLander MLPs for the overhead benchmark: the design note's 2,788-parameter net and a ~10K one."""


def bench_overhead(sizes: list[int] | None = None, popsize: int = 64, generations: int = 5,
                   methods: list[str] | None = None, eval_rounds: int = 3, log=print) -> dict:
    """Optimizer time per generation (ask + tell, single thread) as a fraction of the time the lockstep
    evaluator needs for one LunarLander generation of the same network.

    The generation being evaluated is the benchmark's mixed population (half random crashers, half
    hovering controllers: a mid-training workload, ~35K env steps for 64 individuals). Full CMA-ES
    is timed with ``bench.cma`` (fresh process, steady-state generations plus its periodic
    eigendecomposition amortised over pycma's own update gap); the others directly.
    """

    from .cma import bench_cma
    from ..trainers import REGISTRY

    sizes = sizes or list(OVERHEAD_NETS)
    methods = methods or [m for m in REGISTRY]
    out = {"machine": machine_label(), "env": "LunarLander-v3", "popsize": popsize, "threads": 1, "sizes": {}}
    for n in sizes:
        if n not in OVERHEAD_NETS:
            raise ValueError(f"size {n} has no benchmark network; valid: {', '.join(map(str, OVERHEAD_NETS))}")
        hidden = OVERHEAD_NETS[n]
        eval_s, steps = lander_generation_seconds(hidden, popsize, eval_rounds)
        row = {"hidden": list(hidden), "eval_s_per_gen": eval_s, "env_steps_per_gen": steps, "methods": {}}
        cma = None
        for m in methods:
            log(f"n={n}: {m}")
            if m in ("cmaes", "torch_cmaes"):
                cma = cma or bench_cma(n, popsize, generations, eig=True)  # times both, once
                ms = cma["pycma" if m == "cmaes" else "torch_cmaes"]["amortised_ms_per_gen"]
            else:
                ms = _ask_tell_ms(m, n, popsize, generations)
            row["methods"][m] = {"opt_ms_per_gen": ms, "fraction_of_eval": ms / 1e3 / eval_s}
        out["sizes"][str(n)] = row
    return out


def lander_generation_seconds(hidden, popsize: int = 64, rounds: int = 3) -> tuple[float, float]:
    """(seconds, env steps) of one LunarLander generation of the mixed mid-training population with
    the lockstep evaluator, one thread, averaged over ``rounds`` (after one warm-up round that builds
    the environments)."""
    from threadpoolctl import threadpool_limits

    with threadpool_limits(1):
        ev = make_evaluator(RunConfig(env="LunarLander-v3", hidden=tuple(hidden)))
        population = mixed_lander_population(ev.policy, popsize)
        ev.evaluate(population, episode_seeds(2, TRAIN, 0, popsize, 1))
        t, steps = time.perf_counter(), 0
        for r in range(rounds):
            steps += ev.evaluate(population, episode_seeds(2, TRAIN, r + 1, popsize, 1)).env_steps
    return (time.perf_counter() - t) / rounds, steps / rounds


def _ask_tell_ms(method: str, n: int, popsize: int, generations: int) -> float:
    """Median ms of ask + tell over generations 2..G (``ask_tell_cost``); neuromod at its genome size."""
    from ..policies import param_count

    if method == "neuromod":  # its genome is the plastic net's, slightly larger than the MLP
        from ..policies import NeuromodPolicy

        hidden = OVERHEAD_NETS.get(n, (64, 32))
        n = NeuromodPolicy(8, hidden, 4, True).n_params if param_count(8, hidden, 4) == n else n
    return ask_tell_cost(method, n, popsize, generations)["ms_per_gen"]


def ask_tell_cost(method: str, n: int, popsize: int, generations: int) -> dict:
    """ms per generation of ask + tell (median of generations 2..G, one thread, synthetic returns) and
    the peak RSS growth of this process while the optimiser ran (meaningful in a fresh process)."""
    import resource
    import statistics

    import psutil
    import torch
    from threadpoolctl import threadpool_limits

    from ..trainers import REGISTRY

    torch.set_num_threads(1)
    REGISTRY[method]  # import the method's module (pycma, scipy, ...) before the memory baseline
    rss0 = psutil.Process().memory_info().rss
    rng, times = np.random.default_rng(0), []
    with threadpool_limits(1):
        trainer = make_trainer(method, n, popsize, 0.1)
        state = trainer.init(0)
        for _ in range(max(2, generations)):
            t = time.perf_counter()
            population, state = trainer.ask(state)
            state = trainer.tell(state, population, rng.normal(size=len(population)))
            times.append((time.perf_counter() - t) * 1e3)
            del population
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 - rss0
    return {"ms_per_gen": statistics.median(times[1:]), "peak_mib": peak / 2**20}
