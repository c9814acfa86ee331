"""What each study of ``STUDIES`` makes of its results: ``analyse(params, results)`` and
``figures(results)`` (issue 35), thin adapters over the chapters' own verdict and figure functions.

``results`` is a dict of what the study's runs and measurements gave (the names below, per study);
``analyse`` returns it with the analysis added: ``verdicts`` (claim id -> ``report.Verdict``, objects
until a chapter renders them), ``family`` (the chapter's Holm family, for ``family_table``) and what
else the chapter's prose reads. ``figures`` takes that analysed dict and returns glue name -> matplotlib
figure for the figures drawn by the study's modules (a chapter still draws the ones its page builds
itself). ``options`` (``repeats``, ``n_resamples``) go to the verdict functions, e.g. fewer resamples in
the tests.
"""

from __future__ import annotations

from . import (backprop, backprop_verdicts, compute, compute_verdicts, environments_verdicts, frontier, gpu_verdicts,
               judging, methods_figures, methods_verdicts, plasticity, plasticity_verdicts, tuning, workers_verdicts)


# ------------------------------------------------------------------ chapter 2: environments
def environments_analyse(P, results: dict, **options) -> dict:
    """results: ``table`` (``environments.evals_to_threshold`` of the chapter's runs) and ``model`` (the
    cost model, ``environments_cost.cost_model``, which prices what would resolve an open claim; or
    None). Adds ``verdicts`` (d2.*), ``family`` and ``family_table``."""
    V, F = environments_verdicts.verdicts(results["table"], results.get("model"), **options)
    return {**results, "verdicts": V, "family": F, "family_table": environments_verdicts.family_table(F)}


# ------------------------------------------------------------------ chapter 3: compute
def compute_analyse(P, results: dict, **options) -> dict:
    """results: ``runs`` (``compute.run(P)``), ``check`` (its cross-check), ``costs`` (the idle-core unit
    costs, or None). Adds ``summary`` (``compute.summarise``), ``verdicts`` (d3.*) and ``family``."""
    S = compute.summarise(results["runs"], P.env, check=results.get("check"), planned=len(P.seed_list()),
                          costs=results.get("costs"))
    V, F = compute_verdicts.verdicts(S, **options)
    return {**results, "summary": S, "verdicts": V, "family": F, "family_table": compute_verdicts.family_table(F)}


# ------------------------------------------------------------------ chapter 4: workers
def workers_analyse(P, results: dict, **options) -> dict:
    """results: ``timings`` (``workers.speedup``), ``env`` (the task judged), ``finals`` (the island
    comparison's final returns per model, or None), ``hundred`` (the simulated islands at 100+
    workers, or None). Adds ``verdicts`` (d4.*, q3.islands) and ``family``."""
    V, F = workers_verdicts.verdicts(results["timings"], results["env"], results.get("finals"), P.island_seeds,
                                     results.get("hundred"), **options)
    return {**results, "verdicts": V, "family": F, "family_table": workers_verdicts.family_table(F)}


# ------------------------------------------------------------------ chapter 5: methods (and tuning)
def methods_analyse(P, results: dict, **options) -> dict:
    """results: ``seeds`` (``methods.per_seed`` of the grid), ``cells`` (``methods.plan``), ``planned``
    (``methods.planned``), ``threshold`` (the task's solved return). Adds ``verdicts`` ((row, size) ->
    verdict of the claimed table) and ``family``."""
    thr = results["threshold"]
    F = methods_verdicts.tests(results["seeds"], thr, **options)
    V = methods_verdicts.verdicts(results["seeds"], results["cells"], results.get("planned"), F, thr)
    return {**results, "verdicts": V, "family": F, "family_table": methods_verdicts.family_table(F)}


def methods_figures_of(results: dict) -> dict:
    """With ``grid`` (the grid's records) and ``p_best`` (``methods.p_best``) in results: the heatmap and the
    learning curves."""
    grid = results.get("grid")
    if grid is None:
        return {}
    machines = grid["machine"] if len(grid) else []
    return {"fig_methods_heatmap": methods_figures.heatmap(results["seeds"], results["cells"], results["verdicts"],
                                                           results["p_best"], results.get("planned"), machines),
            "fig_methods_curves": methods_figures.curves(grid, results["cells"], results["threshold"])}


def tuning_analyse(P, results: dict, **options) -> dict:
    """results: ``table`` (``tuning.table``). The protocol states no claim of its own (chapter 5 judges
    the tuned cells): no verdicts; adds the ``selection`` table and ``edges``, the sentence on selections at
    an edge of their grid."""
    sel = tuning.select(results["table"])
    return {**results, "verdicts": {}, "family": {}, "selection": tuning.selection_table(sel),
            "edges": tuning.edge_text(sel)}


def tuning_figures(results: dict) -> dict:
    return {"fig_tuning_sensitivity": tuning.sensitivity(results["table"])}


# ------------------------------------------------------------------ chapter 1: widths, and the frontier beyond 100K
def frontier_analyse(FP, results: dict, **options) -> dict:
    """results: ``seeds`` (``frontier.per_seed``), ``widest`` (full-rank OpenAI-ES's finals at
    ``frontier.WIDEST_FULL``), ``threshold``, and ``family`` when chapter 1's Holm family is at hand (else
    the frontier's own tests are one family). Adds ``verdicts`` (full, low, equal)."""
    from ..stats import family

    seeds, thr = results["seeds"], results["threshold"]
    F = results.get("family")
    if F is None:
        F = family(frontier.p_values(seeds, results["widest"], thr), options.get("repeats", 100))
    V = {"full": frontier.limit_verdict(seeds, "openai_es", [frontier.n_params(h) for h in FP.full_rank], thr, F),
         "low": frontier.limit_verdict(seeds, "lowrank_es", [frontier.n_params(h) for h in frontier.fitting_low_rank(FP)],
                                       thr, F),
         "equal": frontier.equal_verdict(seeds, results["widest"], F, frontier.EQUAL_MARGIN)}
    return {**results, "verdicts": V, "family": F}


def parameters_analyse(P, results: dict, **options) -> dict:
    """Chapter 1's claim (width and beyond, one Holm family with the widths beyond 100K). results:
    ``width_seeds`` (``methods.per_seed`` of the width sweep), ``width_cells``, ``threshold``,
    ``frontier_seeds`` (``frontier.per_seed``) and ``frontier_params``. Adds ``widest`` (OpenAI-ES's
    finals at the widest width), ``family`` (and ``family_table``, its tests for readers), ``width`` and
    ``beyond`` (their dicts, verdict and crossover), ``verdicts`` (width, beyond, claim and the
    frontier's) and ``frontier`` (its analysis)."""
    ws, fs, thr = results["width_seeds"], results["frontier_seeds"], results["threshold"]
    widest = ws[(ws["row"] == "openai_es") & (ws["n"] == frontier.WIDEST_FULL)]["final"].to_numpy()
    F = methods_verdicts.width_tests(ws, extra=frontier.p_values(fs, widest, thr), **options)
    WV, WB = methods_verdicts.width_verdict(ws, F=F), methods_verdicts.width_beyond(ws, F=F)
    FV = frontier_analyse(results["frontier_params"], {"seeds": fs, "widest": widest, "threshold": thr, "family": F})
    V = {"width": WV["verdict"], "beyond": WB["verdict"], "claim": methods_verdicts.width_claim(WV, WB),
         **{f"frontier_{k}": v for k, v in FV["verdicts"].items()}}
    table = judging.family_table(F, methods_verdicts.width_family_names(F, thr, frontier.LABELS))
    return {**results, "widest": widest, "family": F, "family_table": table, "width": WV, "beyond": WB, "verdicts": V,
            "frontier": FV}


def parameters_figures(results: dict) -> dict:
    return {"fig_width": methods_figures.width_figure(results["width_seeds"], results["width_cells"], results["width"],
                                                      results["threshold"], results.get("frontier_seeds"))}


# ------------------------------------------------------------------ chapter 6: backprop vs evolution
def backprop_analyse(P, results: dict, **options) -> dict:
    """results: ``runs``, ``costs``, ``summaries`` (env -> ``backprop.summarise``), ``panels`` ((C, why, S)
    per task: ``backprop.crossover_for`` of its headline ES), ``others`` and ``main`` (the task the
    headline claims are judged on). Adds ``verdicts`` (q1.*), ``family`` and ``found`` (the intro's
    "What we found")."""
    S, main = results["summaries"], results["main"]
    es = backprop.es_method(P.tasks[main])
    V, F = backprop_verdicts.verdicts(S, {C_["env"]: C for C, _, C_ in results["panels"]}, es, main, **options)
    return {**results, "verdicts": V, "family": F, "found": backprop_verdicts.found(S, V, es, main),
            "family_table": backprop_verdicts.family_table(F)}


def backprop_figures(results: dict) -> dict:
    """The curves against env steps and one-core seconds (from ``runs``, ``summaries``, ``costs``) and,
    once results hold the ``panels`` (and ``others``), the crossover over cores: each figure whose
    inputs results hold."""
    out = {}
    if "runs" in results:
        out["fig_curves"] = backprop.figure_curves(results["runs"], list(results["summaries"].values()),
                                                   results["costs"])
    if "panels" in results:
        panels, others = results["panels"], results.get("others", {})
        out["fig_cores"] = backprop.figure_cores([(C_, S_, why) for C_, why, S_ in panels],
                                                 {e: [C_ for (e_, _), (C_, _) in others.items() if e_ == e]
                                                  for e in results["summaries"]})
    return out


# ------------------------------------------------------------------ chapter 7: plasticity
def plasticity_analyse(P, results: dict, **options) -> dict:
    """results: ``per_seed`` (``plasticity.finals``) and ``matched`` (``plasticity.at_steps``). Adds
    ``verdicts`` (q2.*), ``family`` and ``short`` (the intro's line)."""
    full, at, planned = results["per_seed"], results["matched"], len(P.seed_list())
    V, F = plasticity_verdicts.verdicts(full, at, planned, P.ppo_steps, **options)
    short = plasticity_verdicts.short(V, planned, len(full), plasticity_verdicts.tests(full, at), P.ppo_steps)
    return {**results, "verdicts": V, "family": F, "short": short,
            "family_table": plasticity_verdicts.family_table(F)}


# ------------------------------------------------------------------ chapter 8: the GPU question
def gpu_analyse(P, results: dict, **options) -> dict:
    """results: the chapter's measurements, ``jax_table`` (``gpu.jax_rates``), ``shares`` (``gpu.shares``),
    ``checks`` and ``speed`` (``gpu.envpool_backend``), ``mjx_meta`` (``gpu.mjx_rates``) and ``gpu`` (the
    newest ``make gpu-check`` results, or None). Adds ``verdicts`` (q4.*), ``family``, ``family_table``
    and ``short`` (the intro's line)."""
    args = (results["jax_table"], results["shares"], results["checks"], results["speed"], results["mjx_meta"],
            results.get("gpu"))
    T = gpu_verdicts.tests(*args)
    V, F = gpu_verdicts.verdicts(*args, T=T, **options)
    return {**results, "verdicts": V, "family": F, "family_table": gpu_verdicts.family_table(F),
            "short": gpu_verdicts.short(V, T)}


def none_drawn(results: dict) -> dict:
    """A study whose figures its chapter's page draws itself (chapters 2, 3, 4, 7 and 8, the frontier's
    table)."""
    return {}
