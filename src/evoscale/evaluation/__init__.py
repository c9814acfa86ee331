"""Population evaluation: every individual's episodes, as fast as one core steps the environment.

``seeds`` -- episode seeds, ``EvalResult`` and a reset that is a pure function of its seed (what every
backend shares); ``lockstep`` -- ``LockstepEvaluator`` and its reference, ``SerialEvaluator``;
``ray`` -- ``RayEvaluator``, the lockstep evaluator on Ray actors (imported only when asked for).
``make_evaluator`` builds the backend a run asks for. Every backend, and any split of the
population across workers, gives identical returns.
"""

from __future__ import annotations

from .lockstep import CACHE_BYTES, LockstepEvaluator, SerialEvaluator
from .seeds import EVAL, TRAIN, EvalResult, episode_seeds, reset

BACKENDS = ("serial", "lockstep", "ray")
"""``ray``: ``evaluation.ray.RayEvaluator``, the lockstep evaluator on ``workers`` Ray actors."""


def make_evaluator(backend: str, env_id: str, hidden: tuple[int, ...], device: str = "cpu",
                   policy: str = "mlp", workers: int | None = None, ray_address: str | None = None,
                   **policy_kw):
    if backend not in BACKENDS:
        raise ValueError(f"unknown evaluator backend {backend!r}; valid: {', '.join(BACKENDS)}")
    if backend == "ray":
        from .ray import RayEvaluator  # imports Ray only when asked for

        return RayEvaluator(env_id, hidden, device, policy, workers=workers or 2, ray_address=ray_address,
                            **policy_kw)
    cls = SerialEvaluator if backend == "serial" else LockstepEvaluator
    return cls(env_id, hidden, device, policy, **policy_kw)


__all__ = ["BACKENDS", "CACHE_BYTES", "EVAL", "TRAIN", "EvalResult", "LockstepEvaluator", "SerialEvaluator",
           "episode_seeds", "make_evaluator", "reset"]
