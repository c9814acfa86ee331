import numpy as np
import pandas as pd
import pytest

from evoscale.config import RunConfig
from evoscale.experiments import environments as E
from evoscale.experiments import pong


def test_every_task_has_settings_in_every_profile_and_an_estimate():
    for name, prof in E.PROFILES.items():
        assert set(prof["settings"]) == set(E.TASKS), name
    assert set(E.CLAIMED_EVALS) == set(E.PUBLISHED) == set(E.TASKS)


def test_params_are_strict_and_take_profile_defaults():
    p = E.params({"profile": "book"})
    assert p.seeds == 3 and p.task_list() == list(E.TASKS)
    with pytest.raises(TypeError, match="popsiz"):
        E.params({"profile": "book", "popsiz": 3})
    with pytest.raises(ValueError, match="unknown env 'Pong'"):
        E.params({"profile": "book", "tasks": "CartPole-v1,Pong"}).task_list()


def test_book_ppo_lunarlander_is_the_shared_config():
    configs = E.params({"profile": "book"}).configs()
    ll = [c for c in configs if c.env == "LunarLander-v3"]
    assert ll == [RunConfig(method="ppo", env="LunarLander-v3", budget_steps=300_000, eval_every=50_000,
                            eval_episodes=100, seed=s) for s in range(3)]  # LunarLander CMA-ES: the compute chapter's
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


def test_measure_cost_and_cost_model():
    cost = pd.DataFrame([E.measure_cost("CartPole-v1", 3)])
    assert cost["steps_per_episode"].iloc[0] > 0 and cost["lockstep_s_per_episode"].iloc[0] > 0
    runs = pd.DataFrame({"env": "CartPole-v1", "method": "cmaes", "seed": [0, 0, 1], "generation": [0, 1, 1],
                         "evals": [16, 32, 32], "wall_s": [1.0, 2.0, 4.0]})
    model = E.cost_model(runs, cost, E.params({"profile": "book"}), cores=10).iloc[0]
    assert model["s_per_eval"] == pytest.approx((2 / 32 + 4 / 32) / 2)
    assert model["claimed_cpu_h_1core"] == pytest.approx(5_000 * model["s_per_eval"] / 3600)
    assert model["claimed_h_on_cores"] == pytest.approx(model["claimed_cpu_h_1core"] / 10)
    assert model["full_evals"] == 2 * 5_000 * 10  # cmaes + ga, 10 seeds


def test_evals_to_threshold_counts_only_seeds_that_crossed():
    df = pd.DataFrame({"env": "CartPole-v1", "method": "cmaes", "seed": [0, 0, 1, 1], "generation": [0, 1, 0, 1],
                       "evals": [100, 200, 100, 200], "env_steps": [1e3, 2e3, 1e3, 2e3],
                       "eval_return": [100, 480, 100, 200], "wall_s": 1.0})
    row = E.evals_to_threshold(df).iloc[0]
    assert row["solved"] == 1 and row["evals_to_solve"] == 200 and np.isfinite(row["final_iqm"])


def test_bench_table_reads_the_committed_jsons(tmp_path):
    import json

    (tmp_path / "evaluator-ALE_Pong-v5.json").write_text(json.dumps({"env": "ALE/Pong-v5", "ratio": 0.5}))
    t = E.bench_table(tmp_path)
    assert list(t["env"]) == ["ALE/Pong-v5"] and t["ratio"].iloc[0] == 0.5


def test_quoted_texts_of_the_results():
    T = pd.DataFrame([dict(env="ALE/Pong-v5", method="openai_es", seeds=3, final_iqm=-20.0, final_lo=-21.0,
                           final_hi=-19.0, solved=0, evals_to_solve=np.nan, steps_to_solve=np.nan,
                           evals_run=2048, steps_run=1_500_000, claimed_evals=5_000_000, published="x")])
    texts = E.run_texts(T)
    assert texts["pong_final"] == "-20.0 [-21.0, -19.0]" and texts["pong_solved"] == "0 of 3"
    assert texts["pong_evals"] == "not reached" and texts["pong_steps_run"] == "1,500,000"
    assert texts["hum_final"] == "not run"  # every quoted run has its keys, run or not
    assert len(texts) == 6 * len(E.QUOTED_RUNS)
    assert list(E.results_table(T)["final"]) == ["-20 [-21, -19]"]
    pix = E.result_row(T, "ALE/Pong-v5", "openai_es")
    ram = pix.copy()
    assert pong.ram_verdict(pix, ram) == "the two cannot be told apart (overlapping intervals)"
    assert pong.cnn_verdict(pix, None) == "Not compared in this profile."
    ram[["final_lo", "final_hi"]] = [-18.0, -17.0]
    assert pong.ram_verdict(pix, ram) == "the RAM MLP ended higher, with non-overlapping intervals"
    assert pong.cnn_verdict(pix, ram).startswith("At this budget the RAM MLP ended higher")
    assert pong.pong_ppo_texts(T.assign(method="ppo").iloc[:0]) == dict.fromkeys(
        ("pong_ppo_rate", "pong_ppo_n", "pong_ppo_update", "pong_ppo_machine", "pong_ppo_zoo_h"), "not run")
    assert [E.hours_text(h) for h in (0.00123, 12.345, 1234.5)] == ["0.00123", "12.3", "1,234"]
