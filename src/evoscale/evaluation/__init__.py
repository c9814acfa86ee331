"""Population evaluation: every individual's episodes, as fast as one core steps the environment.

``seeds`` -- episode seeds, ``EvalResult`` and a reset that is a pure function of its seed (what every
backend shares); ``lockstep`` -- ``LockstepEvaluator`` and its reference, ``SerialEvaluator``;
``ray`` -- ``RayEvaluator``, the lockstep evaluator on Ray actors, ``jax`` -- ``JaxEvaluator``,
simulator and policy compiled together, and ``envpool`` -- ``EnvPoolEvaluator``, the lockstep loop on
EnvPool's C++ simulators (all three imported only when asked for).
``make_evaluator`` builds the backend a run asks for. Every Gymnasium-simulated backend, and any
split of the population across workers, gives identical returns; ``envpool`` simulates other
episodes of the same tasks (statistically indistinguishable returns, its own cache key).
"""

from __future__ import annotations

from .lockstep import CACHE_BYTES, LockstepEvaluator, SerialEvaluator
from .seeds import EVAL, TRAIN, EvalResult, episode_seeds, reset

BACKENDS = ("serial", "lockstep", "ray", "jax", "envpool")
"""``ray``: ``evaluation.ray.RayEvaluator``, the lockstep evaluator on ``workers`` Ray actors;
``jax``: ``evaluation.jax.JaxEvaluator``, simulator and policy in one compiled loop (gymnax tasks);
``envpool``: ``evaluation.envpool.EnvPoolEvaluator``, EnvPool's simulators (optional install)."""


def make_evaluator(config, kind: str = "mlp", policy_kw: dict | None = None):
    """The population evaluator of the run ``config`` (a ``RunConfig``): ``config.backend`` on
    ``config.env``, evaluating the policy network ``kind`` (``policies.make_policy``, with keyword
    arguments ``policy_kw``) of hidden widths ``config.hidden``, its forward on ``config.device``;
    ``ray``: ``config.workers`` actors (default 2) on ``config.ray_address``, shipping ``config.messages``.
    Which policy a method evolves is the trainers' to say: ``train.build`` asks them (``train.resolve``)
    and hands it over; the default, the tanh MLP, is every method's but neuromod's and recurrent's."""
    backend = config.backend
    if backend not in BACKENDS:
        raise ValueError(f"unknown evaluator backend {backend!r}; valid: {', '.join(BACKENDS)}")
    policy_kw = dict(policy_kw or {})
    if backend == "ray":
        from .ray import RayEvaluator  # imports Ray only when asked for

        return RayEvaluator(config.env, config.hidden, config.device, kind, workers=config.workers or 2,
                            ray_address=config.ray_address, messages=config.messages or "vectors", **policy_kw)
    if backend == "jax":
        from .jax import JaxEvaluator  # imports JAX only when asked for

        return JaxEvaluator(config.env, config.hidden, config.device, kind, **policy_kw)
    if backend == "envpool":
        from .envpool import EnvPoolEvaluator  # imports EnvPool only when asked for

        return EnvPoolEvaluator(config.env, config.hidden, config.device, kind, **policy_kw)
    cls = SerialEvaluator if backend == "serial" else LockstepEvaluator
    return cls(config.env, config.hidden, config.device, kind, **policy_kw)


__all__ = ["BACKENDS", "CACHE_BYTES", "EVAL", "TRAIN", "EvalResult", "LockstepEvaluator", "SerialEvaluator",
           "episode_seeds", "make_evaluator", "reset"]
