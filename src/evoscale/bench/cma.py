"""Benchmark: full-covariance CMA-ES per-generation cost, ``torch_cmaes`` vs pycma (``cmaes``).

``bench_cma(n, popsize, generations, device)`` times ``ask`` + ``tell`` per generation (the fitness
evaluation in between is excluded) and measures peak memory, for

* ``torch_cmaes``: :class:`evoscale.trainers.torch_cmaes.TorchCMAES`, C and B in float32;
* ``pycma``: :class:`evoscale.trainers.cmaes.CMAES`, our pycma wrapper (pycma's full CMA-ES,
  float64, numpy), driven exactly as the training loop drives it.

Both run single-threaded (``torch.set_num_threads(1)``; numpy's BLAS via ``threadpoolctl``), each in
a fresh spawned process so that its peak RSS is its own: peak memory is the process's peak resident
set size (``ru_maxrss``) minus its RSS just before the optimiser was constructed (on a GPU,
``torch.cuda.max_memory_allocated`` instead, pycma staying on the CPU).

Neither implementation eigendecomposes C during the first generations at large n (pycma waits
``0.1 / ((c1 + cmu) n)`` generations, purecma's rule that TorchCMAES follows waits
``0.5 / ((c1 + cmu) n)``, tens to hundreds of generations at n in the thousands), so the timed
generations are the steady-state O(lam n^2) ones. With ``eig=True`` one eigendecomposition of each
is then forced and timed, and ``amortised_ms_per_gen = ms_per_gen + eig_ms / eig_every_generations``
(the trainers' ``serial_period``: the whole generations between two decompositions)
is reported as well, together with the peak memory including that step.

``ms_per_gen`` is the median wall time over generations 2..G (the first one pays one-off
allocations; all per-generation times are listed); ``cpu_ms_per_gen`` is the same for the process's
CPU time, which on a shared machine is the less disturbed number (both are single-threaded). The
1-minute load average before and after is recorded. Speed targets live here, never in unit tests.
"""

from __future__ import annotations

import os
import statistics
import time
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context

import numpy as np

from ..runs import exit_with_parent

MIB = 2**20


def _fitness(X: np.ndarray) -> np.ndarray:
    """A synthetic ill-conditioned quadratic, as returns (higher is better); not timed."""
    n = X.shape[1]
    return -np.sum(10 ** (3 * np.arange(n) / max(n - 1, 1)) * (X - 1) ** 2, axis=1)


def _measure(impl: str, n: int, popsize: int, generations: int, device: str, eig: bool,
             seed: int, state_path: str | None = None, evaluate: str | None = None) -> dict:
    """One implementation's timing (the module doc), in the calling process. ``bench ask-tell``'s
    variants of it (pycma only): ``state_path``, a pickled pycma state to start from instead of a fresh
    one (no forced decomposition then: pycma's own lazy ones fall in the timed generations, listed in
    ``ms_per_gen_all``); ``evaluate``, a task whose registry network has ``n`` parameters: each
    population is evaluated on it between ask and tell (not timed, one episode each, the lockstep
    evaluator) and tell gets the mean returns instead of the synthetic quadratic's."""
    import pickle
    import resource

    import psutil
    from threadpoolctl import threadpool_limits

    threadpool_limits(1)
    gpu = impl == "torch_cmaes" and device != "cpu"
    if impl == "torch_cmaes":
        import torch

        from ..trainers.torch_cmaes import TorchCMAES

        torch.set_num_threads(1)
        sync = torch.cuda.synchronize if gpu else (lambda: None)
        if gpu:
            torch.cuda.reset_peak_memory_stats()
            gpu0 = torch.cuda.memory_allocated()
    else:
        from ..trainers.cmaes import CMAES

        sync = lambda: None  # noqa: E731

    def peak_bytes() -> int:
        if gpu:
            return torch.cuda.max_memory_allocated() - gpu0
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 - rss0

    fitness, seeds_of = _fitness, None
    if evaluate is not None:
        from ..config import RunConfig
        from ..envs import get_spec
        from ..evaluation import TRAIN, episode_seeds
        from ..train import build

        if impl != "pycma":
            raise ValueError(f"evaluate is for pycma only, got impl {impl!r}")
        evaluator, _, n_net = build(RunConfig(method="cmaes", env=evaluate, hidden=get_spec(evaluate).default_hidden,
                                              popsize=popsize, seed=seed), backend="lockstep")
        if n_net != n:
            raise ValueError(f"evaluate={evaluate!r}: its network has {n_net:,} parameters, not n = {n:,}")
        seeds_of = lambda g, k: episode_seeds(seed, TRAIN, g, k, 1)  # noqa: E731
        fitness = None
    rss0 = psutil.Process().memory_info().rss
    t0 = time.perf_counter()
    if impl == "torch_cmaes":
        trainer = TorchCMAES(n, popsize, 0.5, dtype="float32", device=device)
        state = trainer.init(seed)
        eig_every = trainer.serial_period()
    else:
        trainer = CMAES(n, popsize, 0.5)
        if state_path is None:
            state = trainer.init(seed)
        else:
            with open(state_path, "rb") as f:
                state = pickle.load(f)
            if state.es.N != n:
                raise ValueError(f"the state in {state_path} has {state.es.N:,} parameters, not n = {n:,}")
        eig_every = trainer.serial_period(state)
    sync()
    init_s = time.perf_counter() - t0

    per_gen, cpu_per_gen = [], []
    for g in range(generations):
        sync()
        t0, c0 = time.perf_counter(), time.process_time()
        population, state = trainer.ask(state)
        sync()
        t_ask, c_ask = time.perf_counter() - t0, time.process_time() - c0
        if fitness is None:
            returns = evaluator.evaluate(population, seeds_of(g, len(population))).returns.mean(axis=1)
        else:
            returns = fitness(population)
        t0, c0 = time.perf_counter(), time.process_time()
        state = trainer.tell(state, population, returns)
        sync()
        per_gen.append((t_ask + time.perf_counter() - t0) * 1e3)
        cpu_per_gen.append((c_ask + time.process_time() - c0) * 1e3)
        del population
    steady = per_gen[1:] if len(per_gen) > 1 else per_gen
    cpu_steady = cpu_per_gen[1:] if len(cpu_per_gen) > 1 else cpu_per_gen
    out = {
        "dtype": "float32" if impl == "torch_cmaes" else "float64",
        "init_s": round(init_s, 4),
        "ms_per_gen": round(statistics.median(steady), 3),
        "ms_per_gen_all": [round(t, 3) for t in per_gen],
        "cpu_ms_per_gen": round(statistics.median(cpu_steady), 3),
        "peak_mib": round(peak_bytes() / MIB, 1),
        "eig_every_generations": round(eig_every, 2),
    }
    if eig and state_path is None:
        sync()
        t0, c0 = time.perf_counter(), time.process_time()
        if impl == "torch_cmaes":
            trainer.eigendecompose(state)
        else:
            state.es.sm.update_now(-1)  # forces pycma's decomposition (pycma's own update path)
            state.es._updateBDfromSM(state.es.sm)
        sync()
        out["eig_ms"] = round((time.perf_counter() - t0) * 1e3, 1)
        out["eig_cpu_ms"] = round((time.process_time() - c0) * 1e3, 1)
        out["amortised_ms_per_gen"] = round(out["ms_per_gen"] + out["eig_ms"] / max(eig_every, 1), 3)
        out["amortised_cpu_ms_per_gen"] = round(
            out["cpu_ms_per_gen"] + out["eig_cpu_ms"] / max(eig_every, 1), 3)
        out["peak_mib_with_eig"] = round(peak_bytes() / MIB, 1)
    return out


def in_fresh_process(impl: str, n: int, popsize: int, generations: int, device: str = "cpu", eig: bool = True,
                     seed: int = 0, state_path: str | None = None, evaluate: str | None = None) -> dict:
    """``_measure`` in a freshly spawned process (so its peak RSS is its own): chapter 1's measurement of
    one implementation at one n (``bench_cma``), and ``bench ask-tell``'s variants of it."""
    with ProcessPoolExecutor(1, mp_context=get_context("spawn"), initializer=exit_with_parent,
                             initargs=(os.getpid(),)) as pool:
        return pool.submit(_measure, impl, n, popsize, generations, device, eig, seed, state_path,
                           evaluate).result()


def bench_cma(n: int, popsize: int = 64, generations: int = 10, device: str = "cpu",
              eig: bool = True, seed: int = 0) -> dict:
    """ms/generation (ask + tell) and peak memory of TorchCMAES vs pycma at dimension ``n``.

    Returns a JSON-able dict: one entry per implementation and ``pycma_over_torch``, the ratios
    pycma / torch_cmaes (> 1: torch_cmaes is faster / leaner). See the module doc.
    """
    if n < 2 or popsize < 2 or generations < 1:
        raise ValueError(f"need n >= 2, popsize >= 2, generations >= 1; got {n}, {popsize}, {generations}")
    result = {"n": n, "popsize": popsize, "generations": generations, "device": device,
              "threads": 1, "mib": MIB, "loadavg_before": round(os.getloadavg()[0], 2)}
    for impl in ("torch_cmaes", "pycma"):
        result[impl] = in_fresh_process(impl, n, popsize, generations, device, eig, seed)
    t, p = result["torch_cmaes"], result["pycma"]
    keys = ["ms_per_gen", "cpu_ms_per_gen", "peak_mib"]
    keys += ["amortised_ms_per_gen", "amortised_cpu_ms_per_gen", "eig_ms", "eig_cpu_ms",
             "peak_mib_with_eig"] if eig else []
    result["pycma_over_torch"] = {k: round(p[k] / t[k], 3) if t[k] > 0 else None for k in keys}
    result["loadavg_after"] = round(os.getloadavg()[0], 2)
    result["torch_state_mib_theory"] = round(2 * n * n * 4 / MIB, 1)  # C and B, float32
    return result


if __name__ == "__main__":  # python -m evoscale.bench.cma N [POPSIZE GENERATIONS DEVICE]
    import json
    import sys

    args = sys.argv[1:]
    print(json.dumps(bench_cma(int(args[0]), *(int(a) for a in args[1:3]), *args[3:4]), indent=1))
