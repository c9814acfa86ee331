"""Chapter 6's PPO on two networks: the zoo's (64-64 actor and a separate 64-64 critic) and the
evolution strategies' own (the ES's hidden widths for actor and critic, e.g. 64-32 on LunarLander), the
same env-step budget and seeds. A fair-rivals check: does PPO's side of the comparison depend on its
larger network? Reported as values beside each other (the chapter's verdicts use the zoo's network,
PPO's published setting)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..stats import compare
from . import available, report, results_root
from .backprop import BackpropParams, es_network_ppo_configs, per_seed, seed_list


def runs(p: BackpropParams) -> pd.DataFrame | None:
    """The stored runs of PPO on the ES's network (None while none is stored; the campaign trains them)."""
    where = results_root() / p.profile / "runs"
    df, _ = available(es_network_ppo_configs(p), where)
    return df


def _actor(net) -> str:
    return "-".join(map(str, net))


def table(p: BackpropParams, zoo: pd.DataFrame | None, threshold_of: dict) -> pd.DataFrame:
    """Per task with runs on the ES's network: each network's final return (IQM [95 % CI] over seeds)
    and env steps to the solved threshold (Kaplan-Meier median, censored seeds kept), and the IQM
    difference of the final return (ES's network minus the zoo's) with P(ES net > zoo net) beside it.
    ``zoo``: chapter 6's records (its PPO rows are the zoo's network)."""
    mine = runs(p)
    rows = []
    for c in {c.env: c for c in es_network_ppo_configs(p)}.values():
        env, t = c.env, p.tasks[c.env]
        planned = len(seed_list(t["seeds"]))
        sides = {}
        for label, df in (("zoo (64-64)", None if zoo is None else zoo[(zoo["env"] == env) & (zoo["method"] == "ppo")]),
                          (f"the ES's ({_actor(dict(c.hyper)['net_arch'])})",
                           None if mine is None else mine[mine["env"] == env])):
            s = per_seed(df, threshold_of[env]) if df is not None and len(df) else pd.DataFrame(
                columns=["final", "steps_to", "max_steps"])
            sides[label] = s
            reached = np.isfinite(s["steps_to"].to_numpy(float))
            steps = np.where(reached, s["steps_to"], s["max_steps"]).astype(float)
            rows.append({"Task": env, "PPO's network": label,
                         "Final return": report.over_seeds(s["final"], 0, planned),
                         "Env steps to the threshold": report.to_threshold(steps, reached, 0, planned)})
        (zl, z), (el, e) = sides.items()
        cmp = compare(e["final"], z["final"]) if min(len(e), len(z)) >= 2 else None
        diff = ("–" if cmp is None else
                f"{report.ci(cmp['diff'], cmp['diff_lo'], cmp['diff_hi'], 0, sign=True)}; "
                f"P(ES net > zoo net) {cmp['p']:.2f}")
        for r in rows[-2:]:
            r["ES's network − zoo's, final return"] = diff
    return pd.DataFrame(rows)


__all__ = ["runs", "table"]
