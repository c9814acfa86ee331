"""Seed-only messages (issue 39): a worker rebuilds its members of a generation instead of receiving them.

The vector protocol (``RayEvaluator(messages="vectors")``, the default) ships each worker its members'
parameter vectors: P x n floats a generation (256 MB at 1M parameters and P = 64). With
``messages="seeds"`` the driver ships, per worker, a generation's *message* -- what the trainer's ``ask``
drew from (its generator's state before the draw) and the centre (OpenAI-ES, the low-rank ES: theta;
torch CMA-ES: m and sigma) -- and the worker rebuilds exactly its members with the trainer's own code
(``trainer.rebuild(message, rows)``), bitwise equal to the rows ``ask`` returned; the worker sends back
a return and a length per member and episode, as before. The trainers' noise streams are those of
``ask``, unchanged: a run with seed-only messages has the same key and the same records.

A trainer that supports it has ``ask_message(state) -> (population, state, message)`` (``ask`` plus the
message, a dict) and ``rebuild(message, rows)``. Entries of a message that are large and change rarely
are *kept*: ``message[name] = (version, data)`` for ``name`` in ``KEPT`` -- torch CMA-ES's eigenbasis
(B and D, n^2 + n floats), whose version is the evaluation count of its decomposition, and the trainer
itself (sent once per worker). The driver ships a kept entry to a worker only when that worker does
not hold its version; a worker that lacks it (a restarted actor, a new run) answers ``Stale`` and the
driver resends with the data. So a CMA-ES generation ships m and sigma, and B and D once per
decomposition, as the issue asks.

What numpy's generators allow: the ziggurat draws a variable number of words per normal, so a worker
cannot jump to member j's noise; it replays the generator from the message's state (OpenAI-ES: pair by
pair up to its last member, at most P/2 x n normals -- ``ask``'s own cost, once per worker; the low-rank
ES: all P members' factors, which are small; torch CMA-ES: ``ask``'s whole sampling product, lam x n^2,
since a product of fewer rows may round differently). That replay is the price of keeping every stored
run's stream; ``bench messages`` measures what it costs against the bytes it saves.
"""

from __future__ import annotations

import pickle
from dataclasses import dataclass

import numpy as np

KEPT = ("trainer", "basis")
"""Message entries ``(version, data)`` that a worker keeps until their version changes."""
MODES = ("vectors", "seeds")
"""``RayEvaluator``'s message protocols: every member's parameters, or seed-only messages."""


def supports_seeds(trainer) -> bool:
    """Whether ``trainer`` can describe a generation by a message and rebuild its members from it."""
    return callable(getattr(trainer, "ask_message", None)) and callable(getattr(trainer, "rebuild", None))


def payload_bytes(obj) -> int:
    """Bytes ``obj`` puts on the wire: arrays and tensors by their data, containers by their items, the
    rest (scalars, a generator's state dict, a trainer) by its pickle. Exact for the arrays; for the
    small rest within a pickle's framing (tens of bytes)."""
    if isinstance(obj, np.ndarray):
        return int(obj.nbytes)
    if type(obj).__module__.startswith("torch") and hasattr(obj, "element_size"):
        return int(obj.element_size() * obj.numel())
    if isinstance(obj, (tuple, list)):
        return sum(payload_bytes(x) for x in obj)
    if isinstance(obj, dict):
        return sum(payload_bytes(k) + payload_bytes(v) for k, v in obj.items())
    if obj is None:
        return 0
    return len(pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL))


def split(message: dict) -> tuple[dict, dict]:
    """(shared, kept): the entries every worker gets each generation, and the kept ones (``KEPT``)."""
    if not isinstance(message, dict):
        raise ValueError(f"a seed-only message must be a dict from trainer.ask_message, got {type(message).__name__}")
    kept = {k: v for k, v in message.items() if k in KEPT}
    for name, entry in kept.items():
        if not (isinstance(entry, tuple) and len(entry) == 2):
            raise ValueError(f"message entry {name!r} must be a (version, data) pair, got {entry!r:.60}")
    return {k: v for k, v in message.items() if k not in KEPT}, kept


@dataclass(frozen=True)
class Stale:
    """A worker's answer when it lacks the data of kept entries ``names`` (the driver resends them)."""

    names: tuple[str, ...]


class MessageWorker:
    """The worker side: keeps the kept entries and rebuilds its members from a message.

    ``evaluate(shared, kept, rows, seeds)``: ``kept`` maps a name to ``(version, data)``, ``data`` None
    where the driver believes this worker holds that version; returns ``Stale`` if it does not, else
    the evaluator's result on the rebuilt rows (``trainer.rebuild`` of the kept trainer)."""

    def __init__(self, evaluator):
        self.evaluator, self.kept = evaluator, {}

    def evaluate(self, shared: dict, kept: dict, rows, seeds: np.ndarray):
        missing = tuple(name for name, (version, data) in kept.items()
                        if data is None and self.kept.get(name, (object(),))[0] != version)
        if missing:
            return Stale(missing)
        for name, (version, data) in kept.items():
            if data is not None:
                self.kept[name] = (version, data)
        if "trainer" not in kept:
            raise ValueError("a seed-only message must name its trainer (the kept entry 'trainer')")
        message = {**shared, **{name: self.kept[name] for name in kept}}
        population = self.kept["trainer"][1].rebuild(message, np.asarray(rows, dtype=np.int64))
        return self.evaluator.evaluate(population, seeds)
