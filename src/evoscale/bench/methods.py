"""Benchmarks of training (speed targets live here, never in unit tests): ``bench_methods`` (episodes to
the solved threshold per method) and ``bench_overhead`` (optimiser time per generation against the
evaluator's). The evaluator's own benchmark is ``bench.evaluator``.
"""

from __future__ import annotations

import time

import numpy as np

from ..config import RunConfig
from ..envs import get_spec
from ..evaluation import TRAIN, episode_seeds, make_evaluator
from ..machine import machine_label
from ..trainers import make_trainer
from .evaluator import mixed_lander_population


# Per-method settings for the CartPole benchmark (popsize 16 for all; sigma0/lr from short sanity
# sweeps on CartPole with hidden (8,): OpenAI-ES with the paper's lr=0.01 needs ~3K evaluations at
# sigma 0.1 and does not solve at sigma 0.5; lr=0.05 solves in hundreds).
METHOD_SETTINGS = {
    "cmaes": dict(sigma0=0.5),
    "sepcmaes": dict(sigma0=0.5),
    "openai_es": dict(sigma0=0.1, hyper={"lr": 0.05}),
    "ga": dict(sigma0=0.5),
    "neuromod": dict(sigma0=0.1, hyper={"lr": 0.05}),
    "torch_cmaes": dict(sigma0=0.5),
    "ppo": dict(),  # rl-baselines3-zoo hyper-parameters and budget (n_timesteps); solved test every 4,096 steps
}


def bench_methods(env_id: str = "CartPole-v1", seeds: int = 5, budget_evals: int = 10_000, popsize: int = 16,
                  methods: list[str] | None = None, processes: int | None = None, log=print) -> dict:
    """Episodes (training evaluations) until the solved test (100 fresh episodes) first reaches the
    task's threshold, per method over ``seeds`` seeds: IQM with 95 % bootstrap CI, NaN = not solved."""
    import tempfile

    from ..runs import run_many
    from ..stats import first_crossing, iqm_ci

    spec = get_spec(env_id)
    if spec.solved is None:
        raise ValueError(f"{env_id} has no solved threshold")
    methods = methods or list(METHOD_SETTINGS)
    def config(m, s):
        if m == "ppo":
            from ..baselines.zoo import zoo_hyperparams

            steps = int(zoo_hyperparams(env_id, None)["n_timesteps"])
            return RunConfig(method="ppo", env=env_id, budget_steps=steps, eval_every=4096, eval_episodes=100,
                             seed=s)
        return RunConfig(method=m, env=env_id, hidden=spec.default_hidden, popsize=popsize,
                         budget_evals=budget_evals, eval_every=2 * popsize, eval_episodes=100,
                         target_return=spec.solved, seed=s, **METHOD_SETTINGS.get(m, {}))

    configs = [config(m, s) for m in methods for s in range(seeds)]
    with tempfile.TemporaryDirectory() as where:
        df = run_many(configs, where, processes=processes, fresh=True, log=log)
    out = {"machine": machine_label(), "env": env_id, "hidden": list(spec.default_hidden), "popsize": popsize,
           "budget_evals": budget_evals,
           "seeds": seeds, "threshold": spec.solved, "methods": {}}
    for m, g in df.groupby("method", sort=False):
        last = g.sort_values("generation").groupby("seed").tail(1)
        crossing = first_crossing(g, spec.solved)
        steps = first_crossing(g, spec.solved, x="env_steps")
        to_solve = [float(crossing.get(s, np.nan)) for s in sorted(g["seed"].unique())]
        point, lo, hi = iqm_ci(to_solve)
        out["methods"][m] = {
            "settings": {k: (dict(v) if k == "hyper" else v) for k, v in METHOD_SETTINGS.get(m, {}).items()},
            "n_params": int(g["n_params"].iloc[0]), "solved": int(np.isfinite(to_solve).sum()),
            "evals_to_solve_iqm": point, "ci_low": lo, "ci_high": hi, "per_seed": to_solve,
            "env_steps_to_solve_iqm": iqm_ci(steps.to_numpy())[0],
            "wall_s_per_seed": float(last["wall_s"].mean()),
        }
    return out


OVERHEAD_NETS = {2788: (64, 32), 9668: (128, 64)}
"""LunarLander MLPs for the overhead benchmark: the seed's 2,788-parameter net and a ~10K one."""


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
