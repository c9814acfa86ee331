"""Dimension 5 -- methods at scale, and Dimension 1's sample efficiency vs width (one grid, two chapters).

The grid: {CMA-ES, sep-CMA-ES, OpenAI-ES, GA, Neuromod} x network sizes {small < 5K, medium 5-50K,
large > 50K parameters} on one task, several seeds, the same episode budget for every run. Chapter 1
reads the CMA-ES / sep-CMA-ES / OpenAI-ES / GA part of it (``WIDTH_ROWS``, plus ``width_sizes``, extra
widths for those four only); the configurations are identical, so each run is computed once (the results cache is
keyed by the configuration's hash) and stored in the shared run store ``results/<profile>/runs/``.

Full CMA-ES is O(n^2) in memory and time. A cell whose *predicted* run (chapter 1's measured cost
fit, ``parameters.predict_cma``) exceeds ``cma_limit_s`` seconds or this machine's RAM is not run;
``plan`` marks it "too expensive here" with the prediction. PPO (Stable-Baselines3, zoo
hyper-parameters) is run on the same task with an env-step budget, for the comparison section.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from ..claims import CLAIMS
from ..config import RunConfig, parse_hidden
from ..envs import get_spec
from ..machine import ram_gib
from ..runs import is_cached
from ..stats import MIN_SEEDS, compare, diff_p, family, first_crossing, iqm, iqm_ci, iqm_p
from . import report
from . import check_parameters, load_cached, results_root, run_many, seed_list

GRID_ROWS = ("cmaes", "sepcmaes", "openai_es", "ga", "neuromod")
WIDTH_ROWS = ("cmaes", "sepcmaes", "openai_es", "ga")
SIZE_NAMES = ("small", "medium", "large")
BANDS = {"small": (0, 5_000), "medium": (5_000, 50_000), "large": (50_000, math.inf)}
LABELS = {"cmaes": "CMA-ES", "sepcmaes": "sep-CMA-ES", "openai_es": "OpenAI-ES", "ga": "GA",
          "neuromod": "Neuromod", "ppo": "PPO"}
# The design note's Dimension-5 table, the claim (its rows and sizes; sep-CMA-ES and PPO are not in it).
CLAIMED_VERDICTS = {
    ("cmaes", "small"): "dominant", ("cmaes", "medium"): "degraded", ("cmaes", "large"): "too expensive",
    ("openai_es", "small"): "okay", ("openai_es", "medium"): "dominant", ("openai_es", "large"): "feasible",
    ("neuromod", "small"): "promising", ("neuromod", "medium"): "untested", ("neuromod", "large"): "untested",
    ("ga", "small"): "bad", ("ga", "medium"): "bad", ("ga", "large"): "bad",
}

PROFILES = {
    # CI: tiny nets and budgets, proves the pipeline in seconds; the numbers mean nothing.
    "smoke": dict(sizes=["4,2", "8,4", "16,8"], width_sizes=[], popsize=8, budget_evals=32, eval_every=16,
                  eval_episodes=3, seeds=2, seeds_large=2, ppo_steps=2_048, ppo_eval_every=0, cma_limit_s=900.0,
                  train_missing=True, tuned=False),
    # the whole book in about an hour on 2 cores: 5 seeds, a sixth of the budget, no ~100K width
    "quick": dict(sizes=["64,32", "116,58", "310,155"], width_sizes=["34,17"], popsize=64, budget_evals=5_120,
                  eval_every=2_560, eval_episodes=100, seeds=5, seeds_large=5, ppo_steps=300_000,
                  ppo_eval_every=100_000, cma_limit_s=900.0, train_missing=True,
                  tuned=False),
    # the rendered book: the ten-seed campaign's runs under results/book/runs/ (the book protocol of
    # compute.PROFILES: popsize 64, a solved test every 2,560 episodes), ~30K episodes per run, 10
    # seeds below 50K parameters, 5 above; PPO at 3x the zoo's 1M steps (chapter 6's runs)
    "book": dict(sizes=["64,32", "116,58", "310,155"], width_sizes=["34,17", "436,218"], popsize=64,
                 budget_evals=30_720, eval_every=2_560, eval_episodes=100, seeds=10, seeds_large=5,
                 ppo_steps=3_000_000, ppo_eval_every=100_000, cma_limit_s=3 * 3600.0, train_missing=False,
                 tuned=True),
    # a cluster: the design note's 100K episodes, 20 seeds everywhere
    "full": dict(sizes=["64,32", "116,58", "310,155"], width_sizes=["34,17", "436,218"], popsize=64,
                 budget_evals=102_400, eval_every=2_560, eval_episodes=100, seeds=20, seeds_large=20,
                 ppo_steps=3_000_000, ppo_eval_every=100_000, cma_limit_s=12 * 3600.0, train_missing=True,
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
    eval_every: int | None = None
    """Training episodes between solved tests."""
    eval_episodes: int | None = None
    """Fresh episodes per solved test."""
    seeds: int | list | None = None
    """Number of seeds, or a list of seeds (a number n: seeds 0..n-1)."""
    seeds_large: int | list | None = None
    """Seeds of the cells with 50K parameters or more (the "large" band)."""
    cma_method: str = "torch_cmaes"
    """The full CMA-ES in the CMA-ES row: torch_cmaes (lean, fp32) | cmaes (pycma)."""
    cma_sigma: float = 0.5
    """CMA-ES and sep-CMA-ES initial step size."""
    es_sigma: float = 0.05
    """OpenAI-ES (and Neuromod's inner OpenAI-ES) noise standard deviation."""
    es_lr: float = 0.03
    """OpenAI-ES (and Neuromod) Adam learning rate."""
    ga_sigma: float = 0.05
    """GA mutation power (and the spread of its first generation)."""
    ga_truncation: int | None = None
    """GA parents per generation (None: popsize // 5)."""
    ga_elites: int = 1
    """GA elites carried unmutated (and re-evaluated every generation)."""
    cma_limit_s: float | None = None
    """A full-CMA-ES run predicted to take longer than this (s, one core) is not run."""
    ram_gib: float | None = None
    """Memory limit for full CMA-ES (None: this machine's RAM)."""
    ppo_steps: int | None = None
    """PPO's env-step budget."""
    ppo_eval_every: int | None = None
    """Env steps between PPO's solved tests."""
    processes: int | None = None
    """Runs trained in parallel, one core each (None: all cores)."""
    train_missing: bool | None = None
    """Train runs the results store lacks (False for the book profile: the campaign trains them)."""
    tuned: bool | None = None
    """Use a band's tuning selection once its tuning runs are all stored: a method whose width band's
    fair-rivals tuning is complete (``tuning.selected``) runs with the setting the tuning rule selected
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


def settings_for(p: MethodsParams, row: str, band: str) -> tuple[dict, str]:
    """A grid row's RunConfig fields in one width band, and how they were chosen: the fair-rivals
    tuning's selection once that band's tuning runs are all stored (``p.tuned``), else the chapter's
    own settings (``method_settings``)."""
    from . import tuning

    chosen = tuning.selected(row, band, p.env) if p.tuned else None
    if chosen is None:
        return method_settings(p, row), "the book's earlier setting (its tuning is not complete)"
    trainer = p.cma_method if row == "cmaes" else tuning.TRAINER[row]
    hyper = chosen.get("hyper")
    if row == "cmaes" and trainer != "torch_cmaes":
        hyper = None  # pycma has no "active" switch here: its default is already active CMA
    return dict(method=trainer, sigma0=chosen["sigma0"], hyper=hyper), "selected by the tuning rule"


def config(p: MethodsParams, row: str, hidden, seed: int) -> RunConfig:
    band = band_of(n_params(row, hidden, p.env))
    return RunConfig(env=p.env, hidden=parse_hidden(hidden), popsize=p.popsize, budget_evals=p.budget_evals,
                     eval_every=p.eval_every, eval_episodes=p.eval_episodes, seed=seed,
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
    from . import tuning

    rows = []
    where = results_root() / p.profile / "runs"
    for row in GRID_ROWS:
        for band, hidden in zip(SIZE_NAMES, p.sizes):
            shown, still = _shown(p, row, hidden, p.seed_list(band), where)
            settings, how = settings_for(shown, row, band)
            how = still or how
            rows.append({"Method": LABELS[row], "Band": band, "Setting used": tuning.setting_label(row, settings),
                         "How it was chosen": how})
    return pd.DataFrame(rows)


def ppo_configs(p: MethodsParams) -> list[RunConfig]:
    """PPO on the same task: zoo hyper-parameters, ``ppo_steps`` env steps (shared with chapter 4's runs)."""
    return [RunConfig(method="ppo", env=p.env, budget_steps=p.ppo_steps, eval_every=p.ppo_eval_every,
                      eval_episodes=p.eval_episodes, seed=s) for s in p.seed_list()]


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
                from .parameters import predict_cma

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
                        first=float(tests["eval_return"].iloc[0]),
                        evals_to=float(hit.iloc[0]), steps_to=float(hit_steps.iloc[0]),
                        evals=int(g["evals"].max()), env_steps=int(g["env_steps"].max()),
                        wall_s=float(g["wall_s"].max()), machine=g["machine"].iloc[0]))
    return pd.DataFrame(out, columns=["row", "size", "seed", "n", "band", "final", "best", "first", "evals_to",
                                      "steps_to", "evals", "env_steps", "wall_s", "machine"])


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


# --- the book's verdict vocabulary (experiments.report) --------------------------------------------

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


NEUROMOD_SCOPE = ("plasticity tested here only on LunarLander, which needs no learning within an episode; "
                  "chapter 7 tests learning within an episode, on two small tasks (networks under 1K parameters)")
"""Where the grid's Neuromod verdicts hold and where plasticity was tested instead (its verdicts end with it)."""


def tests(seeds: pd.DataFrame, threshold: float | None = 200.0, repeats: int = 100) -> dict:
    """Every test chapter 5's claimed table rests on, as one Holm family (``stats.family``): per size
    column each pair of methods with ``MIN_SEEDS`` or more seeds (IQM difference of the final return),
    each okay / feasible / promising cell's final return against the task's solved ``threshold``
    (the IQM's CI), and each degraded cell against its next smaller size. Keys: ("pair", size, a, b),
    ("solves", row, size), ("degraded", row, size)."""
    vals = {k: v for k, v in cell_values(seeds).items() if v.size >= MIN_SEEDS}
    p_of = {}
    for size in SIZE_NAMES:
        rows = [r for r in GRID_ROWS if (r, size) in vals]
        for i, a in enumerate(rows):
            for b in rows[i + 1:]:
                p_of[("pair", size, a, b)] = lambda s, x=vals[(a, size)], y=vals[(b, size)]: diff_p(x, y, s)
    for (row, size), claim in CLAIMED_VERDICTS.items():
        if (row, size) not in vals:
            continue
        if claim in ("okay", "feasible", "promising") and threshold is not None:
            p_of[("solves", row, size)] = lambda s, x=vals[(row, size)], t=threshold: iqm_p(x, t, s)
        if claim == "degraded":
            prev = SIZE_NAMES[SIZE_NAMES.index(size) - 1]
            if (row, prev) in vals:
                p_of[("degraded", row, size)] = lambda s, x=vals[(row, size)], y=vals[(row, prev)]: diff_p(x, y, s)
    return family(p_of, repeats)


def family_table(F: dict) -> pd.DataFrame:
    """The family for readers: each test, its raw and Holm-adjusted p-value, how often its decision
    flips with the bootstrap seed, and whether it is resolved."""
    def what(k):
        if k[0] == "pair":
            return f"{LABELS[k[2]]} vs {LABELS[k[3]]}, {k[1]}"
        return f"{LABELS[k[1]]} {k[2]}: " + ("final return against the solved threshold" if k[0] == "solves" else
                                            f"against its {SIZE_NAMES[SIZE_NAMES.index(k[2]) - 1]} size")
    return pd.DataFrame({"What is tested": [what(k) for k in F], "raw p": [f["p"] for f in F.values()],
                         "Holm-adjusted p": [f["p_adj"] for f in F.values()],
                         "share of bootstrap seeds that flip it": [f["flip"] for f in F.values()],
                         "resolved after Holm": [("borderline" if f["borderline"] else "yes" if f["resolved"] else "no")
                                      for f in F.values()]})


def _pair(F: dict, size: str, a: str, b: str) -> dict | None:
    return F.get(("pair", size, a, b)) or F.get(("pair", size, b, a))


def verdicts(seeds: pd.DataFrame, cells: pd.DataFrame, planned: dict | None = None, F: dict | None = None,
             threshold: float | None = 200.0) -> dict:
    """Per (row, size) of the claimed table: a ``report.Verdict`` string against ``CLAIMED_VERDICTS``.

    dominant: confirmed if resolved better than every other method of its column, refuted if another
    is resolved better. bad: confirmed if some method is resolved better, refuted if it is resolved
    better than another and none better than it. okay / feasible / promising: the method solves the
    task at that size -- confirmed when the final return's CI lies above ``threshold``, refuted when
    below, unresolved otherwise. degraded: the row at this size against the next
    smaller one. too expensive: confirmed when chapter 1's cost model predicts one run above this
    machine's memory or above ten times the median run time of the other methods at that size. untested: refined where a resolved test places it
    against another method of its column, else unresolved.
    Cells with fewer than ``MIN_SEEDS`` seeds are unresolved ("n = k of N"). "Resolved" is decided in
    one family over the whole table (``tests``: Holm-adjusted, borderline tests unresolved); ``F`` is
    that family if already computed."""
    vals = cell_values(seeds)
    F = tests(seeds, threshold) if F is None else F
    out = {}
    for (row, size), claim in CLAIMED_VERDICTS.items():
        cell = cells[(cells["row"] == row) & (cells["size"] == size)]
        n_plan = (planned or {}).get((row, size))
        v = vals.get((row, size), np.array([]))
        if len(cell) and not bool(cell["runs"].iloc[0]):
            c = cell.iloc[0]
            number = f"predicted {c.predicted_s / 3600:,.1f} h and {c.predicted_gib:,.0f} GiB for one run on this machine"
            if claim != "too expensive":
                out[(row, size)] = str(report.Verdict("unresolved", number, "not tested: not run here"))
                continue
            # too expensive: over this machine's memory, or over ten times the other methods' median run
            runs_s = seeds.loc[(seeds["size"] == size) & (seeds["row"] != row), "wall_s"].to_numpy(float) \
                if len(seeds) and "wall_s" in seeds else np.array([])
            median_s = float(np.median(runs_s)) if runs_s.size else math.nan
            over_ram, over_time = c.predicted_gib > ram_gib(), c.predicted_s > 10 * median_s
            word = ("confirmed" if over_ram or over_time else
                    "unresolved" if math.isnan(median_s) else "refuted")
            because = (f"not run here; the other methods' runs at this size took {median_s / 3600:,.2f} h (median), "
                       f"so ten times that is {10 * median_s / 3600:,.1f} h; this machine has {ram_gib():,.0f} GiB"
                       if not math.isnan(median_s) else "not run here, and no other method's run at this size to compare")
            out[(row, size)] = str(report.Verdict(word, number, because))
            continue
        number = f"final return {report.over_seeds(v, 0, n_plan)}"
        if v.size < MIN_SEEDS:
            out[(row, size)] = str(report.Verdict("unresolved", number, f"fewer than {MIN_SEEDS} seeds so far"))
            continue
        others = {r: x for (r, s), x in vals.items() if s == size and r != row and x.size >= MIN_SEEDS}
        resolved = {r: bool((f := _pair(F, size, row, r)) and f["resolved"]) for r in others}
        better = [r for r, x in others.items() if resolved[r] and iqm(x) > iqm(v)]
        worse = [r for r, x in others.items() if resolved[r] and iqm(v) > iqm(x)]
        names = lambda rs: ", ".join(LABELS[r] for r in rs)  # noqa: E731
        rivals = [r for r in others if not resolved[r]]
        closest = max(rivals, key=lambda r: iqm(others[r]), default=None)
        if closest is not None:
            c = compare(v, others[closest])
            needs = (f"; against {LABELS[closest]} {report.detectable(c['detectable'], 0, 'return')}, and about "
                     f"{report.num(c['n_needed'])} seeds a side would resolve the observed difference"
                     if np.isfinite(c["n_needed"]) else "")
        else:
            needs = ""
        if claim == "dominant":
            word = "confirmed" if others and len(worse) == len(others) else "refuted" if better else "unresolved"
            because = {"confirmed": "resolved better than every other method of its size",
                       "refuted": f"{names(better)} resolved better",
                       "unresolved": "not resolved better than " + (names(rivals) or "the others") + needs}[word]
        elif claim == "bad":
            word = "confirmed" if better else "refuted" if worse else "unresolved"
            because = {"confirmed": f"{names(better)} resolved better", "refuted": f"resolved better than {names(worse)}",
                       "unresolved": "no difference to the other methods resolved" + needs}[word]
        elif claim in ("okay", "feasible", "promising"):  # solves the task at this size
            f = F.get(("solves", row, size), {})
            above = iqm(v) > (threshold if threshold is not None else np.inf)
            word = "unresolved" if not f.get("resolved") else ("confirmed" if above else "refuted")
            because = {"confirmed": f"solves it: the final return's CI lies above the solved threshold {threshold:g}",
                       "refuted": f"does not solve it: the final return's CI lies below the solved threshold {threshold:g}",
                       "unresolved": (f"the final return's CI contains the solved threshold {threshold:g}"
                                      if threshold is not None else "the task has no solved threshold")}[word]
            if f:
                because += f" (Holm-adjusted p = {f['p_adj']:.2g})"
        elif claim == "degraded":
            prev = SIZE_NAMES[SIZE_NAMES.index(size) - 1]
            pv = vals.get((row, prev), np.array([]))
            if pv.size < MIN_SEEDS:
                word, because = "unresolved", f"fewer than {MIN_SEEDS} seeds at the {prev} size"
            else:
                c = compare(v, pv)
                ok = F.get(("degraded", row, size), {}).get("resolved", False)
                word = "unresolved" if not ok else ("confirmed" if c["diff"] < 0 else "refuted")
                because = f"against its {prev} size: {report.difference(c)}" + (
                    "" if ok else "; " + report.detectable(c["detectable"], 0, "return")
                    + (f", and about {report.num(c['n_needed'])} seeds a side would resolve it"
                       if np.isfinite(c["n_needed"]) else ""))
        else:  # "untested" predicts nothing: refined only where the measurement places it (a resolved test)
            placed = ([f"{names(better)} resolved better"] if better else []) + (
                [f"resolved better than {names(worse)}"] if worse else [])
            word = "refined" if placed else "unresolved"
            because = ("tested here: " + "; ".join(placed)) if placed else (
                "tested here, but no difference to the other methods resolved" + needs)
        out[(row, size)] = str(report.Verdict(word, number, because))
    return {k: f"{v}; {NEUROMOD_SCOPE}" if k[0] == "neuromod" else v for k, v in out.items()}


def _finals_by_width(seeds: pd.DataFrame) -> dict:
    """(row, n) -> the final returns of its seeds."""
    return {(r, n): g["final"].to_numpy(float) for (r, n), g in seeds.groupby(["row", "n"])} if len(seeds) else {}


WIDTH_MIN_N = next(c.min_n for c in CLAIMS if c.id == "d1.above")
"""Fewest seeds a side for a word on chapter 1's claim (declared: a headline comparison needs 10)."""


def width_tests(seeds: pd.DataFrame, a: str = "cmaes", b: str = "openai_es", limit: int = 10_000,
                repeats: int = 100) -> dict:
    """Chapter 1's family (``stats.family``, Holm): up to ``limit`` parameters ``a`` against ``b`` at
    every width both ran (key ("below", n)), above it ``b`` against every other method there (key
    ("above", n, other)); only comparisons with ``WIDTH_MIN_N`` or more seeds a side."""
    vals = {k: v[np.isfinite(v)] for k, v in _finals_by_width(seeds).items()}
    full = lambda x, y: min(x.size, y.size) >= WIDTH_MIN_N  # noqa: E731
    p_of = {("below", n): (lambda s, x=vals[(a, n)], y=vals[(b, n)]: diff_p(x, y, s))
            for (r, n) in vals if r == a and n <= limit and (b, n) in vals and full(vals[(a, n)], vals[(b, n)])}
    p_of.update({("above", n, r): (lambda s, x=vals[(b, n)], y=x_: diff_p(x, y, s))
                 for (r, n), x_ in vals.items() if n > limit and r != b and (b, n) in vals and full(vals[(b, n)], x_)})
    return family(p_of, repeats)


def _holm(rows: list, F: dict | None, key) -> None:
    """Replace each comparison's own resolution by its family's (Holm-adjusted, borderline unresolved)."""
    for r in rows:
        f = (F or {}).get(key(r))
        if F is not None:
            r["resolved"] = bool(f and f["resolved"])
            r["p_adj"] = f["p_adj"] if f else np.nan


def width_verdict(seeds: pd.DataFrame, a: str = "cmaes", b: str = "openai_es", limit: int = 10_000,
                  F: dict | None = None) -> dict:
    """Chapter 1's claim "full CMA-ES dominates up to ~10K parameters, OpenAI-ES beyond": per size
    both rows ran, ``stats.compare`` of their final returns; the verdict and the crossover n (NaN:
    none in range) with its bootstrap CI."""
    vals = _finals_by_width(seeds)
    ns = sorted(n for (r, n) in vals if r == a and (b, n) in vals)
    rows = [dict(n=n, **compare(vals[(a, n)], vals[(b, n)])) for n in ns]
    _holm(rows, F, lambda r: ("below", r["n"]))
    table = pd.DataFrame(rows)
    xo = crossover_n(seeds, a, b, "final") if ns else dict(n=np.nan, lo=np.nan, hi=np.nan)
    full = [r for r in rows if min(r["n_x"], r["n_y"]) >= WIDTH_MIN_N]
    below = [r for r in full if r["n"] <= limit]
    if not below:
        word, because = "unresolved", f"no size with {WIDTH_MIN_N} or more seeds of both methods yet"
    elif all(r["resolved"] and r["diff"] > 0 for r in below):
        word, because = "confirmed", f"{LABELS[a]} resolved better at every size up to {max(r['n'] for r in below):,}"
    elif any(r["resolved"] and r["diff"] < 0 for r in below):
        first = min(r["n"] for r in below if r["resolved"] and r["diff"] < 0)
        word, because = "refuted", f"{LABELS[b]} resolved better already at {first:,} parameters"
    elif any(r["resolved"] and r["diff"] > 0 for r in below):
        ok = [r["n"] for r in below if r["resolved"] and r["diff"] > 0]
        word, because = "refined", f"{LABELS[a]} resolved better only at {', '.join(f'{n:,}' for n in ok)} parameters"
    else:
        worst = max(r["detectable"] for r in below)
        word, because = "unresolved", "no size resolved; " + report.detectable(worst, 0, "return")
    at = min(below, key=lambda r: abs(np.log(r["n"] / 2_788))) if below else None
    adj = f", Holm-adjusted p = {at['p_adj']:.2g}" if at and np.isfinite(at.get("p_adj", np.nan)) else ""
    number = ("IQM difference CMA-ES − OpenAI-ES at {:,} parameters {} (n = {} vs {}{})".format(
        at["n"], report.ci(at["diff"], at["diff_lo"], at["diff_hi"], 0, sign=True), at["n_x"], at["n_y"], adj)
        if at else "no sizes yet")
    return dict(verdict=str(report.Verdict(word, number, because)), table=table, crossover=xo, limit=limit)


def width_beyond(seeds: pd.DataFrame, b: str = "openai_es", limit: int = 10_000, F: dict | None = None) -> dict:
    """The claim's second half, "OpenAI-ES beyond ~10K parameters": at every width above ``limit``,
    ``stats.compare`` of ``b``'s final returns against each other method that ran there (full CMA-ES
    does not run there on this machine). Confirmed when ``b`` is resolved better than every other
    method at every such width with ``WIDTH_MIN_N`` seeds or more each; refuted when another method is resolved
    better than ``b`` somewhere; refined when ``b`` beats some but not all; else unresolved, with
    the smallest difference the data could detect."""
    vals = _finals_by_width(seeds)
    rows = [dict(n=n, other=r, **compare(vals[(b, n)], x)) for (r, n), x in sorted(vals.items(), key=lambda kv: kv[0][1])
            if n > limit and r != b and (b, n) in vals]
    _holm(rows, F, lambda r: ("above", r["n"], r["other"]))
    table = pd.DataFrame(rows)
    full = [r for r in rows if min(r["n_x"], r["n_y"]) >= WIDTH_MIN_N]
    worse = [r for r in full if r["resolved"] and r["diff"] < 0]
    better = [r for r in full if r["resolved"] and r["diff"] > 0]
    if not full:
        word, because = "unresolved", (f"{len(rows)} comparison(s) so far, each with fewer than {WIDTH_MIN_N} seeds a "
                                       f"side (a headline comparison needs {WIDTH_MIN_N})" if rows else
                                       f"no runs of {LABELS[b]} and another method above {limit:,} stored yet")
    elif worse:
        r = min(worse, key=lambda r: r["n"])
        word, because = "refuted", f"{LABELS[r['other']]} resolved better at {r['n']:,} parameters"
    elif len(better) == len(full):
        word, because = "confirmed", (f"{LABELS[b]} resolved better than every other method at every width up to "
                                      f"{max(r['n'] for r in full):,}")
    elif better:
        word, because = "refined", f"{LABELS[b]} resolved better only than " + ", ".join(
            f"{LABELS[r['other']]} at {r['n']:,}" for r in better)
    else:
        word, because = "unresolved", "no difference resolved; " + report.detectable(
            max(r["detectable"] for r in full), 0, "return")
    def at(r):  # one comparison: width, IQM difference [CI], seeds
        return (f"at {r['n']:,} parameters {report.ci(r['diff'], r['diff_lo'], r['diff_hi'], 0, sign=True)} "
                f"(n = {r['n_x']} vs {r['n_y']})")

    number = ", ".join(f"vs {LABELS[r['other']]} {at(r)}" for r in full)
    number = (f"IQM difference of {LABELS[b]} {number}" if full else
              f"no width above {limit:,} parameters with {WIDTH_MIN_N} or more seeds of both methods yet")
    low = min(full, key=lambda r: r["diff"]) if full else None
    short = (f"{LABELS[b]} − {LABELS[low['other']]} {at(low)}, the smallest of {len(full)} differences"
             if full else number)
    return dict(verdict=str(report.Verdict(word, number, because)), table=table, short=short, limit=limit)


def width_claim(below: dict, above: dict) -> str:
    """Chapter 1's whole claim from its two halves, ``width_verdict`` (up to its ``limit``) and
    ``width_beyond`` (above its ``limit``): the word ``report.overall`` gives the pair, then each
    half's word and its number (the half above by its smallest difference)."""
    lo, hi = (report.parse_verdict(v["verdict"]) for v in (below, above))
    whole = report.overall([lo, hi], "halves")
    number = (f"up to {below['limit'] // 1000}K {lo.word}, {lo.number}, "
              f"and above {above['limit'] // 1000}K {hi.word}, {above['short']}")
    return str(report.Verdict(whole.word, number, whole.because))


# --- what chapter 5 shows ---------------------------------------------------------------------------

def planned(p: MethodsParams, cells: pd.DataFrame) -> dict:
    """(row, size) -> seeds planned for each runnable cell."""
    return {(c.row, c.size): len(p.seed_list(c.band)) for c in cells[cells["runs"]].itertuples()}


def word(verdict: str) -> str:
    return verdict.split(":", 1)[0]


def headline(V: dict) -> str:
    """One line for the whole claimed table: how many cells got which word."""
    counts = {w: sum(word(v) == w for v in V.values()) for w in report.WORDS}
    return f"of the claim's {len(V)} cells, " + ", ".join(f"{counts[w]} {w}" for w in report.WORDS if counts[w])


def grid_table(seeds: pd.DataFrame, cells: pd.DataFrame, V: dict, PB: pd.Series, plan_n: dict,
               threshold: float | None) -> pd.DataFrame:
    """Per cell, for readers: parameters, final return (IQM [CI] or the values, n), seeds that
    reached the threshold, P(best in its column), the claim and our verdict."""
    rows = []
    for c in cells.itertuples():
        g = seeds[(seeds["row"] == c.row) & (seeds["size"] == c.size)] if len(seeds) else seeds
        n_plan = plan_n.get((c.row, c.size))
        rows.append({
            "method": LABELS[c.row], "size": c.size, "parameters": report.num(c.n),
            "final return": report.over_seeds(g["final"] if len(g) else [], 0, n_plan) if c.runs else "not run",
            f"seeds reaching {threshold:g}": f"{int(np.isfinite(g['evals_to']).sum())} of {len(g)}" if len(g) else report.DASH,
            "P(best)": report.num(PB.get((c.row, c.size)), 2),
            "claim": CLAIMED_VERDICTS.get((c.row, c.size), report.DASH),
            "verdict": word(V[(c.row, c.size)]) if (c.row, c.size) in V else report.DASH,
        })
    return pd.DataFrame(rows).set_index(["method", "size"])


def heatmap(seeds: pd.DataFrame, cells: pd.DataFrame, V: dict, PB: pd.Series, plan_n: dict, machines):
    """P(best in its size column) per method and size; text: final return, claim -> verdict."""
    import matplotlib.pyplot as plt

    from .. import plots

    plots.style()
    rows_, sizes_ = list(GRID_ROWS), list(SIZE_NAMES)
    vals = np.full((len(rows_), len(sizes_)), np.nan)
    fig, ax = plt.subplots(figsize=(11, 5.4))
    for i, r in enumerate(rows_):
        for j, z in enumerate(sizes_):
            vals[i, j] = PB.get((r, z), np.nan)
            c = cells[(cells["row"] == r) & (cells["size"] == z)]
            g = seeds[(seeds["row"] == r) & (seeds["size"] == z)] if len(seeds) else seeds
            text = report.over_seeds(g["final"] if len(g) else [], 0, plan_n.get((r, z))) if c["runs"].any() else "not run"
            if (r, z) in CLAIMED_VERDICTS:
                text += f"\nclaim: {CLAIMED_VERDICTS[(r, z)]} → {word(V[(r, z)])}"
            dark = vals[i, j] > 0.6  # white text where the green is too dark for black
            ax.text(j, i, text.replace(" (n", "\n(n"), ha="center", va="center", fontsize=7,
                    color="white" if dark else "black")
    im = ax.imshow(np.ma.masked_invalid(vals), cmap="Greens", vmin=0, vmax=1, aspect="auto")
    ax.set_facecolor("0.9")
    ns = {z: ", ".join(f"{n:,}" for n in sorted(set(cells.loc[cells["size"] == z, "n"]))) for z in sizes_}
    ax.set_xticks(range(len(sizes_)), [f"{z}\n({ns[z]} parameters)" for z in sizes_], fontsize=8)
    ax.set_yticks(range(len(rows_)), [LABELS[r] for r in rows_])
    ax.grid(False)
    ax.set_title("P(best in its column): bootstrap over seeds of each cell's IQM final return", fontsize=9)
    fig.colorbar(im, ax=ax, shrink=0.8, label="P(best)")
    if len(seeds):
        plots.caption_machine(fig, machines)
    fig.tight_layout(rect=(0, 0.04, 1, 1))
    return fig


def curves(grid: pd.DataFrame, cells: pd.DataFrame, threshold: float | None):
    """Solved-test return against training episodes, one panel per size (IQM bands from 5 seeds)."""
    import matplotlib.pyplot as plt

    from .. import plots

    plots.style()
    fig, axes = plt.subplots(1, 3, figsize=(14, 4.2), sharey=True)
    for ax, z in zip(axes, SIZE_NAMES):
        for i, r in enumerate(GRID_ROWS):
            d = grid[(grid["row"] == r) & (grid["size"] == z)] if len(grid) else grid
            if len(d):
                plots.band(ax, d, "evals", "eval_return", LABELS[r], color=f"C{i}")
        plots.solved_line(ax, threshold)
        ns = ", ".join(f"{n:,}" for n in sorted(set(cells.loc[cells["size"] == z, "n"])))
        ax.set(xlabel="training episodes", title=f"{z} ({ns} parameters)")
    axes[0].set_ylabel("solved-test return")
    axes[0].legend(fontsize=7, loc="lower right")
    if len(grid):
        plots.caption_machine(fig, grid["machine"])
    fig.tight_layout(rect=(0, 0.04, 1, 1))
    return fig


def width_table(seeds: pd.DataFrame, cells: pd.DataFrame, plan_n: dict, WV: dict) -> pd.DataFrame:
    """Chapter 1's width sweep for readers: per method and width the final return (IQM [CI] or the
    values, with n of planned) and, where CMA-ES and OpenAI-ES both ran, P(CMA-ES > OpenAI-ES)."""
    p_at = {int(r.n): report.ci(r.p, r.p_lo, r.p_hi, 2) for r in WV["table"].itertuples()} if len(WV["table"]) else {}
    rows = []
    for c in cells.sort_values(["n", "row"]).itertuples():
        g = seeds[(seeds["row"] == c.row) & (seeds["size"] == c.size)] if len(seeds) else seeds
        rows.append({"parameters": report.num(c.n), "method": LABELS[c.row],
                     "final return": report.over_seeds(g["final"] if len(g) else [], 0, plan_n.get((c.row, c.size)))
                     if c.runs else "not run (too expensive here)",
                     "P(CMA-ES > OpenAI-ES)": p_at.get(int(c.n), report.DASH) if c.row == "cmaes" else ""})
    return pd.DataFrame(rows).set_index(["parameters", "method"])


def width_figure(seeds: pd.DataFrame, cells: pd.DataFrame, WV: dict, threshold: float | None):
    """Final return against n per method: IQM with 95 % CI from 5 seeds, else each seed's value;
    the crossover n and its CI where one is resolved."""
    import matplotlib.pyplot as plt

    from .. import plots

    plots.style()
    fig, ax = plt.subplots(figsize=(10, 4.4))
    for i, m in enumerate(WIDTH_ROWS):
        g = seeds[seeds["row"] == m] if len(seeds) else seeds
        pts = [(n, iqm_ci(v["final"])) for n, v in g.groupby("n") if len(v) >= MIN_SEEDS]
        if pts:
            n_, t = zip(*pts)
            y = np.array(t)
            ax.errorbar(n_, y[:, 0], yerr=[y[:, 0] - y[:, 1], y[:, 2] - y[:, 0]], marker="o", capsize=3,
                        color=f"C{i}", label=LABELS[m])
        few = g[g.groupby("n")["seed"].transform("size") < MIN_SEEDS] if len(g) else g
        if len(few):
            ax.plot(few["n"], few["final"], "x", color=f"C{i}", alpha=0.7,
                    label=f"{LABELS[m]} (each seed, < {MIN_SEEDS} seeds)")
        for n_x in cells.loc[(cells["row"] == m) & ~cells["runs"], "n"]:
            ax.annotate(f"{LABELS[m]}: too expensive here", (n_x, 0.02), xycoords=("data", "axes fraction"),
                        xytext=(-9, 0), textcoords="offset points", rotation=90, fontsize=7, color=f"C{i}", ha="center", va="bottom")
    xo = WV["crossover"]
    if math.isfinite(xo.get("n", math.nan)) and xo["n"] > 0:
        ax.axvline(xo["n"], color="0.3", linestyle=":", linewidth=1)
        if math.isfinite(xo["lo"]):
            ax.axvspan(xo["lo"], xo["hi"], color="0.5", alpha=0.12, linewidth=0)
    plots.solved_line(ax, threshold)
    ax.set(xscale="log", xlabel="parameters n", ylabel="final solved-test return",
           title="the same episode budget at every width")
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1))  # outside: it hid the "too expensive" notes
    if len(seeds):
        plots.caption_machine(fig, seeds["machine"])
    fig.tight_layout(rect=(0, 0.04, 1, 1))
    return fig
