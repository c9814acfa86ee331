"""Chapter 6's figures: the solved-test curves against env steps and modelled one-core seconds
(``figure_curves``) and the time to the threshold against cores with the crossover (``figure_cores``).
``backprop`` re-exports them.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..stats import MIN_SEEDS
from .backprop_cores import LABELS, one_core_wall


def _plain_ticks(axis, minor: bool):
    """Plain numbers on a log axis instead of powers of ten; ``minor``: also label the 2s and 5s."""
    from matplotlib.ticker import FuncFormatter, NullFormatter

    axis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}" if v >= 1 else f"{v:g}"))
    axis.set_minor_formatter(FuncFormatter(lambda v, _: f"{v:g}" if f"{v:.0e}"[0] in "25" else "") if minor
                             else NullFormatter())


def _empty_panel(ax, text):
    """A panel with nothing to draw: ``text`` in its middle, no ticks, in a light frame (so the figure
    keeps its page width when the notebook crops it to what is drawn)."""
    ax.text(0.5, 0.5, text, transform=ax.transAxes, ha="center", va="center", fontsize=9, color="0.4", wrap=True)
    ax.tick_params(which="both", left=False, bottom=False, labelleft=False, labelbottom=False)
    ax.grid(False)
    for spine in ax.spines.values():
        spine.set_visible(True)
        spine.set_color("0.85")


def figure_curves(df: pd.DataFrame | None, summaries: list[dict], costs: pd.DataFrame | None):
    """One row per task, two columns: solved-test return against env steps and against modelled
    one-core seconds; IQM and 95 % band per method (each seed below 5 seeds); one legend under the
    figure (the solved thresholds dashed, unlabelled)."""
    import matplotlib.pyplot as plt
    from .. import plots

    plots.style()
    xs = (("env_steps", "env steps (log)"), ("wall_1core", "seconds on one idle core,\nmodelled (log)"))
    fig, axes = plt.subplots(len(summaries), len(xs), figsize=(plots.WIDTH, 3.1 * len(summaries) + 1.3),
                             squeeze=False)
    handles = {}
    for row, S in zip(axes, summaries):
        d = None if df is None else df[df["env"] == S["env"]].assign(wall_1core=lambda x: one_core_wall(x, costs))
        for ax, (x, name) in zip(row, xs):
            ax.set(xlabel=name, ylabel="solved-test return", title=S["env"])
            if d is None or d.empty or d[x].isna().all():
                _empty_panel(ax, f"no runs stored yet\n(n = 0 of {S['planned']} per method)" if d is None or d.empty else
                             "one-core costs not measured yet\n(python -m evoscale bench costs,\nidle machine)")
                continue
            if S["threshold"] is not None:
                ax.axhline(S["threshold"], color="0.3", linestyle="--", linewidth=1)
            for m, g in d[np.isfinite(d["test_return"])].groupby("method"):
                k = g["seed"].nunique()
                plots.band(ax, g, x, "test_return", LABELS.get(m, m) + (f" (n = {k})" if k >= MIN_SEEDS else ""),
                           color=plots.METHOD_COLORS.get(m))
            ax.set_xscale("log")
            _plain_ticks(ax.xaxis, minor=False)
            for h, label in zip(*ax.get_legend_handles_labels()):
                handles.setdefault(label, h)
    plots.finish(fig, [] if df is None or df.empty else df["machine"], handles=handles)
    return fig


def _draw_cores(ax, C: dict, side: str, flags: np.ndarray, headline: bool = True):
    """One method's time to the threshold against cores: the Kaplan-Meier median over seeds (censored
    seeds counted) with its 95 % band, measured points filled, modelled ones open; a method other than
    the headline pair thin and dashed, without its band. Where the median is not reached (more than half
    the seeds censored) nothing is drawn."""
    from .. import plots

    colour = plots.METHOD_COLORS.get(side, "0.3")
    mid, lo, hi = C["cross"]["curves"].get("ppo" if side == "ppo" else "es", (None, None, None))
    if mid is None or not np.isfinite(mid).any():
        return
    hit = C["reached"][side]
    label = f"{LABELS.get(side, side)} ({hit.sum()} of {hit.size} seeds reached it)"
    if headline:
        ax.fill_between(C["W"], lo, np.where(np.isfinite(hi), hi, np.nan), color=colour, alpha=0.2, linewidth=0)
    ax.plot(C["W"], mid, color=colour, lw=1.5 if headline else 1.0, linestyle="-" if headline else "--", label=label)
    ax.scatter(C["W"][flags], mid[flags], color=colour, zorder=3, s=12 if headline else 7)
    ax.scatter(C["W"][~flags], mid[~flags], facecolor="white", edgecolor=colour, zorder=3, s=12 if headline else 7)


def _cores_note(C: dict | None, S: dict, why: str | None) -> str | None:
    """Why a task's cores panel would be empty (None: it has a curve to draw)."""
    if C is None:
        return "not available yet; missing: " + (why or "seeds that reached the threshold")
    curves = C["cross"]["curves"]
    if any(curves.get(k, (None,))[0] is not None and np.isfinite(curves[k][0]).any() for k in ("es", "ppo")):
        return None
    cr = C["cross"]
    side = "either side" if not (cr["n_es"] or cr["n_ppo"]) else "one side"
    return f"no seed reached {S['threshold']:g} on {side}" + ("" if C.get("complete") else " yet")


def figure_cores(panels: list[tuple[dict | None, dict, str | None]], others: dict | None = None):
    """One panel per task with a curve to draw (C from ``cores``, S from ``summarise``, what is missing),
    two side by side: time to the threshold against cores for the task's headline ES and PPO, median
    and 95 % band over seeds, measured points filled, modelled ones open; the crossover with its CI
    shaded; each panel's legend under it. A task with nothing to draw is a line under the figure, not an
    empty panel. ``others``: per task, the ``cores`` of its other ES methods (None where an input is
    missing), drawn dashed."""
    import matplotlib.pyplot as plt

    from .. import plots

    plots.style()
    notes = {S["env"]: _cores_note(C, S, why) for C, S, why in panels}
    drawn = [(C, S) for C, S, _ in panels if notes[S["env"]] is None]
    cols = max(1, min(2, len(drawn)))
    rows = max(1, -(-len(drawn) // cols))
    fig, axes = plt.subplots(rows, cols, figsize=(plots.WIDTH, 5.4 * rows + 0.3 if drawn else 2.2), squeeze=False)
    for ax in axes.flat[max(1, len(drawn)):]:  # the first stays for the note when nothing is drawn
        ax.set_visible(False)
    for ax, (C, S) in zip(axes.flat, drawn):
        ax.set(xscale="log", yscale="log", xlabel="cores W (log)", ylabel="seconds to the solved threshold (log)",
               title=S["env"])
        _plain_ticks(ax.xaxis, minor=False)
        _plain_ticks(ax.yaxis, minor=True)
        for side, flags in ((C["es"], C["es_measured"]), ("ppo", C["ppo_measured"])):
            _draw_cores(ax, C, side, flags)
        for O in (others or {}).get(S["env"], []):
            if O is not None:
                _draw_cores(ax, O, O["es"], O["es_measured"], headline=False)
        cr = C["cross"]
        if cr["lo"] is not None and np.isfinite(cr["lo"]):
            ax.axvspan(cr["lo"], min(cr["hi"], C["W"][-1]), color="0.85", alpha=0.6, linewidth=0,
                       label="crossover, 95 % CI")
        if cr["w"] is not None:
            ax.axvline(cr["w"], color="0.4", linestyle=":", label=f"crossover W = {cr['w']:,.0f}")
        plots.legend_below(ax, ncol=1, title="filled: measured, open: modelled")
    missing = "\n".join(f"{env}: {note}" for env, note in notes.items() if note is not None)
    if not drawn:
        _empty_panel(axes[0, 0], missing)
    plots.finish(fig, sorted({S["machine"] for _, S, _ in panels if S["machine"]}), note=missing if drawn else "")
    return fig
