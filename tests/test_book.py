"""The book end to end: every chapter executes at the smoke profile, the HTML builds, and a
misspelt papermill parameter aborts instead of being ignored."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from evoscale.bookbuild import ROOT, chapters, execute_chapter

pytestmark = pytest.mark.slow


def test_unknown_papermill_parameter_aborts(tmp_path, monkeypatch):
    import papermill

    monkeypatch.setenv("EVOSCALE_RESULTS", str(tmp_path / "results"))
    with pytest.raises(papermill.PapermillExecutionError, match="unknown parameter.*'popsiz'"):
        execute_chapter("03_compute", tmp_path, {"profile": "smoke", "popsiz": 3})


def test_unknown_profile_aborts(tmp_path, monkeypatch):
    import papermill

    monkeypatch.setenv("EVOSCALE_RESULTS", str(tmp_path / "results"))
    with pytest.raises(papermill.PapermillExecutionError, match="unknown profile 'tiny'"):
        execute_chapter("03_compute", tmp_path, {"profile": "tiny"})


def test_every_chapter_executes_at_smoke_and_the_book_builds(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "MPLBACKEND"}  # the kernel must render inline
    env["EVOSCALE_RESULTS"] = str(tmp_path / "results")
    r = subprocess.run([sys.executable, "-m", "evoscale.bookbuild", "--profile", "smoke"], env=env,
                       capture_output=True, text=True, timeout=1200)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    html = ROOT / "_build" / "html"
    assert (html / "index.html").exists()
    for name in chapters(ROOT / "book"):
        page = (html / f"{name}.html").read_text()
        assert "Traceback" not in page
        assert "<img" in page, f"{name}: no figure rendered"
    # chapter 3's smoke runs (cmaes, 2 seeds) landed in the shared run store, one CSV per seed
    assert len(list((tmp_path / "results" / "smoke" / "runs").glob("cmaes-LunarLander-v3-s*.csv"))) == 2


def test_committed_compute_crosscheck_runs_match_the_current_cache_keys():
    """The runs committed before the ten-seed campaign that chapters still read are found under today's
    keys: the four pycma seeds of chapter 3's cross-check (also chapter 2's LunarLander row)."""
    from evoscale.experiments import run_path
    from evoscale.experiments.compute import params

    check = params({"profile": "book"}).crosscheck()
    where = ROOT / "results" / "book" / "runs"
    assert [c.seed for c in check.configs() if run_path(c, where).exists()][:4] == [0, 1, 2, 3]


def test_committed_parameter_cost_results_match_the_current_cache_key():
    from evoscale.experiments.parameters import PROFILES, CostParams

    key = CostParams(profile="book", **PROFILES["book"]).key()
    assert (ROOT / "results" / "book" / "parameters" / f"cost-{key}.csv").exists()


def test_committed_workers_results_match_the_current_cache_keys():
    from evoscale.experiments import workers as wk

    p = wk.params({"profile": "book"})
    where = ROOT / "results" / "book" / "workers"
    for env in p.envs:
        name = f"speedup-{env.replace('/', '_')}-{p.speedup_key(env)}.csv"
        assert (where / name).exists(), f"book-profile speedup measurement missing: {name}"
    missing = [wk._island_path(c, where, p).name for c in p.island_configs()
               if not wk._island_path(c, where, p).exists()]
    assert not missing, f"book-profile island runs missing for the current cache keys: {missing}"


def _missing_runs(configs, where):
    from evoscale.experiments import run_path

    return [run_path(c, where).name for c in configs if not run_path(c, where).exists()]


def test_committed_environment_runs_match_the_current_cache_keys():
    from evoscale.experiments import environments

    p = environments.params({"profile": "book"})
    missing = _missing_runs(p.configs(), ROOT / "results" / "book" / "runs")
    assert not missing, f"book-profile runs missing for the current cache keys: {missing}"


def test_committed_environment_measurements_match_the_current_cache_keys():
    """Chapter 2's cost measurement and Pong's "any reward signal?" test render from results/book/."""
    from evoscale.experiments import environments, pong, table_path

    p = environments.params({"profile": "book"})
    assert table_path(*environments.cost_cache(p)).exists()
    assert table_path(*pong.first_points_cache("book", p.signal_samples)).exists()


def test_every_committed_result_verifies():
    """Each committed CSV counts: its sidecar holds the format version, row count and checksum
    (``python -m evoscale.runs migrate results/`` adds them to sidecars written before)."""
    from evoscale.store import load_run

    csvs = [p for p in (ROOT / "results").rglob("*.csv") if p.with_suffix(".json").exists()]
    assert csvs and not [p for p in csvs if load_run(p) is None]
