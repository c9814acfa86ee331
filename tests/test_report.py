"""The book's formatting and verdict helpers (experiments.report): tables for readers, the one-line
verdicts of the intro and the chapters' openings, and the results' provenance line."""

import re

import numpy as np
import pandas as pd
import pytest

from evoscale.experiments import report


def test_table_names_columns_rounds_separates_thousands_and_explains_missing_values():
    df = pd.DataFrame(dict(env=["CartPole-v1", "ALE/Pong-v5"], method=["cmaes", "openai_es"],
                           raw_steps_per_s=[179454.274314, np.nan], loop_fraction=[0.125346, 0.041876],
                           runs=[True, False], n_params=[114, 11902]))
    t = report.table(df)
    assert list(t.frame.columns) == ["task", "method", "one raw env (steps/s)", "evaluator loop (% of time)",
                                     "run here", "parameters"]
    assert t.frame.iloc[0].tolist() == ["CartPole-v1", "CMA-ES (pycma)", "179,454", "13", "yes", "114"]
    assert t.frame.iloc[1].tolist() == ["ALE/Pong-v5", "OpenAI-ES", report.DASH, "4", "no", "11,902"]
    assert t.note.startswith(report.DASH) and "no value" in t.note
    html = t._repr_html_()
    assert "NaN" not in html and "loop_fraction" not in html and "table-note" in html


def test_table_without_missing_values_has_no_footnote_and_keeps_a_meaningful_index():
    df = pd.DataFrame({"lockstep": [52995.81, 60000.0]}, index=pd.Index([32, 64], name="popsize"))
    t = report.table(df)
    assert list(t.frame.columns) == ["population", "lockstep (steps/s)"] and t.note == ""
    assert t.frame["lockstep (steps/s)"].tolist() == ["52,996", "60,000"]


def test_table_refuses_an_identifier_it_cannot_name_but_passes_words():
    with pytest.raises(KeyError, match="no_such_column"):
        report.table(pd.DataFrame({"no_such_column": [1.0]}))
    assert list(report.table(pd.DataFrame({"s/eval (measured)": [0.123456]})).frame.iloc[0]) == ["0.12"]


@pytest.mark.parametrize("x, digits", [(179454.27, 0), (12.345, 0), (1.2345, 1), (0.0312, 3), (0.000523, 4),
                                       (0.0, 0), (np.nan, 0)])
def test_auto_digits_keeps_two_significant_digits_and_never_six_decimals(x, digits):
    assert report.auto_digits(x) == digits


def test_a_column_spanning_magnitudes_keeps_two_significant_digits_per_value():
    t = report.table(pd.DataFrame({"s/eval (measured)": [0.00213, 0.0757, 1.2834, 16.476, 1781.2]}))
    assert t.frame.iloc[:, 0].tolist() == ["0.0021", "0.076", "1.3", "16", "1,781"]


def test_an_empty_table_says_so():
    assert report.table(pd.DataFrame()).note == "No values stored yet."


VERDICT = report.Verdict("unresolved", "late minus early gain +1.2 [−3.0, +4.0] per 10K evaluations "
                         "(n = 10; 60 % of seeds gained more late)",
                         "the data could only have detected 12; about 40 seeds would resolve it")


def test_a_verdicts_long_form_is_its_word_number_and_reasons():
    assert str(VERDICT) == f"unresolved: {VERDICT.number}; {VERDICT.because}"
    with pytest.raises(ValueError, match="verdict word"):
        report.Verdict("likely", "1", "2")


def test_verdict_short_is_the_word_and_the_number_without_the_reasons():
    short = report.verdict_short(VERDICT)
    assert short == "unresolved: " + VERDICT.number  # the "(n = 10; ...)" inside the number stays whole
    assert len(short.split()) <= 25
    assert report.verdict_short(VERDICT, reason=True) == "unresolved: the data could only have detected 12"
    assert report.verdict_short(VERDICT, max_words=3) == "unresolved: late minus …"


def test_verdict_short_of_a_text_outside_the_vocabulary_keeps_its_first_clause_and_caps_words():
    assert report.verdict_short("CartPole-v1: 0.40× on 2 workers; ask + tell is 21 %") == "CartPole-v1: 0.40× on 2 workers"
    long = report.verdict_short(" ".join(["word"] * 40))
    assert len(long.split()) == 26 and long.endswith("…")


@pytest.mark.parametrize("words, expected", [(["unresolved", "unresolved"], "unresolved"),
                                             (["confirmed", "confirmed"], "confirmed"),
                                             (["confirmed", "unresolved", "confirmed"], "unresolved"),
                                             (["refuted", "refuted"], "refuted"),
                                             (["refuted", "unresolved"], "refuted"),
                                             (["refined", "unresolved"], "refined"),
                                             (["confirmed", "refuted", "unresolved"], "refined")])
def test_overall_combines_the_parts_words(words, expected):
    v = report.overall([report.Verdict(w, "x", "y") for w in words], "cells")
    assert v.word == expected and v.number.startswith(f"of {len(words)} cells: ")
    assert sum(int(k) for k in re.findall(r"(\d+) (?:confirmed|refuted|refined|unresolved)", v.number)) == len(words)


def test_provenance_names_profile_machine_and_the_newest_results_date(tmp_path, monkeypatch):
    monkeypatch.setenv("EVOSCALE_RESULTS", str(tmp_path))
    assert "none stored yet" in report.provenance("quick", [])
    (tmp_path / "quick" / "runs").mkdir(parents=True)
    (tmp_path / "quick" / "runs" / "a.csv").write_text("x\n")
    line = report.provenance("quick", ["AMD EPYC, 2 cores", "AMD EPYC, 2 cores", float("nan")])
    assert line.startswith("Results: profile quick (a fraction") and "ran on AMD EPYC, 2 cores;" in line
    assert re.search(r"newest result \d{4}-\d{2}-\d{2}\.$", line)


def test_a_table_wider_than_the_page_is_refused_and_tables_splits_it_under_captions():
    wide = pd.DataFrame({f"column {i}": [i] for i in range(report.MAX_COLUMNS + 1)})
    with pytest.raises(ValueError, match=r"8 columns does not fit the page \(at most 7\)"):
        report.table(wide)
    t = report.tables(wide.assign(method="ga"), ["method"], {"what ran": ["column 0", "column 1"],
                                                             "what it reached": [f"column {i}" for i in range(2, 8)]},
                      note="one note")
    assert [c for c, _ in t.parts] == ["what ran", "what it reached"]
    assert list(t.parts[0][1].frame.columns) == ["method", "column 0", "column 1"]
    assert list(t.parts[1][1].frame["method"]) == ["GA"] and t.parts[1][1].note == "one note" and not t.parts[0][1].note
    html = t._repr_html_()
    assert html.count("<table") == 2 and "what it reached" in html
    with pytest.raises(ValueError, match="in no part"):
        report.tables(wide, [], {"half": ["column 0"]})


def test_an_index_that_only_numbers_rows_is_not_shown():
    df = pd.DataFrame({"method": ["ga", "ppo"], "n": [1, 2]}).iloc[[1]]
    assert list(report.table(df).frame.columns) == ["method", "parameters"]


def test_a_per_seed_table_keeps_its_seed_column_even_when_the_seeds_are_0_to_n():
    df = pd.DataFrame({"seed": [0, 1, 2], "final": ["1", "2", "3"]}).set_index("seed")  # a named RangeIndex
    assert list(report.table(df).frame.columns) == ["seed", "final return"]
