"""The architecture holds (import-linter's contracts in pyproject.toml), and a wrong import breaks it."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LINT = Path(sys.executable).with_name("lint-imports")


def lint(src: Path, config: Path, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([str(LINT), "--no-cache", "--no-logo", str(config)], cwd=cwd, capture_output=True,
                          text=True, env={"PYTHONPATH": str(src), "PATH": "/usr/bin:/bin"}, timeout=300)


def test_the_package_keeps_every_import_contract():
    # `make test` and `make test-fast` run lint-imports on this tree just before pytest and set this;
    # `pytest` alone still checks the imports here
    if os.environ.get("EVOSCALE_LINTED") == "1":
        pytest.skip("lint-imports already ran on this tree (EVOSCALE_LINTED=1, set by make)")
    r = lint(ROOT / "src", ROOT / "pyproject.toml", ROOT)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "0 broken" in r.stdout


@pytest.mark.parametrize("module, line, broken", [
    ("envs/registry.py", "from ..train import train", "evoscale.envs.registry -> evoscale.train"),  # upward
    ("config.py", "from .trainers import REGISTRY", "evoscale.config -> evoscale.trainers"),  # RunConfig is a leaf
    ("experiments/frontier.py", "from . import tuning", "evoscale.experiments.frontier -> evoscale.experiments.tuning"),
    ("evaluation/seeds.py", "from .ray import RayEvaluator", "evoscale.evaluation.seeds -> evoscale.evaluation.ray"),
    ("policies/mlp.py", "from ..envs import get_spec", "evoscale.policies.mlp -> evoscale.envs"),  # siblings
    ("bench/methods.py", "from ..experiments import compute", "evoscale.bench.methods -> evoscale.experiments"),
])
def test_a_wrong_import_in_a_copy_of_the_package_breaks_the_contract(tmp_path, module, line, broken):
    shutil.copytree(ROOT / "src" / "evoscale", tmp_path / "src" / "evoscale",
                    ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    with open(tmp_path / "src" / "evoscale" / module, "a") as f:
        f.write(f"\n{line}  # deliberately wrong\n")
    r = lint(tmp_path / "src", tmp_path / "pyproject.toml", tmp_path)
    assert r.returncode != 0
    assert broken in r.stdout, r.stdout


MAX_MODULE_LINES = 450
"""A module a reader can hold in mind (issue 35): split one that grows past it."""


def test_no_module_is_over_450_lines():
    long = {str(p.relative_to(ROOT)): n for p in sorted((ROOT / "src" / "evoscale").rglob("*.py"))
            if (n := len(p.read_text().splitlines())) > MAX_MODULE_LINES}
    assert not long, f"modules over {MAX_MODULE_LINES} lines (split them): {long}"
