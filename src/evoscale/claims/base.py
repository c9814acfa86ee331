"""The form of a claim (``Claim``) and the strict meaning of the design note's words."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Claim:
    """One claim and the test declared for it."""

    id: str
    """Short stable id, e.g. "d1.below" (dimension 1) or "q1" (open question 1)."""
    chapter: str
    """The chapter that judges it (file stem)."""
    source: str
    """The design note's words, translated."""
    question: str
    """The question the verdict word answers."""
    metric: str
    """What is measured, with its unit and budget."""
    statistic: str
    """The one pre-declared statistic that resolves it."""
    null: str
    """What its 95 % CI must exclude, after the Holm correction of its family."""
    confirmed: str
    """The rule that gives "confirmed"."""
    refuted: str
    """The rule that gives "refuted"."""
    refined: str
    """The rule that gives "refined" ("never" where it cannot)."""
    family: str
    """The Holm family (one per chapter)."""
    min_n: int
    """Fewest seeds per side before any word but "unresolved"."""
    applied: str
    """"yes" where the chapter's code judges it exactly so; else what the code does today."""


IQM_DIFF = "IQM difference of the final solved-test return, 95 % percentile bootstrap CI over seeds (10,000 resamples)"
FINAL = "final solved-test return (100 fresh episodes) on LunarLander after 30,720 training episodes, population 64"

WORD_DEFINITIONS = {
    "dominant": "resolved better than every other method of its size column (IQM difference of the final return)",
    "okay / feasible / promising": "solves the task at that size: the CI of the final return's IQM lies above the "
                                   "solved threshold (200 on LunarLander)",
    "bad": "another method of its size column is resolved better",
    "degraded": "resolved worse than the same method at the next smaller size",
    "too expensive": "one run's predicted memory exceeds this machine's RAM, or its predicted time exceeds ten times "
                     "the median run time of the other methods at that size",
    "untested": "predicts nothing: refined where a resolved test places the method against another, else "
                "unresolved (and \"unresolved: not tested\" where it was not run)",
    "within 3–10×": "the ratio's CI lies inside [3, 10]; refuted if it lies entirely outside; otherwise unresolved",
}
"""The design note's words, with the strict meaning each verdict gives them."""


