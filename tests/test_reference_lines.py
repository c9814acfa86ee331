"""A figure's reference line equals the claim it illustrates (issue "one number, one source"): no
chapter or figure module draws a claim's value as a literal; lines at a literal are the neutral
references listed here, with their reason, and chapter 4's efficiency line is the value its claims
are judged against."""

import ast
from pathlib import Path

from evoscale.bookbuild import ROOT

LINES = ("axhline", "axvline", "hlines", "vlines")
NEUTRAL = {  # (file, value): why a literal is right there
    ("book/07_plasticity.py", 0.5): "chance: two contexts read correctly half the time",
    ("book/07_plasticity.py", -0.5): "between the last pull before the swap and the first after it",
    ("book/07_plasticity.py", 0): "zero",
    ("book/08_gpu.py", 1): "no speed-up",
    ("src/evoscale/experiments/compute.py", 0): "zero gain",
}


def _literal(node):
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)):
        return node.value
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub) and isinstance(node.operand, ast.Constant):
        return -node.operand.value
    return None


def _lines(path: Path):
    """(function name, first argument node) of every reference-line call in ``path``."""
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in LINES \
                and node.args:
            yield node.func.attr, node.args[0], node.lineno


def _figure_sources():
    return sorted([*(ROOT / "book").glob("[0-9][0-9]_*.py"), *(ROOT / "src" / "evoscale").rglob("*.py")])


def test_no_reference_line_is_drawn_at_an_unexplained_literal():
    stray, seen = [], set()
    for path in _figure_sources():
        rel = str(path.relative_to(ROOT))
        for name, arg, line in _lines(path):
            value = _literal(arg)
            if value is not None:
                seen.add((rel, value))
                if (rel, value) not in NEUTRAL:
                    stray.append(f"{rel}:{line}: {name}({value})")
    assert not stray, f"reference lines at a literal value (draw the claim's constant instead): {stray}"
    assert set(NEUTRAL) <= seen, f"stale entries: {set(NEUTRAL) - seen}"


def test_chapter_4s_efficiency_lines_are_the_claims_value():
    from evoscale.claims import CLAIMS
    from evoscale.experiments.workers_verdicts import EFFICIENCY

    drawn = [arg for _, arg, _ in _lines(ROOT / "book" / "04_workers.py")]
    assert len(drawn) == 2 and all(isinstance(a, ast.Name) and a.id == "EFFICIENCY" for a in drawn), \
        [ast.unparse(a) for a in drawn]
    claim = {c.id: c for c in CLAIMS}["d4.speedup"]
    assert claim.null == f"efficiency {EFFICIENCY:g}" and f"more than {EFFICIENCY:g} of linear" in claim.question
