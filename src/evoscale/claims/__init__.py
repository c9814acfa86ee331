"""Every claim of the design note and every open question, declared once, before any analysis.

A ``Claim`` names the question its verdict word answers, what is measured, the one statistic that
resolves it, its null, the rules for confirmed / refuted / refined (anything else is unresolved),
the Holm family it is corrected within, and the fewest seeds before any word but "unresolved".
``applied`` says honestly whether the chapter's code already judges it exactly so, or what it does
instead: the declarations come first, the chapters follow them one by one.

``python -m evoscale.claims`` writes the book's page ``book/claims.md`` from these declarations; a
test checks the committed page is exactly that output, so the page and the data cannot drift.
"""

from __future__ import annotations

import sys
from dataclasses import fields
from pathlib import Path

from . import dimensions, questions
from .base import WORD_DEFINITIONS, Claim

__all__ = ["CLAIMS", "WORD_DEFINITIONS", "Claim", "render_intro_tables", "render_page", "write_intro"]

INTRO_DIMENSIONS = (("1. parameter count", "d1", "01_parameters", "verdict_short"),
                    ("2. environment complexity", "d2.overall", "02_environments", "verdict_short"),
                    ("3. compute", "d3.overall", "03_compute", "verdict_short"),
                    ("4. workers", "d4.overall", "04_workers", "verdict_short"),
                    ("5. methods at scale", "d5", "05_methods", "verdict_short"))
INTRO_QUESTIONS = (("1. a crossover with backprop", "q1", "06_backprop_vs_evolution", "verdict_short"),
                   ("2. local learning rules", "q2", "07_plasticity", "verdict_short"),
                   ("3. islands on 100+ nodes", "q3.islands", "04_workers", "verdict_islands"),
                   ("4. what a GPU buys", "q4", "08_gpu", "verdict_short"))
"""The intro's two tables: (row label, the claim whose verdict the row shows, its chapter, its glue name)."""
BEGIN, END = "% begin: generated from the claims", "% end: generated from the claims"
"""The markers around the intro's tables (MyST comments; ``python -m evoscale.claims --write-intro``)."""


def render_intro_tables(claims=None) -> str:
    """The intro's tables of the design note's dimensions and open questions: the note's words, the
    question each verdict answers (both from the declarations) and the chapter's glued verdict."""
    by_id = {c.id: c for c in (CLAIMS if claims is None else claims)}

    def rows(spec):
        out = []
        for label, cid, chapter, glue in spec:
            c = by_id[cid]
            out.append(f"| {label} | {c.source} | {c.question} | "
                       f"{{glue:text}}`{chapter}.ipynb::{glue}:s` → {{doc}}`chapter {int(chapter[:2])} <{chapter}>` |")
        return out
    head = "|---|---|---|---|"
    return "\n".join([BEGIN, "", "| dimension | the design note (translated) | the question the verdict answers | verdict |",
                      head, *rows(INTRO_DIMENSIONS), "",
                      "| open question | the design note (translated) | the question the verdict answers | verdict |",
                      head, *rows(INTRO_QUESTIONS), "", END])


def write_intro(path: Path) -> None:
    """Replace the intro's generated block (between ``BEGIN`` and ``END``) with ``render_intro_tables``."""
    text = path.read_text()
    if BEGIN not in text or END not in text:
        raise ValueError(f"{path} has no block between {BEGIN!r} and {END!r}")
    a, b = text.index(BEGIN), text.index(END) + len(END)
    path.write_text(text[:a] + render_intro_tables() + text[b:])


def render_page(claims=None) -> str:
    """The book's page "How each claim is judged" (markdown), from the declarations."""
    claims = CLAIMS if claims is None else claims
    out = ["# How each claim is judged", "",
           "Every verdict in this book answers a question that was fixed before the data were looked at. "
           "This page lists, for each claim of the design note and each open question, the one statistic that "
           "decides it, the value its confidence interval must exclude, and the rule that turns the result into a "
           "word. A difference counts only when its 95 % bootstrap CI excludes the null after Holm's correction "
           "within the chapter's family of tests. A test whose decision flips with the bootstrap seed in more than "
           "5 % of 100 repeats counts as unresolved. P(X > Y) is reported beside a difference, never instead of it.",
           "",
           "Where a chapter's code does not yet judge a claim exactly this way, the last line of its entry says "
           "what it does today.", "",
           "## What the design note's words mean here", "",
           "| word | confirmed when |", "|---|---|"]
    out += [f"| {w} | {d} |" for w, d in WORD_DEFINITIONS.items()]
    chapters = list(dict.fromkeys(c.chapter for c in claims))
    titles = {"01_parameters": "Dimension 1: parameter count", "02_environments": "Dimension 2: environments",
              "03_compute": "Dimension 3: compute", "04_workers": "Dimension 4: workers (and open question 3)",
              "05_methods": "Dimension 5: methods at scale",
              "06_backprop_vs_evolution": "Open question 1: a crossover with backprop",
              "07_plasticity": "Open question 2: local learning rules", "08_gpu": "Open question 4: what a GPU buys"}
    for ch in sorted(chapters):
        out += ["", f"## {titles.get(ch, ch)}", "", f"Judged in {{doc}}`{ch}`.", ""]
        for c in (c for c in claims if c.chapter == ch):
            out += [f"**{c.question}**", "",
                    "```{admonition} The test",
                    ":class: dropdown",
                    f"- *The design note:* {c.source}",
                    f"- *Measured:* {c.metric}",
                    f"- *Statistic:* {c.statistic}; *null:* {c.null}",
                    f"- *Confirmed:* {c.confirmed}. *Refuted:* {c.refuted}. *Refined:* {c.refined}. "
                    "Otherwise unresolved.",
                    f"- *Family:* {c.family}; *at least* {c.min_n} seeds a side",
                    f"- *Applied in the chapter:* {c.applied}",
                    "```", ""]
    return "\n".join(out).rstrip() + "\n"


def _check(claims: list[Claim]) -> list[Claim]:
    ids = [c.id for c in claims]
    dup = sorted({i for i in ids if ids.count(i) > 1})
    if dup:
        raise ValueError(f"duplicate claim ids: {', '.join(dup)}")
    for c in claims:
        for f in fields(Claim):
            v = getattr(c, f.name)
            if f.name == "min_n":
                if not isinstance(v, int) or v < 1:
                    raise ValueError(f"claim {c.id}: min_n must be a positive integer, got {v!r}")
            elif not isinstance(v, str) or not v.strip():
                raise ValueError(f"claim {c.id}: {f.name} must be a non-empty string")
    return claims


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if "--write-intro" in argv:
        write_intro(Path(argv[argv.index("--write-intro") + 1]))
        print("wrote the intro's tables")
        return 0
    target = Path(argv[argv.index("--write") + 1]) if "--write" in argv else None
    page = render_page()
    if target is None:
        sys.stdout.write(page)
    else:
        target.write_text(page)
        print(f"wrote {target} ({len(CLAIMS)} claims)")
    return 0


CHAPTER_ORDER = ("01_parameters", "02_environments", "03_compute", "04_workers", "05_methods",
                 "06_backprop_vs_evolution", "07_plasticity", "08_gpu")
CLAIMS: list[Claim] = _check(sorted([*dimensions.CLAIMS_15, *dimensions.CLAIMS_234, *questions.CLAIMS],
                                    key=lambda c: CHAPTER_ORDER.index(c.chapter)))
"""Every claim, in the book's chapter order."""
