"""Execute the book's chapters with papermill and build the HTML (what ``make book`` runs).

    python -m evoscale.bookbuild [--profile book] [--chapters 03_compute ...] [-p NAME VALUE ...]
                                 [--no-html]

Chapters are Jupytext py:percent files in ``book/``. Each is converted to a notebook, executed by
papermill with ``-p profile PROFILE`` (plus any ``-p`` given) into ``_build/src/<profile>/``, beside
a copy of ``book/*.md``, ``_toc.yml`` and ``references.bib``; Jupyter Book then renders that folder
(it does not execute anything itself) into ``_build/html``.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def chapters(book: Path) -> list[str]:
    return sorted(p.stem for p in book.glob("[0-9][0-9]_*.py"))


def execute_chapter(name: str, out_dir: Path, parameters: dict, book: Path = ROOT / "book") -> Path:
    import jupytext
    import papermill

    out_dir.mkdir(parents=True, exist_ok=True)
    src = out_dir / f".{name}.input.ipynb"
    jupytext.write(jupytext.read(book / f"{name}.py"), src)
    out = out_dir / f"{name}.ipynb"
    papermill.execute_notebook(
        str(src), str(out), parameters=parameters, cwd=str(book.parent), kernel_name="python3",
        progress_bar=False,
    )
    src.unlink()
    return out


def build(profile: str, names: list[str] | None, extra: dict, html: bool, root: Path = ROOT) -> Path:
    book = root / "book"
    staging = root / "_build" / "src" / profile
    if staging.exists():
        shutil.rmtree(staging)
    staging.mkdir(parents=True)
    for f in [*book.glob("*.md"), book / "_toc.yml", book / "references.bib"]:
        shutil.copy(f, staging / f.name)
    for name in names or chapters(book):
        t = time.perf_counter()
        print(f"executing {name} (profile {profile}) ...", flush=True)
        execute_chapter(name, staging, {"profile": profile, **extra}, book)
        print(f"  done in {time.perf_counter() - t:.0f} s", flush=True)
    if not html:
        return staging
    from jupyter_book.cli.main import build as jb_build

    args = [str(staging), "--config", str(root / "_config.yml"), "--toc", str(staging / "_toc.yml"),
            "--path-output", str(root), "--warningiserror", "--keep-going"]
    try:
        jb_build.main(args=args, standalone_mode=False)
    except SystemExit as e:
        if e.code:
            raise
    index = root / "_build" / "html" / "index.html"
    print(f"book built: {index}")
    return index


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
    args = p.parse_args(argv)
    extra = {k: _parse_value(v) for k, v in args.p}
    try:
        build(args.profile, args.chapters, extra, not args.no_html)
    except Exception as err:  # papermill's error already names the cell; no second traceback
        print(f"evoscale.bookbuild: {type(err).__name__}: {err}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
