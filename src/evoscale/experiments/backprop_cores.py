"""Chapter 6's crossover in cores: a run's one-core time (``one_core_wall``) split into a parallel part
that shrinks with W cores by a measured or modelled speedup (``speedup``; the ES's from chapter 4's
Ray timings, ``es_speedup_draws``; PPO's from its process speedup or ``ppo_model``) and a sequential
part; the time to the threshold per seed and W (``time_to_threshold``), the Kaplan-Meier medians'
crossover with its bootstrap band (``crossover``), per task (``cores``, ``crossover_for``) and in
words (``cross_text``, ``ppo_plan_text``). ``backprop`` re-exports it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..labels import METHOD_LABELS
from ..stats import N_RESAMPLES, km_medians
from ..store import read_table
from . import es_settings, ray_speedup
from .unit_costs import speedup_files

LABELS = {**es_settings.LABELS, "cmaes": METHOD_LABELS["torch_cmaes"], "torch_cmaes": METHOD_LABELS["torch_cmaes"]}
"""Chapter 6's rows: its ``cmaes`` row runs the torch CMA-ES (``backprop.ES_ROWS``)."""
CORES = np.array([1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024])


def one_core_wall(df: pd.DataFrame, costs: pd.DataFrame | None) -> pd.Series:
    """Each record's modelled one-core training time: env_steps x eval cost + updates x serial cost
    (NaN where the method's costs are not measured)."""
    if costs is None or costs.empty:
        return pd.Series(np.nan, index=df.index)
    c = df[["method", "env"]].merge(costs, on=["method", "env"], how="left").set_index(df.index)
    return df["env_steps"] * c["eval_s_per_step"] + (df["generation"] + 1) * c["serial_s_per_gen"]


def ipc_speedup(measured: dict, p) -> np.ndarray:
    """Speedup of a parallel part on ``p`` processes from a cost model calibrated on the measured
    speedup at 2 (``measured[2]``): per unit of one process's time, t(p) = 1 / p + c (p - 1), the
    work split evenly and each extra process costing c for its messages, with c = 1 / s(2) - 1 / 2.
    A side whose 2-process speedup is below 1 (c > 1/2) never gains from a second process here."""
    c = max(0.0, 1 / float(measured[2]) - 0.5)
    p = np.asarray(p, dtype=float)
    return 1 / (1 / p + c * (p - 1))


def speedup(W, measured: dict, cap: int | None = None, modelled: dict | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Speedup of the parallel part with W cores at hand, and whether it rests on a measurement. Per W
    the best process count p <= W (<= ``cap``: PPO runs one environment per process at most), p's
    speedup being measured where it was (1 process: 1 by definition), else ``modelled`` (e.g.
    ``cluster_sim``) where given, else ``ipc_speedup`` calibrated at 2 processes; NaN where none of
    these exists (no constant-efficiency extrapolation). So a side never gets slower with more cores."""
    W = np.atleast_1d(np.asarray(W, dtype=float)).astype(int)
    known = {1: 1.0, **{int(k): float(v) for k, v in measured.items()}}
    model = {int(k): float(v) for k, v in (modelled or {}).items()}
    top = int(min(W.max(), cap)) if cap else int(W.max())
    p = np.arange(1, top + 1)
    if model:  # the model's counts and the measured ones are the candidates
        each = np.array([known.get(k, model.get(k, np.nan)) for k in p])
    elif 2 in known:
        each = np.array([known.get(k, f) for k, f in zip(p, ipc_speedup(known, p))])
    else:  # nothing to model beyond one process from
        each = np.where(p == 1, 1.0, np.nan)
    each = np.where(np.isfinite(each), each, -np.inf)
    which = np.array([int(np.argmax(each[:k])) + 1 for k in p])  # the best count with at most p processes
    used = np.minimum(W, top) - 1
    out = each[which[used] - 1]
    if not model and 2 not in known:
        out = np.where(W > 1, np.nan, out)
    return out, np.isin(which[used], list(known)) & np.isfinite(out)


def time_to_threshold(steps_to, gens_to, eval_s_per_step: float, serial_s_per_gen: float, W, measured: dict,
                      cap: int | None = None, modelled: dict | None = None, speedups=None) -> np.ndarray:
    """Seconds to the threshold on W cores, one row per seed: steps x eval cost / speedup(W) + gens x
    serial cost / serial speedup(W). ``speedups``: (parallel, serial) speedup arrays over W from a cost
    model (``ppo_model``), used instead of ``speedup``; without it the serial part stays at one core's."""
    s, serial = speedups if speedups is not None else (speedup(W, measured, cap, modelled)[0], 1.0)
    steps, gens = np.asarray(steps_to, float)[:, None], np.asarray(gens_to, float)[:, None]
    return steps * eval_s_per_step / np.asarray(s)[None, :] + gens * serial_s_per_gen / np.asarray(serial)


def km_columns(t: np.ndarray, r: np.ndarray) -> np.ndarray:
    """Kaplan-Meier median per column of ``t`` (..., n seeds, K), the seeds' reached flags ``r``
    (..., n) shared by every column: (..., K)."""
    tt = np.moveaxis(np.asarray(t, dtype=float), -1, -2)
    rr = np.broadcast_to(np.asarray(r, dtype=bool)[..., None, :], tt.shape)
    return km_medians(tt.reshape(-1, tt.shape[-1]), rr.reshape(-1, rr.shape[-1])).reshape(tt.shape[:-1])


def crossover(es: np.ndarray, es_reached, ppo: np.ndarray, ppo_reached, W, n_resamples: int = N_RESAMPLES,
              seed: int = 0) -> dict:
    """The first W where the ES's Kaplan-Meier median time to the threshold drops below PPO's. ``es``
    and ``ppo``: seconds per seed (rows) and W (columns), a seed that never reached the threshold at its
    whole budget's seconds and flagged False in ``*_reached`` (censored, never dropped); or a stack of
    such matrices, one per cost-model draw (``ppo_model.draws``: the first is the point estimate).
    ``draws``: the crossover of each bootstrap resample over seeds, each side resampled and each with a
    random model draw (inf: no crossing within W), so the band covers the seeds and the timing noise;
    ``lo``/``hi`` its 95 % percentile CI (inf: beyond the largest W); ``share`` the resamples that cross;
    ``back``: the first larger W where PPO is ahead again (None: never); ``curves``: each side's median
    and 95 % band per W."""
    W = np.asarray(W, float)
    es, ppo = np.asarray(es, float), np.asarray(ppo, float)
    es_m, ppo_m = (x if x.ndim == 3 else x[None] for x in (es, ppo))  # model draws x seeds x W
    es, ppo = es_m[0], ppo_m[0]  # the point estimate: each side's model fitted on all its timings
    er, pr = np.asarray(es_reached, bool), np.asarray(ppo_reached, bool)

    def cross(a, b):
        below = a < b
        return np.where(below.any(-1), W[below.argmax(-1)], np.inf)

    out = dict(w=None, lo=None, hi=None, share=np.nan, n_es=len(es), n_ppo=len(ppo), reached_es=int(er.sum()),
               reached_ppo=int(pr.sum()), back=None, draws=np.array([]), curves={})
    if len(es) == 0 or len(ppo) == 0:
        return out
    m_es, m_ppo = km_columns(es, er), km_columns(ppo, pr)
    point = float(cross(m_es, m_ppo))
    if np.isfinite(point):  # where the ES falls behind again (e.g. a saturated central server), if it does
        behind = np.nonzero((W > point) & (m_es >= m_ppo))[0]
        out["back"] = float(W[behind[0]]) if behind.size else None
        out["w"] = point
    rng = np.random.default_rng(seed)
    ie, ip = rng.integers(len(es), size=(n_resamples, len(es))), rng.integers(len(ppo), size=(n_resamples, len(ppo)))
    me, mp = (rng.integers(len(x), size=(n_resamples, 1)) for x in (es_m, ppo_m))  # a model draw per resample
    b_es, b_ppo = km_columns(es_m[me, ie], er[ie]), km_columns(ppo_m[mp, ip], pr[ip])
    draws = cross(b_es, b_ppo)
    out.update(draws=draws, share=float(np.isfinite(draws).mean()),
               lo=float(np.percentile(draws, 2.5, method="lower")), hi=float(np.percentile(draws, 97.5, method="higher")))
    for side, mid, boot in (("es", m_es, b_es), ("ppo", m_ppo, b_ppo)):
        lo, hi = np.percentile(boot, [2.5, 97.5], axis=0, method="nearest")
        out["curves"][side] = (mid, lo, hi)
    return out


ES_MODEL_DRAWS = 20
"""Refits of the ES side's speedup model on resampled timings, for the crossover's band (each refit is
one simulation sweep; the first item of ``es_speedup_draws`` is the fit on all timings)."""
DRAW_SIM_GENERATIONS = 50
"""Simulated generations per refit (the point estimate simulates the profile's ``sim_generations``)."""


SEED_ONLY_METHODS = ("openai_es", "lowrank_es")
"""The ES methods whose seed-only messages (``RunConfig.messages="seeds"``) are a centre and two
scalars per member. torch CMA-ES's also carry its eigenbasis, 4 n^2 bytes per worker at each
decomposition, which the cluster model does not charge, so its crossover keeps the vector messages."""


def es_speedup_draws(profile: str, env: str, W=CORES, method: str = "torch_cmaes", draws: int = ES_MODEL_DRAWS,
                     seed: int = 0, seed_only: bool = False) -> list[tuple[dict, dict]]:
    """ES evaluation speedups over the in-process evaluator, as (measured, modelled) dicts keyed by
    worker count: measured at 1-2 Ray workers (chapter 4's timings for ``method``, else this chapter's
    own measurement, ``measure_and_store``) and modelled beyond by ``cluster_sim``'s central server
    calibrated on them, with the ask + tell left out (it is the sequential part) and at most
    ``popsize`` workers (a generation has no more evaluations to share out; ``speedup`` keeps the best
    count for larger W). The first item is the fit on all timings; each of the ``draws`` others refits
    the calibration and re-simulates on the timed generations resampled with replacement within each
    worker count (the same resampling as ``ppo_model.draws``). [] where no timing exists.
    ``seed_only``: the modelled part sends seed-only messages (the centre once per worker and two scalars
    per member; ``SEED_ONLY_METHODS`` only), while the measured points stay those of the vector messages
    they were timed with."""
    import dataclasses

    if seed_only and method not in SEED_ONLY_METHODS:
        raise ValueError(f"seed-only messages are modelled for {', '.join(SEED_ONLY_METHODS)}, not {method}")

    from ..cluster_sim import sweep

    tables = [t for t in map(read_table, speedup_files(profile, env, method)) if t is not None]  # a bad one: warned
    if not tables:
        return []
    raw = pd.concat(tables, ignore_index=True)
    p = ray_speedup.params({"profile": profile})
    rng = np.random.default_rng(seed)
    groups = [g.index.to_numpy() for _, g in raw.groupby("workers")]
    out = []
    for k in range(draws + 1):
        sample = raw if k == 0 else raw.loc[np.concatenate([g[rng.integers(len(g), size=len(g))] for g in groups])]
        T = ray_speedup.speedup_table(sample)
        measured = {int(r.workers): float(r.eval_speedup) for r in T.itertuples() if r.workers >= 1}
        cal = dataclasses.replace(ray_speedup.calibration(p, T, env), tell_s=0.0)
        beyond = [int(w) for w in np.asarray(W) if max(measured) < w <= p.popsize]
        sim = sweep(cal, workers=beyond, model="central", popsize=p.popsize, seed=p.seed + k, seed_only=seed_only,
                    sim_generations=p.sim_generations if k == 0 else min(p.sim_generations, DRAW_SIM_GENERATIONS)
                    ) if beyond else pd.DataFrame(columns=["workers", "speedup"])
        out.append((measured, dict(zip(sim["workers"].astype(int), sim["speedup"]))))
    return out


def es_speedup(profile: str, env: str, W=CORES, method: str = "torch_cmaes") -> tuple[dict, dict]:
    """``es_speedup_draws``' fit on all timings: (measured, modelled); ({}, {}) where none exists."""
    fits = es_speedup_draws(profile, env, W, method, draws=0)
    return fits[0] if fits else ({}, {})


def missing_inputs(S: dict, costs: pd.DataFrame | None, es_speed: dict, ppo_speed: dict,
                   es: str = "torch_cmaes") -> str | None:
    """What the crossover of one task still lacks, in words (None: nothing)."""
    lacks = [what for what, missing in (
        (f"{LABELS.get(es, es)} runs", es not in S["rows"]), ("PPO runs", "ppo" not in S["rows"]),
        ("the idle-core unit costs", costs is None or not {es, "ppo"} <= set(costs[costs["env"] == S["env"]].method)),
        ("the ES's measured Ray speedup", not es_speed), ("PPO's measured process speedup", not ppo_speed)) if missing]
    return "; ".join(lacks) if lacks else None


def cores(S: dict, costs: pd.DataFrame | None, es_speed: dict, ppo_speed: dict, es: str = "torch_cmaes",
          W=CORES, es_modelled: dict | None = None, ppo_timings: pd.DataFrame | None = None,
          model_draws: int = 200, es_draws: list[tuple[dict, dict]] | None = None) -> dict | None:
    """Time to the threshold against cores for ``es`` and PPO (every seed; one that never reached it
    counts at its whole budget's time, censored), and the crossover (``crossover``);
    None while an input is missing (``missing_inputs``): runs, one-core costs or a measured speedup
    (without one the model would silently assume linear scaling). With W cores at hand each side runs
    on as many of them (up to W) as is fastest, so more cores never make a run slower. PPO's speedups
    come from ``ppo_model`` fitted to ``ppo_timings`` where given (its rollout and its update, with
    ``model_draws`` refits on resampled timings for the crossover's band), else from its measured
    2-process speedup (``speedup``: the update held at one core's cost). The ES's speedups come from
    ``es_speed``/``es_modelled``, and the crossover's band also from ``es_draws`` where given (refits on
    resampled timings, ``es_speedup_draws``), so both sides' bands include their timing noise."""
    if missing_inputs(S, costs, es_speed, ppo_speed, es):
        return None
    from ..baselines.zoo import zoo_hyperparams
    from .ppo_model import draws

    c = costs[costs["env"] == S["env"]].set_index("method")
    seeds = S["seeds"].set_index("method")
    n_envs = int(zoo_hyperparams(S["env"])["n_envs"])
    W = np.asarray(W)
    models = draws(ppo_timings, model_draws) if ppo_timings is not None and len(ppo_timings) else None
    es_speedup, es_measured = speedup(W, es_speed, None, es_modelled)
    out = dict(W=W, es_measured=es_measured, es_speedup=es_speedup,
               ppo_measured=W <= 2 if models else speedup(W, ppo_speed, n_envs)[1], reached={},
               ppo_model=models[0] if models else None)
    stacks = {}
    for side, speed, cap, model in ((es, es_speed, None, es_modelled), ("ppo", ppo_speed, n_envs, None)):
        g = seeds.loc[[side]]
        hit = np.isfinite(g["steps_to"]).to_numpy()
        steps = np.where(hit, g["steps_to"], g["max_steps"])  # never reached: its whole budget, censored
        gens = np.where(hit, g["gens_to"], g["max_gens"])
        if side == "ppo":
            each = [m.speedups(W) for m in models] if models else [None]
        else:  # the point fit first, then the refits (their own measured 1-2 and modelled speedups)
            each = [(speedup(W, speed, None, model)[0], 1.0)] + [
                (speedup(W, m, None, mod)[0], 1.0) for m, mod in (es_draws or [])[1:]]
        t = np.stack([time_to_threshold(steps, gens, c.loc[side, "eval_s_per_step"], c.loc[side, "serial_s_per_gen"],
                                        W, speed, cap, model, sp) for sp in each])
        stacks[side] = np.minimum.accumulate(t, axis=2)  # the best worker count up to W (W ascending)
        out[side] = stacks[side][0]
        out["reached"][side] = hit
    out["cross"] = crossover(stacks[es], out["reached"][es], stacks["ppo"], out["reached"]["ppo"], W)
    out["es"] = es
    out["complete"] = all(S["rows"][m]["n"] >= S["planned"] for m in (es, "ppo"))  # every planned seed stored
    return out


def crossover_for(profile: str, S: dict, costs: pd.DataFrame | None, ppo_speed: pd.DataFrame | None,
                  es: str, ppo_timings: pd.DataFrame | None = None, seed_only: bool = False
                  ) -> tuple[dict | None, str | None]:
    """``cores`` for one task and one ES method, with this method's own measured Ray speedup (chapter 4's
    or this chapter's; none measured: not available, never assumed linear), modelled beyond with vector
    or (``seed_only``) seed-only messages, and PPO's process speedup; (C, what is missing)."""
    ppo_env = {} if ppo_speed is None else ppo_speed[ppo_speed.env == S["env"]]
    es_draws = es_speedup_draws(profile, S["env"], method=es, seed_only=seed_only)
    es_measured, es_modelled = es_draws[0] if es_draws else ({}, {})
    ppo_measured = {} if len(ppo_env) == 0 else dict(zip(ppo_env.workers, ppo_env.speedup))
    why = missing_inputs(S, costs, es_measured, ppo_measured, es)
    timings = None if ppo_timings is None else ppo_timings[ppo_timings["env"] == S["env"]]
    return cores(S, costs, es_measured, ppo_measured, es, es_modelled=es_modelled, es_draws=es_draws,
                 ppo_timings=timings if timings is not None and len(timings) else None), why

def ppo_plan_text(C: dict | None) -> str:
    """What PPO's fitted cost model does with more cores, in words, read from the same result as the
    crossover (``cores``' point model, the one its PPO curve uses): whether and from which W the
    environments move to worker processes, and what the update gains from threads at most."""
    if C is None or C.get("ppo_model") is None:
        return "not modelled yet (PPO's parts not timed on the idle machine)"
    m, W = C["ppo_model"], np.asarray(C["W"])
    _, procs = m.step_seconds(W)
    roll, upd = m.speedups(W)
    cost = (f"a worker process adds {1e6 * m.message:,.0f} µs per env step, the step itself costs "
            f"{1e6 * m.env:,.0f} µs")
    if not procs.any():
        where = f"keeps its {m.n_envs} environments in one process at every W up to {W.max():,} ({cost})"
    else:
        where = (f"moves its environments to worker processes from W = {W[procs > 0][0]:,} ({cost}), its "
                 f"rollout at most {roll.max():.1f}x faster")
    return f"PPO {where}; its update gains at most {upd.max():.2f}x from more threads"


def cross_text(C: dict | None, why: str | None) -> str:
    """One task's crossover in words: W with its CI (measured up to 2 cores, modelled beyond), no
    crossing within ``CORES``, or what is missing."""
    if C is None:
        return f"not available yet (missing: {why or 'runs'})"
    cr, es = C["cross"], LABELS.get(C["es"], C["es"])
    n = (f"{cr['reached_es']} of {cr['n_es']} {es} seeds and {cr['reached_ppo']} of {cr['n_ppo']} PPO seeds reached "
         f"the threshold")
    if not (cr["n_es"] and cr["n_ppo"]):
        return f"not available yet ({n})"
    def where(w):
        return "beyond " + f"{CORES[-1]:,}" if not np.isfinite(w) else f"{w:,.0f}"
    ci = f"95 % CI {where(cr['lo'])}–{where(cr['hi'])} cores"
    if cr["w"] is not None:
        back = "" if cr.get("back") is None else f"; PPO is ahead again from W = {cr['back']:,.0f} (modelled)"
        how = "measured" if cr["w"] <= 2 else "modelled beyond 2 cores"
        first = "already on one core" if cr["w"] == 1 else f"from W = {cr['w']:,.0f} cores"
        return f"{es} reaches the threshold sooner than PPO {first} ({how}; {ci}; {n}){back}"
    return (f"the medians do not cross up to {CORES[-1]:,} cores ({ci}; {100 * cr['share']:.0f} % of bootstrap "
            f"resamples cross; {n})")


def seed_only_text(vectors: tuple[dict | None, str | None], seeds: tuple[dict | None, str | None]) -> str:
    """The seed-only column of chapter 6's crossover table: the crossover with seed-only messages where it
    differs from the vector messages' (``cross_text``), else "the same", with the ES's modelled speedup
    at the most cores where the two models part (or at the largest W) for both."""
    (Cv, why), (Cs, _) = vectors, seeds
    if Cv is None or Cs is None:
        return cross_text(Cv, why)
    a, b, W = np.asarray(Cv["es_speedup"]), np.asarray(Cs["es_speedup"]), np.asarray(Cv["W"])
    k = int(np.argmax(np.abs(b - a))) if np.any(np.abs(b - a) > 1e-9) else len(W) - 1
    gain = f"the ES's speedup at {W[k]:,} cores: {a[k]:.1f}× with vectors, {b[k]:.1f}× with seeds (modelled)"
    same = all(Cv["cross"].get(x) == Cs["cross"].get(x) for x in ("w", "lo", "hi", "back"))
    return f"the same; {gain}" if same else f"{cross_text(Cs, None)}; {gain}"
