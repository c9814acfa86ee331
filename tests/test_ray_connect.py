"""A local Ray instance never collides with a Ray cluster on the same machine (issue 43): with a stale
cluster address file or a live head node, an unnamed address starts a new local instance; a named one
joins the cluster, without local resource arguments."""

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil
import pytest

from evoscale.ray_connect import init_ray

pytestmark = pytest.mark.ray  # each test starts Ray in a subprocess (a head node, a local instance)

ROOT = Path(__file__).resolve().parents[1]
RAY = Path(sys.executable).with_name("ray")

# the reproduction: a Ray-backend run, then the same run in process; both records as JSON
TRAIN = """
import json
import ray
from evoscale.config import RunConfig
from evoscale.train import train
seen, init = [], ray.init
def spy(*args, **kwargs):  # the GCS address of the instance the evaluator starts or joins
    ctx = init(*args, **kwargs)
    seen.append(ray.get_runtime_context().gcs_address)
    return ctx
ray.init = spy
c = RunConfig(method="openai_es", env="CartPole-v1", popsize=8, budget_evals=16, test_every=8, test_episodes=2,
              backend="ray", workers=1)
ray_run = train(c)
gcs = seen[0] if seen else None
here = train(c.replace(backend="lockstep"))
keep = ("best_return", "mean_return", "test_return", "env_steps")
print(json.dumps({"gcs": gcs, "ray": [[r[k] for k in keep] for r in ray_run],
                  "lockstep": [[r[k] for k in keep] for r in here]}))
"""


@pytest.fixture
def ray_dir():
    """A short temporary Ray root (Ray's sockets must fit 107 characters), used through RAY_TMPDIR;
    every process started under it is killed afterwards."""
    d = Path(tempfile.mkdtemp(prefix="r", dir="/tmp"))
    yield d
    _kill_under(d)
    shutil.rmtree(d, ignore_errors=True)


def _kill_under(d: Path) -> None:
    procs = []
    for p in psutil.process_iter(["cmdline"]):
        try:
            if any(str(d) in part for part in (p.info["cmdline"] or [])):
                procs.append(p)
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            pass
    for p in procs:
        p.kill()
    psutil.wait_procs(procs, timeout=10)


def _env(ray_dir: Path) -> dict:
    return {**os.environ, "RAY_TMPDIR": str(ray_dir), "RAY_USAGE_STATS_ENABLED": "0"}


def _run_train(ray_dir: Path) -> dict:
    r = subprocess.run([sys.executable, "-c", TRAIN], env=_env(ray_dir), capture_output=True, text=True,
                       timeout=300, cwd=ROOT)
    assert r.returncode == 0, r.stderr[-3000:]
    return json.loads(r.stdout.strip().splitlines()[-1])


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start_head(ray_dir: Path) -> str:
    port = _free_port()
    r = subprocess.run([str(RAY), "start", "--head", "--num-cpus", "1", "--port", str(port),
                        "--include-dashboard", "false", "--disable-usage-stats", "--temp-dir", str(ray_dir / "ray")],
                       env=_env(ray_dir), capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr[-3000:]
    address = (ray_dir / "ray" / "ray_current_cluster").read_text().strip()
    assert address.endswith(f":{port}")
    return address


def _stale(ray_dir: Path) -> str:
    (ray_dir / "ray").mkdir(parents=True, exist_ok=True)
    address = f"127.0.0.1:{_free_port()}"  # nothing listens there
    (ray_dir / "ray" / "ray_current_cluster").write_text(address)
    return address


def test_a_stale_cluster_address_file_gives_a_local_instance_and_the_same_records(ray_dir):
    stale = _stale(ray_dir)
    out = _run_train(ray_dir)
    assert out["gcs"] is not None and out["gcs"] != stale
    assert out["ray"] == out["lockstep"]


def test_a_live_head_node_is_joined_only_when_named(ray_dir):
    head = _start_head(ray_dir)
    out = _run_train(ray_dir)  # no address: a new local instance beside the head node
    assert out["gcs"] is not None and out["gcs"] != head
    assert out["ray"] == out["lockstep"]
    joined = subprocess.run(
        [sys.executable, "-c", "import ray; from evoscale.ray_connect import init_ray; "
                               f"init_ray({head!r}, log_to_driver=False); "
                               "print(ray.get_runtime_context().gcs_address, ray.cluster_resources()['CPU'])"],
        env=_env(ray_dir), capture_output=True, text=True, timeout=120)
    assert joined.returncode == 0, joined.stderr[-3000:]
    assert joined.stdout.split()[-2:] == [head, "1.0"]


def test_a_named_cluster_refuses_local_resources_in_one_line():
    with pytest.raises(ValueError, match="takes no local resources; drop num_cpus"):
        init_ray("127.0.0.1:1", num_cpus=2)


@pytest.mark.slow
@pytest.mark.parametrize("cluster", ["stale address file", "live head node"])
def test_chapter_4_executes_at_smoke_beside_a_cluster(cluster, ray_dir, tmp_path):
    _stale(ray_dir) if cluster == "stale address file" else _start_head(ray_dir)
    env = {**_env(ray_dir), "EVOSCALE_RESULTS": str(tmp_path / "results")}
    r = subprocess.run([sys.executable, "-m", "evoscale.bookbuild", "--profile", "smoke", "--chapters", "04_workers",
                        "--no-html"], env=env, capture_output=True, text=True, timeout=900, cwd=ROOT)
    assert r.returncode == 0, (r.stdout + r.stderr)[-3000:]
    assert "Traceback" not in r.stdout
