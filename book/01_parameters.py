# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Dimension 1: parameter count — what does one generation cost?
#
# **Verdict.** {glue:text}`verdict_short`
#
# <small>{glue:text}`provenance`</small>
#
# **In this chapter you will learn**
#
# - how the memory and time of one {term}`CMA-ES` {term}`generation` grow with the number of parameters, measured rather than counted;
# - why full CMA-ES needs n² numbers and {term}`sep-CMA-ES` and {term}`OpenAI-ES` only n;
# - how to compare two methods at each network width with an {term}`IQM` difference and its confidence interval.
#
# **The claim.** Full CMA-ES keeps an n × n covariance matrix, so memory and compute grow as O(n²).
# The {term}`design note` tabulates it: 2,788 parameters → 7.8M covariance entries, "works"; 10,000 →
# 100M, "borderline"; 50,000 → 2.5G, "too large"; 100,000 → 10G, "impossible". sep-CMA-ES
# {cite}`ros2008simple` and OpenAI-ES {cite}`salimans2017evolution` are O(n). Its hypothesis:
# *CMA-ES dominates up to ~10K parameters, OpenAI-ES above.*
#
# **What this page measures (part A: cost).** For each method and parameter count n: the time of
# one {term}`generation`'s `ask` + `tell` (one thread, {term}`population` 64) and the peak memory of a process
# holding the optimiser — full CMA-ES through pycma and through our torch re-implementation
# (fp32 covariance), each with its periodic eigendecomposition amortised over its update gap. Next
# to them, the time the evaluator needs for one LunarLander generation with a network of that size.
# The optimiser's cost only matters relative to that {term}`evaluation`: that ratio is the real
# "borderline".
#
# **Part B: sample efficiency vs width.** Whether CMA-ES *learns* faster per evaluation than
# OpenAI-ES up to ~10K parameters: LunarLander runs of CMA-ES, sep-CMA-ES, OpenAI-ES and the {term}`GA`
# across network widths (about 1K, 2.8K, 8K, 50K and 100K parameters) with the same {term}`episode` budget,
# {glue:text}`seed_plan`. These are the runs of chapter 5's methods grid (plus
# two extra widths), computed once and shared.

# %% tags=["parameters"]
profile = "book"  # smoke | quick | book | full
sizes_full = None  # parameter counts for full-covariance CMA-ES (book: [1000, 2000, 4000, 8000])
sizes_linear = None  # parameter counts for the O(n) methods, sep-CMA-ES and OpenAI-ES, and for the evaluation time
popsize = 64  # individuals per generation
generations = None  # timed generations per measurement (the median of generations 2..G is reported)
eval_rounds = None  # LunarLander generations timed per network size
device = "cpu"  # cpu | cuda: where the torch CMA-ES runs (`cuda`: the GPU row)

# %% tags=["hide-input"]
from evoscale.experiments import cma_scaling

P = cma_scaling.params(globals())  # strict: a name papermill injected that is not declared above aborts here

# %% tags=["hide-input"]
import math

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from myst_nb import glue

from evoscale import plots
from evoscale.experiments import cma_cost, report
from evoscale.machine import ram_gib

plots.style()
df = cma_scaling.run(P)
machine = "; ".join(sorted(df["machine"].unique()))
ram = ram_gib()  # this machine's RAM (GiB); one 80 GB GPU is the other memory reference
# the readers' names (plots.METHOD_LABELS), with each implementation's precision
names = plots.METHOD_LABELS
LABELS = {"cmaes": names["cmaes"][:-1] + ", fp64)", "torch_cmaes": names["torch_cmaes"][:-1] + ", fp32)",
          "sepcmaes": names["sepcmaes"] + " (pycma)", "openai_es": names["openai_es"],
          "evaluation": "one LunarLander generation (evaluator)"}
fits = {m: cma_scaling.power_law(df, m) for m in LABELS}  # the evaluation's fit is only quoted
mem_fits = {m: cma_scaling.power_law(df, m, "peak_mib") for m in ("cmaes", "torch_cmaes")}
cross = {m: cma_scaling.crossover(df, m) for m in ("cmaes", "torch_cmaes")}

# %% [markdown]
# ## Time per generation

# %% tags=["hide-input"]
fig, (ax, ax2) = plt.subplots(1, 2, figsize=(plots.WIDTH, 5.6))
TORCH = dict(linestyle="--", marker="^")  # CMA-ES's colour for both implementations; torch's dashed
for m, label in LABELS.items():
    d = df[df["method"] == m].sort_values("n")
    style = (dict(color="0.2", linestyle="--", marker="s") if m == "evaluation" else
             dict(color=plots.color(m), **(TORCH if m == "torch_cmaes" else dict(marker="o"))))
    ax.plot(d["n"], d["amortised_ms_per_gen"] / 1e3, label=f"{label}: ∝ n^{fits[m][0]:.2f}", **style)
ax.set(xscale="log", yscale="log", xlabel="parameters n", ylabel="seconds per generation",
       title=f"time (pop {P.popsize}, one thread)")
for m, n_x in cross.items():
    if math.isfinite(n_x) and n_x < 1e7:
        ax.axvline(n_x, color=plots.color(m), linestyle=":", linewidth=1)
for m in ("cmaes", "torch_cmaes", "sepcmaes", "openai_es"):  # full CMA-ES with its fit; the O(n) ones near 0 MiB
    d = df[df["method"] == m].sort_values("n")
    mib = d["peak_mib"] if m in mem_fits else d["peak_mib"].clip(lower=1e-3)
    ax2.plot(d["n"], mib / 1024, color=plots.color(m), **(TORCH if m == "torch_cmaes" else dict(marker="o")),
             label=f"{LABELS[m]}: ∝ n^{mem_fits[m][0]:.2f}" if m in mem_fits else LABELS[m])
ns = np.geomspace(1e3, 1.2e5, 50)
ax2.plot(ns, 8 * ns**2 / 2**30, color="0.6", linestyle="--", label="one n×n fp64 matrix (8 n² bytes)")
for gib, what in ((ram, "this machine's RAM"), (cma_scaling.GPU_GIB, "one 80 GB GPU")):
    ax2.axhline(gib, color="0.3", linewidth=0.8)
    ax2.annotate(what, (1.1e3, gib * 1.1), color="0.3")
for n_claimed, _ in cma_scaling.CLAIMED_ROWS:
    ax2.axvline(n_claimed, color="0.85", linewidth=0.8)
ax2.set(xscale="log", yscale="log", xlabel="parameters n", ylabel="peak memory (GiB)", title="memory")
for a in (ax, ax2):
    plots.legend_below(a, ncol=1)
plots.finish(fig, df["machine"])
glue("fig_params", fig, display=False)
plt.close(fig)

# %% [markdown]
# ```{glue:figure} fig_params
# :name: fig-params
#
# Left: seconds per generation of each optimiser (full CMA-ES amortised over its eigendecomposition
# schedule) and of evaluating one LunarLander generation with a network of that size (dark grey, dashed); the
# legend gives the fitted power of n. Dotted verticals: where full CMA-ES's update starts to cost
# more than the evaluation it serves. Right: peak memory of a process holding the optimiser; light grey
# verticals: the sizes in the design note's table. CMA-ES has one colour: pycma solid, torch dashed.
# ```
#
# The measured values behind the figure, per method and parameter count (open the output below):

# %% tags=["hide-input", "hide-output"]
report.table(df[["method", "n", "ms_per_gen", "amortised_ms_per_gen", "peak_mib"]].assign(
    method=df["method"].map(LABELS)))  # readers' names

# %% [markdown]
# ## The design note's table, measured

# %% tags=["hide-input"]
measured_max = df.groupby("method")["n"].max()
bytes_per_entry = {m: cma_scaling.bytes_per_entry(df, m) for m in ("cmaes", "torch_cmaes")}
mem = {(m, n): cma_scaling.peak_gib(df, m, n) for m in ("cmaes", "torch_cmaes") for n in (50_000, 100_000)}
glue("bpe_pycma", f"{bytes_per_entry['cmaes']:.0f}", display=False)
glue("bpe_torch", f"{bytes_per_entry['torch_cmaes']:.0f}", display=False)
table = cma_scaling.claimed_table(df)
row = lambda n: table.loc[f"{n:,}"]  # noqa: E731
fits_where = lambda gib: cma_scaling.fits_where(gib, ram)  # noqa: E731
ev_exp = fits["evaluation"][0]
glue("time_sentence",
     f"full CMA-ES's generation grows as n^{fits['cmaes'][0]:.2f} (pycma) and n^{fits['torch_cmaes'][0]:.2f} "
     f"(torch, fp32), sep-CMA-ES as n^{fits['sepcmaes'][0]:.2f} and OpenAI-ES as "
     f"n^{fits['openai_es'][0]:.2f}, while evaluating a LunarLander generation takes "
     f"{float(cma_scaling.eval_ms(df, df['n'].min())) / 1e3:.2f} s at {df['n'].min():,} parameters and "
     f"{float(cma_scaling.eval_ms(df, df['n'].max())) / 1e3:.2f} s at {df['n'].max():,} (overall ∝ n^{ev_exp:.2f}: "
     f"the environment's cost first, the network forward's later)", display=False)
glue("cross_sentence",
     f"about {cross['cmaes']:,.0f} parameters for pycma and {cross['torch_cmaes']:,.0f} for the torch "
     f"implementation", display=False)
glue("claimed_row_sentence",
     f"At the design note's \"works\" row (2,788 parameters) pycma's update costs {row(2788)['pycma ÷ evaluation']} "
     f"the evaluation time — the row is {'past' if cross['cmaes'] < 2788 else 'below'} pycma's borderline — "
     f"and at 10,000 {row(10000)['pycma ÷ evaluation']}. OpenAI-ES at 100,000 parameters costs "
     f"{row(100000)['OpenAI-ES ÷ evaluation']} of an evaluation.", display=False)
glue("pycma_update_2788", report.seconds(cma_scaling.update_at(df, "cmaes", 2788)["amortised"]), display=False)
ask_tell = cma_cost.ask_tell_measured()  # chapters 1 and 4's procedures timed alternately on one idle core
glue("ask_tell_note", cma_cost.ask_tell_reason(ask_tell, fit_s=cma_scaling.update_at(df, "cmaes", ask_tell["n_params"])[
    "amortised"] if ask_tell else None)["ch1_note"], display=False)
report.tables(table, ["n"], {
    "Full CMA-ES through pycma (fp64), against the design note's words": [
        "covariance entries", "design note says", "pycma s/gen", "pycma ÷ evaluation", "pycma GiB"],
    "Full CMA-ES in torch (fp32), and OpenAI-ES": ["torch s/gen", "torch ÷ evaluation", "torch GiB", "OpenAI-ES ÷ evaluation"]})

# %% tags=["hide-input"]
glue("memory_sentence",
     f"pycma's peak grows as n^{mem_fits['cmaes'][0]:.2f} and reaches {bytes_per_entry['cmaes']:.0f} bytes per "
     f"covariance entry at the largest measured size (several float64 n × n copies at once); at that rate "
     f"it needs {mem[('cmaes', 50_000)]:,.1f} GiB at 50,000 "
     f"parameters ({fits_where(mem[('cmaes', 50_000)])}) and {mem[('cmaes', 100_000)]:,.1f} GiB at 100,000 "
     f"({fits_where(mem[('cmaes', 100_000)])}). The fp32 torch implementation peaks at "
     f"{bytes_per_entry['torch_cmaes']:.0f} bytes per entry (during its eigendecomposition) and needs "
     f"{mem[('torch_cmaes', 50_000)]:,.1f} GiB at 50,000 ({fits_where(mem[('torch_cmaes', 50_000)])}) and "
     f"{mem[('torch_cmaes', 100_000)]:,.1f} GiB at 100,000 ({fits_where(mem[('torch_cmaes', 100_000)])})",
     display=False)
glue("max_full", f"{min(measured_max['cmaes'], measured_max['torch_cmaes']):,}", display=False)
glue("machine", machine, display=False)

# %% [markdown]
# ## Verdict
#
# *Time.* Over the measured sizes, {glue:text}`time_sentence`. So the real borderline is not a
# parameter count chosen by feel but the n where the optimiser starts to cost more than the
# evaluation it serves: {glue:text}`cross_sentence`, on one core of this machine.
#
# {glue:text}`claimed_row_sentence` There, pycma's ask + tell takes {glue:text}`pycma_update_2788`
# a generation on average, its eigendecomposition spread over the generations between two of them
# ({glue:text}`ask_tell_note`).
#
# *Memory.* {glue:text}`memory_sentence`.
#
# The torch implementation keeps C and its eigenvectors
# (2n² floats, about twice that during `eigh`), so whether a size is "impossible" is a property of
# the implementation and the device, not of the method. Full CMA-ES was measured up to
# {glue:text}`max_full` parameters here; every larger number is a power-law extrapolation and
# marked so in the table. The GPU row (`device="cuda"`) has not been run: no GPU was available to
# this book's runs.
#
# Measured on: {glue:text}`machine` (one thread per measurement).
#
# ## Part B: sample efficiency vs width
#
# The cost side says where full CMA-ES becomes *expensive*; it does not say whether it *learns*
# faster per evaluation. Here CMA-ES, sep-CMA-ES, OpenAI-ES and the GA train the 8 → h → h/2 → 4
# network on LunarLander at several widths, every run with the same number of training episodes.
# The measure is the final {term}`solved-test <solved test>` return (100 fresh episodes at the end of the budget), IQM
# over seeds with a 95 % {term}`bootstrap CI`.
#
# At each width both ran, CMA-ES and OpenAI-ES are compared by the IQM difference; above 10K,
# OpenAI-ES against every method that runs there. A difference counts only where its CI excludes 0
# after {term}`Holm's correction <Holm correction>` over all these comparisons together; P(CMA-ES > OpenAI-ES) is shown beside
# it. The crossover is the width at which OpenAI-ES's IQM catches up with CMA-ES's.
#
# ```{dropdown} Details: how the width sweep is run and judged
# - CMA-ES here is the full-covariance torch implementation, so its row is one implementation at
#   every width.
# - Full CMA-ES widths whose predicted run (from the cost fit above) exceeds the time or memory limit
#   of chapter 5 are not run.
# - All the comparisons form one Holm family; a decision that flips with the bootstrap seed does not
#   count as resolved.
# - The crossover is interpolated in log n between measured widths; its CI comes from resampling the
#   seeds of every cell (2,000 bootstrap replicates).
# ```

# %% tags=["hide-input"]
from evoscale.envs import get_spec
from evoscale.experiments import STUDIES, frontier, frontier_table, methods, methods_figures, progress

MP = methods.params({"profile": P.profile})  # the width sweep follows this chapter's profile
wcells = methods.plan(MP, df, part="width")
wdf = methods.run(MP, wcells)
threshold = get_spec(MP.env).solved
wseeds = methods.per_seed(wdf, threshold)
plan_n = methods.planned(MP, wcells)
FP = frontier.params({"profile": P.profile})  # the widths beyond 100K (stored runs; smoke: trained tiny)
fseeds = frontier.per_seed(frontier.run(FP, log=lambda *a: None))
study = STUDIES["01_parameters"]
# both halves' comparisons and the widths beyond 100K: one Holm family; the verdicts stay objects
A = study.analyse(P, {"width_seeds": wseeds, "width_cells": wcells, "threshold": threshold, "frontier_seeds": fseeds,
                      "frontier_params": FP})
WV, WB = A["width"], A["beyond"]  # the claim's second half: OpenAI-ES above ~10K

# %% tags=["hide-input"]
fig = study.figures(A)["fig_width"]
glue("fig_width", fig, display=False)
plt.close(fig)
xo = WV["crossover"]
glue("width_verdict", str(WV["verdict"]), display=False)
glue("width_beyond", str(WB["verdict"]), display=False)
# the page shows the word and the reason; the comparisons go to Details
glue("width_beyond_short", report.verdict_short(WB["verdict"], max_words=60, reason=True), display=False)
glue("width_crossover",
     f"at about {xo['n']:,.0f} parameters (95 % bootstrap CI {xo['lo']:,.0f}–{xo['hi']:,.0f})"
     if xo.get("n", float("nan")) == xo.get("n") and 0 < xo["n"] < float("inf") else
     "none within the measured widths", display=False)
glue("width_budget", f"{MP.budget_evals:,} episodes, {methods.seed_plan(MP)}", display=False)
glue("still_to_run", progress.still_to_run(P.profile, "01"), display=False)
glue("seed_plan", methods.seed_plan(MP), display=False)
glue("width_sizes", ", ".join(f"{n:,}" for n in sorted(wcells["n"].unique())), display=False)
claim = A["verdicts"]["claim"]  # both halves together
glue("width_claim", str(claim), display=False)
glue("verdict_short", report.verdict_short(claim, max_words=25), display=False)  # the intro's table and the opening
oes = wseeds[wseeds["row"] == "openai_es"]  # the intro's "What we found": OpenAI-ES at the largest width run
glue("found_oes_largest", "not run yet" if oes.empty else
     f"{report.over_seeds(oes[oes['n'] == oes['n'].max()]['final'])} at {oes['n'].max():,} parameters", display=False)
glue("provenance", report.provenance(P.profile, [*df["machine"], *wdf.get("machine", [])]), display=False)
report.table(methods_figures.width_table(wseeds, wcells, plan_n, WV))

# %% [markdown]
# ```{glue:figure} fig_width
# :name: fig-width
#
# LunarLander, the same episode budget at every width: the final solved-test return, IQM over seeds
# with 95 % bootstrap CIs from 5 seeds on (crosses: each seed, where a width has fewer so far; hollow
# triangles on the x axis: not run at that width, too expensive there).
# Dotted line and grey band: the width at which OpenAI-ES catches up with CMA-ES, and its bootstrap
# CI, where there is one in range. Dashed: the networks beyond 100K parameters (two equal hidden
# layers; the low-rank ES also at the sweep's widest network), once their runs are stored.
# ```
#
# **Verdict on the hypothesis** "CMA-ES dominates up to ~10K parameters, OpenAI-ES above", with
# {glue:text}`width_budget` (widths {glue:text}`width_sizes` parameters): {glue:text}`width_claim`.
#
# - *Up to 10K*, where full CMA-ES runs here: {glue:text}`width_verdict`. The crossover, where
#   OpenAI-ES's IQM catches up with CMA-ES's: {glue:text}`width_crossover`.
# - *Above 10K*, full CMA-ES is out on cost (part A), so the race is between the methods that remain:
#   OpenAI-ES against sep-CMA-ES and the GA, at every width with 5 seeds or more of both:
#   {glue:text}`width_beyond_short`.
#
# ```{dropdown} Details: every comparison above 10K
# {glue:text}`width_beyond`.
# ```
#
# Each method runs with chapter 5's setting for its width band: {doc}`05_methods` lists them and how
# each was chosen (the book's earlier settings until the equal-effort tuning of a band is complete).
#
# Of the width sweep, {glue:text}`still_to_run`. Wherever a cell has fewer than 5 seeds, the
# figure shows each seed's value instead of an IQM and its CI.

# %% [markdown]
# ## Beyond 100K parameters
#
# Evolution strategies now train networks with billions of parameters {cite}`qiu2025es,sarkar2025eggroll`.
# Where does OpenAI-ES stop on this task? Full-rank perturbations cost a forward pass of every member
# through its own weights; a *low-rank* ES perturbs each weight matrix by a rank-1 product, so all
# members share one pass through the common weights. The same protocol as above, with two equal hidden
# layers; each ES's learning rate comes from a short tuning pass at 1M parameters (three rates, three
# tuning seeds), and {term}`PPO` trains the same widths.

# %% tags=["hide-input"]
FV = A["frontier"]["verdicts"]  # full, low, equal
for key, v in FV.items():
    glue(f"frontier_{key}", str(v), display=False)
glue("frontier_pending", frontier.pending(FP) or "every planned run can train", display=False)
report.table(frontier_table.table(FP, fseeds), note=frontier_table.PREDICTED_NOTE)

# %% [markdown]
# Every comparison of this chapter, below and above 10K and beyond 100K, is one family corrected by
# Holm's method; each test's raw and adjusted p-value:

# %% tags=["hide-input"]
report.table(A["family_table"],
             note="Holm's correction over the chapter's tests at a family-wise 5 %; a test whose decision flips "
                  "with the bootstrap seed in more than 5 % of 100 repeats is borderline, not resolved.")

# %% [markdown]
# - *Full rank, up to 1M parameters:* {glue:text}`frontier_full`.
# - *Low rank, up to 10M:* {glue:text}`frontier_low`.
# - *Low rank against full rank at 100K:* {glue:text}`frontier_equal`.
#
# Still waiting: {glue:text}`frontier_pending`. The table gives memory twice: measured, the whole
# run's peak; predicted, only the arrays the method holds, which is what grows with the network.

# %% [markdown]
# ## Re-running this chapter
#
# ```bash
# make chapter CH=01_parameters \
#     PARAMS="-y 'sizes_full: [1000, 4000, 16000]'"
# # on a GPU machine
# make chapter CH=01_parameters PARAMS="-p device cuda" PROFILE=full
# ```
#
# ## Limitations
#
# Everything here ran on one small machine (named under the verdict), so full CMA-ES stops where its
# predicted run passes this machine's limits, not where the algorithm stops working; a larger
# machine or a GPU moves that line (chapter 8). The width sweep uses one task, LunarLander, and one
# budget per run; the large widths have fewer seeds so far than the headline comparisons need, and
# the rival methods have not yet been tuned with equal effort at every width (chapter 5 describes
# the tuning runs under way).
#
# ```{admonition} Takeaways
# :class: tip
#
# - Full CMA-ES keeps an n × n covariance matrix, so its memory and its update time grow with the
#   square of the parameter count; sep-CMA-ES and OpenAI-ES grow only in proportion to it.
# - The useful borderline is where the optimiser's update starts to cost more than the evaluation it
#   serves: here {glue:text}`cross_sentence`.
# - Whether a size is "impossible" depends on the implementation and the device (single or double
#   precision, CPU or GPU), not on the method alone.
# - Cost and learning are separate questions: the width sweep asks whether CMA-ES learns more per
#   evaluation, and the verdict at the top of the page gives its answer.
# ```
#
# ## Exercises
#
# Each solution's commands run from the repository root on 2 cores in the time it states, on a fresh
# clone too: `make chapter` installs what it needs first (about 4 minutes, once), and
# `.venv/bin/python` exists after `make install`. Python solutions run as a file given to
# `.venv/bin/python`, or in a notebook with that environment's kernel.
#
# ```{exercise-start}
# :label: ex-params-popsize
# ```
# Predict how the borderline n moves when the population grows from 64 to 256 (the evaluation time
# grows ×4, the rank-μ update and the sampling too, the eigendecomposition does not). Then measure it.
# ```{exercise-end}
# ```
#
# ```{solution-start} ex-params-popsize
# :class: dropdown
# ```
# Sampling (λ n²) and the rank-μ update (μ n²) scale with the population like the evaluation does,
# so their share stays about the same; the eigendecomposition (n³, every ~n/(10 λ) generations in
# pycma) is amortised over fewer generations per λ but costs the same per decomposition. The
# borderline should therefore move only a little — the ratio, not the population, is set by n.
# The measurement (about 10 minutes: every timing of the page again, at four times the population):
#
# ```bash
# make chapter CH=01_parameters PARAMS="-p popsize 256"
# ```
# ```{solution-end}
# ```
#
# ```{exercise-start}
# :label: ex-params-eval
# ```
# The evaluation time here is for LunarLander with a mid-training population. Which way does the
# borderline move for BipedalWalker (one env step ≈ 5× the cost of LunarLander's, 1,600-step cap),
# and for CartPole?
# ```{exercise-end}
# ```
#
# ```{solution-start} ex-params-eval
# :class: dropdown
# ```
# The optimiser's cost does not depend on the task; the evaluation's does. Slower, longer episodes
# (BipedalWalker) push the borderline to larger n — full CMA-ES stays affordable longer — while
# CartPole's microsecond steps pull it down to a few hundred parameters. Measure the evaluation side
# (about 1 minute each):
#
# ```bash
# .venv/bin/python -m evoscale bench evaluator --env BipedalWalker-v3 \
#     --hidden 40,40
# .venv/bin/python -m evoscale bench evaluator --env CartPole-v1 \
#     --hidden 40,40
# ```
# ```{solution-end}
# ```
#
# ```{exercise-start}
# :label: ex-params-memory
# ```
# The page gives pycma's and the torch implementation's peak memory in bytes per covariance entry.
# What is the largest network whose full CMA-ES fits in a 16 GiB laptop with each of them? Which
# matrices make up pycma's figure?
# ```{exercise-end}
# ```
#
# ```{solution-start} ex-params-memory
# :class: dropdown
# ```
# The memory grows as n², so n fits while n² × (bytes per entry) stays below 16 GiB: n ≤ √(16 GiB ÷
# bytes per entry), about {glue:text}`ex_n16_pycma` parameters for pycma and {glue:text}`ex_n16_torch`
# for the torch implementation (less in practice: the operating system and the evaluation need memory
# too). pycma keeps C and its eigenvectors B (two fp64 n × n matrices, 16 bytes per entry), and the
# eigendecomposition works on further copies (LAPACK overwrites its input, so C is copied; the result
# and workspace come on top). The torch implementation stores C and B in fp32, 8 bytes per entry,
# and peaks during its eigendecomposition.
# ```{solution-end}
# ```

# %% tags=["remove-cell"]
# the memory exercise's solution: the largest n whose covariance fits 16 GiB at the measured bytes per entry
glue("ex_n16_pycma", f"{(16 * 2**30 / bytes_per_entry['cmaes']) ** 0.5:,.0f}", display=False)
glue("ex_n16_torch", f"{(16 * 2**30 / bytes_per_entry['torch_cmaes']) ** 0.5:,.0f}", display=False)
