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
# # Dimension 3: compute — does more evaluation keep paying?
#
# **Verdict.** {glue:text}`verdict_short`
#
# <small>{glue:text}`provenance`</small>
#
# **In this chapter you will learn**
#
# - how a learning curve over training {term}`episodes <episode>` shows diminishing returns, or does not;
# - how to test "the late gain is smaller than the early gain" seed by seed;
# - how a different implementation of the same algorithm is checked against the reference.
#
# **The claim.** The {term}`design note` reports that {term}`CMA-ES` solved LunarLander with the 8→64→32→4 {term}`MLP`
# (2,788 parameters) and sketches the score against the number of {term}`evaluations <evaluation>`: a sublinear curve
# that crosses the solved line (200) near 90K evaluations, with *diminishing returns after about
# 50K evaluations*: "more compute helps, but the marginal benefit falls".
#
# **What we measure.** Full CMA-ES (the book's own implementation, which follows the reference
# algorithm of pycma's purecma) on `LunarLander-v3` with that network, 10 seeds × 102,400 evaluations, one episode
# per {term}`evaluation`. Every 2,560 evaluations the current search mean is put through the {term}`solved test`:
# its mean return over 100 fresh episodes that training never sees (Gymnasium's convention:
# ≥ 200 is solved). Curves show the interquartile mean ({term}`IQM`) over seeds with a 95 % bootstrap band
# {cite}`henderson2018deep,agarwal2021deep`; with fewer than 5 seeds they show each seed instead.
# pycma itself runs 10 seeds × 50K evaluations as a cross-check of the implementation.

# %% tags=["parameters"]
profile = "book"  # smoke | quick | book | full
env = "LunarLander-v3"  # any task in evoscale.envs.REGISTRY
method = None  # the full CMA-ES of the main runs: torch_cmaes (the book's) | cmaes (pycma)
hidden = "64,32"  # hidden layer widths; "64,32" is the claim's 2,788-parameter network
popsize = None  # individuals per generation (book: 64)
sigma0 = None  # initial step size (book: 0.5)
budget_evals = None  # training episodes per seed (book: 102,400)
test_every = None  # training episodes between solved tests (book: 2,560)
test_episodes = None  # fresh episodes per solved test (book: 100)
seeds = None  # number of seeds, or a list of seeds (book: 10)
check_method = "cmaes"  # the cross-check's implementation: the same CMA-ES in pycma
check_budget_evals = None  # the cross-check's budget in training episodes per seed (book: 50,000)
check_test_every = None  # the cross-check's training episodes between solved tests (book: 2,500)
check_seeds = None  # the cross-check's seeds: a number of seeds, or a list (book: 10)
train_missing = None  # train runs the results store lacks (book: False, the campaign trains them)
processes = None  # runs trained in parallel, one core each (None: all cores; backend "ray": one at a time)
backend = "lockstep"  # population evaluator: lockstep (this process) | ray (`workers` Ray actors, same results)
workers = None  # Ray actors per run (backend "ray")
ray_address = None  # Ray cluster to join, e.g. "auto" after `ray start`; None starts a local one
device = "cpu"  # cpu | cuda: where the policy forward runs

# %% tags=["hide-input"]
from evoscale.experiments import compute, unit_costs

P = compute.params(globals())  # strict: a name papermill injected that is not declared above aborts here
from evoscale.experiments import STUDIES  # noqa: E402 (after the strict check: the registry is no parameter)

# %% tags=["hide-input", "hide-output"]
import matplotlib.pyplot as plt
import pandas as pd
from myst_nb import glue

from evoscale.experiments import progress, report

report.parameters(P)  # the parameters after the profile's defaults, methods by their readers' names

# %% [markdown]
# ## The runs
#
# Each random seed is one run, stored with the other chapters' runs. The 102,400-evaluation runs also serve chapters 1, 5
# and 6, which read their first 30,720 evaluations: no trainer sees the total budget, so a run cut
# short is exactly the shorter run (tested for every method).

# %%
df = compute.run(P)
check = compute.run(P.crosscheck())
idle_costs = unit_costs.load_costs(P.profile)[0]  # chapter 6's idle-core unit costs (None until measured)
A = STUDIES["03_compute"].analyse(P, {"runs": df, "check": check, "costs": idle_costs})
S = A["summary"]  # compute.summarise's
V, F = A["verdicts"], A["family"]  # the chapter's claims (claims page, d3.*), one Holm family

# %% [markdown]
# ## Score against evaluations

# %% tags=["hide-input"]
fig = compute.figure(df, S, P)
glue("fig_compute", fig, display=False)
plt.close(fig)

# %% [markdown]
# ```{glue:figure} fig_compute
# :name: fig-compute
#
# Left: the solved-test return of the CMA-ES mean (solid), the {term}`population`'s mean training return
# (dotted) and the claimed curve, read off the design note's ASCII plot (grey); the shaded stretches are
# the two the verdict compares. Right: each seed's solved-test return gained per 10K evaluations in
# the early and in the late stretch (one line per seed).
# ```

# %% tags=["hide-input"]
glue("verdict_short", report.verdict_short(V["d3.overall"], max_words=25), display=False)  # intro, opening
glue("provenance", report.provenance(P.profile, [S["machine"]]), display=False)
for key, v in V.items():
    glue("v_" + key.replace(".", "_"), str(v), display=False)
glue("machine_line", S["machine"] or "no runs stored yet", display=False)
glue("n_line", f"{S['n_seeds']} of {S['planned']}", display=False)
glue("still_to_run", progress.still_to_run(P.profile, "03"), display=False)
glue("windows", " and ".join(f"{a:,.0f}–{b:,.0f}" for a, b in S.get("windows", ())) or "–", display=False)
glue("steps_per_eval", f"{S.get('env_steps_per_eval', float('nan')):,.0f}", display=False)
glue("opt_fraction", f"{100 * S.get('opt_fraction', float('nan')):.0f} %", display=False)
glue("opt_fraction_idle", "not measured yet" if S.get("opt_fraction_idle", float("nan")) != S.get("opt_fraction_idle")
     else f"{100 * S['opt_fraction_idle']:.0f} %", display=False)
glue("wall_per_seed", f"{S.get('wall_s_per_seed', float('nan')) / 60:,.1f}", display=False)
report.table(compute.seeds_table(S))

# %% [markdown]
# ## Verdicts
#
# Seeds stored: {glue:text}`n_line`. Of all this chapter's runs, {glue:text}`still_to_run`.
#
# Each claim has one test, declared on the page "How each claim is judged" before the data: an
# interquartile mean over seeds with its 95 % bootstrap interval, against the value the claim
# names. The chapter's tests form one family, corrected by Holm's method; the table below lists
# each test's raw and adjusted p-value.

# %% tags=["hide-input"]
report.table(A["family_table"], note="Holm's correction over the chapter's tests at a family-wise 5 %.")

# %% [markdown]
# **Does compute scale as the design note sketches?** {glue:text}`v_d3_overall`.
#
# ```{dropdown} Details: every test of the chapter
# - *Diminishing returns after ~50K?* Seed by seed, the solved-test return gained per 10K
#   evaluations in the late stretch minus that in the early one ({glue:text}`windows` evaluations):
#   {glue:text}`v_d3_diminishing`.
# - *Does CMA-ES solve LunarLander with 2,788 parameters?* {glue:text}`v_d3_solved`.
# - *Is the book's CMA-ES the same algorithm as pycma?* Both run from the same seeds with the same
#   population; the pycma runs' final solved test against the book's runs interpolated at pycma's
#   budget. This check is not a claim of the design note and does not enter the chapter's word:
#   {glue:text}`v_d3_check`.
# ```
#
# *Evaluations are not compute.* A lander that stops crashing flies for up to 1,000 steps, so one
# evaluation cost {glue:text}`steps_per_eval` {term}`env steps <env step>` on average here, more as training succeeds;
# on an idle core CMA-ES's own `ask`/`tell` (its eigendecomposition every few dozen {term}`generations <generation>`
# included) would take {glue:text}`opt_fraction_idle` of these runs' training time (modelled from
# chapter 6's idle-core unit costs and these runs' generations and env steps; measured beside the
# other campaign work it took {glue:text}`opt_fraction`, which contention inflates). Chapter 1
# measures how that share grows with the parameter count.
#
# One seed took {glue:text}`wall_per_seed`
# minutes on {glue:text}`machine_line` (one core per run, two runs at a time; the campaign's
# wall-clock is shared with other work, so read it as an upper bound).

# %% [markdown]
# ## Re-running this chapter
#
# ```bash
# # train what is missing
# make chapter CH=03_compute PARAMS="-p popsize 32 -p seeds 5 \
#     -p train_missing true"
# # the quick profile, trained here
# make chapter CH=03_compute PROFILE=quick
# # what the book profile still lacks
# python -m evoscale campaign plan --chapters 03
# # train it, two runs at a time
# python -m evoscale campaign run --hours 2 --chapters 03
# ```
#
# `profile` picks defaults for every parameter left at `None`: `smoke` (seconds, CI), `quick`
# (the whole book in about an hour; numbers labelled as such), `book` (the committed campaign:
# this chapter trains nothing and shows what is stored, "n = k of 10"), `full` (30 seeds).
# A misspelt parameter (`-p popsiz 32`) stops the run with an error naming the valid parameters
# instead of being ignored. Runs are cached in `results/<profile>/runs/` under a hash of their full
# configuration.
#
# ## Limitations
#
# One task (LunarLander), one network, one method (CMA-ES) and one population size: whether returns
# diminish in the same way for larger networks, other methods or harder tasks was not tested. The
# curves end at this profile's budget, and what happens after it is unknown. The campaign shared the
# machine's two cores with other work, so wall-clock times are upper bounds.
#
# ```{admonition} Takeaways
# :class: tip
#
# - A learning curve over evaluations tells whether more compute still pays: compare the gain per
#   evaluation early and late in training, seed by seed.
# - An evaluation is not a fixed amount of compute: episodes get longer as the lander learns to fly,
#   so later evaluations cost more env steps.
# - The book's own CMA-ES is checked against the reference implementation before its runs are used.
# - With the seeds at hand, the verdict says which difference the data {term}`could have detected <detectable difference>`, not only
#   whether one was found.
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
# :label: ex-compute-popsize
# ```
# Halve the population to 32 while keeping the budget. Predict first: does CMA-ES reach the solved
# line in fewer or more evaluations, and is the run faster or slower in wall-clock? Then run it.
# ```{exercise-end}
# ```
#
# ```{solution-start} ex-compute-popsize
# :class: dropdown
# ```
# Two seeds of 10,240 episodes at λ = 32, trained on the 2 cores at once (about 8 minutes; the page's
# other runs are read from the results):
#
# ```bash
# make chapter CH=03_compute PARAMS="-p popsize 32 -p train_missing true \
#     -p seeds 2 -p budget_evals 10240"
# ```
#
# With λ = 32 CMA-ES takes twice as many generations for the same evaluations; its default
# recombination weights and learning rates depend on λ, and small populations adapt the covariance
# faster per evaluation but average less noise away. What to look for (a prediction to check against
# your run, not a measured result of this book): the smaller population may climb faster early and be
# noisier late, since each generation averages fewer episodes. The wall-clock cost per evaluation
# should *rise*, because CMA-ES's O(n²) update runs twice as often per evaluation.
# ```{solution-end}
# ```
#
# ```{exercise-start}
# :label: ex-compute-sigma
# ```
# The initial step size σ₀ is the one hyper-parameter CMA-ES asks of the user. Try σ₀ = 0.05 and
# σ₀ = 2.0 against the page's 0.5. Which fails, and how does its failure look in the two curves?
# ```{exercise-end}
# ```
#
# ```{solution-start} ex-compute-sigma
# :class: dropdown
# ```
# One command per step size, two seeds of 10,240 episodes each (about 8 minutes each):
#
# ```bash
# make chapter CH=03_compute PARAMS="-p sigma0 0.05 -p train_missing true \
#     -p seeds 2 -p budget_evals 10240"
# make chapter CH=03_compute PARAMS="-p sigma0 2.0 -p train_missing true \
#     -p seeds 2 -p budget_evals 10240"
# ```
#
# A tiny σ keeps all individuals nearly identical: the population mean return tracks the solved
# test closely, but progress is slow until σ has grown. A very large σ saturates the tanh units, so
# many individuals behave like bang-bang controllers that crash immediately; CMA-ES must first shrink
# σ, which costs generations. 0.5 is a reasonable middle for weights feeding tanh units with inputs
# of order 1.
# ```{solution-end}
# ```
#
# ```{exercise-start}
# :label: ex-compute-noise
# ```
# Each individual's fitness is one episode. Set up a run where it is the mean of 4 episodes and
# compare at *equal training episodes*. Is it worth it?
# ```{exercise-end}
# ```
#
# ```{solution-start} ex-compute-noise
# :class: dropdown
# ```
# Two runs of the page's CMA-ES with 10,240 training episodes each, with and without averaging
# (about 5 minutes each; the last line each prints is the run's summary):
#
# ```bash
# .venv/bin/python -m evoscale train --method torch_cmaes \
#     --env LunarLander-v3 --episodes-per-fitness 4 \
#     --budget-evals 10240 --test-every 5120 --seed 0 --no-progress
# .venv/bin/python -m evoscale train --method torch_cmaes \
#     --env LunarLander-v3 --budget-evals 10240 --test-every 5120 \
#     --seed 0 --no-progress
# ```
#
# Averaging 4 episodes quarters the variance of each fitness value but gives a quarter of the
# generations for the same budget. CMA-ES only uses the ranking of the individuals, so it tolerates
# noise as long as the ranking is roughly right. The trade-off to look for: early in training, when
# individuals differ a lot, the lost generations should cost more than the noise; late, when
# differences are small, averaging should start to pay. One seed each only hints; the chapter's own
# ten seeds are what a verdict needs.
# ```{solution-end}
# ```
