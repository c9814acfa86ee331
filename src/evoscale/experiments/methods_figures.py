"""What chapters 1 and 5 show of the methods grid: the tables and figures for readers.

Chapter 5: ``grid_table`` and ``heatmap`` (each claimed cell with its verdict's word), ``curves``.
Chapter 1: ``width_table`` and ``width_figure`` (the width sweep with its crossover).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from ..stats import MIN_SEEDS, iqm_ci
from . import report
from .methods import GRID_ROWS, LABELS, SIZE_NAMES, WIDTH_ROWS
from .methods_verdicts import CLAIMED_VERDICTS


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
            "verdict": V[(c.row, c.size)].word if (c.row, c.size) in V else report.DASH,
        })
    return pd.DataFrame(rows).set_index(["method", "size"])


def heatmap(seeds: pd.DataFrame, cells: pd.DataFrame, V: dict, PB: pd.Series, plan_n: dict, machines):
    """P(best in its size column) per method and size; text: final return, claim -> verdict."""
    import matplotlib.pyplot as plt

    from .. import plots

    plots.style()
    rows_, sizes_ = list(GRID_ROWS), list(SIZE_NAMES)
    vals = np.full((len(rows_), len(sizes_)), np.nan)
    fig, ax = plt.subplots(figsize=(plots.WIDTH, 6.8))
    for i, r in enumerate(rows_):
        for j, z in enumerate(sizes_):
            vals[i, j] = PB.get((r, z), np.nan)
            c = cells[(cells["row"] == r) & (cells["size"] == z)]
            g = seeds[(seeds["row"] == r) & (seeds["size"] == z)] if len(seeds) else seeds
            text = report.over_seeds(g["final"] if len(g) else [], 0, plan_n.get((r, z))) if c["runs"].any() else "not run"
            if (r, z) in CLAIMED_VERDICTS:
                text += f"\nclaim: {CLAIMED_VERDICTS[(r, z)]}\n→ {V[(r, z)].word}"
            dark = vals[i, j] > 0.6  # white text where the green is too dark for black
            ax.text(j, i, text.replace(" (n", "\n(n"), ha="center", va="center",
                    color="white" if dark else "black")
    im = ax.imshow(np.ma.masked_invalid(vals), cmap="Greens", vmin=0, vmax=1, aspect="auto")
    ax.set_facecolor("0.9")
    ns = {z: ", ".join(f"{n:,}" for n in sorted(set(cells.loc[cells["size"] == z, "n"]))) for z in sizes_}
    ax.set_xticks(range(len(sizes_)), [f"{z}\n({ns[z]}\nparameters)" for z in sizes_])
    ax.set_yticks(range(len(rows_)), [LABELS[r] for r in rows_])
    ax.grid(False)
    ax.set_title("P(best in its column)")
    fig.colorbar(im, ax=ax, shrink=0.8, label="P(best)")
    plots.finish(fig, machines if len(seeds) else [])
    return fig


def curves(grid: pd.DataFrame, cells: pd.DataFrame, threshold: float | None):
    """Solved-test return against training episodes, one panel per size (IQM bands from 5 seeds)."""
    import matplotlib.pyplot as plt

    from .. import plots

    plots.style()
    fig, axes = plt.subplots(len(SIZE_NAMES), 1, figsize=(plots.WIDTH, 3.0 * len(SIZE_NAMES) + 0.6), sharex=True,
                             sharey=True)
    for ax, z in zip(axes, SIZE_NAMES):
        for r in GRID_ROWS:
            d = grid[(grid["row"] == r) & (grid["size"] == z)] if len(grid) else grid
            if len(d):
                plots.band(ax, d, "evals", "test_return", LABELS[r], color=plots.color(r))
        plots.solved_line(ax, threshold)
        ns = ", ".join(f"{n:,}" for n in sorted(set(cells.loc[cells["size"] == z, "n"])))
        ax.set(ylabel="solved-test return", title=f"{z} ({ns} parameters)")
    axes[-1].set_xlabel("training episodes")
    plots.legend_right(axes[0])
    plots.finish(fig, grid["machine"] if len(grid) else [])
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


FRONTIER_ROWS = {"openai_es": "OpenAI-ES, two equal layers", "lowrank_es": "low-rank ES (rank 1)"}
"""The widths beyond 100K in chapter 1's figure (``frontier.per_seed``'s ES; PPO, on its own env-step
budget, stays in the table): the same protocol on two equal hidden layers (the low-rank ES also at the
widest network of the sweep), dashed."""


def width_figure(seeds: pd.DataFrame, cells: pd.DataFrame, WV: dict, threshold: float | None,
                 frontier: pd.DataFrame | None = None):
    """Final return against n per method: IQM with 95 % CI from 5 seeds, else each seed's value;
    the crossover n and its CI where one is resolved; a hollow triangle on the x axis where a method was
    too expensive to run. ``frontier`` (``frontier.per_seed``): the widths beyond 100K, dashed, where
    runs are stored."""
    import matplotlib.pyplot as plt

    from .. import plots

    plots.style()
    fig, ax = plt.subplots(figsize=(plots.WIDTH, 5.6))
    beyond = pd.DataFrame(columns=["method", "width", "seed", "final", "machine"]) if frontier is None else frontier
    beyond = beyond[beyond["method"].isin(list(FRONTIER_ROWS)) & np.isfinite(beyond["final"].astype(float))]
    for m in WIDTH_ROWS:
        g = seeds[seeds["row"] == m] if len(seeds) else seeds
        _series(ax, g, m, LABELS[m], "-")
        not_run = cells.loc[(cells["row"] == m) & ~cells["runs"], "n"]
        if len(not_run):  # a hollow triangle on the x axis, named in the legend (a text there crossed the data)
            ax.plot(not_run, [0.0] * len(not_run), "^", transform=ax.get_xaxis_transform(), color=plots.color(m),
                    fillstyle="none", markersize=9, markeredgewidth=1.5, linestyle="none", clip_on=False,
                    label=f"{LABELS[m]}: not run (too expensive)")
    for m, label in FRONTIER_ROWS.items():
        _series(ax, beyond[beyond["method"] == m].rename(columns={"width": "n"}), m, label, "--")
    xo = WV["crossover"]
    if math.isfinite(xo.get("n", math.nan)) and xo["n"] > 0:
        ax.axvline(xo["n"], color="0.3", linestyle=":", linewidth=1)
        if math.isfinite(xo["lo"]):
            ax.axvspan(xo["lo"], xo["hi"], color="0.5", alpha=0.12, linewidth=0)
    plots.solved_line(ax, threshold)
    ax.set(xscale="log", xlabel="parameters n (log)", ylabel="final solved-test return",
           title="the same episode budget at every width")
    h, lab = ax.get_legend_handles_labels()  # the methods, their single seeds, the reference line, the not-run marks
    order = sorted(range(len(lab)), key=lambda k: 0.5 * ("each seed" in lab[k]) + ("solved" in lab[k])
                   + 2 * ("not run" in lab[k]))
    plots.legend_below(ax, ncol=2, handles=[h[k] for k in order], labels=[lab[k] for k in order])  # off the data
    plots.finish(fig, [*(seeds["machine"] if len(seeds) else []), *beyond["machine"]])
    return fig


def _series(ax, g: pd.DataFrame, m: str, label: str, linestyle: str) -> None:
    """One method's final returns against n (columns n, seed, final): IQM with 95 % CI where a width has
    5 seeds or more, each seed's value (crosses) where it has fewer."""
    from .. import plots

    pts = [(n, iqm_ci(v["final"])) for n, v in g.groupby("n") if len(v) >= MIN_SEEDS] if len(g) else []
    if pts:
        n_, t = zip(*pts)
        y = np.array(t)
        ax.errorbar(n_, y[:, 0], yerr=[y[:, 0] - y[:, 1], y[:, 2] - y[:, 0]], marker="o", capsize=3,
                    color=plots.color(m), linestyle=linestyle, label=label)
    few = g[g.groupby("n")["seed"].transform("size") < MIN_SEEDS] if len(g) else g
    if len(few):
        ax.plot(few["n"], few["final"], "x", color=plots.color(m), alpha=0.7,
                label=f"{label} (each seed, < {MIN_SEEDS} seeds)")
