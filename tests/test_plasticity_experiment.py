import dataclasses
import json

import numpy as np
import pandas as pd
import pytest

from evoscale.envs.adapt import BANDIT_ID, bandit_bounds
from evoscale.evaluation import LockstepEvaluator, episode_seeds
from evoscale.experiments import plasticity as pl
from evoscale.experiments import plasticity_probe as pr
from evoscale.experiments.plasticity_probe import PROBE, Trace
from evoscale.train import build


def test_book_profile_plans_ten_seeds_of_every_cell_on_equal_footing():
    p = pl.params({"profile": "book"})
    cells = p.cells()
    assert len(cells) == len(pl.TASKS) * len(pl.ROWS) * 10 == len(pl.configs("book"))
    es = [c for row, _, c in cells if row in pl.EVOLVED]
    assert len({(c.popsize, c.sigma0, c.budget_evals, c.episodes_per_fitness, c.test_every) for c in es}) == 1
    assert all(c.keep_solutions for c in es)
    assert {dict(c.hyper or {"optimizer": c.method})["optimizer"] for c in es} == {"torch_cmaes"}
    ppo = [c for row, _, c in cells if row not in pl.EVOLVED]
    assert {c.budget_steps for c in ppo} == {pl.MATCHED_STEPS} and set(p.ppo_steps.values()) == {pl.MATCHED_STEPS}
    # the matched step count is a solved-test point of the bandit's ES runs (100-step episodes)
    assert pl.MATCHED_STEPS % (es[0].test_every * 100) == 0 and pl.MATCHED_STEPS <= es[0].budget_evals * 100


def test_campaign_plans_chapter_7_with_a_cost_for_every_run(tmp_path, monkeypatch):
    from evoscale import campaign

    monkeypatch.setenv("EVOSCALE_RESULTS", str(tmp_path))
    plan = campaign.plan("book", ["07"])
    assert set(plan["chapter"]) == {"07_plasticity"} and plan["planned"].sum() == 100 and plan["done"].sum() == 0
    assert (plan["cpu_min_missing"] > 0).all()
    prio = plan.set_index("cell")["priority"]
    from evoscale.experiments.plasticity import PRIORITY

    assert {prio[c] for c in prio.index if c.startswith("recurrent_ppo")} == {PRIORITY["recurrent_ppo"]}
    assert {prio[c] for c in prio.index if c.startswith("ppo")} == {PRIORITY["ppo"]}
    assert {prio[c] for c in prio.index if not c.startswith(("ppo", "recurrent_ppo"))} == {PRIORITY["es"]}
    assert PRIORITY["es"] < PRIORITY["ppo"] < PRIORITY["recurrent_ppo"]  # the cheap evolved networks first
    assert plan["cpu_min_missing"].sum() / 60 < 8  # the chapter's book profile fits a working day on 2 cores


def test_the_gru_has_about_neuromods_parameter_count():
    from evoscale.campaign import _n_params

    p = pl.params({"profile": "book"})
    for task in pl.TASKS:
        n = {row: _n_params(p.config(row, task, 0)) for row in pl.EVOLVED}
        assert 0.8 < n["recurrent"] / n["neuromod"] < 1.2, n


@pytest.mark.parametrize("bad,match", [
    ({"tasks": ["CartPole-v1"]}, "tasks must be"), ({"optimizer": "neuromod"}, "optimizer must be one of"),
    ({"cell": "lstm"}, "cell must be"), ({"rule": "hebb"}, "rule must be"),
    ({"ppo_steps": {BANDIT_ID: 100}}, "ppo_steps must map every task"), ({"popsize": 0}, "popsize"),
    ({"popsiz": 3}, "unknown parameter"),
])
def test_bad_parameters_name_the_parameter(bad, match):
    with pytest.raises((ValueError, TypeError), match=match):
        pl.params({"profile": "smoke", **bad})


@pytest.fixture(scope="module")
def smoke(tmp_path_factory):
    """The smoke profile's bandit runs (one seed), trained into a temporary store."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("EVOSCALE_RESULTS", str(tmp_path_factory.mktemp("results")))
        p = pl.params({"profile": "smoke", "tasks": [BANDIT_ID], "seeds": 1})
        yield p, pl.run(p, log=lambda *_: None)


def test_runs_come_through_the_store_with_rows_and_solutions(smoke):
    p, df = smoke
    assert set(df["row"]) == set(pl.ROWS)
    stored = pl.run(dataclasses.replace(p, train_missing=False), log=lambda *_: None)
    pd.testing.assert_frame_equal(stored, df)
    finals = pl.finals(df)
    es = finals[finals["row"].isin(pl.EVOLVED)]
    assert len(es) == 3 and es["solution"].notna().all()
    assert finals.loc[~finals["row"].isin(pl.EVOLVED), "solution"].isna().all()


@pytest.mark.parametrize("row", pl.EVOLVED)
def test_a_replay_is_the_evaluator_on_the_same_seeds(smoke, row):
    p, df = smoke
    final = pl.finals(df).set_index("row").loc[row]
    config = p.config(row, BANDIT_ID, 0)
    trace = pr.probe(config, final["solution"], 6)
    ev = build(config)[0]
    seeds = episode_seeds(config.seed, PROBE, 0, 1, 6)
    expected = ev.evaluate(np.array(json.loads(final["solution"]))[None], seeds).returns[0]
    assert np.array_equal(np.nansum(trace.reward, axis=1), expected)
    assert trace.memory.shape == (6, 100, {"mlp": 0, "neuromod": 3 * 16 + 16 * 2, "recurrent": 11}[row])


def test_the_best_feedforward_map_is_an_mlp_of_the_chapters_family():
    """Win-stay-lose-shift is the sign of the evidence input: one tanh unit of a 3-16-2 MLP."""
    ev = LockstepEvaluator(BANDIT_ID, (16,))
    returns = ev.evaluate(pr.wsls_solution((16,))[None, :], np.arange(2000)[None, :]).returns
    se = returns.std() / np.sqrt(returns.size)
    assert abs(returns.mean() - bandit_bounds()["feedforward"]) < 4 * se


def _trace(context, action, memory=None, reward=None):
    context, action = np.asarray(context), np.asarray(action)
    E, T = context.shape
    memory = np.zeros((E, T, 0)) if memory is None else memory
    reward = np.ones((E, T)) if reward is None else reward
    return Trace(reward, action, context, np.arange(T), memory)


def test_around_switch_aligns_on_the_swap_and_measures_recovery():
    # two episodes swap at trial 4 and 6; the agent keeps the old arm for 2 trials after the swap
    ctx = np.array([[0] * 4 + [1] * 6, [1] * 6 + [0] * 4, [0] * 10])
    act = np.array([[0] * 6 + [1] * 4, [1] * 8 + [0] * 2, [0] * 10])
    curve = pr.around_switch(_trace(ctx, act), before=3, after=5)
    assert curve["offset"].tolist() == [-3, -2, -1, 0, 1, 2, 3, 4]
    assert curve["p_good"].tolist() == [1, 1, 1, 0, 0, 1, 1, 1]
    assert curve["episodes"].tolist() == [2] * 7 + [1]  # the second swap comes 4 trials before the end
    assert pr.recovery_trials(curve) == 3.0
    assert np.isnan(pr.recovery_trials(curve.assign(p_good=0.0)))


def test_survival_per_context():
    act = np.full((3, 5), -1)
    act[0, :5], act[1, :2], act[2, :4] = 1, 0, 1
    s = pr.survival(_trace(np.array([[0] * 5, [1] * 5, [1] * 5]), act))
    inverted = s[s["context"] == 1]
    assert inverted["alive"].tolist() == [1, 1, 0.5, 0.5, 0]
    assert s.loc[s["context"] == 0, "alive"].tolist() == [1] * 5


def test_projection_reads_the_context_from_the_memory():
    rng = np.random.default_rng(0)
    E, T = 40, 6
    ctx = np.repeat(rng.integers(0, 2, (E, 1)), T, 1)
    mem = np.stack([2 * ctx - 1, rng.normal(size=(E, T))], -1) + 0.1 * rng.normal(size=(E, T, 2))
    trace = _trace(ctx, np.zeros((E, T), int), memory=mem.astype(float))
    proj = pr.project(trace)
    assert np.all((proj > 0) == (ctx == 1))
    assert pr.decoding(trace, proj)["accuracy"].tolist() == [1.0] * T
    assert pr.decoding(_trace(ctx, np.zeros((E, T), int)), pr.project(_trace(ctx, np.zeros((E, T), int))))[
        "accuracy"].isna().all()  # no memory, nothing to read


def test_nothing_stored_renders_as_not_run_yet():
    empty = pl.finals(None)
    table = pl.summarise(empty, 10)
    assert len(table) == len(pl.TASKS) * len(pl.ROWS)
    assert set(table["final return"]) == {"no runs yet (n = 0 of 10)"}
    assert pl.at_steps(None, {BANDIT_ID: 10}).empty
    assert pl.replays(pl.params({"profile": "smoke"}), empty, BANDIT_ID) == {}


def test_at_steps_takes_the_last_solved_test_within_the_budget():
    df = pd.DataFrame(dict(env=BANDIT_ID, row="mlp", seed=0, method="torch_cmaes", n_params=98, generation=range(4),
                           evals=[10, 20, 30, 40], env_steps=[1000, 2000, 3000, 4000], wall_s=1.0, test_wall_s=0.0,
                           machine="m", test_return=[1.0, np.nan, 3.0, 4.0]))
    assert pl.at_steps(df, {BANDIT_ID: 3500})["final"].tolist() == [3.0]
    assert pl.at_steps(df, {BANDIT_ID: 2500})["final"].tolist() == [1.0]
    assert pl.finals(df)["final"].tolist() == [4.0]
    table = pl.summarise(pl.finals(df), 1, pl.at_steps(df, {BANDIT_ID: 500})).set_index(["task", "network"])
    cell = table.loc[(BANDIT_ID, pl.LABELS["mlp"])]
    assert cell["final return"] == "4.0 (n = 1)" and cell["return at the matched env steps"] == "no solved test within them"
    assert table.loc[(BANDIT_ID, pl.LABELS["ppo"]), "return at the matched env steps"] == "no runs yet (n = 0 of 1)"
