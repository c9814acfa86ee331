"""The campaign: plan counts what is stored, run trains the missing runs once (the longest of a group
serves the shorter budgets), honours the hours limit and writes only complete files."""

import json
import subprocess
import sys

import pytest

from evoscale import campaign
from evoscale.runs import is_cached
from evoscale.store import save_run


@pytest.fixture
def store(tmp_path, monkeypatch):
    monkeypatch.setenv("EVOSCALE_RESULTS", str(tmp_path / "results"))
    monkeypatch.setenv("EVOSCALE_CHECKPOINTS", str(tmp_path / "ckpt"))
    return tmp_path / "results" / "smoke"


def test_units_train_the_longest_run_of_a_group_once(monkeypatch):
    from evoscale.experiments import fair_rivals

    # the chapters' earlier settings, whatever the committed tuning selects (the selected CMA-ES setting
    # of the small band is no longer chapter 3's, so its runs no longer serve chapter 5's cell)
    monkeypatch.setattr(fair_rivals, "_selection", lambda root: {})
    needs = campaign.needs("book", ["03", "05"])
    units = campaign.units(needs)
    assert len({u.config.key() for u in units}) == len(units)
    # chapter 3's 102,400-episode torch CMA-ES runs serve chapter 5's 30,720-episode cell
    assert len(units) == len({n.config.key() for n in needs}) - 10
    torch = [u for u in units if u.config.method == "torch_cmaes" and u.config.hidden == (64, 32)]
    assert {u.config.budget_evals for u in torch} == {102_400} and {u.priority for u in torch} == {1}
    assert [u.priority for u in units] == sorted(u.priority for u in units)


def test_plan_then_run_then_plan(store):
    before = campaign.plan("smoke", ["03"])
    assert before["done"].sum() == 0 and before["planned"].sum() == 4 and before["cpu_min_missing"].sum() > 0
    minutes = f"{before['cpu_min_missing'].sum():,.1f} CPU-minutes"  # smoke runs take seconds
    assert campaign.still_to_run("smoke", "03") == f"0 of 4 planned runs are stored; the other 4 are estimated at {minutes} (one core per run)"
    written = campaign.run("smoke", hours=1, chapters=["03"], processes=1, log=lambda *a: None)
    assert len(written) == 4
    after = campaign.plan("smoke", ["03"])
    assert after["done"].sum() == 4 and after["cpu_min_missing"].sum() == 0
    assert campaign.still_to_run("smoke", "03") == "all 4 planned runs are stored"
    assert not list(store.rglob("*.tmp"))
    for side in (store / "runs").glob("*.json"):
        assert json.loads(side.read_text())["key"] in side.name


def test_an_exhausted_hours_limit_starts_nothing(store):
    assert campaign.run("smoke", hours=1e-9, chapters=["03"], processes=1, log=lambda *a: None) == []
    with pytest.raises(ValueError, match="hours must be positive"):
        campaign.run("smoke", hours=0, chapters=["03"])


def test_a_run_that_would_outlast_the_end_waits_while_shorter_ones_start(store, monkeypatch):
    # seed 0's runs are estimated at 3 h, seed 1's at 1 s: with 1 h to the hard end only seed 1's start
    monkeypatch.setattr(campaign.CostModel, "seconds", lambda self, c, n: 3 * 3600.0 if c.seed == 0 else 1.0)
    said = []
    written = campaign.run("smoke", hours=1, chapters=["03"], processes=1, log=said.append, end_hours=1)
    assert len(written) == 2 and all("-s1-" in w for w in written)
    assert sum("left for the next campaign" in s for s in said) == 2  # once per waiting run
    assert campaign.plan("smoke", ["03"])["done"].sum() == 2
    with pytest.raises(ValueError, match="end_hours must be positive"):
        campaign.run("smoke", hours=1, chapters=["03"], end_hours=0)


def test_shorter_budgets_are_served_after_a_run(store):
    needs = campaign.needs("smoke", ["05"])
    campaign.run("smoke", hours=1, chapters=["05"], processes=1, log=lambda *a: None, max_runs=3)
    served = [n for n in needs if is_cached(n.config, store / n.store)]
    assert len(served) >= 3


@pytest.mark.ray
def test_ray_tasks_write_through_the_driver(store):
    pytest.importorskip("ray")
    written = campaign.run("smoke", hours=1, chapters=["03"], ray_address="local", log=lambda *a: None, max_runs=2)
    import ray

    ray.shutdown()
    assert len(written) == 2 and all((store / "runs" / w).exists() for w in written)


def test_cli_plan_prints_totals(store):
    r = subprocess.run([sys.executable, "-m", "evoscale", "campaign", "plan", "--profile", "smoke", "--chapters", "03"],
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    assert "CPU-hours missing" in r.stdout and json.loads(r.stdout.splitlines()[-1])["runs_planned"] == 4
    bad = subprocess.run([sys.executable, "-m", "evoscale", "campaign", "run", "--hours", "1", "--profile", "huge"],
                         capture_output=True, text=True, timeout=300)
    assert bad.returncode == 2 and "unknown profile 'huge'" in bad.stderr


def test_harvest_writes_the_shorter_run_out_of_a_longer_runs_checkpoint(store, monkeypatch):
    """A long run stopped in the middle still yields the shorter budgets it has passed, equal to
    those runs trained on their own (timing columns aside)."""
    import pandas as pd

    from evoscale.config import RunConfig
    from evoscale.runs import load_cached, run_cached
    from evoscale.train import train

    short = RunConfig(method="openai_es", env="CartPole-v1", hidden=(4,), popsize=8, budget_evals=64, test_every=32,
                      test_episodes=3, seed=5)
    long = short.replace(budget_evals=256)
    ckpt = campaign.checkpoint_dir() / f"{campaign.run_path(long, store / 'runs').stem}.pkl"
    ckpt.parent.mkdir(parents=True)

    def stop_after_gen_9(rec):
        if rec["generation"] == 9:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        train(long, callback=stop_after_gen_9, checkpoint=ckpt, checkpoint_every=5)  # saved after gen 9
    monkeypatch.setattr(campaign, "needs", lambda profile, chapters=None: [
        campaign.Need(1, "test", "short", short), campaign.Need(1, "test", "long", long)])
    assert campaign.harvest("smoke", log=lambda *a: None) == [campaign.run_path(short, store / "runs").name]
    harvested = load_cached(short, store / "runs")
    own = run_cached(short, store / "own")
    timing = ["wall_s", "opt_s", "pop_eval_s", "test_wall_s", "cpu_s", "peak_mem_gib", "machine"]
    pd.testing.assert_frame_equal(harvested.drop(columns=timing), own.drop(columns=timing), check_dtype=False)
    assert campaign.harvest("smoke", log=lambda *a: None) == []  # once stored, not again


def test_island_runs_of_chapter_4_are_planned_trained_and_read_back(store):
    from evoscale.experiments import workers as wk

    needs = campaign.needs("smoke", ["04"])
    p = wk.params({"profile": "smoke"})
    assert len(needs) == p.island_seeds and all(n.islands == p.island_spec().of(n.config) for n in needs)
    assert all(n.config.method == "torch_cmaes" and n.store == "workers" for n in needs)
    both = campaign.units(campaign.needs("smoke", ["03", "04"]))  # an island run never serves a single one
    assert sum(u.islands is not None for u in both) == p.island_seeds
    written = campaign.run("smoke", hours=1, chapters=["04"], processes=1, log=lambda *a: None)
    assert len(written) == p.island_seeds and all(w.startswith("islands-") for w in written)
    assert campaign.plan("smoke", ["04"])["done"].sum() == p.island_seeds
    finals = wk.island_finals(wk.run_islands(p, log=lambda *a: None), p.island_budget)
    assert len(finals["2 islands"]) == p.island_seeds


@pytest.mark.ray
def test_ray_trains_island_runs_too(store):
    pytest.importorskip("ray")
    written = campaign.run("smoke", hours=1, chapters=["04"], ray_address="local", log=lambda *a: None, max_runs=1)
    import ray

    ray.shutdown()
    assert len(written) == 1 and campaign.plan("smoke", ["04"])["done"].sum() == 1


def test_cost_model_prefers_a_runs_cpu_seconds_to_its_wall_clock(tmp_path):
    import pandas as pd

    def stored(name, **extra):
        row = dict(method="cmaes", env="CartPole-v1", n_params=100, evals=1000, env_steps=50_000, wall_s=90.0,
                   test_wall_s=10.0, **extra)
        save_run(tmp_path / f"{name}.csv", pd.DataFrame([row]), {})

    stored("old")  # before cpu_s was recorded: wall-clock, solved tests included
    assert campaign.CostModel(tmp_path).runs["s_per_unit"].tolist() == [0.1]
    stored("old", cpu_s=40.0)
    assert campaign.CostModel(tmp_path).runs["s_per_unit"].tolist() == [0.04]


def test_a_first_run_is_planned_from_its_chapters_measured_prior_not_a_fallback(store):
    import pandas as pd

    from evoscale.config import RunConfig
    from evoscale.experiments import backprop

    (store.parent / "book" / "runs").mkdir(parents=True)
    model = campaign.cost_model("book")  # an empty store: no run of either cell
    walker = RunConfig(method="openai_es", env="BipedalWalker-v3", budget_evals=12_800)
    ppo = RunConfig(method="ppo", env="BipedalWalker-v3", budget_steps=5_000_000)
    assert model.seconds(walker, 2804) == backprop.COST_PRIORS[("openai_es", "BipedalWalker-v3")] * 12_800
    assert model.seconds(ppo, 3812) == backprop.COST_PRIORS[("ppo", "BipedalWalker-v3")] * 5_000_000
    assert model.seconds(walker, 2804) > 3600  # the fallback (10 ms an episode) planned 4 minutes
    short = dict(method="ppo", env="BipedalWalker-v3", n_params=3812, evals=100, env_steps=200_000, wall_s=60.0,
                 test_wall_s=0.0, cpu_s=60.0)  # 0.3 ms a step: no gradient update in so few steps
    save_run(store.parent / "book" / "runs" / "short.csv", pd.DataFrame([short]), {})
    model = campaign.cost_model("book")
    assert len(model.runs) == 1 and model.seconds(ppo, 3812) == backprop.COST_PRIORS[("ppo", "BipedalWalker-v3")] * 5_000_000


def test_envs_selects_one_task_and_rejects_unknown_ones(store):
    every = campaign.plan("smoke", ["07"])
    flip = campaign.plan("smoke", ["07"], envs=["CartPoleFlip-v1"])
    assert set(every["cell"].str.split().str[1]) > {"CartPoleFlip-v1"}  # the smoke chapter has the bandit too
    assert set(flip["cell"].str.split().str[1]) == {"CartPoleFlip-v1"}
    assert flip["planned"].sum() == every[every["cell"].str.contains("CartPoleFlip-v1 ")]["planned"].sum()
    with pytest.raises(ValueError, match="unknown env 'CartPol-v1'.*'CartPole-v1'"):
        campaign.run("smoke", hours=1, chapters=["07"], envs=["CartPol-v1"], log=lambda *a: None)
    bad = subprocess.run([sys.executable, "-m", "evoscale", "campaign", "plan", "--profile", "smoke",
                          "--envs", "CartPol-v1"], capture_output=True, text=True, timeout=300)
    assert bad.returncode == 2 and "unknown env 'CartPol-v1'" in bad.stderr


def test_chapter_1s_extra_small_width_of_sep_cmaes_and_the_ga_waits_for_the_verdicts_runs():
    # a band's cells at its tuning's priority (small 1, medium 2, large 3: each band finished, tuning
    # then evaluation runs, before the next band's tuning); sep-CMA-ES and the GA at 973 parameters are
    # drawn in chapter 1 but in no verdict (5)
    prio = {}
    for n in campaign.needs("book", ["01"]):
        prio.setdefault((n.config.method, n.config.hidden), set()).add(n.priority)
    assert prio[("sepcmaes", (34, 17))] == prio[("ga", (34, 17))] == {5}
    assert prio[("torch_cmaes", (34, 17))] == prio[("openai_es", (34, 17))] == {1}
    assert prio[("sepcmaes", (64, 32))] == {1} and prio[("sepcmaes", (116, 58))] == {2}
    assert prio[("ga", (436, 218))] == {3}
    tuning_prio = {n.cell.split(":")[0]: n.priority for n in campaign.needs("book", ["tuning"])}
    assert tuning_prio == {"tuning small": 1, "tuning medium": 2, "tuning large": 3}


def test_cost_model_never_extrapolates_a_falling_cost_from_n_equal_to_one(tmp_path):
    import pandas as pd

    from evoscale.config import RunConfig

    def stored(name, n, cpu_s):
        row = dict(method="ga", env="LunarLander-v3", n_params=n, evals=30_720, env_steps=9e6, wall_s=cpu_s,
                   test_wall_s=0.0, cpu_s=cpu_s)
        save_run(tmp_path / f"{name}.csv", pd.DataFrame([row]), {})

    # a slow run at 2,788 parameters and one that crashed early at 8,066: the fitted slope is negative
    stored("a", 2788, 1600.0)
    stored("b", 8066, 270.0)
    c = RunConfig(method="ga", env="LunarLander-v3", budget_evals=30_720)
    geometric_mean = (1600.0 * 270.0) ** 0.5
    for n in (973, 8066, 100_066):
        assert campaign.CostModel(tmp_path).seconds(c, n) == pytest.approx(geometric_mean)
    stored("b", 8066, 3200.0)  # a rising cost is still a power law: twice the cost at 2.9x the size
    assert campaign.CostModel(tmp_path).seconds(c, 8066) == pytest.approx(3200.0)


def test_a_stored_run_with_a_non_number_is_named_once_and_counts_as_missing(store, caplog, monkeypatch):
    """One bad file (here "3072O" in a count column, its sidecar's checksum matching) blocks nothing:
    plan, the cost model and the cache read it as missing, and a warning names it. On CI (CI=true
    without FRESH) the same file is an error that names it in one line: CI never recomputes."""
    import pandas as pd

    from evoscale.runs import run_path, save_records
    from evoscale.store import UnverifiedResultError

    unit = campaign.units(campaign.needs("smoke", ["03"]))[0]
    gens = campaign.generations(unit.config)
    records = pd.DataFrame([dict(method=unit.config.method, env=unit.config.env, n_params=100, popsize=16, seed=0,
                                 generation=g, evals=str(16 * (g + 1)), env_steps=1000 * (g + 1), wall_s=1.0,
                                 test_wall_s=0.0, cpu_s=1.0, test_return=1.0) for g in range(gens)])
    records.loc[gens - 1, "evals"] = "3072O"
    path = save_records(unit.config, store / "runs", records)
    monkeypatch.setenv("CI", "true")
    monkeypatch.delenv("FRESH", raising=False)
    with pytest.raises(UnverifiedResultError, match="'3072O'") as err:
        is_cached(unit.config, store / "runs")
    assert path.name in str(err.value) and "\n" not in str(err.value)
    monkeypatch.delenv("CI")
    assert not is_cached(unit.config, store / "runs")
    assert campaign.CostModel(store / "runs").runs.empty
    plan = campaign.plan("smoke", ["03"])
    assert plan["done"].sum() == 0 and plan["cpu_min_missing"].sum() > 0
    warned = [r.getMessage() for r in caplog.records if path.name in r.getMessage()]
    assert len(warned) == 1 and "'3072O'" in warned[0] and "\n" not in warned[0]


def test_a_run_claimed_by_another_live_campaign_is_skipped(store):
    from evoscale.store import claim, release

    unit = campaign.units(campaign.needs("smoke", ["03"]))[0]
    lock = claim(campaign._path(unit, store))  # this process is alive: as if another campaign held it
    said = []
    try:
        assert campaign.run("smoke", hours=1, chapters=["03"], processes=1, log=said.append, max_runs=1) == []
    finally:
        release(lock)
    assert any("being trained by another campaign; skipped" in s for s in said)
    assert not list(store.rglob("*.csv")) and not list(store.rglob(".*.claim"))


def _partial_checkpoint(unit, store, stop_after: int):
    """A checkpoint of ``unit``'s run as a killed campaign leaves it, after generation ``stop_after``."""
    from evoscale.train import train

    ckpt = campaign.checkpoint_dir() / f"{campaign.run_path(unit.config, store).stem}.pkl"
    ckpt.parent.mkdir(parents=True, exist_ok=True)

    def stop(rec):
        if rec["generation"] == stop_after:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        train(unit.config.replace(progress=False), callback=stop, checkpoint=ckpt, checkpoint_every=1)
    return ckpt


def test_an_existing_checkpoint_is_resumed_below_the_threshold_and_orphans_are_cleaned(store, monkeypatch):
    unit = campaign.units(campaign.needs("smoke", ["03"]))[0]
    ckpt = _partial_checkpoint(unit, store, stop_after=3)
    blob = ckpt.read_bytes()
    monkeypatch.setattr(campaign.CostModel, "seconds", lambda self, c, n: 1.0)  # far below 2.5 minutes
    written = campaign.run("smoke", hours=1, chapters=["03"], processes=1, log=lambda *a: None, max_runs=1)
    assert written == [campaign._path(unit, store).name]
    assert not ckpt.exists()  # resumed, finished, removed (ignored, it stayed)
    assert campaign.orphan_checkpoints("smoke", ["03"]) == []
    ckpt.write_bytes(blob)  # as left by a run killed between its save and the checkpoint's removal
    assert campaign.orphan_checkpoints("smoke", ["03"]) == [ckpt]
    plan = subprocess.run([sys.executable, "-m", "evoscale", "campaign", "plan", "--profile", "smoke", "--chapters",
                           "03"], capture_output=True, text=True, timeout=300)
    assert f"orphaned checkpoint (its run is stored): {ckpt}" in plan.stdout
    clean = subprocess.run([sys.executable, "-m", "evoscale", "campaign", "clean-checkpoints", "--profile", "smoke",
                            "--chapters", "03"], capture_output=True, text=True, timeout=300)
    assert clean.returncode == 0 and not ckpt.exists() and json.loads(clean.stdout)["checkpoints_removed"] == 1


def test_a_campaign_trains_the_runs_its_tuning_pass_releases(store, monkeypatch):
    # the frontier's evaluation runs wait for their tuning pass; one campaign trains the pass, plans
    # again and trains them too, instead of leaving them to the next campaign
    from evoscale.experiments import fair_rivals

    lines, forgot = [], []
    waiting = [n for n in campaign.needs("smoke", ["frontier"]) if n.waits]
    assert waiting
    monkeypatch.setattr(campaign, "forget_stored", lambda: forgot.append(1))
    campaign.run("smoke", hours=1, chapters=["frontier"], processes=1, log=lines.append)
    assert any("the plan changed" in line for line in lines)
    assert forgot  # each re-plan first drops the studies' cached reads (the fair-rivals selection) ...
    fair_rivals.selected("openai_es", "small")
    assert fair_rivals._selection.cache_info().currsize >= 1  # other tests' results folders may be cached too
    from evoscale.experiments import progress

    progress.forget_stored()
    assert fair_rivals._selection.cache_info().currsize == 0  # ... so a band tuned meanwhile is seen
    plan = campaign.plan("smoke", ["frontier"])
    assert (plan["done"] == plan["planned"]).all() and not plan["cell"].str.contains("waits for").any()
