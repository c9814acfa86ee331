import os
import subprocess
import sys
from pathlib import Path

import pytest

os.environ.setdefault("OMP_NUM_THREADS", "1")


def pytest_collection_modifyitems(config, items):
    """Every test on a module's local Ray cluster (the ``ray_cluster`` fixture) is marked ``ray``:
    ``make test-fast`` leaves them out (a cluster takes seconds to start and its tests a minute in
    all); ``make test`` runs them. Tests that start Ray otherwise carry the mark themselves."""
    for item in items:
        if "ray_cluster" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.ray)


def _bookbuild(args, results):
    from evoscale.bookbuild import ROOT

    env = {k: v for k, v in os.environ.items() if k != "MPLBACKEND"}  # the kernel must render inline
    env["EVOSCALE_RESULTS"] = str(results)
    r = subprocess.run([sys.executable, "-m", "evoscale.bookbuild", *args], env=env, cwd=ROOT,
                       capture_output=True, text=True, timeout=1800)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    return r


@pytest.fixture(scope="session")
def smoke_book(tmp_path_factory):
    """The book executed at the smoke profile and rendered (full edition) into _build/html, once per
    session: the book tests, the student edition and the browser test all read this build."""
    from evoscale.bookbuild import ROOT

    if os.environ.get("EVOSCALE_TEST_REUSE_BOOK"):  # a developer iterating on these tests; CI never sets it
        log = Path(os.environ["EVOSCALE_TEST_REUSE_BOOK"])
        return dict(html=ROOT / "_build" / "html", results=log.parent, log=log.read_text())
    results = tmp_path_factory.mktemp("smoke-results")
    r = _bookbuild(["--profile", "smoke"], results)
    (results / "build.log").write_text(r.stdout)
    return dict(html=ROOT / "_build" / "html", results=results, log=r.stdout)


@pytest.fixture(scope="session")
def student_book(smoke_book):
    """The student edition of the same executed notebooks in _build/student/html: what `make book
    EDITION=student` runs after `make book`, which reuses the notebooks (they are current) and only renders."""
    from evoscale.bookbuild import ROOT

    r = _bookbuild(["--profile", "smoke", "--edition", "student"], smoke_book["results"])
    return dict(html=ROOT / "_build" / "student" / "html", log=r.stdout)
