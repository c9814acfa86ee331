"""Dimension 1 beyond 100K parameters (issue 39): the runs the campaign plans, the tuning pass before
the evaluation runs, the bench-based cost model and the 'fits in 3 hours' rule."""

import math

import numpy as np
import pandas as pd
import pytest

from evoscale import campaign
from evoscale.experiments import frontier as f
from evoscale.experiments import frontier_table as ft
from evoscale.runs import run_many


@pytest.fixture
def store(tmp_path, monkeypatch):
    monkeypatch.setenv("EVOSCALE_RESULTS", str(tmp_path / "results"))
    monkeypatch.setenv("EVOSCALE_CHECKPOINTS", str(tmp_path / "ckpt"))
    return tmp_path / "results"


def bench(lowrank=(1e-3, 1e-2, 1e-1), full=(4e-3, 4e-2, 4e-1), popsize=64):
    """A synthetic ``bench lowrank`` JSON at 100K, 1M and 10M parameters."""
    sizes = {}
    for i, n in enumerate((100_000, 1_000_000, 10_000_000)):
        sizes[str(n)] = dict(n_params=n, forward_s=dict(batch=lowrank[i], lowrank=lowrank[i], full=full[i]),
                             setup_s=dict(batch=0.0, lowrank=0.0, full=0.0))
    return dict(popsize=popsize, sizes=sizes)


def test_book_widths_and_the_same_tuning_effort_for_both_es():
    p = f.params({"profile": "book"})
    assert [f.n_params(h) for h in p.full_rank] == [300_259, 999_955]
    assert f.n_params("436,218") == 100_066  # chapter 1's widest network: its stored full-rank runs compare
    assert max(f.n_params(h) for h in p.low_rank) > 9_000_000
    tune = f.tuning_configs(p)
    per = pd.Series([m for m, _, _ in tune]).value_counts()
    assert set(per.index) == set(f.ES) and per.nunique() == 1 and per.iloc[0] == 9  # 3 rates x 3 seeds
    assert all(c.seed >= 100 and c.budget_evals == 10_240 and f.n_params(c.hidden) == 999_955 for _, _, c in tune)
    assert f.params({"profile": "full"}) == p  # quick and full read the book's runs


def test_the_evaluation_runs_wait_for_their_tuning_pass_then_take_its_choice(store):
    p = f.params({"profile": "smoke"})
    needs = f.needs(p)
    waiting = [c for _, _, c, waits in needs if waits]
    assert waiting and {c.method for c in waiting} == set(f.ES)
    assert "wait for the tuning pass" in f.pending(p)
    # the campaign's runner trains only what is ready: the tuning pass and PPO, never a waiting run
    ready = campaign.units([n for n in campaign.needs("smoke", ["frontier"]) if n.waits is None])
    assert {u.config.key() for u in ready}.isdisjoint({c.key() for c in waiting})
    tune = [c for _, _, c in f.tuning_configs(p)]
    run_many(tune, store / "smoke" / "runs", processes=1, log=lambda *a: None)
    lrs = f.selected_lrs(p)
    assert set(lrs) == set(f.ES) and all(lr in p.tune_lrs for lr in lrs.values())
    ready, still = f.evaluation_configs(p)
    assert not still and f.pending(p) == ""
    for part, c in ready:
        if part == "es":
            assert dict(c.hyper)["lr"] == lrs[c.method] and c.seed < 100
    assert {dict(c.hyper)["net_arch"] for part, c in ready if part == "ppo"} == {tuple(map(int, h.split(",")))
                                                                                 for h in p.ppo}


def test_the_selection_is_the_fair_rivals_rule():
    p = f.params({"profile": "book"})
    rows = [dict(method=m, lr=lr, seed=s, final=final, cpu_s=1.0, stored=True)
            for m, finals in (("openai_es", (50, 120, 80)), ("lowrank_es", (10, 10, 200)))
            for lr, final in zip(p.tune_lrs, finals) for s in p.tune_seeds]
    runs = pd.DataFrame(rows)
    assert f.selected_lrs(p, runs) == {"openai_es": 0.01, "lowrank_es": 0.03}
    runs.loc[0, ["stored", "final"]] = [False, math.nan]  # one run missing: that method is not decided
    assert f.selected_lrs(p, runs) == {"lowrank_es": 0.03}


def test_the_widest_low_rank_network_runs_only_if_predicted_to_fit(store, monkeypatch):
    p = f.params({"profile": "book"})
    widest = list(p.low_rank)[-1]
    cheap, dear = bench(), bench(lowrank=(1e-3, 1e-2, 1.0))
    hours = f.predicted_hours("lowrank_es", widest, p, cheap, episodes=(300.0, 0.01))
    # 480 generations x (0.1 s x 300 steps + 64 x 0.01 s) at ~10M parameters
    assert hours == pytest.approx(480 * (0.1 * 9_998_199 / 1e7 * 300 + 0.64) / 3600, rel=0.01)
    assert f.predicted_hours("openai_es", widest, p, cheap, episodes=(300.0, 0.01)) > 3 * hours
    assert f.predicted_hours("lowrank_es", widest, p, dear, episodes=(300.0, 0.01)) > p.max_run_hours
    assert math.isnan(f.predicted_hours("lowrank_es", widest, p, episodes=(300.0, 0.01)))  # no bench stored
    assert widest in f.fitting_low_rank(p)  # nothing measured: the bench decides once it exists
    (store / "bench").mkdir(parents=True)
    import json

    (store / "bench" / "lowrank.json").write_text(json.dumps(dear))
    assert widest in f.fitting_low_rank(p)  # no stored runs to read the episode length from
    monkeypatch.setattr(f, "stored_episodes", lambda p: (300.0, 0.01))
    assert widest not in f.fitting_low_rank(p) and len(f.fitting_low_rank(p)) == len(p.low_rank) - 1
    (store / "bench" / "lowrank.json").write_text(json.dumps(bench(lowrank=(1e-4, 1e-3, 1e-2))))
    assert widest in f.fitting_low_rank(p)  # 480 x (0.01 s x 300 + 0.64 s): half an hour


def test_a_model_prior_wins_far_beyond_the_stored_widths():
    runs = pd.DataFrame(dict(method="openai_es", env="LunarLander-v3", n=[1_000, 10_000], budget=30_720,
                             s_per_unit=[0.01, 0.02]))
    model = campaign.CostModel(priors={("openai_es", "LunarLander-v3"): lambda n: 1e-6 * n})
    model.runs = runs
    from evoscale.config import RunConfig

    c = RunConfig(method="openai_es", env="LunarLander-v3", budget_evals=30_720)
    near = model.seconds(c, 15_000) / 30_720
    assert 0.02 < near < 0.03  # within twice the widest stored run: the fit
    assert model.seconds(c, 1_000_000) / 30_720 == pytest.approx(1.0)  # far beyond: the model
    nan = campaign.CostModel(priors={("openai_es", "LunarLander-v3"): lambda n: math.nan})
    nan.runs = runs
    assert 0.02 < nan.seconds(c, 1_000_000) / 30_720 < 1.0  # a prior without its inputs: the fit


def test_the_campaign_plan_prices_the_waiting_runs():
    plan = campaign.plan("book", ["frontier"])
    waits = plan[plan["cell"].str.contains("waits for")]
    assert len(waits) and (waits["cpu_min_missing"] > 0).all()
    assert np.isfinite(plan["cpu_min_missing"]).all()


def _seeds(rows):
    return pd.DataFrame([dict(method=m, width=w, seed=i, final=v, hours=0.1, s_per_gen=1.0, machine="test box")
                         for m, w, vals in rows for i, v in enumerate(vals)])


def test_the_limit_verdicts_answer_where_the_es_stops():
    from evoscale.experiments import methods_verdicts

    ok, fail = [250, 260, 270, 255, 265], [20, 30, 25, 35, 28]
    seeds = _seeds([("openai_es", 300_259, ok), ("openai_es", 999_955, fail), ("lowrank_es", 999_955, ok),
                    ("lowrank_es", 2_999_779, [240, 250, 260])])
    F = methods_verdicts.width_tests(pd.DataFrame(columns=["row", "n", "final"]),
                                     extra=f.p_values(seeds, np.array([]), 200.0))
    v = f.limit_verdict(seeds, "openai_es", [300_259, 999_955], 200.0, F)
    assert v.word == "refuted" and "stops solving the task at 999,955" in v.because
    v = f.limit_verdict(seeds, "lowrank_es", [999_955, 2_999_779], 200.0, F)
    assert v.word == "unresolved" and "2,999,779 with fewer than 5 seeds" in v.because  # 3 seeds: shown, not judged
    v = f.limit_verdict(seeds, "lowrank_es", [999_955], 200.0, F)
    assert v.word == "confirmed"
    v = f.limit_verdict(seeds, "openai_es", [3_000_000, 10_000_000], 200.0, F)  # nothing stored: said once
    assert (v.word, v.number) == ("unresolved", "no runs yet at 3,000,000 or 10,000,000 parameters")
    assert v.because == f"{f.MIN_N} seeds at each width would let the test decide it"


def test_the_low_rank_es_against_full_rank_at_chapter_1s_widest_network():
    from evoscale.claims import CLAIMS
    from evoscale.experiments import methods_verdicts

    claim = next(c for c in CLAIMS if c.id == "d1.lowrank_equal")
    assert f"±{f.EQUAL_MARGIN:g}" in claim.confirmed  # the margin is declared once, in the claim's words
    full = np.array([250.0, 252, 248, 251, 249, 250])
    for low, word in (([250.0, 251, 249, 250, 252, 248], "confirmed"), ([150.0, 152, 148, 151, 149, 150], "refuted"),
                      ([300.0, 301, 299, 302, 298, 300], "refined"), ([150.0, 350, 250, 100, 400, 250], "unresolved")):
        seeds = _seeds([("lowrank_es", f.WIDEST_FULL, low)])
        F = methods_verdicts.width_tests(pd.DataFrame(columns=["row", "n", "final"]),
                                         extra=f.p_values(seeds, full, 200.0))
        assert f.equal_verdict(seeds, full, F, f.EQUAL_MARGIN).word == word
    assert f.equal_verdict(_seeds([]).reindex(columns=["method", "width", "seed", "final"]), full, {},
                           f.EQUAL_MARGIN).word == "unresolved"


def test_the_table_shows_a_predicted_time_until_a_width_has_runs(store, monkeypatch):
    import json

    p = f.params({"profile": "book"})
    empty = _seeds([("openai_es", 1, [0.0])]).iloc[:0]  # no stored run at any planned width
    assert set(ft.table(p, empty)["One-core hours per run"]) == {"–"}  # no bench: nothing to predict from
    (store / "bench").mkdir(parents=True)
    (store / "bench" / "lowrank.json").write_text(json.dumps(bench()))
    monkeypatch.setattr(f, "stored_episodes", lambda p: (300.0, 0.01))
    t = ft.table(p, empty).set_index(["Method", "Parameters"])
    hidden = list(p.low_rank)[1]  # 1M parameters (the widest does not fit this synthetic bench's 3 hours)
    widest = f"{f.n_params(hidden, p.env):,}"
    hours = f.predicted_hours("lowrank_es", hidden, p, bench(), episodes=(300.0, 0.01))
    row = t.loc[("low-rank ES", widest)]
    assert row["One-core hours per run"] == f"{ft.PREDICTED}{hours:.2f}"
    assert row["Seconds per generation"].startswith(ft.PREDICTED)
    assert float(row["Seconds per generation"][len(ft.PREDICTED):]) == pytest.approx(
        hours * 3600 / (p.budget_evals / p.popsize), rel=0.05)  # two significant digits
    assert (t.loc["PPO", "One-core hours per run"] == "–").all()  # PPO: no bench ppo-widths, no prediction
    measured = _seeds([("lowrank_es", int(widest.replace(",", "")), [10.0, 20.0, 30.0])])
    assert ft.table(p, measured).set_index(["Method", "Parameters"]).loc[
        ("low-rank ES", widest), "One-core hours per run"] == "0.10"  # a stored run: measured, not predicted
    row = ft.table(p, measured).set_index(["Method", "Parameters"]).loc[("low-rank ES", widest)]
    assert row["Memory, measured (GiB)"] == "–" and row["Memory, predicted (GiB)"].startswith(ft.PREDICTED)
    row = ft.table(p, measured.assign(mem=[0.5, 0.7, 0.9])).set_index(["Method", "Parameters"]).loc[
        ("low-rank ES", widest)]
    assert row["Memory, measured (GiB)"] == "0.7"  # the median over the seeds of each run's peak, 2 digits


def test_each_seeds_peak_memory_is_its_runs_peak():
    records = pd.DataFrame(dict(method="lowrank_es", width=100, seed=0, test_return=[np.nan, 10.0, 20.0],
                                wall_s=[1.0, 2.0, 3.0], cpu_s=[1.0, 2.0, 3.0], test_wall_s=0.0, machine="test box",
                                peak_mem_gib=[0.2, 0.5, 0.4]))
    assert f.per_seed(records)["mem"].tolist() == [0.5]
    assert np.isnan(f.per_seed(records.drop(columns="peak_mem_gib"))["mem"]).all()  # stored before it was recorded


def test_chapter_1s_figure_shows_the_widths_beyond_100k_once_runs_are_stored():
    import matplotlib.pyplot as plt

    from evoscale.experiments import methods_figures

    seeds = pd.DataFrame({"row": "openai_es", "size": "s", "n": 2788, "seed": range(5), "final": 200.0,
                          "machine": "here"})
    cells = pd.DataFrame({"row": ["openai_es"], "n": [2788], "runs": [True]})
    rows = [dict(method=m, width=w, seed=s, final=150.0 + s, hours=1.0, s_per_gen=1.0, machine="there")
            for m, w, k in (("openai_es", 999_955, 5), ("lowrank_es", 9_998_199, 3), ("ppo", 999_955, 3))
            for s in range(k)]

    def labels(frontier):
        fig = methods_figures.width_figure(seeds, cells, {"crossover": {}}, 200.0, frontier)
        out = [t.get_text() for t in fig.legends[0].get_texts()] if fig.legends else \
            [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
        plt.close(fig)
        return out

    before = labels(None)
    assert before == labels(pd.DataFrame(rows[:0], columns=list(rows[0])))  # nothing beyond 100K: as it was
    after = labels(pd.DataFrame(rows))
    assert "OpenAI-ES, two equal layers" in after and "low-rank ES (rank 1) (each seed, < 5 seeds)" in after
    assert not any("PPO" in x for x in after) and set(before) < set(after)  # PPO's own budget: table only


def test_ppo_at_the_frontier_is_priced_by_its_own_network(store, monkeypatch):
    # PPO's runs are sized by the network they train (its net_arch), and priced from the stored zoo
    # runs' seconds per env step times bench ppo-widths' ratio at that size
    import json

    from evoscale.bench import ppo_widths
    from evoscale.config import RunConfig
    from evoscale.experiments import progress
    from evoscale.store import save_run

    c = RunConfig(method="ppo", env="LunarLander-v3", budget_steps=1_000_000, hyper={"net_arch": [993, 993]})
    zoo = RunConfig(method="ppo", env="LunarLander-v3", budget_steps=3_000_000)
    n = progress.n_params(c)
    assert n == 2 * (8 * 993 + 993 + 993 * 993 + 993) + 993 * 4 + 4 + 993 + 1  # actor and critic, not 2,788
    assert progress.n_params(zoo) == 9_797  # what the stored zoo runs' records say
    p = f.params({"profile": "book"})
    assert ("ppo", p.env) not in f.cost_prior(p)  # neither the bench nor a stored zoo run: no prior
    runs = store / "book" / "runs"
    runs.mkdir(parents=True)
    row = dict(method="ppo", env="LunarLander-v3", n_params=9_797, evals=5_000, env_steps=3_000_000, wall_s=1.0,
               test_wall_s=0.0, cpu_s=1_200.0)  # 0.4 ms a step
    save_run(runs / "ppo-LunarLander-v3-s0-aaaaaaaaaaaa.csv", pd.DataFrame([row]), {"method": "ppo"})
    save_run(runs / "ppo-LunarLander-v3-s1-bbbbbbbbbbbb.csv", pd.DataFrame([{**row, "cpu_s": 9e9}]),
             {"method": "ppo", "hyper": {"net_arch": [8, 8]}})
    assert ppo_widths.stored_zoo_seconds("LunarLander-v3", runs) == pytest.approx(4e-4)  # net_arch runs left out
    bench_json = dict(rows=[dict(net_arch="zoo", n_params=9_797, s_per_step=1e-3, ratio_to_zoo=1.0),
                            dict(net_arch="993,993", n_params=n, s_per_step=4e-3, ratio_to_zoo=4.0)])
    path = ppo_widths.bench_path(store, "LunarLander-v3")
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps(bench_json))
    for other in runs.glob("*-s1-*"):
        other.unlink()
    prior = f.cost_prior(p)[("ppo", p.env)]
    assert prior(n) == pytest.approx(1.6e-3) and prior(9_797) == pytest.approx(4e-4)
    model = campaign.cost_model("book")
    assert model.seconds(c, n) == pytest.approx(1_600.0)  # far beyond the zoo's 9,797: the prior
    assert model.seconds(zoo, 9_797) == pytest.approx(1_200.0)  # the zoo's own size: the stored runs
    table = ft.table(p, _seeds([("openai_es", 1, [0.0])]).iloc[:0]).set_index(["Method", "Parameters"])
    assert table.loc[("PPO", "999,955"), "One-core hours per run"] == f"{ft.PREDICTED}0.44"  # 1.6 ms x 1M steps


def test_bench_ppo_widths_times_each_network_against_the_zoos(tmp_path):
    import json
    import subprocess
    import sys

    out = tmp_path / "pw.json"
    r = subprocess.run([sys.executable, "-m", "evoscale", "bench", "ppo-widths", "--env", "CartPole-v1",
                        "--net-archs", "8,8", "--steps", "256", "--rounds", "1", "--out", str(out)],
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-2000:]
    rows = {row["net_arch"]: row for row in json.loads(out.read_text())["rows"]}
    assert set(rows) == {"zoo", "8,8"} and rows["zoo"]["ratio_to_zoo"] == 1.0
    assert rows["8,8"]["n_params"] == (4 * 8 + 8 + 8 * 8 + 8 + 8 * 2 + 2) + (4 * 8 + 8 + 8 * 8 + 8 + 8 + 1)
    assert rows["8,8"]["s_per_step"] > 0
    bad = subprocess.run([sys.executable, "-m", "evoscale", "bench", "ppo-widths", "--env", "CartPole-v1",
                          "--rounds", "0"], capture_output=True, text=True, timeout=300)
    assert bad.returncode != 0 and "rounds must be at least 1" in bad.stderr
