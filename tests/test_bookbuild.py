"""bookbuild's student edition sources, without executing anything: solution blocks (both forms
sphinx-exercise knows) leave the notebooks and pages, exercises stay, and solutions are hidden."""

import json

import pytest
import yaml

from evoscale.bookbuild import strip_solutions, student_sources

MARKDOWN = """## Exercises

```{exercise-start}
:label: ex-a
```
Do the thing.
```{exercise-end}
```

```{solution-start} ex-a
:class: dropdown
```
The secret answer, with `code`.
```{solution-end}
```

````{solution} ex-b
:class: dropdown
Another secret answer.
```bash
make chapter
```
````
After the solutions.
"""


def test_strip_solutions_removes_both_forms_and_keeps_the_exercise():
    out = strip_solutions(MARKDOWN)
    assert "secret" not in out and "{solution" not in out and "make chapter" not in out
    assert "Do the thing." in out and "{exercise-end}" in out and out.rstrip().endswith("After the solutions.")


def test_student_sources_strip_the_notebooks_and_hide_solutions(tmp_path):
    staging = tmp_path / "smoke"
    (staging / "_static").mkdir(parents=True)
    (staging / "_static" / "book.css").write_text("p {}")
    nb = {"cells": [{"cell_type": "markdown", "metadata": {}, "source": MARKDOWN.splitlines(keepends=True)},
                    {"cell_type": "code", "metadata": {}, "source": "x = 1", "outputs": [], "execution_count": 1}],
          "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    (staging / "01_x.ipynb").write_text(json.dumps(nb))
    (staging / "intro.md").write_text(MARKDOWN)
    (staging / "_toc.yml").write_text("format: jb-book\nroot: intro\n")
    config = student_sources(staging, tmp_path / "smoke-student")
    student = json.loads((config.parent / "01_x.ipynb").read_text())
    assert "secret" not in json.dumps(student) and "Do the thing." in student["cells"][0]["source"]
    assert student["cells"][1]["source"] == "x = 1"
    assert "secret" not in (config.parent / "intro.md").read_text()
    assert (config.parent / "_toc.yml").exists() and (config.parent / "_static" / "book.css").exists()
    cfg = yaml.safe_load(config.read_text())
    assert cfg["sphinx"]["config"]["hide_solutions"] is True and cfg["title"].endswith("(student edition)")


def test_a_failed_chapter_is_one_line_naming_the_chapter_and_the_cause(monkeypatch, capsys):
    import papermill

    from evoscale import bookbuild

    def fail(profile, names, *args, **kwargs):
        err = papermill.PapermillExecutionError(3, 4, "P = params(globals())", "ValueError",
                                                "seeds must be a positive count\nmore", ["Traceback ...", "line 2"])
        err.chapter = names[0]
        raise err

    monkeypatch.setattr(bookbuild, "build", fail)
    assert bookbuild.main(["--profile", "smoke", "--chapters", "04_workers", "--no-html"]) == 1
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "Traceback" not in err
    assert err.startswith("evoscale.bookbuild: 04_workers failed: ValueError: seeds must be a positive count")


TINY = '''# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% tags=["parameters"]
profile = "smoke"
seeds = 2

# %%
if not isinstance(seeds, int) or seeds < 1:
    raise ValueError(f"seeds must be a positive integer, got {seeds!r}")
print(f"ran with {seeds} seeds")
'''


@pytest.fixture
def tiny(tmp_path, monkeypatch):
    """A one-chapter book in ``tmp_path``; ``bookbuild.main`` builds it."""
    import functools

    from evoscale import bookbuild

    book = tmp_path / "book"
    book.mkdir()
    (book / "00_tiny.py").write_text(TINY)
    for name in ("intro.md", "_toc.yml", "references.bib"):
        (book / name).write_text("")
    monkeypatch.setattr(bookbuild, "build", functools.partial(bookbuild.build, root=tmp_path))
    return tmp_path / "_build" / "src" / "smoke"


def test_a_failed_chapter_never_replaces_the_good_notebook(tiny, capsys):
    from evoscale import bookbuild

    assert bookbuild.main(["--profile", "smoke", "--no-html"]) == 0
    good = (tiny / "00_tiny.ipynb").read_text()
    assert "ran with 2 seeds" in good
    capsys.readouterr()
    assert bookbuild.main(["--profile", "smoke", "--no-html", "-p", "seeds", "abc"]) == 2  # a bad -p: bad input
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "00_tiny failed: ValueError: seeds must be a positive integer" in err
    assert (tiny / "00_tiny.ipynb").read_text() == good
    failed = tiny.parent / "smoke-failed" / "00_tiny.ipynb"
    assert str(failed) in err and "seeds must be" in failed.read_text()
    assert sorted(p.name for p in tiny.iterdir()) == ["00_tiny.ipynb", "_toc.yml", "intro.md", "references.bib"]


def test_render_refuses_a_notebook_executed_with_other_parameters_and_drops_killed_executions(tiny, capsys):
    from evoscale import bookbuild

    assert bookbuild.main(["--profile", "smoke", "--no-html", "-p", "seeds", "3"]) == 0  # make chapter PARAMS=...
    assert bookbuild.executed_parameters(tiny / "00_tiny.ipynb") == {"profile": "smoke", "seeds": 3}
    killed = tiny / ".00_tiny.k1ll3d"  # a killed execution's folder (older bookbuilds executed in place)
    killed.mkdir()
    (killed / "input.ipynb").write_text("{}")
    capsys.readouterr()
    assert bookbuild.main(["--profile", "smoke", "--render-only"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "00_tiny.ipynb was executed with {'seeds': 3}" in err
    assert not killed.exists()


def test_printed_logs_never_reach_a_page(tmp_path):
    """A chapter's library logs (stdout) are dropped from the executed notebook; displays stay."""
    import nbformat

    from evoscale.bookbuild import drop_logs

    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("x")
    cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text="cached: /work/results/x.csv\n"),
                    nbformat.v4.new_output("stream", name="stderr", text="a warning\n"),
                    nbformat.v4.new_output("display_data", data={"text/plain": "a table"})]
    nb.cells.append(cell)
    path = tmp_path / "ch.ipynb"
    nbformat.write(nb, path)
    assert drop_logs(path) == 1
    kept = nbformat.read(path, as_version=4).cells[0].outputs
    assert [o["output_type"] for o in kept] == ["stream", "display_data"] and kept[0]["name"] == "stderr"
