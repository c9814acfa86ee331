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
pause = 0

# %%
import time

time.sleep(pause)  # a chapter that runs long (killed mid-execution)
if not isinstance(seeds, int) or seeds < 1:
    raise ValueError(f"seeds must be a positive integer, got {seeds!r}")
f"ran with {seeds} seeds"  # an execute_result (a display): printed logs are dropped from the notebook
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
    assert not (tiny.parent / ".exec-smoke").exists()  # the failed execution's folder is gone too


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


KILLED_BUILD = """
import functools, sys
from pathlib import Path
from evoscale import bookbuild
bookbuild.build = functools.partial(bookbuild.build, root=Path(sys.argv[1]))
bookbuild.main(["--profile", "smoke", "--no-html", "-p", "pause", "120"])
"""


def test_a_killed_chapters_hidden_folder_is_removed_by_the_next_build(tiny):
    """``make chapter`` killed mid-execution leaves its temporary folder beside the staging folder
    (``_build/src/.exec-<profile>/.<chapter>.<pid>.*``); the next build removes it, and a live
    execution's folder stays. Nothing hidden stays in ``_build/src``."""
    import os
    import subprocess
    import sys
    import time

    from evoscale import bookbuild

    scratch = tiny.parent / ".exec-smoke"  # beside the staging folder (bookbuild.scratch_dir)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    killed = subprocess.Popen([sys.executable, "-c", KILLED_BUILD, str(tiny.parents[2])], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 120
        while not list(scratch.glob(".00_tiny.*/00_tiny.ipynb")) and time.monotonic() < deadline:
            time.sleep(0.2)  # the kernel is executing (the result notebook exists from the start)
        assert list(scratch.glob(".00_tiny.*")), "the chapter did not start"
    finally:
        killed.kill()
        killed.wait()
    live = scratch / f".00_tiny.{os.getpid()}.live"  # another execution in progress: it stays
    live.mkdir()
    other = tiny.parent / ".exec-book" / ".00_tiny.x1y2z3"  # another profile's killed execution (no pid)
    other.mkdir(parents=True)
    assert bookbuild.main(["--profile", "smoke", "--no-html"]) == 0
    assert [p.name for p in scratch.iterdir()] == [live.name] and not other.parent.exists()
    live.rmdir()
    assert bookbuild.main(["--profile", "smoke", "--no-html"]) == 0
    assert not [p.name for p in tiny.parent.iterdir() if p.is_dir() and p.name.startswith(".")]


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


def test_the_student_edition_reuses_current_notebooks_and_executes_stale_ones(tiny, tmp_path, monkeypatch, capsys):
    """After a full build, `--edition student` renders without executing; a chapter changed since, or
    results stored since, make it execute that chapter again (issue 38: make book EDITION=student)."""
    import os

    from evoscale import bookbuild

    results = tmp_path / "results"
    (results / "smoke").mkdir(parents=True)
    (results / "smoke" / "run.csv").write_text("x\n")
    monkeypatch.setenv("EVOSCALE_RESULTS", str(results))
    assert bookbuild.main(["--profile", "smoke", "--no-html"]) == 0  # what `make book` executed
    executed, rendered = [], []
    real = bookbuild.execute_chapter
    monkeypatch.setattr(bookbuild, "execute_chapter", lambda name, *a, **k: executed.append(name) or real(name, *a, **k))
    monkeypatch.setattr(bookbuild, "render", lambda source, output, config: rendered.append(config))
    capsys.readouterr()
    assert bookbuild.main(["--profile", "smoke", "--edition", "student"]) == 0
    assert executed == [] and len(rendered) == 1 and "reusing 1 executed notebook(s)" in capsys.readouterr().out
    assert bookbuild.main(["--profile", "smoke", "--edition", "student", "-p", "seeds", "3"]) == 0  # other parameters
    assert executed == ["00_tiny"]
    assert bookbuild.main(["--profile", "smoke", "--no-html"]) == 0
    executed.clear()
    later = (tiny / "00_tiny.ipynb").stat().st_mtime + 10
    os.utime(results / "smoke" / "run.csv", (later, later))  # a run stored after the execution
    assert bookbuild.main(["--profile", "smoke", "--edition", "student"]) == 0
    assert executed == ["00_tiny"]
    executed.clear()
    assert bookbuild.main(["--profile", "smoke", "--edition", "student"]) == 0  # current again
    assert executed == []
    source = tmp_path / "book" / "00_tiny.py"
    later = (tiny / "00_tiny.ipynb").stat().st_mtime + 10
    os.utime(source, (later, later))  # the chapter edited after its execution
    assert bookbuild.main(["--profile", "smoke", "--edition", "student"]) == 0
    assert executed == ["00_tiny"]


def test_exercises_are_numbered_per_chapter():
    """sphinx-exercise numbers exercises across the book; `number_exercises` renumbers each chapter's
    (2.1, 2.2, ...) in their order on the page and leaves pages without a chapter number alone."""
    from types import SimpleNamespace

    from evoscale.bookbuild import number_exercises

    numbers = {"01_parameters": {"exercise": {"ex-a": (1,), "ex-b": (2,)}, "figure": {"f": (1,)}},
               "02_environments": {"exercise": {"ex-d": (4,), "ex-c": (3,)}},
               "intro": {"exercise": {"ex-e": (5,)}}, "glossary": {}}
    env = SimpleNamespace(toc_fignumbers=numbers)
    assert sorted(number_exercises(None, env)) == ["01_parameters", "02_environments"]
    assert numbers["01_parameters"] == {"exercise": {"ex-a": (1, 1), "ex-b": (1, 2)}, "figure": {"f": (1,)}}
    assert numbers["02_environments"]["exercise"] == {"ex-c": (2, 1), "ex-d": (2, 2)}
    assert numbers["intro"]["exercise"] == {"ex-e": (5,)}
    assert number_exercises(None, env) == []  # already per chapter: nothing to rewrite


def test_the_repository_button_links_the_clones_origin_or_is_left_off(tmp_path):
    import yaml

    from evoscale.bookbuild import book_config, browsable_url

    assert browsable_url("git@github.com:someone/evoscale.git") == "https://github.com/someone/evoscale"
    assert browsable_url("https://github.com/someone/evoscale.git") == "https://github.com/someone/evoscale"
    assert browsable_url("/srv/git/evoscale") is None and browsable_url("") is None
    cfg = yaml.safe_load(book_config(tmp_path / "a", url="https://github.com/someone/evoscale").read_text())
    assert cfg["html"]["use_repository_button"] and cfg["repository"]["url"] == "https://github.com/someone/evoscale"
    assert cfg["sphinx"]["config"]["html_theme_options"]["use_download_button"]
    assert not any(cfg["launch_buttons"].get(k) for k in ("binderhub_url", "jupyterhub_url", "colab_url", "thebe"))
    cfg = yaml.safe_load(book_config(tmp_path / "b", "student", url="").read_text())
    assert cfg["html"]["use_repository_button"] is False and cfg["sphinx"]["config"]["hide_solutions"] is True
