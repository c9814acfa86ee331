"""The idle-core unit costs that chapter 6 measures (``python -m evoscale bench costs``) and chapters 3,
6 and 9 read: what one ES evaluation, one optimiser update and one PPO rollout cost on an idle core,
and PPO's process speedup; the ES's Ray speedup chapter 6 measures where chapter 4 has none, and
PPO's timed parts (``bench ppo-costs``). Where they are stored and how they are read live here, below every study.
"""

from __future__ import annotations

import pandas as pd

from ..store import read_table
from . import results_root


def cost_paths(profile: str):
    """The idle-core measurements: unit costs, PPO's process speedup."""
    where = results_root() / profile / "backprop"
    return where / "unit-costs.csv", where / "ppo-speedup.csv"


def load_costs(profile: str) -> tuple[pd.DataFrame | None, pd.DataFrame | None]:
    """The cached idle-core tables, None until measured (``python -m evoscale bench costs``) or where
    one does not verify (``store.read_table``: named in a warning)."""
    return tuple(read_table(p) for p in cost_paths(profile))


def us_per_step_text(seconds: float) -> str:
    """Seconds per env step as the book quotes them wherever it does (chapters 2 and 6): whole µs."""
    return f"{1e6 * seconds:.0f}"


def es_speedup_path(profile: str, env: str, method: str):
    """The ES Ray speedup measured for this chapter where chapter 4 has none (e.g. CartPole)."""
    return results_root() / profile / "backprop" / f"es-speedup-{env.replace('/', '_')}-{method}.csv"


def ppo_timings_path(profile: str):
    """``bench.ppo_costs`` timings of every task (idle machine), the PPO side's cost model."""
    return results_root() / profile / "backprop" / "ppo-costs.csv"


def load_ppo_timings(profile: str) -> pd.DataFrame | None:
    return read_table(ppo_timings_path(profile))


def speedup_files(profile: str, env: str, method: str) -> list:
    """Chapter 4's speedup tables of (env, method), else this chapter's own measurement."""
    chapter4 = sorted((results_root() / profile / "workers").glob(f"speedup-{env.replace('/', '_')}-{method}-*.csv"))
    own = es_speedup_path(profile, env, method)
    return chapter4 or ([own] if own.exists() else [])
