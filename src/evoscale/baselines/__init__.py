"""The gradient baselines the evolution strategies are measured against: PPO (Stable-Baselines3) on the
book's records (``ppo``), with rl-baselines3-zoo's hyper-parameters (``zoo``), and recurrent PPO
(sb3-contrib's LSTM policy, ``recurrent_ppo``) on PPO's loop. Nothing is imported at package import,
so ``import evoscale.baselines`` does not load torch or SB3."""

from __future__ import annotations


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
