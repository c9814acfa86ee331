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
# # Open question 2: learning within a lifetime
#
# **Verdict (open question 2).** {glue:text}`verdict_short`
#
# <small>{glue:text}`provenance`</small>
#
# **In this chapter you will learn**
#
# - what it means for a network to learn within one {term}`episode`;
# - how evolved Hebbian plasticity compares with a recurrent network and with {term}`PPO` on tasks that need it;
# - how to measure the share of a gap between a fixed policy and an oracle that a method closes.
#
# **The question.** The {term}`design note` asks whether *local learning rules plus evolution* can close the
# credit-assignment gap: evolve not the weights alone but a rule by which every synapse changes from
# what its own two neurons do, gated by a modulatory signal, instead of backpropagating errors
# {cite}`soltoggio2008evolutionary,najarro2020meta`. Chapter 5 ran such a network ({term}`Neuromod`) on
# LunarLander — a task that never asks for learning during an episode: one fixed map from state to
# action lands the craft, and plasticity can only disturb it.
#
# The published cases where plasticity pays are tasks that change from one episode to the next and must be learnt *within* each: T-mazes
# whose reward moves {cite}`soltoggio2008evolutionary`, a walker that loses part of a leg
# {cite}`najarro2020meta`, cue–reward associations {cite}`miconi2019backpropamine`.
#
# **Two tasks with a hidden context** (every episode is a pure function of its random seed, tested):
#
# * `ReversalBandit-v0` — 100 pulls of a two-armed bandit (Soltoggio's T-maze without the corridor).
#   The good arm pays 1 with probability 0.8, the other with 0.2; which arm is good is drawn per
#   episode, and in half of the episodes the arms swap once, at a pull drawn from the middle half. The
#   agent sees its previous action, the previous reward, and their product — the *evidence*, +1 when
#   the last outcome speaks for arm 1. The evidence adds no information; it makes the best
#   feedforward policy a linear map, so no network is held back by having to find an XOR first.
# * `CartPoleFlip-v1` — CartPole-v1 whose two actions are swapped in a random half of the episodes,
#   with nothing in the state to say which. Every network also sees its previous action: a network
#   with memory, or with weights that change, can relate what it did to what happened next; a fixed
#   map of one observation cannot.
#
# **Who competes, on equal footing.** Three networks evolved by the same {term}`CMA-ES` with the same
# {term}`population`, step size, episodes per fitness value and episode budget: an {term}`MLP` (fixed weights, it
# cannot adapt), Neuromod (the same MLP whose weights change during the episode by an evolved,
# neuromodulated Hebbian rule) and a GRU of about Neuromod's parameter count, which adapts in its
# hidden state. And two backprop baselines with the rl-baselines3-zoo settings
# {cite}`raffin2020zoo`: PPO, feedforward, and {term}`RecurrentPPO`, whose LSTM learns across episodes to
# adapt within one — the RL² approach {cite}`duan2016rl2,wang2016learning`.
#
# **Budgets.** {glue:text}`budgets`. The verdict compares all five at equal {term}`env steps <env step>`, the
# baselines' budget: each evolution run's {term}`solved test` at that point of its curve is what a run with
# that budget would have recorded. The evolved networks go on to their whole budget of {term}`evaluations <evaluation>`,
# equal among the three; what they reach there is reported beside the verdict.
#
# Why two budgets: an evolution run on these tiny networks costs seconds of CPU
# per 100,000 env steps, RecurrentPPO minutes; giving the baselines the evolution runs' 1.28M steps
# would cost the campaign about 25 CPU-hours. At these budgets the campaign's estimate for the
# chapter's runs still missing is {glue:text}`plan_missing` (`python -m evoscale campaign plan
# --chapters 07`).

# %% tags=["parameters"]
profile = "book"  # smoke | quick | book | full
tasks = None  # tasks to run (None: both adaptation tasks, ReversalBandit-v0 and CartPoleFlip-v1)
hidden = "16"  # hidden widths of the MLP and of Neuromod
recurrent_hidden = "11"  # units of the evolved recurrent layer (11 GRU units: about Neuromod's parameter count)
cell = "gru"  # evolved recurrent cell: gru | elman
rule = "per_synapse"  # Neuromod's plasticity rule: per_synapse | per_layer (chapter 5's)
optimizer = "torch_cmaes"  # the ES that evolves all three networks
sigma0 = 0.5  # the ES's initial step size
popsize = None  # individuals per generation (book: 16)
episodes_per_fitness = None  # episodes averaged into one fitness value (book: 8)
budget_evals = None  # training episodes per ES run (book: 12,800)
test_every = None  # training episodes between solved tests (book: 800)
test_episodes = None  # fresh episodes per solved test (book: 200)
seeds = None  # number of seeds, or a list of seeds (book: 10)
ppo_steps = None  # env steps of PPO and RecurrentPPO per task, and the matched comparison's (book: 320,000 each)
ppo_test_every = None  # env steps between PPO's and RecurrentPPO's solved tests (book: 40,000)
probe_episodes = None  # fresh episodes per replayed network for the within-episode analysis
processes = None  # runs trained in parallel, one core each (None: all cores)
train_missing = None  # train runs the results store lacks (book: False, the campaign trains them)

# %% tags=["hide-input"]
from evoscale.experiments import plasticity

P = plasticity.params(globals())  # strict: a name papermill injected that is not declared above aborts here

# %% tags=["hide-input"]
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.ticker import NullFormatter
from myst_nb import glue

from evoscale import plots
from evoscale.envs.adapt import BANDIT_ID, CARTPOLE_ID
from evoscale.experiments import plasticity_probe as probe
from evoscale.experiments import STUDIES
from evoscale.experiments import report
from evoscale.machine import machine_label

L = plasticity.LABELS
planned = len(P.seed_list())
B = {task: plasticity.bounds(task) for task in P.tasks}
REFS = (("oracle", "oracle (told the context)", "--"), ("feedforward", "best feedforward (exact)", ":"),
        ("blind", "blind", "-."))


def legend(ax, ncol=2):
    """A legend under ``ax``, off the data, where something is drawn (nothing is while no runs are stored)."""
    plots.legend_below(ax, ncol=ncol)


def replayed_on():
    """The replay figures' machine line: where the networks trained, and this machine, which replays them."""
    trained = sorted(set(df["machine"])) if df is not None else ["no runs stored yet"]
    if trained == [machine_label()]:
        return [f"{machine_label()} (training and replay)"]
    return [f"networks trained on {'; '.join(trained)}, replayed on {machine_label()}"]


def reference_lines(ax, task):
    for key, label, style in REFS:
        if B[task].get(key) is not None:
            ax.axhline(B[task][key], color="0.35", ls=style, lw=1, label=f"{label}: {B[task][key]:.1f}")


report.table(pd.DataFrame({"reference": [label for _, label, _ in REFS],
                           **{task: [B[task].get(key) for key, _, _ in REFS] for task in P.tasks}}),
             missing="unknown (not computed for this task)")

# %% [markdown]
# **What adaptation can gain.** The table gives each task's reference returns. On the bandit they are
# exact:
#
# - *oracle*: always pulls the good arm (0.8 × 100);
# - *best feedforward*: the best fixed map from what the agent sees to an arm, which is all an MLP
#   with fixed weights can be. It is win-stay-lose-shift, found by brute force over all 32 maps with
#   an exact forward computation of each map's expected return (tested against Monte Carlo, and
#   against an MLP of this chapter's shape wired to do it);
# - *blind*: one fixed arm.
#
# Win-stay-lose-shift recovers from a swap within a pull or two, but it also leaves the good arm after
# every unlucky pull; only memory can tell a bad arm from bad luck. So the gap between the two upper
# lines is what learning within the episode can add.
#
# On CartPoleFlip no exact feedforward bound is known: the oracle is a linear controller told the
# context; *blind* is the same controller told nothing, which balances the normal episodes and drops
# the inverted ones — a feedforward policy can do at least that well.
#
# ## The runs
#
# Each run is one task, one network and one random seed, stored with the other chapters' runs. The
# book's runs are trained by the campaign; this page shows whatever part of them is stored. Every
# evolution run keeps the solution of each solved test, so the final networks can be replayed below
# without training anything.

# %%
df = plasticity.run(P)
per_seed = plasticity.finals(df)
matched = plasticity.at_steps(df, P.ppo_steps)

# %% tags=["hide-input"]
# what the page says about these runs: how many are stored, where they ran, their budgets
glue("n_stored", f"{len(per_seed)} of {len(P.configs())}", display=False)
glue("profile_name", P.profile + (" (quick: half the book's budgets, 3 seeds)" if P.profile == "quick" else ""),
     display=False)
glue("machine", "; ".join(sorted(df["machine"].unique())) if df is not None else "no runs stored yet", display=False)
glue("provenance", report.provenance(P.profile, df["machine"] if df is not None else []), display=False)
from evoscale.experiments import progress

plan = progress.plan(P.profile, ["07"])
glue("plan_missing", f"{plan['cpu_min_missing'].sum() / 60:,.1f} CPU-hours for {int((plan['planned'] - plan['done']).sum())} "
     f"of {int(plan['planned'].sum())} runs", display=False)
es_config = P.config("mlp", P.tasks[0], 0)
glue("budgets", f"every evolution run {es_config.budget_evals:,} training episodes (population "
     f"{es_config.popsize}, {es_config.episodes_per_fitness} episodes per fitness value), PPO and RecurrentPPO "
     + ", ".join(f"{P.ppo_steps[t]:,} env steps on {t}" for t in P.tasks) + f"; {planned} seed{'s' if planned != 1 else ''} per cell",
     display=False)

# %% [markdown]
# {glue:text}`n_stored` runs are stored. With fewer than five seeds in a cell the tables show the
# seeds' values and "n = k" instead of an interquartile mean ({term}`IQM`) with a 95 % bootstrap interval.
#
# ## Learning curves

# %% tags=["hide-input"]
plots.style()
fig, axes = plt.subplots(len(P.tasks), 2, figsize=(plots.WIDTH, 3.4 * len(P.tasks) + 1.6), squeeze=False)
for (ax_steps, ax_wall), task in zip(axes, P.tasks):
    d = df[df["env"] == task] if df is not None else pd.DataFrame(columns=["row"])
    if d.empty:
        for ax in (ax_steps, ax_wall):
            ax.text(0.5, 0.5, f"no runs stored yet (n = 0 of {planned})", ha="center", va="center",
                    transform=ax.transAxes, color="0.4")
    for i, row in enumerate(plasticity.ROWS):
        r = d[d["row"] == row]
        for ax, x in ((ax_steps, "env_steps"), (ax_wall, "wall_s")):
            if len(r):
                plots.band(ax, r, x, "test_return", f"{L[row]} (n = {r['seed'].nunique()})", color=plots.color(row))
    for ax, xlabel in ((ax_steps, "environment steps (training)"), (ax_wall, "wall-clock s (training, one core)")):
        reference_lines(ax, task)
        if task in P.ppo_steps:
            ax_steps.axvline(P.ppo_steps[task], color="0.6", lw=0.8)
        ax.set(xscale="log", xlabel=xlabel + " (log)", ylabel="solved-test return", title=task)
        ax.xaxis.set_minor_formatter(NullFormatter())  # decade labels only: minor ones collide
handles = {lab: h for ax in axes.flat for h, lab in zip(*ax.get_legend_handles_labels())}
plots.finish(fig, df["machine"] if df is not None else [], handles=handles)  # one legend, under the figure
glue("fig_plastic_curves", fig, display=False)
plt.close(fig)

# %% [markdown]
# ```{glue:figure} fig_plastic_curves
# :name: fig-plastic-curves
#
# Solved-test return (the current solution on fresh episodes) against environment steps (left) and
# training wall-clock on one core (right), IQM over seeds with 95 % bootstrap bands (from five seeds
# on; below that each seed's own curve); grey horizontal lines: the task's reference returns from the
# table above; grey vertical line: the matched env-step budget. The campaign trains beside other work
# at nice 19, so wall-clock compares runs of one kind better than across kinds.
# ```

# %% tags=["hide-input"]
table = plasticity.summarise(per_seed, planned, matched)
for row in plasticity.ROWS:
    glue(f"gap_{row}", report.over_seeds(plasticity.gap_closed(per_seed, row), 2, planned), display=False)
table = table[table["task"].isin(P.tasks)].drop(columns="n")
reached = [c for c in ("final return", "return at the matched env steps", "share of the gap closed") if c in table]
report.tables(table, ["task", "network"], {"What ran": [c for c in table if c not in ("task", "network", *reached)],
                                           "What it reached": reached})

# %% [markdown]
# The final solved test of every run, per task and network (IQM [95 % CI] over seeds from five seeds
# on, else the seeds' values; "n = k of N" while the campaign has not finished a cell), the same at
# the matched env steps, and on the bandit the *share of the gap* from the best feedforward policy
# (0) to the oracle (1) that the final network closes.
#
# ## Within an episode: before and after the swap

# %% tags=["hide-input"]
T_b = plasticity.replays(P, per_seed, BANDIT_ID) if BANDIT_ID in P.tasks else {}
curves = pd.concat([probe.around_switch(t).assign(row=r, seed=s) for (r, s), t in T_b.items()]) if T_b else None
mlp = P.config("mlp", BANDIT_ID, 0)
wsls = probe.around_switch(probe.probe(mlp, probe.wsls_solution(mlp.hidden), P.probe_episodes))
recovery = {row: [probe.recovery_trials(g) for _, g in curves[curves["row"] == row].groupby("seed")]
            for row in plasticity.EVOLVED if curves is not None}
fig, axes = plt.subplots(1, 2, figsize=(plots.WIDTH, 4.6))
for ax, y, ylabel in ((axes[0], "p_good", "share of pulls of the good arm"), (axes[1], "reward", "reward per pull")):
    for i, row in enumerate(plasticity.EVOLVED):
        c = curves[curves["row"] == row] if curves is not None else []
        if len(c):
            plots.band(ax, c, "offset", y, L[row], color=plots.color(row))
    ax.plot(wsls["offset"], wsls[y], "k:", lw=1, label="win-stay-lose-shift (best feedforward)")
    ax.axvline(-0.5, color="0.5", lw=0.8)
    ax.set(xlabel="pull relative to the swap\n(0: first pull after it)", ylabel=ylabel)
fig.suptitle(f"{BANDIT_ID}: the episodes that swap, {P.probe_episodes} fresh episodes per network")
plots.finish(fig, replayed_on(), top=0.95, handles=dict(zip(*reversed(axes[0].get_legend_handles_labels()))))
glue("fig_plastic_switch", fig, display=False)
plt.close(fig)
for row in plasticity.EVOLVED:
    glue(f"recovery_{row}", report.over_seeds(recovery.get(row, []), 1, planned), display=False)
glue("recovery_wsls", f"{probe.recovery_trials(wsls):.0f}", display=False)

# %% [markdown]
# ```{glue:figure} fig_plastic_switch
# :name: fig-plastic-switch
#
# The final evolved networks replayed on fresh bandit episodes (a seed stream neither training nor the
# solved tests use), aligned on the swap: the share of pulls that go to the arm that is good *now*
# (left) and the reward per pull (right), IQM over seeds with 95 % bands. Dotted: win-stay-lose-shift.
# ```
#
# **Does the network recover after a swap, and how fast?** Pulls after the swap until at least half of
# the pulls go to the new good arm again: MLP {glue:text}`recovery_mlp`, Neuromod
# {glue:text}`recovery_neuromod`, GRU {glue:text}`recovery_recurrent`; win-stay-lose-shift needs
# {glue:text}`recovery_wsls`. A network that has learnt which arm is good
# pays for it here: the better it remembers, the longer the evidence against the old arm must pile up.

# %% tags=["hide-input"]
T_c = plasticity.replays(P, per_seed, CARTPOLE_ID) if CARTPOLE_ID in P.tasks else {}
surv = pd.concat([probe.survival(t).assign(row=r, seed=s) for (r, s), t in T_c.items()]) if T_c else None
fig, axes = plt.subplots(1, 2, figsize=(plots.WIDTH, 4.4), sharey=True)
for ax, context, name in ((axes[0], 0, "normal episodes"), (axes[1], 1, "inverted episodes")):
    for i, row in enumerate(plasticity.EVOLVED):
        d = surv[(surv["row"] == row) & (surv["context"] == context)] if surv is not None else []
        if len(d):
            plots.band(ax, d, "step", "alive", L[row], color=plots.color(row))
    ax.set(xlabel="env step (log)", title=name, xscale="log")
axes[0].set_ylabel("share of episodes still balancing")
legend(axes[0])
fig.suptitle(CARTPOLE_ID)
plots.finish(fig, replayed_on(), top=0.95)
glue("fig_plastic_survival", fig, display=False)
plt.close(fig)

# %% [markdown]
# ```{glue:figure} fig_plastic_survival
# :name: fig-plastic-survival
#
# The final evolved networks on fresh CartPoleFlip episodes: the share still balancing after each
# step, in the normal (left) and the inverted episodes (right), IQM over seeds with 95 % bands. A
# network that adapts survives the inverted episodes too; one that does not either drops them in
# a few steps or settles for a behaviour that works equally badly in both.
# ```
#
# ## What the plastic weights do
#
# Neuromod's memory is the change of its fast weights since the episode began; the GRU's is its
# hidden state. If either holds the hidden context, there is a direction in that memory along which
# the two contexts separate. We fit that direction on half of the replayed episodes (the difference of
# the two contexts' mean memories) and read the other half along it.

# %% tags=["hide-input"]
fig = plt.figure(figsize=(plots.WIDTH, 7.6))
grid = fig.add_gridspec(2, 2)
axes = [fig.add_subplot(grid[0, 0]), fig.add_subplot(grid[0, 1]), fig.add_subplot(grid[1, :])]
decoded = {}
for ax, (task, traces) in zip(axes[:2], ((BANDIT_ID, T_b), (CARTPOLE_ID, T_c))):
    for i, row in enumerate(plasticity.EVOLVED[1:], start=1):
        acc = [probe.decoding(t, probe.project(t)).assign(seed=s) for (r, s), t in traces.items() if r == row]
        if acc:
            a = pd.concat(acc)
            plots.band(ax, a, "step", "accuracy", L[row], color=plots.color(row))
            early = a if task == BANDIT_ID else a[a["step"] == 10]  # CartPoleFlip: while both kinds still run
            decoded[(task, row)] = early.groupby("seed")["accuracy"].mean()
    ax.axhline(0.5, color="0.5", lw=0.8)
    ax.set(xlabel="pull" if task == BANDIT_ID else "env step", ylabel="share read correctly", title=task,
           ylim=(0.3, 1.02))
legend(axes[1], ncol=1)
ex = next((t for (r, _), t in T_b.items() if r == "neuromod"), None)
if ex is not None:
    proj, swapped = probe.project(ex), np.flatnonzero(ex.context[:, -1] != ex.context[:, 0])[:4]
    shades = sns.light_palette(plots.color("neuromod"), len(swapped) + 3)[3:]  # Neuromod's colour, one shade each
    for k, e in enumerate(swapped):
        axes[2].plot(ex.at + 1, proj[e], color=shades[k], lw=1)
        axes[2].axvline(np.argmax(ex.context[e] != ex.context[e, 0]) + 1, color=shades[k], ls=":", lw=1)
axes[2].axhline(0, color="0.5", lw=0.8)
axes[2].set(xlabel="pull", ylabel="fast-weight change\nalong the context axis",
            title="Neuromod, four bandit episodes that swap")
plots.finish(fig, replayed_on())
glue("fig_plastic_weights", fig, display=False)
plt.close(fig)
for task in (BANDIT_ID, CARTPOLE_ID):
    for row in ("neuromod", "recurrent"):
        glue(f"decoded_{task[:4]}_{row}", report.over_seeds(decoded.get((task, row), []), 2, planned), display=False)

# %% [markdown]
# ```{glue:figure} fig_plastic_weights
# :name: fig-plastic-weights
#
# Top: the share of replayed episodes whose memory, read along the context axis, names
# the hidden context correctly, per step, among the episodes still running (IQM over seeds, 95 %
# bands; 0.5 is guessing; late CartPoleFlip steps hold mostly the kind of episode a network
# balances). Bottom: the change of Neuromod's fast weights along that axis in four bandit episodes
# that swap (first stored seed), positive where it reads "arm 1 is good"; dotted: each episode's
# swap. A rule that learns the context moves the weights one way while one arm is good and back
# after the swap.
# ```
#
# Averaged over the episode, Neuromod's fast weights name the good arm in
# {glue:text}`decoded_Reve_neuromod` of the pulls, the GRU's hidden state in
# {glue:text}`decoded_Reve_recurrent`; on CartPoleFlip, after 10 steps, the inversion is read in
# {glue:text}`decoded_Cart_neuromod` (Neuromod) and {glue:text}`decoded_Cart_recurrent` (GRU) of
# the episodes. Reading the context is not yet using it: compare with the behaviour above.

# %% tags=["hide-input"]
# the chapter's claims (claims page, q2.*), one Holm family; each verdict an object until glued here
A = STUDIES["07_plasticity"].analyse(P, {"per_seed": per_seed, "matched": matched})
V, F = A["verdicts"], A["family"]
glue("verdict_short", A["short"], display=False)  # the intro's table
for key, v in V.items():
    glue("v_" + key.replace(".", "_"), str(v), display=False)
for row in plasticity.ROWS:
    glue(f"gap_at_{row}", report.over_seeds(plasticity.gap_closed(matched, row), 2, planned), display=False)
report.table(A["family_table"], note="Holm's correction over the chapter's tests at a family-wise 5 %.")
cpu_hours = per_seed["cpu_s"].astype(float).sum() / 3600  # CPU time where the run recorded it, else wall-clock
glue("cpu_hours", report.num(cpu_hours, 1), display=False)

# %% [markdown]
# ## Verdict
#
# Each claim of this chapter has one test, declared on the page "How each claim is judged" before the
# data: an interquartile mean over seeds against a fixed reference, with its 95 % bootstrap interval.
# The three tests form one family, corrected by Holm's method; the table above lists each test's raw
# and adjusted p-value and how often its decision flips with the bootstrap seed.
#
# **Open question 2, "can local learning rules plus evolution close the credit-assignment gap?"** At
# equal env steps with the backprop baselines: {glue:text}`verdict_short`.
#
# ```{dropdown} Details: every test of the chapter
# - *Open question 2, in full*: {glue:text}`v_q2`.
# - *The bandit, at the baselines' env steps*: {glue:text}`v_q2_bandit_share`.
# - *The bandit, with the evolution runs' whole budget*: {glue:text}`v_q2_bandit_share_full`.
# - *CartPoleFlip, against the controller that ignores the flip*: {glue:text}`v_q2_cartpoleflip`.
#
# The share of the gap runs from 0 (the best feedforward policy) to 1 (the oracle); below 0 is worse
# than any fixed map could be. The whole-budget share is a second line: it gives the evolved
# networks more env steps than the baselines had, so it cannot decide a comparison at equal steps.
#
# On CartPoleFlip the test is against the blind controller, not the MLP: both evolved networks end
# far below it, so a comparison of the two would weigh two failed searches against each other.
# At the baselines' env steps the GRU closes {glue:text}`gap_at_recurrent` of the bandit's gap,
# RecurrentPPO {glue:text}`gap_at_recurrent_ppo` and PPO {glue:text}`gap_at_ppo`: what a network with
# memory, evolved or trained by backprop, closes instead.
# ```
#
# The stored runs took {glue:text}`cpu_hours` CPU-hours (one core per run, training and solved
# tests; the process's CPU time where the run recorded it, else its wall-clock) on:
# {glue:text}`machine`.
#
# ## Re-running this chapter
#
# ```bash
# # chapter 5's Neuromod
# make chapter CH=07_plasticity PARAMS="-p rule per_layer \
#     -p recurrent_hidden 5 -p train_missing true"
# # 3 seeds, ~1 CPU-hour
# make chapter CH=07_plasticity PROFILE=quick
# # the book's runs
# python -m evoscale campaign plan --chapters 07
# ```
#
# The runs are stored under `results/<profile>/runs/`; `python -m evoscale campaign run --chapters 07
# --hours 2` trains the missing ones of the `book` profile. The two tasks are `evoscale.envs.adapt`.
#
# ## Limitations
#
# Two small tasks with a hidden context, small networks and one family of plasticity rules: whether
# evolved plasticity keeps its gain on larger networks or richer tasks was not tested on this
# machine. The baselines ran at a smaller budget than the evolution runs, so the verdict compares
# them at the baselines' env steps.
#
# ```{admonition} Takeaways
# :class: tip
#
# - Plasticity can only pay on tasks that change within an episode; LunarLander is not one of them.
# - The gap between the best fixed policy and an oracle that knows the hidden context is what
#   learning within an episode can add; the verdict reports the share of it a method closes.
# - Evolved plasticity is compared with a recurrent network and with PPO and RecurrentPPO at equal
#   env steps.
# - The return just before and just after the hidden context changes shows whether a network
#   adapts within the episode, which a final return alone cannot show.
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
# :label: ex-plastic-fitness
# ```
# Every fitness value here is the mean of 8 episodes. Predict what happens with one episode per
# fitness value at the same number of generations, then run it.
# ```{exercise-end}
# ```
#
# ```{solution-start} ex-plastic-fitness
# :class: dropdown
# ```
# One episode per fitness value and an eighth of the training episodes (the same generations), five
# seeds of each network on both tasks (about 5 minutes):
#
# ```bash
# make chapter CH=07_plasticity PARAMS="-p episodes_per_fitness 1 \
#     -p budget_evals 1600 -p seeds 5 -p train_missing true"
# ```
#
# A fixed-weight policy's return on the bandit depends mostly on luck with the context: "always arm
# 0" earns 80 when arm 0 stays good, 20 when arm 1 is good and about 50 with a swap. With one
# episode per fitness value the ranking rewards that lottery, and a population of blind policies that
# happened to guess right outranks a policy that adapts (about 68–76 whatever the context). What to
# look for: curves that stay near the blind return of 50 for much longer, for every network alike.
# Averaging over episodes — or giving every individual the same contexts — is part of evolving a
# learner at all.
# ```{solution-end}
# ```
#
# ```{exercise-start}
# :label: ex-plastic-rule
# ```
# Chapter 5's Neuromod has one rule per layer (five numbers per layer) instead of one per synapse.
# Run it on the bandit, with the recurrent network shrunk to the same size. Which rule should find a
# learner more easily, and why?
# ```{exercise-end}
# ```
#
# ```{solution-start} ex-plastic-rule
# :class: dropdown
# ```
# Three seeds of each network on the bandit alone (about 8 minutes):
#
# ```bash
# make chapter CH=07_plasticity PARAMS="-p rule per_layer \
#     -p recurrent_hidden '[5]' -p tasks '[ReversalBandit-v0]' -p seeds 3 \
#     -p train_missing true"
# ```
#
# With one rule per layer the B and D terms change every weight of a layer alike, so they cannot
# prefer one arm over the other; only the Hebbian product (A) and the postsynaptic term (C) can, and
# they act through the current choice, not the previous one whose reward the modulatory neuron sees.
# A per-synapse rule can give the synapses from the evidence input to each output opposite signs —
# an integrator of the evidence, which is what a memory of the good arm is. The prediction to check
# against your run: the per-layer rule does no better than the MLP, and its extra parameters make the
# search noisier, so it may end below win-stay-lose-shift.
# ```{solution-end}
# ```
#
# ```{exercise-start}
# :label: ex-plastic-memory
# ```
# How much of the bandit's gap can one bit of memory close? Write the rule "switch arms after *k*
# losses in a row" and measure its return on the bandit for k = 1, 2, 3.
# ```{exercise-end}
# ```
#
# ```{solution-start} ex-plastic-memory
# :class: dropdown
# ```
# 3,000 episodes per k (about 10 seconds):
#
# ```python
# import numpy as np
# from evoscale.envs.adapt import ReversalBandit
#
# env = ReversalBandit()
# for k in (1, 2, 3):
#     returns = []
#     for seed in range(3000):
#         env.reset(seed=seed)
#         arm = losses = total = 0
#         done = False
#         while not done:
#             _, r, done, _, _ = env.step(arm)
#             total += r
#             losses = 0 if r else losses + 1
#             if losses == k:
#                 arm, losses = 1 - arm, 0
#         returns.append(total)
#     se = np.std(returns) / len(returns) ** 0.5
#     print(f"k = {k}: mean return {np.mean(returns):.1f} ± {se:.1f}")
# ```
#
# k = 1 is win-stay-lose-shift (the best a network without memory can do); two or three losses of
# memory close most of the gap to the oracle's 80, because a streak of losses is rare on the good arm
# (0.2² or 0.2³) and common on the bad one. Compare the evolved networks' returns with these numbers.
# ```{solution-end}
# ```
#
# ```{exercise-start}
# :label: ex-plastic-trap
# ```
# On CartPoleFlip, a network that alternates its pushes (the previous action is an input) survives
# about as long in either kind of episode. Why is that a trap for evolution, and what would remove it?
# ```{exercise-end}
# ```
#
# ```{solution-start} ex-plastic-trap
# :class: dropdown
# ```
# Alternating pushes keep the cart near zero net force whatever the mapping: the pole falls by gravity
# alone, some tens of steps in both kinds of episode. Balancing the normal episodes (blind reference
# in the table) is worth far more on average, but the policies between the two — partly balancing,
# partly alternating — do worse than either in the inverted half, so the search sits on the plateau.
#
# Removing the previous action from the input removes the trick, but also the easiest clue for a
# plastic network; averaging each fitness over more episodes does not help, since the trap is in the
# mean, not the noise. Look at the survival curves: the networks that stay near the same short
# survival in both panels are in the trap.
# ```{solution-end}
# ```
