"""The gradient baselines the evolution strategies are measured against: PPO (Stable-Baselines3) on the
book's records (``ppo``), with rl-baselines3-zoo's hyper-parameters (``zoo``), and recurrent PPO
(sb3-contrib's LSTM policy, ``recurrent_ppo``) on PPO's loop. Nothing is imported at package import,
so ``import evoscale.baselines`` does not load torch or SB3."""

from __future__ import annotations

import functools


def train_gradient(config, checkpoint: str | None = None) -> list[dict]:
    """Train the gradient baseline ``config.method`` names (``trainers.GRADIENT_METHODS``: ``ppo`` or
    ``recurrent_ppo``); the same records either way."""
    if config.method == "recurrent_ppo":
        from .recurrent_ppo import train_recurrent_ppo as train
    elif config.method == "ppo":
        from .ppo import train_ppo as train
    else:
        raise ValueError(f"method must be 'ppo' or 'recurrent_ppo', got {config.method!r}")
    return train(config, checkpoint)


def policy_size(config) -> int:
    """Parameters of the network ``config``'s gradient baseline trains (actor and critic; what its
    records' ``n_params`` say), built on one environment, nothing trained; cached per (method, env,
    hyper-parameters)."""
    if config.method not in ("ppo", "recurrent_ppo"):
        raise ValueError(f"method must be 'ppo' or 'recurrent_ppo', got {config.method!r}")
    return _policy_size(config.method, config.env, config.hyper)  # RunConfig's hyper: sorted, hashable items


@functools.lru_cache(maxsize=None)
def _policy_size(method: str, env_id: str, hyper: tuple | None) -> int:
    if method == "recurrent_ppo":
        from .recurrent_ppo import ALGORITHM
    else:
        from .ppo import PPO_ALGORITHM as ALGORITHM
    from .ppo import policy_size as size

    return size(env_id, dict(hyper or ()), ALGORITHM)  # as train_ppo reads config.hyper
