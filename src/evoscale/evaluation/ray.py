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

Seed-only messages (``messages="seeds"``, ``evaluation.messages``): after ``bind(trainer)`` (a
trainer with ``ask_message`` and ``rebuild``), ``evaluate(population, seeds, message)`` ships each worker
the generation's message (put once into Ray's object store per generation) -- the generator's state
and the centre, plus what the worker keeps between generations (the trainer, once; torch CMA-ES's
eigenbasis, once per decomposition) where it does not hold it yet -- instead of its members' vectors;
the worker rebuilds its rows with the trainer's own code, bitwise as ``ask`` drew them, so the results
stay identical. A call without a message (the solved test) ships vectors. ``traffic`` counts the
payload bytes sent and received (``messages.payload_bytes``) and the calls, since construction.

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
import uuid

import numpy as np
import ray
from ray.exceptions import GetTimeoutError, RayError, RayTaskError

from ..envs import get_spec
from ..policies import make_policy
from .lockstep import LockstepEvaluator
from .messages import MODES, MessageWorker, Stale, payload_bytes, split, supports_seeds
from .seeds import EvalResult
from ..ray_connect import init_ray

MAX_TASK_RETRIES = 3
"""Times one slice is re-run after its worker process died, within one ``evaluate`` call."""


@ray.remote(num_cpus=1, max_restarts=-1, max_task_retries=MAX_TASK_RETRIES)
class _Worker:
    """One Ray actor: a ``LockstepEvaluator`` built in the worker process."""

    def __init__(self, env_id, hidden, device, policy, policy_kw):
        self.evaluator = LockstepEvaluator(env_id, hidden, device, policy, **policy_kw)
        self.messages = MessageWorker(self.evaluator)

    def evaluate(self, population: np.ndarray, seeds: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        result = self.evaluator.evaluate(population, seeds)
        return result.returns, result.lengths

    def evaluate_message(self, shared: dict, kept: dict, rows: np.ndarray, seeds: np.ndarray):
        """Rebuild rows ``rows`` from a seed-only message and evaluate them (``messages.MessageWorker``)."""
        result = self.messages.evaluate(shared, kept, rows, seeds)
        return result if isinstance(result, Stale) else (result.returns, result.lengths)

    def pid(self) -> int:
        return os.getpid()


class RayEvaluator:
    """``LockstepEvaluator`` split over ``workers`` Ray actors; same contract, identical results."""

    def __init__(self, env_id: str, hidden: tuple[int, ...], device: str = "cpu", policy: str = "mlp",
                 workers: int = 2, ray_address: str | None = None, timeout_s: float = 600.0,
                 messages: str = "vectors", **policy_kw):
        if not isinstance(workers, int) or workers < 1:
            raise ValueError(f"workers must be a positive integer, got {workers!r}")
        if messages not in MODES:
            raise ValueError(f"messages must be one of {', '.join(MODES)}, got {messages!r}")
        if not timeout_s > 0:
            raise ValueError(f"timeout_s must be positive, got {timeout_s!r}")
        self.spec = get_spec(env_id)
        self.policy = make_policy(self.spec, hidden, device, policy, **policy_kw)  # n_params, unflatten
        self.workers, self.timeout_s, self.messages = workers, float(timeout_s), messages
        self.trainer, self._kept = None, {}  # bind(); per actor index: kept entry -> version it holds
        self.traffic = {"sent_bytes": 0, "received_bytes": 0, "calls": 0}
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

    @property
    def seeded(self) -> bool:
        """Whether ``evaluate`` takes seed-only messages (``messages="seeds"`` and a trainer bound)."""
        return self.messages == "seeds" and self.trainer is not None

    def bind(self, trainer) -> None:
        """The trainer whose messages ``evaluate`` gets (``messages="seeds"``; a no-op for vectors).
        ValueError if it cannot rebuild its population from a message."""
        if self.messages != "seeds":
            return
        if not supports_seeds(trainer):
            raise ValueError(f"messages='seeds' needs a trainer that rebuilds its members from a seed "
                             f"(openai_es, lowrank_es, torch_cmaes); {getattr(trainer, 'name', trainer)!r} ships vectors")
        self.trainer, self._token = trainer, uuid.uuid4().hex  # a new bind: every worker needs the trainer again

    def evaluate(self, population: np.ndarray, seeds: np.ndarray, message: dict | None = None) -> EvalResult:
        seeds = np.asarray(seeds)
        if message is not None and not self.seeded:
            raise ValueError("evaluate got a seed-only message but this evaluator ships vectors "
                             "(RayEvaluator(messages='seeds') and bind(trainer) first)")
        if message is None:
            population = np.asarray(population)
        if len(population) != len(seeds):
            raise ValueError(f"population has {len(population)} rows but seeds has {len(seeds)}")
        shares = [k for k in range(min(self.workers, len(seeds)))]
        actors = self._ensure_actors()
        try:
            if message is None:
                calls = {k: (population[k :: self.workers], seeds[k :: self.workers]) for k in shares}
                parts = self._get({k: actors[k].evaluate.remote(*args) for k, args in calls.items()})
                self._count(calls.values(), parts.values())
            else:
                parts = self._evaluate_message(actors, shares, len(seeds), seeds, message)
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
        for k in shares:
            returns[k :: self.workers], lengths[k :: self.workers] = parts[k]
        return EvalResult(returns, lengths)

    def _get(self, refs: dict) -> dict:
        return dict(zip(refs, ray.get(list(refs.values()), timeout=self.timeout_s)))

    def _count(self, sent, received) -> None:
        received = list(received)
        self.traffic["sent_bytes"] += sum(payload_bytes(x) for x in sent)
        self.traffic["received_bytes"] += sum(payload_bytes(x) for x in received)
        self.traffic["calls"] += len(received)

    def _evaluate_message(self, actors, shares, P, seeds, message) -> dict:
        """Seed-only: the shared part put once, the kept entries only to workers lacking their version,
        and a second round, with the data, for workers that answer ``Stale`` (e.g. restarted)."""
        shared, kept = split(message)
        kept = {"trainer": ((self._token, 0), self.trainer),
                **{name: ((self._token, version), data) for name, (version, data) in kept.items()}}
        ref = ray.put(shared)  # serialised once; each worker fetches it once
        size = payload_bytes(shared)

        def call(k, resend=()):
            held = self._kept.setdefault(k, {})
            entries = {name: (version, data if name in resend or held.get(name) != version else None)
                       for name, (version, data) in kept.items()}
            for name, (version, data) in entries.items():
                held[name] = version
            args = (entries, np.arange(k, P, self.workers), seeds[k :: self.workers])
            self.traffic["sent_bytes"] += size + payload_bytes(args)
            return actors[k].evaluate_message.remote(ref, *args)

        parts = self._get({k: call(k) for k in shares})
        stale = {k: p.names for k, p in parts.items() if isinstance(p, Stale)}
        if stale:
            parts.update(self._get({k: call(k, names) for k, names in stale.items()}))
        if any(isinstance(p, Stale) for p in parts.values()):
            raise RuntimeError("a Ray worker lost the data of a seed-only message twice in one evaluation")
        self.traffic["received_bytes"] += sum(payload_bytes(p) for p in parts.values())
        self.traffic["calls"] += len(shares) + len(stale)
        return parts

    def pids(self) -> list[int]:
        """Process ids of the worker actors (starting them if needed), e.g. to inject faults."""
        return ray.get([actor.pid.remote() for actor in self._ensure_actors()], timeout=self.timeout_s)

    def _kill_actors(self) -> None:
        for actor in self._actors or ():
            ray.kill(actor, no_restart=True)
        self._actors, self._kept = None, {}

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
