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
# # Open question 4: what does a GPU buy — simulation or inference?
#
# **Verdict (open question 4).** {glue:text}`verdict_short`
#
# <small>{glue:text}`provenance`</small>
#
# **In this chapter you will learn**
#
# - which part of neuroevolution a GPU could speed up: the simulation or the network;
# - what compiled simulators (JAX, EnvPool, MJX) buy on a CPU;
# - which measurement on a GPU would decide the question.
#
# **The question.** Neuroevolution evaluates whole {term}`populations <population>` of networks, so a GPU looks like the
# obvious accelerator. But an {term}`evaluation` is two kinds of work: stepping the simulator and running
# the network forward. A GPU that only runs the forward can save at most the network's share of the
# time ({term}`Amdahl's law` {cite}`amdahl1967validity`). A simulator compiled *together with* the policy
# (gymnax {cite}`gymnax2022github`, MJX {cite}`mjx`) moves the whole loop onto the accelerator, and on the way
# removes the Python interpreter from every step.
#
# **What we measure on this CPU machine.**
# 1. The network's share of evaluation time, for networks from the book's defaults up to a
#    100K-parameter {term}`MLP` on LunarLander and a CNN the size of Such et al.'s (~4M parameters) on
#    Pong {cite}`such2017deep`; from it, the Amdahl bound on moving only the forward to a GPU.
# 2. A JAX backend in which gymnax's CartPole and the MLP are one compiled, vectorised loop,
#    against the {term}`lockstep <lockstep evaluation>` evaluator, on one core, at population sizes from 16 to 4,096.
# 3. Published GPU throughputs, converted into cores of this machine.
#
# What needs a GPU is prepared as one script (`make gpu-check`); its results appear at the end of
# this page when a GPU machine has run it.

# %% tags=["parameters"]
profile = "book"  # smoke | book | full
share_cases = None  # [(task, popsize, hidden), ...]: one per network-share measurement; hidden "" is Pong's bare CNN
share_seconds = None  # seconds of evaluation per share measurement
jax_env = "CartPole-v1"  # the task the JAX backend runs (gymnax's port)
jax_popsizes = None  # population sizes of the JAX benchmark (book: 16 ... 4,096)
jax_seconds = None  # measuring seconds per side, per size and round
jax_rounds = None  # interleaved rounds (book: 5)
warmup_evals = None  # CMA-ES episodes before the JAX benchmark, so episode lengths spread (0: random weights)
dtype = "float64"  # precision of the JAX backend: float64 (the lockstep evaluator's episodes up to rounding) | float32

# %% tags=["hide-input"]
from evoscale.experiments import gpu

P = gpu.params(globals())  # strict: a name papermill injected that is not declared above aborts here

# %% tags=["hide-input", "hide-output"]
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from myst_nb import glue

from evoscale import plots
from evoscale.experiments import report


def finish(fig, name, machines):
    """Name the machine, lay out, glue the figure as ``name``."""
    plots.finish(fig, machines)
    glue(name, fig, display=False)
    plt.close(fig)


pd.DataFrame([P.__dict__]).T.rename(columns={0: "value"})

# %% [markdown]
# ## 1. Inference: the network's share of the evaluation
#
# The lockstep evaluator (chapter 2) is timed with clocks around the environments' step and reset
# and the policy's forward pass, one core, for each network. Shares
# are ratios within one timed pass, so a busy machine shifts them less than it shifts absolute
# rates. Populations: LunarLander half random, half hovering controllers (long and short {term}`episodes <episode>`);
# Pong and Humanoid N(0, 0.1²) weights.

# %%
S = gpu.shares(P)
report.table(gpu.amdahl_curve(S).drop(columns="machine"))

# %% tags=["hide-input"]
C = gpu.amdahl_curve(S)
plots.style()
fig, ax = plt.subplots(figsize=(plots.WIDTH, 4.4))
for i, (env, g) in enumerate(C.groupby("env", sort=False)):
    ax.plot(g["n_params"], g["amdahl_bound"], label=env, **plots.series(i))
ax.axhline(1, color="0.5", linewidth=1)
ax.set(xscale="log", xlabel="parameters per individual (log)", ylabel="speed-up bound (×)\n1 / (1 − network share)",
       title="moving only the forward to an (infinitely fast) GPU")
plots.legend_right(ax)
finish(fig, "fig_amdahl", C["machine"])

# %% [markdown]
# ```{glue:figure} fig_amdahl
# :name: fig-amdahl
#
# Amdahl's bound on the speed-up of an evaluation whose forward alone moves to a GPU that takes no
# time at all, against the network's size. The book's default networks are the leftmost point of
# each task; the rightmost are the 100K-parameter MLP (LunarLander) and the ~4M-parameter CNN (Pong).
# ```
#
# ## 2. Simulation compiled with the policy: a JAX backend
#
# A JAX backend runs gymnax's CartPole and the MLP in one compiled program: a loop over time of a
# vectorised map over every episode of the {term}`generation`. Finished
# episodes are masked (frozen, no reward) and the loop ends with the longest episode. In float64 its
# episodes are the lockstep evaluator's up to rounding (tested). Every round times, at every
# population size: the lockstep evaluator; the JAX backend with Gymnasium's start states (the same
# episodes), with gymnax's own resets, and in float32; and gymnax's bare auto-reset loop, which
# counts every computed step. One core, interleaved, ratios within a round. The population is
# {term}`CMA-ES`'s after a short warm-up, tiled to each size, so every size sees the same episode lengths.

# %%
J = gpu.jax_rates(P)
R = gpu.summarise(S, J)
report.tables(R["jax"][["lockstep", "jax", "jax_f32", "bare", "jax_over_lockstep", "useful_fraction", "rounds"]], [], {
    "Env steps per second on one core": ["lockstep", "jax", "jax_f32", "bare"],
    "The JAX loop against the lockstep evaluator": ["jax_over_lockstep", "useful_fraction", "rounds"]})

# %% tags=["hide-input"]
js = R["jax"]
fig, (ax, ax2) = plt.subplots(1, 2, figsize=(plots.WIDTH, 5.8))
for i, (col, label) in enumerate((("lockstep", "lockstep evaluator"), ("jax", "JAX backend (float64, same episodes)"),
                                  ("jax_f32", "JAX backend (float32)"), ("bare", "gymnax bare loop (float64, all steps)"))):
    ax.plot(js.index, js[col], label=label, **plots.series(i))
ax.set(xscale="log", yscale="log", xlabel="population (episodes per generation)",
       ylabel="env steps/s on one (shared) core", title=f"{P.jax_env}, median over rounds")
plots.legend_below(ax, ncol=1)
ax2.plot(js.index, js["jax_over_lockstep"], label="JAX / lockstep (useful steps)", **plots.series(0))
ax2.plot(js.index, js["computed_over_bare"], label="JAX computed / bare gymnax loop", **plots.series(1))
ax2.plot(js.index, js["useful_fraction"], label="useful / computed (masking)", **plots.series(2))
ax2.set(xscale="log", yscale="log", xlabel="population (episodes per generation)", ylabel="ratio (median over rounds)",
        title="ratios within a round")
plots.legend_below(ax2, ncol=1)
finish(fig, "fig_jax", J["machine"])

# %% [markdown]
# ```{glue:figure} fig_jax
# :name: fig-jax
#
# Left: {term}`env steps <env step>` per second on one core, as measured while other jobs shared the machine (lower
# bounds on an idle core's rates; the bare loops count every step, the others useful steps only).
# Right: ratios within a round, median over the rounds.
# ```

# %% tags=["hide-input"]
b, top = R["biggest"], js.loc[R["top_popsize"]]
def share(env):
    return f"{b.loc[env, 'network_fraction']:.0%} at {b.loc[env, 'n_params']:,} parameters (bound " \
           f"{b.loc[env, 'amdahl_bound']:.2f}×)" if env in b.index else "not measured in this profile"
glue("share_lander", share("LunarLander-v3"), display=False)
glue("share_pong", share("ALE/Pong-v5"), display=False)
glue("share_humanoid", share("Humanoid-v5"), display=False)
glue("max_bound", f"{R['max_bound']:.2f}×", display=False)
glue("top_pop", f"{R['top_popsize']:,}", display=False)
glue("ratio", f"{R['ratio']:.1f}×", display=False)
glue("ratio_range", f"{R['ratio_lo']:.1f}–{R['ratio_hi']:.1f}×", display=False)
glue("rounds", R["rounds"], display=False)
glue("small_ratio", f"{js['jax_over_lockstep'].iloc[0]:.1f}× at {js.index[0]:,}", display=False)
glue("computed_over_bare", f"{top['computed_over_bare']:.2f}", display=False)
glue("useful_fraction", f"{top['useful_fraction']:.2f}", display=False)
below = js.index[js["computed_over_bare"] < 0.9]
glue("bare_09", "at every population measured" if below.empty else "not at any population measured"
     if below.max() == js.index.max() else f"from population {js.index[js.index > below.max()].min():,} on",
     display=False)
glue("f32_ratio", f"{top['f32_over_lockstep']:.1f}×", display=False)
glue("resets_ratio", f"{top['device_resets_over_lockstep']:.1f}×", display=False)
glue("jax_per_core", f"{top['jax']:,.0f}", display=False)
glue("lock_per_core", f"{top['lockstep']:,.0f}", display=False)
glue("idle_lockstep", f"{gpu.idle_rates().get('CartPole-v1', {}).get('rate', float('nan')):,.0f}", display=False)

# %% [markdown]
# **What the measurements say.** The network's share of an evaluation on LunarLander is
# {glue:text}`share_lander`; on Pong from pixels {glue:text}`share_pong`; on Humanoid
# {glue:text}`share_humanoid`. The largest bound measured is {glue:text}`max_bound`: a GPU that only
# runs the forward cannot give more than that, however fast it is.
#
# Compiling the simulator with the policy is another matter. At a population of
# {glue:text}`top_pop` the JAX backend stepped {glue:text}`ratio` as many useful env steps per second
# as the lockstep evaluator on the same core (median of {glue:text}`rounds` interleaved rounds, range
# {glue:text}`ratio_range`); at the smallest population {glue:text}`small_ratio`. As measured on the
# shared core that was {glue:text}`jax_per_core` against {glue:text}`lock_per_core` steps/s (the idle
# machine's lockstep rate, `make bench`: {glue:text}`idle_lockstep`). The wide range is the machine,
# not the method: other jobs slowed the Python evaluator more than the compiled loop, and by
# different amounts from minute to minute, so only the order of magnitude is firm.
#
# The masked loop computes steps at {glue:text}`computed_over_bare` of the rate of gymnax's bare
# auto-reset loop there (at least 0.9 of it {glue:text}`bare_09`; below that, the per-generation
# host work — Gymnasium's start states, copies — weighs on small batches);
# {glue:text}`useful_fraction` of the steps it computes are useful (the rest are
# finished episodes waiting for the longest one). In float32 the backend reaches
# {glue:text}`f32_ratio` the lockstep rate; with gymnax's own resets instead of Gymnasium's start
# states (no host loop), {glue:text}`resets_ratio`.

# %% [markdown]
# ## 3. Published GPU figures, in cores of this machine
#
# Published throughputs as published (with their hardware), divided by what one core of this
# machine does: the lockstep CartPole evaluator and one MuJoCo Humanoid as `make bench` measured
# them on the idle machine, and gymnax's bare float32 loop (with our MLP) at the largest population
# as measured above on a shared core, so its row is an upper bound on the cores. The published
# figures use random policies (gymnax) or no policy (MJX); ours include the network.

# %%
rates = gpu.per_core_rates(J, gpu.idle_rates())
X = gpu.cores_equivalent(rates)
report.table(X[["published", "steps_per_s", "hardware", "source", "ours", "our_steps_per_core", "cores_of_this_machine"]])

# %% tags=["hide-input"]
def cores(i):
    v = X["cores_of_this_machine"].iloc[i]
    return "not available in this profile" if v != v else f"{v:,.0f}"
glue("gymnax_cores_lockstep", cores(0), display=False)
glue("gymnax_cores_jax", cores(1), display=False)
glue("mjx_cores", cores(2), display=False)
glue("cpu64_cores", cores(3), display=False)
glue("humanoid_rate", f"{rates.get('Humanoid-v5 MuJoCo', float('nan')):,.0f}", display=False)
glue("mjx_status", gpu.mjx_text(*gpu.mjx_rates()), display=False)

# %% [markdown]
# gymnax's 2·10⁷ CartPole steps/s on an A100 equal {glue:text}`gymnax_cores_lockstep` cores of this
# machine running the lockstep evaluator, but at most {glue:text}`gymnax_cores_jax` cores running the
# same compiled loop on the CPU. MJX's humanoid at 950K steps/s (A100, batch 8,192) equals
# {glue:text}`mjx_cores` of our cores stepping MuJoCo's Humanoid-v5 (the MJX documentation's own
# 64-core CPU figure equals {glue:text}`cpu64_cores`: their humanoid model is cheaper per step than
# Gymnasium's Humanoid-v5, so these conversions compare models, not only machines).
#
# **MJX on this CPU.** MJX 3.17.0 runs on the pinned MuJoCo 4.0.0 and JAX 0.10.2; it is optional
# (the section on re-running this chapter says how to install it).
#
# Gymnasium's Humanoid-v5 model uses MuJoCo's PGS solver, which MJX does not implement, so the bench switches
# the model to Newton and times MuJoCo's C on both (one env step = 5 physics steps, as Gymnasium
# steps it; one core, XLA on one thread): {glue:text}`mjx_status`.
#
# The ratio in brackets is MJX
# over MuJoCo's C on the same model, so it says whether batching the physics in XLA pays on one CPU
# core. One Gymnasium Humanoid-v5 environment, with its Python, steps {glue:text}`humanoid_rate`
# env steps/s on the idle machine.
#
# **A compiled simulator on the CPU: the per-core limit.** EnvPool {cite}`weng2022envpool`
# re-implements these tasks in C++ behind one batched step. An optional bench (it installs EnvPool,
# ~0.7 GB with its MuJoCo assets) measures one pool of 64 environments on one
# thread against one Gymnasium environment, random actions, interleaved rounds:

# %% tags=["hide-input"]
C = gpu.compiled_rates()
glue("compiled_status", "not measured on this checkout (run `make bench-compiled`)" if C.empty else
     "; ".join(f"{r.env} {r.ratio:.1f}× ({r.ratio_min:.1f}–{r.ratio_max:.1f})" for r in C.itertuples())
     + f" (one thread, {int(C['num_envs'].iloc[0])} environments, median of {int(C['rounds'].iloc[0])} rounds, "
       f"on {C['machine'].iloc[0]})", display=False)
report.table(pd.DataFrame({"task": C["env"], "EnvPool steps/s": C["envpool_steps_per_s"].map("{:,.0f}".format),
                           "Gymnasium steps/s": C["gymnasium_steps_per_s"].map("{:,.0f}".format),
                           "EnvPool ÷ Gymnasium": C["ratio"].map("{:.1f}×".format)}))

# %% [markdown]
# EnvPool over one Gymnasium environment: {glue:text}`compiled_status`. Where the ratio is well
# above 1, Gymnasium's Python step, not the physics, limits one core — and our evaluator runs at
# about one raw Gymnasium environment's rate (section 1's timing), so a compiled simulator is the
# cheaper way to more steps per core on the tasks where that holds, before any GPU.

# %% [markdown]
# **EnvPool as an evaluator backend.** An EnvPool backend runs the lockstep loop on EnvPool's simulators: one pool per run of consecutive episode seeds, each
# environment playing one episode (EnvPool's environment *i* of pool seed *s* starts exactly like
# environment 0 of pool seed *s + i*, so every episode stays a pure function of its seed). EnvPool
# draws start states with its own random number generator, so the same seed starts a *different*
# episode of the same task: the claim to check is that the same networks earn returns from the same
# distribution.
#
# The backend is part of a run's cache key, so its runs never mix with the stored
# Gymnasium ones. A bench evaluates the same policies on both simulators and compares the
# return samples; mirroring the heuristic's actions on EnvPool's side is the negative control the
# comparison must catch:

# %% tags=["hide-input"]
Q, V, qm = gpu.envpool_backend()
glue("envpool_status", gpu.envpool_text(Q, V, qm), display=False)
E = gpu.envpool_table(Q)
report.tables(E, ["task", "policy"], {
    "The two samples": ["episodes a side", "Gymnasium mean", "EnvPool mean"],
    "Are they the same distribution?": [c for c in E.columns if c not in ("task", "policy", "episodes a side",
                                                                          "Gymnasium mean", "EnvPool mean")]})

# %% [markdown]
# EnvPool against Gymnasium as a simulator: {glue:text}`envpool_status`.

# %% [markdown]
# ## 4. On a GPU: the one-shot run
#
# One prepared script runs, on a CUDA machine, the tests
# skipped here, the full CMA-ES's generation and eigendecomposition at n = 10K, 50K and 100K (with
# the in-place layout that fits n = 100K on one 139 GiB GPU), EvoTorch's SNES, PGPE and {term}`sep-CMA-ES`,
# the JAX rollout at populations up to 65,536, chapter 4's speedup with 1–16 workers, and MJX's
# humanoid at batch 4,096 where the optional MJX is installed, and stores what it measured. Without
# CUDA it stops with an error instead of running on the CPU; a dry run rehearses every section at
# tiny sizes (a test does).

# %% tags=["hide-input"]
G = gpu.gpu_results()
glue("gpu_status", "needs a GPU, not run" if G is None else f"run on {G['machine']} ({G['started']})",
     display=False)
if G is None:
    out = pd.DataFrame({"gpu_check": ["needs a GPU, not run"]})
else:
    out = pd.DataFrame([{"section": k, "ok": v["ok"], "wall_s": round(v["wall_s"], 1),
                         "rows": len(v.get("rows", []))} for k, v in G["sections"].items()])
report.table(out)

# %% [markdown]
# GPU measurements: {glue:text}`gpu_status`.

# %% tags=["hide-input"]
# the chapter's claims (claims page, q4.*), one Holm family; each verdict an object until glued here
_, mjx_meta = gpu.mjx_rates()
from evoscale.experiments import STUDIES  # noqa: E402 (after the strict check: the registry is no parameter)

A = STUDIES["08_gpu"].analyse(P, {"jax_table": J, "shares": S, "checks": Q, "speed": V, "mjx_meta": mjx_meta, "gpu": G})
Vq = A["verdicts"]
glue("verdict_short", A["short"], display=False)  # the intro's table and the opening
for key, v in Vq.items():
    glue("v_" + key.replace(".", "_"), str(v), display=False)
glue("machine", R["machine"], display=False)
glue("provenance", report.provenance(P.profile, [R["machine"]] + ([G["machine"]] if G else [])), display=False)
report.table(A["family_table"], note="Holm's correction over the chapter's tests at a family-wise 5 %; "
             "a claim without enough rounds stays out of it, unresolved.")

# %% [markdown]
# ## Verdict
#
# Each claim of this chapter has one test, declared on the page "How each claim is judged" before the
# measurements: the median over interleaved rounds of a ratio of two rates, with its 95 % bootstrap
# interval over rounds, against a fixed reference. The claims with enough rounds form one family,
# corrected by Holm's method (table above).
#
# **Open question 4, "does a GPU speed neuroevolution up mainly by simulating the environments, or by
# running the networks?"** {glue:text}`verdict_short`.
#
# ```{dropdown} Details: every test of the chapter
# - *Open question 4, in full*: {glue:text}`v_q4`.
# - *On one GPU, compiled simulation against the forward alone*: {glue:text}`v_q4_gpu`.
# - *On one CPU core, the JAX backend against the forward-only bound*: {glue:text}`v_q4_jax_cpu`.
# - *On one CPU core, the EnvPool backend against the lockstep evaluator*: {glue:text}`v_q4_envpool_cpu`.
# - *On one CPU core, MJX against MuJoCo's C*: {glue:text}`v_q4_mjx_cpu`.
#
# The CPU claims say what a compiled simulator buys before any GPU; they cannot answer the question,
# which is about a GPU. GPU figures: {glue:text}`gpu_status`. Measured on: {glue:text}`machine`
# (timings taken while other jobs shared the machine: every ratio is taken within one interleaved
# round).
# ```

# %% [markdown]
# ## Re-running this chapter
#
# ```bash
# # cached measurements reused
# make chapter CH=08_gpu
# # re-measure (on an idle machine)
# FRESH=1 make chapter CH=08_gpu PARAMS="-p jax_rounds 9"
# .venv/bin/python -m evoscale bench jax --popsizes 16,256,4096 --rounds 3
# # network_fraction
# .venv/bin/python -m evoscale bench evaluator --env LunarLander-v3 \
#     --hidden 436,218
# # on a CUDA machine
# make gpu-check
# ```
#
# Measurements are cached under `results/<profile>/gpu/`. The two backends are `backend="jax"`
# (`evoscale.evaluation.jax`) and `backend="envpool"` (`evoscale.evaluation.envpool`). `make bench-mjx`
# installs `requirements-mjx.txt` and runs `bench mjx`; `make bench-compiled` installs
# `requirements-compiled.txt` (EnvPool) and runs `bench compiled` and `bench envpool`. `make gpu-check`
# runs `python -m evoscale.gpu_check --minutes 9` and writes `results/gpu/gpu-check-<gpu>-<time>.json`;
# `--dry-run` rehearses it.
#
# ## Limitations
#
# No GPU was available to this book's runs: every rate here comes from one core of a small shared
# machine, or from published figures. Other jobs slowed the measurements by different amounts, so
# only the order of magnitude of a ratio is firm, and the GPU question waits for the one-shot run of
# section 4.
#
# ```{admonition} Takeaways
# :class: tip
#
# - A GPU speeds up only what runs on it: if the network takes a small share of an evaluation, faster
#   inference buys little (Amdahl's law).
# - Compiling the simulator together with the policy (JAX) stepped {glue:text}`ratio` as many useful
#   env steps per second as the lockstep evaluator, on one CPU core.
# - Published GPU figures are translated into cores of this machine, so they can be compared with the
#   other chapters' costs.
# - The GPU question itself is decided only by a run on a GPU, prepared here as a one-shot check.
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
# :label: ex-gpu-amdahl
# ```
# The network's share of Pong's evaluation grows with the dense layer. Suppose a GPU runs the
# forward 50× faster than this core, and copying the observations to it costs as much as the
# forward did on the CPU. What speed-up does Amdahl's law give for the largest Pong network above?
# ```{exercise-end}
# ```
#
# ```{solution-start} ex-gpu-amdahl
# :class: dropdown
# ```
# With network share f, the new time is (1 − f) + f/50 + f (the copy), i.e. *more* than f/50 of the
# old forward: speed-up 1 / (1 − f + f/50 + f) = 1 / (1 + f/50), which is below 1. A GPU that only
# runs the forward pays for moving every observation across the bus every step; without batching
# many environments' observations into one transfer it can slow the evaluation down. Read f off the
# table of section 1: the "network (% of time)" column in Pong's row with the most parameters,
# divided by 100.
# ```{solution-end}
# ```
#
# ```{exercise-start}
# :label: ex-gpu-masking
# ```
# The masked loop of the JAX backend computes `episodes × longest episode` steps. What happens to
# the useful fraction when the population is random (no CMA-ES episodes before the benchmark), and
# why does the lockstep evaluator not suffer from the same effect?
# ```{exercise-end}
# ```
#
# ```{solution-start} ex-gpu-masking
# :class: dropdown
# ```
# The benchmark on random weights, every other measurement read from the results (about 6 minutes;
# compare the "useful steps (%)" column with the page's):
#
# ```bash
# make chapter CH=08_gpu PARAMS="-p warmup_evals 0"
# ```
#
# Random CartPole controllers fall within ~10–30 steps, but one lucky individual that balances for
# 500 steps keeps the whole batch running: the useful fraction drops towards mean length ÷ 500. The
# lockstep evaluator drops a finished episode from the batch at once (chapter 2), so it only pays for
# useful steps. A compiled loop can do the same by giving each batch row a queue of episodes
# (auto-reset into the next job), at the price of gathering new weights into the row.
# ```{solution-end}
# ```
#
# ```{exercise-start}
# :label: ex-gpu-cores
# ```
# Using the table of section 3, how many 2-core machines like this one match one A100 running
# gymnax's CartPole? Is the comparison fair to the CPU?
# ```{exercise-end}
# ```
#
# ```{solution-start} ex-gpu-cores
# :class: dropdown
# ```
# Divide the "cores of this machine to match" column of gymnax's rows by 2. Against the lockstep
# evaluator the comparison mixes two effects: the GPU, and the compiled loop (no Python per step).
# The row against the JAX backend on the CPU isolates the hardware: the same compiled program on a
# CPU core versus the GPU. Neither row is fully fair, because gymnax's figure is a random policy (no
# network) at its best batch size.
# ```{solution-end}
# ```
