"""The studies: chapter id -> ``Study`` (``STUDIES``, also ``evoscale.experiments.STUDIES``), the one
registry the campaign iterates (issue 35).

A study names its parameter dataclass (``Params``, a docstring per field; its profiles are named
instances of it), builds them from a notebook namespace (``params``), lists the runs it reads at a
profile, each with its priority and cell (``needs``: ``runs.Need``), and the measured cost priors its
runs are priced with until stored runs take over (``cost_priors``; ``progress.CostModel``). The
priorities and priors are the chapters' own constants (``tuning.PRIORITY``, ``backprop.PRIORITY``,
``backprop.COST_PRIORS``, ...); nothing above this module names a chapter.

"tuning" is the fair-rivals protocol of chapters 1 and 5, "frontier" chapter 1's networks beyond
100K parameters (after every other run). The registry's order is the order the campaign collects
the runs in (chapter 3 before chapters 1 and 5, whose cells its runs serve).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from ..runs import Need, cell_name
from . import (analyses, backprop, cma_scaling, compute, environments, frontier, gpu, methods, plasticity, tuning,
               workers)


def _no_priors(profile: str) -> dict:
    return {}


@dataclass(frozen=True)
class Study:
    """One chapter's study as the campaign and the chapters' progress lines read it."""

    Params: type
    """The study's parameter dataclass (a docstring per field; the profiles are its named instances)."""
    params: Callable[[dict], object]
    """A notebook namespace (``{"profile": ...}`` at least) -> ``Params``, strictly checked."""
    needs: Callable[[str], list[Need]]
    """A profile -> every run the study reads at it, each with its priority and cost-model cell."""
    analyse: Callable[..., dict]
    """``(params, results, **options) -> results`` with the analysis added: ``verdicts`` (claim id ->
    ``report.Verdict``), ``family`` (the chapter's Holm family) and what its prose reads
    (``experiments.analyses``: the names each study's results hold)."""
    figures: Callable[[dict], dict]
    """The analysed results -> glue name -> figure, for the figures the study's modules draw."""
    cost_priors: Callable[[str], dict] = _no_priors
    """A profile -> the study's measured priors, (method, env) -> CPU-seconds per unit (episode, or env
    step for the gradient baselines) or a function of the parameter count giving them."""


# ------------------------------------------------------------------ the needs of each study
def _tuning(profile: str) -> list[Need]:
    if profile not in tuning.PROFILES:  # the quick and full profiles read the book's tuning runs
        return []
    return [Need(tuning.PRIORITY[band], "tuning", f"tuning {band}: " + cell_name(c), c)
            for row, band, i, c in tuning.configs(profile)]


def _compute(profile: str) -> list[Need]:
    P = compute.params({"profile": profile})
    return [Need(prio, "03_compute", cell_name(c), c) for prio, p in ((1, P), (5, P.crosscheck()))
            for c in p.configs()]


def _grid(profile: str, part: str) -> list[Need]:
    """Chapter 1's widths (``part="width"``) or chapter 5's grid with PPO (``"grid"``), from
    ``methods.plan`` (the book's cells where the cost table says they fit). A cell's runs wait for its
    band's tuning while that is not complete (``methods.waits_for_tuning``): a new seed trained at the
    earlier setting would be thrown away if the selection changes it. Once it is, they come before the
    next band's tuning (the same priority as their band's tuning), so the bands finish one at a time,
    the design note's own width first."""
    chapter = "01_parameters" if part == "width" else "05_methods"
    mp = methods.params({"profile": profile})
    try:
        cost = cma_scaling.run(cma_scaling.params({"profile": profile}), log=lambda *a: None) \
            if profile == "book" else None
    except Exception:  # no cost table for this profile: every cell counts as runnable
        cost = None
    out = []
    for cell, c in methods.configs(mp, methods.plan(mp, cost, part), ppo=part == "grid"):
        if cell is None:
            prio = 6
        elif cell.size.startswith("w") and cell.row not in ("cmaes", "openai_es") and cell.band != "large":
            prio = 5  # chapter 1's extra small width for sep-CMA-ES and the GA: drawn, in no verdict
        else:
            prio = tuning.PRIORITY[cell.band]  # a band's evaluation runs before the next band's tuning
        waits = methods.waits_for_tuning(mp, cell.row, cell.band) if cell is not None else None
        out.append(Need(prio, chapter, cell_name(c), c, waits=waits))
    return out


def _workers(profile: str) -> list[Need]:
    # the island runs do not depend on the speedup's worker counts, which are checked against this
    # machine's cores when the chapter measures them (the full profile's 16 would stop a 2-core plan)
    wp = workers.params({"profile": profile, "workers": [1]})
    return [Need(5, "04_workers", f"{wp.islands} islands x " + cell_name(c), c, "workers", wp.island_spec().of(c))
            for c in wp.island_configs()]


def _backprop(profile: str) -> list[Need]:
    bp = backprop.params({"profile": profile})
    out = [Need(backprop.PRIORITY.get((c.env, side), 5), "06_backprop_vs_evolution", cell_name(c), c)
           for side, c in bp.configs()]
    return out + [Need(4, "06_backprop_vs_evolution", cell_name(c) + " (ES network)", c)  # after the tuning runs
                  for c in backprop.es_network_ppo_configs(bp)]


def _plasticity(profile: str) -> list[Need]:
    """After the other chapters: the evolved networks, then PPO, then RecurrentPPO."""
    return [Need(plasticity.PRIORITY.get(c.method, plasticity.PRIORITY["es"]), "07_plasticity", cell_name(c), c)
            for c in plasticity.configs(profile)]


def _frontier(profile: str) -> list[Need]:
    """The tuning pass, PPO, and the evaluation runs, which wait for their pass (priced, not run)."""
    if profile not in frontier.PROFILES:
        return []
    return [Need(prio, "frontier", f"{what}: " + cell_name(c), c, waits=waits)
            for prio, what, c, waits in frontier.needs(frontier.params({"profile": profile}))]


def _frontier_priors(profile: str) -> dict:
    return frontier.cost_prior(frontier.params({"profile": profile if profile in frontier.PROFILES else "book"}))


def _environments(profile: str) -> list[Need]:
    """Chapter 2's runs, after every chapter but the frontier's: its LunarLander CMA-ES runs are chapter
    3's cross-check (priced in chapter 3's row, the first to list them)."""
    P = environments.params({"profile": profile})
    return [Need(environments.PRIORITY, "02_environments", cell_name(c), c) for c in [*P.configs(), *P.compute_params().configs()]]


def _gpu(profile: str) -> list[Need]:
    """Chapter 8 times the evaluators (and reads ``make gpu-check``'s results): no stored runs."""
    return []


def _tuning_params(namespace: dict) -> tuning.TuningParams:
    profile = namespace.get("profile", "book")
    return tuning.SMOKE if profile == "smoke" else tuning.PROFILES["book"]


STUDIES: dict[str, Study] = {
    "tuning": Study(tuning.TuningParams, _tuning_params, _tuning, analyses.tuning_analyse, analyses.tuning_figures),
    "03_compute": Study(compute.ComputeParams, compute.params, _compute, analyses.compute_analyse,
                        analyses.none_drawn),
    "01_parameters": Study(cma_scaling.CostParams, cma_scaling.params, lambda profile: _grid(profile, "width"),
                           analyses.parameters_analyse, analyses.parameters_figures),
    "05_methods": Study(methods.MethodsParams, methods.params, lambda profile: _grid(profile, "grid"),
                        analyses.methods_analyse, analyses.methods_figures_of),
    "04_workers": Study(workers.WorkersParams, workers.params, _workers, analyses.workers_analyse,
                        analyses.none_drawn),
    "06_backprop_vs_evolution": Study(backprop.BackpropParams, backprop.params, _backprop, analyses.backprop_analyse,
                                      analyses.backprop_figures, lambda profile: dict(backprop.COST_PRIORS)),
    "07_plasticity": Study(plasticity.PlasticityParams, plasticity.params, _plasticity, analyses.plasticity_analyse,
                           analyses.none_drawn, lambda profile: dict(plasticity.COST_PRIORS)),
    "02_environments": Study(environments.EnvParams, environments.params, _environments,
                             analyses.environments_analyse, analyses.none_drawn),
    "08_gpu": Study(gpu.GpuParams, gpu.params, _gpu, analyses.gpu_analyse, analyses.none_drawn),
    "frontier": Study(frontier.FrontierParams, frontier.params, _frontier, analyses.frontier_analyse,
                      analyses.none_drawn, _frontier_priors),
}
"""Chapter id -> its study, in the order the campaign collects their runs: a run two studies share
(chapter 3's torch CMA-ES serves chapters 1 and 5) is priced in the plan's row of the first."""
