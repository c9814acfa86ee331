"""One-shot GPU run (``make gpu-check``): what the CPU machine cannot measure, in ``--minutes``.

    python -m evoscale.gpu_check --minutes 9      # on a CUDA machine: results/gpu/gpu-check-<gpu>-<time>.json
    python -m evoscale.gpu_check --dry-run        # anywhere: the same sections at tiny sizes on the CPU

Sections, each with its share of the time (``SHARES``; a section stops between sizes once its share
is spent and says so, and one that fails records its error and the others still run):

* ``cuda_tests`` -- the tests skipped on a machine without CUDA (``pytest -k cuda``).
* ``torch_cmaes`` -- one generation (ask + tell) of the full CMA-ES at n = 10K, 50K, 100K with the
  ``eigen_inplace`` layout, and its eigendecomposition where the time left allows (n^3 scaled from
  the size before); seconds and peak GPU memory.
* ``evotorch`` -- EvoTorch's SNES, PGPE and sep-CMA-ES: ms per generation at 10K, 100K, 1M.
* ``jax_rollout`` -- the JAX backend (float32, gymnax's own resets) at populations up to 65,536:
  useful and computed env steps/s; gymnax's bare auto-reset loop beside it.
* ``workers`` -- chapter 4's Ray speedup with 1, 2, 4, 8, 16 workers on LunarLander.
* ``mjx`` -- MJX stepping Gymnasium's humanoid (``bench.mjx``: Newton solver, 5 physics steps per env
  step) on the GPU at batch 4,096: compile seconds and env steps/s (``make bench-mjx`` measured the
  CPU side). Skipped, and said so, where ``mujoco-mjx`` is not installed (it is optional); the dry
  run steps a one-body model instead of the humanoid, whose compile alone takes minutes.

Without ``--dry-run`` a machine without CUDA (torch) is an error (exit 2), not a CPU run; a
section that needs JAX on the GPU fails loudly if JAX has no GPU backend. Exit code 1 if any
section failed.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import time
import traceback
from datetime import datetime, timezone
from pathlib import Path

SHARES = {"cuda_tests": 0.1, "torch_cmaes": 0.3, "evotorch": 0.1, "workers": 0.2, "jax_rollout": 0.15, "mjx": 0.15}
"""Each section's share of ``--minutes`` (Ray forks its processes before JAX starts its threads)."""
CUDA_TESTS = ["tests/test_policies.py", "tests/test_policies_cnn.py", "tests/test_torch_cmaes.py",
              "tests/test_evotorch_es.py", "tests/test_evaluation_jax.py"]
FULL = dict(cmaes_sizes=[10_000, 50_000, 100_000], evotorch_sizes=[10_000, 100_000, 1_000_000],
            jax_popsizes=[1_024, 4_096, 16_384, 65_536], workers=[1, 2, 4, 8, 16], generations=5,
            tests=CUDA_TESTS, seconds=2.0, mjx_batch=4_096, mjx_model="humanoid")
DRY = dict(cmaes_sizes=[200, 400], evotorch_sizes=[100], jax_popsizes=[16], workers=[1], generations=1,
           tests=["tests/test_torch_cmaes.py"], seconds=0.1, mjx_batch=4, mjx_model="one body")
ONE_BODY = """<mujoco><worldbody><body pos="0 0 1"><joint type="hinge"/><joint type="slide"/>
<geom size=".1" fromto="0 0 0 0 0 -1" type="capsule"/></body></worldbody></mujoco>"""
"""The dry run's model for the ``mjx`` section: one capsule on a hinge and a slide."""


class Deadline:
    def __init__(self, seconds: float):
        self.end = time.monotonic() + seconds

    def left(self) -> float:
        return self.end - time.monotonic()


def _sync(device: str) -> None:
    if device.startswith("cuda"):
        import torch

        torch.cuda.synchronize()


def _peak_reset(device: str) -> None:
    if device.startswith("cuda"):
        import torch

        torch.cuda.empty_cache()
        torch.cuda.reset_peak_memory_stats()


def _peak_gib(device: str) -> float | None:
    if not device.startswith("cuda"):
        return None
    import torch

    return torch.cuda.max_memory_allocated() / 2**30


def cuda_tests(device: str, sizes: dict, deadline: Deadline) -> dict:
    cmd = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-k", "cuda", *sizes["tests"]]
    from .runs import dies_with_me

    r = subprocess.run(cmd, capture_output=True, text=True, timeout=max(120, deadline.left()),
                       preexec_fn=dies_with_me())
    counts = {k: int(v) for v, k in re.findall(r"(\d+) (passed|failed|skipped|error)", r.stdout)}
    return {"returncode": r.returncode, **counts, "tail": r.stdout[-1500:], "ok": r.returncode in (0, 5)}


def torch_cmaes(device: str, sizes: dict, deadline: Deadline) -> dict:
    import numpy as np

    from .trainers.torch_cmaes import TorchCMAES

    rows, eigh_s, last_n = [], None, None
    for n in sizes["cmaes_sizes"]:
        if deadline.left() <= 0:
            rows.append({"n": n, "skipped": "out of time"})
            continue
        row = {"n": n, "covariance_gib": 4 * n * n / 2**30}
        try:
            _peak_reset(device)
            t = TorchCMAES(n, 64, 0.1, device=device, eigen_inplace=True)
            state = t.init(0)
            t0 = time.perf_counter()
            X, state = t.ask(state)
            state = t.tell(state, X, -np.sum(X**2, axis=1))
            _sync(device)
            row.update(generation_s=time.perf_counter() - t0, generation_peak_gib=_peak_gib(device))
            guess = None if eigh_s is None else eigh_s * (n / last_n) ** 3
            if guess is None or guess < deadline.left():
                t0 = time.perf_counter()
                t.eigendecompose(state)
                _sync(device)
                eigh_s, last_n = time.perf_counter() - t0, n
                row.update(eigh_s=eigh_s, eigh_peak_gib=_peak_gib(device))
            else:
                row["eigh_skipped"] = f"estimated {guess:.0f} s > {deadline.left():.0f} s left"
            del t, state, X
        except Exception as e:  # out of memory is a result here, not a crash
            row["error"] = f"{type(e).__name__}: {str(e)[:300]}"
        rows.append(row)
    return {"rows": rows, "ok": not any("error" in r and "out of memory" not in r["error"] for r in rows)}


def evotorch(device: str, sizes: dict, deadline: Deadline) -> dict:
    import numpy as np

    from .trainers import make_trainer

    rows, rng = [], np.random.default_rng(0)
    for n in sizes["evotorch_sizes"]:
        for method in ("snes", "pgpe", "sep_cmaes_torch"):
            if deadline.left() <= 0:
                rows.append({"method": method, "n": n, "skipped": "out of time"})
                continue
            trainer = make_trainer(method, n, 64, 0.05, {"device": device})
            state, times = trainer.init(0), []
            for _ in range(3):
                t0 = time.perf_counter()
                X, state = trainer.ask(state)
                state = trainer.tell(state, X, rng.normal(size=len(X)))
                _sync(device)
                times.append(time.perf_counter() - t0)
            rows.append({"method": method, "n": n, "ms_per_generation": 1e3 * min(times[1:])})
    return {"rows": rows, "ok": True}


def jax_rollout(device: str, sizes: dict, deadline: Deadline) -> dict:
    import numpy as np

    from .bench.gpu import _bare, _bare_rate, _rate, _timed
    from .evaluation.jax import JaxEvaluator

    ev = JaxEvaluator("CartPole-v1", (16,), device=device, dtype="float32", resets="jax")
    base = np.random.default_rng(0).normal(0, 0.5, (64, ev.n_params))
    rows = []
    for P in sizes["jax_popsizes"]:
        if deadline.left() <= 0:
            rows.append({"popsize": P, "skipped": "out of time"})
            continue
        population = base[np.arange(P) % len(base)]
        _timed(ev.evaluate, population, 0)  # compile
        useful, computed = _rate(ev, population, sizes["seconds"], 1)
        _, run, args = _bare(ev, 500, [P], base)
        rows.append({"popsize": P, "useful_steps_per_s": useful, "computed_steps_per_s": computed,
                     "bare_steps_per_s": _bare_rate(run, *args[P], 500, sizes["seconds"])})
    return {"rows": rows, "jax_device": str(ev.device), "ok": True}


def workers(device: str, sizes: dict, deadline: Deadline) -> dict:
    import pandas as pd

    from .experiments import workers as wk

    dry = sizes is DRY
    env = "CartPole-v1" if dry else "LunarLander-v3"
    p = wk.params({"profile": "smoke" if dry else "full", "envs": [env], "workers": sizes["workers"],
                   "generations": sizes["generations"], "warmup_generations": 2 if dry else 20,
                   "raw_seconds": 0.2 if dry else 2.0})
    table = wk.speedup_table(pd.concat([wk.measure_speedup(env, m, p, log=lambda m: None) for m in p.methods],
                                       ignore_index=True))
    cols = ["env", "method", "workers", "eval_s_per_gen", "eval_speedup", "speedup", "efficiency", "startup_s"]
    return {"rows": table[cols].to_dict("records"), "ok": True}


def mjx(device: str, sizes: dict, deadline: Deadline) -> dict:
    import importlib.util

    if importlib.util.find_spec("mujoco.mjx") is None:
        return {"ok": True, "skipped": "mujoco-mjx is not installed (optional: requirements-mjx.txt)"}
    import jax
    import mujoco

    from .bench.mjx import humanoid_model, mjx_steps_per_s

    if device.startswith("cuda") and jax.default_backend() != "gpu":
        raise RuntimeError(f"JAX has no GPU backend (default backend {jax.default_backend()!r})")
    model = humanoid_model("newton") if sizes["mjx_model"] == "humanoid" else mujoco.MjModel.from_xml_string(ONE_BODY)
    compile_s, rate = mjx_steps_per_s(model, sizes["mjx_batch"], sizes["seconds"])
    return {"rows": [{"model": sizes["mjx_model"], "batch": sizes["mjx_batch"], "compile_s": compile_s,
                      "steps_per_s": rate}], "jax_backend": jax.default_backend(), "ok": True}


SECTIONS = {"cuda_tests": cuda_tests, "torch_cmaes": torch_cmaes, "evotorch": evotorch, "workers": workers,
            "jax_rollout": jax_rollout, "mjx": mjx}


def check_cuda() -> str:
    """The GPU's name; exit code 2 if torch sees no CUDA device."""
    import torch

    if not torch.cuda.is_available():
        print("evoscale.gpu_check: error: no CUDA device visible to torch; this script measures a GPU and "
              "does not fall back to the CPU (--dry-run rehearses it on the CPU)", file=sys.stderr)
        raise SystemExit(2)
    return torch.cuda.get_device_name(0)


def run(minutes: float, dry_run: bool, out: Path, only: list[str] | None = None, log=print) -> tuple[Path, dict]:
    from .machine import machine_label

    device = "cpu" if dry_run else "cuda"
    gpu = "dry-run (CPU)" if dry_run else check_cuda()
    sizes = DRY if dry_run else FULL
    report = {"machine": machine_label(device), "device": gpu, "dry_run": dry_run, "minutes": minutes,
              "started": datetime.now(timezone.utc).isoformat(timespec="seconds"), "sections": {}}
    for name, fn in SECTIONS.items():
        if only and name not in only:
            continue
        log(f"[gpu_check] {name} ({SHARES[name] * minutes:.1f} min)")
        t0 = time.perf_counter()
        try:
            result = fn(device, sizes, Deadline(SHARES[name] * minutes * 60))
        except Exception as e:
            result = {"ok": False, "error": f"{type(e).__name__}: {e}", "traceback": traceback.format_exc()[-2000:]}
        result["wall_s"] = time.perf_counter() - t0
        report["sections"][name] = result
        log(f"[gpu_check] {name}: {'ok' if result['ok'] else 'FAILED'} in {result['wall_s']:.1f} s")
    slug = re.sub(r"[^A-Za-z0-9]+", "-", gpu).strip("-").lower()
    path = out / f"gpu-check-{slug}-{report['started'][:19].replace(':', '')}.json"
    out.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report, indent=1, default=float))
    return path, report


def main(argv: list[str] | None = None) -> int:
    from .runs import results_root

    a = argparse.ArgumentParser(prog="python -m evoscale.gpu_check", description=__doc__.split("\n")[0])
    a.add_argument("--minutes", type=float, default=9.0, help="wall-clock budget of all sections together")
    a.add_argument("--dry-run", action="store_true", help="tiny sizes on the CPU (what the tests run)")
    a.add_argument("--out", type=Path, default=None, help="folder (default results/gpu, dry run results/smoke/gpu)")
    a.add_argument("--only", default=None, help=f"comma-separated sections of: {', '.join(SECTIONS)}")
    args = a.parse_args(argv)
    only = args.only.split(",") if args.only else None
    if only and set(only) - set(SECTIONS):
        a.error(f"unknown section(s) {sorted(set(only) - set(SECTIONS))}; valid: {', '.join(SECTIONS)}")
    if not args.minutes > 0:
        a.error(f"--minutes must be positive, got {args.minutes}")
    out = args.out or results_root() / ("smoke/gpu" if args.dry_run else "gpu")
    path, report = run(args.minutes, args.dry_run, out, only)
    print(path)
    return 0 if all(s["ok"] for s in report["sections"].values()) else 1


if __name__ == "__main__":
    sys.exit(main())
