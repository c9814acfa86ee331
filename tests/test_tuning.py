"""The fair-rivals tuning protocol: equal effort per method and band, disjoint seeds, selection by rule."""

import math

import numpy as np
import pandas as pd
import pytest

from evoscale import campaign
from evoscale.experiments import fair_rivals, methods, tuning
from evoscale.runs import run_cached


def test_every_method_gets_the_same_number_of_runs_in_every_band():
    configs = tuning.configs("book")
    counts = pd.DataFrame([(row, band) for row, band, _, _ in configs], columns=["row", "band"]).value_counts()
    assert set(counts) == {tuning.SETTINGS * len(tuning.TUNING_SEEDS)} == {48}
    for band in ("small", "medium"):
        assert {r for r, b in counts.index if b == band} == set(tuning.ROWS)
    assert {r for r, b in counts.index if b == "large"} == set(tuning.ROWS) - {"cmaes"}  # not run at large
    assert len({c.key() for *_, c in configs}) == len(configs) == 14 * 48


def test_grids_hold_the_books_setting_and_only_distinct_log_spaced_values():
    tuning.check_grids()
    for row, grid in tuning.GRIDS.items():
        steps = sorted({s["sigma0"] for s in grid})
        assert len(steps) >= 4
        ratios = np.exp(np.diff(np.log(steps)))
        assert (ratios > 1.3).all() and (ratios < 3.2).all() and steps[-1] / steps[0] >= 8  # a log scale
        assert any(math.isclose(x, tuning.BOOK[row]["sigma0"]) for x in steps)
        book = methods.method_settings(methods.params({"profile": "book"}), row)
        assert tuning.BOOK[row]["sigma0"] == book["sigma0"] and tuning.BOOK[row].get("hyper") == book.get("hyper")
    assert {h["lr"] for h in (s["hyper"] for s in tuning.GRIDS["openai_es"])} == {0.003, 0.01, 0.03, 0.1}
    assert {bool((s["hyper"] or {}).get("active")) for s in tuning.GRIDS["cmaes"]} == {False, True}


def test_tuning_seeds_are_none_of_the_evaluation_seeds():
    P = methods.params({"profile": "book"})
    assert not set(tuning.TUNING_SEEDS) & (set(P.seed_list()) | set(P.seed_list("large")))


def test_the_books_setting_in_the_grid_is_the_stored_evaluation_runs_configuration():
    # the grid's book setting at the evaluation budget and seed is exactly chapter 5's untuned run
    # (tuned=False: whatever the committed tuning runs have selected)
    P = methods.params({"profile": "book", "tuned": False})
    for row, band, i, c in tuning.configs("book"):
        if tuning._setting_key(tuning.GRIDS[row][i]) == tuning._setting_key(tuning.BOOK[row]) and c.seed == 100:
            ev = methods.config(P, row, tuning.SIZES[band], 0)
            assert c.replace(budget_evals=ev.budget_evals, seed=0) == ev


def _runs(scores, cpu=None, stored=None):
    """A synthetic tuning table: one (row, band), settings 0..k-1, three seeds each."""
    rows = []
    for i, finals in enumerate(scores):
        for j, f in enumerate(finals):
            rows.append(dict(row="sepcmaes", band="small", setting=i, seed=100 + j, final=f,
                             cpu_s=(cpu or [1.0] * len(scores))[i],
                             stored=True if stored is None else stored[i]))
    return pd.DataFrame(rows)


def test_selection_takes_the_best_iqm_and_breaks_ties_by_cost():
    sel = tuning.select(_runs([[10, 20, 30], [100, 0, 200], [50, 60, 70]]))
    assert sel.loc[0, "setting"] == 1 and sel.loc[0, "score"] == pytest.approx(100.0) and sel.loc[0, "complete"]
    tie = tuning.select(_runs([[10, 20, 30], [20, 20, 20]], cpu=[5.0, 3.0]))
    assert tie.loc[0, "setting"] == 1  # equal IQM: the cheaper
    tie = tuning.select(_runs([[10, 20, 30], [20, 20, 20]], cpu=[3.0, 5.0]))
    assert tie.loc[0, "setting"] == 0


def test_a_band_with_a_missing_run_is_not_decided():
    sel = tuning.select(_runs([[10, 20, 30], [100, 90, math.nan]], stored=[True, False]))
    assert not sel.loc[0, "complete"] and sel.loc[0, "setting"] == -1 and not sel.loc[0, "changed"]
    table = tuning.selection_table(tuning.select(_runs([[10, 20, 30], [100, 90, math.nan]], stored=[True, False])))
    assert table.loc[0, "Selected setting"] == "not yet: runs missing"


def test_a_selection_at_an_end_of_its_grid_is_flagged():
    grid = tuning.GRIDS["openai_es"]
    corner = next(i for i, s in enumerate(grid) if s["sigma0"] == 0.1 and s["hyper"]["lr"] == 0.1)
    inner = next(i for i, s in enumerate(grid) if s["sigma0"] == 0.05 and s["hyper"]["lr"] == 0.03)
    assert fair_rivals.at_edge("openai_es", corner) == ["the largest σ", "the largest lr"]
    assert fair_rivals.at_edge("openai_es", inner) == []
    assert fair_rivals.at_edge("sepcmaes", 0) == ["the smallest σ0"]  # 0.5 x 2^-5, the grid's first
    actives = [i for i, s in enumerate(tuning.GRIDS["cmaes"]) if (s["hyper"] or {}).get("active")]
    assert fair_rivals.at_edge("cmaes", actives[1]) == []  # a switch (active CMA) has no edge
    # the selection table and the sentence: the best of settings 0..2 is the grid's smallest σ0
    sel = tuning.select(_runs([[100, 90, 80], [10, 20, 30], [0, 0, 0]]))
    assert tuning.selection_table(sel).loc[0, "At the grid's edge"] == "the smallest σ0"
    assert tuning.edge_text(sel).startswith("1 of the 1 selections made so far sits at an edge of its grid: "
                                            "sep-CMA-ES, small band (the smallest σ0 tried).")
    inside = tuning.select(_runs([[10, 20, 30], [100, 90, 80]]))
    assert tuning.edge_text(inside).startswith("None of the 1 selections")
    undecided = tuning.select(_runs([[10, 20, 30], [1, 2, math.nan]], stored=[True, False]))
    assert tuning.edge_text(undecided).startswith("No band's")


def test_a_cells_missing_runs_wait_for_their_bands_tuning(monkeypatch):
    def grid_needs():
        return [n for n in campaign.needs("book", ["05"]) if n.config.method != "ppo"]

    monkeypatch.setattr(fair_rivals, "_selection", lambda root: {})  # no band's tuning complete
    needs = grid_needs()
    bands = {hidden: band for band, hidden in tuning.SIZES.items()}
    assert needs and all(n.waits == f"the {bands[','.join(map(str, n.config.hidden))]} band's tuning" for n in needs)
    assert not [n for n in campaign.units([n for n in campaign.needs("book", ["05"]) if n.waits is None])
                if n.config.method != "ppo"]  # the campaign leaves them; PPO's runs do not wait
    # every band decided (here: the book's own settings): nothing waits, and the configs are the same
    chosen = {(row, band): tuning.BOOK[row] for row in tuning.ROWS for band in tuning.SIZES}
    monkeypatch.setattr(fair_rivals, "_selection", lambda root: chosen)
    assert [n.config for n in grid_needs()] == [n.config for n in needs]
    assert all(n.waits is None for n in grid_needs())


def test_the_plan_prices_the_re_runs_a_pending_tuning_may_cause(monkeypatch):
    from evoscale.experiments import progress

    monkeypatch.setattr(fair_rivals, "_selection", lambda root: {})  # no band's tuning complete
    monkeypatch.setattr(progress, "need_stored", lambda n, root: n.config.seed < 5)  # seeds 0-4 stored
    runs, hours = progress.contingent("book", ["05"])
    cells = {(n.config.method, n.config.hidden) for n in campaign.needs("book", ["05"]) if n.waits}
    assert runs == 5 * len(cells) and hours > 0  # every stored seed of every undecided cell, once
    both, _ = progress.contingent("book", ["01", "05"])
    assert runs < both < runs + progress.contingent("book", ["01"])[0]  # a run both chapters read counts once
    chosen = {(row, band): tuning.BOOK[row] for row in tuning.ROWS for band in tuning.SIZES}
    monkeypatch.setattr(fair_rivals, "_selection", lambda root: chosen)  # every band decided
    assert progress.contingent("book", ["01", "05"]) == (0, 0)


def test_the_campaign_plans_the_tuning_runs_first():
    needs = campaign.needs("book", ["tuning"])
    assert len(needs) == len(tuning.configs("book")) and {n.chapter for n in needs} == {"tuning"}
    others = campaign.needs("book", ["05"])
    assert max(n.priority for n in needs if "small" in n.cell) <= min(n.priority for n in others)
    assert campaign.needs("smoke", ["tuning"]) == []  # CI's profile trains no tuning grid


def test_stored_smoke_runs_feed_the_table_selection_and_figure(tmp_path, monkeypatch):
    monkeypatch.setenv("EVOSCALE_RESULTS", str(tmp_path))
    configs = [c for row, band, i, c in tuning.configs("smoke") if row == "sepcmaes" and band == "small"]
    for c in configs[:4]:
        run_cached(c, tmp_path / "smoke" / "runs")
    runs = tuning.table("smoke")
    assert runs["stored"].sum() == 4 and np.isfinite(runs.loc[runs["stored"], "final"]).all()
    assert (runs.loc[runs["stored"], "machine"] != "").all()
    sel = tuning.select(runs)
    assert not sel["complete"].any()
    fig = tuning.sensitivity(runs)
    assert len(fig.axes) == len(tuning.ROWS)  # only the small band has stored runs: one column, no empty one
    with pytest.raises(ValueError, match="profiles"):
        tuning.configs("quick")


def test_grid_values_are_printed_for_readers():
    text = " ".join(tuning.protocol()["Step size tried"]) + " " + " ".join(
        tuning.setting_label(r, s) for r, g in tuning.GRIDS.items() for s in g)
    import re

    assert not re.search(r"\d\.\d{5,}", text)  # the book's tables refuse six-decimal floats
    assert "0.0031" in text and "mutation 0.0031, 1 elite" in text


def test_chapters_use_a_bands_selection_only_once_its_tuning_is_complete(monkeypatch, tmp_path):
    from evoscale.experiments import methods

    monkeypatch.setenv("EVOSCALE_RESULTS", str(tmp_path))  # an empty store: no earlier runs stand in

    P = methods.params({"profile": "book"})
    # nothing complete (a partial campaign): the book's settings
    monkeypatch.setattr(fair_rivals, "_selection", lambda root: {})
    before = methods.config(P, "sepcmaes", "64,32", 0)
    assert before == methods.config(P, "sepcmaes", "64,32", 0).replace()  # deterministic
    assert before.sigma0 == P.cma_sigma
    how = methods.settings_table(P).set_index(["Method", "Band"])["How it was chosen"]
    # full CMA-ES at the large width is never tuned, and says why instead of waiting for a tuning
    assert how.loc[("CMA-ES", "large")] == "the book's earlier setting (not tuned: full CMA-ES at this width is too " \
        "expensive to tune)"
    assert set(how.drop(("CMA-ES", "large"))) == {methods.NOT_COMPLETE}
    # the small band's tuning complete: sep-CMA-ES small takes the selection, a new run (new key)
    chosen = {("sepcmaes", "small"): tuning.GRIDS["sepcmaes"][3], ("cmaes", "small"): tuning.GRIDS["cmaes"][10]}
    monkeypatch.setattr(fair_rivals, "_selection", lambda root: chosen)
    after = methods.config(P, "sepcmaes", "64,32", 0)
    assert after.sigma0 == tuning.GRIDS["sepcmaes"][3]["sigma0"] and after.key() != before.key()
    assert methods.config(P, "sepcmaes", "116,58", 0).sigma0 == P.cma_sigma  # medium: not complete
    cma = methods.config(P, "cmaes", "64,32", 0)
    assert cma.method == "torch_cmaes" and dict(cma.hyper) == {"active": True}
    table = methods.settings_table(P)
    assert (table["How it was chosen"] == "selected by the tuning rule").sum() == 2
    smoke = methods.params({"profile": "smoke"})
    assert not smoke.tuned and methods.config(smoke, "sepcmaes", "4,2", 0).sigma0 == smoke.cma_sigma
