"""One plotting style for the whole book: IQM lines with 95 % bootstrap bands, solved lines dashed."""

from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd
import seaborn as sns

from .stats import MIN_SEEDS, curve_band


def style() -> None:
    sns.set_theme(context="notebook", style="whitegrid", palette="colorblind")
    plt.rcParams.update({"figure.figsize": (7.5, 4.2), "figure.dpi": 110, "axes.titleweight": "bold"})


def band(ax, df: pd.DataFrame, x: str, y: str, label: str, color=None, grid=None, **line_kw):
    """Plot the IQM of ``y`` over seeds against ``x`` with its CI band; return the band's table.
    With fewer than ``stats.MIN_SEEDS`` seeds no IQM or band is drawn: each seed's own curve, thin,
    labelled "n = k"."""
    seeds = df["seed"].unique() if "seed" in df else []
    if 0 < len(seeds) < MIN_SEEDS:
        line = None
        for i, s in enumerate(seeds):
            g = df[(df["seed"] == s) & df[y].notna()].sort_values(x)
            (line,) = ax.plot(g[x], g[y], color=color if line is None else line.get_color(), linewidth=0.9,
                              alpha=0.8, label=f"{label} (each seed, n = {len(seeds)})" if i == 0 else None,
                              **line_kw)
        return None
    b = curve_band(df, x, y, grid=grid)
    (line,) = ax.plot(b[x], b["iqm"], label=label, color=color, **line_kw)
    ax.fill_between(b[x], b["lo"], b["hi"], color=line.get_color(), alpha=0.2, linewidth=0)
    return b


def solved_line(ax, threshold: float | None, label: str = "solved") -> None:
    if threshold is not None:
        ax.axhline(threshold, color="0.3", linestyle="--", linewidth=1, label=f"{label} ({threshold:g})")


def caption_machine(fig, machines) -> None:
    """Name the machine(s) the plotted results came from, bottom right of the figure
    (leave room with ``fig.tight_layout(rect=(0, 0.04, 1, 1))``)."""
    names = sorted(set(machines))
    fig.text(0.99, 0.01, "ran on: " + "; ".join(names), ha="right", va="bottom", fontsize=7, color="0.4")
