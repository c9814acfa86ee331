"""Chapter 1's table of the widths beyond 100K parameters (the frontier study's companion): per planned
method and width the final return, the one-core hours of a run, the seconds per generation and the
memory, measured once runs are stored and predicted until then."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..bench import ppo_widths
from ..runs import results_root
from . import frontier, seed_list
from .frontier import ES, LABELS, FrontierParams, evaluation_configs, n_params, predicted_hours

PREDICTED = "≈ "
"""Marks a predicted value in ``table`` (no run of that width stored yet)."""
PREDICTED_NOTE = ("≈: predicted until a run is stored (the campaign's estimate): the ES from the low-rank bench's "
                  "forward times and the stored episode lengths; PPO from the zoo runs' time per env step, scaled "
                  "by its measured cost at the wider network. Memory, measured: the run's peak resident memory "
                  "(the program, the simulator and the network's arrays); predicted: only the arrays the method "
                  "holds (the population, or for the low-rank ES its centre and Adam's two moments).")


def table(p: FrontierParams, seeds: pd.DataFrame) -> pd.DataFrame:
    """Readers' table of the planned widths: method, parameters, seeds, final return, one-core hours per
    run, seconds per generation, the measured peak memory (median over the seeds that recorded it) and
    the predicted memory of the method's arrays. A width with no stored run shows its predicted hours
    (and for an ES its seconds per generation) marked ``PREDICTED``."""
    from ..baselines import policy_size
    from ..train import peak_bytes
    from . import report

    ready, waiting = evaluation_configs(p)
    planned, nets = {}, {}  # (method, parameters) -> seeds planned; the ES's hidden widths, PPO's config
    for part, c in ready:
        hidden = dict(c.hyper)["net_arch"] if part == "ppo" else c.hidden
        key = (c.method, n_params(hidden, p.env))
        planned[key], nets[key] = planned.get(key, 0) + 1, (c if part == "ppo" else hidden)
    for m, hidden, seeds_ in waiting:
        key = (m, n_params(hidden, p.env))
        planned[key], nets[key] = len(seed_list(seeds_)), hidden
    bench, episodes = frontier.load_bench(), frontier.stored_episodes(p)
    generations, ppo = p.budget_evals / p.popsize, ppo_widths.cost_prior(p.env, results_root(), p.profile)
    rows = []
    for (m, w), k in planned.items():
        g = seeds[(seeds["method"] == m) & (seeds["width"] == w)]
        hours, per_gen = "–", "–"
        if len(g):
            hours = report.num(g["hours"].median(), 2)
            per_gen = report.num(g["s_per_gen"].median(), 1) if m != "ppo" else "–"
        elif m in ES and np.isfinite(pred := predicted_hours(m, nets[m, w], p, bench, episodes)):
            hours = f"{PREDICTED}{report.num(pred, 2)}"
            per_gen = f"{PREDICTED}{report.num(pred * 3600 / generations, 1)}"
        elif m == "ppo" and ppo:  # its actor and critic's size, the zoo runs' time per step scaled
            hours = f"{PREDICTED}{report.num(ppo(policy_size(nets[m, w])) * p.ppo_steps / 3600, 2)}"
        mem = g["mem"].dropna() if "mem" in g else g.iloc[:0]
        rows.append({"Method": LABELS[m], "Parameters": f"{w:,}", "Final return": report.over_seeds(g["final"], 0, k),
                     "One-core hours per run": hours, "Seconds per generation": per_gen,
                     "Memory, measured (GiB)": f"{mem.median():.2g}" if len(mem) else "–",  # 2 digits
                     "Memory, predicted (GiB)": f"{PREDICTED}{peak_bytes(m, w, p.popsize) / 2**30:.2g}"
                     if m != "ppo" else "–"})
    return pd.DataFrame(rows)
