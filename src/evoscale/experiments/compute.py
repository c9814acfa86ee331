"""Dimension 3 -- compute scaling: score vs evaluations for CMA-ES on LunarLander.

``ComputeParams`` mirrors the chapter's papermill parameters cell field by field; ``None`` means
"the profile's default" (``PROFILES``). ``run`` returns tidy per-generation records of all seeds
(these three live in ``cma_runs``: chapters 2 and 4 reuse the runs), ``summarise`` the numbers the
chapter's verdicts quote (judged in ``compute_verdicts``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..envs import get_spec
from ..stats import compare
from . import report
from .cma_runs import PROFILES, ComputeParams, params, run, where  # noqa: F401 (the chapter's entry point)

CLAIMED_CURVE = pd.DataFrame(
    # The design note's ASCII plot ("Phase 7", Dimension 3), read off by hand: x from the axis
    # labels (2K ... 100K), y from the row labels. Approximate by construction; shown as a claim.
    [(1_000, -100), (5_000, -50), (12_500, 0), (20_000, 80), (35_000, 120), (50_000, 160), (82_500, 240),
     (100_000, 280)],
    columns=["evals", "score"],
)


def window(budget: int) -> tuple[tuple[float, float], tuple[float, float]]:
    """The two stretches whose marginal gains the claim compares: 40-50K and 90-100K evaluations
    for a budget of at least 100K; for a shorter budget B the same fractions, 0.4-0.5 B and 0.9-1.0 B."""
    if budget >= 100_000:
        return (40_000, 50_000), (90_000, 100_000)
    return (0.4 * budget, 0.5 * budget), (0.9 * budget, budget)


def per_seed(df: pd.DataFrame, threshold: float | None) -> pd.DataFrame:
    """One row per seed: final solved-test return, evaluations to the threshold (NaN: not reached),
    and the solved-test return gained per 10K evaluations in the early and the late stretch."""
    rows = []
    budget = int(df.groupby("seed")["evals"].max().min())
    early, late = window(budget)
    for seed, g in df.groupby("seed"):
        t = g[np.isfinite(g["test_return"])].sort_values("evals")
        x, y = t["evals"].to_numpy(float), t["test_return"].to_numpy(float)
        gain = lambda a, b: (np.interp(b, x, y) - np.interp(a, x, y)) / ((b - a) / 1e4)  # noqa: E731
        hit = t.loc[t["test_return"] >= threshold, "evals"] if threshold is not None else t["evals"].iloc[:0]
        rows.append(dict(seed=seed, final=y[-1], evals_to=float(hit.min()) if len(hit) else np.nan,
                         gain_early=gain(*early), gain_late=gain(*late), evals=int(g["evals"].max()),
                         env_steps=int(g["env_steps"].max()), wall_s=float(g["wall_s"].max())))
    return pd.DataFrame(rows)


def summarise(df: pd.DataFrame | None, env: str, check: pd.DataFrame | None = None,
              planned: int | None = None, costs: pd.DataFrame | None = None) -> dict:
    """The chapter's numbers: per-seed finals, solves and marginal gains (their late-minus-early
    differences are judged in ``compute_verdicts``); the cross-check against pycma at pycma's budget. ``opt_fraction``:
    ask + tell's share of the recorded time (beside other work); ``opt_fraction_idle``: the same share
    modelled from idle-core unit costs (``costs``, chapter 6's table: seconds per env step evaluated
    and per generation of ask + tell) applied to these runs' env steps and generations (NaN without)."""
    threshold = get_spec(env).solved
    out = dict(n_seeds=0, planned=planned, threshold=threshold, seeds=pd.DataFrame(), check=None, machine="")
    if check is not None and not check.empty:
        at = int(check["evals"].max())  # the main runs' solved test interpolated at the check's budget
        main = [] if df is None else [np.interp(at, t["evals"], t["test_return"]) for _, t in
                                      df[np.isfinite(df["test_return"]) & (df["evals"] <= at + 2_560)].groupby("seed")]
        cut = per_seed(check, threshold)
        out["check"] = dict(at=at, main=np.asarray(main), pycma=cut["final"].to_numpy(),
                            cmp=compare(main, cut["final"]), machine="; ".join(sorted(check["machine"].unique())))
    if df is None or df.empty:
        return out
    seeds = per_seed(df, threshold)
    budget = int(seeds["evals"].min())
    out.update(
        n_seeds=len(seeds), seeds=seeds, budget_evals=budget, windows=window(budget),
        n_params=int(df["n_params"].iloc[0]), popsize=int(df["popsize"].iloc[0]), method=df["method"].iloc[0],
        n_solved=int(np.isfinite(seeds["evals_to"]).sum()),
        env_steps_per_eval=float((seeds["env_steps"] / seeds["evals"]).mean()),
        wall_s_per_seed=float(seeds["wall_s"].mean()),
        opt_fraction=float(df["opt_s"].sum() / (df["opt_s"].sum() + df["pop_eval_s"].sum())),
        opt_fraction_idle=_idle_fraction(df, env, costs),
        machine="; ".join(sorted(df["machine"].unique())),
    )
    return out


def _idle_fraction(df: pd.DataFrame, env: str, costs: pd.DataFrame | None) -> float:
    """ask + tell's share of the training time, modelled from idle-core unit costs (NaN without them)."""
    if costs is None:
        return float("nan")
    row = costs[(costs["method"] == df["method"].iloc[0]) & (costs["env"] == env)]
    if row.empty:
        return float("nan")
    last = df.sort_values("evals").groupby("seed").tail(1)
    opt = (last["evals"] / last["popsize"]).sum() * float(row["serial_s_per_gen"].iloc[0])
    return float(opt / (opt + last["env_steps"].sum() * float(row["eval_s_per_step"].iloc[0])))


def figure(df: pd.DataFrame | None, S: dict, P: ComputeParams):
    """Left: the solved-test return against evaluations (IQM and 95 % band, or each seed below 5
    seeds), the population's training mean, the claimed curve, the two stretches of the verdict.
    Right: each seed's return gained per 10K evaluations in the early and the late stretch."""
    import matplotlib.pyplot as plt

    from .. import plots

    plots.style()
    fig, (ax, ax2) = plt.subplots(1, 2, figsize=(plots.WIDTH, 4.8), gridspec_kw={"width_ratios": [3, 2]})
    colour = plots.color(P.method)
    if df is not None and not df.empty:
        plots.band(ax, df, "evals", "test_return", f"solved test: mean of {P.test_episodes} fresh episodes",
                   color=colour)
        plots.band(ax, df, "evals", "mean_return", "population mean (training episodes)", color=colour,
                   linestyle=":")
        for (a, b), name in zip(S["windows"], ("early", "late")):
            ax.axvspan(a, b, color="0.85", alpha=0.5, linewidth=0)
            ax.text((a + b) / 2, 0.02, name, transform=ax.get_xaxis_transform(), ha="center")
        seeds = S["seeds"]
        for r in seeds.itertuples():
            ax2.plot([0, 1], [r.gain_early, r.gain_late], "o-", color=colour, alpha=0.5, ms=4)
        ax2.axhline(0, color="0.3", linewidth=0.8)
    else:
        ax.text(0.5, 0.5, f"no runs stored yet (n = 0 of {S['planned']})", transform=ax.transAxes, ha="center")
    ax.plot(CLAIMED_CURVE["evals"], CLAIMED_CURVE["score"], "o--", color="0.55", ms=4, label="claimed (read off)")
    plots.solved_line(ax, S["threshold"])
    ax.set(xlabel="evaluations (training episodes)", ylabel="return")
    ax2.set(xticks=[0, 1], xticklabels=["early", "late"], xlim=(-0.3, 1.3),
            ylabel="return gained per 10K evaluations", title="marginal gain, each seed")
    fig.suptitle(f"{plots.METHOD_LABELS.get(P.method, P.method)} on {P.env}, {S.get('n_params', 0):,} parameters, "
                 f"n = {S['n_seeds']} of {S['planned']} seeds", fontweight="bold")
    plots.legend_below(ax, ncol=1)
    plots.finish(fig, [] if df is None or df.empty else df["machine"])
    return fig


def seeds_table(S: dict) -> pd.DataFrame:
    """Per seed, for readers: final return, evaluations to the threshold, the two marginal gains."""
    t = S["seeds"]
    if t.empty:
        return pd.DataFrame()
    return pd.DataFrame({
        "seed": t["seed"],
        "final solved-test return": t["final"].map(lambda v: report.num(v, 1)),
        f"evaluations to {S['threshold']:g}": t["evals_to"].map(report.num),
        "gain per 10K evals, early": t["gain_early"].map(lambda v: report.num(v, 1, sign=True)),
        "gain per 10K evals, late": t["gain_late"].map(lambda v: report.num(v, 1, sign=True)),
        "env steps": t["env_steps"].map(report.num),
    }).set_index("seed")
