"""Recurrent PPO (sb3-contrib's ``RecurrentPPO``, an LSTM policy): the RL^2 baseline of chapter 7.

An LSTM trained by backprop across episodes whose hidden state carries what it has seen *within* an
episode is the gradient counterpart of the evolved plastic and recurrent networks (Duan et al. 2016;
Wang et al. 2016). ``RunConfig(method="recurrent_ppo", budget_steps=...)`` runs it through PPO's loop
(``baselines.ppo.train_ppo`` with ``ALGORITHM``) and produces the same records as PPO, both solved
tests included.

Hyper-parameters (``LSTM_HYPERPARAMS``): rl-baselines3-zoo's ``hyperparams/ppo_lstm.yml`` entry
``CartPoleNoVel-v1`` (CartPole without velocities, its small memory task), which is the zoo's PPO
``CartPole-v1`` setting with ``policy: MlpLstmPolicy`` -- used for both adaptation tasks, as plain PPO
uses the zoo's CartPole-v1 setting there (``baselines.zoo``) -- with one change: LSTMs of 64 units
(``lstm_hidden_size``; sb3-contrib's default, which the zoo entry keeps, is 256), one for the actor
and one for the critic, then sb3-contrib's 64-64 tanh heads. Measured on the 2-core development
machine (one thread, CPU time per env step, 8,192 steps): 4.7 ms with 256 units and 2.1 ms with 64
on the bandit (3.4 ms on CartPoleFlip); PPO 0.6 ms. The sequence loop of the update dominates, not
the LSTM's width: 64 units cost less than half of 256 and keep ample memory for either task.

``SB3LstmPolicy`` puts a trained model behind the evaluator's policy interface for the solved tests:
one LSTM state per batch row, zero at the episode start, carried from step to step.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sb3_contrib import RecurrentPPO

from .ppo import Algorithm, SB3Policy, train_ppo
from .zoo import ZOO_HYPERPARAMS

LSTM_HYPERPARAMS: dict[str, dict] = {
    env: {**ZOO_HYPERPARAMS["CartPole-v1"], "policy": "MlpLstmPolicy", "policy_kwargs": {"lstm_hidden_size": 64}}
    for env in ("ReversalBandit-v0", "CartPoleFlip-v1")
}
"""The zoo's ppo_lstm ``CartPoleNoVel-v1`` entry (see the module docstring) per adaptation task."""


@dataclass
class LstmRows:
    """LSTM state of a batch of rows: hidden and cell state ``[layers, rows, units]``, episode starts."""

    h: np.ndarray
    c: np.ndarray
    start: np.ndarray


class SB3LstmPolicy(SB3Policy):
    """A trained RecurrentPPO model behind the evaluator's interface (deterministic or sampled actions)."""

    def unflatten(self, population: np.ndarray) -> LstmRows:
        layers, _, units = self.model.policy.lstm_hidden_state_shape
        zeros = np.zeros((layers, len(population), units), np.float32)
        return LstmRows(zeros, zeros.copy(), np.ones(len(population), dtype=bool))

    @staticmethod
    def take(rows: LstmRows, idx: np.ndarray) -> LstmRows:
        return LstmRows(rows.h[:, idx], rows.c[:, idx], rows.start[idx])

    def forward(self, rows: LstmRows, obs: np.ndarray) -> np.ndarray:
        actions, (rows.h, rows.c) = self.model.predict(self.observe(obs), state=(rows.h, rows.c),
                                                       episode_start=rows.start, deterministic=self.deterministic)
        rows.start[:] = False
        return actions


ALGORITHM = Algorithm("recurrent_ppo", RecurrentPPO, LSTM_HYPERPARAMS, SB3LstmPolicy)


def train_recurrent_ppo(config, checkpoint: str | None = None) -> list[dict]:
    """``baselines.ppo.train_ppo`` for ``config.method == "recurrent_ppo"`` (see the module docstring)."""
    return train_ppo(config, checkpoint, ALGORITHM)
