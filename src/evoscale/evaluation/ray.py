"""Population evaluation on Ray: the lockstep evaluator, one copy per worker process (or machine).

``RayEvaluator`` keeps ``workers`` Ray actors (``num_cpus=1`` each). Every actor builds its own
``LockstepEvaluator`` once, so the environments and their Box2D worlds live in the worker and are
reused across generations. ``evaluate(population[P, n], seeds[P, E])`` deals the rows out like
cards: actor k gets rows k, k + workers, k + 2 workers, ... (a strided slice, so long and short
episodes mix in every share even when the population is sorted), evaluates them with the batched
policy, and sends back ``returns`` and ``lengths``; the driver puts every row back in its place.
Nothing else crosses the wire per generation.

Identical results: a ``LockstepEvaluator`` computes every (individual, episode) from that
individual's float64 parameter row and that episode's seed alone (``reset`` makes each episode a
pure function of its seed, and the policy forward is row-wise), and numpy arrays travel through
Ray bit for bit. So any slicing gives the same returns and lengths as one ``LockstepEvaluator`` over
the whole population -- bitwise, as the tests check.

Faults: evaluation is idempotent, so Ray may simply redo it. Actors restart without limit
(``max_restarts=-1``) and every call is retried ``MAX_TASK_RETRIES`` times if its worker process
dies, re-evaluating that slice with the same result. Exhausted retries, any other Ray failure, or a
call not done within ``timeout_s`` (which includes waiting for an actor to be scheduled) raise
``RuntimeError``; the actors are then killed and recreated on the next call, so the evaluator never
hangs and stays usable. An exception raised by the evaluation itself (an environment rejecting an
action or seed, a bad parameter shape) is not retried: it reaches the caller as Ray's
``RayTaskError``, which is also an instance of the original exception type and whose message holds
the original message and the worker's traceback (``err.cause`` is the original exception).

Clusters: with ``ray_address=None`` an uninitialised Ray starts a local cluster of ``workers``
CPUs; ``"auto"`` joins the cluster started on this machine with ``ray start``, ``"host:port"`` a
cluster's head (GCS) address; an address where no cluster answers fails after
``EVOSCALE_RAY_CONNECT_TIMEOUT`` seconds (``ray_connect.init_ray``). If Ray is already
initialised (e.g. by the caller), that connection is used and ``ray_address`` is ignored. ``close()``
(or leaving a ``with`` block) kills the actors, and shuts Ray down only if this evaluator started it.
"""

from __future__ import annotations

import logging
import os
import time

import numpy as np
import ray
from ray.exceptions import GetTimeoutError, RayError, RayTaskError

from ..envs import get_spec
from ..policies import make_policy
from .lockstep import LockstepEvaluator
from .seeds import EvalResult
from ..ray_connect import init_ray

MAX_TASK_RETRIES = 3
"""Times one slice is re-run after its worker process died, within one ``evaluate`` call."""


@ray.remote(num_cpus=1, max_restarts=-1, max_task_retries=MAX_TASK_RETRIES)
class _Worker:
    """One Ray actor: a ``LockstepEvaluator`` built in the worker process."""

    def __init__(self, env_id, hidden, device, policy, policy_kw):
        self.evaluator = LockstepEvaluator(env_id, hidden, device, policy, **policy_kw)

    def evaluate(self, population: np.ndarray, seeds: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        result = self.evaluator.evaluate(population, seeds)
        return result.returns, result.lengths

    def pid(self) -> int:
        return os.getpid()


class RayEvaluator:
    """``LockstepEvaluator`` split over ``workers`` Ray actors; same contract, identical results."""

    def __init__(self, env_id: str, hidden: tuple[int, ...], device: str = "cpu", policy: str = "mlp",
                 workers: int = 2, ray_address: str | None = None, timeout_s: float = 600.0, **policy_kw):
        if not isinstance(workers, int) or workers < 1:
            raise ValueError(f"workers must be a positive integer, got {workers!r}")
        if not timeout_s > 0:
            raise ValueError(f"timeout_s must be positive, got {timeout_s!r}")
        self.spec = get_spec(env_id)
        self.policy = make_policy(self.spec, hidden, device, policy, **policy_kw)  # n_params, unflatten
        self.workers, self.timeout_s = workers, float(timeout_s)
        self._args = (env_id, tuple(hidden), device, policy, dict(policy_kw))
        self._owns_ray = not ray.is_initialized()
        if self._owns_ray:
            local = {"num_cpus": workers, "include_dashboard": False} if ray_address in (None, "local") else {}
            init_ray(ray_address, logging_level=logging.ERROR, **local)
        self._actors: list | None = None

    def _ensure_actors(self, wait_s: float = 5.0) -> list:
        """Start the actors, failing at once (not after ``timeout_s``) if the cluster lacks the CPUs."""
        if self._actors is None:
            deadline = time.monotonic() + wait_s  # freed CPUs show up in Ray's accounting with a delay
            while (free := ray.available_resources().get("CPU", 0.0)) < self.workers:
                if time.monotonic() > deadline:
                    raise RuntimeError(
                        f"the Ray cluster has {free:g} free CPUs but workers={self.workers} need one each: "
                        f"lower workers, or close the evaluators holding the cluster's CPUs")
                time.sleep(0.1)
            self._actors = [_Worker.remote(*self._args) for _ in range(self.workers)]
        return self._actors

    def evaluate(self, population: np.ndarray, seeds: np.ndarray) -> EvalResult:
        population, seeds = np.asarray(population), np.asarray(seeds)
        if len(population) != len(seeds):
            raise ValueError(f"population has {len(population)} rows but seeds has {len(seeds)}")
        shares = [k for k in range(min(self.workers, len(seeds)))]
        refs = [actor.evaluate.remote(population[k :: self.workers], seeds[k :: self.workers])
                for actor, k in zip(self._ensure_actors(), shares)]
        try:
            parts = ray.get(refs, timeout=self.timeout_s)
        except RayTaskError:
            raise  # the evaluation itself raised: original type, message and remote traceback
        except GetTimeoutError:
            self._kill_actors()
            raise RuntimeError(
                f"Ray evaluation of {len(seeds)} individuals did not finish within timeout_s="
                f"{self.timeout_s:g} s (a worker too slow, hung, or not schedulable: are {self.workers} "
                f"CPUs free in the cluster?); the workers were killed and will be recreated") from None
        except RayError as err:
            self._kill_actors()
            raise RuntimeError(
                f"Ray evaluation failed after {MAX_TASK_RETRIES} retries ({type(err).__name__}: {err}); "
                f"the workers were killed and will be recreated on the next call") from err
        returns, lengths = np.empty(seeds.shape), np.empty(seeds.shape, dtype=np.int64)
        for k, (r, n) in zip(shares, parts):
            returns[k :: self.workers], lengths[k :: self.workers] = r, n
        return EvalResult(returns, lengths)

    def pids(self) -> list[int]:
        """Process ids of the worker actors (starting them if needed), e.g. to inject faults."""
        return ray.get([actor.pid.remote() for actor in self._ensure_actors()], timeout=self.timeout_s)

    def _kill_actors(self) -> None:
        for actor in self._actors or ():
            ray.kill(actor, no_restart=True)
        self._actors = None

    def close(self) -> None:
        """Kill the actors; shut Ray down only if this evaluator started it."""
        if ray.is_initialized():
            self._kill_actors()
            if self._owns_ray:
                ray.shutdown()
        self._actors, self._owns_ray = None, False

    def __enter__(self) -> "RayEvaluator":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
