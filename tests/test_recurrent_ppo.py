import numpy as np
import pytest
import torch

from evoscale.config import RunConfig
from evoscale.envs import make_env
from evoscale.envs.adapt import BANDIT_ID, CARTPOLE_ID
from evoscale.evaluation import reset
from evoscale.baselines import train_gradient
from evoscale.baselines.ppo import RECORD_KEYS, SolvedTest, zoo_hyperparams
from evoscale.baselines.recurrent_ppo import LSTM_HYPERPARAMS, RecurrentPPO, SB3LstmPolicy
from evoscale.train import resolve, train

torch.set_num_threads(1)
TINY = {"n_envs": 2, "n_steps": 64, "batch_size": 64, "n_epochs": 1}


def test_recurrent_ppo_runs_through_the_loop_with_the_ppo_records():
    config = RunConfig(method="recurrent_ppo", env=BANDIT_ID, budget_steps=256, test_every=128, test_episodes=3,
                       hyper=TINY)
    records = train(config)
    assert all(set(r) == set(RECORD_KEYS) for r in records)
    assert records[-1]["method"] == "recurrent_ppo" and records[-1]["env_steps"] == 256
    assert [r["test_return"] == r["test_return"] for r in records] == [True, True]  # tested at 128 and 256
    assert all(np.isfinite(r["test_return_stochastic"]) for r in records)  # and with sampled actions
    assert records[0]["n_params"] > 30_000  # two 64-unit LSTMs (actor and critic) and their heads
    twin = train(config)
    assert [r["test_return"] for r in twin] == [r["test_return"] for r in records]
    with pytest.raises(ValueError, match="'recurrent_ppo' needs budget_steps"):
        resolve(RunConfig(method="recurrent_ppo", env=BANDIT_ID))


def test_the_lstm_table_is_the_zoo_cartpole_setting_with_an_lstm_policy():
    merged = zoo_hyperparams(CARTPOLE_ID, None, LSTM_HYPERPARAMS)
    assert merged["policy"] == "MlpLstmPolicy" and merged["n_epochs"] == 20 and merged["n_envs"] == 8
    with pytest.raises(ValueError, match="policy must be one of MlpLstmPolicy"):
        zoo_hyperparams(CARTPOLE_ID, {"policy": "MlpPolicy"}, LSTM_HYPERPARAMS)
    with pytest.raises(ValueError, match="policy must be one of MlpPolicy, CnnPolicy"):
        zoo_hyperparams(CARTPOLE_ID, {"policy": "MlpLstmPolicy"})


@pytest.mark.parametrize("env_id", [BANDIT_ID, CARTPOLE_ID])
def test_solved_test_carries_each_episodes_lstm_state_like_a_serial_loop(env_id):
    """All episodes in one batch (rows leave as episodes end) = one episode after another with
    ``predict(state, episode_start)``, the way sb3-contrib documents it."""
    model = RecurrentPPO("MlpLstmPolicy", make_env(env_id), seed=0, policy_kwargs={"lstm_hidden_size": 8})
    seeds = np.arange(5) + 100
    mean, std = SolvedTest(env_id, SB3LstmPolicy)(model, seeds)
    env, returns = make_env(env_id), []
    for seed in seeds:
        obs, state, start, total, done, t = reset(env, seed), None, np.ones(1, bool), 0.0, False, 0
        while not done and t < 500:
            action, state = model.predict(obs[None], state=state, episode_start=start, deterministic=True)
            obs, r, done, _, _ = env.step(action[0])
            total, start, t = total + r, np.zeros(1, bool), t + 1
        returns.append(total)
    assert mean == pytest.approx(np.mean(returns), abs=1e-9) and std == pytest.approx(np.std(returns), abs=1e-9)


def test_train_gradient_names_the_gradient_methods():
    with pytest.raises(ValueError, match="method must be 'ppo' or 'recurrent_ppo', got 'cmaes'"):
        train_gradient(RunConfig(method="cmaes", env=BANDIT_ID, hidden=(4,)))
