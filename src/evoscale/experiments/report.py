"""How the book states numbers and verdicts: one place for formatting, one verdict vocabulary.

Numbers: ``num`` (thousands separators, fixed digits, "–" for a value that does not exist), ``ci``
("175 [140, 201]"), and ``over_seeds``: an IQM with its 95 % CI and n from at least
``stats.MIN_SEEDS`` seeds, else the values themselves and "n = k" -- the book never shows an IQM or a
CI from fewer seeds. ``planned`` adds "of N" while the campaign has not finished a cell.

Verdicts: every claim of the design note gets exactly one of ``WORDS`` --
confirmed (the measurement agrees, resolved), refuted (it disagrees, resolved), refined (it holds
only in part or with a different number, resolved), unresolved (the data cannot tell: the sentence
then says what difference it could have detected) -- with one measured number, its CI and n.
Each chapter's verdicts module returns ``Verdict`` objects (tested on synthetic data for every
branch, by their word and numbers); the chapter renders them here, ``str(v)`` the long form and
``verdict_short`` the short one, and glues the text.
"""

from __future__ import annotations

import math
import re
from html import escape
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..labels import METHOD_LABELS
from ..stats import MIN_SEEDS, iqm_ci, km_median_ci

WORDS = ("confirmed", "refuted", "refined", "unresolved")
DASH = "–"


def _missing(x) -> bool:
    return x is None or (isinstance(x, float) and not math.isfinite(x))


def num(x, digits: int = 0, sign: bool = False) -> str:
    """``1,234.5``-style; "–" for None/NaN/inf."""
    if _missing(x):
        return DASH
    return f"{x:{'+' if sign else ''},.{digits}f}"


def seconds(x, digits: int = 2) -> str:
    """"0.45 s": one format for a duration that two chapters quote."""
    return f"{num(x, digits)} s"


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


def to_threshold(times, reached, digits: int = 0, planned: int | None = None) -> str:
    """Time (env steps, evaluations, seconds) to a threshold over seeds, the seeds that never reached
    it censored at their budget (``times`` holds it for them), none dropped: the Kaplan-Meier median
    with its bootstrap 95 % CI from ``MIN_SEEDS`` seeds up, else the reached values; always "k of n
    reached". The one text for this quantity in every chapter."""
    t, r = np.asarray(times, dtype=float), np.asarray(reached, dtype=bool)
    n, k = int(t.size), int(r.sum())
    tail = f"{k} of {n} reached" + (f", {planned} planned" if planned and planned > n else "")
    if n == 0:
        return f"no runs yet ({n_of(0, planned)})"
    if k == 0:
        return f"not reached ({tail})"
    if n < MIN_SEEDS:
        return f"{', '.join(num(x, digits) for x in np.sort(t[r]))} ({tail})"
    point, lo, hi = km_median_ci(t, r)
    if not np.isfinite(point):
        return f"median not reached ({tail})"
    upper = num(hi, digits) if np.isfinite(hi) else "not reached"
    return f"{num(point, digits)} [{num(lo, digits)}, {upper}] ({tail})"


def difference(cmp: dict, digits: int = 0, unit: str = "") -> str:
    """A ``stats.compare`` result: "X − Y = +12 [−30, +55]; P(X > Y) = 0.62 [0.38, 0.84]"."""
    u = f" {unit}" if unit else ""
    return (f"IQM difference {ci(cmp['diff'], cmp['diff_lo'], cmp['diff_hi'], digits, sign=True)}{u}; "
            f"P(X > Y) = {ci(cmp['p'], cmp['p_lo'], cmp['p_hi'], 2)}")


def detectable(value, digits: int = 0, unit: str = "") -> str:
    """The clause an unresolved comparison carries."""
    if _missing(value):
        return "too few seeds to say what difference the data could detect"
    return (f"the data could only have detected a difference of about {num(value, digits)}{' ' + unit if unit else ''} "
            "at 80 % power")


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
    positive = cmp["diff_lo"] > 0
    return "confirmed" if positive == agrees_if_positive else "refuted"


# --- verdicts at a glance ---------------------------------------------------------------------------

def _top_level_split(text: str, sep: str) -> tuple[str, str]:
    """``text`` split at the first ``sep`` outside brackets and parentheses (a CI's "[a, b]" and an
    "(n = 3; ...)" stay whole); ("text", "") when there is none."""
    depth = 0
    for i, ch in enumerate(text):
        depth += ch in "(["
        depth -= ch in ")]"
        if depth == 0 and text.startswith(sep, i):
            return text[:i], text[i + len(sep):]
    return text, ""


def verdict_short(v, max_words: int = 25, reason: bool = False) -> str:
    """A verdict's short form, the one line the intro's table and a chapter's opening show: "word:
    number (CI, n)" without the reasons; with ``reason``, "word: reason" instead, the reason cut to
    its first clause (up to its first "; " outside brackets). Cut to ``max_words`` words ("…").
    ``v`` is a ``Verdict`` (its long form is ``str(v)``); a line that is not one keeps its first
    clause."""
    if isinstance(v, Verdict):
        line = f"{v.word}: {_top_level_split(v.because, '; ')[0] if reason else v.number}"
    else:
        line = _top_level_split(str(v).strip(), "; ")[0]
    words = line.split()
    return line if len(words) <= max_words else " ".join(words[:max_words]) + " …"


def overall(verdicts, what: str = "cells") -> Verdict:
    """One verdict for a claim made of several parts, each a ``Verdict`` (e.g. chapter 5's grid):
    confirmed only when every part is confirmed; refuted when some part is refuted and none confirmed (one failing part breaks
    the claim as stated); refined when resolved parts disagree (or one is refined); unresolved while
    no part is resolved, or while the resolved parts all confirm but others are still open. The number
    counts the words ("of 12 cells: 3 confirmed, 9 unresolved")."""
    words = [v.word for v in verdicts]
    counts = {w: words.count(w) for w in WORDS if words.count(w)}
    resolved = {w for w in words if w != "unresolved"}
    if not resolved:
        word, because = "unresolved", "no part resolved yet"
    elif resolved == {"confirmed"}:
        word, because = (("confirmed", "every part is confirmed") if len(counts) == 1 else
                         ("unresolved", "the resolved parts confirm it, but not every part is resolved yet"))
    elif resolved == {"refuted"}:
        word, because = "refuted", "a resolved part refutes it and none confirms it"
    else:
        word, because = "refined", "the resolved parts disagree, or refine it"
    return Verdict(word, f"of {len(words)} {what}: " + ", ".join(f"{k} {w}" for w, k in counts.items()), because)


# --- tables for readers -----------------------------------------------------------------------------

COLUMNS: dict[str, tuple] = {
    # identifier: (header with unit, digits or None for automatic, factor applied to the value)
    "env": ("task",), "method": ("method",), "network": ("network",), "machine": ("machine",),
    "model": ("model",), "hidden": ("hidden widths",), "size": ("size",), "row": ("method",),
    "n": ("parameters", 0), "n_params": ("parameters", 0), "popsize": ("population", 0),
    "seed": ("seed", 0), "seeds": ("seeds", 0), "workers": ("workers", 0), "rounds": ("rounds", 0),
    "evals": ("evaluations", 0), "evaluations": ("evaluations", 0),
    # chapter 1: what a generation costs
    "ms_per_gen": ("ask + tell (ms per generation)", None), "amortised_ms_per_gen": ("amortised (ms per generation)", None),
    "peak_mib": ("peak memory (MiB)", 1),
    # chapter 2: tasks, evaluator benchmark, Pong's reward signal
    "steps_per_episode": ("env steps per episode", 0), "max_steps": ("episode cap (steps)", 0),
    "serial_s_per_episode": ("serial (ms per episode)", None, 1000),
    "lockstep_s_per_episode": ("batched (ms per episode)", None, 1000),
    "speedup": ("speed-up (×)", 2), "batched_steps_per_s": ("batched (env steps/s)", 0),
    "final": ("final return",), "solved": ("seeds solved",), "evals_to_solve": ("evaluations to solve",),
    "steps_to_solve": ("env steps to solve",), "evals_run": ("evaluations run", 0), "steps_run": ("env steps run", 0),
    "claimed_evals": ("design note's estimate (evaluations)", 0), "published": ("published",),
    "raw_steps_per_s": ("one raw env (steps/s)", 0), "replay_steps_per_s": ("replaying env (steps/s)", 0),
    "evaluator_steps_per_s": ("evaluator (steps/s)", 0), "ratio": ("evaluator ÷ raw env", 2),
    "ratio_vs_unwrapped": ("evaluator ÷ unwrapped env", 2), "ratio_vs_serial": ("evaluator ÷ serial evaluator", 2),
    "ratio_vs_replay": ("evaluator ÷ replaying env", 2), "env_fraction": ("env (% of time)", 0, 100),
    "emulator_fraction": ("emulator (% of time)", 0, 100), "preprocessing_fraction": ("preprocessing (% of time)", 0, 100),
    "network_fraction": ("network (% of time)", 0, 100), "loop_fraction": ("evaluator loop (% of time)", 0, 100),
    "sigma": ("weight scale s", None), "networks": ("random networks", 0), "scored": ("networks that scored", 0),
    "share_scored": ("scored (%)", 0, 100), "ci_low": ("95 % CI low (%)", 0, 100), "ci_high": ("95 % CI high (%)", 0, 100),
    "mean_length": ("mean episode length (steps)", 0), "best_return": ("best return", 1),
    # chapter 4: workers, Amdahl, islands, the simulated cluster
    "eval_s_per_gen": ("evaluation (s per generation)", 3), "opt_s_per_gen": ("ask + tell (s per generation)", 3),
    "eval_speedup": ("evaluation speed-up (×)", 2), "efficiency": ("parallel efficiency", 2),
    "ray_speedup": ("speed-up over 1 Ray worker (×)", 2), "steps_per_s": ("env steps/s", 0),
    "linear_fraction": ("throughput ÷ (workers × raw env)", 2), "serial_fraction": ("ask + tell (% of a generation)", 0, 100),
    "startup_s": ("Ray start-up (s)", 1), "serial_fit": ("sequential share, fitted (%)", 1, 100),
    "serial_measured": ("sequential share, measured (%)", 1, 100), "ray_factor": ("1 Ray worker ÷ in-process", 2),
    "speedup_8": ("modelled speed-up at 8 workers (×)", 2),
    "efficiency_8": ("modelled efficiency at 8 workers (Amdahl fit)", 2),
    "efficiency_8_lo": ("modelled: 95 % CI low", 2), "efficiency_8_hi": ("modelled: 95 % CI high", 2),
    "bound_8": ("Amdahl bound at 8 workers, from the measured share", 2),
    "bound_8_lo": ("bound: 95 % CI low", 2), "bound_8_hi": ("bound: 95 % CI high", 2),
    "generations": ("timed generations", 0),
    "workers_measured": ("most workers measured", 0), "efficiency_measured": ("efficiency there (measured)", 2),
    "below_07_from": ("modelled: efficiency below 0.7 from (workers)", 0), "fitted_on": ("fitted on (workers)",),
    "iqm": ("final return, IQM", 1), "lo": ("95 % CI low", 1), "hi": ("95 % CI high", 1),
    "strategies": ("strategies", 0), "sim_s": ("simulated time (s)", 1), "throughput_eps": ("episodes/s", 0),
    "driver_busy": ("driver busy (%)", 0, 100), "idle_workers": ("idle workers", 0), "calibrated_on": ("calibrated on",),
    # chapter 5: the grid's cells
    "band": ("seed band",), "runs": ("run here",), "predicted_s": ("predicted one-core time (h)", None, 1 / 3600),
    "predicted_gib": ("predicted memory (GiB)", None),
    # chapter 8: GPU
    "amdahl_bound": ("Amdahl bound (×)", 2), "lockstep": ("lockstep (steps/s)", 0), "jax": ("JAX (steps/s)", 0),
    "jax_over_lockstep": ("JAX ÷ lockstep", 2), "useful_fraction": ("useful steps (%)", 0, 100),
    "jax_f32": ("JAX, float32 (steps/s)", 0), "bare": ("bare gymnax loop (steps/s)", 0),
    "gpu_check": ("GPU check",), "section": ("section",), "ok": ("passed",), "wall_s": ("wall-clock (s)", 1),
    "rows": ("rows", 0), "hardware": ("hardware",), "source": ("source",), "ours": ("ours",),
    "our_steps_per_core": ("ours (steps/s per core)", 0), "cores_of_this_machine": ("cores of this machine to match", 0),
}
"""Header (words and unit), rounding and scale of every column identifier a chapter's table shows.
``table`` refuses an identifier that is not here, so no ``loop_fraction`` reaches a reader."""

NAMES = {**METHOD_LABELS, "evaluation": "evaluation (one generation)"}


def parameters(P, skip=()) -> pd.DataFrame:
    """A chapter's parameters after its profile's defaults, one row each, for its collapsed table; a
    method (a field whose name ends in "method" or "methods") by its readers' name (``METHOD_LABELS``)."""
    def shown(k, v):
        if not k.endswith(("method", "methods")):
            return v
        return [METHOD_LABELS.get(x, x) for x in v] if isinstance(v, (list, tuple)) else METHOD_LABELS.get(v, v)

    return pd.DataFrame([{k: shown(k, v) for k, v in P.__dict__.items() if k not in skip}]).T.rename(columns={0: "value"})
"""Readers' names for the ``method`` column: the methods' (``plots.METHOD_LABELS``) and the evaluation's."""

MISSING = "no value: not measured, not reached, or not defined for this row"
_IDENTIFIER = re.compile(r"^[a-z][a-z0-9]*(_[a-z0-9]+)+$")


def auto_digits(x) -> int:
    """Decimals for a number: none from 100 up, else enough for two significant digits, at most 4."""
    if _missing(x) or x == 0 or abs(x) >= 100:
        return 0
    return int(np.clip(1 - math.floor(math.log10(abs(x))), 0, 4))


def _cell(x, digits: int | None, factor: float) -> str:
    if isinstance(x, (bool, np.bool_)):
        return "yes" if x else "no"
    if isinstance(x, (list, tuple)):
        return ", ".join(map(str, x))
    if isinstance(x, (int, float, np.integer, np.floating)):
        x = float(x) * factor
        return num(x, auto_digits(x) if digits is None else digits)
    return DASH if x is None or (isinstance(x, str) and not x) else str(x)


@dataclass
class Table:
    """A formatted table (strings only) and its footnote; renders as HTML in the book."""

    frame: pd.DataFrame
    note: str = ""

    def _repr_html_(self) -> str:
        html = self.frame.to_html(index=False, escape=True, classes="readers-table", border=0)
        note = f'<p class="table-note"><small>{escape(self.note)}</small></p>' if self.note else ""
        return html + note

    def __repr__(self) -> str:
        return self.frame.to_string(index=False) + (f"\n{self.note}" if self.note else "")


MAX_COLUMNS = 7
"""The most columns a table for readers may have: wider ones do not fit the page (split them with ``tables``)."""


def _unnamed_positions(index) -> bool:
    """An index that only numbers the rows (no name, integers): not a column for readers."""
    return index.name is None and not isinstance(index, pd.MultiIndex) and pd.api.types.is_integer_dtype(index)


def _index_as_columns(df: pd.DataFrame) -> pd.DataFrame:
    """A meaningful index (named, or not integers) as the first columns; row numbers dropped. A named
    RangeIndex (e.g. seeds 0..9) is meaningful."""
    if isinstance(df.index, pd.RangeIndex) and df.index.name is None:
        return df
    return df.reset_index(drop=_unnamed_positions(df.index))


def table(df, missing: str = MISSING, note: str = "", names: dict | None = None) -> Table:
    """``df`` for readers: headers from ``COLUMNS`` (words with units; a header that is already words
    passes), each number rounded (``COLUMNS``' digits, else ``auto_digits``) with thousands
    separators, yes/no for booleans, method names from ``NAMES``, and "–" for a value that does not
    exist, explained by ``missing`` in a footnote. A meaningful index becomes the first column; one
    that only numbers the rows is left out. More than ``MAX_COLUMNS`` columns are refused: split the
    table with ``tables``."""
    df = _index_as_columns(df)
    if len(df.columns) > MAX_COLUMNS:
        raise ValueError(f"a table of {len(df.columns)} columns does not fit the page (at most {MAX_COLUMNS}): "
                         f"split it with report.tables ({', '.join(map(str, df.columns))})")
    names = {**NAMES, **(names or {})}
    out = {}
    for col in df.columns:
        spec = COLUMNS.get(str(col))
        if spec is None and _IDENTIFIER.match(str(col)):
            raise KeyError(f"column {col!r} has no readers' name: add it to report.COLUMNS")
        header, digits, factor = list(spec) + [None, 1][len(spec) - 1:] if spec else (str(col), None, 1)
        cells = [_cell(x, digits, factor) for x in df[col].tolist()]
        if col in ("method", "row"):
            cells = [names.get(c, c) for c in cells]
        out[header] = cells
    frame = pd.DataFrame(out)
    notes = [f"{DASH} {missing}."] if (frame == DASH).any().any() else [] if len(frame) or note else ["No values stored yet."]
    return Table(frame, " ".join(notes + ([note] if note else [])))


@dataclass
class Tables:
    """Several tables shown together, each under its caption (a wide table split to fit the page)."""

    parts: list[tuple[str, Table]]

    def _repr_html_(self) -> str:
        return "".join((f'<p class="table-caption"><strong>{escape(caption)}</strong></p>' if caption else "")
                       + t._repr_html_() for caption, t in self.parts)

    def __repr__(self) -> str:
        return "\n\n".join(f"{caption}\n{t!r}" for caption, t in self.parts)


def tables(df, keys, parts: dict, missing: str = MISSING, note: str = "", names: dict | None = None) -> Tables:
    """A wide ``df`` as several ``table``s of at most ``MAX_COLUMNS`` columns: each of ``parts``
    (caption: columns) with the ``keys`` columns that name its rows in front (a meaningful index counts
    as a key); ``note`` goes under the last. Every column of ``df`` must appear in one part."""
    if not len(df.columns):  # nothing stored yet: one empty table says so
        return Tables([("", table(df, missing=missing, note=note, names=names))])
    keys = list(keys)
    before = list(df.columns)
    df = _index_as_columns(df)
    keys = [c for c in df.columns if c not in before and c not in keys] + keys  # the index names the rows
    shown = [c for cols in parts.values() for c in cols]
    left = [c for c in df.columns if c not in keys and c not in shown]
    unknown = [c for c in [*keys, *shown] if c not in df.columns]
    if left or unknown:
        raise ValueError(f"report.tables: columns {left} in no part, {unknown} not in the frame")
    out = []
    for i, (caption, cols) in enumerate(parts.items()):
        last = i == len(parts) - 1
        out.append((caption, table(df[keys + list(cols)], missing=missing, note=note if last else "", names=names)))
    return Tables(out)


# --- where the results came from (a chapter's first screen) -----------------------------------------

def results_date(profile: str) -> str:
    """The date of the newest stored result of ``profile``: the last commit touching
    ``results/<profile>/`` when git says it is committed as it is, else the newest file's date."""
    import datetime
    import subprocess

    from ..runs import results_root

    where = results_root() / profile
    files = [p for p in where.rglob("*") if p.is_file()] if where.is_dir() else []
    if not files:
        return "none stored yet"

    def git(*args) -> str:  # a query that ends on its own in milliseconds: no preexec_fn, which would run
        # Python in a forked child of a multithreaded chapter kernel (JAX warns on the page; Python's docs
        # call it unsafe there), so this call is the scan's one named exception (tests/test_processes.py)
        try:
            r = subprocess.run(["git", *args, "--", "."], cwd=where, capture_output=True, text=True, timeout=30)
        except (OSError, subprocess.SubprocessError):
            return "?"
        return r.stdout.strip() if r.returncode == 0 else "?"

    if git("status", "--porcelain", "--untracked-files=all") == "":
        committed = git("log", "-1", "--format=%cs")
        if committed not in ("", "?"):
            return committed
    newest = max(p.stat().st_mtime for p in files)
    return datetime.datetime.fromtimestamp(newest, datetime.timezone.utc).date().isoformat()


def provenance(profile: str, machines) -> str:
    """The line under a chapter's verdict: profile, machine(s) and date of the results it shows."""
    names = sorted({str(m) for m in machines if isinstance(m, str) and m})
    quick = {"smoke": " (CI's tiny budgets: the numbers mean nothing)", "quick": " (a fraction of the book's budgets)"}
    return (f"Results: profile {profile}{quick.get(profile, '')}; ran on {'; '.join(names) or 'no runs stored yet'}; "
            f"newest result {results_date(profile)}.")
