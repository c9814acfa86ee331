"""What the executed chapter notebooks glued: the text each glue name shows, per chapter."""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path

RECORD = "application/papermill.record/text/plain"


def glued(folder: Path) -> dict[str, dict[str, str]]:
    """{chapter: {glue name: its text}} of every executed chapter notebook (``NN_*.ipynb``) in ``folder``."""
    out = {}
    for nb in sorted(Path(folder).glob("[0-9][0-9]_*.ipynb")):
        names = out.setdefault(nb.stem, {})
        for cell in json.loads(nb.read_text())["cells"]:
            for o in cell.get("outputs", []):
                name = o.get("metadata", {}).get("scrapbook", {}).get("name")
                if name and RECORD in o.get("data", {}):
                    names[name] = o["data"][RECORD]
    return out


def shared(glues: dict[str, dict[str, str]]) -> dict[str, dict[str, str]]:
    """{name: {chapter: text}} of the names glued in more than one chapter."""
    by_name = defaultdict(dict)
    for chapter, names in glues.items():
        for name, text in names.items():
            by_name[name][chapter] = text
    return {n: c for n, c in by_name.items() if len(c) > 1}


SAME_NAME = {"ppo_cartpole_steps": {"02_environments", "06_backprop_vs_evolution"}}
"""Numbers two chapters show under one glue name, and the chapters that show it."""
ALIASES = [
    # (chapter, name, chapter, name, how, when): one quantity under two names; how: "equal" or a regex
    # that the second text must match, with {a} the first text (escaped); when: None or (chapter, name,
    # regex) whose text must match for the pair to be one quantity in a build (else the check is skipped,
    # named): the same runs or the same network only at the book profile
    ("02_environments", "env_cp_ppo_steps", "06_backprop_vs_evolution", "ppo_cartpole_steps", "equal", None),
    ("02_environments", "env_ll_ppo_final", "05_methods", "ppo_line", "equal",  # chapter 6's PPO runs
     ("05_methods", "provenance", r"profile book\b")),
    ("01_parameters", "pycma_update_2788", "04_workers", "upd_ch1_amortised", "equal",
     ("04_workers", "upd_n", "^2,788$")),
    ("04_workers", "upd_ch1_vs_eval", "01_parameters", "claimed_row_sentence",
     r"\(2,788 parameters\) pycma.{{1,2}}s update costs {a} ", ("04_workers", "upd_n", "^2,788$")),
    ("02_environments", "env_bw_us_step", "06_backprop_vs_evolution", "us_per_step",
     r"BipedalWalker-v3: [^;]*OpenAI-ES {a}(?!\d)", ("06_backprop_vs_evolution", "cost_state", "^measured on an idle core$")),
]
"""Quantities shown in two chapters under different glue names (chapter 2's ``env_*`` prefix, PPO's
LunarLander return in chapters 2 and 5, chapter 4's comparison with chapter 1, chapter 2's price per
env step inside chapter 6's list)."""
CHAPTER_LOCAL = {"verdict_short", "verdict_headline", "provenance", "machine", "machine_line", "still_to_run",
                 "budgets"}
"""Names every chapter glues about itself (its verdict, its results' provenance and budgets): each
chapter's own value by design; every other name glued in two chapters must show one value."""


def _text(value: str) -> str:
    """A glued text without the quotes of its repr."""
    return value[1:-1] if len(value) > 1 and value[0] == value[-1] and value[0] in "'\"" else value


def disagreements(glues: dict[str, dict[str, str]]) -> tuple[list[str], list[str]]:
    """(problems, checks that could not run for want of an executed chapter) of one build's glues:
    a name glued in two chapters with two values, a ``SAME_NAME`` number missing from a chapter that
    shows it, an ``ALIASES`` pair that differs."""
    import re

    problems, skipped = [], []
    both = shared(glues)
    differ = {n: c for n, c in both.items() if len(set(c.values())) > 1 and n not in CHAPTER_LOCAL}
    problems += [f"{n} has several values across chapters: {c}" for n, c in differ.items()]
    for name, chapters in SAME_NAME.items():
        missing = sorted(c for c in chapters if c not in glues)
        if missing:
            skipped.append(f"{name}: {missing} not executed")
            continue
        lacking = sorted(c for c in chapters if name not in glues[c])
        if lacking:
            problems.append(f"{name} is not glued in {lacking}")
    for ca, na, cb, nb, how, when in ALIASES:
        if ca not in glues or cb not in glues:
            skipped.append(f"{ca}:{na} ~ {cb}:{nb}: not executed")
            continue
        if when and not re.search(when[2], _text(glues[when[0]].get(when[1], ""))):
            skipped.append(f"{ca}:{na} ~ {cb}:{nb}: {when[0]}:{when[1]} does not match {when[2]!r} in this build")
            continue
        if na not in glues[ca] or nb not in glues[cb]:
            problems.append(f"{ca}:{na} or {cb}:{nb} is not glued")
            continue
        a, b = _text(glues[ca][na]), _text(glues[cb][nb])
        ok = a == b if how == "equal" else re.search(how.format(a=re.escape(a)), b) is not None
        if not ok:
            problems.append(f"{ca}:{na} = {a!r} but {cb}:{nb} = {b!r}")
    return problems, skipped
