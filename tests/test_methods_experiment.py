import math
import re

import numpy as np
import pandas as pd
import pytest

from evoscale.experiments import methods
from evoscale.experiments.methods import (BANDS, GRID_ROWS, PROFILES, SIZE_NAMES, WIDTH_ROWS, config, crossover_n,
                                          per_seed, plan, ppo_configs, summarise)
from evoscale.experiments.methods_verdicts import NEUROMOD_SCOPE, verdicts


def _params(profile="book", **kw):
    return methods.params({"profile": profile, **kw})


@pytest.mark.parametrize("profile", ["book", "full"])
def test_grid_sizes_lie_in_their_bands_for_every_method(profile):
    cells = plan(_params(profile, ram_gib=1e9))
    assert set(cells["row"]) == set(GRID_ROWS) and set(cells["size"]) == set(SIZE_NAMES)
    for c in cells.itertuples():
        lo, hi = BANDS[c.size]
        assert lo <= c.n < hi and c.band == c.size
    assert cells.loc[(cells["row"] == "sepcmaes") & (cells["size"] == "small"), "n"].item() == 2_788  # seed's net


def test_seeds_follow_the_profile_and_the_science_rules():
    # >= 10 seeds for the headline comparisons (below 50K parameters), >= 5 wherever a CI is shown
    assert _params("book").seed_list() == list(range(10))
    assert len(_params("book").seed_list("large")) >= 5
    assert len(_params("full").seed_list()) >= 10
    assert _params("book", seeds=[7, 9]).seed_list() == [7, 9]


def test_width_sweep_reuses_the_grid_configs_of_chapter_5():
    p = _params("book", ram_gib=1e9)
    grid = {config(p, c.row, c.hidden, s).key() for c in plan(p).itertuples() for s in p.seed_list()}
    width = plan(p, part="width")
    assert set(width["row"]) == set(WIDTH_ROWS)
    shared = width[width["size"].isin(SIZE_NAMES)]
    assert len(shared) == len(WIDTH_ROWS) * len(SIZE_NAMES)
    assert all(config(p, c.row, c.hidden, s).key() in grid for c in shared.itertuples() for s in p.seed_list())
    assert width["n"].min() < 2_000  # the extra width reaches down to ~1K


def test_cma_row_uses_the_chosen_implementation_and_method_hyper():
    # tuned=False: the chapter's own settings, whatever the committed tuning runs have selected
    p = _params("book", tuned=False)
    assert config(p, "cmaes", "64,32", 0).method == "torch_cmaes"
    assert config(_params("book", cma_method="cmaes", tuned=False), "cmaes", "64,32", 0).method == "cmaes"
    ga = config(_params("book", ga_truncation=5, ga_elites=2, tuned=False), "ga", "64,32", 0)
    assert dict(ga.hyper) == {"truncation": 5, "elites": 2}
    assert dict(config(p, "neuromod", "64,32", 0).hyper) == {"lr": p.es_lr}


def test_ppo_configs_are_the_shared_env_step_runs():
    from evoscale.config import RunConfig

    p = _params("book")
    assert [c.key() for c in ppo_configs(p)] == [
        RunConfig(method="ppo", env="LunarLander-v3", budget_steps=3_000_000, test_every=100_000,
                  test_episodes=100, seed=s).key()
        for s in range(10)]


def test_expensive_cma_cells_are_planned_but_not_run():
    cost = pd.DataFrame({"method": ["torch_cmaes"] * 2 + ["evaluation"] * 2, "n": [1e3, 1e4] * 2,
                         "amortised_ms_per_gen": [1.0, 100.0, 500.0, 500.0], "peak_mib": [10.0, 1000.0, np.nan, np.nan]})
    cells = plan(_params("book", ram_gib=24.0), cost).set_index(["row", "size"])
    assert cells.loc[("cmaes", "small"), "runs"] and not cells.loc[("cmaes", "large"), "runs"]
    # 1000 MiB at 1e4 -> ~10.5 bytes/entry; at 52K parameters ~26 GiB > 24
    assert cells.loc[("cmaes", "large"), "predicted_gib"] > 24
    assert cells.loc[("openai_es", "large"), "runs"] and math.isnan(cells.loc[("openai_es", "large"), "predicted_s"])


@pytest.mark.parametrize("bad, match", [({"popsiz": 3}, "popsiz"), ({"profile": "huge"}, "profile"),
                                        ({"sizes": ["8,4"]}, "sizes"), ({"cma_method": "pycma"}, "cma_method")])
def test_parameters_are_strict(bad, match):
    with pytest.raises((TypeError, ValueError), match=match):
        methods.params({"profile": "book", **bad})


def test_smoke_profile_declares_only_known_parameters():
    for prof in PROFILES.values():
        assert set(prof) <= {f for f in methods.MethodsParams.__dataclass_fields__}


def _records(cells: dict) -> pd.DataFrame:
    """Synthetic records: per (row, size) a list of per-seed solved-test curves [(evals, return), ...]."""
    rows = []
    for (row, size), seeds in cells.items():
        for seed, curve in enumerate(seeds):
            for i, (evals, ret) in enumerate(curve):
                rows.append(dict(row=row, size=size, band=size, seed=seed, n_params=1000, evals=evals,
                                 env_steps=100 * evals, wall_s=float(i), test_return=ret, machine="m"))
    return pd.DataFrame(rows)


def test_summaries_on_synthetic_records():
    df = _records({("cmaes", "small"): [[(100, 0.0), (200, 250.0), (300, 150.0)],
                                        [(100, 210.0), (200, 220.0), (300, 230.0)],
                                        [(100, -50.0), (200, -20.0), (300, 10.0)]]})
    seeds = per_seed(df, 200.0)
    assert seeds["final"].tolist() == [150.0, 230.0, 10.0]
    assert seeds["best"].tolist() == [250.0, 230.0, 10.0]
    assert seeds["evals_to"].tolist()[:2] == [200.0, 100.0] and math.isnan(seeds["evals_to"].iloc[2])
    s = summarise(df, 200.0).iloc[0]
    assert s["reached"] == 2 and s["seeds"] == 3
    assert s["final"] == pytest.approx(np.mean([10, 150, 230]))  # IQM of 3 values: trim 0.75 each end
    assert s["final_lo"] <= s["final"] <= s["final_hi"]
    # the seed that never reached 200 counts at its budget of 300 evaluations (a Kaplan-Meier median):
    # dropping it gave 150
    assert s["evals_to"] == pytest.approx(200.0) and s["steps_to"] == pytest.approx(20_000.0)


def _summary(cells: dict) -> pd.DataFrame:
    rows = [dict(row=r, size=z, final=v, final_lo=lo, final_hi=hi) for (r, z), (v, lo, hi) in cells.items()]
    return pd.DataFrame(rows)


def test_crossover_is_interpolated_in_log_n_and_reports_none_in_range():
    def seeds(diffs):
        rows = []
        for n, d in diffs.items():
            for s in range(3):
                rows += [dict(row="cmaes", n=n, seed=s, best=100.0 + d), dict(row="openai_es", n=n, seed=s, best=100.0)]
        return pd.DataFrame(rows)

    c = crossover_n(seeds({1_000: 10.0, 10_000: -10.0}), n_boot=50)
    assert c["n"] == pytest.approx(math.sqrt(1_000 * 10_000)) and c["frac_inside"] == 1.0
    assert c["lo"] == pytest.approx(c["n"]) and c["hi"] == pytest.approx(c["n"])
    assert math.isnan(crossover_n(seeds({1_000: 10.0, 10_000: 5.0}), n_boot=20)["n"])
    assert crossover_n(seeds({1_000: -1.0, 10_000: -5.0}), n_boot=20)["n"] == -math.inf


# --- verdicts in the book's vocabulary, on synthetic per-seed results --------------------------------

def _seeds(spec: dict, n: int = 10, first: float = -200.0, sd: float = 5.0, rng_seed: int = 0) -> pd.DataFrame:
    """spec: (row, size) -> mean final return; sizes map to parameter counts as in the book."""
    rng = np.random.default_rng(rng_seed)
    ns = {"small": 2_788, "medium": 8_066, "large": 51_619}
    return pd.DataFrame([dict(row=r, size=z, seed=s, n=ns[z], final=m + rng.normal(0, sd), first=first, wall_s=600.0)
                         for (r, z), m in spec.items() for s in range(n)])


def _cells(rows=("cmaes", "openai_es", "ga", "neuromod", "sepcmaes"), too_expensive=()):
    return pd.DataFrame([dict(row=r, size=z, runs=(r, z) not in too_expensive, predicted_s=36_000.0,
                              predicted_gib=80.0) for r in rows for z in SIZE_NAMES])


def test_verdicts_cover_every_branch():
    spec = {("cmaes", "small"): 300, ("openai_es", "small"): 100, ("ga", "small"): 0, ("neuromod", "small"): 250,
            ("cmaes", "medium"): 350, ("openai_es", "medium"): 100, ("ga", "medium"): 400, ("neuromod", "medium"): 50,
            ("openai_es", "large"): 260, ("ga", "large"): 100, ("neuromod", "large"): -200}
    v = verdicts(_seeds(spec), _cells(too_expensive={("cmaes", "large")}))
    assert v[("cmaes", "small")].word == "confirmed"       # dominant, resolved
    assert v[("openai_es", "small")].word == "refuted"     # okay = solves it: its CI lies below 200
    assert v[("ga", "small")].word == "confirmed"          # bad: others resolved better
    assert v[("cmaes", "medium")].word == "refuted"        # degraded: better than at small
    assert v[("openai_es", "medium")].word == "refuted"    # dominant, but GA resolved better
    assert v[("ga", "medium")].word == "refuted"           # bad, but best
    assert v[("cmaes", "large")].word == "confirmed" and v[("cmaes", "large")].number.startswith("predicted 10.0 h and 80 GiB")
    assert v[("neuromod", "medium")].word == "refined"     # untested: a resolved test places it
    assert all(v[("neuromod", z)].because.endswith(NEUROMOD_SCOPE) for z in ("small", "medium", "large"))
    assert v[("neuromod", "small")].word == "confirmed"    # promising = solves it: CI above 200
    assert v[("openai_es", "large")].word == "confirmed"   # feasible = solves it at 51K
    cheap = _cells(too_expensive={("cmaes", "large")}).assign(predicted_s=3_000.0, predicted_gib=1.0)
    assert verdicts(_seeds(spec), cheap)[("cmaes", "large")].word == "refuted"  # under 10 x 600 s and the RAM
    near = verdicts(_seeds({("openai_es", "small"): 200, ("cmaes", "small"): 200}, sd=40.0), _cells())
    assert near[("openai_es", "small")].word == "unresolved" and near[("openai_es", "small")].number.endswith("(n = 10)")
    # every unresolved cell says what would resolve it: the detectable difference at 80 % power and the seeds
    assert "at 80 % power" in near[("openai_es", "small")].because
    assert "seeds would resolve the observed one" in near[("openai_es", "small")].because
    assert "seeds a side would resolve the observed difference" in near[("cmaes", "small")].because
    untried = verdicts(_seeds({("cmaes", "small"): 200}), _cells(too_expensive={("openai_es", "large")}))
    assert untried[("openai_es", "large")].because.startswith("not tested: not run here; 5 seeds at this size")


def test_verdicts_unresolved_below_five_seeds_and_for_ties():
    few = verdicts(_seeds({("cmaes", "small"): 200, ("openai_es", "small"): 100}, n=3), _cells(),
                        planned={("cmaes", "small"): 10})
    assert few[("cmaes", "small")].word == "unresolved" and few[("cmaes", "small")].number.endswith("(n = 3 of 10)")
    assert few[("cmaes", "small")].because.endswith("10 seeds would let the test decide it")
    tie = verdicts(_seeds({("cmaes", "small"): 100, ("openai_es", "small"): 100, ("ga", "small"): 100},
                               sd=80.0), _cells())
    assert tie[("cmaes", "small")].word == "unresolved" and tie[("ga", "small")].word == "unresolved"


def test_p_best_sums_to_one_per_column():
    from evoscale.experiments.methods import p_best

    pb = p_best(_seeds({("cmaes", "small"): 200, ("openai_es", "small"): 100, ("ga", "small"): 0}), n_boot=200)
    assert np.isclose(pb.sum(), 1.0) and pb[("cmaes", "small")] == 1.0


def test_width_verdict_states_the_claim_and_the_crossover():
    from evoscale.experiments.methods_verdicts import width_verdict

    rng = np.random.default_rng(0)
    rows = [dict(row=r, n=n, seed=s, final=m + rng.normal(0, 5))
            for n, (mc, mo) in {973: (200, 100), 2_788: (150, 100), 8_066: (50, 100)}.items()
            for r, m in (("cmaes", mc), ("openai_es", mo)) for s in range(10)]
    w = width_verdict(pd.DataFrame(rows))
    assert w["verdict"].word == "refuted" and "8,066" in w["verdict"].because
    assert 2_788 < w["crossover"]["n"] < 8_066
    rows = [dict(row=r, n=n, seed=s, final=m + rng.normal(0, 5)) for n in (973, 2_788, 8_066)
            for r, m in (("cmaes", 200), ("openai_es", 100)) for s in range(10)]
    assert width_verdict(pd.DataFrame(rows))["verdict"].word == "confirmed"
    rows = [dict(row=r, n=n, seed=s, final=100 + (n == 973) * (r == "cmaes") * 20 + rng.normal(0, 40))
            for n in (973, 2_788) for r in ("cmaes", "openai_es") for s in range(10)]
    v = width_verdict(pd.DataFrame(rows))["verdict"]  # unresolved: what would resolve the nearest comparison
    assert v.word == "unresolved" and v.because.startswith("no size resolved; at ") and "parameters, the data could only" in v.because
    assert "at 80 % power" in v.because and "seeds a side would resolve the observed difference" in v.because


def test_width_beyond_judges_openai_es_against_the_methods_that_ran_above_10k():
    from evoscale.experiments.methods_verdicts import width_beyond

    rng = np.random.default_rng(1)

    def seeds(means, n_seeds=10):
        return pd.DataFrame([dict(row=r, n=n, seed=s, final=m + rng.normal(0, 5))
                             for (r, n), m in means.items() for s in range(n_seeds)])

    small = {("cmaes", 2_788): 300, ("openai_es", 2_788): 0}  # below the limit: not part of this half
    win = {("openai_es", 51_619): 200, ("sepcmaes", 51_619): 100, ("ga", 51_619): 50, **small}
    v = width_beyond(seeds(win))
    assert v["verdict"].word == "confirmed" and "2,788" not in str(v["verdict"])
    assert set(v["table"]["other"]) == {"sepcmaes", "ga"}
    assert v["verdict"].number.count(" parameters ") == 2  # both comparisons in its number
    lost = width_beyond(seeds({**win, ("ga", 100_066): 300, ("openai_es", 100_066): 100}))
    assert lost["verdict"].word == "refuted" and "at 100,066 parameters" in lost["verdict"].number
    mixed = width_beyond(seeds({("openai_es", 51_619): 200, ("sepcmaes", 51_619): 200, ("ga", 51_619): 50}))
    assert mixed["verdict"].word == "refined" and "vs GA at 51,619 parameters" in mixed["verdict"].number
    tie = width_beyond(seeds({("openai_es", 51_619): 100, ("ga", 51_619): 100}))
    assert tie["verdict"].word == "unresolved" and "(n = 10 vs 10)" in tie["verdict"].number
    few = width_beyond(seeds(win, n_seeds=5))  # the declared minimum is 10 seeds a side (claim d1.above)
    assert few["verdict"].word == "unresolved" and few["verdict"].number.startswith("no width above 10,000")
    assert width_beyond(seeds(small))["verdict"].word == "unresolved"


def test_width_claim_joins_both_halves_into_one_verdict():
    from evoscale.experiments.methods_verdicts import width_beyond, width_claim, width_verdict
    from evoscale.experiments.report import verdict_short

    rng = np.random.default_rng(2)

    def seeds(means):
        return pd.DataFrame([dict(row=r, n=n, seed=s, final=m + rng.normal(0, 5))
                             for (r, n), m in means.items() for s in range(10)])

    above = {("openai_es", 51_619): 200, ("sepcmaes", 51_619): 100, ("ga", 51_619): 150}
    lost_below = seeds({("cmaes", 2_788): 100, ("openai_es", 2_788): 200, **above})
    claim = width_claim(width_verdict(lost_below), width_beyond(lost_below))
    v = claim
    assert v.word == "refined" and v.number.startswith("up to 10K refuted, IQM difference CMA-ES − OpenAI-ES at 2,788")
    assert "above 10K confirmed, OpenAI-ES − GA at 51,619 parameters +" in v.number  # the smaller of 2 differences
    assert v.number.endswith("the smallest of 2 differences") and not verdict_short(claim, 60).endswith("…")
    won_below = seeds({("cmaes", 2_788): 300, ("openai_es", 2_788): 200, **above})
    assert width_claim(width_verdict(won_below), width_beyond(won_below)).word == "confirmed"
    only_below = seeds({("cmaes", 2_788): 300, ("openai_es", 2_788): 200})
    v = width_claim(width_verdict(only_below), width_beyond(only_below))
    assert v.word == "unresolved" and "above 10K unresolved, no width above 10,000" in v.number


def test_a_cell_resolved_alone_is_unresolved_in_the_tables_holm_family():
    from evoscale.experiments.methods import cell_values
    from evoscale.experiments.methods_verdicts import family_table, tests
    from evoscale.stats import compare

    rows = ("cmaes", "openai_es", "ga", "neuromod", "sepcmaes")
    spec = {(r, z): 100 for r in rows for z in SIZE_NAMES if not (r == "cmaes" and z == "large")}
    spec[("cmaes", "small")] = 135
    seeds = _seeds(spec, sd=30.0, rng_seed=0)
    v = cell_values(seeds)
    alone = [compare(v[("cmaes", "small")], v[(r, "small")]) for r in rows[1:]]
    assert all(c["resolved"] for c in alone)  # each comparison alone: CMA-ES "dominant" would be confirmed
    F = tests(seeds, repeats=20)
    assert len(F) == 10 + 10 + 6 + 3 + 1  # pairs per column, three "solves" cells, one "degraded"
    verdict = verdicts(seeds, _cells(too_expensive={("cmaes", "large")}), F=F)[("cmaes", "small")]
    assert verdict.word == "unresolved" and verdict.number.endswith("(n = 10)")
    table = family_table(F)
    assert (table["Holm-adjusted p"] >= table["raw p"]).all() and set(table["resolved after Holm"]) <= {"yes", "no", "borderline"}


def test_chapter_1s_halves_share_one_family():
    from evoscale.experiments.methods_verdicts import width_beyond, width_tests, width_verdict

    rng = np.random.default_rng(0)
    rows = [dict(row=r, n=n, seed=s, final=m + rng.normal(0, 40))
            for n, (mc, mo) in {973: (100, 100), 2_788: (100, 135), 8_066: (100, 100)}.items()
            for r, m in (("cmaes", mc), ("openai_es", mo)) for s in range(10)]
    rows += [dict(row=r, n=n, seed=s, final=m + rng.normal(0, 40)) for n in (51_619, 100_066)
             for r, m in (("openai_es", 100), ("sepcmaes", 100), ("ga", 100)) for s in range(10)]
    seeds = pd.DataFrame(rows)
    F = width_tests(seeds, repeats=20)
    assert set(F) == {("below", 973), ("below", 2_788), ("below", 8_066), ("above", 51_619, "sepcmaes"),
                      ("above", 51_619, "ga"), ("above", 100_066, "sepcmaes"), ("above", 100_066, "ga")}
    alone, holm = width_verdict(seeds), width_verdict(seeds, F=F)
    assert alone["verdict"].word == "refuted"  # 2,788 resolved on its own
    assert holm["verdict"].word == "unresolved" and "Holm-adjusted p = " in holm["verdict"].number
    assert width_beyond(seeds, F=F)["verdict"].word == "unresolved"
    # the chapter shows the family: each test's raw and Holm-adjusted p-value, in readers' words
    from evoscale.experiments.judging import family_table
    from evoscale.experiments.methods_verdicts import width_family_names

    extra = {("solves", "lowrank_es", 1_000_000): lambda s: 0.5, ("low-rank vs full", 100_066): lambda s: 0.5}
    F = width_tests(seeds, repeats=5, extra=extra)
    names = width_family_names(F, 200.0, {"lowrank_es": "low-rank ES"})
    assert names[("below", 2_788)] == "2,788 parameters: CMA-ES − OpenAI-ES, against 0"
    assert names[("solves", "lowrank_es", 1_000_000)] == "1,000,000 parameters: low-rank ES's final return, against 200"
    assert names[("low-rank vs full", 100_066)] == "100,066 parameters: low-rank ES − OpenAI-ES, against 0"
    table = family_table(F, names)
    assert len(table) == len(F) == 9 and (table["Holm-adjusted p"] >= table["raw p"]).all()


def test_a_stored_runs_chapter_shows_the_earlier_setting_until_the_selected_ones_runs_are_stored(tmp_path,
                                                                                                 monkeypatch):
    """Between a band's tuning finishing and the campaign storing the runs with its selection, the
    book profile shows the earlier setting's stored runs (labelled so), never a hole; the campaign's
    configs are the selected ones throughout."""
    from evoscale.experiments import fair_rivals, tuning
    from evoscale.runs import run_many

    monkeypatch.setenv("EVOSCALE_RESULTS", str(tmp_path))
    monkeypatch.setattr(fair_rivals, "_selection", lambda root: {("sepcmaes", "small"): tuning.GRIDS["sepcmaes"][3]})
    monkeypatch.setattr(fair_rivals, "selected", lambda row, band, env="": fair_rivals._selection("").get((row, band)))
    p = _params("smoke", tuned=True, train_missing=False, sizes=["4,2", "8,4", "60,60"])
    earlier = _params("smoke", tuned=False, train_missing=False, sizes=["4,2", "8,4", "60,60"])
    cells = plan(p)
    cells = cells[(cells["row"] == "sepcmaes") & (cells["size"] == "small")]
    target = [c for _, c in methods.configs(p, cells)]
    before = [c for _, c in methods.configs(earlier, cells)]
    assert {c.sigma0 for c in target} == {tuning.GRIDS["sepcmaes"][3]["sigma0"]} != {c.sigma0 for c in before}
    where = tmp_path / "smoke" / "runs"

    def how():
        t = methods.settings_table(p)
        return t.loc[(t["Method"] == "sep-CMA-ES") & (t["Band"] == "small"), "How it was chosen"].item()

    # nothing stored: the selected setting (its runs show as missing)
    assert [c for _, c in methods.configs(p, cells, shown=True)] == target and how() == "selected by the tuning rule"
    run_many(before, where, processes=1, log=lambda *a: None)
    assert [c for _, c in methods.configs(p, cells, shown=True)] == before and how() == methods.STILL_TRAINING
    assert set(methods.run(p, cells, log=lambda *a: None)["seed"]) == set(p.seed_list())
    assert [c for _, c in methods.configs(p, cells)] == target  # what the campaign trains
    run_many(target[:1], where, processes=1, log=lambda *a: None)  # half-way: still the earlier runs
    assert [c for _, c in methods.configs(p, cells, shown=True)] == before
    run_many(target, where, processes=1, log=lambda *a: None)
    assert [c for _, c in methods.configs(p, cells, shown=True)] == target and how() == "selected by the tuning rule"


def test_before_and_after_tuning_says_which_runs_each_word_rests_on(tmp_path, monkeypatch):
    from evoscale.experiments import fair_rivals, methods_verdicts, tuning
    from evoscale.runs import run_many

    monkeypatch.setenv("EVOSCALE_RESULTS", str(tmp_path))
    chosen = {("openai_es", "small"): tuning.GRIDS["openai_es"][0], ("ga", "small"): tuning.BOOK["ga"]}
    monkeypatch.setattr(fair_rivals, "selected", lambda row, band, env="": chosen.get((row, band)))
    p = _params("smoke", tuned=True, train_missing=False)
    cells = plan(p)
    small = cells[(cells["size"] == "small") & cells["row"].isin(["openai_es", "ga"])]
    earlier = _params("smoke", tuned=False, train_missing=False)
    where = tmp_path / "smoke" / "runs"
    run_many([c for _, c in methods.configs(earlier, small)], where, processes=1, log=lambda *a: None)

    def after(label):
        t = methods_verdicts.before_after(p, cells, None).set_index(["Method", "Size"])
        return t.loc[(label, "small"), "Verdict after tuning"], t.loc[(label, "medium"), "Verdict after tuning"]

    assert after("OpenAI-ES") == ("runs with the selected setting still training", "tuning not complete")
    every = methods_verdicts.before_after(p, cells, None).set_index(["Method", "Size"])
    assert len(every) == len(cells)  # every tuned cell, sep-CMA-ES too: tuned like the others, rated by no claim
    assert every.loc[("sep-CMA-ES", "small"), "The design note's word"] == "–"
    assert after("GA")[0].endswith("(the rule kept the earlier setting)")
    large = methods_verdicts.before_after(p, cells, None).set_index(["Method", "Size"]).loc[("CMA-ES", "large")]
    assert large["Verdict after tuning"] == f"{large['Verdict before tuning']} ({fair_rivals.NOT_TUNED['cmaes', 'large']})"
    monkeypatch.setattr(methods_verdicts, "MIN_SEEDS", 2)  # smoke's 2 seeds show an IQM and a change
    table = methods_verdicts.before_after(p, cells, None)
    assert methods_verdicts.transfer_text(table).startswith("No cell has all its runs with a changed setting")
    assert table.set_index(["Method", "Size"]).loc[("GA", "small"), "Change, after − before [95 % CI]"] == \
        "0 (the same runs)"
    run_many([c for _, c in methods.configs(p, small)], where, processes=1, log=lambda *a: None)
    word = after("OpenAI-ES")[0]
    assert word in ("confirmed", "refuted", "refined", "unresolved")
    table = methods_verdicts.before_after(p, cells, None)
    row = table.set_index(["Method", "Size"]).loc[("OpenAI-ES", "small")]
    assert row["Change, after − before [95 % CI]"].endswith("(n = 2 vs 2)")
    assert " → " in row["Final return (IQM), before → after"] and "–" not in row["Final return (IQM), before → after"]
    text = methods_verdicts.transfer_text(table)
    assert text.startswith("Cells whose changed setting has all its runs stored: 1 (OpenAI-ES small).")
    assert "excludes 0 in 0 of them;" in text or re.search(r"excludes 0 in 1 of them \(OpenAI-ES small, (lower|higher)\);", text)


def test_the_best_of_each_size_column_is_named_with_its_probability():
    pb = pd.Series({("openai_es", "small"): 0.97, ("cmaes", "small"): 0.03, ("ga", "medium"): 0.6,
                    ("openai_es", "medium"): 0.4})
    from evoscale.experiments import methods_verdicts

    assert methods_verdicts.best_text(pb) == "small: OpenAI-ES (0.97); medium: GA (0.60); large: not enough seeds yet"
    assert methods_verdicts.best_text(pd.Series(dtype=float)).count("not enough seeds yet") == 3
