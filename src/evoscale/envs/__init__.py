"""The book's tasks: the registry (``registry``: one ``EnvSpec`` per task, ``make_env``), Atari's
seeded, preprocessed environments (``atari``, imported only when an Atari task is made) and chapter 7's
tasks with a hidden per-episode context (``adapt``, imported when one of them is made)."""

from .registry import RAM_SUFFIX, REGISTRY, EnvSpec, get_spec, make_env, make_wrapped_env, register_extras

__all__ = ["RAM_SUFFIX", "REGISTRY", "EnvSpec", "get_spec", "make_env", "make_wrapped_env", "register_extras"]
