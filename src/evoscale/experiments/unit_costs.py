"""The idle-core unit costs that chapter 6 measures (``python -m evoscale bench costs``) and chapters 3,
6 and 9 read: what one ES evaluation, one optimiser update and one PPO rollout cost on an idle core,
and PPO's process speedup. Where they are stored and how they are read live here, below every study.
"""

from __future__ import annotations

import pandas as pd

from . import results_root


def cost_paths(profile: str):
    """The idle-core measurements: unit costs, PPO's process speedup."""
    where = results_root() / profile / "backprop"
    return where / "unit-costs.csv", where / "ppo-speedup.csv"


def load_costs(profile: str) -> tuple[pd.DataFrame | None, pd.DataFrame | None]:
    """The cached idle-core tables, None until measured (``python -m evoscale bench costs``)."""
    return tuple(pd.read_csv(p) if p.exists() else None for p in cost_paths(profile))
