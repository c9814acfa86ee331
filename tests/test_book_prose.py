"""The book's prose stays readable for a student: no paragraph over 120 words, a chapter's verdict line
at most 60, every chapter ends its text with a Takeaways box, and the glossary defines the terms a
student meets and every chapter links each of them at its first use.

Paragraphs are counted in the source (each chapter's markdown cells and the book's .md pages): blank
lines, headings, list items and directive fences separate them; code blocks, tables and directives'
option lines are left out; a glue reference or citation counts as one word, a cross-reference as the
words it shows. Where the book has been executed (``_build/src/book``), the same is counted once more
with every glue reference replaced by the text it shows."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BOOK = ROOT / "book"
EXECUTED = ROOT / "_build" / "src" / "book"
MAX_WORDS = 120
MAX_VERDICT_WORDS = 60

ROLE = re.compile(r"\{([a-z:]+)\}`([^`]*)`")
FENCE = re.compile(r"^\s*(`{3,}|:{3,})\s*(\{[^}]*\})?")
OPTION = re.compile(r"^\s*:[\w-]+:")
ITEM = re.compile(r"^\s*(?:[-*+]|\d+\.)\s+")


def chapter_files() -> list[Path]:
    return sorted(BOOK.glob("[0-9][0-9]_*.py"))


def markdown_cells(path: Path) -> list[str]:
    """The markdown cells of a Jupytext percent script, without the comment prefix."""
    cells, current = [], None
    for line in path.read_text().splitlines():
        if line.startswith("# %%"):
            if current is not None:
                cells.append("\n".join(current))
            current = [] if "[markdown]" in line else None
        elif current is not None:
            current.append(line[2:] if line.startswith("# ") else line.lstrip("#"))
    if current is not None:
        cells.append("\n".join(current))
    return cells


def notebook_cells(path: Path) -> tuple[list[str], dict[str, str]]:
    """An executed notebook's markdown cells and the text of each glued name."""
    nb = json.loads(path.read_text())
    cells, glued = [], {}
    for cell in nb["cells"]:
        if cell["cell_type"] == "markdown":
            cells.append("".join(cell["source"]))
        for o in cell.get("outputs", []):
            name = o.get("metadata", {}).get("scrapbook", {}).get("name")
            text = o.get("data", {}).get("application/papermill.record/text/plain")
            if name and text is not None:
                text = "".join(text)
                glued[name] = text[1:-1] if len(text) > 1 and text[0] == text[-1] and text[0] in "'\"" else text
    return cells, glued


def _role_words(m: re.Match, glued: dict[str, str] | None) -> str:
    role, content = m.group(1), m.group(2)
    if role.startswith("glue"):
        if glued is not None and content in glued:
            return glued[content]
        return "GLUE"
    if role in ("term", "doc", "ref", "numref"):
        shown = content.split("<")[0].strip()
        return shown or "REF"
    return "REF"  # a citation, math and the like: one word


def words(text: str, glued: dict[str, str] | None = None) -> int:
    return len(ROLE.sub(lambda m: _role_words(m, glued), text).split())


def paragraphs(markdown: str) -> list[str]:
    """The prose paragraphs of a markdown text (see the module's docstring for what counts)."""
    out, current, code = [], [], None

    def flush():
        if current:
            out.append(" ".join(current).strip())
        current.clear()

    for line in markdown.splitlines():
        fence = FENCE.match(line)
        if code is not None:  # inside a literal code block: skip until its closing fence
            if fence and fence.group(1) == code and not fence.group(2) and line.strip() == code:
                code = None
            continue
        if fence:
            flush()
            if fence.group(1).startswith("`") and not fence.group(2) and line.strip() != fence.group(1):
                code = fence.group(1)  # ```bash, ```python: literal code
            elif fence.group(2) and fence.group(2) in ("{code-cell}", "{code-block}", "{code}"):
                code = fence.group(1)
            continue
        stripped = line.strip()
        if not stripped or stripped.startswith("#") or stripped.startswith("|") or stripped.startswith("<!--"):
            flush()
            continue
        if OPTION.match(line) and not current:
            continue  # a directive's option line
        if ITEM.match(line):
            flush()
        current.append(stripped)
    flush()
    return [p for p in out if p]


def _before_exercises(markdown_cells_: list[str]) -> list[str]:
    """The chapter's text above its "## Exercises" heading."""
    out = []
    for cell in markdown_cells_:
        if re.search(r"^## Exercises", cell, re.M):
            out.append(cell.split("## Exercises")[0])
            break
        out.append(cell)
    return out


def _exercises(markdown_cells_: list[str]) -> str:
    """The chapter's "## Exercises" section and what follows it."""
    text = "\n\n".join(markdown_cells_)
    return text[text.index("## Exercises"):] if "## Exercises" in text else ""


def _sources() -> dict[str, str]:
    """The chapters' text above their exercises, and the book's .md pages."""
    texts = {p.name: "\n\n".join(_before_exercises(markdown_cells(p))) for p in chapter_files()}
    texts.update({p.name: p.read_text() for p in sorted(BOOK.glob("*.md"))})
    return texts


def long_paragraphs(texts: dict[str, str], glued: dict[str, dict[str, str]] | None = None, limit=MAX_WORDS):
    out = []
    for name, text in texts.items():
        for p in paragraphs(text):
            n = words(p, (glued or {}).get(name))
            if n > limit:
                out.append(f"{name}: {n} words: {p[:90]}…")
    return out


# --- the checker itself -----------------------------------------------------------------------------

def test_the_paragraph_counter_leaves_out_code_options_tables_and_counts_a_glue_as_one_word():
    md = """Intro line one
and two {glue:text}`a_long_sentence` {cite}`x2020` {term}`evaluations <evaluation>`.

```{glue:figure} fig
:name: fig-x

Caption here.
```

```bash
make chapter CH=01 PARAMS="-p a b"
```

| a | b |
|---|---|
| 1 | 2 |

- item one
- item two words
"""
    ps = paragraphs(md)
    assert ps == ["Intro line one and two {glue:text}`a_long_sentence` {cite}`x2020` {term}`evaluations <evaluation>`.",
                  "Caption here.", "- item one", "- item two words"]
    assert words(ps[0]) == 8
    assert words(ps[0], {"a_long_sentence": "four words right here"}) == 11


def test_the_checker_lists_an_offender():
    long = " ".join(["word"] * 121)
    assert long_paragraphs({"x.md": f"short\n\n{long}\n"}) == [f"x.md: 121 words: {long[:90]}…"]
    assert long_paragraphs({"x.md": " ".join(["word"] * 120)}) == []


# --- the book --------------------------------------------------------------------------------------

def test_no_paragraph_of_the_book_is_over_120_words():
    offenders = long_paragraphs(_sources())
    assert not offenders, "paragraphs over 120 words (split them, or move details into a table or a dropdown):\n" \
        + "\n".join(offenders)


def test_no_paragraph_of_the_exercises_is_over_120_words():
    offenders = long_paragraphs({p.name: _exercises(markdown_cells(p)) for p in chapter_files()})
    assert not offenders, "exercise paragraphs over 120 words:\n" + "\n".join(offenders)


def _executed() -> dict[str, tuple[list[str], dict[str, str]]]:
    notebooks = sorted(EXECUTED.glob("[0-9][0-9]_*.ipynb"))
    if not notebooks:
        pytest.skip("the book profile has not been executed here (python -m evoscale.bookbuild --profile book)")
    return {nb.stem: notebook_cells(nb) for nb in notebooks}


CROSS_GLUE_FORMAT = re.compile(r"(\{glue:text\}`[^`:]+\.ipynb::[^`:]+):[^`]*`")
"""A page's glue reference into a chapter's notebook, with its format spec (``::name:s``): the spec goes."""


def _pages_glue(executed: dict[str, tuple[list[str], dict[str, str]]]) -> dict[str, str]:
    """What a .md page's ``{glue:text}`chapter.ipynb::name``` shows, for every chapter's glued name."""
    return {f"{stem}.ipynb::{name}": text for stem, (_, glued) in executed.items() for name, text in glued.items()}


def test_no_paragraph_is_over_120_words_as_rendered_with_its_glued_text():
    """The chapters' current text, exercises and solutions included, and the book's .md pages, with each
    glue reference replaced by what the executed notebooks glued."""
    executed = _executed()
    texts = {p.stem: "\n\n".join(markdown_cells(p)) for p in chapter_files() if p.stem in executed}
    glued = {name: g for name, (_, g) in executed.items()}
    for page in sorted(BOOK.glob("*.md")):
        texts[page.name] = CROSS_GLUE_FORMAT.sub(r"\1`", page.read_text())
        glued[page.name] = _pages_glue(executed)
    offenders = long_paragraphs(texts, glued)
    assert not offenders, "rendered paragraphs over 120 words:\n" + "\n".join(offenders)


def test_a_page_s_glue_into_a_chapter_counts_the_words_it_shows():
    executed = {"01_x": ([], {"found": "five words are shown here"})}
    page = CROSS_GLUE_FORMAT.sub(r"\1`", "It is {glue:text}`01_x.ipynb::found:s` today.")
    assert words(page, _pages_glue(executed)) == 8


def backtick_blocks(markdown: str):
    """The markdown's lines, a backtick block at a time: (None, [line]) for a line outside blocks, else
    (what follows the opening backticks, e.g. "{dropdown} Details" or "bash", the block's lines with both
    fences); a fence opens a block and the next bare fence of as many backticks closes it."""
    lines, i = markdown.split("\n"), 0
    while i < len(lines):
        fence = re.match(r"\s*(`{3,})(.*)", lines[i])
        if not fence:
            yield None, [lines[i]]
            i += 1
            continue
        ticks, rest = fence.groups()
        end = next((j for j in range(i + 1, len(lines)) if lines[j].strip() == ticks), len(lines))
        yield rest, lines[i:end + 1]
        i = end + 1


def _collapsed(block: str) -> bool:
    return block.startswith("```{dropdown}") or ":class: dropdown" in block.split("\n\n")[0]


def visible_verdicts(text: str, glued: dict[str, str]) -> list[tuple[str, int]]:
    """(glue name, words) of each verdict sentence ("word: ...", one of report.WORDS) that ``text``
    shows outside a collapsed dropdown."""
    from evoscale.experiments.report import WORDS

    shown = "\n".join(line for _, block in backtick_blocks(text) if not _collapsed("\n".join(block))
                      for line in block)
    out = []
    for m in ROLE.finditer(shown):
        value = glued.get(m.group(2), "") if m.group(1).startswith("glue") else ""
        if value.split(":")[0] in WORDS:
            out.append((m.group(2), len(value.split())))
    return out


def test_a_verdict_on_the_page_is_at_most_60_words_and_its_details_are_collapsed():
    executed = _executed()
    long = []
    for p in chapter_files():
        if p.stem in executed:
            text = "\n\n".join(_before_exercises(markdown_cells(p)))
            long += [f"{p.stem}: {name} ({n} words)" for name, n in visible_verdicts(text, executed[p.stem][1])
                     if n > MAX_VERDICT_WORDS + 1]  # + the "…" of a line verdict_short cut
    assert not long, "verdicts over 60 words outside a Details dropdown:\n" + "\n".join(long)


def test_the_verdict_check_sees_through_glue_and_skips_dropdowns():
    text = "A {glue:text}`v_a`.\n\n```{dropdown} Details\n{glue:text}`v_b`\n```\n\n{glue:text}`other`"
    glued = {"v_a": "refuted: " + "w " * 70, "v_b": "confirmed: " + "w " * 70, "other": "w " * 90}
    assert visible_verdicts(text, glued) == [("v_a", 71)]


def test_each_chapter_ends_its_text_with_takeaways_and_says_what_it_could_not_test():
    for path in chapter_files():
        if path.stem.startswith("09"):
            continue  # the conclusions: "What this study could not test" is the chapter
        text = "\n\n".join(_before_exercises(markdown_cells(path)))
        assert "**In this chapter you will learn**" in text, path.name
        box = re.search(r"```\{admonition\} Takeaways\n:class: tip\n\n(.*?)\n```", text, re.S)
        assert box, f"{path.name}: no Takeaways box"
        bullets = [p for p in box.group(1).splitlines() if p.startswith("- ")]
        assert 3 <= len(bullets) <= 5, f"{path.name}: {len(bullets)} takeaways"
        for b in bullets:  # numbers in a takeaway are glued, never typed
            typed = re.findall(r"\d", ROLE.sub("", b))
            assert not typed, f"{path.name}: a typed number in a takeaway: {b}"
        assert "## Limitations" in text, f"{path.name}: no Limitations section"


# --- the glossary -----------------------------------------------------------------------------------

TERMS = {
    # glossary term: how a chapter writes it (a regular expression, case-sensitive; a space matches any
    # whitespace, so a phrase broken over two lines is found)
    "CMA-ES": r"(?<![-\w])CMA-ES\b", "sep-CMA-ES": r"\bsep-CMA-ES\b", "OpenAI-ES": r"\bOpenAI-ES\b",
    "GA": r"\bGA\b", "Neuromod": r"\bNeuromod\b", "PPO": r"\bPPO\b", "RecurrentPPO": r"\bRecurrentPPO\b",
    "MLP": r"\bMLPs?\b", "env step": r"\benv steps?\b", "episode": r"\b[Ee]pisodes?\b",
    "evaluation": r"\b[Ee]valuations?\b", "generation": r"\b[Gg]enerations?\b", "population": r"\b[Pp]opulations?\b",
    "solved test": r"\bsolved(?:-| )test\b", "IQM": r"\bIQM\b", "bootstrap CI": r"\bbootstrap (?:CI|confidence interval)s?\b",
    "P(improvement)": r"P\(improvement\)",
    "detectable difference": r"\bdetectable difference\b|\bcould (?:only )?have detected\b",
    "Amdahl's law": r"\bAmdahl's law\b", "lockstep evaluation": r"\blockstep\b", "island model": r"\bisland model\b",
    "design note": r"\bdesign note\b", "Holm correction": r"\bHolm(?:'s)? correction\b",
    "Kaplan-Meier median": r"\bKaplan[-–]Meier\b", "censored seed": r"\bcensored\b",
}
SPACE = re.compile(r"(?<!\\) ")


def term_pattern(term: str) -> re.Pattern:
    return re.compile(SPACE.sub(r"\\s+", TERMS[term]))


def glossary_terms() -> list[str]:
    text = (BOOK / "glossary.md").read_text()
    block = text.split("```{glossary}")[1].split("\n```")[0]
    return [line.strip() for line in block.splitlines() if line and not line[0].isspace()]


def test_the_glossary_defines_every_term_a_student_meets():
    terms = glossary_terms()
    assert len(terms) >= 20
    assert not set(TERMS) - set(terms), f"missing from the glossary: {sorted(set(TERMS) - set(terms))}"


CODE_SPAN = re.compile(r"(?<!`)`([^`\n]+)`(?!`)")


def prose_mask(text: str) -> list[bool]:
    """Per character of a markdown text: is it running prose where a term may be linked? Headings,
    code blocks, directive fences and option lines, tables and the provenance line are not."""
    mask, code = [], None
    for line in text.splitlines(keepends=True):
        fence = FENCE.match(line)
        keep = False
        if code is not None:
            if fence and line.strip() == code:
                code = None
        elif fence:
            if fence.group(1).startswith("`") and not fence.group(2) and line.strip() != fence.group(1):
                code = fence.group(1)
        else:
            stripped = line.lstrip()
            keep = not (stripped.startswith(("#", "|", "<small>")) or OPTION.match(line))
        mask += [keep] * len(line)
    return mask


def first_uses(text: str):
    """Per glossary term, its first use in ``text``'s prose: (term, match, linked) where ``linked``
    says whether it sits in a {term} link to that term; uses inside other roles (a glue name, a
    citation, a link to another term) or inline code are passed over."""
    mask = prose_mask(text)
    spans = [(m.start(), m.end(), m) for m in ROLE.finditer(text)] + [(m.start(), m.end(), None)
                                                                       for m in CODE_SPAN.finditer(text)]
    for term in TERMS:
        for m in term_pattern(term).finditer(text):
            if not all(mask[m.start():m.end()]):
                continue
            inside = next((sp for sp in spans if sp[0] <= m.start() < sp[1]), None)
            if inside is None:
                yield term, m, False
                break
            role = inside[2]
            if role is not None and role.group(1) == "term" and role.group(2).split("<")[-1].rstrip(">").strip() == term:
                yield term, m, True
                break


def first_unlinked_uses(text: str) -> list[str]:
    """Terms whose first use in ``text`` is not a {term} link."""
    return [f"{term!r} at …{text[max(0, m.start() - 40):m.end() + 20]!r}"
            for term, m, linked in first_uses(text) if not linked]


def test_every_chapter_links_each_glossary_term_at_its_first_use():
    offenders = []
    for path in chapter_files():
        text = "\n\n".join(_before_exercises(markdown_cells(path)))
        offenders += [f"{path.name}: {o}" for o in first_unlinked_uses(text)]
    assert not offenders, "first uses without a {term} link:\n" + "\n".join(offenders)


# --- tables -----------------------------------------------------------------------------------------

def table_widths(notebook: Path) -> list[tuple[int, list[str]]]:
    """(columns, headers) of every HTML table a code cell of an executed notebook shows."""
    out = []
    for cell in json.loads(notebook.read_text())["cells"]:
        for o in cell.get("outputs", []):
            html = "".join(o.get("data", {}).get("text/html", ""))
            for tbl in re.findall(r"<table.*?</table>", html, re.S):
                head = re.search(r"<thead>(.*?)</thead>", tbl, re.S)
                rows = re.findall(r"<tr.*?</tr>", head.group(1) if head else tbl, re.S)[-1:] or [""]
                headers = [re.sub(r"<[^>]+>", "", h).strip() for h in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", rows[0], re.S)]
                out.append((len(headers), headers))
    return out


def test_no_table_of_the_executed_book_is_wider_than_the_page():
    """report.table refuses more than 7 columns; this catches a table shown any other way."""
    from evoscale.experiments.report import MAX_COLUMNS

    notebooks = sorted(EXECUTED.glob("[0-9][0-9]_*.ipynb"))
    if not notebooks:
        pytest.skip("the book profile has not been executed here (python -m evoscale.bookbuild --profile book)")
    wide = [f"{nb.stem}: {n} columns: {headers}" for nb in notebooks for n, headers in table_widths(nb) if n > MAX_COLUMNS]
    assert not wide, "tables wider than the page (split them with report.tables):\n" + "\n".join(wide)


# --- no file paths or module names in the readers' text -----------------------------------------------
PATHLIKE = re.compile(r"results/|evoscale\.|\.py\b|\.txt\b|\.json\b|RunConfig|backend=")
"""Inline code a reader should not meet in the text: a file path, a module or a configuration field.
The sections for researchers (re-running a chapter, running on a cluster), the exercises and the
collapsed blocks may name them."""
FOR_RESEARCHERS = re.compile(r"^#{2,3} (Re-running|Running on a Ray cluster|Exercises)", re.M)


def readers_text(markdown: str) -> str:
    """A chapter's markdown without its sections for researchers, its exercises, its code blocks and its
    collapsed blocks (a fence opens a block and the next bare fence of as many backticks closes it; an
    open directive's text is kept)."""
    kept, skipping = [], False
    for rest, block in backtick_blocks(markdown):
        if rest is None:
            if re.match(r"#{2,3} ", block[0]):
                skipping = bool(FOR_RESEARCHERS.match(block[0]))
            kept += [] if skipping else block
        elif rest.startswith("{") and not _collapsed("\n".join(block)) and not skipping:
            kept += [x for x in block[1:-1] if not OPTION.match(x)]
    return "\n".join(kept)


def test_the_readers_text_names_no_file_or_module():
    offenders = [f"{p.stem}: `{m.group(1)}`" for p in chapter_files()
                 for m in CODE_SPAN.finditer(readers_text("\n\n".join(markdown_cells(p))))
                 if PATHLIKE.search(m.group(1))]
    assert not offenders, "file paths or module names in the readers' text (move them to 'Re-running this " \
        "chapter'):\n" + "\n".join(offenders)


def test_the_path_check_skips_the_researchers_sections_and_catches_the_text():
    md = ("## Results\n\nCached under `results/book/runs/` and `CartPole-v1`.\n\n"
          "```{glue:figure} fig\n:name: f\n\nA caption.\n```\n\nThen `evoscale.pong` between two blocks.\n\n"
          "```python\nimport evoscale.x\n```\n\n```{dropdown} Details\nIn `results/hidden/`.\n```\n\n"
          "## Re-running this chapter\n\nUse `evoscale.island`.\n")
    spans = [m.group(1) for m in CODE_SPAN.finditer(readers_text(md)) if PATHLIKE.search(m.group(1))]
    assert spans == ["results/book/runs/", "evoscale.pong"]  # not the code block, the dropdown, the section
