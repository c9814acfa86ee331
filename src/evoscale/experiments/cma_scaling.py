"""Dimension 1 -- parameter count, part A: what one generation of each optimiser costs as n grows.

For each n: the optimiser's ask + tell time per generation (one thread, population 64, synthetic
returns) and the peak memory of a process that holds it, measured in a fresh process each; full
CMA-ES (pycma, and the torch re-implementation) with its periodic eigendecomposition amortised over
its own update gap (``bench.cma``). Beside them, the time the lockstep evaluator needs for one
LunarLander generation of a network of that size (8 -> h -> h/2 -> 4, mixed mid-training
population), so the optimiser's cost can be read against the evaluation it serves.

Results are cached as one CSV per configuration (hash of ``CostParams``) under
``results/<profile>/parameters/``; ``FRESH=1`` recomputes. From them: power-law fits, the crossover
with the evaluation, predicted full CMA-ES runs and the design note's table measured
(``claimed_table``). Part B of the chapter (learning vs width) runs chapter 5's grid machinery
(``experiments.methods``); its summary sentences are built here (``width_*``).
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..config import content_key
from ..runs import table_path
from ..store import load_run
from . import cached_table, check_parameters, results_root
from .cma_cost import bytes_per_entry, eval_ms, fitted_ms, peak_gib, power_law, update_at  # noqa: F401 (chapters 1, 4, 9)

PROFILES = {
    "smoke": dict(sizes_full=[300, 600], sizes_linear=[300, 3_000], generations=2, eval_rounds=1),
    "quick": dict(sizes_full=[1_000, 2_000, 4_000, 8_000], sizes_linear=[1_000, 10_000, 100_000], generations=3,
                  eval_rounds=1),
    "book": dict(sizes_full=[1_000, 2_000, 4_000, 8_000],
                 sizes_linear=[1_000, 3_000, 10_000, 30_000, 100_000, 300_000], generations=5, eval_rounds=2),
    "full": dict(sizes_full=[1_000, 2_000, 4_000, 8_000, 16_000, 32_000],
                 sizes_linear=[1_000, 3_000, 10_000, 30_000, 100_000, 300_000, 1_000_000], generations=5,
                 eval_rounds=3),
}
CLAIMED_ROWS = ((2_788, "works"), (10_000, "borderline"), (50_000, "too large"), (100_000, "impossible"))
"""The design note's table: parameter counts and its verdict on full CMA-ES at each."""
GPU_GIB = 80
"""The other memory reference beside this machine's RAM: one 80 GB GPU."""
FULL_METHODS = ("cmaes", "torch_cmaes")
LINEAR_METHODS = ("sepcmaes", "openai_es")


@dataclass(frozen=True)
class CostParams:
    profile: str = "book"
    """smoke | quick | book | full -- sets the default of every parameter left at None."""
    sizes_full: list | None = None
    """Parameter counts for full-covariance CMA-ES (O(n^2) memory: keep them small on a laptop)."""
    sizes_linear: list | None = None
    """Parameter counts for the O(n) methods, sep-CMA-ES and OpenAI-ES, and for the evaluation time."""
    popsize: int = 64
    """Individuals per generation."""
    generations: int | None = None
    """Timed generations per measurement (the median of generations 2..G is reported)."""
    eval_rounds: int | None = None
    """LunarLander generations timed per network size."""
    device: str = "cpu"
    """cpu | cuda: where the torch CMA-ES runs (``cuda``: the GPU row)."""

    def hashed_fields(self) -> dict:
        return {k: v for k, v in dataclasses.asdict(self).items() if k != "profile"}

    def key(self) -> str:
        return content_key(self.hashed_fields())


def params(namespace: dict) -> CostParams:
    return check_parameters(CostParams, namespace, PROFILES)


def hidden_for(n: int) -> tuple[int, int]:
    """The 8 -> h -> h/2 -> 4 LunarLander MLP whose parameter count is closest to n."""
    from ..policies import param_count

    h = min(range(2, 4000, 2), key=lambda h: abs(param_count(8, (h, h // 2), 4) - n))
    return (h, h // 2)


def _linear_measure(method: str, n: int, popsize: int, generations: int) -> dict:
    """``bench.overhead.ask_tell_cost`` (run in a fresh process, so the peak memory is the optimiser's)."""
    from ..bench.overhead import ask_tell_cost

    cost = ask_tell_cost(method, n, popsize, generations)
    return {"ms_per_gen": cost["ms_per_gen"], "amortised_ms_per_gen": cost["ms_per_gen"],
            "peak_mib": cost["peak_mib"]}


def _eval_seconds(n: int, popsize: int, rounds: int) -> tuple[float, tuple[int, int], int]:
    from ..bench.overhead import lander_generation_seconds
    from ..policies import param_count

    hidden = hidden_for(n)
    seconds, _ = lander_generation_seconds(hidden, popsize, rounds)
    return seconds, hidden, param_count(8, hidden, 4)


def measure(p: CostParams, log=print) -> pd.DataFrame:
    """One row per (method, n): ms/generation (steady and amortised), peak MiB, and per n the
    evaluation time of one LunarLander generation."""
    import os
    from concurrent.futures import ProcessPoolExecutor
    from multiprocessing import get_context

    from ..bench.cma import bench_cma
    from ..machine import machine_label
    from ..runs import exit_with_parent

    rows = []
    for n in p.sizes_full:
        log(f"full CMA-ES, n = {n:,}")
        r = bench_cma(n, p.popsize, p.generations, p.device, eig=True)
        for method, impl in (("cmaes", "pycma"), ("torch_cmaes", "torch_cmaes")):
            m = r[impl]
            rows.append({"method": method, "n": n, "ms_per_gen": m["ms_per_gen"],
                         "amortised_ms_per_gen": m["amortised_ms_per_gen"],
                         "peak_mib": m.get("peak_mib_with_eig", m["peak_mib"])})
    for n in p.sizes_linear:
        for method in LINEAR_METHODS:
            log(f"{method}, n = {n:,}")
            with ProcessPoolExecutor(1, mp_context=get_context("spawn"), initializer=exit_with_parent,
                                 initargs=(os.getpid(),)) as pool:
                m = pool.submit(_linear_measure, method, n, p.popsize, p.generations).result()
            rows.append({"method": method, "n": n, **m})
    for n in sorted(set(p.sizes_full) | set(p.sizes_linear)):
        log(f"LunarLander evaluation, n ~ {n:,}")
        seconds, hidden, n_net = _eval_seconds(n, p.popsize, p.eval_rounds)
        rows.append({"method": "evaluation", "n": n, "ms_per_gen": 1e3 * seconds,
                     "amortised_ms_per_gen": 1e3 * seconds, "peak_mib": math.nan,
                     "hidden": f"{hidden[0]},{hidden[1]}", "n_net": n_net})
    df = pd.DataFrame(rows)
    df["machine"] = machine_label(p.device)
    return df


def run(p: CostParams, log=print) -> pd.DataFrame:
    return cached_table(results_root() / p.profile / "parameters" / "cost", p.hashed_fields(),
                        lambda: measure(p, log), log, meta={"key": p.key(), **dataclasses.asdict(p)})


def crossover(df: pd.DataFrame, method: str = "cmaes") -> float:
    """Smallest n at which the method's amortised ms/generation (power-law fit) exceeds one LunarLander
    generation's evaluation time (``eval_ms``); NaN if not below 10^7 parameters."""
    a, c = power_law(df, method)
    grid = np.geomspace(10, 1e7, 4000)
    above = np.flatnonzero(c * grid**a > eval_ms(df, grid))
    return float(grid[above[0]]) if above.size else math.nan


def stored(profile: str) -> pd.DataFrame | None:
    """The profile's stored cost table if it is committed (never measures; None otherwise)."""
    p = params({"profile": profile})
    return load_run(table_path(results_root() / profile / "parameters" / "cost", p.hashed_fields()),
                    expect=p.hashed_fields())


def fits_where(gib: float, ram_gib: float) -> str:
    """Whether ``gib`` fits a machine with ``ram_gib`` of RAM, or one 80 GB GPU (``GPU_GIB``)."""
    return ("fits this machine" if gib < ram_gib else "fits one 80 GB GPU but not this machine" if gib < GPU_GIB
            else "fits neither this machine nor one 80 GB GPU")


def claimed_table(df: pd.DataFrame) -> pd.DataFrame:
    """The design note's table (``CLAIMED_ROWS``), measured: per parameter count, full CMA-ES (pycma
    and torch fp32) in s/generation, as a multiple of one LunarLander generation's evaluation and in
    peak GiB, and OpenAI-ES as a multiple of the evaluation. Beyond a method's largest measured n the
    numbers are power-law (time) and bytes-per-entry (memory) extrapolations, marked so."""
    measured_max = df.groupby("method")["n"].max()

    def tag(m, n):
        return "" if n <= measured_max[m] else " (extrapolated)"

    rows = []
    for n, claimed_verdict in CLAIMED_ROWS:
        ev = float(eval_ms(df, n))
        cm, tm = fitted_ms(df, "cmaes", n), fitted_ms(df, "torch_cmaes", n)
        mem_cm, mem_tm = peak_gib(df, "cmaes", n), peak_gib(df, "torch_cmaes", n)
        rows.append({
            "n": f"{n:,}", "covariance entries": f"{n * n / 1e6:,.1f}M", "design note says": claimed_verdict,
            "pycma s/gen": f"{cm / 1e3:,.2f}{tag('cmaes', n)}",
            "pycma ÷ evaluation": f"{cm / ev:,.1f}×",
            "pycma GiB": f"{mem_cm:,.1f}{tag('cmaes', n)}",
            "torch s/gen": f"{tm / 1e3:,.2f}{tag('torch_cmaes', n)}",
            "torch ÷ evaluation": f"{tm / ev:,.1f}×",
            "torch GiB": f"{mem_tm:,.1f}{tag('torch_cmaes', n)}",
            "OpenAI-ES ÷ evaluation": f"{fitted_ms(df, 'openai_es', n) / ev:.3f}×",
        })
    return pd.DataFrame(rows).set_index("n")
