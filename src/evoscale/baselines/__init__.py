"""The gradient baseline the evolution strategies are measured against: PPO (Stable-Baselines3) on the
book's records (``ppo``), with rl-baselines3-zoo's hyper-parameters (``zoo``). Nothing is imported
here, so ``import evoscale.baselines`` does not load torch or SB3."""
