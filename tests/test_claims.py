"""Claims as data: every claim of the design note and every open question is declared once, with one
test, and the book's page "How each claim is judged" is exactly what the declarations render."""

from pathlib import Path

import pytest

from evoscale import claims
from evoscale.experiments.report import WORDS

ROOT = Path(__file__).resolve().parents[1]


def test_the_committed_page_is_the_declarations_rendered():
    assert (ROOT / "book" / "claims.md").read_text() == claims.render_page(), (
        "book/claims.md is stale: run `python -m evoscale.claims --write book/claims.md`")


def test_every_dimension_and_open_question_is_declared_with_one_test():
    chapters = {c.chapter for c in claims.CLAIMS}
    assert chapters == {"01_parameters", "02_environments", "03_compute", "04_workers", "05_methods",
                        "06_backprop_vs_evolution", "07_plasticity", "08_gpu"}
    ids = [c.id for c in claims.CLAIMS]
    assert len(ids) == len(set(ids))
    cells = [c for c in claims.CLAIMS if c.id.startswith("d5.") and c.id != "d5"]
    assert len(cells) == 12  # the design note's method table
    for c in claims.CLAIMS:
        assert c.min_n >= 1 and c.statistic and c.null and c.family and c.applied
        words = " ".join(v for k, v in vars(c).items() if isinstance(v, str) and k not in ("id", "chapter"))
        assert not any(code in words for code in ("openai_es", "torch_cmaes", "sepcmaes", "recurrent_ppo")), c.id


def test_bad_declarations_are_refused_in_one_line():
    good = claims.CLAIMS[0]
    with pytest.raises(ValueError, match="duplicate claim ids"):
        claims._check([good, good])
    with pytest.raises(ValueError, match="min_n must be a positive integer"):
        claims._check([claims.Claim(**{**vars(good), "min_n": 0})])
    with pytest.raises(ValueError, match="question must be a non-empty string"):
        claims._check([claims.Claim(**{**vars(good), "question": " "})])


def test_the_words_defined_are_the_design_notes():
    assert {"dominant", "bad", "degraded", "too expensive", "untested", "within 3–10×"} <= set(claims.WORD_DEFINITIONS)
    assert set(WORDS) == {"confirmed", "refuted", "refined", "unresolved"}


def test_the_intro_tables_are_the_declarations_rendered():
    """The intro's two verdict tables come from the claims (python -m evoscale.claims --write-intro)."""
    from evoscale.claims import BEGIN, END, render_intro_tables

    text = (ROOT / "book" / "intro.md").read_text()
    block = text[text.index(BEGIN):text.index(END) + len(END)]
    assert block == render_intro_tables(), "run: python -m evoscale.claims --write-intro book/intro.md"
    assert block.count("{glue:text}") == 9  # five dimensions, four open questions
