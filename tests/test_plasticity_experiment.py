import dataclasses
import json

import numpy as np
import pandas as pd
import pytest

from evoscale.envs_adapt import BANDIT_ID, CARTPOLE_ID, bandit_bounds
from evoscale.evaluation import LockstepEvaluator, episode_seeds
from evoscale.experiments import plasticity as pl
from evoscale.experiments import plasticity_probe as pr
from evoscale.experiments.plasticity_probe import PROBE, Trace
from evoscale.train import build


def test_book_profile_plans_ten_seeds_of_every_cell_on_equal_footing():
    cells = pl.params({"profile": "book"}).cells()
    assert len(cells) == len(pl.TASKS) * len(pl.ROWS) * 10 == len(pl.configs("book"))
    es = [c for row, _, c in cells if row in pl.EVOLVED]
    assert len({(c.popsize, c.sigma0, c.budget_evals, c.episodes_per_eval, c.eval_every) for c in es}) == 1
    assert all(c.keep_solutions for c in es)
    assert {dict(c.hyper or {"optimizer": c.method})["optimizer"] for c in es} == {"torch_cmaes"}
    ppo = [c for row, _, c in cells if row not in pl.EVOLVED]
    bandit_steps = es[0].budget_evals * 100  # the bandit's episodes are 100 steps
    assert {c.budget_steps for c in ppo if c.env == BANDIT_ID} == {bandit_steps}


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


def _per_seed(bandit_neuromod, cart_neuromod, cart_mlp):
    rows = [dict(task=BANDIT_ID, row="neuromod", seed=s, final=v) for s, v in enumerate(bandit_neuromod)]
    rows += [dict(task=CARTPOLE_ID, row=r, seed=s, final=v) for r, vals in (("neuromod", cart_neuromod),
                                                                            ("mlp", cart_mlp))
             for s, v in enumerate(vals)]
    return pd.DataFrame(rows)


def test_verdict_rule():
    b = bandit_bounds()
    ff, gap = b["feedforward"], b["oracle"] - b["feedforward"]
    up, flat = [ff + gap * f for f in (0.4, 0.5, 0.45, 0.55, 0.5, 0.6)], [ff + gap * f for f in (-.2, .2, -.1, .1, 0, .05)]
    down = [ff - 5 - s for s in range(6)]
    hi, lo = [400 + s for s in range(6)], [40 + s for s in range(6)]
    assert pl.verdict(_per_seed(up, hi, lo))["word"] == "confirmed"
    assert pl.verdict(_per_seed(up, lo, lo))["word"] == "refined"
    assert pl.verdict(_per_seed(flat, hi, lo))["word"] == "refined"
    assert pl.verdict(_per_seed(down, lo, hi))["word"] == "refuted"
    v = pl.verdict(_per_seed(flat, lo, lo))
    assert v["word"] == "unresolved" and v["gap"]["lo"] < 0 < v["gap"]["hi"] and v["detectable"] > 0
    few = pl.verdict(_per_seed(up[:3], hi[:3], lo[:3]))
    assert few["word"] == "unresolved" and few["gap"]["n"] == 3 and np.isnan(few["gap"]["lo"])
    assert pl.describe([1.0, 3.0])["values"] == [1.0, 3.0]
