"""``bench ppo-widths``: what PPO's training costs per env step as its network widens, relative to the
zoo's network on the same task, measured in one run (issue 39: the frontier's PPO at 300K and 1M
parameters). The ratios hold beside other work on the machine; the seconds do not.

    python -m evoscale bench ppo-widths --env LunarLander-v3 --net-archs 541,541/993,993 [--rounds 2]

Each timing is one PPO run of ``train_ppo`` (the zoo's settings for the task, one torch thread, as the
campaign's runs) for ``steps`` env steps (default: one rollout and its update); its seconds are the
run's CPU seconds (``cpu_s``) less its one-episode solved test at the end (``test_wall_s``): CPU time,
so that the other work on the machine moves them less than it moves wall time. The zoo's network and each
``net_arch`` (an actor and a critic of those widths) are timed in turn in every round, after one
untimed warm-up run of the zoo network; medians over the rounds.

``cost_prior`` turns the ratios into the campaign's prior for PPO on the task: the stored zoo runs'
CPU seconds per env step, times the ratio at the network's size (log-log interpolated, extrapolated
with the end segments' slopes).
"""

from __future__ import annotations

import math
import statistics
from pathlib import Path

import numpy as np

from ..machine import machine_label
from ..stats import loglog_interp


def bench_ppo_widths(env: str, net_archs: list[tuple[int, ...]], steps: int | None = None, rounds: int = 2,
                     log=print) -> dict:
    """CPU seconds per env step of PPO with the zoo's network and with each of ``net_archs``, and each
    one's ratio to the zoo's (see the module's docstring)."""
    import torch

    from ..baselines.ppo import train_ppo, zoo_hyperparams
    from ..config import RunConfig

    if rounds < 1:
        raise ValueError(f"rounds must be at least 1, got {rounds}")
    zoo = zoo_hyperparams(env)
    steps = steps or int(zoo["n_steps"]) * int(zoo["n_envs"])
    configs = {"zoo": RunConfig(method="ppo", env=env, budget_steps=steps, test_every=0, test_episodes=1)}
    configs |= {",".join(map(str, a)): RunConfig(method="ppo", env=env, budget_steps=steps, test_every=0,
                                                 test_episodes=1, hyper={"net_arch": list(a)}) for a in net_archs}
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        train_ppo(configs["zoo"])  # warm-up: imports, the first environments
        seconds = {k: [] for k in configs}
        sizes = {}
        for r in range(rounds):
            for name, c in configs.items():
                last = train_ppo(c)[-1]
                seconds[name].append((float(last["cpu_s"]) - float(last["test_wall_s"])) / float(last["env_steps"]))
                sizes[name] = int(last["n_params"])
                log(f"round {r + 1}/{rounds}: {name} ({sizes[name]:,} parameters) "
                    f"{seconds[name][-1] * 1e3:.3f} ms per env step")
    finally:
        torch.set_num_threads(threads)
    zoo_s = statistics.median(seconds["zoo"])
    rows = [{"net_arch": name, "n_params": sizes[name], "s_per_step": statistics.median(s),
             "ratio_to_zoo": statistics.median(s) / zoo_s} for name, s in seconds.items()]
    return {"machine": machine_label(), "env": env, "threads": 1, "steps": steps, "rounds": rounds, "rows": rows}


def bench_path(root: Path, env: str) -> Path:
    """Where the bench's JSON for ``env`` is kept under the results root."""
    return root / "bench" / f"ppo-widths-{env.replace('/', '_')}.json"


def cost_prior(env: str, root: Path, profile: str):
    """The campaign's prior for PPO on ``env`` (``progress.CostModel``): a function of the network's
    parameter count giving CPU seconds per env step, or None while the bench or a stored zoo run is
    missing. The zoo runs are ``profile``'s with no hyper-parameter set."""
    from ..store import read_json

    bench = read_json(bench_path(root, env))
    zoo_s = stored_zoo_seconds(env, root / profile / "runs")
    if not bench or not math.isfinite(zoo_s):
        return None
    rows = sorted((r["n_params"], r["ratio_to_zoo"]) for r in bench["rows"])
    xs, ys = [r[0] for r in rows], [r[1] for r in rows]
    return lambda n: zoo_s * loglog_interp(n, xs, ys)


def stored_zoo_seconds(env: str, runs: Path) -> float:
    """The median CPU seconds per env step (solved tests and checkpoints included) of the stored PPO
    runs on ``env`` with the zoo's settings (no hyper-parameter set); NaN when none is stored."""
    import json

    from ..runs import load_stored, run_cpu_seconds

    out = []
    for side in runs.glob(f"ppo-{env.replace('/', '_')}-*.json"):
        df = load_stored(side.with_suffix(".csv")) if side.with_suffix(".csv").exists() else None
        if json.loads(side.read_text()).get("hyper") or df is None or df.empty:
            continue
        last = df.iloc[-1]
        out.append(run_cpu_seconds(last) / max(float(last["env_steps"]), 1.0))
    return float(np.median(out)) if out else math.nan
