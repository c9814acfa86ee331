"""The fair-rivals protocol, below the studies that read it (the tuning study, chapter 5's methods and
chapter 1's frontier): the grids of settings, the tuning runs and their table, and the selection rule
(``best_setting``, ``select``, ``selected``). ``tuning`` states the protocol to readers and draws it.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..config import RunConfig, parse_hidden
from ..runs import load_cached, results_root
from ..stats import iqm

TUNING_SEEDS = (100, 101, 102)
SIZES = {"small": "64,32", "medium": "116,58", "large": "310,155"}
"""Each band's tuning width (chapter 5's sizes; ``methods.PROFILES['book']['sizes']``)."""
ROWS = ("cmaes", "sepcmaes", "openai_es", "ga", "neuromod")
NOT_TUNED = {("cmaes", "large"): "not tuned: full CMA-ES at this width is too expensive to tune"}
"""(row, band) cells the tuning leaves out, and why: full CMA-ES at 51,619 parameters is predicted to
take hours and tens of GiB a run (chapter 5), and what it costs does not depend on its setting."""
SETTINGS = 16
"""Settings per method and band (x 3 tuning seeds = 48 runs)."""

_ES_GRID = [dict(sigma0=s, hyper={"lr": lr}) for s in (0.01, 0.02, 0.05, 0.1) for lr in (0.003, 0.01, 0.03, 0.1)]
GRIDS: dict[str, list[dict]] = {
    "cmaes": [dict(sigma0=0.5 * 2.0**k, hyper=({"active": True} if active else None))
              for active in (False, True) for k in range(-5, 3)],
    "sepcmaes": [dict(sigma0=0.5 * 2.0 ** (k / 2)) for k in range(-10, 6)],
    "openai_es": _ES_GRID,
    "ga": [dict(sigma0=0.05 * 2.0**k, hyper={"elites": e}) for e in (1, 3) for k in range(-4, 4)],
    "neuromod": _ES_GRID,
}
"""Each method's settings: RunConfig's ``sigma0`` and ``hyper`` (None: the method's defaults)."""
TRAINER = {"cmaes": "torch_cmaes", "sepcmaes": "sepcmaes", "openai_es": "openai_es", "ga": "ga",
           "neuromod": "neuromod"}
"""The trainer of each row (chapter 5's CMA-ES row runs torch CMA-ES)."""
BOOK = {"cmaes": dict(sigma0=0.5), "sepcmaes": dict(sigma0=0.5),
        "openai_es": dict(sigma0=0.05, hyper={"lr": 0.03}), "ga": dict(sigma0=0.05, hyper={"elites": 1}),
        "neuromod": dict(sigma0=0.05, hyper={"lr": 0.03})}
"""The setting the book's evaluation runs used before tuning (chapter 5's defaults)."""


@dataclass(frozen=True)
class TuningParams:
    """The tuning protocol's run settings."""

    env: str = "LunarLander-v3"
    """The task every method is tuned on (chapter 5's)."""
    popsize: int = 64
    """Population per generation (the book protocol's)."""
    budget_evals: int = 10_240
    """Training episodes per tuning run (a third of the evaluation runs' 30,720)."""
    test_every: int = 2_560
    """A solved test every this many episodes (the book protocol's)."""
    test_episodes: int = 100
    """Episodes per solved test."""
    seeds: tuple = TUNING_SEEDS
    """Tuning seeds: none of the evaluation seeds."""


PROFILES = {"book": TuningParams()}
"""The profiles whose campaign trains the tuning runs (the quick and full profiles read the book's)."""
SMOKE = TuningParams(popsize=8, budget_evals=32, test_every=16, test_episodes=3, seeds=(100, 101))
"""CI's tiny version (the same grids on tiny networks; the numbers mean nothing). The campaign does not
plan it; the chapter at the smoke profile reads whatever of it is stored."""
SMOKE_SIZES = {"small": "4,2", "medium": "8,4", "large": "16,8"}


def check_grids() -> None:
    """Every method has ``SETTINGS`` distinct settings, the book's among them (ValueError otherwise)."""
    for row, grid in GRIDS.items():
        keys = {_setting_key(s) for s in grid}
        if len(grid) != SETTINGS or len(keys) != SETTINGS:
            raise ValueError(f"tuning grid of {row} has {len(keys)} distinct settings, not {SETTINGS}")
        if _setting_key(BOOK[row]) not in keys:
            raise ValueError(f"tuning grid of {row} lacks the book's setting {BOOK[row]}")


def _setting_key(s: dict) -> tuple:
    return (round(float(s["sigma0"]), 12), tuple(sorted((s.get("hyper") or {}).items())))


def _num(v: float) -> str:
    """A grid value for readers: three significant digits, two below 0.01 (0.0031, not 0.00313)."""
    return f"{v:.3g}" if v >= 0.01 else f"{v:.2g}"


def setting_label(row: str, s: dict) -> str:
    """A setting in readers' words, e.g. "σ0 = 0.125, active" or "σ = 0.05, lr = 0.03"."""
    hyper = s.get("hyper") or {}
    sigma = _num(s["sigma0"])
    if row == "cmaes":
        return f"σ0 = {sigma}" + (", active" if hyper.get("active") else "")
    if row == "sepcmaes":
        return f"σ0 = {sigma}"
    if row == "ga":
        return f"mutation {sigma}, {hyper['elites']} elite" + ("s" if hyper["elites"] > 1 else "")
    return f"σ = {sigma}, lr = {hyper['lr']:g}"


def configs(profile: str = "book") -> list[tuple[str, str, int, RunConfig]]:
    """(row, band, setting index, RunConfig) of every tuning run of ``profile``."""
    check_grids()
    if profile not in (*PROFILES, "smoke"):
        raise ValueError(f"tuning runs exist for the profiles {', '.join(PROFILES)} and smoke, not {profile!r}")
    p, sizes = (SMOKE, SMOKE_SIZES) if profile == "smoke" else (PROFILES[profile], SIZES)
    out = []
    for band, hidden in sizes.items():
        for row in ROWS:
            if (row, band) in NOT_TUNED:
                continue
            for i, s in enumerate(GRIDS[row]):
                for seed in p.seeds:
                    out.append((row, band, i, RunConfig(
                        method=TRAINER[row], env=p.env, hidden=parse_hidden(hidden), popsize=p.popsize,
                        budget_evals=p.budget_evals, test_every=p.test_every, test_episodes=p.test_episodes,
                        seed=seed, sigma0=s["sigma0"], hyper=s.get("hyper"))))
    return out


def table(profile: str = "book") -> pd.DataFrame:
    """One row per tuning run: row, band, setting, seed, final solved-test return (NaN: not stored) and
    its CPU seconds."""
    from ..runs import run_cpu_seconds

    where = results_root() / profile / "runs"
    rows = []
    for row, band, i, c in configs(profile):
        df = load_cached(c, where)
        final = cpu = math.nan
        machine = ""
        if df is not None and len(df):
            tests = df["test_return"].dropna()
            final = float(tests.iloc[-1]) if len(tests) else math.nan
            cpu = run_cpu_seconds(df.iloc[-1])
            machine = str(df["machine"].iloc[-1]) if "machine" in df else ""
        rows.append(dict(row=row, band=band, setting=i, label=setting_label(row, GRIDS[row][i]),
                         sigma0=float(c.sigma0), second=_second(row, GRIDS[row][i]), seed=c.seed, final=final,
                         cpu_s=cpu, stored=df is not None, machine=machine))
    return pd.DataFrame(rows)


def _second(row: str, s: dict) -> str:
    """The setting's second hyper-parameter in words (one line per value in the sensitivity figure)."""
    hyper = s.get("hyper") or {}
    if row == "cmaes":
        return "active CMA" if hyper.get("active") else "positive weights only"
    if row == "sepcmaes":
        return "σ0 only"
    if row == "ga":
        return f"{hyper['elites']} elite" + ("s" if hyper["elites"] > 1 else "")
    return f"lr = {hyper['lr']:g}"


def at_edge(row: str, setting: int) -> list[str]:
    """Which of a setting's graded hyper-parameters (the step size; OpenAI-ES's and Neuromod's learning
    rate) sit at the smallest or largest value of the method's grid, in readers' words, e.g.
    ["the largest σ", "the largest lr"]. A selection there may have a better value outside
    the grid. Active CMA and the elites are switches, not grades, and have no edge."""
    name = {"cmaes": "σ0", "sepcmaes": "σ0", "ga": "mutation power"}.get(row, "σ")
    values = {name: [s["sigma0"] for s in GRIDS[row]]}
    if row in ("openai_es", "neuromod"):
        values["lr"] = [s["hyper"]["lr"] for s in GRIDS[row]]
    out = []
    for label, grid in values.items():
        v = grid[setting]
        if v == min(grid):
            out.append(f"the smallest {label}")
        elif v == max(grid):
            out.append(f"the largest {label}")
    return out


def best_setting(g: pd.DataFrame) -> tuple[bool, int, float]:
    """The selection rule on one group's tuning runs (columns setting, final, cpu_s, stored): (complete,
    the setting with the best IQM of the final solved test over its seeds, ties to the cheaper -- less
    CPU -- or -1 while a run is missing, its score)."""
    per = (g.groupby("setting")
            .agg(score=("final", lambda x: float(iqm(x)) if np.isfinite(x).all() else math.nan),
                 cpu=("cpu_s", "sum"), stored=("stored", "all"))
            .reset_index())
    if not per["stored"].all():
        return False, -1, math.nan
    per["score_r"] = per["score"].round(9)
    best = per.sort_values(["score_r", "cpu"], ascending=[False, True]).iloc[0]
    return True, int(best["setting"]), float(best["score"])


def select(runs: pd.DataFrame) -> pd.DataFrame:
    """The selection rule (``best_setting``) per (row, band). ``complete`` is False (and ``setting``
    -1) while any run of the (row, band) is missing."""
    out = []
    for (row, band), g in runs.groupby(["row", "band"], sort=False):
        complete, best, score = best_setting(g)
        out.append(dict(row=row, band=band, complete=complete, setting=best,
                        label=setting_label(row, GRIDS[row][best]) if best >= 0 else "",
                        score=score, book=setting_label(row, BOOK[row]),
                        changed=complete and _setting_key(GRIDS[row][best]) != _setting_key(BOOK[row]),
                        edge=" and ".join(at_edge(row, best)) if best >= 0 else "",
                        stored=int(g["stored"].sum()), planned=len(g)))
    return pd.DataFrame(out)


@functools.lru_cache(maxsize=None)
def _selection(root: str) -> dict:
    """(row, band) -> the selected setting, for every band whose tuning runs are all stored under ``root``."""
    sel = select(table("book"))
    return {(r.row, r.band): GRIDS[r.row][r.setting] for r in sel.itertuples() if r.complete}


def selected(row: str, band: str, env: str = "LunarLander-v3") -> dict | None:
    """The setting the selection rule chose for ``row`` in ``band`` (``sigma0`` and ``hyper``), or None
    while that band's tuning runs are not all stored (or for a task or method not tuned here). Read
    once per process and results folder (``_selection.cache_clear()`` after new runs)."""
    if env != PROFILES["book"].env or row not in GRIDS:
        return None
    return _selection(str(results_root())).get((row, band))
