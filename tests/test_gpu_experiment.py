"""Chapter 8's experiment module: parameters, cache keys of the committed measurements, conversions."""

import pandas as pd
import pytest

from evoscale.bookbuild import ROOT
from evoscale.experiments import gpu, table_path


def test_committed_book_measurements_match_the_current_cache_keys():
    p = gpu.params({"profile": "book"})
    where = ROOT / "results" / "book" / "gpu"
    for env, popsize, hidden in p.share_cases:
        what = {"env": env, "popsize": popsize, "hidden": hidden, "seconds": p.share_seconds}
        assert table_path(where / f"share-{env.replace('/', '_')}", what).exists(), (env, hidden)
    assert table_path(where / f"jax-{p.jax_env}", gpu.jax_fields(p)).exists()


@pytest.mark.parametrize("namespace,error,match", [
    ({"profile": "smoke", "share_cases": [("Pong", 8, "")]}, ValueError, "unknown env"),
    ({"profile": "smoke", "share_cases": [("CartPole-v1", 0, "16")]}, ValueError, "popsize"),
    ({"profile": "smoke", "jax_popsizes": [0]}, ValueError, "jax_popsizes"),
    ({"profile": "smoke", "dtype": "float16"}, ValueError, "dtype"),
    ({"profile": "smoke", "jax_popsize": [4]}, TypeError, "unknown parameter"),
])
def test_bad_parameters(namespace, error, match):
    with pytest.raises(error, match=match):
        gpu.params(namespace)


def test_published_figures_in_cores_of_this_machine():
    rates = {"CartPole-v1 lockstep": 2e5, "CartPole-v1 gymnax loop (shared core)": 4e6, "Humanoid-v5 MuJoCo": 5e3}
    X = gpu.cores_equivalent(rates).set_index("ours")
    assert X.loc["CartPole-v1 lockstep", "cores_of_this_machine"] == pytest.approx(100)
    assert X.loc["CartPole-v1 gymnax loop (shared core)", "cores_of_this_machine"] == pytest.approx(5)
    assert (X.loc["Humanoid-v5 MuJoCo", "cores_of_this_machine"] == pd.Series([190.0, 360.0]).to_numpy()).all()
    assert gpu.cores_equivalent({})["cores_of_this_machine"].isna().all()


def test_envpool_backend_results_read_and_summarised(tmp_path):
    import json

    Q, V, machine = gpu.envpool_backend(tmp_path)
    assert Q.empty and V.empty and machine is None
    assert gpu.envpool_text(Q, V, machine).startswith("not measured")
    row = dict(env="CartPole-v1", episodes=50, mean_gymnasium=40.0, mean_envpool=41.0, p_envpool_better=0.52,
               p_lo=0.4, p_hi=0.6, resolved=False, ks_p=0.5, diff_lo=-1.0, diff_hi=2.0)
    data = {"machine": "M", "equivalence": [{**row, "policy": "random", "swap_actions": False},
                                            {**row, "policy": "heuristic", "swap_actions": False, "resolved": True,
                                             "ks_p": 0.001},
                                            {**row, "policy": "heuristic", "swap_actions": True, "resolved": True}],
            "speed": [{"env": "CartPole-v1", "popsize": 64, "envpool_steps_per_s": 2.0, "lockstep_steps_per_s": 1.0,
                       "ratio": 2.0, "ratio_min": 1.5, "ratio_max": 2.5}]}
    (tmp_path / "bench").mkdir()
    (tmp_path / "bench" / "envpool.json").write_text(json.dumps(data))
    Q, V, machine = gpu.envpool_backend(tmp_path)
    text = gpu.envpool_text(Q, V, machine)
    assert text.startswith("1 of 2 checks resolved") and "1 of 1 negative controls did" in text
    assert "lowest KS p 0.001" in text
    assert "chance alone resolves at least one 10% of the time" in text and "CartPole-v1 at 2.0× (1.5–2.5)" in text
    table = gpu.envpool_table(Q)
    assert list(table["difference"]) == ["not resolved", "resolved", "resolved"]
    assert table["policy"].iloc[2].endswith("(control)")


def test_mjx_results_read_and_summarised(tmp_path):
    import json

    M, meta = gpu.mjx_rates(tmp_path)
    assert M.empty and meta == {} and gpu.mjx_text(M, meta).startswith("MJX was not measured")
    (tmp_path / "bench").mkdir()
    (tmp_path / "bench" / "mjx.json").write_text(json.dumps({
        "machine": "M", "mujoco": {"newton": 2000.0, "pgs": 1800.0},
        "mjx": [{"batch": 1, "compile_s": 120.0, "steps_per_s": 50.0, "over_mujoco_newton": 0.025},
                {"batch": 16, "compile_s": 180.0, "steps_per_s": 400.0, "over_mujoco_newton": 0.2}]}))
    text = gpu.mjx_text(*gpu.mjx_rates(tmp_path))
    assert "2.0–3.0 min to compile" in text and "400 (batch 16, 0.20×)" in text
    assert "2,000 (the same Newton model) and 1,800 (Gymnasium's own PGS model)" in text
