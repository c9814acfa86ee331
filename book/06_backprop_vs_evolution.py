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
# # Backprop vs evolution: equal budgets and the crossover in cores
#
# **Verdict (open question 1: is there a number of cores from which the ES reaches LunarLander's
# solved threshold sooner than {term}`PPO`?).** {glue:text}`verdict_short` (every test of the chapter: see the
# verdicts below)
#
# <small>{glue:text}`provenance`</small>
#
# **In this chapter you will learn**
#
# - how many more {term}`env steps <env step>` an evolution strategy needs than PPO;
# - why the answer can flip when time on many cores is counted instead of env steps;
# - how a crossover in cores is measured on two cores and modelled beyond.
#
# **The question.** Where does gradient-free neuroevolution stop working, and where does it beat a
# gradient method? Salimans et al. {cite}`salimans2017evolution` found that ES needed 3–10x more
# data than A3C/TRPO but scaled linearly to 1,440 cores, so on enough cores it won in wall-clock.
# We ask the same on the book's tasks, against PPO with rl-baselines3-zoo's hyper-parameters.
#
# **What we measure.** Per task, three ES (torch {term}`CMA-ES`, {term}`OpenAI-ES`, {term}`GA`; chapter 5's settings,
# {term}`population` 64) and PPO at three times the zoo's budget ({glue:text}`budgets`). Every curve is
# drawn on two x axes, env steps and seconds on **one idle core**; the ES's budgets count training
# {term}`episodes <episode>`, each of a variable number of env steps.
#
# The last is *modelled*: the campaign trains beside other work at nice 19, so its recorded wall-clock is not
# comparable between methods; instead each method's unit costs (seconds per env step of its
# parallel part, seconds per update of its sequential part) are measured once on an idle core,
# one thread, both sides alike ({glue:text}`cost_state`).
#
# **Which {term}`evaluation`.** Every verdict uses the *deterministic* {term}`solved test`: the policy's most
# likely action on 100 fresh episodes reset from the EVAL seed stream, the same test and seeds as
# the ES (whose policies are deterministic). It returns exactly what Stable-Baselines3's own
# deterministic evaluation returns on the same reset seeds (tested).
# PPO's deterministic policy can lag its stochastic one early in training, so the table also gives
# PPO's return with sampled actions; where the two differ, the deterministic one is the harder
# test and the one comparable with the ES.

# %% tags=["parameters"]
profile = "book"  # smoke | quick | book | full
tasks = None  # {task: dict(budget_evals, test_every, ppo_steps, ppo_test_every, seeds, rows, test_episodes, hidden, ppo_test_every_unsolved)}
popsize = None  # ES population, individuals per generation (book: 64)
processes = None  # runs trained in parallel, one core each (None: all cores)
costs_from_runs = None  # without the idle-core cost table, take the unit costs from the runs' own (shared-machine) timings (smoke: True)
train_missing = None  # train runs the results store lacks (book: False, the campaign trains them)

# %% tags=["hide-input"]
from evoscale.experiments import backprop, backprop_verdicts, report

P = backprop.params(globals())
from evoscale.experiments import STUDIES  # noqa: E402 (after the strict check: the registry is no parameter)

# %% tags=["hide-input"]
import matplotlib.pyplot as plt
import pandas as pd
from myst_nb import glue

df = backprop.run(P)
costs, ppo_speed = backprop.load_costs(P.profile)
ppo_timings = backprop.load_ppo_timings(P.profile)  # PPO's parts timed on 1 and 2 cores (None: not measured yet)
cost_state = "measured on an idle core" if costs is not None else "not measured yet"
if costs is None and P.costs_from_runs and df is not None:
    costs, cost_state = backprop.unit_costs(df), "smoke: taken from the runs' own shared-machine timings"
S = {env: backprop.summarise(df, env, len(backprop.seed_list(t["seeds"])), costs)
     for env, t in P.tasks.items()}
main = "LunarLander-v3" if "LunarLander-v3" in S else next(iter(S))

# %% [markdown]
# ## Curves on two axes

# %% tags=["hide-input"]
study = STUDIES["06_backprop_vs_evolution"]
fig = study.figures({"runs": df, "summaries": S, "costs": costs})["fig_curves"]
glue("fig_curves", fig, display=False)
plt.close(fig)

# %% [markdown]
# ```{glue:figure} fig_curves
# :name: fig-backprop-curves
#
# Solved-test return (deterministic policy, 100 fresh episodes) per task (rows) against env steps
# and modelled one-core seconds (columns, log scale). {term}`IQM` over seeds with a 95 % band; with
# fewer than 5 seeds each seed is drawn. Dashed: the solved threshold.
# ```
#
# ## Per task and method
#
# Success is the share of seeds whose solved test reached the threshold within the budget. Steps
# and one-core seconds to the threshold are the median over seeds, where a seed that never reached
# it counts at its budget as "not reached by then" (a {term}`Kaplan–Meier <Kaplan-Meier median>` median; its CI's upper end reads
# "not reached" when too few seeds got there). PPO took {glue:text}`ppo_cartpole_steps` env steps to
# reach 475 on CartPole, the same runs and the same number as in chapter 2.
#
# **How finely the tests bracket it.** A seed crosses the threshold somewhere between its last failing
# solved test and its first passing one, so the test cadence bounds each time to the threshold and the
# ES / PPO ratio; the verdicts below say how tightly on CartPole, where the ES's runs test every
# {term}`generation` so that the ratio can be resolved to within {glue:text}`cadence_within`.
#
# The last two columns of each task's second table give, for each ES, P(PPO > ES): the chance that a PPO seed's solved-test return beats a seed of
# that ES, at the end of the shorter side's budget in env steps and in one-core seconds, with its
# 95 % {term}`bootstrap CI` (from 5 seeds a side; 0.5 means neither is ahead).

# %% tags=["hide-input"]
glue("cadence_within", f"{backprop_verdicts.WITHIN}×", display=False)  # how finely the tests must bracket a ratio
for env, s in S.items():  # PPO first, then the task's ES, headline first
    rows = backprop.table(s, ("ppo", *backprop.es_methods(P.tasks[env])))
    if env == "CartPole-v1" and "ppo" in s["rows"]:  # shown in chapter 2 too: one number, one source
        glue("ppo_cartpole_steps", rows.loc[backprop.LABELS.get("ppo", "ppo"), "env steps to threshold"], display=False)
    if env == "CartPole-v1":  # how finely each side's solved tests bracket its steps to 475, and the ratio
        t_ = P.tasks[env]
        every = {"es": f"every {t_['test_every']:,} training episodes"
                       + (" (every generation)" if t_["test_every"] == P.popsize else ""),
                 "ppo": f"every {t_['ppo_test_every']:,} env steps" if not t_.get("ppo_test_every_unsolved") else
                        f"every {t_['ppo_test_every_unsolved']:,} env steps until it first passes "
                        f"{s['threshold']:,.0f}, then every {t_['ppo_test_every']:,}"}
        glue("cartpole_cadence", backprop_verdicts.cadence_text(s, backprop.es_methods(t_), every,
                                                                len(backprop.seed_list(t_["seeds"])),
                                                                es_finest=t_["test_every"] == P.popsize), display=False)
        cadence_rows = backprop_verdicts.cadence_table(s, backprop.es_methods(t_))  # each side's brackets
    display(report.tables(rows.rename_axis(env), [env], {  # noqa: F821 (IPython)
        f"{env}: to the threshold": ["seeds solved", "env steps to threshold", "one-core s to threshold"],
        f"{env}: final return, and P(PPO > ES) at the end of the shorter budget": [
            "final return (deterministic)", "final return (sampled actions)", "P(PPO > ES), equal env steps",
            "P(PPO > ES), equal one-core s"]}))
    if env == "CartPole-v1" and cadence_rows is not None:  # how finely the solved tests bracket the steps to 475
        display(report.tables(cadence_rows, ["method"], {  # noqa: F821 (IPython)
            f"{env}: how finely the solved tests bracket the env steps to the threshold": list(cadence_rows.columns[1:])}))

# %% [markdown]
# **PPO on the evolution strategies' network.** The zoo's PPO uses a 64-64 actor and a separate
# 64-64 critic, larger than the ES's policy. The same runs with the ES's own hidden widths for actor
# and critic show whether PPO's side depends on that (the verdicts keep the zoo's network, PPO's
# published setting):

# %% tags=["hide-input"]
from evoscale.experiments import backprop_network

report.table(backprop_network.table(P, df, {env: S[env]["threshold"] for env in S}))

# %% [markdown]
# ## The crossover in cores
#
# A run's one-core time is a parallel part (ES: evaluating the population; PPO: stepping its
# environments) and a sequential part (ES: ask + tell; PPO: the gradient update). On W cores the
# parallel part is divided by a speedup, *measured* on 1–2 cores and *modelled* beyond (details
# below); the sequential part stays. With W cores at hand, each side runs on as many of them (up to
# W) as is fastest, so a curve never rises. A seed that never reached the threshold counts at its
# whole budget's time, and each curve is the median over seeds.
#
# PPO's measured speedup at 2 processes was {glue:text}`ppo_speed_2`. In the cost model fitted to
# PPO's timed parts, which also draws its curves: {glue:text}`ppo_plan`.
#
# The table below gives, per task and ES method, where the curves cross: the task's
# headline ES first, the others with the same model, their own unit costs and their own measured Ray
# speedup (where a method's speedup was never measured, its crossover is left out rather than
# assuming linear scaling).
#
# ```{dropdown} Details: how the speedup on W cores is measured and modelled
# - *ES, measured*: Ray workers, 1–2: chapter 4's measurement where it made one, else the same
#   measurement on this chapter's network.
# - *ES, modelled*: chapter 4's cluster simulation (central server, calibrated on the measurement;
#   64 individuals, so nothing is gained past 64 workers).
# - *PPO, measured*: 1–2 environment processes (SB3's SubprocVecEnv).
# - *PPO, modelled*: its parts timed on the idle machine (the policy's forward, one env step, the
#   message to a worker process, the update on 1 and 2 threads). p processes split the env steps,
#   every env step pays its message, the update follows {term}`Amdahl's law` in threads, and each W takes the
#   fastest setting, one process included (at most one process per environment:
#   {glue:text}`ppo_envs`).
# - *Bands*: the seeds resampled, and both models refitted on resampled timings (PPO's timed parts;
#   the ES's timed {term}`generations <generation>`, each refit re-simulated), so the crossover's CI covers the timing
#   noise on both sides.
# ```
#
# Where the ES curves flatten past a few workers, that is the modelled central server, not the ES:
# with a population of 64 a {term}`generation` has at most 64 evaluations to share out, while every worker
# costs the driver one message per generation (carrying the full parameter vectors of its
# individuals) and the generation waits for the slowest worker, so beyond that point more workers
# cost more than they save and the run keeps to fewer.
#
# Salimans et al. scaled OpenAI-ES
# linearly to 1,440 cores with populations in the thousands and workers that rebuild each
# perturbation from a shared noise table, so only seeds and returns travel. Our Ray backend can
# send such seed-only messages too (chapter 4 measures them); the timings here were taken with full
# parameter vectors. The table's last column models OpenAI-ES with seed-only messages beyond 2 cores.
# The CMA-ES keeps vector messages: its workers would also need its eigenbasis at each decomposition,
# so seeds save it nothing.

# %% tags=["hide-input"]
panels = [(*backprop.crossover_for(P.profile, S[env], costs, ppo_speed, backprop.es_method(t), ppo_timings), S[env])
          for env, t in P.tasks.items()]  # (C, what is missing, S) per task, for its headline ES
others = {(env, m): backprop.crossover_for(P.profile, S[env], costs, ppo_speed, m, ppo_timings)  # the other ES
          for env, t in P.tasks.items() for m in backprop.es_methods(t)[1:]}
fitted = {S_["env"]: C_["ppo_model"] for C_, _, S_ in panels if C_ is not None and C_["ppo_model"] is not None}
glue("ppo_model_line", "PPO's model is fitted to timings of its parts on this machine (its forward, one env step, "
     "the message cost of worker processes, and the update on 1 and 2 threads, each timed several times); the bands "
     "include refits on resampled timings. " + " ".join(
         f"On {e} it keeps to {'one process' if (m.step_seconds(backprop.CORES)[1] == 0).all() else 'worker processes'} "
         f"and its update gains {m.speedups(backprop.CORES)[1][-1]:.1f}× at most from threads." for e, m in fitted.items())
     if fitted else
     "PPO's model rests on its measured 2-process speedup alone, and its gradient update is held at one thread's cost "
     "(the timings of its parts on 1 and 2 threads are not measured yet), which favours the ES at large W; the bands "
     "cover the seeds, not the timing noise.", display=False)
fig = study.figures({"summaries": S, "panels": panels, "others": others})["fig_cores"]
glue("fig_cores", fig, display=False)
plt.close(fig)
rows = [(S_["env"], backprop.es_method(P.tasks[S_["env"]]), C_, why) for C_, why, S_ in panels]  # headline ES first
rows = sorted(rows + [(env, m, C_, why) for (env, m), (C_, why) in others.items()], key=lambda r: list(P.tasks).index(r[0]))
seeded = {(env, m): backprop.crossover_for(P.profile, S[env], costs, ppo_speed, m, ppo_timings, seed_only=True)
          for env, m, _, _ in rows if m in backprop.SEED_ONLY_METHODS}  # the same, seed-only messages beyond 2 cores
report.table(pd.DataFrame([{"task": env, "method": m, "where it reaches the threshold sooner than PPO": backprop.cross_text(C_, why),
                            "with seed-only messages": backprop.seed_only_text((C_, why), seeded[env, m])
                            if (env, m) in seeded else "vector messages only"}
                           for env, m, C_, why in rows]))

# %% [markdown]
# ```{glue:figure} fig_cores
# :name: fig-backprop-cores
#
# Seconds to the solved threshold against cores, per task, for its ES (the torch CMA-ES where the
# task runs it) and PPO: the median over seeds (a seed that never reached the threshold counted at
# its budget) with a 95 % bootstrap band.
# Thin dashed: the task's other ES methods (IQM, no band). Filled points: speedup measured; open:
# modelled. Grey: where the solid curves cross, 95 % bootstrap CI over seeds.
# ```

# %% tags=["hide-input"]
from evoscale.experiments import progress
from evoscale.experiments.unit_costs import us_per_step_text  # chapter 2's cost model quotes the same
from evoscale.baselines.zoo import zoo_hyperparams

t = P.tasks
glue("budgets", "; ".join(f"{e}: ES {x['budget_evals']:,} episodes, PPO {x['ppo_steps']:,} env steps, "
                          f"{len(backprop.seed_list(x['seeds']))} seeds" for e, x in t.items()), display=False)
glue("provenance", report.provenance(P.profile, [s["machine"] for s in S.values()]), display=False)
glue("machine_line", "; ".join(sorted({s["machine"] for s in S.values() if s["machine"]})) or "no runs stored yet",
     display=False)
glue("cost_state", cost_state, display=False)
glue("ppo_envs", ", ".join(f"{e} {zoo_hyperparams(e)['n_envs']}" for e in t), display=False)
plan = progress.plan(P.profile, ["06"])  # the campaign's CPU estimate of the profile's runs still missing
hours = plan.assign(task=plan.cell.str.split().str[1]).groupby("task", sort=False).cpu_min_missing.sum() / 60
glue("cost_line", "; ".join(f"{t}: {h:,.1f}" for t, h in hours.items()) + " CPU-hours", display=False)
glue("us_per_step", "not measured yet" if costs is None else "; ".join(
    f"{e}: " + ", ".join(f"{backprop.LABELS.get(m, m)} {us_per_step_text(c)}" for m, c in g.set_index("method").eval_s_per_step.items())
    for e, g in costs[costs.env.isin(list(t))].groupby("env", sort=False)), display=False)
glue("ppo_speed_2", "not measured yet" if ppo_speed is None else ", ".join(
    f"{r.env} {r.speedup:.2f}" for r in ppo_speed[ppo_speed.workers == 2].itertuples()), display=False)
glue("ppo_plan", "; ".join(f"{S_['env']}: {backprop.ppo_plan_text(C_)}" for C_, _, S_ in panels), display=False)
glue("cross_line", " ".join(f"{S_['env']}: {backprop.cross_text(C_, why)}." for C_, why, S_ in panels), display=False)
glue("cross_others", " ".join(f"{env}, {backprop.LABELS.get(m, m)}: {backprop.cross_text(C_, why)}."
                              for (env, m), (C_, why) in others.items()) or "–", display=False)

# %% tags=["hide-input"]
# the chapter's claims (claims page, q1.*), one Holm family; each verdict an object until glued here
A = study.analyse(P, {"runs": df, "costs": costs, "summaries": S, "panels": panels, "others": others, "main": main})
V, F = A["verdicts"], A["family"]
glue("verdict_short", report.verdict_short(str(V["q1"]), max_words=25), display=False)  # the intro's table, the opening
for key, v in V.items():
    glue("v_" + key.replace(".", "_"), str(v), display=False)
found = A["found"]  # the intro's "What we found"
for key, text in found.items():
    glue("found_" + key, text, display=False)
report.table(A["family_table"], note="Holm's correction over the chapter's tests at a family-wise 5 %.")

# %% tags=["hide-input"]
ends = pd.Series(dtype=float) if df is None else (
    df[df.env == "BipedalWalker-v3"].groupby(["method", "seed"]).env_steps.max().groupby("method").median())
es_end = ends.drop("ppo").iloc[0] if "ppo" in ends and len(ends) == 2 else None
glue("bw_data", "no runs of both sides stored yet" if es_end is None else
     f"{es_end / 1e6:.1f}M env steps a run, {es_end / ends['ppo']:.1f}x PPO's {ends['ppo'] / 1e6:.1f}M; "
     "median over the stored seeds", display=False)

# %% [markdown]
# ## Verdicts
#
# Each claim of this chapter has one test, declared on the page "How each claim is judged" before the
# data: a time to the threshold is the median over seeds, with seeds that never reached it counted at
# their budget; a return at equal budget is an IQM difference. All of them form one family, corrected
# by Holm's method; the table above lists each test's raw and adjusted p-value.
#
# **Open question 1, "is there a crossover where gradient-free methods become more efficient?"** In
# cores, on LunarLander: {glue:text}`verdict_short`.
#
# ```{dropdown} Details: every test of the chapter
# - *Open question 1, in full*: {glue:text}`v_q1`.
# - *The crossover in cores, LunarLander*: {glue:text}`v_q1_crossover`.
# - *The crossover in cores, CartPole*: {glue:text}`v_q1_crossover_cartpole`.
# - *Does the ES need 3–10× PPO's env steps (Salimans et al.)?* {glue:text}`v_q1_data`.
# - *Does PPO reach the threshold sooner on one core?* {glue:text}`v_q1_one_core`.
# - *At equal env steps (PPO's budget)*: {glue:text}`v_q1_equal_steps`.
# - *At equal one-core seconds*: {glue:text}`v_q1_equal_time`.
# - *BipedalWalker at equal env steps*: {glue:text}`v_q1_bipedal`.
# - *CartPole's ES / PPO ratio of env steps, bracketed by the solved tests (within {glue:text}`cadence_within`?)*:
#   {glue:text}`cartpole_cadence` (each side's brackets: the CartPole table above).
# ```
#
# The two sides do not pay the same for an env step: on one idle core, microseconds per env step for
# the ES (the population's forward passes batched in numpy) and for PPO (a torch forward per
# vectorised step, plus SB3's rollout buffer) were {glue:text}`us_per_step`. So fewer data need not
# mean less time.
#
# ## Limitations
#
# This machine has two cores, so beyond them every point is modelled. {glue:text}`ppo_model_line`
# The ES's model (chapter 4's calibrated simulation) enters with its calibration fixed. No GPU was
# available, so PPO's gradient update never ran on one.
#
# Budgets (stated per task): {glue:text}`budgets`. The runs come from the campaign; LunarLander's ES
# runs are chapter 3's and chapter 5's (identical configurations), its PPO runs chapter 5's.
#
# Still to train, by the
# campaign's estimate (one core per run): {glue:text}`cost_line`; BipedalWalker is the dearest per
# seed, hence 3 seeds and the cheapest ES that makes progress there (OpenAI-ES). Its ES budget
# ({glue:text}`bw_data`) buys more data than PPO's, yet far less than ES needed to *solve* the task in
# estool (hardmaru's CMA-ES first reached 300 after about 8e7 env steps, population 96): on
# BipedalWalker the comparison asks which side is ahead at equal env steps (PPO's budget), not which solves it.
#
# ```{admonition} Takeaways
# :class: tip
#
# - Counted in env steps, the comparison favours the side that learns most from each step; counted
#   in time on many cores, the side that spreads its work best. The two can disagree.
# - On these small tasks PPO gains nothing from extra processes, because passing observations
#   between them costs more than a step, while an evolution strategy spreads its population over
#   workers.
# - A seed that never reaches the threshold still counts, at its whole budget (a Kaplan-Meier
#   median), so failures cannot flatter a method.
# - Beyond the cores of this machine every point of the crossover is modelled, not measured.
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
# :label: ex-backprop-longer
# ```
# A task whose episodes are 10x longer makes every evaluation and every rollout 10x dearer, but
# leaves CMA-ES's ask and tell and PPO's update per rollout unchanged. Predict: does the crossover
# move to fewer or more cores? Then check with the model.
# ```{exercise-end}
# ```
#
# ```{solution-start} ex-backprop-longer
# :class: dropdown
# ```
# Two effects pull against each other. CMA-ES's parallel share grows, so dividing it pays sooner;
# but PPO's rollout, parallel too, grows just as much, and its update, the part that does not
# divide, shrinks in proportion. The model decides which wins: this prints the crossover as the page
# has it and with every env step 10x dearer (about 1 minute):
#
# ```python
# from evoscale.experiments import backprop
#
# profile = "book"
# P = backprop.params({"profile": profile})
# df = backprop.run(P, log=lambda *a: None)
# costs, ppo_speed = backprop.load_costs(profile)
# if costs is None:  # no idle-core costs (smoke): the runs' own timings
#     costs = backprop.unit_costs(df)
# env = "LunarLander-v3"
# env = env if env in P.tasks else next(iter(P.tasks))
# seeds = len(backprop.seed_list(P.tasks[env]["seeds"]))
# S = backprop.summarise(df, env, seeds, costs)
# ppo_timings = backprop.load_ppo_timings(profile)
# for factor in (1, 10):
#     per_step = costs["eval_s_per_step"] * factor
#     dearer = costs.assign(eval_s_per_step=per_step)
#     C, why = backprop.crossover_for(profile, S, dearer, ppo_speed,
#                                     "torch_cmaes", ppo_timings)
#     print(f"episodes {factor}x as long:", backprop.cross_text(C, why))
# ```
#
# PPO's rollout stops dividing at its 16 environments, while the evolution strategy's keeps
# dividing up to its population; look at where each side's time stops falling in the cores figure.
# ```{solution-end}
# ```
#
# ```{exercise-start}
# :label: ex-backprop-stochastic
# ```
# Re-state the LunarLander verdict with PPO's solved test on sampled actions instead of the most
# likely one. Which way should it move, early and late in training?
# ```{exercise-end}
# ```
#
# ```{solution-start} ex-backprop-stochastic
# :class: dropdown
# ```
# Early, a policy with wide action distributions can average better than its own mode (its mode
# may, e.g., never fire the main engine), so sampled actions favour PPO; late, the distribution has
# narrowed and both tests agree. The runs store both tests (`test_return` and
# `test_return_stochastic`); the evolution strategies have no stochastic counterpart, which is why
# the verdicts use the deterministic test.
# ```{solution-end}
# ```
#
# ```{exercise-start}
# :label: ex-backprop-envs
# ```
# PPO's zoo setting for LunarLander uses 16 environments. What happens to its curve in the cores
# figure if it used 64, and what would that cost in data efficiency?
# ```{exercise-end}
# ```
#
# ```{solution-start} ex-backprop-envs
# :class: dropdown
# ```
# The rollout part then divides up to 64 processes, so PPO's time keeps falling past 16 cores and
# the crossover moves out, but only if more processes pay at all. Where the model keeps the
# environments in one process, the cap changes nothing. Whether they pay is the model's line on the
# page:
#
# {glue:text}`ppo_plan`
#
# Each update then sees the same
# number of steps from more, shorter trajectory pieces (n_steps falls for a fixed batch) or the batch
# grows: PPO's steps to the threshold usually rise. The first effect is `cap=64` in
# `backprop.speedup`; the second needs new PPO runs with `n_envs` 64 (a `--hyper` override of the
# command line's training), several hours each.
# ```{solution-end}
# ```
