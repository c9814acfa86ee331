"""Population evaluation: the lockstep evaluator and its serial reference (``lockstep``), the same on
Ray actors (``ray``, imported only when asked for), and ``make_evaluator``."""

from .lockstep import (BACKENDS, CACHE_BYTES, EVAL, POLICIES, TRAIN, EvalResult, LockstepEvaluator, SerialEvaluator,
                       episode_seeds, make_evaluator, make_policy, reset)

__all__ = ["BACKENDS", "CACHE_BYTES", "EVAL", "POLICIES", "TRAIN", "EvalResult", "LockstepEvaluator",
           "SerialEvaluator", "episode_seeds", "make_evaluator", "make_policy", "reset"]
