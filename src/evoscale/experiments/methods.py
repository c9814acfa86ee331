"""Dimension 5 -- methods at scale, and Dimension 1's sample efficiency vs width (one grid, two chapters).

The grid: {CMA-ES, sep-CMA-ES, OpenAI-ES, GA, Neuromod} x network sizes {small < 5K, medium 5-50K,
large > 50K parameters} on one task, several seeds, the same episode budget for every run. Chapter 1
reads the CMA-ES / sep-CMA-ES / OpenAI-ES part of it (plus ``width_sizes``, extra widths for those
three only); the configurations are identical, so each run is computed once (the results cache is
keyed by the configuration's hash) and stored in the shared run store ``results/<profile>/runs/``.

Full CMA-ES is O(n^2) in memory and time. A cell whose *predicted* run (chapter 1's measured cost
fit, ``parameters.predict_cma``) exceeds ``cma_limit_s`` seconds or this machine's RAM is not run;
``plan`` marks it "too expensive here" with the prediction. PPO (Stable-Baselines3, zoo
hyper-parameters) is run on the same task with an env-step budget, for the comparison section.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..config import RunConfig, parse_hidden
from ..envs import get_spec
from ..stats import first_crossing, iqm, iqm_ci
from . import check_parameters, load_cached, results_root, run_many, seed_list

GRID_ROWS = ("cmaes", "sepcmaes", "openai_es", "ga", "neuromod")
WIDTH_ROWS = ("cmaes", "sepcmaes", "openai_es", "ga")
SIZE_NAMES = ("small", "medium", "large")
BANDS = {"small": (0, 5_000), "medium": (5_000, 50_000), "large": (50_000, math.inf)}
LABELS = {"cmaes": "CMA-ES", "sepcmaes": "sep-CMA-ES", "openai_es": "OpenAI-ES", "ga": "GA",
          "neuromod": "Neuromod", "ppo": "PPO"}
# The seed document's Dimension-5 table (its rows and sizes; sep-CMA-ES and PPO are not in it).
SEED_VERDICTS = {
    ("cmaes", "small"): "dominant", ("cmaes", "medium"): "degraded", ("cmaes", "large"): "too expensive",
    ("openai_es", "small"): "okay", ("openai_es", "medium"): "dominant", ("openai_es", "large"): "feasible",
    ("neuromod", "small"): "promising", ("neuromod", "medium"): "untested", ("neuromod", "large"): "untested",
    ("ga", "small"): "bad", ("ga", "medium"): "bad", ("ga", "large"): "bad",
}

PROFILES = {
    # CI: tiny nets and budgets, proves the pipeline in seconds; the numbers mean nothing.
    "smoke": dict(sizes=["4,2", "8,4", "16,8"], width_sizes=[], popsize=8, budget_evals=32, eval_every=16,
                  eval_episodes=3, seeds=2, seeds_large=2, ppo_steps=2_048, ppo_eval_every=0, cma_limit_s=900.0,
                  train_missing=True),
    # the whole book in about an hour on 2 cores: 5 seeds, a sixth of the budget, no ~100K width
    "quick": dict(sizes=["64,32", "116,58", "310,155"], width_sizes=["34,17"], popsize=64, budget_evals=5_120,
                  eval_every=2_560, eval_episodes=100, seeds=5, seeds_large=5, ppo_steps=300_000,
                  ppo_eval_every=100_000, cma_limit_s=900.0, train_missing=True),
    # the rendered book: the ten-seed campaign's runs under results/book/runs/ (the book protocol of
    # compute.PROFILES: popsize 64, a solved test every 2,560 episodes), ~30K episodes per run, 10
    # seeds below 50K parameters, 5 above; PPO at 3x the zoo's 1M steps (chapter 6's runs)
    "book": dict(sizes=["64,32", "116,58", "310,155"], width_sizes=["34,17", "436,218"], popsize=64,
                 budget_evals=30_720, eval_every=2_560, eval_episodes=100, seeds=10, seeds_large=5,
                 ppo_steps=3_000_000, ppo_eval_every=100_000, cma_limit_s=3 * 3600.0, train_missing=False),
    # a cluster: the seed's 100K episodes, 20 seeds everywhere
    "full": dict(sizes=["64,32", "116,58", "310,155"], width_sizes=["34,17", "436,218"], popsize=64,
                 budget_evals=102_400, eval_every=2_560, eval_episodes=100, seeds=20, seeds_large=20,
                 ppo_steps=3_000_000, ppo_eval_every=100_000, cma_limit_s=12 * 3600.0, train_missing=True),
}


@dataclass(frozen=True)
class MethodsParams:
    profile: str = "book"
    """smoke | book | full -- sets the default of every parameter left at None."""
    env: str = "LunarLander-v3"
    sizes: list | None = None
    """Hidden widths of the small, medium and large network, e.g. ["64,32", "116,58", "310,155"]."""
    width_sizes: list | None = None
    """Extra hidden widths for chapter 1's width sweep (CMA-ES, sep-CMA-ES, OpenAI-ES only)."""
    popsize: int | None = None
    budget_evals: int | None = None
    """Training episodes per run (the same for every method)."""
    eval_every: int | None = None
    eval_episodes: int | None = None
    seeds: int | list | None = None
    """Number of seeds (0..seeds-1) or an explicit list."""
    seeds_large: int | list | None = None
    """Seeds of the cells with 50K parameters or more (the "large" band)."""
    cma_method: str = "torch_cmaes"
    """The full CMA-ES in the CMA-ES row: torch_cmaes (lean, fp32) or cmaes (pycma)."""
    cma_sigma: float = 0.5
    es_sigma: float = 0.05
    """OpenAI-ES (and Neuromod's inner OpenAI-ES) noise standard deviation."""
    es_lr: float = 0.03
    """OpenAI-ES (and Neuromod) Adam learning rate."""
    ga_sigma: float = 0.05
    """GA mutation power (and the spread of its first generation)."""
    ga_truncation: int | None = None
    """GA parents per generation (None: popsize // 5)."""
    ga_elites: int = 1
    """GA elites carried (and re-evaluated) unmutated."""
    cma_limit_s: float | None = None
    """A full-CMA-ES run predicted to take longer than this (s, one core) is not run."""
    ram_gib: float | None = None
    """Memory limit for full CMA-ES (None: this machine's RAM)."""
    ppo_steps: int | None = None
    """PPO's budget in env steps."""
    ppo_eval_every: int | None = None
    processes: int | None = None
    """Runs trained in parallel, one core each (None: all cores)."""
    train_missing: bool | None = None
    """Train runs the results store lacks (False for the book profile: the campaign trains them)."""

    def seed_list(self, band: str = "small") -> list[int]:
        return seed_list(self.seeds_large if band == "large" else self.seeds)


def params(namespace: dict) -> MethodsParams:
    """The chapter's parameters from its notebook namespace (strict, profile defaults filled in)."""
    p = check_parameters(MethodsParams, namespace, PROFILES)
    if len(p.sizes) != len(SIZE_NAMES):
        raise ValueError(f"sizes must list {len(SIZE_NAMES)} hidden widths (small, medium, large), got {p.sizes!r}")
    for name in ("sizes", "width_sizes"):
        for hidden in getattr(p, name):
            try:
                parse_hidden(hidden)
            except ValueError as err:
                raise ValueError(f"{name}: {err}") from None
    if p.cma_method not in ("cmaes", "torch_cmaes"):
        raise ValueError(f"cma_method must be 'cmaes' or 'torch_cmaes', got {p.cma_method!r}")
    return p


def band_of(n: int) -> str:
    return next(b for b, (lo, hi) in BANDS.items() if lo <= n < hi)


def n_params(row: str, hidden, env: str) -> int:
    from ..plastic import genome_layout
    from ..policies import param_count

    spec = get_spec(env)
    if row == "neuromod":
        return max(s.stop for s, _ in genome_layout(spec.obs_dim, parse_hidden(hidden), spec.act_dim).values())
    return param_count(spec.obs_dim, parse_hidden(hidden), spec.act_dim)


def method_settings(p: MethodsParams, row: str) -> dict:
    """RunConfig fields of one grid row: the trainer, its sigma0 and hyper-parameters."""
    if row == "cmaes":
        return dict(method=p.cma_method, sigma0=p.cma_sigma)
    if row == "sepcmaes":
        return dict(method="sepcmaes", sigma0=p.cma_sigma)
    if row in ("openai_es", "neuromod"):
        return dict(method=row, sigma0=p.es_sigma, hyper={"lr": p.es_lr})
    if row == "ga":
        hyper = {"elites": p.ga_elites, **({} if p.ga_truncation is None else {"truncation": p.ga_truncation})}
        return dict(method="ga", sigma0=p.ga_sigma, hyper=hyper)
    raise ValueError(f"unknown grid row {row!r}; valid: {', '.join(GRID_ROWS)}")


def config(p: MethodsParams, row: str, hidden, seed: int) -> RunConfig:
    return RunConfig(env=p.env, hidden=parse_hidden(hidden), popsize=p.popsize, budget_evals=p.budget_evals,
                     eval_every=p.eval_every, eval_episodes=p.eval_episodes, seed=seed, **method_settings(p, row))


def ppo_configs(p: MethodsParams) -> list[RunConfig]:
    """PPO on the same task: zoo hyper-parameters, ``ppo_steps`` env steps (shared with chapter 4's runs)."""
    return [RunConfig(method="ppo", env=p.env, budget_steps=p.ppo_steps, eval_every=p.ppo_eval_every,
                      eval_episodes=p.eval_episodes, seed=s) for s in p.seed_list()]


def _ram_gib() -> float:
    import psutil

    return psutil.virtual_memory().total / 2**30


def plan(p: MethodsParams, cost: pd.DataFrame | None = None, part: str = "grid") -> pd.DataFrame:
    """One row per cell: (row, size, hidden, n, band) and whether it runs here. ``part``: "grid"
    (chapter 5's rows x sizes) or "width" (chapter 1's three rows x sizes + width_sizes). Full CMA-ES
    cells are checked against ``cost`` (chapter 1's measurement; None: every cell runs)."""
    if part not in ("grid", "width"):
        raise ValueError(f"part must be 'grid' or 'width', got {part!r}")
    sizes = list(zip(SIZE_NAMES, p.sizes))
    if part == "width":
        sizes += [(f"w{n_params('cmaes', h, p.env)}", h) for h in p.width_sizes]
    ram = p.ram_gib or _ram_gib()
    generations = p.budget_evals // p.popsize
    rows = []
    for row in (GRID_ROWS if part == "grid" else WIDTH_ROWS):
        for size, hidden in sizes:
            n = n_params(row, hidden, p.env)
            cell = dict(row=row, size=size, hidden=",".join(map(str, parse_hidden(hidden))), n=n, band=band_of(n),
                        runs=True, predicted_s=math.nan, predicted_gib=math.nan)
            if row == "cmaes" and cost is not None:
                from .parameters import predict_cma

                pred = predict_cma(cost, p.cma_method, n, generations)
                cell.update(predicted_s=pred["run_s"], predicted_gib=pred["peak_gib"],
                            runs=pred["run_s"] <= p.cma_limit_s and pred["peak_gib"] <= ram)
            rows.append(cell)
    return pd.DataFrame(rows)


def configs(p: MethodsParams, cells: pd.DataFrame, ppo: bool = False) -> list[tuple]:
    """(cell or None for PPO, RunConfig) of every runnable cell and seed (plus PPO if asked)."""
    todo = [(c, config(p, c.row, c.hidden, s)) for c in cells[cells["runs"]].itertuples()
            for s in p.seed_list(c.band)]
    return todo + ([(None, c) for c in ppo_configs(p)] if ppo else [])


def run(p: MethodsParams, cells: pd.DataFrame, ppo: bool = False, log=print) -> pd.DataFrame:
    """Records of every runnable cell (all seeds; plus PPO if asked), annotated with row, size, band.
    With ``train_missing`` off (book profile) only the stored runs, an empty frame if none."""
    where = results_root() / p.profile / "runs"
    todo = configs(p, cells, ppo)
    if p.train_missing:
        run_many([c for _, c in todo], where, processes=p.processes, log=log)
    frames = []
    for cell, c in todo:
        df = load_cached(c, where)
        if df is None:
            continue
        n = int(df["n_params"].iloc[0])
        frames.append(df.assign(row=cell.row if cell else "ppo", size=cell.size if cell else band_of(n),
                                band=band_of(n), hidden=cell.hidden if cell else ""))
    missing = len(todo) - len(frames)
    if missing:
        log(f"{missing} of {len(todo)} runs not stored yet (the campaign trains them)")
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(
        columns=["row", "size", "band", "hidden", "seed", "n_params", "evals", "env_steps", "eval_return"])


def per_seed(df: pd.DataFrame, threshold: float | None) -> pd.DataFrame:
    """One row per (row, size, seed): final and best solved-test return, evals/env steps to threshold."""
    out = []
    for (row, size, seed), g in df.groupby(["row", "size", "seed"], sort=False):
        tests = g[np.isfinite(g["eval_return"])].sort_values("evals")
        hit = first_crossing(tests.assign(seed=0), threshold) if threshold is not None else pd.Series([np.nan])
        hit_steps = (first_crossing(tests.assign(seed=0), threshold, x="env_steps")
                     if threshold is not None else pd.Series([np.nan]))
        out.append(dict(row=row, size=size, seed=seed, n=int(g["n_params"].iloc[0]), band=g["band"].iloc[0],
                        final=float(tests["eval_return"].iloc[-1]), best=float(tests["eval_return"].max()),
                        evals_to=float(hit.iloc[0]), steps_to=float(hit_steps.iloc[0]),
                        evals=int(g["evals"].max()), env_steps=int(g["env_steps"].max()),
                        wall_s=float(g["wall_s"].max()), machine=g["machine"].iloc[0]))
    return pd.DataFrame(out)


def summarise(df: pd.DataFrame, threshold: float | None) -> pd.DataFrame:
    """One row per cell: IQM [95 % CI] over seeds of the final and best solved-test return and of
    the evaluations to ``threshold`` (over the seeds that reached it; ``reached`` counts them)."""
    rows = []
    for (row, size), g in per_seed(df, threshold).groupby(["row", "size"], sort=False):
        r = dict(row=row, size=size, n=int(g["n"].iloc[0]), band=g["band"].iloc[0], seeds=len(g),
                 reached=int(np.isfinite(g["evals_to"]).sum()), env_steps=float(iqm(g["env_steps"])),
                 wall_s=float(g["wall_s"].mean()))
        for col in ("final", "best", "evals_to", "steps_to"):
            r[col], r[f"{col}_lo"], r[f"{col}_hi"] = iqm_ci(g[col])
        rows.append(r)
    return pd.DataFrame(rows)


def verdicts(summary: pd.DataFrame, cells: pd.DataFrame, metric: str = "final") -> pd.Series:
    """Our verdict per planned cell, from ``metric``'s IQM and 95 % CI within its size column:
    "too expensive" (not run: predicted over the limits); "dominant" (the best IQM, CI above every
    other method's CI); "bad" (CI entirely below the best method's CI); otherwise "okay" (CI
    overlaps the best's). "degraded" is added where the method's CI lies entirely below its own CI
    at the next smaller size. Index: (row, size)."""
    s = summary.set_index(["row", "size"])
    out = {}
    for size in SIZE_NAMES:
        col = s.xs(size, level="size") if size in s.index.get_level_values("size") else s.iloc[:0]
        best = col[metric].idxmax() if len(col) else None
        for row in cells.loc[cells["size"] == size, "row"]:
            if row not in col.index:
                out[(row, size)] = "too expensive"
                continue
            lo, hi = col.loc[row, f"{metric}_lo"], col.loc[row, f"{metric}_hi"]
            others = col.drop(index=row)
            if row == best and (others.empty or (lo > others[f"{metric}_hi"]).all()):
                v = "dominant"
            elif hi < col.loc[best, f"{metric}_lo"]:
                v = "bad"
            else:
                v = "okay"
            prev = SIZE_NAMES[SIZE_NAMES.index(size) - 1] if size != SIZE_NAMES[0] else None
            if prev and (row, prev) in s.index and hi < s.loc[(row, prev), f"{metric}_lo"]:
                v += ", degraded"
            out[(row, size)] = v
    return pd.Series(out, name="verdict")


def crossover_n(seeds: pd.DataFrame, a: str = "cmaes", b: str = "openai_es", metric: str = "best",
                n_boot: int = 2000, rng_seed: int = 0) -> dict:
    """Where ``b`` catches up with ``a`` as n grows: the first n (log-linear interpolation between the
    measured sizes both methods ran) at which IQM(a) - IQM(b) of ``metric`` (``per_seed``'s column)
    is no longer positive. Returns the point estimate (NaN: no crossover in the range both methods ran; -inf: b already
    ahead at the smallest n), a percentile CI over a bootstrap of the seeds of every cell, and the
    fraction of bootstrap replicates with a crossover inside the range."""
    ns = sorted(set(seeds.loc[seeds["row"] == a, "n"]) & set(seeds.loc[seeds["row"] == b, "n"]))
    vals = {(m, n): seeds.loc[(seeds["row"] == m) & (seeds["n"] == n), metric].to_numpy(float)
            for m in (a, b) for n in ns}

    def cross(v) -> float:
        d = np.array([iqm(v[(a, n)]) - iqm(v[(b, n)]) for n in ns])
        if len(d) == 0:
            return math.nan
        if d[0] <= 0:
            return -math.inf
        i = np.flatnonzero(d <= 0)
        if i.size == 0:
            return math.nan
        i = i[0]  # a ahead at ns[i-1], not at ns[i]: interpolate the zero of d in log n
        x0, x1 = math.log(ns[i - 1]), math.log(ns[i])
        return float(math.exp(x0 + (x1 - x0) * d[i - 1] / (d[i - 1] - d[i])))

    point = cross(vals)
    rng = np.random.default_rng(rng_seed)
    boot = np.array([cross({k: rng.choice(v, size=len(v)) for k, v in vals.items()}) for _ in range(n_boot)])
    inside = boot[np.isfinite(boot)]
    lo, hi = (np.percentile(inside, [2.5, 97.5]) if inside.size else (math.nan, math.nan))
    return dict(n=point, lo=float(lo), hi=float(hi), frac_inside=float(inside.size / n_boot),
                frac_below=float(np.mean(boot == -math.inf)), n_min=ns[0] if ns else math.nan,
                n_max=ns[-1] if ns else math.nan)
