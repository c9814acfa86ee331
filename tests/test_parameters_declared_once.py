"""Parameters declared once (issue 35): each chapter's papermill parameters cell and its study's
``*Params`` dataclass name the same parameters, with the same defaults and the same description.

The rules, per chapter (``CHAPTERS``):

- *Names.* The cell's assignments and the dataclass's fields are the same set. A field whose
  docstring says "(not a papermill parameter" (e.g. ``EnvParams.settings``, always the profile's) is
  left out of the dataclass side, and must not be in the cell.
- *Defaults.* The cell's default equals the field's default. A parameter any profile fills in
  (a key of ``PROFILES[...]``) defaults to None on both sides, or the profile would never apply.
- *Profiles.* ``profile``'s comment is exactly the profiles of ``PROFILES``, in order, joined by
  " | ", and its docstring begins with the same list.
- *Description.* Every parameter has a trailing comment in the cell and a docstring in the
  dataclass. The comment, less a trailing note of profile values (a parenthesis that opens with
  profile names and a colon: "(book: 64)", "(book and full: True)", "(smoke: 2; book: 10; full: 10)"),
  is the docstring's first sentence (up to the first period that ends the docstring or is followed
  by a capital), without its final period, or the start of that sentence where the rest opens a
  qualifier the dataclass adds: " (", " --", ": " or "; ". Compared with whitespace collapsed,
  backticks dropped (reST's ``x`` is the notebook's `x`) and the first letter's case ignored. The
  values in a profile note are the chapter's to state; this test does not read them.
"""

import ast
import dataclasses
import importlib
import re

import pytest

from evoscale.bookbuild import ROOT, chapters

CHAPTERS = {
    "01_parameters": ("cma_scaling", "CostParams"),
    "02_environments": ("environments", "EnvParams"),
    "03_compute": ("compute", "ComputeParams"),
    "04_workers": ("workers", "WorkersParams"),
    "05_methods": ("methods", "MethodsParams"),
    "06_backprop_vs_evolution": ("backprop", "BackpropParams"),
    "07_plasticity": ("plasticity", "PlasticityParams"),
    "08_gpu": ("gpu", "GpuParams"),
    "09_conclusions": ("synthesis", "SynthesisParams"),
}
NOT_A_PARAMETER = "(not a papermill parameter"
QUALIFIERS = (" (", " --", ": ", "; ")


def _profile_note(profiles) -> re.Pattern:
    names = "|".join(map(re.escape, profiles))
    names = rf"(?:{names})(?:(?:, | and )(?:{names}))*"  # "book", "book and full", "smoke, book and full"
    return re.compile(rf"\s*\({names}:(?:[^()]|\([^()]*\))*\)$")  # one level of nested parentheses


def _normal(text: str) -> str:
    text = " ".join(text.replace("`", "").split())
    return text[:1].lower() + text[1:]


def first_sentence(doc: str) -> str:
    """Up to the first period that ends the docstring or is followed by whitespace and a capital
    ("e.g. "auto"" does not end a sentence), without that period."""
    doc = " ".join(doc.split())
    m = re.search(r"\.(?=\s+[A-Z]|$)", doc)
    return doc[: m.start()] if m else doc


def parameters_cell(name: str) -> dict:
    """{parameter: (default, trailing comment or None)} from the chapter's ``tags=["parameters"]`` cell."""
    lines = (ROOT / "book" / f"{name}.py").read_text().splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("# %%") and '"parameters"' in line)
    end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("# %%")), len(lines))
    out = {}
    for node in ast.parse("\n".join(lines[start + 1:end])).body:
        assert isinstance(node, ast.Assign) and len(node.targets) == 1, f"{name}: not a plain assignment: {ast.unparse(node)}"
        target = node.targets[0].id
        assert target not in out, f"{name}: {target} assigned twice"
        line = lines[start + node.end_lineno]  # node.end_lineno counts from 1 within the cell
        comment = re.match(r"\s*#\s*(.*?)\s*$", line[node.end_col_offset:])
        out[target] = (ast.literal_eval(node.value), comment.group(1) if comment else None)
    return out


def field_docstrings(cls: type) -> dict:
    """{field: its docstring (the string literal right after it in the class body) or None}. The class
    may live below the study's module (chapter 3's ``ComputeParams`` is ``cma_runs``'s)."""
    tree = ast.parse(open(importlib.import_module(cls.__module__).__file__).read())
    body = next(n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == cls.__name__).body
    out = {}
    for node, after in zip(body, [*body[1:], None]):
        if isinstance(node, ast.AnnAssign):
            doc = after.value.value if isinstance(after, ast.Expr) and isinstance(after.value, ast.Constant) else None
            out[node.target.id] = doc if isinstance(doc, str) else None
    return out


def _study(name):
    module_name, cls_name = CHAPTERS[name]
    module = importlib.import_module(f"evoscale.experiments.{module_name}")
    return module, getattr(module, cls_name)


def test_every_chapter_is_listed_with_the_study_its_cell_feeds():
    assert list(CHAPTERS) == chapters(ROOT / "book")
    for name, (module_name, _) in CHAPTERS.items():
        text = (ROOT / "book" / f"{name}.py").read_text()
        alias = re.search(rf"from evoscale\.experiments import .*\b{module_name}(?: as (\w+))?", text)
        assert alias, f"{name} does not import evoscale.experiments.{module_name}"
        assert f"{alias.group(1) or module_name}.params(globals())" in text, \
            f"{name} does not build its parameters with {module_name}.params"


@pytest.mark.parametrize("name", list(CHAPTERS))
def test_the_parameters_cell_and_the_dataclass_agree(name):
    module, cls = _study(name)
    cell, docs = parameters_cell(name), field_docstrings(cls)
    profiles = module.PROFILES
    fields = {f.name: f for f in dataclasses.fields(cls) if NOT_A_PARAMETER not in (docs.get(f.name) or "")}
    assert set(cell) == set(fields), (f"{name}: only in the cell {sorted(set(cell) - set(fields))}, "
                                      f"only in {cls.__name__} {sorted(set(fields) - set(cell))}")
    filled = set().union(*profiles.values())
    note = _profile_note(profiles)
    problems = []
    for k, f in fields.items():
        default, comment = cell[k]
        if default != f.default:
            problems.append(f"{k}: cell default {default!r}, {cls.__name__} {f.default!r}")
        if k in filled and f.default is not None:
            problems.append(f"{k}: filled by the profiles, so its default must be None, not {f.default!r}")
        doc = docs.get(k)
        if not comment or not doc:
            problems.append(f"{k}: no {'comment in the cell' if not comment else 'docstring in ' + cls.__name__}")
            continue
        said, summary = _normal(note.sub("", comment)), _normal(first_sentence(doc))
        if not (summary == said or any(summary.startswith(said + q) for q in QUALIFIERS)):
            problems.append(f"{k}: the cell says {comment!r}, the docstring {first_sentence(doc)!r}")
    listed = " | ".join(profiles)
    if cell["profile"][1] != listed or not (docs["profile"] or "").startswith(listed):
        problems.append(f"profile: the cell says {cell['profile'][1]!r} and the docstring {docs['profile']!r}, "
                        f"the profiles are {listed!r}")
    assert not problems, f"{name} ({cls.__name__}):\n" + "\n".join(problems)


def test_the_rules_read_what_they_should():
    note = _profile_note(["smoke", "book", "full"])
    assert note.sub("", "ES methods timed (book: cmaes (pycma), torch_cmaes)") == "ES methods timed"
    assert note.sub("", "seeds (smoke: 2; book: 10, capped at 3; full: 10)") == "seeds"
    assert note.sub("", "tuned (book and full: True)") == "tuned"
    assert note.sub("", "GA parents (None: popsize // 5)") == "GA parents (None: popsize // 5)"
    assert first_sentence('Ray cluster, e.g. "auto" after ``ray start``; None: local. More.') == \
        'Ray cluster, e.g. "auto" after ``ray start``; None: local'
    assert first_sentence("Island count K (popsize / K each).") == "Island count K (popsize / K each)"
