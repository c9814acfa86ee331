"""`RunConfig`: everything that defines one training run. Its hash keys the results cache.

Every field that can change a result is part of the hash, together with ``RESULT_FORMAT_VERSION``
(bump it when the records' meaning changes, and every cached result is recomputed). Fields listed in
``NOT_HASHED`` only change how a run is shown, never what it computes. Fields whose value is ``None``
are left out, so a new optional field (default ``None``: "the method's own default") does not
invalidate results computed before it existed.

A ``RunConfig`` is plain data, a leaf of the package: constructing one checks its fields' types and
ranges (``validate``) and nothing else. Whether its env, method, backend and hyper-parameters exist
is asked of the registries in one step, ``train.resolve``, which every run goes through
(``train.build``, ``train.train``) and which the entry points call where they read a configuration.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
import sys
import types
import typing
from dataclasses import dataclass, field

from .machine import check_device
from .store import RESULT_FORMAT_VERSION

NOT_HASHED = frozenset({"progress", "workers", "ray_address", "messages"})
STORED_NAMES = {  # the stored name of each field renamed by issue 35
    "episodes_per_fitness": "episodes_per_eval",  # stored name
    "test_every": "eval_every",  # stored name
    "test_episodes": "eval_episodes",  # stored name
}
"""Field -> the name a run's key hashes and its sidecar holds: the names the stored runs were keyed
with before issue 35 renamed the fields, so every stored run keeps its key and its file."""


def content_key(what: dict) -> str:
    """12 hex digits of SHA-256 over ``what`` (JSON, sorted keys) and ``RESULT_FORMAT_VERSION``: the
    cache key of every result this project stores (runs, cost tables, timing measurements)."""
    blob = json.dumps({"v": RESULT_FORMAT_VERSION, **what}, sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()[:12]


def check_positive_int(name: str, value) -> None:
    """ValueError naming ``name`` unless ``value`` is an int >= 1 (bools are not counts)."""
    if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")


_KINDS = {type(None): "None", bool: "true or false", int: "an integer", float: "a finite number",
          str: "a string", list: "a list", tuple: "a list", dict: "a mapping"}


def _fits(value, kind) -> bool:
    kind = typing.get_origin(kind) or kind  # list[int] -> list
    if kind is bool or kind is type(None):
        return value is None if kind is type(None) else isinstance(value, bool)
    if isinstance(value, bool):
        return False
    if kind is float:
        return isinstance(value, (int, float)) and math.isfinite(value)
    if kind in (list, tuple) or getattr(kind, "__name__", "") == "ndarray":
        return isinstance(value, (list, tuple)) or type(value).__name__ == "ndarray"
    return isinstance(value, kind) if isinstance(kind, type) else True


def check_type(name: str, value, hint) -> None:
    """ValueError naming ``name`` unless ``value`` fits the annotation ``hint`` (``int | None``, ...):
    an int is no bool, a float is a finite int or float, a list or tuple is either."""
    union = typing.get_origin(hint) in (typing.Union, types.UnionType)
    kinds = typing.get_args(hint) if union else (hint,)
    if not any(_fits(value, k) for k in kinds):
        expected = " or ".join(dict.fromkeys(_KINDS.get(typing.get_origin(k) or k, str(k)) for k in kinds))
        raise ValueError(f"{name} must be {expected}, got {value!r}")


def parse_hidden(value) -> tuple[int, ...]:
    """``"64,32"``, ``[64, 32]`` or ``64`` -> ``(64, 32)``; ``""`` or ``()`` -> no hidden layer."""
    if isinstance(value, str):
        parts = [p.strip() for p in value.split(",")] if value.strip() else []
        try:
            value = [int(p) for p in parts]
        except ValueError:
            raise ValueError(f"hidden must be comma-separated positive integers like '64,32', got {value!r}") from None
    elif isinstance(value, int):
        value = [value]
    hidden = tuple(value)
    if not all(isinstance(h, int) and not isinstance(h, bool) and h > 0 for h in hidden):
        raise ValueError(f"hidden must be positive integers like (64, 32), got {value!r}")
    return hidden


@dataclass(frozen=True)
class RunConfig:
    """One run of one method on one task with one seed."""

    can_checkpoint: typing.ClassVar[bool] = True
    """The run kind resumes from a checkpoint (``train.train``); an island run does not
    (``island.IslandSpec``). Not a field: read by the campaign for any run kind."""
    method: str = "cmaes"
    """Optimiser, a name from ``evoscale.trainers.REGISTRY``."""
    env: str = "LunarLander-v3"
    """Task, a name from ``evoscale.envs.REGISTRY``."""
    hidden: tuple[int, ...] = (64, 32)
    """Hidden layer widths of the tanh MLP (the design note's 8-64-32-4 net has 2,788 parameters)."""
    popsize: int = 64
    """Individuals per generation."""
    sigma0: float = 0.5
    """Initial step size (standard deviation of the search distribution)."""
    hyper: tuple | dict | None = None
    """The method's own hyper-parameters, e.g. ``{"lr": 0.01}`` (see ``trainers.hyper_names``);
    None: the method's defaults. Stored as a sorted tuple of (name, value) pairs."""
    budget_evals: int = 20_000
    """Training budget in episodes ("evaluations"); a run stops before a generation would exceed it."""
    budget_steps: int | None = None
    """Training budget in env steps: the gradient baselines' budget (required for ``ppo`` and
    ``recurrent_ppo``, ``trainers.GRADIENT_METHODS``); for the ES an extra limit,
    the run stops after the generation that reaches it. None: no step limit."""
    episodes_per_fitness: int = 1
    """Episodes averaged into one individual's fitness."""
    test_every: int = 2_000
    """Run the solved test (``test_episodes`` fresh episodes on the trainer's solution) every this
    many training episodes (PPO: env steps), and always after the last generation. 0: only at the end."""
    test_episodes: int = 100
    """Fresh episodes in each solved test (Gymnasium's convention is 100)."""
    test_every_unsolved: int | None = None
    """Until a solved test first reaches the task's solved threshold, run it every this many env steps
    instead of every ``test_every`` (the gradient baselines; chapter 6's CartPole PPO, so that its
    steps to the threshold are bracketed finely without testing a solved policy hundreds of times).
    None: ``test_every`` throughout (not hashed then, so earlier runs keep their keys)."""
    target_return: float | None = None
    """Stop after the first solved test whose mean return reaches this (None: spend the budget)."""
    keep_solutions: bool | None = None
    """True: every record with a solved test also carries the tested solution, as a JSON list in column
    ``solution`` (evolution methods; chapter 7 replays the networks). None: not kept (leave it None
    rather than False, which would be hashed)."""
    seed: int = 0
    """Run seed: every random number of the run derives from it."""
    backend: str = "lockstep"
    """Population evaluator: ``lockstep`` (one process), ``serial`` (reference) or ``ray``
    (``workers`` Ray actors; identical results); ``jax`` (gymnax, compiled; the same episodes up to
    rounding) or ``envpool`` (EnvPool's C++ simulators: other episodes of the same task, hashed apart)."""
    workers: int | None = None
    """Ray actors for ``backend="ray"`` (default 2). Does not change results, not hashed."""
    ray_address: str | None = None
    """Ray cluster to join (``"auto"``, ``"host:port"``, ``"ray://host:port"``); None: start a local
    one. Does not change results, not hashed."""
    messages: str | None = None
    """What the ``ray`` backend ships a worker per generation: ``"vectors"`` (None: the default), its
    members' parameters; ``"seeds"``, a seed-only message it rebuilds them from (``evaluation.messages``:
    openai_es, lowrank_es, torch_cmaes). Identical results; not hashed."""
    device: str = "cpu"
    """Where the policy forward runs: ``cpu`` or ``cuda``."""
    progress: bool = field(default=False, compare=False)
    """Show a progress bar (does not change results, not hashed)."""

    def __post_init__(self):
        object.__setattr__(self, "hidden", parse_hidden(self.hidden))
        if self.hyper is not None:  # list values become tuples (hashable; the key's JSON is the same)
            items = ((k, tuple(v) if isinstance(v, list) else v) for k, v in dict(self.hyper).items())
            object.__setattr__(self, "hyper", tuple(sorted(items)) or None)
        self.validate()

    def validate(self) -> None:
        """Raise ValueError naming the offending parameter: the checks that need nothing but the fields
        (types, ranges, combinations). Whether the env, method, backend and hyper-parameters exist is
        the registries' question, answered once in ``train.resolve``."""
        if self.budget_steps is not None and (not isinstance(self.budget_steps, int) or self.budget_steps <= 0):
            raise ValueError(f"budget_steps must be a positive integer, got {self.budget_steps!r}")
        for name in ("popsize", "budget_evals", "episodes_per_fitness", "test_episodes"):
            check_positive_int(name, getattr(self, name))
        if self.popsize < 2:
            raise ValueError(f"popsize must be at least 2, got {self.popsize}")
        check_type("sigma0", self.sigma0, float)
        if not self.sigma0 >= sys.float_info.min:  # a subnormal step size makes every sample the mean
            raise ValueError(f"sigma0 must be positive (at least {sys.float_info.min:.3g}), got {self.sigma0!r}")
        check_type("seed", self.seed, int)
        if self.seed < 0:
            raise ValueError(f"seed must be a non-negative integer, got {self.seed}")
        check_type("target_return", self.target_return, float | None)
        if self.test_every_unsolved is not None:
            check_positive_int("test_every_unsolved", self.test_every_unsolved)
        if not isinstance(self.test_every, int) or self.test_every < 0:
            raise ValueError(f"test_every must be a non-negative integer, got {self.test_every!r}")
        per_gen = self.popsize * self.episodes_per_fitness
        if self.budget_evals < per_gen:
            raise ValueError(
                f"budget_evals={self.budget_evals} is smaller than one generation "
                f"(popsize {self.popsize} x episodes_per_fitness {self.episodes_per_fitness} = {per_gen})"
            )
        if self.workers is not None and (not isinstance(self.workers, int) or self.workers < 1):
            raise ValueError(f"workers must be a positive integer, got {self.workers!r}")
        if self.messages not in (None, "vectors", "seeds"):
            raise ValueError(f"messages must be 'vectors' or 'seeds', got {self.messages!r}")
        if self.messages == "seeds" and self.backend != "ray":
            raise ValueError(f"messages='seeds' is a Ray protocol; backend is {self.backend!r}")
        check_device(self.device)

    @classmethod
    def from_stored(cls, meta: dict) -> "RunConfig":
        """The configuration a run's sidecar (or any dict of fields) holds, its fields under their
        stored names (``STORED_NAMES``) or their own; other entries (key, csv, islands) ignored."""
        current = {old: new for new, old in STORED_NAMES.items()}
        names = {f.name for f in dataclasses.fields(cls)}
        fields = {current.get(k, k): v for k, v in meta.items()}
        return cls(**{k: v for k, v in fields.items() if k in names})

    def hashed_fields(self) -> dict:
        """The fields a run's key hashes (and its sidecar holds), under their stored names."""
        d = {STORED_NAMES.get(k, k): v for k, v in dataclasses.asdict(self).items()
             if k not in NOT_HASHED and v is not None}
        d["hidden"] = list(self.hidden)
        if self.hyper is not None:
            d["hyper"] = dict(self.hyper)
        return d

    def key(self) -> str:
        """12 hex digits of SHA-256 over all result-changing fields and the result format version."""
        return content_key(self.hashed_fields())

    def replace(self, **changes) -> "RunConfig":
        return dataclasses.replace(self, **changes)
