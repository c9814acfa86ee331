"""One plotting style for the whole book: IQM lines with 95 % bootstrap bands, solved lines dashed,
one colour per method (``METHOD_COLORS``), text readable at page width (``finish``)."""

from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd
import seaborn as sns

from .labels import METHOD_LABELS  # noqa: F401 (each method's name beside its colour; compute, synthesis)
from .stats import MIN_SEEDS, curve_band

COLUMN_PX = 660
"""How wide the book shows a figure, in CSS px (a glued figure in sphinx-book-theme's content column,
window 1280 px wide, measured in chromium): a wider figure is scaled down to it."""
MIN_PT = 9.0
"""The smallest text a figure may show, in points as rendered at ``COLUMN_PX``."""
WIDTH = 7.5
"""A full-width figure's width in inches (at most two panels side by side): scaled down to
``COLUMN_PX``, its 10.5 pt tick labels render at about 9.6 pt."""

METHOD_COLORS = {
    "cmaes": "#0173b2", "torch_cmaes": "#0173b2", "cma": "#0173b2",  # CMA-ES, whichever implementation
    "sepcmaes": "#56b4e9",
    "openai_es": "#029e73",
    "lowrank_es": "#aa4499",
    "ga": "#999933",
    "ppo": "#d55e00",
    "neuromod": "#cc78bc",
    "mlp": "#ca9161",
    "recurrent": "#882255",
    "recurrent_ppo": "#332288",
}
"""Each method's colour in every figure of the book (keys: the methods' code names; colours of the seaborn
"colorblind" palette and Paul Tol's muted one, chosen so that the methods drawn together differ,
PPO's vermillion from every ES). Grey and black are left to reference lines (solved thresholds,
claims, baselines)."""


def color(method: str) -> str:
    """The book's colour of ``method`` (a code name in ``METHOD_COLORS``; any other is a KeyError, so a
    new method gets its colour here, once, not a palette index in a chapter)."""
    return METHOD_COLORS[method]


def series(i: int) -> dict:
    """Line keywords for the ``i``-th series of a figure whose series are not methods (tasks, backends,
    models): no method's colour (``METHOD_COLORS``), a marker and a line style each."""
    return dict(color=("0.1", "0.45")[i % 2], marker="os^Dv"[i % 5], linestyle=("-", "--", ":", "-.")[i % 4])


def style() -> None:
    sns.set_theme(context="notebook", style="whitegrid", palette="colorblind")
    plt.rcParams.update({"figure.figsize": (WIDTH, 4.4), "figure.dpi": 110, "axes.titleweight": "bold",
                         "font.size": 11, "axes.titlesize": 11.5, "axes.labelsize": 11, "xtick.labelsize": 10.5,
                         "ytick.labelsize": 10.5, "legend.fontsize": 10.5, "legend.title_fontsize": 10.5,
                         "figure.titlesize": 11.5})


def rendered_pt(fig, size: float) -> float:
    """Text of ``size`` points in ``fig`` as rendered in the content column (a figure wider than the
    column is scaled down to it; a narrower one is shown as drawn)."""
    drawn_px = fig.get_figwidth() * fig.dpi
    return size * fig.dpi / 96 * min(1.0, COLUMN_PX / drawn_px)


def smallest_text(fig) -> tuple[float, str]:
    """The smallest visible text of ``fig`` as rendered (points) and that text."""
    from matplotlib.text import Text

    fig.canvas.draw()  # tick labels exist only once drawn
    texts = [t for t in fig.findobj(Text) if t.get_visible() and t.get_text().strip()]
    if not texts:
        return float("inf"), ""
    t = min(texts, key=lambda t: t.get_fontsize())
    return rendered_pt(fig, t.get_fontsize()), t.get_text()


def readable(fig, minimum: float = MIN_PT) -> None:
    """Raise every text of ``fig`` smaller than ``minimum`` points as rendered to ``minimum``."""
    from matplotlib.text import Text

    fig.canvas.draw()
    need = minimum / rendered_pt(fig, 1.0)  # the drawn size that renders at ``minimum``
    for t in fig.findobj(Text):
        if t.get_text().strip() and t.get_fontsize() < need - 1e-9:
            t.set_fontsize(need)
    for ax in fig.axes:  # tick labels made after a draw take the axis' size, not the drawn Text's
        for axis in (ax.xaxis, ax.yaxis):
            for which in ("major", "minor"):
                ticks = axis.get_major_ticks() if which == "major" else axis.get_minor_ticks()
                if ticks and ticks[0].label1.get_fontsize() < need - 1e-9:
                    axis.set_tick_params(which=which, labelsize=need)


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


def legend_below(ax, ncol: int = 2, **kw):
    """``ax``'s legend under its x label, off the data (``finish``'s layout keeps room for it)."""
    from matplotlib.transforms import ScaledTranslation

    fig = ax.figure
    if not ax.get_legend_handles_labels()[0]:
        return None
    fig.canvas.draw()
    r = fig.canvas.get_renderer()
    drop = (ax.get_window_extent(r).y0 - ax.get_tightbbox(r).y0) / fig.dpi + 0.05  # ticks and x label, inches
    return ax.legend(loc="upper center", bbox_to_anchor=(0.5, 0), ncol=ncol, frameon=False,
                     bbox_transform=ax.transAxes + ScaledTranslation(0, -drop, fig.dpi_scale_trans), **kw)


def legend_right(ax, **kw):
    """``ax``'s legend beside it, right of the axes, off the data."""
    if not ax.get_legend_handles_labels()[0]:
        return None
    return ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1), frameon=False, **kw)


def caption_machine(fig, machines) -> None:
    """Name the machine(s) the plotted results came from, bottom right of the figure, at ``MIN_PT``
    as rendered (``finish`` leaves room for it)."""
    names = sorted(set(machines))
    fig.text(0.99, 0.01, "ran on: " + ("; ".join(names) or "nothing yet (no results stored)"), ha="right",
             va="bottom", fontsize=max(7.0, MIN_PT / rendered_pt(fig, 1.0)), color="0.4")


def finish(fig, machines, top: float = 1.0, handles: dict | None = None, note: str = "") -> None:
    """The last step of every figure: name the machine(s) (``caption_machine``); above that line, left,
    ``note`` (e.g. what a missing panel would have shown) and a legend of ``handles`` (label -> artist)
    for the whole figure, two columns; raise any text below ``MIN_PT`` as rendered (``readable``); lay
    out with room for all of it (``top`` < 1: room for a suptitle)."""
    import math

    caption_machine(fig, machines)
    line = MIN_PT / rendered_pt(fig, 1.0) * 1.5 / 72  # one line of the smallest text, inches
    bottom = line
    if note:
        fig.text(0.01, bottom / fig.get_figheight(), note, ha="left", va="bottom", color="0.3")
        bottom += line * (note.count("\n") + 1)
    if handles:
        fig.legend(handles.values(), handles.keys(), loc="lower left", ncol=2, frameon=False,
                   bbox_to_anchor=(0.01, bottom / fig.get_figheight()))
        bottom += max(line, plt.rcParams["legend.fontsize"] * 1.75 / 72) * math.ceil(len(handles) / 2) + 0.1
    readable(fig)
    fig.tight_layout(rect=(0, min(0.45, bottom / fig.get_figheight()), 1, top))
