"""The built book in a real browser (Debian's chromium through chromedriver and selenium), as a
reader sees it: every page of the smoke build, full and student edition, loads without console
errors, its images load, no glue placeholder or error output is left, search finds "CMA-ES", and
solutions are closed dropdowns (full) or absent (student), no table is wider than the content column
and no code block of the text has a line running past its box,
every figure is drawn at least 600 px wide, and no method's code name (``torch_cmaes``, ``ppo``...)
is visible, only the names readers know. A screenshot of each page's first screen goes to
_build/screens/<edition>/ for people to look at.

Nothing is downloaded: the test uses the system's chromium and chromedriver (.ci/run installs them
with apt-get) and skips, saying so, where they are missing."""

import functools
import http.server
import re
import shutil
import threading
from pathlib import Path

import pytest

from evoscale.bookbuild import ROOT

pytestmark = pytest.mark.slow

BROWSER = shutil.which("chromium") or shutil.which("chromium-browser")
DRIVER = shutil.which("chromedriver")
if not (BROWSER and DRIVER):
    pytest.skip("no system browser: `apt-get install chromium chromium-driver` (as .ci/run does) to run the "
                "browser test", allow_module_level=True)
webdriver = pytest.importorskip("selenium.webdriver")

SCREENS = ROOT / "_build" / "screens"
GLUE_LEFT = ("{glue", "glue:text", "glue:figure", "mimebundle")  # what an unresolved glue reference leaves
CODE_NAMES = re.compile(r"\b(torch_cmaes|openai_es|sepcmaes|cmaes|neuromod|ppo|recurrent_ppo|lowrank_es)\b")
"""Methods' code names: a page says CMA-ES, sep-CMA-ES, OpenAI-ES, Neuromod, PPO, RecurrentPPO (case
matters: "PPO" and "Neuromod" are the readers' names; "cmaes" inside "torch_cmaes" is not a word)."""
MIN_FIGURE_PX = 600


@pytest.fixture(scope="module")
def served():
    """_build/ over HTTP on a free local port (as a reader's browser would fetch it)."""
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(ROOT / "_build"))
    handler.log_message = lambda *a, **k: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def browser():
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    opts = Options()
    opts.binary_location = BROWSER
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1280,1400"):
        opts.add_argument(arg)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(executable_path=DRIVER), options=opts)
    driver.set_page_load_timeout(120)
    yield driver
    driver.quit()


def _pages(html: Path) -> list[str]:
    """Every page a reader reads (index.html only redirects to intro.html; search is tested apart)."""
    return sorted(p.name for p in html.glob("*.html") if p.name not in ("index.html", "genindex.html", "search.html"))


def _console_errors(driver, base: str) -> list[str]:
    """SEVERE console entries, except a failed fetch from another host (CI may have no network: MathJax's
    CDN) and the browser's own request for /favicon.ico (not the page's)."""
    return [e["message"] for e in driver.get_log("browser")
            if e["level"] == "SEVERE" and not e["message"].startswith(f"{base}/favicon.ico")
            and (e["message"].startswith(base) or "http" not in e["message"].split(" ")[0])]


def _images_not_loaded(driver) -> list[str]:
    return driver.execute_async_script("""
        const done = arguments[arguments.length - 1];
        const imgs = [...document.images];
        imgs.forEach(i => { i.loading = 'eager'; });
        Promise.all(imgs.map(i => i.complete ? null : new Promise(r => { i.onload = i.onerror = r; })))
          .then(() => done(imgs.filter(i => !(i.naturalWidth > 0)).map(i => i.src)));
    """)


def _too_wide_tables(driver) -> list[str]:
    """Tables wider than the content column or than the box that holds them (a cell's output area is
    narrower than the column and scrolls what overflows it, so a reader sees the table cut off), each
    as its first header cells and its width."""
    return driver.execute_script("""
        const column = document.querySelector('article.bd-article') || document.querySelector('main');
        const limit = t => Math.min(column.clientWidth, t.parentElement.clientWidth) + 1;
        return [...column.querySelectorAll('table')].filter(t => t.offsetParent !== null && t.scrollWidth > limit(t))
          .map(t => `${[...t.querySelectorAll('th')].slice(0, 3).map(h => h.innerText.trim()).join(' | ')}: `
                    + `${t.scrollWidth} px > ${limit(t)} px`);
    """)


def _too_wide_code(driver) -> list[str]:
    """Code blocks of the text (commands, pseudocode, solutions; not a notebook cell's own source) whose
    longest line runs past their box, each as that line and the widths."""
    return driver.execute_script("""
        const column = document.querySelector('article.bd-article') || document.querySelector('main');
        return [...column.querySelectorAll('pre')]
          .filter(p => p.offsetParent !== null && !p.closest('.cell_input, .cell_output') && p.scrollWidth > p.clientWidth + 1)
          .map(p => `${p.textContent.split('\\n').sort((a, b) => b.length - a.length)[0].trim().slice(0, 60)}: `
                    + `${p.scrollWidth} px > ${p.clientWidth} px`);
    """)


def _small_figures(driver, least: int = MIN_FIGURE_PX) -> list[str]:
    """Figures (every image shown in the content column) drawn narrower than ``least`` px."""
    return driver.execute_script("""
        const column = document.querySelector('article.bd-article') || document.querySelector('main');
        return [...column.querySelectorAll('img')].filter(i => i.offsetParent !== null)
          .filter(i => i.getBoundingClientRect().width < arguments[0])
          .map(i => `${i.src.split('/').pop().slice(0, 40)}: ${Math.round(i.getBoundingClientRect().width)} px`);
    """, least)


def _prose(driver) -> str:
    """The content column's text without code and without collapsed outputs (parameters cells, their
    hidden value tables and solutions' commands may name a method by its code name: that is what a
    reader types)."""
    return driver.execute_script("""
        const column = document.querySelector('article.bd-article') || document.querySelector('main');
        const clone = column.cloneNode(true);
        clone.querySelectorAll('pre, code, .cell_input, .highlight, .tag_hide-output .cell_output, '
                               + 'details:not([open]) > :not(summary)').forEach(e => e.remove());
        return clone.textContent;
    """)


def _check_pages(driver, base: str, html: Path, edition: str) -> dict:
    shutil.rmtree(SCREENS / edition, ignore_errors=True)
    (SCREENS / edition).mkdir(parents=True)
    problems, solutions = {}, {}
    for page in _pages(html):
        driver.get(f"{base}/{html.relative_to(ROOT / '_build').as_posix()}/{page}")
        found = []
        if errors := _console_errors(driver, base):
            found.append(f"console: {errors}")
        if missing := _images_not_loaded(driver):
            found.append(f"images not loaded: {missing}")
        text = driver.find_element("tag name", "body").text
        if left := [g for g in GLUE_LEFT if g in text]:
            found.append(f"unresolved glue: {left}")
        prose = _prose(driver)
        if names := sorted(set(CODE_NAMES.findall(prose))):
            found.append(f"code names in the text: {names} "
                         f"({[m.group(0) for m in re.finditer(r'.{0,40}' + names[0] + r'.{0,40}', prose)][:3]})")
        if wide := _too_wide_tables(driver):
            found.append(f"tables wider than the content column: {wide}")
        if wide := _too_wide_code(driver):
            found.append(f"code lines running past their block: {wide}")
        if small := _small_figures(driver):
            found.append(f"figures under {MIN_FIGURE_PX} px wide: {small}")
        errors_shown = driver.find_elements("css selector", "div.output.error, div.output.traceback, div.output.stderr")
        if errors_shown or "Traceback (most recent call last)" in text:
            found.append(f"error output: {[e.text[:200] for e in errors_shown]}")
        sols = driver.find_elements("css selector", ".solution")
        solutions[page] = (len(sols), [s for s in sols if _solution_body_shown(driver, s)])
        _screenshot(driver, SCREENS / edition / page.replace(".html", ".png"))
        if found:
            problems[page] = found
    return dict(problems=problems, solutions=solutions)


def _screenshot(driver, path: Path, max_height: int = 9000) -> None:
    """The whole page (up to ``max_height`` px), then the window back to its size."""
    height = driver.execute_script("return document.documentElement.scrollHeight")
    driver.set_window_size(1280, min(max(height, 1400), max_height))
    driver.save_screenshot(str(path))
    driver.set_window_size(1280, 1400)


def _solution_body_shown(driver, solution) -> bool:
    """Whether any of the solution's content below its title is visible (an open dropdown)."""
    body = solution.find_elements("css selector", ":scope > :not(.admonition-title):not(button)")
    return any(b.is_displayed() and b.text.strip() for b in body)


def test_full_edition_in_a_browser(smoke_book, served, browser):
    r = _check_pages(browser, served, smoke_book["html"], "full")
    assert not r["problems"], r["problems"]
    total = sum(n for n, _ in r["solutions"].values())
    assert total >= 10, f"expected the chapters' solutions as dropdowns, found {total}"
    opened = {p: len(shown) for p, (_, shown) in r["solutions"].items() if shown}
    assert not opened, f"solution dropdowns open by default: {opened}"


def test_the_download_and_repository_buttons_and_no_launch_button(smoke_book, served, browser):
    """Each page offers its source for download; the repository button links the clone's origin (left
    off where the clone has none); nothing offers to launch a kernel elsewhere (no network)."""
    from evoscale.bookbuild import repository_url

    browser.get(f"{served}/html/01_parameters.html")
    assert browser.find_elements("css selector", ".dropdown-download-buttons"), "no download button"
    assert not browser.find_elements("css selector", ".dropdown-launch-buttons, .btn-launch-buttons"), "a launch button"
    repo = [a.get_attribute("href") for a in browser.find_elements("css selector", "a.btn-source-repository-button")]
    assert repo == ([repository_url()] if repository_url() else []), repo


def test_student_edition_in_a_browser(student_book, served, browser):
    r = _check_pages(browser, served, student_book["html"], "student")
    assert not r["problems"], r["problems"]
    assert not {p: n for p, (n, _) in r["solutions"].items() if n}, "solutions in the student edition"


def test_search_finds_cma_es(smoke_book, served, browser):
    from selenium.webdriver.support.ui import WebDriverWait

    browser.get(f"{served}/html/search.html?q=CMA-ES")
    WebDriverWait(browser, 60).until(
        lambda d: "Search finished" in d.find_element("id", "search-results").text
        or d.find_elements("css selector", "#search-results li"))
    WebDriverWait(browser, 60).until(lambda d: "Searching" not in d.find_element("id", "search-results").text)
    hits = browser.find_elements("css selector", "#search-results li")
    browser.save_screenshot(str(SCREENS / "full" / "search-CMA-ES.png"))
    assert hits, browser.find_element("id", "search-results").text
    assert any("05_methods" in h.find_element("tag name", "a").get_attribute("href") for h in hits)
