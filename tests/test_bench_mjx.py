"""The MJX bench: MuJoCo's JAX port against its C on Gymnasium's humanoid (mujoco-mjx is optional)."""

import importlib.util
import sys

import numpy as np
import pytest

from evoscale.bench import mjx

needs_mjx = pytest.mark.skipif(importlib.util.find_spec("mujoco.mjx") is None if importlib.util.find_spec("mujoco")
                               else True, reason="mujoco-mjx is optional: `make bench-mjx` installs it")

PENDULUM = """<mujoco><worldbody><body pos="0 0 1"><joint type="hinge"/><joint type="slide"/>
<geom size=".1" fromto="0 0 0 0 0 -1" type="capsule"/></body></worldbody></mujoco>"""


def test_without_mjx_the_bench_says_how_to_get_it(monkeypatch):
    import mujoco

    monkeypatch.delattr(mujoco, "mjx", raising=False)  # as if never imported ...
    monkeypatch.setitem(sys.modules, "mujoco.mjx", None)  # ... and not importable
    with pytest.raises(ValueError, match="make bench-mjx"):
        mjx.bench_mjx((1,), seconds=0.01)


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match="seconds"):
        mjx.bench_mjx((1,), seconds=0)
    with pytest.raises(ValueError, match="batches"):
        mjx.bench_mjx((0,), seconds=1)
    with pytest.raises(ValueError, match="solver"):
        mjx.humanoid_model("cg")


def test_humanoid_model_is_gymnasiums_with_the_solver_switched():
    import mujoco

    newton, pgs = mjx.humanoid_model("newton"), mjx.humanoid_model("pgs")
    assert newton.nq == pgs.nq == 24 and newton.nu == 17
    assert newton.opt.solver == mujoco.mjtSolver.mjSOL_NEWTON and pgs.opt.solver == mujoco.mjtSolver.mjSOL_PGS
    q = mjx.start_qpos(newton, 3)
    assert q.shape == (3, 24) and np.abs(q - newton.qpos0).max() <= 0.01
    assert mjx.mujoco_steps_per_s(newton, 0.05) > 0


@needs_mjx
def test_mjx_steps_a_batch_on_a_small_model():
    import mujoco

    model = mujoco.MjModel.from_xml_string(PENDULUM)
    compile_s, rate = mjx.mjx_steps_per_s(model, 4, 0.05)
    assert compile_s > 0 and rate > 0
