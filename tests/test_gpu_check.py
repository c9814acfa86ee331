"""The one-shot GPU script: its CPU dry run exercises every section; without CUDA it refuses to run."""

import importlib.util
import json
import subprocess
import sys

import pytest
import torch

from evoscale.gpu_check import SECTIONS


def _run(*args, tmp_path):
    return subprocess.run([sys.executable, "-m", "evoscale.gpu_check", *args, "--out", str(tmp_path)],
                          capture_output=True, text=True, timeout=900)


@pytest.mark.slow  # over 30 s: the whole GPU script, every section, in a fresh process
def test_dry_run_runs_every_section_on_the_cpu(tmp_path):
    r = _run("--dry-run", "--minutes", "4", tmp_path=tmp_path)
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-3000:]
    (path,) = tmp_path.glob("gpu-check-dry-run-cpu-*.json")
    report = json.loads(path.read_text())
    assert report["dry_run"] and list(report["sections"]) == list(SECTIONS)
    has_mjx = importlib.util.find_spec("mujoco.mjx") is not None  # optional
    for name, section in report["sections"].items():
        assert section["ok"], (name, section)
        if name == "mjx" and not has_mjx:
            assert section["skipped"].startswith("mujoco-mjx is not installed")
            continue
        assert "skipped" not in json.dumps(section), (name, section)  # the budget fits every size
    if has_mjx:
        (mjx,) = report["sections"]["mjx"]["rows"]
        assert mjx["model"] == "one body" and mjx["steps_per_s"] > 0 and mjx["compile_s"] > 0
    cmaes = report["sections"]["torch_cmaes"]["rows"]
    assert [r["n"] for r in cmaes] == [200, 400] and all(r["eigh_s"] > 0 for r in cmaes)
    jax = report["sections"]["jax_rollout"]["rows"][0]
    assert jax["computed_steps_per_s"] >= jax["useful_steps_per_s"] > 0
    assert {r["workers"] for r in report["sections"]["workers"]["rows"]} == {0, 1}


@pytest.mark.skipif(torch.cuda.is_available(), reason="CUDA present")
def test_without_cuda_it_fails_loudly_instead_of_running_on_the_cpu(tmp_path):
    r = _run("--minutes", "1", tmp_path=tmp_path)
    assert r.returncode == 2 and "no CUDA device" in r.stderr
    assert not list(tmp_path.iterdir())


@pytest.mark.parametrize("args,match", [(["--only", "tpu_tests"], "unknown section"), (["--minutes", "0"], "positive")])
def test_bad_arguments(tmp_path, args, match):
    r = _run("--dry-run", *args, tmp_path=tmp_path)
    assert r.returncode == 2 and match in r.stderr
