"""The committed results under results/book/ are found under today's cache keys and verify: fast
checks that only read committed files (no chapter executes), so they run with ``make test-fast``;
moved from test_book.py, whose module is marked slow (issue 35)."""

from evoscale.bookbuild import ROOT


def test_committed_compute_crosscheck_runs_match_the_current_cache_keys():
    """The runs committed before the ten-seed campaign that chapters still read are found under today's
    keys: the four pycma seeds of chapter 3's cross-check (also chapter 2's LunarLander row)."""
    from evoscale.experiments import run_path
    from evoscale.experiments.compute import params

    check = params({"profile": "book"}).crosscheck()
    where = ROOT / "results" / "book" / "runs"
    assert [c.seed for c in check.configs() if run_path(c, where).exists()][:4] == [0, 1, 2, 3]


def test_committed_parameter_cost_results_match_the_current_cache_key():
    from evoscale.experiments.cma_scaling import PROFILES, CostParams

    key = CostParams(profile="book", **PROFILES["book"]).key()
    assert (ROOT / "results" / "book" / "parameters" / f"cost-{key}.csv").exists()


def test_committed_workers_results_match_the_current_cache_keys():
    """Chapter 4's book profile renders its speedup measurements from results/book/ (it would time them
    on render otherwise); its island runs come from the campaign like every other run."""
    from evoscale.experiments import workers as wk

    p = wk.params({"profile": "book"})
    where = ROOT / "results" / "book" / "workers"
    for env in p.envs:
        for method in p.methods:
            name = f"speedup-{env.replace('/', '_')}-{method}-{p.speedup_key(env, method)}.csv"
            assert (where / name).exists(), f"book-profile speedup measurement missing: {name}"


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
    from evoscale.experiments import environments, environments_cost, pong, table_path

    p = environments.params({"profile": "book"})
    assert table_path(*environments_cost.cost_cache(p)).exists()
    assert table_path(*pong.first_points_cache("book", p.signal_samples)).exists()


def test_every_committed_result_verifies():
    """Each committed CSV counts: its sidecar holds the format version, row count and checksum
    (``python -m evoscale.runs migrate results/`` adds them to sidecars written before)."""
    from evoscale.store import load_run

    csvs = [p for p in (ROOT / "results").rglob("*.csv") if p.with_suffix(".json").exists()]
    assert csvs and not [p for p in csvs if load_run(p) is None]
