"""Dimension 5 -- methods at scale, and Dimension 1's sample efficiency vs width (one grid, two chapters).

The grid: {CMA-ES, sep-CMA-ES, OpenAI-ES, GA, Neuromod} x network sizes {small < 5K, medium 5-50K,
large > 50K parameters} on one task, several seeds, the same episode budget for every run. Chapter 1
reads the CMA-ES / sep-CMA-ES / OpenAI-ES / GA part of it (``WIDTH_ROWS``, plus ``width_sizes``, extra
widths for those four only); the configurations are identical, so each run is computed once (the results cache is
keyed by the configuration's hash) and stored in the shared run store ``results/<profile>/runs/``.

Full CMA-ES is O(n^2) in memory and time. A cell whose *predicted* run (chapter 1's measured cost
fit, ``cma_cost.predict_cma``) exceeds ``cma_limit_s`` seconds or this machine's RAM is not run;
``plan`` marks it "too expensive here" with the prediction. PPO (Stable-Baselines3, zoo
hyper-parameters) is run on the same task with an env-step budget, for the comparison section.

This module is the study's entry point: its parameters, the plan of cells and runs, the runs' records
and the cells' values over seeds. ``methods_verdicts`` judges the claims of both chapters (verdicts as
``report.Verdict`` objects), ``methods_figures`` draws the tables and figures readers see.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from ..config import RunConfig, parse_hidden
from ..envs import get_spec
from ..machine import ram_gib
from ..runs import is_cached
from ..stats import MIN_SEEDS, compare, first_crossing, iqm, iqm_ci, km_median_ci
from . import check_parameters, load_cached, results_root, run_many, seed_list
from .cma_cost import predict_cma
from .es_settings import BOOK, GRID_ROWS, LABELS, method_settings  # noqa: F401 (chapters 1, 5, 9)
from . import fair_rivals

WIDTH_ROWS = ("cmaes", "sepcmaes", "openai_es", "ga")
SIZE_NAMES = ("small", "medium", "large")
BANDS = {"small": (0, 5_000), "medium": (5_000, 50_000), "large": (50_000, math.inf)}
PROFILES = {
    # CI: tiny nets and budgets, proves the pipeline in seconds; the numbers mean nothing.
    "smoke": dict(sizes=["4,2", "8,4", "16,8"], width_sizes=[], popsize=8, budget_evals=32, test_every=16,
                  test_episodes=3, seeds=2, seeds_large=2, ppo_steps=2_048, ppo_test_every=0, cma_limit_s=900.0,
                  train_missing=True, tuned=False),
    # the whole book in about an hour on 2 cores: 5 seeds, a sixth of the budget, no ~100K width
    "quick": dict(sizes=["64,32", "116,58", "310,155"], width_sizes=["34,17"], popsize=64, budget_evals=5_120,
                  test_every=2_560, test_episodes=100, seeds=5, seeds_large=5, ppo_steps=300_000,
                  ppo_test_every=100_000, cma_limit_s=900.0, train_missing=True,
                  tuned=False),
    # the rendered book: the ten-seed campaign's runs under results/book/runs/ (the book protocol of
    # compute.PROFILES: popsize 64, a solved test every 2,560 episodes), ~30K episodes per run, 10
    # seeds per cell at every width; PPO at 3x the zoo's 1M steps (chapter 6's runs)
    "book": dict(sizes=["64,32", "116,58", "310,155"], width_sizes=["34,17", "436,218"], popsize=64,
                 budget_evals=30_720, test_every=2_560, test_episodes=100, seeds=10, seeds_large=10,
                 ppo_steps=3_000_000, ppo_test_every=100_000, cma_limit_s=3 * 3600.0, train_missing=False,
                 tuned=True),
    # a cluster: the design note's 100K episodes, 20 seeds everywhere
    "full": dict(sizes=["64,32", "116,58", "310,155"], width_sizes=["34,17", "436,218"], popsize=64,
                 budget_evals=102_400, test_every=2_560, test_episodes=100, seeds=20, seeds_large=20,
                 ppo_steps=3_000_000, ppo_test_every=100_000, cma_limit_s=12 * 3600.0, train_missing=True,
                 tuned=True),
}


@dataclass(frozen=True)
class MethodsParams:
    profile: str = "book"
    """smoke | quick | book | full -- sets the default of every parameter left at None."""
    env: str = "LunarLander-v3"
    """Any task in ``evoscale.envs.REGISTRY`` with a discrete or continuous action."""
    sizes: list | None = None
    """Hidden widths of the small, medium and large network (e.g. ["64,32", "116,58", "310,155"])."""
    width_sizes: list | None = None
    """Extra hidden widths for chapter 1's width sweep (CMA-ES, sep-CMA-ES, OpenAI-ES and GA). Its rows
    are ``WIDTH_ROWS``, its other widths ``sizes``."""
    popsize: int | None = None
    """Individuals per generation (the same for every method)."""
    budget_evals: int | None = None
    """Training episodes per run (the same for every method)."""
    test_every: int | None = None
    """Training episodes between solved tests."""
    test_episodes: int | None = None
    """Fresh episodes per solved test."""
    seeds: int | list | None = None
    """Number of seeds, or a list of seeds (a number n: seeds 0..n-1)."""
    seeds_large: int | list | None = None
    """Seeds of the cells with 50K parameters or more (the "large" band)."""
    cma_method: str = BOOK.cma_method
    """The full CMA-ES in the CMA-ES row: torch_cmaes (lean, fp32) | cmaes (pycma)."""
    cma_sigma: float = BOOK.cma_sigma
    """CMA-ES and sep-CMA-ES initial step size."""
    es_sigma: float = BOOK.es_sigma
    """OpenAI-ES (and Neuromod's inner OpenAI-ES) noise standard deviation."""
    es_lr: float = BOOK.es_lr
    """OpenAI-ES (and Neuromod) Adam learning rate."""
    ga_sigma: float = BOOK.ga_sigma
    """GA mutation power (and the spread of its first generation)."""
    ga_truncation: int | None = None
    """GA parents per generation (None: popsize // 5)."""
    ga_elites: int = BOOK.ga_elites
    """GA elites carried unmutated (and re-evaluated every generation)."""
    cma_limit_s: float | None = None
    """A full-CMA-ES run predicted to take longer than this (s, one core) is not run."""
    ram_gib: float | None = None
    """Memory limit for full CMA-ES (None: this machine's RAM)."""
    ppo_steps: int | None = None
    """PPO's env-step budget."""
    ppo_test_every: int | None = None
    """Env steps between PPO's solved tests."""
    processes: int | None = None
    """Runs trained in parallel, one core each (None: all cores)."""
    train_missing: bool | None = None
    """Train runs the results store lacks (False for the book profile: the campaign trains them)."""
    tuned: bool | None = None
    """Use a band's tuning selection once its tuning runs are all stored: a method whose width band's
    fair-rivals tuning is complete (``fair_rivals.selected``) runs with the setting the tuning rule selected
    instead of the settings above (book and full: True)."""

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
    from ..policies import genome_layout
    from ..policies import param_count

    spec = get_spec(env)
    if row == "neuromod":
        return max(s.stop for s, _ in genome_layout(spec.obs_dim, parse_hidden(hidden), spec.act_dim).values())
    return param_count(spec.obs_dim, parse_hidden(hidden), spec.act_dim)


NOT_COMPLETE = "the book's earlier setting (its tuning is not complete)"
"""How a cell was chosen while its band's tuning runs are not all stored."""


def settings_for(p: MethodsParams, row: str, band: str) -> tuple[dict, str]:
    """A grid row's RunConfig fields in one width band, and how they were chosen: the fair-rivals
    tuning's selection once that band's tuning runs are all stored (``p.tuned``), else the chapter's
    own settings (``method_settings``)."""
    chosen = fair_rivals.selected(row, band, p.env) if p.tuned else None
    if chosen is None:
        if (row, band) in fair_rivals.NOT_TUNED:
            return method_settings(p, row), f"the book's earlier setting ({fair_rivals.NOT_TUNED[row, band]})"
        return method_settings(p, row), NOT_COMPLETE
    trainer = p.cma_method if row == "cmaes" else fair_rivals.TRAINER[row]
    hyper = chosen.get("hyper")
    if row == "cmaes" and trainer != "torch_cmaes":
        hyper = None  # pycma has no "active" switch here: its default is already active CMA
    return dict(method=trainer, sigma0=chosen["sigma0"], hyper=hyper), "selected by the tuning rule"


def waits_for_tuning(p: MethodsParams, row: str, band: str) -> str | None:
    """What a missing run of a cell waits for before the campaign trains it: its band's tuning while
    that is not complete (``p.tuned``), since the selection may change the setting and so the run;
    None when the cell takes a selection, is not tuned (``fair_rivals.NOT_TUNED``) or ``p`` ignores
    the tuning. The cell's stored runs are read meanwhile (the earlier setting)."""
    if p.tuned and settings_for(p, row, band)[1] == NOT_COMPLETE:
        return f"the {band} band's tuning"
    return None


def config(p: MethodsParams, row: str, hidden, seed: int) -> RunConfig:
    band = band_of(n_params(row, hidden, p.env))
    return RunConfig(env=p.env, hidden=parse_hidden(hidden), popsize=p.popsize, budget_evals=p.budget_evals,
                     test_every=p.test_every, test_episodes=p.test_episodes, seed=seed,
                     **settings_for(p, row, band)[0])


STILL_TRAINING = "the book's earlier setting (the runs with the selected one are still training)"
"""How a cell was chosen when its band's tuning is complete but the book profile has not stored all the
runs with the selected setting yet: the chapter shows the earlier setting's stored runs meanwhile."""


def _shown(p: MethodsParams, row: str, hidden, seeds: list[int], where) -> tuple[MethodsParams, str | None]:
    """Which parameters a stored-runs-only chapter (``train_missing`` off) shows a cell with: ``p``
    while every selected-setting run is stored or nothing else is, else the earlier setting (``p`` with
    ``tuned=False``) when all of its runs are stored, so a half-finished campaign leaves no hole. The
    second item is ``STILL_TRAINING`` when the earlier setting stands in, else None."""
    if p.train_missing or not p.tuned:
        return p, None
    earlier = replace(p, tuned=False)
    ours = [config(p, row, hidden, s) for s in seeds]
    if ours == [config(earlier, row, hidden, s) for s in seeds] or all(is_cached(c, where) for c in ours):
        return p, None
    if all(is_cached(config(earlier, row, hidden, s), where) for s in seeds):
        return earlier, STILL_TRAINING
    return p, None


def settings_table(p: MethodsParams) -> pd.DataFrame:
    """Per method and width band, for readers: the setting the evaluation runs use and how it was chosen
    (for a stored-runs-only profile, the earlier setting while the selected one's runs are training)."""

    rows = []
    where = results_root() / p.profile / "runs"
    for row in GRID_ROWS:
        for band, hidden in zip(SIZE_NAMES, p.sizes):
            shown, still = _shown(p, row, hidden, p.seed_list(band), where)
            settings, how = settings_for(shown, row, band)
            how = still or how
            rows.append({"Method": LABELS[row], "Band": band, "Setting used": fair_rivals.setting_label(row, settings),
                         "How it was chosen": how})
    return pd.DataFrame(rows)


def ppo_configs(p: MethodsParams) -> list[RunConfig]:
    """PPO on the same task: zoo hyper-parameters, ``ppo_steps`` env steps (shared with chapter 4's runs)."""
    return [RunConfig(method="ppo", env=p.env, budget_steps=p.ppo_steps, test_every=p.ppo_test_every,
                      test_episodes=p.test_episodes, seed=s) for s in p.seed_list()]


def plan(p: MethodsParams, cost: pd.DataFrame | None = None, part: str = "grid") -> pd.DataFrame:
    """One row per cell: (row, size, hidden, n, band) and whether it runs here. ``part``: "grid"
    (chapter 5's rows x sizes) or "width" (chapter 1's four ``WIDTH_ROWS`` x sizes + width_sizes). Full CMA-ES
    cells are checked against ``cost`` (chapter 1's measurement; None: every cell runs)."""
    if part not in ("grid", "width"):
        raise ValueError(f"part must be 'grid' or 'width', got {part!r}")
    sizes = list(zip(SIZE_NAMES, p.sizes))
    if part == "width":
        sizes += [(f"w{n_params('cmaes', h, p.env)}", h) for h in p.width_sizes]
    ram = p.ram_gib or ram_gib()
    generations = p.budget_evals // p.popsize
    rows = []
    for row in (GRID_ROWS if part == "grid" else WIDTH_ROWS):
        for size, hidden in sizes:
            n = n_params(row, hidden, p.env)
            cell = dict(row=row, size=size, hidden=",".join(map(str, parse_hidden(hidden))), n=n, band=band_of(n),
                        runs=True, predicted_s=math.nan, predicted_gib=math.nan)
            if row == "cmaes" and cost is not None:
                pred = predict_cma(cost, p.cma_method, n, generations)
                cell.update(predicted_s=pred["run_s"], predicted_gib=pred["peak_gib"],
                            runs=pred["run_s"] <= p.cma_limit_s and pred["peak_gib"] <= ram)
            rows.append(cell)
    return pd.DataFrame(rows)


def configs(p: MethodsParams, cells: pd.DataFrame, ppo: bool = False, shown: bool = False) -> list[tuple]:
    """(cell or None for PPO, RunConfig) of every runnable cell and seed (plus PPO if asked). With
    ``shown``, each cell's runs are the ones a stored-runs-only chapter shows (``_shown``): the earlier
    setting while the selected setting's runs are training; without, the runs the campaign must train."""
    where = results_root() / p.profile / "runs"
    todo = []
    for c in cells[cells["runs"]].itertuples():
        seeds = p.seed_list(c.band)
        q = _shown(p, c.row, c.hidden, seeds, where)[0] if shown else p
        todo += [(c, config(q, c.row, c.hidden, s)) for s in seeds]
    return todo + ([(None, c) for c in ppo_configs(p)] if ppo else [])


def run(p: MethodsParams, cells: pd.DataFrame, ppo: bool = False, log=print) -> pd.DataFrame:
    """Records of every runnable cell (all seeds; plus PPO if asked), annotated with row, size, band.
    With ``train_missing`` off (book profile) only the stored runs, an empty frame if none; a cell whose
    selected setting's runs are still training shows its earlier setting's stored runs (``_shown``)."""
    where = results_root() / p.profile / "runs"
    todo = configs(p, cells, ppo, shown=not p.train_missing)
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
        columns=["row", "size", "band", "hidden", "seed", "n_params", "evals", "env_steps", "test_return"])


def per_seed(df: pd.DataFrame, threshold: float | None) -> pd.DataFrame:
    """One row per (row, size, seed): final and best solved-test return, evals/env steps to threshold."""
    out = []
    for (row, size, seed), g in df.groupby(["row", "size", "seed"], sort=False):
        tests = g[np.isfinite(g["test_return"])].sort_values("evals")
        hit = first_crossing(tests.assign(seed=0), threshold) if threshold is not None else pd.Series([np.nan])
        hit_steps = (first_crossing(tests.assign(seed=0), threshold, x="env_steps")
                     if threshold is not None else pd.Series([np.nan]))
        out.append(dict(row=row, size=size, seed=seed, n=int(g["n_params"].iloc[0]), band=g["band"].iloc[0],
                        final=float(tests["test_return"].iloc[-1]), best=float(tests["test_return"].max()),
                        first=float(tests["test_return"].iloc[0]),
                        evals_to=float(hit.iloc[0]), steps_to=float(hit_steps.iloc[0]),
                        evals=int(g["evals"].max()), env_steps=int(g["env_steps"].max()),
                        wall_s=float(g["wall_s"].max()), machine=g["machine"].iloc[0]))
    return pd.DataFrame(out, columns=["row", "size", "seed", "n", "band", "final", "best", "first", "evals_to",
                                      "steps_to", "evals", "env_steps", "wall_s", "machine"])


def summarise(df: pd.DataFrame, threshold: float | None) -> pd.DataFrame:
    """One row per cell: IQM [95 % CI] over seeds of the final and best solved-test return, and the
    Kaplan-Meier median [95 % CI] of the evaluations and env steps to ``threshold``, a seed that never
    reached it counted at its budget (censored, never dropped; ``reached`` counts the others)."""
    rows = []
    for (row, size), g in per_seed(df, threshold).groupby(["row", "size"], sort=False):
        r = dict(row=row, size=size, n=int(g["n"].iloc[0]), band=g["band"].iloc[0], seeds=len(g),
                 reached=int(np.isfinite(g["evals_to"]).sum()), env_steps=float(iqm(g["env_steps"])),
                 wall_s=float(g["wall_s"].mean()))
        for col in ("final", "best"):
            r[col], r[f"{col}_lo"], r[f"{col}_hi"] = iqm_ci(g[col])
        for col, budget in (("evals_to", "evals"), ("steps_to", "env_steps")):
            hit = np.isfinite(g[col]).to_numpy()
            r[col], r[f"{col}_lo"], r[f"{col}_hi"] = km_median_ci(np.where(hit, g[col], g[budget]), hit)
        rows.append(r)
    return pd.DataFrame(rows)


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


# --- the cells' values over seeds ----------------------------------------------------------------

def cell_values(seeds: pd.DataFrame, metric: str = "final") -> dict:
    """(row, size) -> the metric's per-seed values (finite ones)."""
    return {k: g[metric].to_numpy(float)[np.isfinite(g[metric].to_numpy(float))]
            for k, g in seeds.groupby(["row", "size"], sort=False)}


def p_best(seeds: pd.DataFrame, metric: str = "final", n_boot: int = 2000, rng_seed: int = 0) -> pd.Series:
    """Per (row, size): the probability that the row has the highest IQM in its size column, over a
    bootstrap of the seeds of every cell (cells with fewer than ``MIN_SEEDS`` seeds take no part)."""
    vals = {k: v for k, v in cell_values(seeds, metric).items() if v.size >= MIN_SEEDS}
    rng = np.random.default_rng(rng_seed)
    out = {}
    for size in dict.fromkeys(s for _, s in vals):
        rows = [r for r, s in vals if s == size]
        wins = np.zeros(len(rows))
        for _ in range(n_boot):
            wins[int(np.argmax([iqm(rng.choice(vals[(r, size)], vals[(r, size)].size)) for r in rows]))] += 1
        out.update({(r, size): w / n_boot for r, w in zip(rows, wins)})
    return pd.Series(out, name="p_best", dtype=float)


def pairwise(seeds: pd.DataFrame, size: str, metric: str = "final") -> pd.DataFrame:
    """One row per ordered pair (x, y) of one size column with ``stats.compare``'s fields (P(X > Y)
    with its CI, IQM difference with its CI, resolved, detectable difference)."""
    vals = {r: v for (r, s), v in cell_values(seeds, metric).items() if s == size}
    return pd.DataFrame([dict(x=a, y=b, **compare(vals[a], vals[b])) for a in vals for b in vals if a != b])


def seed_plan(p: MethodsParams) -> str:
    """The seeds per cell of ``p``'s profile in words (below and above 50K parameters where they differ)."""
    small, large = len(p.seed_list()), len(p.seed_list("large"))
    if small == large:
        return f"{small} seeds per cell"
    return f"{small} seeds per cell below {BANDS['large'][0]:,} parameters and {large} above"


def planned(p: MethodsParams, cells: pd.DataFrame) -> dict:
    """(row, size) -> seeds planned for each runnable cell."""
    return {(c.row, c.size): len(p.seed_list(c.band)) for c in cells[cells["runs"]].itertuples()}
