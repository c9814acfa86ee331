"""Dimension 4 -- workers: measured Ray speedup, an Amdahl fit, and the island model vs one CMA-ES.

``WorkersParams`` mirrors the chapter's papermill parameters cell; ``None`` takes the profile's value.

Speedup (``measure_speedup``): CMA-ES (pycma) trains in this process for ``warmup_generations``
(so the population is a mid-training one: crashes mixed with long episodes), then the next
``generations`` generations are timed: ask + tell (the sequential part), the in-process lockstep
evaluation, and then the *same* populations with the *same* episode seeds on a ``RayEvaluator`` with
1, 2, ... workers. Every Ray result is checked bitwise against the in-process one (so every worker
count does exactly the same work), and Ray's start-up (``ray.init`` plus actors building their
environments) is timed apart from the steady-state generations. One core's raw ``gymnasium.make``
step rate is measured in the same run, for the "fraction of linear" figure.

Island model (``run_islands``): ``islands`` CMA-ES instances of ``popsize / islands`` each, migrating
their best every ``migrate_every`` generations (``evoscale.island``), against one CMA-ES with the
whole population at equal total evaluations. The single CMA-ES runs *are* the compute chapter's runs
(same profile, same configurations, same cache), read up to the island budget: a CMA-ES run's
records up to N evaluations do not depend on its budget.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd

from ..config import RunConfig
from ..island import IslandSpec
from ..stats import N_RESAMPLES
from . import cma_runs, results_root, run_many
from .ray_speedup import (MESSAGES_JSON, PROFILES, SPEEDUP_HYPER, WorkersParams, calibration,  # noqa: F401
                          measure_speedup, params, ray_messages, speedup, speedup_table)



def update_split(df: pd.DataFrame, env: str, method: str) -> dict:
    """The driver's ask + tell in this chapter's in-process generations of (``env``, ``method``), in
    seconds, split as ``bench.generation.split_update`` splits it: ``steady``, ``each``, ``spikes`` of
    ``generations``, ``amortised`` and ``decomposition``. Comparable with chapter 1's isolated
    ``cma_scaling.update_at``."""
    from ..bench.generation import split_update

    return split_update(df[(df["env"] == env) & (df["method"] == method) & (df["workers"] == 0)]["opt_s"])


# ---------------------------------------------------------------- island model
def island_records(config: RunConfig, spec: IslandSpec) -> pd.DataFrame:
    """Train one island run on one core (its islands one after another in this process)."""
    return spec.of(config).train()


def run_islands(p: WorkersParams, log=print) -> pd.DataFrame | None:
    """Island runs and their single-CMA-ES baseline (the compute chapter's runs, cut at the same
    budget), one frame with a ``model`` column; a profile whose compute runs are not trained on
    render (``book``) reads what the campaign stored and trains nothing. None: no runs yet."""
    where, runs = results_root() / p.profile / "workers", p.island_runs()
    if p.baseline().train_missing:
        islands = run_many(runs, where, processes=p.processes, log=log)
    else:
        stored = [df for r in runs if (df := r.load(where)) is not None]
        log(f"{len(stored)} of {len(runs)} island runs stored (the campaign trains the rest)")
        islands = pd.concat(stored, ignore_index=True) if stored else None
    single = cma_runs.run(p.baseline(), log=log)
    frames = []
    if single is not None:
        frames.append(single[single["evals"] <= p.island_budget].assign(model="one CMA-ES"))
    if islands is not None:
        frames.append(islands.assign(model=f"{p.islands} islands"))
    return pd.concat(frames, ignore_index=True) if frames else None


def island_finals(df: pd.DataFrame | None, budget: int) -> dict:
    """Per model: each seed's solved-test return at ``budget`` evaluations (runs short of it left out)."""
    out = {}
    if df is None:
        return out
    for model, g in df.groupby("model", sort=False):
        at = g[(g["evals"] == budget) & np.isfinite(g["test_return"])]
        out[model] = at.sort_values("seed")["test_return"].to_numpy()
    return out


# ---------------------------------------------------------------- Amdahl and the simulated cluster
def amdahl(T: pd.DataFrame, df: pd.DataFrame | None = None, n_resamples: int = N_RESAMPLES, seed: int = 0) -> pd.DataFrame:
    """Per (task, method), two different things. Measured: the serial share (ask + tell of an
    in-process generation) and the efficiency Amdahl's law allows at 8 workers from it alone
    (``bound_8``: no other overhead, an upper bound). Modelled: the serial fraction fitted to the Ray
    speedups (vs one Ray worker, so Ray's per-generation overhead counts as serial), Ray's one-worker
    factor, and the speedup and efficiency they predict at 8 workers against the in-process evaluator.
    Given the per-generation timings ``df``, 95 % bootstrap CIs over the timed generations
    (``workers_verdicts.amdahl_numbers``): they cover the timing noise, not the model."""
    from ..cluster_sim import amdahl_fit, amdahl_speedup
    from .workers_verdicts import EFFICIENCY, amdahl_bound, amdahl_numbers

    rows = []
    for (env, method), g in T[T.workers > 0].groupby(["env", "method"], sort=False):
        s = amdahl_fit(g["workers"].to_numpy(), g["ray_speedup"].to_numpy())
        factor = float(g.loc[g.workers == 1, "speedup"].iloc[0])  # in-process time / Ray-1 time
        s8 = factor * amdahl_speedup(s, 8)
        w07 = next((w for w in range(1, 10_001) if factor * amdahl_speedup(s, w) / w < EFFICIENCY), None)
        share = float(g["serial_fraction"].iloc[0])
        ci = {}
        if df is not None and (N := amdahl_numbers(df, env, method, n_resamples, seed)) is not None:
            ci = dict(bound_8_lo=N["bound"][1], bound_8_hi=N["bound"][2])
            if "modelled" in N:
                ci.update(efficiency_8_lo=N["modelled"][1], efficiency_8_hi=N["modelled"][2])
        top = g.loc[g["workers"].idxmax()]
        rows.append(dict(env=env, method=method, serial_measured=share, bound_8=float(amdahl_bound(share, 8)),
                         bound_8_lo=ci.get("bound_8_lo", np.nan), bound_8_hi=ci.get("bound_8_hi", np.nan),
                         workers_measured=int(top["workers"]), efficiency_measured=float(top["efficiency"]),
                         serial_fit=s, ray_factor=factor, speedup_8=s8, efficiency_8=s8 / 8,
                         efficiency_8_lo=ci.get("efficiency_8_lo", np.nan),
                         efficiency_8_hi=ci.get("efficiency_8_hi", np.nan), below_07_from=w07,
                         generations=int(g["generations"].iloc[0]), fitted_on=", ".join(str(w) for w in g["workers"])))
    return pd.DataFrame(rows)


def judged_model(measured: dict | None) -> str:
    """The island model open question 3 is judged on: the decentralised one without a barrier once the
    message cost is measured (``bench ray-messages``), else today's driver-paced one."""
    return "island-async" if measured else "island"


def hundred(p: WorkersParams, T: pd.DataFrame, sim: pd.DataFrame, measured: dict | None = None) -> dict | None:
    """The simulated islands' efficiency at the largest simulated count of at least 100 workers, one
    value per simulation seed (``sim_seeds`` of them: ``sim``'s own row for ``seed``, then seeds
    ``seed + 1``, ...; a row is a pure function of the calibration, the seed and W), for the model
    ``judged_model(measured)`` (named in the result's ``model``). None below 100."""
    from ..cluster_sim import sweep

    big = [w for w in p.sim_workers if w >= 100]
    if not big:
        return None
    W, model = max(big), judged_model(measured)
    first = sim[(sim["model"] == model) & (sim["workers"] == W)]["efficiency"].tolist()
    more = [sweep(calibration(p, T, measured=measured), workers=[W], model=model, sim_generations=p.sim_generations,
                  seed=p.seed + k, per_worker=max(2, p.popsize // p.islands), migrants=p.migrants,
                  migrate_every=p.migrate_every)["efficiency"].iloc[0] for k in range(1, p.sim_seeds)]
    return {"workers": W, "efficiency": np.asarray(first + more, dtype=float), "model": model}


def island_check(p: WorkersParams, T: pd.DataFrame, measured: dict | None) -> pd.DataFrame | None:
    """The simulation against ``bench ray-messages``' islands on 2 workers: per mode, measured and
    modelled evaluations per second and the driver's busy share (measured: its CPU seconds over the
    wall-clock; modelled: its message time over the simulated time, equal speeds). None without it."""
    from ..cluster_sim import sweep

    if not measured:
        return None
    m = measured["islands"]
    cal = dataclasses.replace(calibration(p, T, measured=measured), speed_cv=0.0)
    gens = max(1, m["budget_evals"] // (m["islands"] * m["popsize"]))
    rows = []
    for mode, model in (("paced", "island"), ("sync", "island-sync"), ("async", "island-async")):
        if mode not in m["modes"]:
            continue
        sim = sweep(cal, [m["islands"]], model, sim_generations=gens, popsize=m["popsize"], migrants=m["migrants"],
                    migrate_every=m["migrate_every"], barrier=mode == "paced").iloc[0]
        got = m["modes"][mode]
        rows.append({"mode": mode, "throughput_measured": got["throughput_eps"],
                     "throughput_modelled": sim["throughput_eps"], "driver_busy_measured": got["driver_busy"],
                     "driver_busy_modelled": sim["driver_busy"], "driver_messages": got["driver_messages"]})
    return pd.DataFrame(rows)


def simulate(p: WorkersParams, T: pd.DataFrame, measured: dict | None = None) -> pd.DataFrame:
    """Central server vs islands for ``sim_workers``, calibrated on the first task of ``T``: one core's
    seconds per individual (in-process evaluation), the driver's ask + tell (scaled linearly with the
    population, as pycma's rank-mu update and its eigendecomposition frequency are), and Ray's
    per-message cost (Ray-1 minus in-process evaluation time, over 2 messages). Both models use
    ``popsize / islands`` individuals per worker. A third curve, "central, O(n) update", is the central
    server with a free update (what OpenAI-ES or sep-CMA-ES cost at this n is < 1 % of a generation,
    chapter 1), so only messages and stragglers limit it; and "…, seeds only" the same with Salimans et
    al.'s shared-noise trick (workers regenerate the perturbations from a seed: 8 bytes out per
    individual instead of n parameters). With ``bench ray-messages``' measurement (``measured``) the
    messages cost what it measured, per call and per byte, and the decentralised islands join
    ("island-sync", "island-async"); "island" stays today's driver-paced islands."""
    from ..cluster_sim import sweep

    cal = calibration(p, T, measured=measured)
    per_worker = max(2, p.popsize // p.islands)
    kw = dict(workers=p.sim_workers, sim_generations=p.sim_generations, seed=p.seed, per_worker=per_worker)
    free = dataclasses.replace(cal, tell_s=0.0)  # an O(n) update (OpenAI-ES, sep-CMA-ES): ~free at this n
    df = pd.concat([sweep(cal, model="central", **kw),
                    sweep(free, model="central", **kw).assign(model="central, O(n) update"),
                    sweep(free, model="central", seed_only=True, **kw).assign(model="central, O(n) update, seeds only"),
                    *[sweep(cal, model=m, migrants=p.migrants, migrate_every=p.migrate_every, **kw)
                      for m in (("island", "island-sync", "island-async") if measured else ("island",))]],
                   ignore_index=True)
    df["calibrated_on"] = T.env.iloc[0]
    return df


def central_bottleneck(sim: pd.DataFrame, model: str = "central") -> int | None:
    """The smallest simulated worker count where ``model``'s driver is busy > 90 % of the time or its
    efficiency is < 0.5 (None if neither happens in range)."""
    from ..cluster_sim import bottleneck_workers

    b = bottleneck_workers(sim[sim.model == model])
    hits = [w for w in b.values() if w is not None]
    return min(hits) if hits else None
