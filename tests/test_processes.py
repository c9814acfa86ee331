"""No hangs, no orphans, no clashes: a Ray address where nothing listens fails in time; a killed
chapter takes its pool workers with it; two chapter runs at once both finish; the Makefile honours
EVOSCALE_RESULTS from the environment."""

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from evoscale.bookbuild import ROOT

pytestmark = pytest.mark.slow


def _python(code: str, timeout: float, **env) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True,
                          timeout=timeout, env={**os.environ, **env})


def test_a_ray_address_where_nothing_listens_fails_naming_it():
    t = time.monotonic()
    r = _python("""
        from evoscale.config import RunConfig
        from evoscale.train import train
        train(RunConfig(env="CartPole-v1", hidden=(4,), popsize=8, budget_evals=16, test_episodes=2,
                        backend="ray", workers=1, ray_address="127.0.0.1:1"))
    """, timeout=120, EVOSCALE_RAY_CONNECT_TIMEOUT="3")
    assert r.returncode != 0
    assert "RayConnectError: no Ray cluster answers at ray_address '127.0.0.1:1'" in r.stderr
    assert time.monotonic() - t < 60


def test_a_ray_cluster_joined_by_its_gcs_address_gives_the_lockstep_records():
    """The address form the README documents (host:port of a head node) works end to end."""
    head = subprocess.Popen([sys.executable, "-c", textwrap.dedent("""
        import sys, ray
        ray.init(num_cpus=1, include_dashboard=False)
        print(ray.get_runtime_context().gcs_address, flush=True)
        sys.stdin.read()  # until the test closes stdin
    """)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        address = head.stdout.readline().strip()
        assert ":" in address
        r = _python(f"""
            import json
            from evoscale.config import RunConfig
            from evoscale.train import train
            c = RunConfig(env="CartPole-v1", hidden=(4,), popsize=8, budget_evals=16, test_episodes=2)
            a = train(c.replace(backend="ray", workers=1, ray_address="{address}"))
            b = train(c)
            print(json.dumps([[r["best_return"], r["test_return"]] for r in (a[-1], b[-1])]))
        """, timeout=300, RAY_AUTH_MODE="token")  # the head's token (~/.ray/auth_token): Ray's default
        assert r.returncode == 0, r.stderr[-3000:]
        ray_run, lockstep = eval(r.stdout.strip().splitlines()[-1].replace("NaN", "None"))
        assert ray_run == lockstep
    finally:
        head.stdin.close()
        head.wait(timeout=120)


POOL = """
import os, sys, time
from pathlib import Path
from evoscale.runs import run_many

class Sleepy:
    # a run of another kind (runs.run_many takes any object with path / load / train / save)
    def __init__(self, name, where):
        self.name, self.where = name, Path(where)

    def path(self, where):
        return Path(where) / f"never-{self.name}.csv"

    def load(self, where):
        return None

    def train(self):
        (self.where / f"worker-{os.getpid()}").write_text("")
        time.sleep(120)

    def save(self, where, df):
        raise AssertionError("never reached")

if __name__ == "__main__":
    where = Path(sys.argv[1])
    run_many([Sleepy(1, where), Sleepy(2, where)], where, processes=2, log=lambda *a: None, progress=False)
"""


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state not in ("Z", "X")  # a zombie has exited


def _kill_and_wait(parent, workers, seconds: float) -> list[int]:
    """SIGKILL ``parent``, then wait up to ``seconds`` for ``workers`` to exit; the ones still alive."""
    parent.send_signal(signal.SIGKILL)
    parent.wait()
    deadline = time.monotonic() + seconds
    while any(map(_alive, workers)) and time.monotonic() < deadline:
        time.sleep(0.1)
    return [pid for pid in workers if _alive(pid)]


def _reap(workers) -> None:
    for pid in workers:
        if _alive(pid):
            os.kill(pid, signal.SIGKILL)


def test_pool_workers_exit_when_the_chapter_is_killed(tmp_path):
    script = tmp_path / "pool.py"
    script.write_text(POOL)
    parent = subprocess.Popen([sys.executable, str(script), str(tmp_path)], env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)})
    workers = []
    try:
        deadline = time.monotonic() + 120
        while len(workers) < 2 and time.monotonic() < deadline:
            workers = [int(p.name.split("-")[1]) for p in tmp_path.glob("worker-*")]
            time.sleep(0.2)
        assert len(workers) == 2, "the pool's workers did not start"
        assert not _kill_and_wait(parent, workers, 10), "pool workers outlived their killed parent"
    finally:
        _reap(workers)


CHAPTER = '''# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% tags=["parameters"]
profile = "smoke"

# %%
import time
time.sleep(3)
print("chapter ran")
'''


def _tiny_book(root: Path) -> None:
    book = root / "book"
    book.mkdir(parents=True)
    (book / "00_tiny.py").write_text(CHAPTER)
    for name in ("intro.md", "_toc.yml", "references.bib"):
        (book / name).write_text("")


def test_two_runs_of_one_chapter_at_once_both_finish(tmp_path):
    _tiny_book(tmp_path)
    code = f"from pathlib import Path; from evoscale.bookbuild import build; build('smoke', None, {{}}, False, root=Path({str(tmp_path)!r}))"
    first = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(1.5)
    second = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    for p in (first, second):
        out, err = p.communicate(timeout=300)
        assert p.returncode == 0, err[-3000:]
    staging = tmp_path / "_build" / "src" / "smoke"
    assert "chapter ran" in (staging / "00_tiny.ipynb").read_text()
    assert sorted(p.name for p in staging.iterdir()) == ["00_tiny.ipynb", "_toc.yml", "intro.md", "references.bib"]


def test_make_honours_evoscale_results_from_the_environment(tmp_path):
    show = "show-results: ; @echo $$EVOSCALE_RESULTS"
    r = subprocess.run(["make", "-s", "-C", str(ROOT), "--eval", show, "show-results"], capture_output=True,
                       text=True, timeout=60, env={**os.environ, "EVOSCALE_RESULTS": str(tmp_path)})
    assert r.stdout.strip() == str(tmp_path)
    env = {k: v for k, v in os.environ.items() if k != "EVOSCALE_RESULTS"}
    r = subprocess.run(["make", "-s", "-C", str(ROOT), "--eval", show, "show-results"], capture_output=True,
                       text=True, timeout=60, env=env)
    assert r.stdout.strip() == str(ROOT / "results")


def _package_calls(pattern: str) -> list[tuple[str, str]]:
    """(file, the call's arguments) of every call matching ``pattern`` (up to its open parenthesis)
    in the package's source."""
    import re

    calls = []
    for path in (ROOT / "src" / "evoscale").rglob("*.py"):
        text = path.read_text()
        for m in re.finditer(pattern, text):
            depth, i = 1, m.end()
            while depth:
                depth += {"(": 1, ")": -1}.get(text[i], 0)
                i += 1
            calls.append((path.relative_to(ROOT).as_posix(), text[m.end():i]))
    return calls


def test_every_process_pool_and_subprocess_in_the_package_dies_with_its_parent():
    """A static scan: each ProcessPoolExecutor the package starts passes ``exit_with_parent`` as its
    initializer (without it a killed chapter or benchmark leaves a worker blocked on a pipe forever),
    and each subprocess ``runs.dies_with_me()`` as its ``preexec_fn``."""
    pools = _package_calls(r"ProcessPoolExecutor\(")
    assert len(pools) >= 4
    bare = [p for p, args in pools if "initializer=exit_with_parent" not in args]
    assert not bare, f"process pools without exit_with_parent: {bare}"
    children = _package_calls(r"subprocess\.(?:run|Popen|call|check_call|check_output)\(")
    assert len(children) >= 3
    # the one exception: report.results_date's git queries run inside chapter kernels, which JAX makes
    # multithreaded, where a preexec_fn forks Python code (JAX prints a warning on the page); they end by
    # themselves in milliseconds
    bare = [p for p, args in children if "preexec_fn=dies_with_me()" not in args
            and not (p.endswith("report.py") and args.lstrip().startswith('["git"'))]
    assert not bare, f"subprocesses without preexec_fn=dies_with_me(): {bare}"
    source = "".join(p.read_text() for p in (ROOT / "src").rglob("*.py"))
    assert not [s for s in ("multiprocessing.Pool(", "Process(target", "os.system(", "os.popen(", "os.fork(")
                if s in source]


def test_a_subprocess_started_with_dies_with_me_ends_with_its_parent():
    import psutil

    code = ("import subprocess, sys, time; from evoscale.runs import dies_with_me; "
            "c = subprocess.Popen(['sleep', '300'], preexec_fn=dies_with_me()); print(c.pid, flush=True); "
            "time.sleep(300)")
    parent = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True,
                              env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)})
    child = int(parent.stdout.readline())
    try:
        assert psutil.Process(child).is_running()
        assert not _kill_and_wait(parent, [child], 15), "the subprocess outlived its killed parent"
    finally:
        _reap([child])


CMA_BENCH = "from evoscale.bench.cma import bench_cma; bench_cma(1500, 16, 4000)"  # the reproduction


def test_the_cma_benchmarks_worker_exits_when_it_is_killed(tmp_path):
    import psutil

    parent = subprocess.Popen([sys.executable, "-c", CMA_BENCH], env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)})
    workers = []
    try:
        deadline = time.monotonic() + 120
        while not workers and time.monotonic() < deadline:
            workers = [c.pid for c in psutil.Process(parent.pid).children(recursive=True)
                       if "resource_tracker" not in " ".join(c.cmdline())]  # the pool's worker itself
            time.sleep(0.2)
        assert workers, "the benchmark's worker did not start"
        time.sleep(8)  # the worker has imported torch and is measuring
        assert not _kill_and_wait(parent, workers, 15), "the benchmark's worker outlived its killed parent"
    finally:
        _reap(workers)


LONG_CAMPAIGN = """
import sys
from evoscale import campaign, cli
from evoscale.config import RunConfig

long = RunConfig(env="CartPole-v1", hidden=(4,), popsize=8, budget_evals=8 * 4000, test_episodes=2, progress=False)
campaign.needs = lambda profile, chapters=None: [campaign.Need(1, "test", "long", long)]
campaign.CostModel.seconds = lambda self, config, n: 3600.0  # an hour: it checkpoints
campaign.CHECKPOINT_SECONDS = 1.0  # by the clock, every second (the workers take it from here)
sys.exit(cli.main(["campaign", "run", "--hours", "1", "--profile", "smoke", "--processes", "1"]))
"""


def _ignore_sigint():
    signal.signal(signal.SIGINT, signal.SIG_IGN)


@pytest.mark.parametrize("started", ["in the foreground", "with SIGINT ignored"])
def test_sigint_to_a_campaign_stops_its_workers_at_once_in_one_line(started, tmp_path):
    """``kill -INT`` of the campaign: as SIGTERM, no waiting for the running run; its checkpoint
    stays, nothing is stored, one line, exit 130. Also for a campaign a script started in the
    background (``nohup ... &`` in a shell that is not interactive starts it with SIGINT ignored,
    and ``kill -INT`` did nothing there before)."""
    import psutil

    env = {**os.environ, "EVOSCALE_RESULTS": str(tmp_path / "results"), "EVOSCALE_CHECKPOINTS": str(tmp_path / "c"),
           "TQDM_DISABLE": "1", "PYTHONPATH": os.pathsep.join(sys.path)}
    ignored = _ignore_sigint if started == "with SIGINT ignored" else None
    parent = subprocess.Popen([sys.executable, "-c", LONG_CAMPAIGN], env=env, stderr=subprocess.PIPE, text=True,
                              preexec_fn=ignored)
    workers = []
    try:
        deadline = time.monotonic() + 120
        while not list((tmp_path / "c").glob("*.pkl")) and time.monotonic() < deadline:
            time.sleep(0.2)
        workers = [c.pid for c in psutil.Process(parent.pid).children(recursive=True)
                   if "resource_tracker" not in " ".join(c.cmdline())]
        assert workers, "the campaign's worker did not start"
        t = time.monotonic()
        parent.send_signal(signal.SIGINT)
        _, err = parent.communicate(timeout=60)
        assert parent.returncode == 130, err[-3000:]
        assert time.monotonic() - t < 20 and not [p for p in workers if _alive(p)]
        assert err.strip().splitlines()[-1].startswith("evoscale: interrupted (SIGINT)") and "Traceback" not in err
        assert list((tmp_path / "c").glob("*.pkl")) and not list((tmp_path / "results").rglob("*.csv"))
    finally:
        parent.kill()
        _reap(workers)
