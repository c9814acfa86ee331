"""Fair rivals: every method of chapters 1 and 5 tuned with the same effort in every width band.

The protocol (stated in chapter 5):

* **Equal effort.** Per width band and method, ``SETTINGS`` (16) settings x ``TUNING_SEEDS`` (3) = 48
  tuning runs at ``budget_evals`` (10,240) training episodes, population 64, a solved test every 2,560
  episodes: the same number of runs, episodes and tests for every method in a band.
* **The grids** (log scales around the book's setting, which every grid contains):

  - CMA-ES (full covariance, torch): sigma0 in 0.5 x 2^k, k = -5..2, with active CMA off and on;
  - sep-CMA-ES: sigma0 in 0.5 x 2^(k/2), k = -10..5 (it has one key hyper-parameter, so it gets a
    finer grid of the same range rather than fewer runs);
  - OpenAI-ES and Neuromod: sigma in {0.01, 0.02, 0.05, 0.1} x learning rate in {0.003, 0.01, 0.03, 0.1};
  - GA: mutation power in 0.05 x 2^k, k = -4..3, with 1 or 3 elites.

* **Tuning seeds** 100-102, none of the evaluation seeds 0-9.
* **One width per band**: the band's network of chapter 5 (small 2,788, medium 8,066, large 51,619
  parameters; Neuromod's genomes of the same widths). The large band's choice also serves the 100,066
  width.
* **Selection by rule** (``select``): the setting with the best IQM of the final solved test over the
  tuning seeds; ties (equal to the printed precision of 1e-9) go to the cheaper setting (fewer CPU
  seconds). A band is decided only once all its 48 runs are stored.

Tuning runs are ordinary stored runs (``results/<profile>/runs/``) that the campaign trains with
priority over everything else (``needs``).
"""

from __future__ import annotations

import pandas as pd

from .es_settings import LABELS  # noqa: F401 (the one table of the rows' labels)
from .fair_rivals import (BOOK, GRIDS, NOT_TUNED, PROFILES, ROWS, SETTINGS, SIZES, SMOKE, SMOKE_SIZES, TRAINER,  # noqa: F401
                          TUNING_SEEDS, TuningParams, _num, _second, _selection, _setting_key, best_setting,
                          check_grids, configs, select, selected, setting_label, table)

PRIORITY = {"small": 1, "medium": 2, "large": 3}
"""Campaign priority of each band's tuning runs (before every other missing run of the book)."""


STEP_NAME = {"cmaes": "σ0", "sepcmaes": "σ0", "openai_es": "σ", "ga": "mutation power", "neuromod": "σ"}


def protocol() -> pd.DataFrame:
    """The grids, one row per method, in readers' words (the chapter's protocol table)."""
    check_grids()
    rows = []
    for row in ROWS:
        steps = sorted({s["sigma0"] for s in GRIDS[row]})
        seconds = list(dict.fromkeys(_second(row, s) for s in GRIDS[row]))
        rows.append({"Method": LABELS[row],
                     "Step size tried": f"{STEP_NAME[row]}: " + ", ".join(_num(v) for v in steps),
                     "With": ", ".join(seconds),
                     "Book's setting before tuning": setting_label(row, BOOK[row]),
                     "Runs per band": len(GRIDS[row]) * len(TUNING_SEEDS)})
    return pd.DataFrame(rows)


def selection_table(sel: pd.DataFrame) -> pd.DataFrame:
    """Per method and band (``sel``: ``select``'s rows): runs stored, and once complete the selected
    setting and whether it differs from the book's (readers' words)."""
    return pd.DataFrame({
        "Method": sel["row"].map(LABELS), "Band": sel["band"],
        "Tuning runs stored": [f"{a} of {b}" for a, b in zip(sel["stored"], sel["planned"])],
        "Selected setting": [lab if ok else "not yet: runs missing" for lab, ok in zip(sel["label"], sel["complete"])],
        "Final return of the selected setting (IQM of 3 seeds)": sel["score"].round(0),
        "Differs from the book's": [("yes" if ch else "no") if ok else "–" for ch, ok in zip(sel["changed"], sel["complete"])],
        "At the grid's edge": [(e or "no") if ok else "–" for e, ok in zip(sel["edge"], sel["complete"])],
    })


def edge_text(sel: pd.DataFrame) -> str:
    """One sentence for readers (``sel``: ``select``'s rows): how many of the decided selections sit at
    an edge of their grid, and which (a better setting may lie outside the grid; the rule stands, the
    grid is not widened)."""
    done = sel[sel["complete"]]
    if done.empty:
        return "No band's tuning is complete yet, so no selection can sit at an edge of its grid."
    edge = done[done["edge"] != ""]
    if edge.empty:
        return f"None of the {len(done)} selections made so far sits at an edge of its grid."
    which = "; ".join(f"{LABELS[r.row]}, {r.band} band ({r.edge} tried)" for r in edge.itertuples())
    verb = "sits at an edge of its grid" if len(edge) == 1 else "sit at an edge of their grid"
    return (f"{len(edge)} of the {len(done)} selections made so far {verb}: {which}. "
            "A better setting may lie outside the grid; the rule stands as declared, and the grid was not "
            "widened for one method alone.")


def sensitivity(runs: pd.DataFrame):
    """Final solved-test return against the step size, one panel per method (rows) and band with a stored
    run (columns); a line per value of the second hyper-parameter (in the method's colour, one line
    style each, legend right of the row) through the mean over the stored tuning seeds, each seed a dot
    (Henderson et al. 2018's sensitivity plots)."""
    import matplotlib.pyplot as plt
    from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

    from .. import plots

    plots.style()
    done = runs[runs["stored"]]
    bands = [b for b in PRIORITY if b in set(done["band"])] or [next(iter(PRIORITY))]  # no empty column
    fig, axes = plt.subplots(len(ROWS), len(bands), figsize=(plots.WIDTH, 2.1 * len(ROWS) + 0.8), squeeze=False,
                             sharey=True)
    dashes = ("-", "--", ":", "-.")
    for i, row in enumerate(ROWS):
        seconds = list(dict.fromkeys(_second(row, s) for s in GRIDS[row]))
        handles = {}
        for j, band in enumerate(bands):
            ax = axes[i, j]
            g = done[(done["band"] == band) & (done["row"] == row)]
            if i == 0:
                ax.set_title(f"{band} band")
            if j == 0:
                ax.set_ylabel(f"{LABELS[row]}\nfinal return")
            ax.set_xlabel(STEP_NAME[row] + " (log)")
            ax.set_xscale("log")
            steps = [s["sigma0"] for s in GRIDS[row]]
            ax.set_xlim(min(steps) / 1.5, max(steps) * 1.5)
            wide = max(steps) / min(steps) > 100  # over two decades: a tick per decade, else two
            ax.xaxis.set_major_locator(LogLocator(base=10, subs=(1.0,) if wide else (1.0, 3.0)))
            ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
            ax.xaxis.set_minor_formatter(NullFormatter())
            if (row, band) in NOT_TUNED:
                ax.text(0.5, 0.5, "not run\n(too expensive)", ha="center", va="center", transform=ax.transAxes,
                        color="0.4").set_in_layout(False)
                continue
            if g.empty:
                ax.text(0.5, 0.5, "no runs\nstored yet", ha="center", va="center", transform=ax.transAxes,
                        color="0.4").set_in_layout(False)
                continue
            for second, h in g.groupby("second", sort=False):
                m = h.groupby("sigma0")["final"].mean()
                style = dashes[seconds.index(second) % len(dashes)]
                (line,) = ax.plot(m.index, m.values, marker="o", markersize=3, linewidth=1.2, linestyle=style,
                                  color=plots.color(row))
                ax.scatter(h["sigma0"], h["final"], s=6, color=plots.color(row), alpha=0.35)
                handles[second] = line
        if len(handles) > 1:
            axes[i, -1].legend(handles.values(), handles.keys(), loc="center left", bbox_to_anchor=(1.03, 0.5),
                               frameon=False, handlelength=2.4)
    plots.finish(fig, [m for m in done["machine"] if m])
    return fig
