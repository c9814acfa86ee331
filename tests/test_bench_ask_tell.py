"""``bench ask-tell`` (issue 42, item 3): its settings are the chapters', its arithmetic, a tiny end-to-end run
(no timing meaning), and the chapter texts read from its JSON (absent, both verdicts, a bad file)."""

import json
import os
import pickle
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from evoscale.bench import ask_tell
from evoscale.bench.cma import _measure
from evoscale.bench.generation import split_update
from evoscale.experiments import cma_cost, cma_scaling, ray_speedup
from evoscale.experiments import workers as wk


def test_defaults_are_the_chapters_settings():
    book = ray_speedup.params({"profile": "book"})
    assert ask_tell.GENERATIONS == cma_scaling.params({"profile": "book"}).generations
    assert (ask_tell.WARMUP, ask_tell.POPSIZE, ask_tell.SEED) == (book.warmup_generations, book.popsize, book.seed)
    assert ask_tell.POPSIZE == cma_scaling.CostParams().popsize
    assert set(ask_tell.FACTORS) == set(ask_tell.VARIANTS) and len(set(ask_tell.FACTORS.values())) == 4


@pytest.mark.parametrize("kw, match", [(dict(rounds=0), "rounds"), (dict(warmup=-1), "warmup"),
                                       (dict(generations=1), "generations"), (dict(popsize=True), "popsize"),
                                       (dict(core=10_000), "core 10000")])
def test_bad_arguments(kw, match):
    with pytest.raises(ValueError, match=match):
        ask_tell.bench_ask_tell(**kw, log=lambda *a: None)


def test_bad_argument_on_the_command_line_is_one_line_exit_2():
    r = subprocess.run([sys.executable, "-m", "evoscale", "bench", "ask-tell", "--rounds", "0"], capture_output=True,
                       text=True, env={**os.environ, "PYTHONPATH": "src"})
    assert r.returncode == 2 and r.stderr.strip().count("\n") == 0 and "rounds" in r.stderr


def test_split_finds_the_decomposition_and_chapter_4_reads_its_table_through_it():
    s = split_update([1.0, 1.2, 0.8, 10.0, 1.0])
    assert (s["spikes"], s["steady"], s["generations"]) == (1, 1.0, 5)
    assert s["each"] == pytest.approx(9.0) and s["amortised"] == pytest.approx(2.8)
    assert s["decomposition"] == pytest.approx(1.8)
    df = pd.DataFrame({"env": "E", "method": "cmaes", "workers": [0] * 5 + [1] * 5,
                       "opt_s": [1.0, 1.2, 0.8, 10.0, 1.0] + [50.0] * 5})
    assert wk.update_split(df, "E", "cmaes") == s  # the Ray rows are not the driver's timing
    with pytest.raises(ValueError, match="at least one"):
        split_update([])


def _round(amortised, steady, decomposition):
    return {"amortised": amortised, "steady": steady, "decomposition": decomposition, "each": 9 * decomposition}


def test_ratios_are_paired_over_rounds_with_a_ci():
    rng = np.random.default_rng(1)
    base = 0.4 + 0.05 * rng.random(6)  # the machine's drift, shared by the round's variants
    per = {"chapter1": [_round(b, b / 3, 2 * b / 3) for b in base],
           "chapter4": [_round(2 * b, b / 3, 5 * b / 3) for b in base],
           "warm_synthetic": [_round(2 * b, b / 3, 5 * b / 3) for b in base],
           "fresh_evaluated": [_round(b, b / 3, 2 * b / 3) for b in base]}
    out = ask_tell.summarise(per, n_resamples=500)
    both = out["ratios"]["chapter4_over_chapter1"]
    assert both["amortised"]["ratio"] == pytest.approx(2) and both["amortised"]["per_round"] == pytest.approx([2] * 6)
    assert both["amortised"]["lo"] == pytest.approx(2) and both["amortised"]["hi"] == pytest.approx(2)
    assert both["steady"]["ratio"] == pytest.approx(1) and both["decomposition"]["ratio"] == pytest.approx(2.5)
    assert out["ratios"]["evaluation_warm"]["amortised"]["ratio"] == pytest.approx(1)
    assert out["medians"]["chapter1"]["amortised"] == pytest.approx(np.median(base))
    per["chapter4"] = [_round(a * f, a / 3, a) for a, f in zip(base, (1.5, 2.5, 2, 1.8, 2.2, 2))]
    r = ask_tell.summarise(per, n_resamples=500)["ratios"]["chapter4_over_chapter1"]["amortised"]
    assert r["lo"] < r["ratio"] < r["hi"]  # unequal per-round ratios: an interval around the point


def test_fresh_evaluated_needs_the_networks_n():
    with pytest.raises(ValueError, match="114 parameters, not n = 100"):
        _measure("pycma", 100, 4, 2, "cpu", False, 0, evaluate="CartPole-v1")


def test_a_warm_state_runs_pycmas_own_decompositions(tmp_path):
    from evoscale.trainers.cmaes import CMAES

    trainer = CMAES(114, 4, 0.5)
    state = trainer.init(0)
    for _ in range(2):
        population, state = trainer.ask(state)
        state = trainer.tell(state, population, -np.sum(population**2, axis=1))
    path = tmp_path / "warm.pkl"
    path.write_bytes(pickle.dumps(state))
    out = _measure("pycma", 114, 4, 3, "cpu", True, 0, state_path=str(path))
    assert len(out["ms_per_gen_all"]) == 3 and "eig_ms" not in out  # no forced decomposition on a warm state
    with pytest.raises(ValueError, match="114 parameters, not n = 50"):
        _measure("pycma", 50, 4, 3, "cpu", True, 0, state_path=str(path))


@pytest.mark.slow
def test_tiny_run_end_to_end():
    before = os.sched_getaffinity(0)
    d = ask_tell.bench_ask_tell(rounds=2, warmup=1, generations=2, popsize=4, env="CartPole-v1", n_resamples=200,
                                log=lambda *a: None)
    assert os.sched_getaffinity(0) == before  # the pin is undone
    assert d["n_params"] == 114 and d["core"] in before and d["orders"][0] != d["orders"][1]
    assert all(len(d["per_round"][v]) == 2 for v in ask_tell.VARIANTS)
    assert set(d["ratios"]) == set(ask_tell.RATIOS) and d["differences"] == ask_tell.DIFFERENCES
    for v in ("chapter4", "warm_synthetic"):  # one period after a dropped first generation
        assert all(r["generations"] == d["period_generations"] for r in d["per_round"][v])
    assert all(r["amortised"] > 0 for rows in d["per_round"].values() for r in rows)
    json.dumps(d, allow_nan=False)


# ---------------------------------------------------------------- the chapters' texts
def _stored(tmp_path, chapter4_factor, state_factor, rounds=6):
    """A JSON as the bench writes it (its own ``summarise``), with chosen effects."""
    base = 0.45 + 0.02 * np.random.default_rng(0).random(rounds)
    jitter = np.resize([1.02, 0.98], rounds)  # round-to-round noise whose median is 1
    per = {"chapter1": [_round(b, b / 4, 3 * b / 4) for b in base],
           "fresh_evaluated": [_round(b * j, b / 4, 3 * b / 4) for b, j in zip(base, jitter)],
           "warm_synthetic": [_round(state_factor * b, b / 4, (state_factor - 0.25) * b) for b in base],
           "chapter4": [_round(chapter4_factor * b * j, b / 4, (chapter4_factor - 0.25) * b)
                        for b, j in zip(base, jitter[::-1])]}
    d = {"machine": "test machine", "rounds": rounds, "n_params": 2788, "warmup_generations": 100,
         "period_generations": 9, **ask_tell.summarise(per, n_resamples=500)}
    (tmp_path / "bench").mkdir(exist_ok=True)
    (tmp_path / "bench" / cma_cost.ASK_TELL_JSON).write_text(json.dumps(d))
    return cma_cost.ask_tell_measured(tmp_path)


def test_without_a_measurement_the_text_says_so_and_how_to_measure(tmp_path):
    assert cma_cost.ask_tell_measured(tmp_path) is None
    t = cma_cost.ask_tell_reason(None, 1.9, 0.45, warmup_evals=6400)
    assert not t["measured"] and "not measured yet" in t["why"] and "make bench-ask-tell" in t["why"]
    assert "after 6,400 training evaluations" in t["why"] and "sets out what is measured" in t["ch1_note"]


def test_the_same_cost_on_an_idle_core_is_the_load(tmp_path):
    t = cma_cost.ask_tell_reason(_stored(tmp_path, 1.0, 1.0), stored_ratio=1.9, fit_s=0.46)
    assert t["measured"] and "cost the same" in t["why"] and "1.9× between the stored timings" in t["why"] and "load" in t["why"]
    assert "(test machine; 6 rounds, 2,788 parameters)" in t["why"] and "chapter 1's fit is" in t["why"]
    assert "costs the same there" in t["ch1_note"] and "where it costs more" not in t["ch1_note"]


def test_the_same_cost_with_chapter_1s_figure_below_its_own_loop_puts_the_gap_there(tmp_path):
    """Chapter 4's stored timing equals its idle value while chapter 1's figure is about half its own loop's
    idle cost: the gap lies in chapter 1's figure (a load could only have made it slower), not in a load."""
    d = _stored(tmp_path, 1.0, 1.0)
    m1, m4 = d["medians"]["chapter1"]["amortised"], d["medians"]["chapter4"]["amortised"]
    t = cma_cost.ask_tell_reason(d, stored_ratio=m4 / (0.54 * m1), fit_s=0.54 * m1)
    assert "cost the same; the difference of the" in t["why"] and "chapter 1's fit is 0.54× its direct" in t["why"] and "lies in chapter 1's figure (" in t["why"]
    assert "this chapter's stored timing" not in t["why"] and "load on the days" not in t["why"]
    assert "this table's figure at that size is 0.54×" in t["ch1_note"]


def test_a_persisting_difference_names_the_factor_that_carries_it(tmp_path):
    d = _stored(tmp_path, 1.5, 1.5)
    t = cma_cost.ask_tell_reason(d, stored_ratio=1.9)
    assert "comes from the trained state;" in t["why"]
    assert "episodes" not in t["why"].split("So ")[-1]  # the evaluation's CI holds 1
    assert "the rest of the 1.9× between the stored timings was the machine's load" in t["why"]
    both = d["ratios"]["chapter4_over_chapter1"]["amortised"]["ratio"]
    assert f": {both:.2f}× [" in t["why"] and "(95 % CI over rounds)" in t["why"] and f"it costs {both:.2f}× as much there" in t["ch1_note"]
    t = cma_cost.ask_tell_reason(_stored(tmp_path, 1.5, 1.0))
    assert t["why"].endswith("comes from the episodes between ask and tell") and "load" not in t["why"]


@pytest.mark.parametrize("text", ["{not json", json.dumps({"machine": "m"}), json.dumps([1, 2])])
def test_a_bad_file_is_one_line(tmp_path, text):
    (tmp_path / "bench").mkdir()
    (tmp_path / "bench" / cma_cost.ASK_TELL_JSON).write_text(text)
    with pytest.raises(ValueError, match="is not a `bench ask-tell` measurement") as err:
        cma_cost.ask_tell_measured(tmp_path)
    assert "\n" not in str(err.value) and "make bench-ask-tell" in str(err.value)
