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
# **The claim.** The seed document reports that CMA-ES solved LunarLander with the 8→64→32→4 MLP
# (2,788 parameters) and sketches the score against the number of evaluations: a sublinear curve
# that crosses the solved line (200) near 90K evaluations, with *diminishing returns after about
# 50K evaluations*: "more compute helps, but the marginal benefit falls".
#
# **What we measure.** CMA-ES (pycma, full covariance) on `LunarLander-v3` with the seed's network,
# several seeds, one episode per evaluation. Every few thousand evaluations the current search mean
# is put through the *solved test*: its mean return over fresh episodes that training never sees
# (Gymnasium's convention: 100 episodes, ≥ 200 is solved). Curves show the interquartile mean (IQM)
# over seeds with a 95 % bootstrap band (Agarwal et al. 2021), so a single lucky seed cannot carry
# the verdict {cite}`henderson2018deep,agarwal2021deep`.
#
# The run parameters are below. `profile` picks defaults for every parameter left at `None`:
# `smoke` (seconds, CI), `book` (what this page shows), `full` (the seed's 100K evaluations,
# 10 seeds, for a bigger machine). Any of them can be overridden with `papermill -p`.

# %% tags=["parameters"]
profile = "book"  # smoke | book | full
env = "LunarLander-v3"  # any task in evoscale.envs.REGISTRY
method = "cmaes"  # cmaes | sepcmaes
hidden = "64,32"  # hidden layer widths; "64,32" is the seed's 2,788-parameter network
popsize = None  # individuals per generation (book: 64)
sigma0 = None  # initial step size (book: 0.5)
budget_evals = None  # training episodes per seed (book: see the table below)
eval_every = None  # training episodes between solved tests
eval_episodes = None  # fresh episodes per solved test (book: 100)
seeds = None  # number of seeds, or a list of seeds
processes = None  # runs trained in parallel, one core each (None: all cores)
backend = "lockstep"  # lockstep | ray (population evaluated by Ray actors; identical results)
workers = None  # Ray actors per run (backend "ray")
ray_address = None  # Ray cluster to join, e.g. "auto" after `ray start`; None: a local cluster
device = "cpu"  # cpu | cuda (policy forward)

# %% tags=["hide-input"]
from evoscale.experiments import compute

P = compute.params(globals())  # strict: a name papermill injected that is not declared above aborts here

# %% tags=["hide-input"]
import matplotlib.pyplot as plt
import pandas as pd
from myst_nb import glue

from evoscale import plots
from evoscale.envs import get_spec

spec = get_spec(P.env)
pd.DataFrame([P.__dict__]).T.rename(columns={0: "value"})

# %% [markdown]
# ## The runs
#
# Each seed is one `RunConfig`; results are cached under `results/<profile>/compute/`, keyed by a
# hash of the full configuration, so this page renders from committed results. `FRESH=1 make book`
# (or deleting the files) retrains them.

# %%
df = compute.run(P)
S = compute.summarise(df, P.env)

# %% [markdown]
# ## Score against evaluations

# %% tags=["hide-input"]
plots.style()
fig, (ax, ax2) = plt.subplots(1, 2, figsize=(11, 4.2), gridspec_kw={"width_ratios": [3, 2]})
plots.band(ax, df, "evals", "eval_return", f"solved test: mean of {P.eval_episodes} fresh episodes")
plots.band(ax, df, "evals", "mean_return", "population mean (training episodes)", linestyle=":")
ax.plot(compute.CLAIMED_CURVE["evals"], compute.CLAIMED_CURVE["score"], "o--", color="0.55", ms=4, label="seed's sketch (read off)")
plots.solved_line(ax, spec.solved)
ax.set(xlabel="evaluations (training episodes)", ylabel="return",
       title=f"{P.method} on {P.env}, {S['n_params']:,} parameters, IQM of {S['n_seeds']} seeds")
ax.set_xlim(0, max(df["evals"].max(), compute.CLAIMED_CURVE["evals"].max() if P.profile == "full" else 0) * 1.02)
ax.legend(fontsize=8, loc="lower right")
# cost per evaluation between consecutive solved tests (per seed), so single slow generations
# (pycma's periodic eigendecomposition) do not dominate the picture
chk = df[df["eval_return"].notna()].sort_values(["seed", "evals"])
d = chk.groupby("seed")[["evals", "env_steps", "wall_s"]].diff()
chk = chk.assign(steps_per_eval=d["env_steps"] / d["evals"], s_per_1k=1000 * d["wall_s"] / d["evals"]).dropna()
plots.band(ax2, chk, "evals", "s_per_1k", "wall-clock s per 1K evaluations")
ax2b = ax2.twinx()
plots.band(ax2b, chk, "evals", "steps_per_eval", "env steps per evaluation", color="C2")
ax2.set(xlabel="evaluations", ylabel="seconds per 1K evaluations", title="cost of one evaluation")
ax2b.set_ylabel("env steps per evaluation", color="C2")
ax2b.grid(False)
ax2.legend(handles=ax2.lines + ax2b.lines, fontsize=8, loc="upper left")
plots.caption_machine(fig, df["machine"])
fig.tight_layout(rect=(0, 0.04, 1, 1))
glue("fig_compute", fig, display=False)
plt.close(fig)

# %% [markdown]
# ```{glue:figure} fig_compute
# :name: fig-compute
#
# Left: the solved-test return of the CMA-ES mean (solid, IQM over seeds, 95 % bootstrap band), the
# population's mean training return (dotted) and the seed's sketched curve, read off its ASCII plot
# (grey). Right: what one evaluation costs as training goes on — better landers fly longer.
# ```

# %% tags=["hide-input"]
def fmt_ci(t, digits=0):
    point, lo, hi = t
    if point != point:  # NaN
        return "not reached"
    return f"{point:,.{digits}f} [{lo:,.{digits}f}, {hi:,.{digits}f}]"


def fmt_gain(g):
    return "n/a" if g != g else f"{g:+.1f}"


gain1, gain2 = S["gain_first_half_per_10k"], S["gain_second_half_per_10k"]
reached = S["n_solved"] > 0
glue("budget", f"{S['budget_evals']:,}", display=False)
glue("n_seeds", S["n_seeds"], display=False)
glue("final", fmt_ci((S["final_iqm"], S["final_lo"], S["final_hi"]), 1), display=False)
glue("solve_sentence",
     f"{S['n_solved']} of {S['n_seeds']} seeds crossed {S['solved_threshold']:g}"
     + (f", after {fmt_ci(S['evals_to_solve'])} evaluations (IQM [95 % CI] over the seeds that did)"
        if reached else ""), display=False)
glue("gain_first", fmt_gain(gain1), display=False)
glue("gain_second", fmt_gain(gain2), display=False)
glue("wall_per_seed", f"{S['wall_s_per_seed'] / 60:.1f}", display=False)
glue("steps_per_eval", f"{S['env_steps_per_eval']:.0f}", display=False)
glue("opt_fraction", f"{100 * S['opt_fraction']:.0f} %", display=False)
glue("machine", S["machine"], display=False)
glue("verdict_solved",
     "CMA-ES reached the solved line in every seed" if S["n_solved"] == S["n_seeds"] else
     "CMA-ES reached the solved line in some seeds but not in all" if reached else
     "CMA-ES did not reach the solved line within this profile's budget", display=False)
glue("verdict_slope", "undetermined (too few solved tests)" if gain1 != gain1 or gain2 != gain2
     else ("smaller" if gain2 < gain1 else "not smaller"), display=False)
glue("verdict_short",
     f"{'solved' if reached else 'not solved'} in {S['n_solved']} of {S['n_seeds']} seeds within "
     f"{S['budget_evals']:,} evaluations (final IQM {S['final_iqm']:.0f}); return gained per 10K "
     f"evaluations {fmt_gain(gain1)} in the first half of the budget, {fmt_gain(gain2)} in the second",
     display=False)
pd.DataFrame({
    "measured": [f"{S['budget_evals']:,}", S["n_seeds"],
                 fmt_ci((S["final_iqm"], S["final_lo"], S["final_hi"]), 1),
                 f"{S['n_solved']} of {S['n_seeds']}", fmt_ci(S["evals_to_solve"]),
                 f"{fmt_gain(gain1)} / {fmt_gain(gain2)}"],
    "seed document": ["~100K", "1", "+280 (plateau)", "solved", "~90K (sketch)", "diminishing after ~50K"],
}, index=["evaluations per seed", "seeds", "final solved-test return, IQM [95 % CI]", "seeds solved",
          "evaluations to 200, IQM [95 % CI]", "return gained per 10K evals, 1st / 2nd half"])

# %% [markdown]
# ## Verdict
#
# With a budget of {glue:text}`budget` evaluations per seed and {glue:text}`n_seeds` seeds,
# {glue:text}`verdict_solved`: the final solved-test return is {glue:text}`final` (IQM [95 % CI]);
# {glue:text}`solve_sentence`.
#
# *Sublinear?* The return gained per 10K evaluations was {glue:text}`gain_first` in the first half
# of the budget and {glue:text}`gain_second` in the second — the marginal gain is
# {glue:text}`verdict_slope` later in the run. Whether returns diminish *after ~50K* can only be
# judged from a budget beyond 50K: that is the `full` profile.
#
# *Evaluations are not compute.* The right panel shows why the x-axis of the seed's plot understates
# the cost: a lander that stops crashing flies for up to 1,000 steps, so one evaluation costs
# {glue:text}`steps_per_eval` env steps on average here and more as training succeeds. And at 2,788
# parameters pycma's own update is not free: {glue:text}`opt_fraction` of the training time went into
# `ask`/`tell`, not into the environment (chapter 1 measures how that grows with the parameter count).
#
# One seed took {glue:text}`wall_per_seed` minutes of wall-clock on: {glue:text}`machine`
# (one core per run).

# %% [markdown]
# ## Re-running this chapter
#
# ```bash
# make chapter CH=03_compute PARAMS="-p popsize 32 -p seeds 5"        # one chapter, cached runs reused
# papermill book/03_compute.ipynb out.ipynb -p profile full -p budget_evals 50000   # after jupytext --to ipynb
# FRESH=1 make book                                                     # retrain everything
# ```
#
# A misspelt parameter (`-p popsiz 32`) stops the run with an error naming the valid parameters
# instead of being ignored.
#
# ## Exercises
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
# `make chapter CH=03_compute PARAMS="-p popsize 32"`. With λ = 32 CMA-ES takes twice as many
# generations for the same evaluations; its default recombination weights and learning rates depend
# on λ, and small populations adapt the covariance faster per evaluation but average less noise away.
# What to look for (a prediction to check against your run, not a measured result of this book):
# the smaller population may climb faster early and be noisier late, since each generation averages
# fewer episodes. The wall-clock cost per evaluation should *rise*, because pycma's O(n²) update
# runs twice as often per evaluation and is already most of the training time at λ = 64 (see the
# verdict above) — compare the right panels.
# ```{solution-end}
# ```
#
# ```{exercise-start}
# :label: ex-compute-sigma
# ```
# The initial step size `sigma0` is the one hyper-parameter CMA-ES asks of the user. Run
# `sigma0` ∈ {0.05, 0.5, 2.0}. Which fails, and how does its failure look in the two curves?
# ```{exercise-end}
# ```
#
# ```{solution-start} ex-compute-sigma
# :class: dropdown
# ```
# `make chapter CH=03_compute PARAMS="-p sigma0 0.05"` (and 2.0). A tiny σ keeps all individuals
# nearly identical: the population mean return tracks the solved test closely, but progress is slow
# until σ has grown. A very large σ saturates the tanh units, so many individuals behave like
# bang-bang controllers that crash immediately; CMA-ES must first shrink σ, which costs
# generations. 0.5 is a reasonable middle for weights feeding tanh units with inputs of order 1.
# ```{solution-end}
# ```
#
# ```{exercise-start}
# :label: ex-compute-noise
# ```
# Each individual's fitness is one episode. Set up a run where it is the mean of 4 episodes
# (`evoscale train --episodes-per-eval 4 ...`) and compare at *equal evaluations*. Is it worth it?
# ```{exercise-end}
# ```
#
# ```{solution-start} ex-compute-noise
# :class: dropdown
# ```
# `python -m evoscale train --env LunarLander-v3 --episodes-per-eval 4 --budget-evals 20000 --seed 0`
# against the same command without `--episodes-per-eval`. Averaging 4 episodes quarters the
# variance of each fitness value but gives a quarter of the generations for the same budget. CMA-ES
# only uses the ranking of the individuals, so it tolerates noise as long as the ranking is roughly
# right. The trade-off to look for: early in training, when individuals differ a lot, the lost
# generations should cost more than the noise; late, when differences are small, averaging should
# start to pay. Whether it does at 20K evaluations is what your two runs decide.
# ```{solution-end}
# ```
