"""MJX on the CPU: Gymnasium's Humanoid model stepped by MuJoCo's JAX port against MuJoCo's C.

Chapter 8 asks what a GPU buys for simulation. MJX (``mujoco-mjx``) runs MuJoCo's physics as JAX
programs, so a batch of humanoids is one ``jit(vmap(step))``: the way Brax and MJX reach 10^5-10^6
steps/s on an accelerator. Before a GPU: what does the same program do on one core of this machine?

* The model is Gymnasium's ``humanoid.xml`` (Humanoid-v5's), one env step = ``FRAME_SKIP`` physics
  steps, as Gymnasium steps it. Its solver is switched from PGS, which MJX does not implement, to
  Newton; MuJoCo's C is timed on the same Newton model and on the original PGS one.
* ``mjx``: ``jit(vmap(FRAME_SKIP x mjx.step))`` over ``batch`` humanoids started from the model's
  initial pose plus U(-0.01, 0.01) noise (Gymnasium's ``reset_noise_scale``), zero controls; the
  compile (the first two calls: the second one compiles again, as the step's output types differ
  from ``make_data``'s) is timed apart, then env steps/s over ``seconds``.
* ``mujoco``: ``mujoco.mj_step`` on one ``MjData``, the same start and controls.

Everything runs on one core: the process is pinned to one CPU and XLA's CPU backend gets one
thread (``XLA_FLAGS`` must be set before JAX first loads, so run this in a fresh process: the CLI
does). ``mujoco-mjx`` is optional (``requirements-mjx.txt``, ``make bench-mjx``).
"""

from __future__ import annotations

import os
import time

import numpy as np

FRAME_SKIP = 5
"""Gymnasium Humanoid-v5's physics steps per env step."""

ONE_THREAD_XLA = "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1"


def _mjx():
    try:
        from mujoco import mjx
    except ImportError:
        raise ValueError("mujoco-mjx is not installed: `make bench-mjx` installs requirements-mjx.txt "
                         "(mujoco-mjx==3.17.0) and runs this benchmark") from None
    return mjx


def humanoid_model(solver: str = "newton"):
    """Gymnasium's Humanoid-v5 model (``humanoid.xml``) with ``solver`` ``newton`` or ``pgs`` (its own)."""
    import mujoco
    from gymnasium.envs.mujoco import humanoid_v5

    if solver not in ("newton", "pgs"):
        raise ValueError(f"solver must be 'newton' or 'pgs', got {solver!r}")
    xml = os.path.join(os.path.dirname(humanoid_v5.__file__), "assets", "humanoid.xml")
    model = mujoco.MjModel.from_xml_path(xml)
    model.opt.solver = mujoco.mjtSolver.mjSOL_NEWTON if solver == "newton" else mujoco.mjtSolver.mjSOL_PGS
    return model


def start_qpos(model, batch: int, seed: int = 0) -> np.ndarray:
    """``batch`` start poses: the model's initial pose plus U(-0.01, 0.01), as Gymnasium resets."""
    rng = np.random.default_rng(seed)
    return model.qpos0[None, :] + rng.uniform(-0.01, 0.01, (batch, model.nq))


def mujoco_steps_per_s(model, seconds: float) -> float:
    """Env steps/s of MuJoCo's C on one ``MjData`` (``FRAME_SKIP`` ``mj_step`` per env step)."""
    import mujoco

    data = mujoco.MjData(model)
    data.qpos[:] = start_qpos(model, 1)[0]
    steps, t = 0, time.perf_counter()
    while time.perf_counter() - t < seconds:
        mujoco.mj_step(model, data, nstep=FRAME_SKIP * 50)
        steps += 50
        if not np.isfinite(data.qpos).all() or data.qpos[2] < 0.5:  # fallen: start over, as an episode would
            mujoco.mj_resetData(model, data)
            data.qpos[:] = start_qpos(model, 1, seed=steps)[0]
    return steps / (time.perf_counter() - t)


def mjx_steps_per_s(model, batch: int, seconds: float) -> tuple[float, float]:
    """(compile seconds, env steps/s) of ``jit(vmap(FRAME_SKIP x mjx.step))`` over ``batch`` humanoids."""
    import jax

    mjx = _mjx()
    mx = mjx.put_model(model)
    qpos = jax.numpy.asarray(start_qpos(model, batch))
    data = jax.vmap(lambda q: mjx.make_data(mx).replace(qpos=q))(qpos)

    def env_step(d):
        return jax.lax.fori_loop(0, FRAME_SKIP, lambda _, x: mjx.step(mx, x), d)

    step = jax.jit(jax.vmap(env_step))
    t = time.perf_counter()
    for _ in range(2):  # make_data's weakly typed fields make the second call compile once more
        data = jax.block_until_ready(step(data))
    compile_s = time.perf_counter() - t
    calls, t = 0, time.perf_counter()
    while time.perf_counter() - t < seconds:
        data = jax.block_until_ready(step(data))
        calls += 1
    return compile_s, calls * batch / (time.perf_counter() - t)


def bench_mjx(batches=(1, 16, 256, 1024), seconds: float = 5.0, log=print) -> dict:
    """MuJoCo's C (Newton and PGS) and MJX at each batch size, env steps/s on one core."""
    from .gpu import one_core
    from ..machine import machine_label

    if not seconds > 0:
        raise ValueError(f"seconds must be positive, got {seconds!r}")
    if not batches or any(not isinstance(b, int) or b < 1 for b in batches):
        raise ValueError(f"batches must be positive integers, got {batches!r}")
    _mjx()
    import jax

    flags = os.environ.get("XLA_FLAGS", "")
    out = {"machine": machine_label(), "model": "Gymnasium Humanoid-v5 humanoid.xml", "frame_skip": FRAME_SKIP,
           "jax": jax.__version__, "xla_one_thread": "intra_op_parallelism_threads=1" in flags,
           "seconds": seconds, "mujoco": {}, "mjx": []}
    with one_core():
        for solver in ("pgs", "newton"):
            out["mujoco"][solver] = mujoco_steps_per_s(humanoid_model(solver), seconds)
            log(f"MuJoCo C, {solver}: {out['mujoco'][solver]:,.0f} env steps/s")
        model = humanoid_model("newton")
        for b in batches:
            compile_s, rate = mjx_steps_per_s(model, b, seconds)
            out["mjx"].append({"batch": b, "compile_s": compile_s, "steps_per_s": rate,
                               "over_mujoco_newton": rate / out["mujoco"]["newton"]})
            log(f"MJX batch {b}: compiled in {compile_s:.0f} s, {rate:,.0f} env steps/s")
    return out
