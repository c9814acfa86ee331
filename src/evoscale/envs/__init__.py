"""The book's tasks: the registry (``registry``: one ``EnvSpec`` per task, ``make_env``) and Atari's
seeded, preprocessed environments (``atari``, imported only when an Atari task is made)."""

from .registry import RAM_SUFFIX, REGISTRY, EnvSpec, get_spec, make_env, make_wrapped_env, register_extras

__all__ = ["RAM_SUFFIX", "REGISTRY", "EnvSpec", "get_spec", "make_env", "make_wrapped_env", "register_extras"]
