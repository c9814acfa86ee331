"""bookbuild's student edition sources, without executing anything: solution blocks (both forms
sphinx-exercise knows) leave the notebooks and pages, exercises stay, and solutions are hidden."""

import json

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
