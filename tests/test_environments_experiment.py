import numpy as np
import pandas as pd
import pytest

from evoscale.config import RunConfig
from evoscale.experiments import environments as E
from evoscale.experiments import environments_cost as C
from evoscale.experiments import pong


def test_every_task_has_settings_in_every_profile_and_an_estimate():
    for name, prof in E.PROFILES.items():
        assert set(prof["settings"]) == set(E.TASKS), name
    assert set(E.CLAIMED_EVALS) == set(E.PUBLISHED) == set(E.TASKS)


def test_params_are_strict_and_take_profile_defaults():
    p = E.params({"profile": "book"})
    assert p.seeds == 10 and p.task_list() == list(E.TASKS)
    per_task = {}
    for c in p.configs():
        per_task.setdefault((c.env, c.method), set()).add(c.seed)
    assert len(per_task[("CartPole-v1", "cmaes")]) == 10 and len(per_task[("ALE/Pong-v5", "openai_es")]) == 3
    with pytest.raises(TypeError, match="popsiz"):
        E.params({"profile": "book", "popsiz": 3})
    with pytest.raises(ValueError, match="unknown env 'Pong'"):
        E.params({"profile": "book", "tasks": "CartPole-v1,Pong"}).task_list()


def test_book_ppo_lunarlander_is_the_shared_config():
    configs = E.params({"profile": "book"}).configs()
    ll = [c for c in configs if c.env == "LunarLander-v3"]
    assert ll == [RunConfig(method="ppo", env="LunarLander-v3", budget_steps=3_000_000, test_every=100_000,
                            test_episodes=100, seed=s) for s in range(10)]  # chapter 6's PPO; CMA-ES: chapter 3's
    assert {c.method for c in configs if c.env == "ALE/Pong-v5"} == {"openai_es", "ppo"}
    pong_ppo = [c for c in configs if c.env == "ALE/Pong-v5" and c.method == "ppo"]
    assert len(pong_ppo) == 3 and all(c.device == "cpu" for c in pong_ppo)
    assert {c.method for c in configs if c.env == "CartPole-v1"} == {"cmaes", "ga", "ppo"}


def test_full_profile_sends_pong_and_humanoid_to_the_gpu_and_the_cluster():
    full = E.params({"profile": "full"}).configs()
    big = [c for c in full if c.method != "ppo" and (c.env.startswith("ALE/") or c.env == "Humanoid-v5")]
    assert big and all(c.device == "cuda" and c.backend == "ray" and c.workers == 64 for c in big)
    assert all(c.device == "cpu" for c in full if c.env == "CartPole-v1")
    ppo = {(c.env, c.device, c.budget_steps) for c in full if c.method == "ppo" and c.env.startswith("ALE/")}
    assert ppo == {("ALE/Pong-v5", "cuda", 10_000_000), ("ALE/Pong-ram-v5", "cpu", 10_000_000)}  # zoo's 1e7


def test_budget_scale_and_bad_values():
    small = E.params({"profile": "book", "budget_scale": 0.5, "tasks": "CartPole-v1"}).configs()
    assert {c.budget_evals for c in small if c.method == "cmaes"} == {1_200}
    with pytest.raises(ValueError, match="budget_scale"):
        E.params({"profile": "book", "budget_scale": 0}).configs()
    with pytest.raises(ValueError, match="seeds"):
        E.params({"profile": "book", "seeds": 0}).configs()


@pytest.mark.parametrize("name, value", [("signal_samples", 0), ("cost_popsize", -1), ("seeds", 2.5),
                                         ("processes", 0), ("workers", "2"), ("budget_scale", "x"),
                                         ("device", "gpu")])
def test_bad_parameter_values_fail_before_any_run(name, value):
    with pytest.raises(ValueError, match=name):
        E.params({"profile": "book", name: value})


def _stored_run(evals, steps, final, pop_eval_s=1.0, opt_s=0.1):
    """A run's records: generations of 10 evaluations with ``steps`` env steps per episode each."""
    g = len(steps)
    return pd.DataFrame({"generation": range(g), "evals": np.arange(1, g + 1) * 10,
                         "env_steps": np.cumsum(np.asarray(steps) * 10), "pop_eval_s": pop_eval_s, "opt_s": opt_s,
                         "test_return": [np.nan] * (g - 1) + [final], "machine": "m"}).iloc[:evals // 10]


def test_episode_prices_read_the_longest_runs_early_and_late():
    steps = [20] * 2 + [100] * 16 + [400] * 2  # 20 generations: the first and last tenth are 2 each
    longest = [_stored_run(200, steps, 500.0), _stored_run(200, steps, 480.0)]
    short = _stored_run(100, [5] * 10, 10.0, pop_eval_s=99.0)  # fewer evaluations: ignored
    q = C.episode_prices("CartPole-v1", [*longest, short])
    assert q["runs"] == 2 and q["budget_evals"] == 200
    assert q["steps_early"] == pytest.approx(20) and q["steps_late"] == pytest.approx(400)
    assert q["s_per_step"] == pytest.approx(2 * 20 * 1.0 / (2 * 10 * sum(steps)))
    assert q["opt_s_per_eval"] == pytest.approx(0.1 / 10) and q["solved"]  # median 490 >= 475
    assert not C.episode_prices("CartPole-v1", [_stored_run(200, steps, 100.0)])["solved"]
    assert C.episode_prices("CartPole-v1", []) is None


def test_episode_prices_take_chapter_6s_idle_core_unit_costs_where_stored():
    """One price per env step in the book: a run whose method chapter 6 timed on an idle core is priced
    at that unit cost, not at its own (shared-machine) records; a run without one keeps its records."""
    steps = [20] * 2 + [100] * 16 + [400] * 2
    runs = [_stored_run(200, steps, 500.0).assign(method="openai_es"), _stored_run(200, steps, 480.0).assign(method="ga")]
    unit = pd.DataFrame([dict(method="openai_es", env="CartPole-v1", eval_s_per_step=3e-6, serial_s_per_gen=0.02),
                         dict(method="openai_es", env="LunarLander-v3", eval_s_per_step=9.0, serial_s_per_gen=9.0)])
    q = C.episode_prices("CartPole-v1", runs, unit)
    per_run_steps, gens = 10 * sum(steps), len(steps)
    assert q["idle"] == 1  # GA has no idle-core cost for CartPole here: its own records price it
    assert q["s_per_step"] == pytest.approx((3e-6 * per_run_steps + 1.0 * gens) / (2 * per_run_steps))
    assert q["opt_s_per_eval"] == pytest.approx((0.02 * gens + 0.1 * gens) / (2 * 200))
    both = C.episode_prices("CartPole-v1", [r.assign(method="openai_es") for r in runs], unit)
    assert both["idle"] == 2 and both["s_per_step"] == pytest.approx(3e-6)
    assert both["opt_s_per_eval"] == pytest.approx(0.02 / 10)  # 10 evaluations a generation


def test_chapter_2s_price_per_env_step_is_chapter_6s_stored_unit_cost():
    """The book profile's stored results: chapter 2 prices BipedalWalker from chapter 6's OpenAI-ES
    runs at the idle-core cost chapter 6 quotes, in the same words (``unit_costs.us_per_step_text``)."""
    from evoscale.experiments import unit_costs

    unit, _ = unit_costs.load_costs("book")
    if unit is None:
        pytest.skip("no idle-core unit costs stored for the book profile")
    q = C.prices(E.params({"profile": "book", "tasks": "BipedalWalker-v3"})).set_index("env").loc["BipedalWalker-v3"]
    stored = unit[(unit["method"] == "openai_es") & (unit["env"] == "BipedalWalker-v3")]["eval_s_per_step"].iloc[0]
    assert q["idle"] == q["runs"] >= 1 and q["s_per_step"] == pytest.approx(stored)
    assert unit_costs.us_per_step_text(q["s_per_step"]) == unit_costs.us_per_step_text(stored)


def test_cost_model_prices_early_late_and_the_upper_end():
    cost = pd.DataFrame([C.measure_cost("CartPole-v1", 3), C.measure_cost("LunarLander-v3", 2)])
    assert (cost["steps_per_episode"] > 0).all() and (cost["lockstep_s_per_episode"] > 0).all()
    prices = pd.DataFrame([dict(env="CartPole-v1", runs=2, budget_evals=200, s_per_step=1e-4, opt_s_per_eval=1e-3,
                                steps_early=20.0, steps_late=400.0, solved=True)])
    model = C.cost_model(prices, cost, E.params({"profile": "book"}), cores=10).set_index("env")
    cp, ll = model.loc["CartPole-v1"], model.loc["LunarLander-v3"]
    assert cp["s_per_eval_early"] == pytest.approx(20 * 1e-4 + 1e-3)
    assert cp["s_per_eval_late"] == pytest.approx(400 * 1e-4 + 1e-3)
    assert cp["s_per_eval_cap"] == pytest.approx(500 * 1e-4 + 1e-3)
    assert cp["upper"] == "late" and cp["claimed_cpu_h_upper"] == pytest.approx(5_000 * cp["s_per_eval_late"] / 3600)
    assert cp["claimed_h_on_cores"] == pytest.approx(cp["claimed_cpu_h_upper"] / 10)
    assert cp["full_evals"] == 2 * 5_000 * 10  # cmaes + ga, 10 seeds
    # no stored run: the untrained population's price stands in for early, the cap is the upper end
    assert ll["upper"] == "cap" and np.isnan(ll["s_per_eval_late"]) and ll["claimed_cpu_h_upper"] > ll["claimed_cpu_h_early"]
    view = C.cost_view(model.reset_index(), 64)
    assert set(view.columns) == {"task", *[c for cols in C.cost_parts(64).values() for c in cols]}
    assert not any("_" in c for c in view.columns)
    texts = C.cost_texts(model.reset_index())
    assert texts["cp_upper"] == "once its policies work" and texts["ll_upper"] == "with every episode at the cap"
    assert texts["cp_us_step"] == "100" and texts["cp_steps_late"] == "400" and texts["ll_steps_late"] == "not priced"
    assert view.set_index("task").loc["CartPole-v1", "priced from"] == "2 runs of 200 evaluations, their own timings (shared machine)"


def test_evals_to_threshold_counts_only_seeds_that_crossed():
    df = pd.DataFrame({"env": "CartPole-v1", "method": "cmaes", "seed": [0, 0, 1, 1], "generation": [0, 1, 0, 1],
                       "evals": [100, 200, 100, 200], "env_steps": [1e3, 2e3, 1e3, 2e3],
                       "test_return": [100, 480, 100, 200], "wall_s": 1.0})
    row = E.evals_to_threshold(df).iloc[0]
    assert row["solved"] == 1 and row["evals_to_solve"][0] == 200 and np.isnan(row["evals_to_solve"][1])
    assert row["finals"] == [480, 200] and row["evals_run"] == 200


def _row(env="ALE/Pong-v5", method="openai_es", finals=(-20.0, -21.0, -19.0), evals=None, run=2048):
    evals = [np.nan] * len(finals) if evals is None else list(evals)
    return dict(env=env, method=method, seeds=len(finals), finals=list(finals),
                solved=int(np.isfinite(evals).sum()), evals_to_solve=evals, steps_to_solve=evals,
                evals_run=run, steps_run=1_500_000, evals_run_each=[run] * len(finals),
                steps_run_each=[1_500_000] * len(finals), claimed_evals=E.CLAIMED_EVALS[env], published="x")


def test_bench_table_reads_the_committed_jsons(tmp_path):
    import json

    (tmp_path / "evaluator-ALE_Pong-v5.json").write_text(json.dumps({"env": "ALE/Pong-v5", "ratio": 0.5}))
    t = C.bench_table(tmp_path)
    assert list(t["env"]) == ["ALE/Pong-v5"] and t["ratio"].iloc[0] == 0.5


def test_quoted_texts_of_the_results():
    T = pd.DataFrame([_row()])
    texts = E.run_texts(T)
    assert texts["pong_final"] == "-21.0, -20.0, -19.0 (n = 3)" and texts["pong_solved"] == "0 of 3"
    assert texts["pong_evals"] == "not reached (0 of 3 reached)" and texts["pong_steps_run"] == "1,500,000"
    assert texts["hum_final"] == "not run"  # every quoted run has its keys, run or not
    assert len(texts) == 6 * len(E.QUOTED_RUNS)
    table = E.results_table(T)
    assert list(table["final solved-test return"]) == ["-21, -20, -19 (n = 3)"]
    ll = pd.DataFrame([_row("LunarLander-v3", "ppo", finals=(279.7, 281.2, 282.0, 277.4, 280.4))])
    prose, shown = E.run_texts(ll)["ll_ppo_final"], E.results_table(ll)["final solved-test return"].iloc[0]
    assert prose == shown and "." not in prose  # the prose reads as the table (and chapters 5 and 6) do
    assert not any("_" in c for c in table.columns)  # words, not identifiers
    assert pong.pong_ppo_texts(T.assign(method="ppo").iloc[:0]) == dict.fromkeys(
        ("pong_ppo_rate", "pong_ppo_n", "pong_ppo_update", "pong_ppo_machine", "pong_ppo_zoo_h"), "not run")
    assert [C.hours_text(h) for h in (0.00012, 0.00123, 0.0123, 12.345, 1234.5)] == [
        "under 0.001", "0.0012", "0.0123", "12.3", "1,234"]


@pytest.mark.parametrize("profile", ["smoke", "book"])
def test_ppo_runs_shown_in_chapters_2_and_6_are_the_same_stored_runs(profile):
    """One number, one source: chapter 2's PPO runs on the tasks chapter 6 also runs are chapter 6's."""
    from evoscale.experiments import backprop

    ch2 = {c.key() for c in E.params({"profile": profile}).configs() if c.method == "ppo"}
    ch6 = {c for _, c in backprop.params({"profile": profile}).configs() if c.method == "ppo"}
    shared = {c.env for c in ch6} & set(E.TASKS)
    assert shared == ({"CartPole-v1"} if profile == "smoke" else {"CartPole-v1", "LunarLander-v3", "BipedalWalker-v3"})
    assert {c.key() for c in ch6 if c.env in shared} <= ch2
