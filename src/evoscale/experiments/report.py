"""How the book states numbers and verdicts: one place for formatting, one verdict vocabulary.

Numbers: ``num`` (thousands separators, fixed digits, "–" for a value that does not exist), ``ci``
("175 [140, 201]"), and ``over_seeds``: an IQM with its 95 % CI and n from at least
``stats.MIN_SEEDS`` seeds, else the values themselves and "n = k" -- the book never shows an IQM or a
CI from fewer seeds. ``planned`` adds "of N" while the campaign has not finished a cell.

Verdicts: every claim of the source document gets exactly one of ``WORDS`` --
confirmed (the measurement agrees, resolved), refuted (it disagrees, resolved), refined (it holds
only in part or with a different number, resolved), unresolved (the data cannot tell: the sentence
then says what difference it could have detected) -- with one measured number, its CI and n.
Each chapter's ``experiments/<chapter>.verdicts(summary)`` returns its sentences (tested on
synthetic data for every branch); the chapter glues them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..stats import MIN_SEEDS, iqm_ci

WORDS = ("confirmed", "refuted", "refined", "unresolved")
DASH = "–"


def _missing(x) -> bool:
    return x is None or (isinstance(x, float) and not math.isfinite(x))


def num(x, digits: int = 0, sign: bool = False) -> str:
    """``1,234.5``-style; "–" for None/NaN/inf."""
    if _missing(x):
        return DASH
    return f"{x:{'+' if sign else ''},.{digits}f}"


def ci(point, lo, hi, digits: int = 0, sign: bool = False) -> str:
    """"point [lo, hi]"; the bracket is left out when the CI does not exist."""
    if _missing(point):
        return DASH
    if _missing(lo) or _missing(hi):
        return num(point, digits, sign)
    return f"{num(point, digits, sign)} [{num(lo, digits, sign)}, {num(hi, digits, sign)}]"


def n_of(n: int, planned: int | None = None) -> str:
    return f"n = {n}" + (f" of {planned}" if planned and planned > n else "")


def over_seeds(values, digits: int = 0, planned: int | None = None, sign: bool = False) -> str:
    """IQM [95 % CI] (n = k) from >= MIN_SEEDS finite values, else the values and n = k."""
    v = np.asarray([x for x in values if not _missing(x)], dtype=float)
    if v.size == 0:
        return f"no runs yet ({n_of(0, planned)})"
    if v.size < MIN_SEEDS:
        return f"{', '.join(num(x, digits, sign) for x in np.sort(v))} ({n_of(v.size, planned)})"
    return f"{ci(*iqm_ci(v), digits=digits, sign=sign)} ({n_of(v.size, planned)})"


def difference(cmp: dict, digits: int = 0, unit: str = "") -> str:
    """A ``stats.compare`` result: "X − Y = +12 [−30, +55]; P(X > Y) = 0.62 [0.38, 0.84]"."""
    u = f" {unit}" if unit else ""
    return (f"IQM difference {ci(cmp['diff'], cmp['diff_lo'], cmp['diff_hi'], digits, sign=True)}{u}; "
            f"P(X > Y) = {ci(cmp['p'], cmp['p_lo'], cmp['p_hi'], 2)}")


def detectable(value, digits: int = 0, unit: str = "") -> str:
    """The clause an unresolved comparison carries."""
    if _missing(value):
        return "too few seeds to say what difference the data could detect"
    return f"the data could only have detected a difference of about {num(value, digits)}{' ' + unit if unit else ''}"


@dataclass(frozen=True)
class Verdict:
    """One claim's verdict: the word, the measured number (with CI and n) and the sentence."""

    word: str
    number: str
    because: str

    def __post_init__(self):
        if self.word not in WORDS:
            raise ValueError(f"verdict word must be one of {', '.join(WORDS)}, got {self.word!r}")

    def __str__(self) -> str:
        return f"{self.word}: {self.number}; {self.because}"


def resolved_word(cmp: dict, agrees_if_positive: bool) -> str:
    """confirmed / refuted for a resolved comparison whose sign the claim predicts, else unresolved."""
    if not cmp["resolved"]:
        return "unresolved"
    positive = cmp["diff_lo"] > 0 or cmp["p_lo"] > 0.5
    return "confirmed" if positive == agrees_if_positive else "refuted"
