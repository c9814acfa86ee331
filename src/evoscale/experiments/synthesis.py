"""The book's conclusions: where an evolution strategy reaches LunarLander's solved score sooner than
PPO, over the network's parameter count and the cores at hand.

One map per ES (CMA-ES and OpenAI-ES), built only from stored results of other chapters, passed in:

- per measured width (chapter 1's width sweep): each seed's env steps and generations to the solved
  score, a seed that never reached it counted at its budget (censored, never dropped);
- the ES's seconds per env step at that width: chapter 6's idle-core cost at 2,788 parameters, scaled by
  chapter 1's evaluation time of a LunarLander generation at that width over its time at 2,788;
- its ask + tell per generation at that width: chapter 1's power-law fit;
- its speedup on W cores: chapter 6's (measured on 1-2 Ray workers, chapter 4's calibrated simulation
  beyond), taken as the same at every width;
- PPO's seconds to the solved score on W cores: chapter 6's, for its own network.

A cell is "ES sooner" where the ES's median time (Kaplan-Meier over seeds) is below PPO's, "PPO sooner"
where it is above, "ES not solved" where fewer than half the ES's seeds reached the score within the
budget. Cells with W <= 2 rest on measured speedups; beyond, on the model. No width is interpolated.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..stats import km_median
from . import check_parameters

PROFILES = {"smoke": {}, "quick": {}, "book": {}, "full": {}}
"""The conclusions read whatever the other chapters stored under a profile; they add no settings."""


@dataclass(frozen=True)
class SynthesisParams:
    profile: str = "book"
    """smoke | quick | book | full -- the profile whose stored results the conclusions read."""


def params(namespace: dict) -> SynthesisParams:
    """The chapter's parameters from its notebook namespace (strict)."""
    return check_parameters(SynthesisParams, namespace, PROFILES)

OUTCOMES = ("ES sooner", "PPO sooner", "ES not solved")
"""The map's cell values, in its legend's order."""


def es_seconds(seeds: pd.DataFrame, popsize: int, s_per_step: float, update_s: float, speedup: np.ndarray) -> np.ndarray:
    """Each seed's seconds to the solved score on each W (rows: seeds, columns: W): env steps x seconds
    per step / speedup(W) + generations x ask + tell. ``seeds``: one width's rows of
    ``methods.per_seed`` (``steps_to``/``evals_to`` NaN where never reached: its budget instead)."""
    hit = np.isfinite(seeds["steps_to"]).to_numpy()
    steps = np.where(hit, seeds["steps_to"], seeds["env_steps"]).astype(float)
    gens = np.where(hit, seeds["evals_to"], seeds["evals"]).astype(float) / popsize
    return steps[:, None] * s_per_step / np.asarray(speedup)[None, :] + gens[:, None] * update_s


def outcome_map(widths: dict, ppo_seconds: np.ndarray, W) -> pd.DataFrame:
    """One row per (width, W): the ES's median seconds, PPO's, and the outcome (``OUTCOMES``).
    ``widths``: n -> (seconds per seed and W from ``es_seconds``, reached flags)."""
    rows = []
    for n, (t, reached) in sorted(widths.items()):
        for j, w in enumerate(np.asarray(W)):
            es = km_median(t[:, j], reached)
            outcome = OUTCOMES[2] if not np.isfinite(es) else OUTCOMES[0] if es < ppo_seconds[j] else OUTCOMES[1]
            rows.append(dict(n=int(n), W=int(w), es_s=es, ppo_s=float(ppo_seconds[j]), outcome=outcome,
                             measured=bool(w <= 2)))
    return pd.DataFrame(rows, columns=["n", "W", "es_s", "ppo_s", "outcome", "measured"])


def summary(maps: dict) -> dict:
    """Per ES (readers' name -> ``outcome_map``): the widths where it is sooner than PPO on one core,
    and the smallest W where it is sooner at any width; texts for the chapter."""
    out = {}
    for name, m in maps.items():
        one = m[(m["W"] == 1) & (m["outcome"] == OUTCOMES[0])]["n"]
        first = m[m["outcome"] == OUTCOMES[0]]
        solved = sorted(m[m["outcome"] != OUTCOMES[2]]["n"].unique())
        out[name] = dict(
            solved=", ".join(f"{n:,}" for n in solved) or "none",
            one_core=", ".join(f"{n:,}" for n in sorted(one.unique())) or "none",
            first_w=f"never up to {int(m['W'].max()):,} cores" if first.empty else
            ("one core" if first["W"].min() == 1 else f"{int(first['W'].min()):,} cores")
            + f" ({'measured' if first['W'].min() <= 2 else 'modelled'})")
    return out


def figure(maps: dict, machines):
    """The map, one panel per ES (at most two, keyed by its readers' name): columns = measured widths,
    rows = cores; colour = outcome (the ES's colour where it is sooner, PPO's where PPO is, grey where
    the ES did not solve the task); modelled cells (W > 2) hatched."""
    import matplotlib.pyplot as plt
    from matplotlib.colors import ListedColormap
    from matplotlib.patches import Patch

    from .. import plots

    plots.style()
    code = {v: k for k, v in plots.METHOD_LABELS.items()}
    unsolved = "#bdbdbd"
    fig, axes = plt.subplots(1, len(maps), figsize=(plots.WIDTH, 4.8), squeeze=False)
    handles = []
    for ax, (name, m) in zip(axes[0], maps.items()):
        colours = (plots.METHOD_COLORS.get(code.get(name), "#4c9f70"), plots.color("ppo"), unsolved)
        handles.append(Patch(facecolor=colours[0], label=f"{name} sooner"))
        ns, ws = sorted(m["n"].unique()), sorted(m["W"].unique())
        grid = m.pivot(index="W", columns="n", values="outcome").reindex(index=ws, columns=ns)
        codes = grid.apply(lambda col: col.map({o: i for i, o in enumerate(OUTCOMES)})).to_numpy(float)
        ax.imshow(codes, cmap=ListedColormap(colours), vmin=0, vmax=len(OUTCOMES) - 1, aspect="auto", origin="lower")
        ax.grid(False)
        for i, w in enumerate(ws):
            if w > 2:
                ax.add_patch(plt.Rectangle((-0.5, i - 0.5), len(ns), 1, fill=False, hatch="..", lw=0,
                                           edgecolor="white", alpha=0.6))
        ax.axhline(ws.index(2) + 0.5 if 2 in ws else 0.5, color="black", lw=1.2)
        ax.set_xticks(range(len(ns)), [f"{n / 1000:,.1f}K" if n < 10_000 else f"{n / 1000:,.0f}K" for n in ns])
        ax.set_yticks(range(len(ws)), [f"{w:,}" for w in ws])
        ax.set(xlabel="parameters of the network", ylabel="cores at hand (W)", title=f"{name} against PPO")
    handles += [Patch(facecolor=plots.color("ppo"), label="PPO sooner"),
                Patch(facecolor=unsolved, label="ES not solved"),
                Patch(facecolor="#999999", hatch="..", edgecolor="white", label="modelled (above the black line)")]
    fig.suptitle("Which reaches LunarLander's threshold sooner", fontweight="bold")
    plots.finish(fig, machines, handles={h.get_label(): h for h in handles})
    return fig
