"""What a study's runs cost and how many are stored: the planning half of the campaign, below it, so
that a chapter gets its "still to run" line from its study and never imports the campaign.

``needs(profile, chapters)`` collects the runs of the studies in ``studies.STUDIES`` (chapter ids or
prefixes such as "03"). Runs that differ only in ``budget_evals`` form a *group*: only the longest is
trained, and its records, cut, serve the shorter budgets (``runs.served_by``; ``units``). ``plan``
shows per cell the seeds done / planned and the CPU-minutes still missing, estimated from the stored
runs and the studies' priors (``CostModel``); ``still_to_run`` says it in a sentence for a chapter's
prose.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import pandas as pd

from ..config import RunConfig
from ..runs import Need, is_cached, load_stored, results_root, run_cpu_seconds, run_path, servable
from ..trainers import GRADIENT_METHODS
from .studies import STUDIES


def chapters_of(chapters=None) -> list[str]:
    """The study ids ``chapters`` names (ids or prefixes such as "03"; None or empty: all of them), in
    the registry's order; an unknown one is a ValueError naming the valid ones."""
    if chapters:
        unknown = [x for x in chapters if not any(c.startswith(str(x)) for c in STUDIES)]
        if unknown:
            raise ValueError(f"unknown chapter(s) {', '.join(map(str, unknown))}; valid: {', '.join(STUDIES)} "
                             "(or a prefix such as 03)")
    return list(STUDIES) if not chapters else [c for c in STUDIES if any(c.startswith(str(x)) for x in chapters)]


def needs(profile: str = "book", chapters=None) -> list[Need]:
    """Every run the studies of ``profile`` read (duplicates across chapters included)."""
    return [n for chapter in chapters_of(chapters) for n in STUDIES[chapter].needs(profile)]


def forget_stored() -> None:
    """Drop what the studies read once per process from the stored runs (the fair-rivals selection),
    so that the next ``needs`` sees the runs stored since: the campaign's re-plan calls it."""
    from . import fair_rivals

    fair_rivals._selection.cache_clear()


def only_envs(all_needs: list[Need], envs=None) -> list[Need]:
    """The needs whose task is one of ``envs`` (None or empty: all of them), e.g. to finish one task's
    comparison before the next; an unknown env id is a ValueError naming the valid ones."""
    if not envs:
        return all_needs
    from ..envs.registry import get_spec

    for e in envs:
        get_spec(e)
    return [n for n in all_needs if n.config.env in envs]


def group_key(need: Need) -> str:
    c, run = need.config, need.run
    fields = c.hashed_fields()
    if servable(run):
        fields.pop("budget_evals")
    kind = None if run is c else repr(dataclasses.replace(run, config=None))  # another run kind: its settings
    return json.dumps({"store": need.store, "run": kind, **fields}, sort_keys=True)


def need_path(need: Need, root: Path) -> Path:
    """Where ``need``'s run is stored."""
    return run_path(need.run, root / need.store)


def need_stored(need: Need, root: Path) -> bool:
    return is_cached(need.run, root / need.store)


def units(all_needs: list[Need]) -> list[Need]:
    """The runs to train: per group (same run but for ``budget_evals``) the longest, with the group's
    best priority; sorted by priority, then seed."""
    groups: dict[str, list[Need]] = {}
    for n in all_needs:
        groups.setdefault(group_key(n), []).append(n)
    out = []
    for members in groups.values():
        longest = max(members, key=lambda n: n.config.budget_evals)
        out.append(Need(min(n.priority for n in members), longest.chapter, longest.cell, longest.config,
                        longest.store, longest.islands))
    return sorted(out, key=lambda n: (n.priority, n.config.seed, n.chapter, n.cell))


RUN_COST_COLUMNS = ("method", "env", "n_params", "evals", "env_steps", "wall_s", "test_wall_s", "cpu_s")


class CostModel:
    """CPU-seconds per training episode, fitted to the stored runs: per (method, env) a power law in
    the parameter count (log-log least squares; one size: its mean), else a chapter's measured prior
    (``priors``: (method, env) -> seconds per unit, or a function of n giving them, which also wins
    beyond twice the widest stored run), else the env's median over methods, else 10 ms.
    Includes the solved tests (``run_cpu_seconds``: CPU seconds where recorded). The gradient baselines: seconds per env step the same way (else 1 ms).
    Episodes lengthen as policies learn, so where a (method, env) has stored runs of at least half the
    target budget only those are used (a 10K-episode run underestimates a 100K one several times); where
    there are only shorter ones, a prior for the cell wins over them."""

    def __init__(self, *stores: Path, priors: dict | None = None):
        self.priors = dict(priors or {})
        rows = []
        for side in sorted({p for store in stores for p in Path(store).glob("*.json")}):
            csv = side.with_suffix(".csv")
            if not csv.exists() or (df := load_stored(csv)) is None or df.empty:
                continue  # a file that does not verify was named in a warning and counts as missing
            if not set(RUN_COST_COLUMNS[:-1]) <= set(df.columns):
                continue
            df = df.iloc[-1]
            unit = df["env_steps"] if df["method"] in GRADIENT_METHODS else df["evals"]
            rows.append(dict(method=df["method"], env=df["env"], n=df["n_params"], budget=unit,
                             s_per_unit=run_cpu_seconds(df) / max(unit, 1)))
        self.runs = pd.DataFrame(rows, columns=["method", "env", "n", "budget", "s_per_unit"])

    def seconds(self, config: RunConfig, n: int) -> float:
        r = self.runs
        units_ = config.budget_steps if config.method in GRADIENT_METHODS else config.budget_evals
        same = r[(r["method"] == config.method) & (r["env"] == config.env)]
        prior = self.priors.get((config.method, config.env))
        if callable(prior):  # a prior in the parameter count (a measured model); NaN: none yet
            prior = prior(n) if np.isfinite(prior(n)) else None
            if prior is not None and len(same) and n > 2 * same["n"].max():
                same = same.iloc[:0]  # far beyond every stored width: the model, not the fit's extrapolation
        if (same["budget"] >= units_ / 2).any():
            same = same[same["budget"] >= units_ / 2]
        elif prior is not None:  # only shorter runs: the prior measured for this cell
            same = same.iloc[:0]
        if same.empty and prior is not None:
            s = prior
        elif same.empty and config.method not in GRADIENT_METHODS:
            same = r[(r["env"] == config.env) & ~r["method"].isin(GRADIENT_METHODS)]
            s = float(same["s_per_unit"].median()) if len(same) else 0.01
        elif same.empty:
            s = 1e-3
        elif same["n"].nunique() < 2:
            s = float(same["s_per_unit"].mean())
        else:
            log_n, log_s = np.log(same["n"].astype(float)), np.log(same["s_per_unit"].astype(float))
            b, a = np.polyfit(log_n, log_s, 1)
            # cost does not fall with size: a negative slope (noise, e.g. runs that crash early) is
            # refitted with slope 0, the geometric mean -- not the old intercept, which would
            # extrapolate from n = 1
            s = float(np.exp(a + b * np.log(n))) if b >= 0 else float(np.exp(log_s.mean()))
        return s * units_


def n_params(c: RunConfig) -> int:
    """Parameters of the network a run trains, as its records will say (the gradient baselines: their
    own actor and critic, e.g. a ``net_arch``, not the config's MLP)."""
    from ..policies import make_policy
    from ..train import resolve

    r = resolve(c)
    if c.method in GRADIENT_METHODS:
        from ..baselines import policy_size

        return policy_size(c)
    return make_policy(r.spec, c.hidden, "cpu", r.policy, **r.policy_kwargs).n_params


def cost_model(profile: str) -> CostModel:
    """The cost model of ``profile``'s campaign: its stored runs and the book's, and every study's
    priors (``Study.cost_priors``; a later study's prior for the same (method, env) wins)."""
    root = results_root()
    priors = {k: v for study in STUDIES.values() for k, v in study.cost_priors(profile).items()}
    return CostModel(root / profile / "runs", root / "book" / "runs", priors=priors)


def plan(profile: str = "book", chapters=None, envs=None) -> pd.DataFrame:
    """One row per chapter cell: seeds done / planned and the estimated CPU-minutes still missing."""
    root = results_root() / profile
    all_needs = only_envs(needs(profile, chapters), envs)
    model = cost_model(profile)
    group_of = {group_key(u): u for u in units(all_needs)}
    missing = {k for k, u in group_of.items() if not need_stored(u, root)}
    rows = []
    for n in all_needs:
        unit = group_of[group_key(n)]
        missing_unit = group_key(n) in missing
        done = need_stored(n, root)
        cost = model.seconds(unit.config, n_params(unit.config)) / 60 if missing_unit else 0.0
        rows.append(dict(chapter=n.chapter, priority=n.priority, n_params=n_params(n.config),
                         cell=n.cell + (f" (waits for {n.waits})" if n.waits else ""),
                         done=int(done), planned=1, unit=need_path(unit, root).name,
                         cpu_min_missing=cost))
    df = pd.DataFrame(rows, columns=["chapter", "priority", "n_params", "cell", "done", "planned", "unit",
                                      "cpu_min_missing"])  # a study with no runs (chapter 8): an empty plan
    # a unit's cost counts once, for its own cell (the longest budget of its group)
    df["cpu_min_missing"] = df["cpu_min_missing"].where(~df.duplicated("unit"), 0.0)
    return (df.groupby(["chapter", "priority", "cell", "n_params"], as_index=False, sort=False)
              .agg(done=("done", "sum"), planned=("planned", "sum"), cpu_min_missing=("cpu_min_missing", "sum"))
              .sort_values(["priority", "chapter", "n_params"]))


def contingent(profile: str = "book", chapters=None, envs=None) -> tuple[int, float]:
    """The most the pending decisions can add: the stored runs that still wait for one (``Need.waits``,
    e.g. a chapter 1 or 5 cell whose band is still being tuned), each counted once, and the CPU-hours
    re-running them would cost if every decision changed their setting (priced as they are: a setting
    barely changes a run's cost)."""
    root = results_root() / profile
    model = cost_model(profile)
    stored = {}
    for n in only_envs(needs(profile, chapters), envs):
        if n.waits and need_stored(n, root):
            stored.setdefault(need_path(n, root).name, n)
    hours = sum(model.seconds(n.config, n_params(n.config)) for n in stored.values()) / 3600
    return len(stored), hours


def still_to_run(profile: str, chapter: str) -> str:
    """For a chapter's prose: how many of the runs its study plans (``chapter``: its id or a prefix such
    as "03") are stored and, if any are missing, the campaign's estimate of their cost (CPU-hours, one core per run; a run this chapter shares with
    another counts here too)."""
    df = plan(profile, [chapter])
    done, planned = int(df["done"].sum()), int(df["planned"].sum())
    if planned == 0:
        return "it plans no stored runs"
    if done == planned:
        return f"all {planned:,} planned runs are stored"
    minutes = df["cpu_min_missing"].sum()
    cost = f"{minutes / 60:,.1f} CPU-hours" if minutes >= 6 else f"{minutes:,.1f} CPU-minutes"
    return (f"{done:,} of {planned:,} planned runs are stored; the other {planned - done:,} are estimated at "
            f"{cost} (one core per run)")


