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
