"""Execute the book's chapters with papermill and build the HTML (what ``make book`` runs).

    python -m evoscale.bookbuild [--profile book] [--chapters 03_compute ...] [-p NAME VALUE ...]
                                 [--no-html] [--edition full|student] [--render-only]

Chapters are Jupytext py:percent files in ``book/``. Each is converted to a notebook, executed by
papermill with ``-p profile PROFILE`` (plus any ``-p`` given) into ``_build/src/<profile>/``, beside
a copy of ``book/*.md``, ``_toc.yml`` and ``references.bib``; Jupyter Book then renders that folder
(it does not execute anything itself) into ``_build/html``.

``--edition student`` renders the same executed notebooks into ``_build/student/html`` for handing
out: the solution blocks are stripped from the notebooks (so the downloadable ``.ipynb`` files hold
none either) and sphinx-exercise's ``hide_solutions`` is on. It executes only the chapters whose
notebook in ``_build/src/<profile>/`` is not current (``is_current``: executed with this build's
parameters, after the last change to its chapter and to the profile's results), so after ``make book``
``make book EDITION=student`` only renders. ``--render-only`` renders the notebooks already executed
instead of executing any.

Exercises are numbered per chapter (2.1, 2.2, ... in ``02_environments``; ``number_exercises``).

Two executions at once (e.g. two ``make chapter`` of one chapter) do not clash: each converts and
executes in a temporary folder of its own (beside the staging folder, never in it; the next build
removes a killed execution's) and renames the finished notebook into place -- only if it
succeeded: a failed execution's notebook goes to ``_build/src/<profile>-failed/`` and the good one
stays. Papermill records each notebook's parameters; the render refuses (exit 2, one line) a
notebook executed with other parameters than the build's (``-p``, none by default), so a ``make
chapter PARAMS=...`` is never shown as the profile's book.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import shutil
import sys
import tempfile
import time
from pathlib import Path

from .store import atomic_write

ROOT = Path(__file__).resolve().parents[2]


def chapters(book: Path) -> list[str]:
    return sorted(p.stem for p in book.glob("[0-9][0-9]_*.py"))


def execute_chapter(name: str, out_dir: Path, parameters: dict, book: Path = ROOT / "book") -> Path:
    """Execute chapter ``name`` into ``out_dir/<name>.ipynb``, replacing it only if the run succeeds
    (a failed run never replaces a good notebook): the execution runs in a temporary folder beside
    ``out_dir`` (never inside it, where the render would see it); a failed run's notebook, which
    shows the error, goes to ``failed_path`` and the exception carries it (``err.notebook``). Papermill
    records ``parameters`` in the notebook (``executed_parameters``)."""
    import jupytext
    import papermill

    out_dir.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("TQDM_DISABLE", "1")  # the kernel inherits it: no progress bars in the book
    out = out_dir / f"{name}.ipynb"
    scratch = scratch_dir(out_dir)
    remove_killed_executions(scratch)
    scratch.mkdir(exist_ok=True)
    # this execution's own paths, named with its pid (a killed one's folder is removed by the next build)
    with _removing(scratch), tempfile.TemporaryDirectory(prefix=f".{name}.{os.getpid()}.", dir=scratch) as tmp:
        src, result = Path(tmp) / "input.ipynb", Path(tmp) / out.name
        jupytext.write(jupytext.read(book / f"{name}.py"), src)
        try:
            papermill.execute_notebook(
                str(src), str(result), parameters=parameters, cwd=str(book.parent), kernel_name="python3",
                progress_bar=False,
            )
        except Exception as err:
            if result.exists():  # the failed run's notebook shows the error; the good one stays
                failed = failed_path(out_dir, name)
                failed.parent.mkdir(parents=True, exist_ok=True)
                os.replace(result, failed)
                err.notebook = failed
            raise
        drop_logs(result)
        os.replace(result, out)
    return out


@contextlib.contextmanager
def _removing(scratch: Path):
    """On leaving, however (a failed execution too): ``remove_killed_executions(scratch)``."""
    try:
        yield
    finally:
        remove_killed_executions(scratch)


def scratch_dir(out_dir: Path) -> Path:
    """Where ``execute_chapter`` executes the chapters of ``out_dir`` (a staging folder): beside it."""
    return out_dir.parent / f".exec-{out_dir.name}"


def remove_killed_executions(scratch: Path) -> list[Path]:
    """Remove the folders in ``scratch`` of executions whose process is gone (a killed ``make chapter``
    leaves its ``.<chapter>.<pid>.*`` folder, and older builds one without a pid); ``scratch`` itself
    too once empty. A live execution's folder stays. Returns the folders removed."""
    removed = []
    for d in scratch.glob(".*") if scratch.is_dir() else []:
        pid = d.name.split(".")[2] if d.name.count(".") >= 3 else ""
        if d.is_dir() and not (pid.isdigit() and _alive(int(pid))):
            shutil.rmtree(d, ignore_errors=True)
            removed.append(d)
    try:
        scratch.rmdir()
    except OSError:  # absent, or an execution is still in it
        pass
    return removed


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True


def drop_logs(notebook: Path) -> int:
    """Remove what the library printed while a chapter ran (stdout streams: "cached: <path>", run
    counts, progress lines) from the executed notebook, so no page shows machine output; tables,
    figures and glued values are displays and stay. Returns how many were removed."""
    import nbformat

    nb = nbformat.read(notebook, as_version=4)
    removed = 0
    for cell in nb.cells:
        if cell.cell_type == "code":
            keep = [o for o in cell.get("outputs", []) if not (o.get("output_type") == "stream" and o.get("name") == "stdout")]
            removed += len(cell.outputs) - len(keep)
            cell.outputs = keep
    nbformat.write(nb, notebook)
    return removed


def failed_path(out_dir: Path, name: str) -> Path:
    """Where a failed execution of chapter ``name`` leaves its notebook: beside ``out_dir``, not in it."""
    return out_dir.parent / f"{out_dir.name}-failed" / f"{name}.ipynb"


class StaleNotebookError(ValueError):
    """An executed notebook ran with other parameters than the build renders for."""


def executed_parameters(notebook: Path) -> dict | None:
    """The parameters papermill executed ``notebook`` with (None: none recorded)."""
    meta = json.loads(notebook.read_text()).get("metadata", {})
    return meta.get("papermill", {}).get("parameters")


def check_parameters(staging: Path, names: list[str], wanted: dict) -> None:
    """``StaleNotebookError`` naming the first notebook in ``staging`` executed with parameters other
    than ``wanted`` (e.g. after ``make chapter CH=03_compute PARAMS="-p seeds 3"``): the book would
    show it under the profile's name."""
    wanted = json.loads(json.dumps(wanted))
    for name in names:
        ran = executed_parameters(staging / f"{name}.ipynb")
        if ran != wanted:
            differ = {k: v for k, v in (ran or {}).items() if k not in wanted or wanted[k] != v}
            raise StaleNotebookError(
                f"{name}.ipynb was executed with {differ or ran or 'no recorded parameters'} (not this build's "
                f"parameters {wanted}); "
                f"execute it again (make chapter CH={name}) or pass the same -p to render it")


def _newest_mtime(folder: Path) -> float:
    return max((p.stat().st_mtime for p in folder.rglob("*") if p.is_file()), default=0.0)


def results_stamp(staging: Path) -> Path:
    """Beside the staging folder: the newest results file's time when the last execution of every
    chapter ended (a chapter that writes a cache while executing then does not make the chapters
    executed before it look stale)."""
    return staging.parent / f".{staging.name}.results-mtime"


def is_current(notebook: Path, source: Path, wanted: dict, results: Path | None = None) -> bool:
    """Whether the executed ``notebook`` still shows what executing ``source`` now would: executed with
    the parameters ``wanted``, after the last change to ``source``, and with no file under ``results``
    (the profile's stored results, where given) newer than the notebook or than the last execution of
    every chapter (``results_stamp``)."""
    if not notebook.exists() or executed_parameters(notebook) != json.loads(json.dumps(wanted)):
        return False
    executed = notebook.stat().st_mtime
    if executed < source.stat().st_mtime:
        return False
    if results is None or not results.is_dir():
        return True
    stamp = results_stamp(notebook.parent)
    seen = max(executed, float(stamp.read_text()) if stamp.exists() else 0.0)
    return _newest_mtime(results) <= seen


SOLUTION = re.compile(r"^```\{solution-start\}.*?^```\{solution-end\}\n```[ \t]*\n?"
                      r"|^(`{3,}|:{3,})\{solution\}.*?^\1[ \t]*\n?", re.M | re.S)
"""A solution block in a markdown cell: sphinx-exercise's gated form (start ... end) or the plain directive."""


def strip_solutions(text: str) -> str:
    return SOLUTION.sub("", text)


def student_sources(staging: Path, out: Path) -> Path:
    """The student edition's sources: ``staging`` with the solution blocks stripped from every
    notebook's markdown cells and every page, and a ``_config.yml`` that hides solutions."""
    out.mkdir(parents=True, exist_ok=True)
    if (staging / "_static").is_dir():
        shutil.copytree(staging / "_static", out / "_static", dirs_exist_ok=True)
    for f in staging.iterdir():
        if not f.is_file() or f.name.startswith("."):
            continue
        if f.suffix == ".ipynb":
            nb = json.loads(f.read_text())
            for cell in nb["cells"]:
                if cell["cell_type"] == "markdown":
                    cell["source"] = strip_solutions("".join(cell["source"]))
            data = json.dumps(nb, indent=1, ensure_ascii=False)
            atomic_write(out / f.name, lambda o, d=data: o.write(d))
        elif f.suffix == ".md":
            text = strip_solutions(f.read_text())
            atomic_write(out / f.name, lambda o, t=text: o.write(t))
        else:
            shutil.copyfile(f, out / f.name)
    return book_config(out, "student")


def repository_url(root: Path = ROOT) -> str | None:
    """The clone's ``origin`` as a browsable https URL (a GitHub-style host), else None (no remote, or
    a local path: nothing a reader could open)."""
    import subprocess

    try:
        from .runs import dies_with_me

        r = subprocess.run(["git", "-C", str(root), "remote", "get-url", "origin"], capture_output=True, text=True,
                           timeout=30, preexec_fn=dies_with_me())
    except (OSError, subprocess.SubprocessError):
        return None
    return browsable_url(r.stdout.strip() if r.returncode == 0 else "")


def browsable_url(url: str) -> str | None:
    """A git remote's URL as a reader's browser opens it: ``git@host:owner/repo.git`` and
    ``https://host/owner/repo.git`` -> ``https://host/owner/repo``; a local path or nothing -> None."""
    if m := re.fullmatch(r"(?:ssh://)?git@([^:/]+)[:/](.+?)(?:\.git)?/?", url):
        return f"https://{m[1]}/{m[2]}"
    if m := re.fullmatch(r"https?://(?:[^@/]+@)?(.+?)(?:\.git)?/?", url):
        return f"https://{m[1]}"
    return None


def book_config(out: Path, edition: str = "full", root: Path = ROOT, url: str | None = None) -> Path:
    """``out/_config.yml``: the repository's ``_config.yml`` with the repository button's URL (``url``,
    default ``repository_url()``; none: the button is left off) and, for the student edition, its
    title and sphinx-exercise's ``hide_solutions``."""
    import yaml

    config = yaml.safe_load((root / "_config.yml").read_text())
    url = repository_url(root) if url is None else url
    if url:
        config.setdefault("repository", {})["url"] = url
    elif config.get("html", {}).get("use_repository_button"):
        config["html"]["use_repository_button"] = False
        print("no repository button: this clone has no browsable `origin` remote", flush=True)
    if edition == "student":
        config["title"] = config["title"] + " (student edition)"
        config.setdefault("sphinx", {}).setdefault("config", {})["hide_solutions"] = True
    out.mkdir(parents=True, exist_ok=True)
    atomic_write(out / "_config.yml", lambda o: o.write(yaml.safe_dump(config, allow_unicode=True, sort_keys=False)))
    return out / "_config.yml"


def render(source: Path, output: Path, config: Path) -> None:
    """Jupyter Book's HTML build of ``source`` into ``output`` (what ``jupyter-book build`` runs,
    with the output folder chosen here), warnings as errors."""
    from jupyter_book.cli.main import builder_specific_actions
    from jupyter_book.sphinx import build_sphinx

    source, output = Path(source).resolve(), Path(output).resolve()
    toc = source / "_toc.yml"
    result = build_sphinx(source, output, noconfig=True, path_config=str(config), warningiserror=True, keep_going=True,
                          confoverrides={"external_toc_path": toc.as_posix(), "latex_individualpages": False})
    builder_specific_actions(result, "html", output, "book", print_func=print)


def build(profile: str, names: list[str] | None, extra: dict, html: bool, root: Path = ROOT,
          edition: str = "full", execute: bool = True) -> Path:
    t0 = time.perf_counter()
    book = root / "book"
    staging = root / "_build" / "src" / profile
    static = sorted(p for p in (book / "_static").rglob("*") if p.is_file())  # the book's CSS
    sources = [*book.glob("*.md"), book / "_toc.yml", book / "references.bib"]
    for f in [*sources, *static]:
        atomic_write(staging / f.relative_to(book), lambda out: out.write(f.read_bytes()), binary=True)
    wanted = {f.name for f in sources} | {f"{name}.ipynb" for name in chapters(book)}
    for f in staging.iterdir():  # left from an older book
        if f.is_file() and f.name not in wanted and not f.name.startswith("."):
            f.unlink(missing_ok=True)
        elif f.is_dir() and f.name.startswith("."):  # a killed execution's folder (executions now run outside)
            shutil.rmtree(f, ignore_errors=True)
    for scratch in staging.parent.glob(".exec-*"):  # every profile's killed executions
        remove_killed_executions(scratch)
    todo = (names or chapters(book)) if execute else []
    if edition == "student" and html:  # reuse the notebooks a full `make book` executed, where still current
        from .runs import results_root

        params = {"profile": profile, **extra}
        reused = [n for n in todo if is_current(staging / f"{n}.ipynb", book / f"{n}.py", params, results_root() / profile)]
        todo = [n for n in todo if n not in reused]
        if reused:
            print(f"reusing {len(reused)} executed notebook(s), current for profile {profile}: {', '.join(reused)}",
                  flush=True)
    for name in todo:
        t = time.perf_counter()
        print(f"executing {name} (profile {profile}) ...", flush=True)
        try:
            execute_chapter(name, staging, {"profile": profile, **extra}, book)
        except Exception as err:
            err.chapter = name  # for main's one line
            raise
        print(f"  done in {time.perf_counter() - t:.0f} s", flush=True)
    if execute and not names:  # every chapter executed: the results they saw (``is_current``)
        from .runs import results_root

        newest = _newest_mtime(results_root() / profile) if (results_root() / profile).is_dir() else 0.0
        atomic_write(results_stamp(staging), lambda out: out.write(repr(newest)))
    missing = [n for n in chapters(book) if not (staging / f"{n}.ipynb").exists()]
    if not html:
        return staging
    if missing:
        raise FileNotFoundError(f"not executed yet (run without --render-only): {', '.join(missing)}")
    check_parameters(staging, chapters(book), {"profile": profile, **extra})
    if edition == "student":
        config = student_sources(staging, root / "_build" / "src" / f"{profile}-student")
        source, output = config.parent, root / "_build" / "student" / "html"
    else:
        source, output, config = staging, root / "_build" / "html", book_config(staging, "full", root)
    render(source, output, config)
    minutes, seconds = divmod(round(time.perf_counter() - t0), 60)
    print(f"book built ({edition} edition, profile {profile}) in {minutes} min {seconds:02d} s; "
          f"open {output / 'index.html'}")
    return output / "index.html"


def _unique_scripts(app, pagename, templatename, context, doctree) -> None:
    """Each script once per page. Sphinx 7.4 lists an inline script added after the builder started
    twice (once as filename None, once as ""): sphinx-thebe's ``const THEBE_JS_URL`` then fails in the
    browser with "Identifier 'THEBE_JS_URL' has already been declared" (the browser test saw it)."""
    seen, unique = set(), []
    for js in context.get("script_files", []):
        key = (getattr(js, "filename", None) or "", str(sorted(getattr(js, "attributes", {}).items())))
        if key not in seen:
            seen.add(key)
            unique.append(js)
    context["script_files"] = unique


CHAPTER_NUMBER = re.compile(r"^(\d+)_")
"""A chapter's number in its page name (``02_environments`` is chapter 2)."""


def number_exercises(app, env) -> list[str]:
    """Exercises numbered per chapter: sphinx-exercise numbers them as Sphinx numbers figures, which
    without a numbered table of contents runs across the whole book (the 13th exercise is "Exercise
    13" whichever chapter it is in). After Sphinx assigned those numbers (``env-get-updated``), each
    chapter page's exercises become (chapter, 1), (chapter, 2), ... in their order on the page, which
    the exercise titles, the solutions' "Solution to Exercise 2.1" and every reference then show.
    Pages without a chapter number keep theirs. Returns the pages whose numbers changed (rewritten)."""
    changed = []
    for docname, numbers in env.toc_fignumbers.items():
        chapter, exercises = CHAPTER_NUMBER.match(docname.rsplit("/", 1)[-1]), numbers.get("exercise")
        if not (chapter and exercises):
            continue
        ordered = sorted(exercises, key=exercises.__getitem__)
        per_chapter = {ident: (int(chapter.group(1)), k) for k, ident in enumerate(ordered, 1)}
        if per_chapter != exercises:
            numbers["exercise"] = per_chapter
            changed.append(docname)
    return changed


def setup(app):
    """This module as a Sphinx extension (``_config.yml``'s ``extra_extensions``)."""
    app.connect("html-page-context", _unique_scripts)
    app.connect("env-get-updated", number_exercises, priority=900)  # after Sphinx's own numbering (500)
    return {"parallel_read_safe": True, "parallel_write_safe": True}


def _parse_value(text: str):
    import yaml

    return yaml.safe_load(text)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m evoscale.bookbuild", description=__doc__.split("\n")[0])
    p.add_argument("--profile", default="book", choices=["smoke", "quick", "book", "full"])
    p.add_argument("--chapters", nargs="*", help="chapter names (default: all in book/)")
    p.add_argument("-p", nargs=2, action="append", default=[], metavar=("NAME", "VALUE"),
                   help="papermill parameter (value parsed as YAML), repeatable")
    p.add_argument("--no-html", action="store_true", help="execute only")
    p.add_argument("--edition", choices=["full", "student"], default="full",
                   help="student: no solutions, in _build/student/html")
    p.add_argument("--render-only", action="store_true", help="render the notebooks already executed")
    args = p.parse_args(argv)
    extra = {k: _parse_value(v) for k, v in args.p}
    try:
        build(args.profile, args.chapters, extra, not args.no_html, edition=args.edition,
              execute=not args.render_only)
    except Exception as err:  # one line naming the cause; the executed notebook keeps the traceback
        print(f"evoscale.bookbuild: {one_line(err)}", file=sys.stderr)
        return 2 if isinstance(err, StaleNotebookError) or _names_a_parameter(err, extra) else 1
    return 0


def _names_a_parameter(err: Exception, extra: dict) -> bool:
    """Whether a chapter failed on a bad ``-p`` value: a ValueError or TypeError naming one of them."""
    words = set(re.findall(r"\w+", str(getattr(err, "evalue", ""))))
    return getattr(err, "ename", None) in ("ValueError", "TypeError") and bool(words & set(extra))


def one_line(err: Exception) -> str:
    """A failure in one line: for a chapter's cell, the exception the cell raised (papermill's own
    message is the cell's whole traceback), else the exception itself."""
    ename, evalue = getattr(err, "ename", None), getattr(err, "evalue", None)
    chapter = getattr(err, "chapter", "a chapter")
    if ename is not None:
        first = next((ln for ln in str(evalue).splitlines() if ln.strip()), "")
        where = getattr(err, "notebook", None) or "its executed notebook"
        return f"{chapter} failed: {ename}: {first} ({where} shows the cell)"
    first = next((ln for ln in str(err).splitlines() if ln.strip()), "")
    return f"{type(err).__name__}: {first}"


if __name__ == "__main__":
    sys.exit(main())
