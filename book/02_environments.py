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
# # Dimension 2: environment complexity — which tasks fit a laptop?
#
# **Verdict.** {glue:text}`verdict_short`
#
# <small>{glue:text}`provenance`</small>
#
# **In this chapter you will learn**
#
# - how many {term}`episodes <episode>` each task needs before an evolution strategy solves it, against the {term}`design note`'s estimates;
# - how to turn a measured cost per episode into the CPU-hours a task would take;
# - why pixels (Pong) and many joints (Humanoid) change the picture.
#
# **The claim.** The design note estimates the {term}`evaluations <evaluation>` ({term}`episodes <episode>`) each task needs —
# CartPole ~5K, LunarLander ~100K, BipedalWalker ~500K, Atari Pong ~5M, MuJoCo Humanoid ~50M — and
# concludes that gradient-free methods scale up to BipedalWalker, while Atari needs CNNs and
# therefore {term}`OpenAI-ES` with massive compute {cite}`salimans2017evolution,such2017deep`.
#
# **What we measure.** All tasks go through the same evaluator and trainers, each with the default
# network and method of the book's task registry: {term}`MLPs <MLP>` with {term}`CMA-ES` on the
# control tasks, a small {term}`population`-batched CNN with OpenAI-ES on Pong's
# pixels, and the 256×256 MLP of Salimans et al. with OpenAI-ES on Humanoid (parameter counts in the
# cost table below).
#
# Three things per task: (1) what one evaluation costs on this machine, serial and
# population-batched; (2) a cost model — the design note's estimated evaluations × the measured cost →
# CPU-hours; (3) learning curves within this profile's budget, ES against {term}`PPO` with the
# rl-baselines3-zoo hyper-parameters {cite}`raffin2020zoo`, on {term}`env steps <env step>` *and* wall-clock, as the
# interquartile mean over seeds with a 95 % bootstrap band {cite}`agarwal2021deep`. And one test of "Atari needs
# CNNs": Pong from its 128 bytes of RAM with a small MLP, at equal evaluations.

# %% tags=["parameters"]
profile = "book"  # smoke | quick | book | full
tasks = None  # comma-separated subset of the registry's tasks, `TASKS` (None: all six)
seeds = None  # seeds per run (smoke: 2; book: 10, the dearer tasks capped at 3; full: 10)
budget_scale = None  # multiplies every budget of the profile (quick: 0.33; smoke, book and full: 1.0)
cost_popsize = None  # individuals in the per-task cost measurement (book: 8)
signal_samples = None  # random networks per Pong input (pixels, RAM) and scale in the "any reward signal?" test (book: 64)
processes = None  # runs trained in parallel, one core each (None: all cores)
device = None  # cpu | cuda: where the Pong/Humanoid policy forward runs (full: cuda)
workers = None  # Ray actors per ES run on Pong and Humanoid (None: the single-process lockstep evaluator)

# %% tags=["hide-input"]
from evoscale.experiments import environments, environments_cost, environments_verdicts, pong

P = environments.params(globals())  # strict: a name papermill injected that is not declared above aborts here

# %% tags=["hide-input", "hide-output"]
import matplotlib.pyplot as plt
from matplotlib.lines import Line2D
from matplotlib.ticker import NullFormatter
import pandas as pd
from myst_nb import glue

from evoscale import plots
from evoscale.envs import get_spec
from evoscale.experiments import report

pd.DataFrame([{k: v for k, v in P.__dict__.items() if k != "settings"}]).T.rename(columns={0: "value"})

# %% [markdown]
# ## What one evaluation costs
#
# For each task, a population of random networks of the task's default size (one episode each) is
# evaluated once one episode after another (`serial`) and once population-batched (`lockstep`: one
# forward for all running episodes per step), on one core. Random networks lose fast or fall
# early, so these are the *cheapest* episodes a task has; trained policies play longer.

# %% tags=["hide-input"]
cost = environments_cost.measure_costs(P)
cost_view = cost.assign(
    speedup=cost["serial_s_per_episode"] / cost["lockstep_s_per_episode"],
)[["env", "network", "n_params", "steps_per_episode", "max_steps", "serial_s_per_episode",
   "lockstep_s_per_episode", "speedup", "batched_steps_per_s"]]
by_env = cost.set_index("env")


def _g(name, value):
    glue(f"env_{name}", value, display=False)


for env, key in (("ALE/Pong-v5", "pong"), ("ALE/Pong-ram-v5", "pongram"), ("CartPole-v1", "cartpole"),
                 ("Humanoid-v5", "humanoid"), ("BipedalWalker-v3", "bipedal")):
    if env in by_env.index:
        _g(f"{key}_s_ep", f"{by_env.loc[env, 'lockstep_s_per_episode']:.3g}")
        _g(f"{key}_steps_ep", f"{by_env.loc[env, 'steps_per_episode']:,.0f}")
        _g(f"{key}_n", f"{by_env.loc[env, 'n_params']:,}")
_g("cost_machine", cost["machine"].iloc[0])
_g("cost_popsize", P.cost_popsize)
report.tables(cost_view, ["env"], {
    "The tasks and their episodes": ["network", "n_params", "steps_per_episode", "max_steps"],
    "One episode, one after another (serial) and population-batched": [
        "serial_s_per_episode", "lockstep_s_per_episode", "speedup", "batched_steps_per_s"]})

# %% [markdown]
# One Pong episode of a random CNN took {glue:text}`env_pong_s_ep` s ({glue:text}`env_pong_steps_ep`
# agent steps, each 4 emulator frames); the same from RAM {glue:text}`env_pongram_s_ep` s, a
# Humanoid episode {glue:text}`env_humanoid_s_ep` s and a CartPole episode
# {glue:text}`env_cartpole_s_ep` s (population of {glue:text}`env_cost_popsize`, one core of:
# {glue:text}`env_cost_machine`).
#
# How close does the batched evaluator come to the raw step rate of one plain Gymnasium environment
# driven by random actions? The committed benchmarks (medians over three interleaved rounds on this
# machine) say:

# %% tags=["hide-input"]
bench = environments_cost.bench_table()
b = bench.set_index("env") if len(bench) else None


def _pct(env, col):
    v = None if b is None or env not in b.index else b.loc[env, col]
    return "not measured" if v is None or v != v else f"{100 * v:.0f} %"


def _bench_num(env, value):
    return "not measured" if b is None or env not in b.index else f"{value(b.loc[env]):.2f}"


for col, key in (("emulator_fraction", "emu"), ("preprocessing_fraction", "pre"), ("network_fraction", "net")):
    _g(f"bench_pong_{key}", _pct("ALE/Pong-v5", col))
_g("bench_pong_ratio", _bench_num("ALE/Pong-v5", lambda r: r["ratio"]))
_g("bench_hum_net", _pct("Humanoid-v5", "network_fraction"))
_g("bench_bw_ratio", _bench_num("BipedalWalker-v3", lambda r: r["ratio"]))
_g("bench_bw_vs_replay", _bench_num("BipedalWalker-v3", lambda r: r["ratio_vs_replay"]))
_g("bench_hum_replay_raw", _bench_num("Humanoid-v5", lambda r: r["replay_steps_per_s"] / r["raw_steps_per_s"]))
_g("bench_hum_vs_replay", _bench_num("Humanoid-v5", lambda r: r["ratio_vs_replay"]))
_g("bench_loop_max", "not measured" if b is None else
   f"{100 * b['loop_fraction'].max():.0f} % ({b['loop_fraction'].idxmax()}, whose env step costs microseconds)")
_g("bench_ratio_range", "not measured" if b is None else f"{b['ratio'].min():.2f}–{b['ratio'].max():.2f}")
report.tables(bench, ["env"], {
    "Env steps per second": ["n_params", "popsize", "raw_steps_per_s", "replay_steps_per_s", "evaluator_steps_per_s",
                             "machine"],
    "The evaluator against other ways of stepping the task": ["ratio", "ratio_vs_unwrapped", "ratio_vs_serial",
                                                              "ratio_vs_replay"],
    "Where the evaluator's time goes": ["env_fraction", "emulator_fraction", "preprocessing_fraction",
                                        "network_fraction", "loop_fraction"]},
    note="No benchmark stored: make bench (on an idle machine) fills this table." if bench.empty else "")

# %% [markdown]
# "Evaluator ÷ raw env" is the evaluator's useful env steps per second over the raw rate
# ({glue:text}`env_bench_ratio_range` across tasks), "÷ unwrapped env" the same against the
# environment the evaluator itself steps (for Pong: with the preprocessing), "÷ serial evaluator"
# against our one-individual-at-a-time reference, and "÷ replaying env" against one plain
# `gymnasium.make` environment replaying the population's own recorded actions without any network.
# The "% of time" columns say where the evaluator's time goes: inside the environments, in the
# policy forward, and in the evaluator's own bookkeeping — at most {glue:text}`env_bench_loop_max`
# on any task. Where the ratio falls short of 1 the environment, not the evaluator, is the reason:
#
# * **Humanoid**: the policies' actions are dearer to simulate than random ones. Replaying the
#   population's own actions, a plain environment runs at {glue:text}`env_bench_hum_replay_raw` of
#   its random-action rate; the evaluator reaches {glue:text}`env_bench_hum_vs_replay` of that
#   replay, the difference being mostly the 160K-parameter forward ({glue:text}`env_bench_hum_net` of the
#   time).
# * **Pong pixels** (ratio {glue:text}`env_bench_pong_ratio`): the raw ALE environment skips frames
#   in C++ and returns raw frames; the evaluator also does the standard preprocessing and runs a CNN.
#   Of its time, {glue:text}`env_bench_pong_emu` is the emulator's own frames,
#   {glue:text}`env_bench_pong_pre` the preprocessing (two grey screens per step, max-pooling and
#   the 210×160 → 84×84 area resize; our Atari environment does it in one step, bitwise equal to
#   Gymnasium's standard preprocessing and frame-stacking wrappers) and
#   {glue:text}`env_bench_pong_net` the network.
# * **BipedalWalker** (ratio {glue:text}`env_bench_bw_ratio`): every episode builds a new Box2D
#   world and terrain, and the training population's episodes are short; the evaluator reaches
#   {glue:text}`env_bench_bw_vs_replay` of a plain environment replaying the same episodes.
#
# ## Learning curves within the budget
#
# Each run is one method on one task with one random seed (LunarLander's CMA-ES curves are the runs
# of the compute chapter, reused). The {term}`solved test` is the mean return of the current solution over fresh episodes.

# %%
df = environments.run(P)
T = environments.evals_to_threshold(df)

# %% tags=["hide-input"]
plots.style()
panels = [t for t in P.task_list() if t != "ALE/Pong-ram-v5"]
fig, axes = plt.subplots(len(panels), 2, figsize=(plots.WIDTH, 3.0 * len(panels) + 1.2), squeeze=False)
handles = {}  # one legend under the figure: a line per method (the RAM variant dotted), the solved line
for row, task in zip(axes, panels):
    shown = df[df["env"].isin([task, "ALE/Pong-ram-v5"] if task == "ALE/Pong-v5" else [task])]
    for (env, method), g in shown.groupby(["env", "method"], sort=False):
        ram = env.endswith("-ram-v5")  # the RAM variant: its method's colour, dotted
        label = plots.METHOD_LABELS[method] + (" on RAM (MLP)" if ram else "")
        for ax, x in zip(row, ("env_steps", "wall_s")):
            plots.band(ax, g, x, "test_return", label, color=plots.color(method), linestyle=":" if ram else "-")
        handles.setdefault(label, Line2D([], [], color=plots.color(method), linestyle=":" if ram else "-"))
    spec = get_spec(task)
    for ax, xl in zip(row, ("env steps", "training seconds, one core")):
        plots.solved_line(ax, spec.solved)
        ax.set(xlabel=xl + " (log)", ylabel="solved-test return", title=task, xscale="log")
        ax.xaxis.set_minor_formatter(NullFormatter())  # decade labels only: minor ones collide
handles["solved threshold"] = Line2D([], [], color="0.3", linestyle="--", linewidth=1)
plots.finish(fig, df["machine"], handles=handles)
glue("env_fig_curves", fig, display=False)
plt.close(fig)

# %% [markdown]
# ```{glue:figure} env_fig_curves
# :name: fig-env-curves
#
# Solved-test return ({term}`IQM` over seeds with a 95 % bootstrap band from five seeds up, else each seed's
# own curve) of each task's default ES and of PPO
# (zoo hyper-parameters), against env steps (left) and training wall-clock on one core (right).
# Pong: OpenAI-ES on pixels (CNN) and on RAM (MLP, dotted), and PPO on pixels (the zoo's `atari` entry,
# SB3's NatureCNN, trained on the evaluator's own preprocessing). Dashed: the solved line. Curves end
# where this profile's budget ends; nothing is extrapolated in these plots.
# ```

# %% tags=["hide-input"]
for name, text in environments.run_texts(T).items():
    _g(name, text)
glue("ppo_cartpole_steps", environments.run_texts(T)["cp_ppo_steps"], display=False)  # chapter 6 shows it too
for name, text in pong.pong_ppo_texts(df).items():
    _g(name, text)
report.tables(environments.results_table(T), ["task", "method"], {
    "What ran": ["evaluations run", "env steps run", "design note's estimate (evaluations)", "published"],
    "What it reached": ["final solved-test return", "seeds solved", "evaluations to solve", "env steps to solve"]})

# %% [markdown]
# Measured against the design note's estimates: CMA-ES crossed CartPole's 475 in
# {glue:text}`env_cp_cma_solved` seeds, after {glue:text}`env_cp_cma_evals` evaluations (the
# design note says ~5K), {term}`GA` in {glue:text}`env_cp_ga_solved` after {glue:text}`env_cp_ga_evals`. On
# LunarLander CMA-ES reached 200 in {glue:text}`env_ll_cma_solved` seeds (final
# {glue:text}`env_ll_cma_final` after {glue:text}`env_ll_cma_run` evaluations: the compute chapter's
# pycma runs, against which it checks its longer torch CMA-ES runs). BipedalWalker after
# {glue:text}`env_bw_cma_run` evaluations, a fraction of the design note's 500K: CMA-ES
# {glue:text}`env_bw_cma_final` (solved: 300). Humanoid: OpenAI-ES {glue:text}`env_hum_final`, PPO
# {glue:text}`env_hum_ppo_final` (published runs reach thousands; see the table).
#
# PPO's rows on the first three tasks are chapter 6's runs, at its budgets: on CartPole it reached
# 475 in {glue:text}`env_cp_ppo_solved` seeds after {glue:text}`ppo_cartpole_steps` env steps; on
# LunarLander it reached 200 in {glue:text}`env_ll_ppo_solved` (final {glue:text}`env_ll_ppo_final`
# after {glue:text}`env_ll_ppo_steps_run` env steps); on BipedalWalker it scored
# {glue:text}`env_bw_ppo_final` after {glue:text}`env_bw_ppo_steps_run` env steps. Chapter 6 compares
# the two sides at equal env steps and at equal one-core time.
#
# ## "Atari needs CNNs": Pong from pixels vs from RAM
#
# At equal evaluations ({glue:text}`env_pong_run` each), OpenAI-ES reached a final {term}`solved-test <solved test>` score
# of {glue:text}`env_pong_final` with the CNN on pixels and {glue:text}`env_pongram_final` with the
# 128-32-6 MLP on RAM (−21 is losing every point, +21 the maximum). Both budgets
# are a tiny fraction of the design note's 5M, so the comparison answers only the first question — does
# either get *anywhere* that early — and the cost difference: a RAM episode costs
# {glue:text}`env_pongram_s_ep` s against {glue:text}`env_pong_s_ep` s for pixels.
#
# PPO on the same pixels — rl-baselines3-zoo's `atari` hyper-parameters (8 environments × 128
# steps, linearly decaying learning rate and clip range), SB3's NatureCNN with
# {glue:text}`env_pong_ppo_n` parameters, trained on exactly the observations the solved test feeds
# it (84×84 grey, 4 stacked frames, frame skip 4, sticky actions) — ended at
# {glue:text}`env_pong_ppo_final` after {glue:text}`env_pong_ppo_steps_run` env steps, against
# {glue:text}`env_pong_steps_run` env steps for OpenAI-ES's {glue:text}`env_pong_run` evaluations.
#
# It trained at {glue:text}`env_pong_ppo_rate` env steps per second per run (one process, one torch
# thread, on: {glue:text}`env_pong_ppo_machine`), {glue:text}`env_pong_ppo_update` of the time in the
# CNN's gradient update rather than in the emulator. At that rate the zoo's 10M steps (its published
# result: the table above) take {glue:text}`env_pong_ppo_zoo_h` hours per seed; the `full` profile
# runs them, with the update on the GPU.
#
# ### Does the search see any reward at all?
#
# OpenAI-ES ranks each {term}`generation`'s returns and moves towards the better half. If every episode ends
# 0–21, all returns tie and the ranks order the population by the sort's tie-breaking, not by
# behaviour.
#
# In the runs above, {glue:text}`env_pong_gens_scored` generations (of every Pong ES run,
# pixels and RAM) contained an episode that scored a point. Per seed, the share of such generations
# in the first half of training → the second half: pixels {glue:text}`env_pong_pix_halves`; RAM
# {glue:text}`env_pong_ram_halves`. A rising share means the search is learning to return the ball
# before the solved test shows it.
#
# How likely is a point for a network that has learned nothing? Below:
# {glue:text}`env_signal_n` random networks per input and weight scale (N(0, s²) around the ES runs'
# zero centre; s = their σ₀ and 10× it), one episode each (interval: 95 % Wilson).

# %% tags=["hide-input"]
signal = pong.summary(pong.first_points_cached(P.profile, P.signal_samples))
_g("signal_n", P.signal_samples)
pong_es = df[df["env"].str.startswith("ALE/") & (df["method"] != "ppo")]
_g("pong_gens_scored", f"{int((pong_es['best_return'] > -21).sum())} of {len(pong_es):,}")
for name, text in {**pong.scored_halves(pong_es), **pong.signal_texts(signal)}.items():
    _g(name, text)
_g("signal_verdict", pong.signal_verdict(signal, pong_es))
report.tables(signal, ["env", "sigma"], {
    "The random networks": ["n_params", "networks", "mean_length", "best_return"],
    "How many scored a point": ["scored", "share_scored", "ci_low", "ci_high"]})

# %% [markdown]
# A random CNN on pixels scored in {glue:text}`env_signal_pix_lo` episodes at s = 0.05 and
# {glue:text}`env_signal_pix_hi` at s = 0.5; the RAM MLP in {glue:text}`env_signal_ram_lo` and
# {glue:text}`env_signal_ram_hi` (mean episode length, pixels: {glue:text}`env_signal_pix_lo_len` and
# {glue:text}`env_signal_pix_hi_len` steps; RAM: {glue:text}`env_signal_ram_lo_len` and
# {glue:text}`env_signal_ram_hi_len`). {glue:text}`env_signal_verdict`.
#
# Before "CNN or not" can
# matter, the search has to find the ball. Such et al.'s GA evolved Atari CNNs with a population of
# 1,000 {cite}`such2017deep`: at a per-network chance p of a point, a generation of λ networks sees
# at least one with probability 1 − (1 − p)^λ, which for λ = 16 needs p ≈ 4 % for even odds per generation.
#
# ## The cost model: what the design note's estimates cost on this machine
#
# An evaluation costs its episode's env steps times the seconds per env step, plus the optimiser's
# share of the generation. Episodes lengthen as a policy learns: a falling walker's episode is short,
# a walking one's runs to the cap. So each task is priced from the stored runs that trained it
# longest, in any chapter, in three ways: with episodes as they were early in those runs, as they were
# at the end, and with every episode at the task's cap. The upper end of the range is the end-of-run
# price where those runs solved the task, else the cap.
#
# The seconds per env step and per update are the idle-core unit costs chapter 6 measured for those
# runs' methods where it measured them (its runs are the longest on three tasks), else the runs' own
# timings on this shared machine; the table says which. Hours on many cores assume ideal scaling.
# **Everything in this table beyond the budgets actually run is an extrapolation.**

# %% tags=["hide-input"]
CORES = 64
_num = environments_cost.hours_text

model = environments_cost.cost_model(environments_cost.prices(P), cost, P, cores=CORES)
for name, text in environments_cost.cost_texts(model).items():
    _g(name, text)
_g("cores", CORES)
_g("full_total_h", _num(model["full_cpu_h_upper"].sum()))
NIGHT = 8  # CPU-hours: one night on one core, what "fits a laptop" means here
_g("night_h", NIGHT)
laptop = model[model["claimed_cpu_h_upper"] <= NIGHT]["env"].tolist()
_g("laptop_tasks", ", ".join(laptop) if laptop else "none")
_g("cluster_tasks", ", ".join(model[model["claimed_cpu_h_upper"] > NIGHT]["env"]) or "none")
glue("provenance", report.provenance(P.profile, [*df["machine"], *cost["machine"]]), display=False)
report.tables(environments_cost.cost_view(model, CORES), ["task"], environments_cost.cost_parts(CORES))

# %% tags=["hide-input"]
# the chapter's claims (claims page, d2.*), one Holm family; each verdict an object until glued here
from evoscale.experiments import STUDIES  # noqa: E402 (after the strict check: the registry is no parameter)

A = STUDIES["02_environments"].analyse(P, {"table": T, "model": model})
V = A["verdicts"]
glue("verdict_short", report.verdict_short(V["d2.overall"], max_words=25), display=False)  # intro, opening
_g("estimate_factor", environments_verdicts.FACTOR)
for key, v in V.items():
    _g("v_" + key.replace(".", "_"), str(v))

# %% [markdown]
# ## Verdicts
#
# Each claim has one test, declared on the page "How each claim is judged" before the data. An
# estimate of evaluations holds when the median over seeds of the evaluations CMA-ES took to reach
# the solved line, seeds that never reached it counted at their budget, lies within a factor
# {glue:text}`env_estimate_factor` of it; a final return is judged by its interquartile mean. All
# tests form one family, corrected by Holm's method; a claim with fewer seeds than its declared
# minimum stays out of it and unresolved.

# %% tags=["hide-input"]
report.table(A["family_table"],
             note="Holm's correction over the chapter's tests at a family-wise 5 %.")

# %% [markdown]
# **Do the design note's estimates and its "up to BipedalWalker, Atari needs CNNs" hold?**
# {glue:text}`verdict_short`.
#
# ```{dropdown} Details: every test of the chapter
# - *All five together*: {glue:text}`env_v_d2_overall`.
# - *CartPole needs ~5K evaluations*: {glue:text}`env_v_d2_cartpole`.
# - *LunarLander needs ~100K* (the compute chapter's pycma runs): {glue:text}`env_v_d2_lunarlander`.
# - *BipedalWalker needs ~500K*: {glue:text}`env_v_d2_bipedal_evals`.
# - *Gradient-free methods scale up to BipedalWalker*: {glue:text}`env_v_d2_bipedal`. Chapter 6 runs
#   OpenAI-ES against PPO on BipedalWalker at a larger budget.
# - *Atari needs CNNs* (Pong, OpenAI-ES, pixel CNN against RAM MLP at equal evaluations):
#   {glue:text}`env_v_d2_cnn`.
#
#   Both searches saw some reward: an untrained network of either kind
#   scores a point now and then, and the share of generations with a point rose from the first half
#   of training to the second on {glue:text}`env_pong_pix_rising` seeds from pixels and
#   {glue:text}`env_pong_ram_rising` from RAM.
# ```
#
# The design note's "therefore massive compute" is about the CNN's *cost* as much as its necessity,
# and the cost model prices both observation kinds. *Which experiments fit a laptop?* Taking "fits"
# as at most one night ({glue:text}`env_night_h` CPU-hours) on one core at the upper end of the price range, the design
# note's estimates fit for: {glue:text}`env_laptop_tasks`. They need a cluster or a GPU for:
# {glue:text}`env_cluster_tasks`.
#
# BipedalWalker's 500K evaluations take {glue:text}`env_bw_cpu_h_early` to
# {glue:text}`env_bw_cpu_h_upper` CPU-hours on one core (the upper end {glue:text}`env_bw_upper`;
# {glue:text}`env_bw_us_step` µs per env step, {glue:text}`env_bw_steps_late` steps per episode once
# its longest runs got furthest).
# Pong's 5M take {glue:text}`env_pong_cpu_h_early` to {glue:text}`env_pong_cpu_h_upper` CPU-hours
# ({glue:text}`env_pong_h_cores` h on {glue:text}`env_cores` ideal cores at the upper end), Humanoid's
# 50M {glue:text}`env_hum_cpu_h_early` to {glue:text}`env_hum_cpu_h_upper` CPU-hours. The `full`
# profile's ES runs (the design note's estimates × 10 seeds, GA added on BipedalWalker and Pong) would
# need up to {glue:text}`env_full_total_h` CPU-hours in all — extrapolated from the prices above,
# not run; its PPO runs come on top.
#
# ## Re-running this chapter
#
# ```bash
# make chapter CH=02_environments PARAMS="-p tasks CartPole-v1,Humanoid-v5 \
#     -p seeds 5"
# # a cluster (Ray) + a GPU
# make chapter CH=02_environments PROFILE=full PARAMS="-p workers 64"
# ```
#
# `profile` picks the defaults: `smoke` (CI), `book` (this page, ~35 min on 2 cores), `full` (the
# design note's estimates, 10 seeds: a cluster or GPU — see the cost model for what it needs).
# Runs are cached in `results/<profile>/runs/` under the hash of their full configuration. The
# benchmarks come from `make bench`, i.e. `python -m evoscale bench evaluator --env <task> --out
# results/bench/evaluator-<task>.json` per task; the Atari preprocessing is `evoscale.envs.atari`, the
# random networks' first points `evoscale.experiments.pong`.
#
# ## Limitations
#
# The dearer tasks (BipedalWalker, Pong, Humanoid) ran a small part of the design note's budgets with
# fewer seeds, so their results say how far a search gets early, not whether it would solve the
# task; the cost model extrapolates the rest. Every timing comes from this small shared machine (its
# two cores are named above), not from a cluster or a GPU.
#
# ```{admonition} Takeaways
# :class: tip
#
# - The task sets the price of an evaluation: the same number of evaluations costs seconds on
#   CartPole and CPU-hours on Pong or Humanoid, so budgets must be priced per task.
# - Batching the population ({term}`lockstep <lockstep evaluation>` evaluation) saves network calls, but where the simulator
#   takes most of the time only a faster simulator helps.
# - The design note's estimates of the evaluations each task needs are tested task by task; the
#   dearer tasks ran only a small part of their budgets here.
# - An evolution strategy can only rank a population whose returns differ: on Pong, finding any
#   reward at all comes before the question of which network to use.
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
# :label: ex-env-ram
# ```
# The RAM MLP reads 128 bytes. Predict, then test: does a wider hidden layer (64 instead of 32) help
# OpenAI-ES on Pong at equal evaluations, or does it only slow each generation down?
# ```{exercise-end}
# ```
#
# ```{solution-start} ex-env-ram
# :class: dropdown
# ```
# Two runs of 1,024 episodes, one per width (about 5 minutes each; the last line each prints is the
# run's summary), and where an evaluation's time goes (about 1 minute):
#
# ```bash
# .venv/bin/python -m evoscale train --method openai_es \
#     --env ALE/Pong-ram-v5 --hidden 64 --popsize 16 --sigma0 0.05 \
#     --hyper '{"lr": 0.03}' --budget-evals 1024 --test-every 512 \
#     --test-episodes 5 --seed 0 --no-progress
# .venv/bin/python -m evoscale train --method openai_es \
#     --env ALE/Pong-ram-v5 --hidden 32 --popsize 16 --sigma0 0.05 \
#     --hyper '{"lr": 0.03}' --budget-evals 1024 --test-every 512 \
#     --test-episodes 5 --seed 0 --no-progress
# .venv/bin/python -m evoscale bench evaluator --env ALE/Pong-ram-v5 \
#     --popsize 16
# ```
#
# The forward of a 128-64-6 MLP is negligible next to the emulator (the `network_fraction` the
# benchmark prints), so wall-clock barely changes. OpenAI-ES's gradient estimate gets noisier as the
# parameter count grows at a fixed population (its variance grows with n), so expect the wider net to
# need more evaluations, not fewer. Two runs this short rarely score a point on Pong: the comparison at this budget is the
# time per generation, and the returns only hint.
# ```{solution-end}
# ```
#
# ```{exercise-start}
# :label: ex-env-cost
# ```
# Use the cost table to plan Humanoid at the design note's 50M evaluations with Salimans et al.'s 10,000
# episodes per generation: how many generations is that, and how long would one generation take on
# this machine? On 1,440 cores?
# ```{exercise-end}
# ```
#
# ```{solution-start} ex-env-cost
# :class: dropdown
# ```
# 50M / 10,000 = 5,000 generations. One generation is 10,000 × the measured seconds per episode (the
# cost table) on one core, divided by the core count on a cluster with ideal scaling. Note that
# Humanoid's episodes lengthen from a few dozen steps (falling) to 1,000 (walking), so the
# "at the cap" column is the relevant one late in training — the cost per evaluation can grow by
# more than an order of magnitude as the policy improves.
# ```{solution-end}
# ```
#
# ```{exercise-start}
# :label: ex-env-batch
# ```
# Compare the speed-up of population batching (batched over serial evaluation) for CartPole and for
# Pong in the cost table. Which gains more, and why? Look at the network's share of the time.
# ```{exercise-end}
# ```
#
# ```{solution-start} ex-env-batch
# :class: dropdown
# ```
# Batching amortises the per-call overhead of the network forward over the population. CartPole's
# step costs microseconds, so one forward per individual per step dominates serial evaluation; the
# Atari emulator costs a fraction of a millisecond per step (4 frames plus preprocessing), so the
# forward's call overhead is a small share either way. Batching also has a cost: every episode in
# flight keeps its own emulator, and 16 of them evict each other from the cache, which is why the
# evaluator keeps at most 4 Pong episodes in flight. This benchmark shows where the time goes
# (about 1 minute; it prints the emulator's, the preprocessing's and the network's shares as
# `emulator_fraction`, `preprocessing_fraction` and `network_fraction`):
#
# ```bash
# .venv/bin/python -m evoscale bench evaluator --env ALE/Pong-v5 \
#     --popsize 16
# ```
# ```{solution-end}
# ```
