"""The book end to end: every chapter executes at the smoke profile, the HTML builds, and a
misspelt papermill parameter aborts instead of being ignored."""

import re
from pathlib import Path

import pytest

from evoscale.bookbuild import ROOT, chapters, execute_chapter

pytestmark = pytest.mark.slow


def test_unknown_papermill_parameter_aborts(tmp_path, monkeypatch):
    import papermill

    monkeypatch.setenv("EVOSCALE_RESULTS", str(tmp_path / "results"))
    with pytest.raises(papermill.PapermillExecutionError, match="unknown parameter.*'popsiz'"):
        execute_chapter("03_compute", tmp_path, {"profile": "smoke", "popsiz": 3})


def test_unknown_profile_aborts(tmp_path, monkeypatch):
    import papermill

    monkeypatch.setenv("EVOSCALE_RESULTS", str(tmp_path / "results"))
    with pytest.raises(papermill.PapermillExecutionError, match="unknown profile 'tiny'"):
        execute_chapter("03_compute", tmp_path, {"profile": "tiny"})


def test_every_chapter_executes_at_smoke_and_the_book_builds(smoke_book):
    html = smoke_book["html"]
    assert (html / "index.html").exists()
    for name in chapters(ROOT / "book"):
        page = (html / f"{name}.html").read_text()
        assert "Traceback" not in page
        assert "<img" in page, f"{name}: no figure rendered"
    # chapter 3's smoke runs (cmaes, 2 seeds) landed in the shared run store, one CSV per seed
    assert len(list((smoke_book["results"] / "smoke" / "runs").glob("cmaes-LunarLander-v3-s*.csv"))) == 2
    # make book says how long it took and what to open
    assert re.search(r"book built \(full edition, profile smoke\) in \d+ min \d\d s; open .*_build/html/index.html",
                     smoke_book["log"])


def _soup(path: Path):
    from bs4 import BeautifulSoup

    return BeautifulSoup(path.read_text(), "html.parser")


IDENTIFIER = re.compile(r"^[a-z][a-z0-9]*(_[a-z0-9]+)+$")
LONG_FLOAT = re.compile(r"\d\.\d{5,}")


def test_every_table_a_reader_sees_has_worded_headers_and_rounded_numbers(smoke_book):
    """Tables outside the collapsed data cells: no identifiers as headers, no NaN, no six-decimal floats."""
    for name in chapters(ROOT / "book"):
        soup = _soup(smoke_book["html"] / f"{name}.html")
        for tbl in soup.select("div.output table"):
            if tbl.find_parent(class_="tag_hide-output"):
                continue
            heads = [th.get_text(strip=True) for th in tbl.select("thead th")]
            assert not [h for h in heads if IDENTIFIER.match(h)], f"{name}: identifier headers {heads}"
            cells = [td.get_text(strip=True) for td in tbl.select("td")]
            assert not [c for c in cells if c.lower() == "nan"], f"{name}: NaN in a table"
            assert not [c for c in cells if LONG_FLOAT.search(c)], f"{name}: unrounded numbers {cells[:20]}"


# chapters whose verdicts are still being converted to the vocabulary (issue "verdicts with teeth")
PENDING_VOCABULARY: set[str] = set()


def test_the_intro_gives_each_claim_one_verdict_word_a_short_number_and_a_link(smoke_book):
    from evoscale.experiments.report import WORDS

    soup = _soup(smoke_book["html"] / "intro.html")
    rows = [tr for tbl in soup.select("table") for tr in tbl.select("tbody tr")]
    assert len(rows) >= 9  # five dimensions, four open questions (and any chapter added since)
    for tr in rows:
        cell = tr.find_all("td")[-1]
        link = cell.find("a")["href"].split("#")[0].removesuffix(".html")
        text = cell.get_text(" ", strip=True)
        assert len(text.split()) <= 30, f"{link}: {len(text.split())} words: {text}"
        assert not cell.find(["strong", "b"]), f"{link}: bold verdict"
        if link not in PENDING_VOCABULARY:
            assert text.split(":")[0] in WORDS, f"{link}: no verdict word in {text!r}"


def test_each_chapter_opens_with_its_verdict_and_the_results_provenance(smoke_book):
    for name in chapters(ROOT / "book"):
        text = _soup(smoke_book["html"] / f"{name}.html").select_one("main").get_text(" ", strip=True)
        head = text[:1500]
        assert "Verdict" in head and "Results: profile smoke" in head and "ran on" in head, f"{name}: {head[:400]}"
        assert re.search(r"newest result \d{4}-\d{2}-\d{2}", head), name


def test_the_glossary_defines_the_terms_and_the_intro_links_them(smoke_book):
    glossary = _soup(smoke_book["html"] / "glossary.html")
    terms = {dt.get_text(" ", strip=True).rstrip("#¶ ") for dt in glossary.select("dl.glossary dt")}
    assert {"evaluation", "generation", "episode", "solved test", "IQM", "bootstrap CI", "P(improvement)"} <= terms
    links = {a["href"].split("#")[1] for a in _soup(smoke_book["html"] / "intro.html").select("a[href^='glossary.html#']")}
    assert len(links) >= 7, links


def _solutions():
    """(chapter, exercise labels, a plain phrase of each solution) from the chapters' sources."""
    out = []
    for name in chapters(ROOT / "book"):
        text = "\n".join(line[2:] if line.startswith("# ") else line.lstrip("#")
                         for line in (ROOT / "book" / f"{name}.py").read_text().splitlines())
        labels = re.findall(r"^:label: (\S+)", text, re.M)
        bodies = re.findall(r"^```\{solution-start\}.*?\n```\n(.*?)^```\{solution-end\}", text, re.M | re.S)
        phrases = []
        for body in bodies:
            runs = sorted(re.findall(r"[A-Za-z][A-Za-z ,;'-]{40,}", body), key=len, reverse=True)
            assert runs, f"{name}: a solution without plain text"
            phrases.append(" ".join(runs[0].split()))
        out.append((name, labels, phrases))
    return out


def _plain(path: Path) -> str:
    text = _soup(path).get_text(" ") if path.suffix == ".html" else path.read_text(errors="replace")
    return " ".join(text.translate(str.maketrans("’‘“”", "''\"\"")).split())  # Sphinx's smart quotes


def test_the_student_edition_has_every_exercise_and_no_solution_anywhere(smoke_book, student_book):
    student, full = student_book["html"], smoke_book["html"]
    assert (student / "index.html").exists() and "book built (student edition" in student_book["log"]
    assert "executing" not in student_book["log"] and "reusing 9 executed notebook(s)" in student_book["log"], \
        student_book["log"][:2000]
    files = [p for p in student.rglob("*") if p.is_file() and p.suffix in (".html", ".ipynb", ".txt", ".js", ".md")]
    assert [p for p in files if p.suffix == ".ipynb"], "no downloadable notebooks in the student edition"
    corpus = {p: _plain(p) for p in files}
    for name, labels, phrases in _solutions():
        assert labels and len(phrases) == len(labels), name
        page = (student / f"{name}.html").read_text()
        assert all(f'id="{label}"' in page for label in labels), f"{name}: an exercise is missing"
        assert 'class="solution' not in page
        full_text = _plain(full / f"{name}.html")
        for phrase in phrases:
            assert phrase in full_text, f"{name}: the full edition lacks its solution {phrase!r}"
            leaks = [str(p.relative_to(student)) for p, text in corpus.items() if phrase in text]
            assert not leaks, f"{name}: solution text {phrase!r} in {leaks}"


def test_a_number_two_chapters_show_is_glued_with_one_value(smoke_book):
    """The smoke build's notebooks through ``glue_helpers.disagreements`` (the book profile's: in
    test_shared_numbers); every chapter executed, so every check runs but those tied to the book
    profile (its 2,788-parameter network, chapter 6's idle-core unit costs, runs two chapters share)."""
    from glue_helpers import disagreements, glued

    problems, skipped = disagreements(glued(ROOT / "_build" / "src" / "smoke"))
    assert not problems, "one quantity, several values across chapters:\n" + "\n".join(problems)
    assert all(any(k in s for k in ("upd_n", "cost_state", "provenance")) for s in skipped), skipped


def test_exercises_are_numbered_per_chapter(smoke_book):
    """Chapter 2's exercises read "Exercise 2.1", "Exercise 2.2", ... and their solutions "Solution to
    Exercise 2.1" (sphinx-exercise alone numbers them across the book)."""
    for name in chapters(ROOT / "book"):
        soup = _soup(smoke_book["html"] / f"{name}.html")
        n = int(name[:2])
        titles = [" ".join(e.select_one(".admonition-title").get_text(" ").split()) for e in soup.select("div.exercise")]
        assert titles, f"{name}: no exercise"
        assert all(t.startswith(f"Exercise {n}.{k}") for k, t in enumerate(titles, 1)), (name, titles)
        sols = [" ".join(e.select_one(".admonition-title").get_text(" ").split()) for e in soup.select("div.solution")]
        assert sols == [f"Solution to Exercise {n}.{k}" for k in range(1, len(titles) + 1)], (name, sols)
