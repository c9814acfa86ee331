"""Chapter 6's measurements on an idle machine, stored where the chapter reads them
(``python -m evoscale bench costs`` and ``bench ppo-costs``): the unit costs and PPO's process
speedup (timed by ``bench.backprop_costs`` on the chapter's own configurations), the ES's Ray speedup
that chapter 4 has not measured (``ray_speedup.measure_speedup``), and PPO's timed parts with their
fitted cost model (``bench.ppo_costs``, ``ppo_model``).
"""

from __future__ import annotations

import pandas as pd

from ..bench import backprop_costs
from ..config import parse_hidden
from . import ray_speedup, seed_list
from .backprop import BackpropParams, es_methods, params
from .unit_costs import cost_paths, es_speedup_path, ppo_timings_path, speedup_files


def measure_costs(p: BackpropParams, tasks=("CartPole-v1", "LunarLander-v3"), generations: int = 20,
                  ppo_rollouts: int = 5, log=print) -> pd.DataFrame:
    """``bench.backprop_costs.measure_costs`` on the chapter's own configurations of ``p`` for ``tasks``,
    the first seed of each task."""
    runs = {env: [(side, c) for side, c in p.configs(env) if c.seed == seed_list(p.tasks[env]["seeds"])[0]]
            for env in tasks}
    return backprop_costs.measure_costs(runs, generations, ppo_rollouts, log)


def measure_and_store(profile: str = "book", tasks=("CartPole-v1", "LunarLander-v3"), log=print,
                      generations: int = 20, ppo_rollouts: int = 5, steps: int = 256, es_speedup_only: bool = False) -> dict:
    """Run on an idle machine: ``measure_costs`` and ``measure_ppo_speedup`` (``steps`` vectorised
    steps) per task of ``profile``, written to ``cost_paths`` (replacing these tasks' rows, keeping the
    others'; skipped with ``es_speedup_only``); and the Ray speedup of each of the task's ES methods
    (chapter 4's ``ray_speedup.measure_speedup`` on this chapter's network) that chapter 4 has not measured."""
    from ..store import atomic_write

    P = params({"profile": profile})
    unknown = [t for t in tasks if t not in P.tasks]
    if unknown:
        raise ValueError(f"no task {', '.join(map(repr, unknown))} in chapter 6's {profile!r} profile; "
                         f"valid: {', '.join(P.tasks)}")
    out = {"unit_costs": [], "ppo_speedup": [], "es_speedup": []}
    if not es_speedup_only:
        costs = measure_costs(P, tasks, generations, ppo_rollouts, log)
        speed = pd.concat([backprop_costs.measure_ppo_speedup(t, steps=steps) for t in tasks], ignore_index=True)
        for table, path in zip((costs, speed), cost_paths(profile)):
            if path.exists():  # the other tasks' rows stay
                old = pd.read_csv(path)
                table = pd.concat([old[~old["env"].isin(tasks)], table], ignore_index=True)
            atomic_write(path, lambda f, t=table: t.to_csv(f, index=False))
        out.update(unit_costs=costs.to_dict("records"), ppo_speedup=speed.to_dict("records"))
    for env in tasks:
        t = P.tasks[env]
        hidden = parse_hidden(t["hidden"]) if t["hidden"] else None
        wp = ray_speedup.params({"profile": profile, "popsize": P.popsize})
        for m in es_methods(t):
            if speedup_files(profile, env, m):
                continue
            table = ray_speedup.measure_speedup(env, m, wp, log, hidden=hidden)
            atomic_write(es_speedup_path(profile, env, m), lambda f, t=table: t.to_csv(f, index=False))
            out["es_speedup"] += ray_speedup.speedup_table(table).to_dict("records")
    return out


def measure_ppo_timings(profile: str = "book", tasks=("CartPole-v1", "LunarLander-v3"), steps: int = 256,
                        repeats: int = 5, log=print) -> dict:
    """Run on an idle machine: ``bench.ppo_costs.measure`` per task, written to ``ppo_timings_path``
    (these tasks' rows replaced, the others' kept); per task the fitted ``ppo_model.PPOCostModel`` and
    its 2-process check (model / measured)."""
    import dataclasses

    from ..bench.ppo_costs import measure
    from ..store import atomic_write
    from .ppo_model import PPOCostModel

    frames, out = [], {}
    for env in tasks:
        log(f"{env}: timing PPO's parts")
        df = measure(env, steps=steps, repeats=repeats)
        m = PPOCostModel.fit(df)
        out[env] = {**dataclasses.asdict(m), "check_2_processes": m.check(df), "machine": df["machine"].iloc[0]}
        frames.append(df)
    table, path = pd.concat(frames, ignore_index=True), ppo_timings_path(profile)
    if path.exists():
        old = pd.read_csv(path)
        table = pd.concat([old[~old["env"].isin(tasks)], table], ignore_index=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(path, lambda f: table.to_csv(f, index=False))
    return out
