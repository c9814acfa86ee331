import numpy as np
import pytest
import torch

from evoscale.evaluation import LockstepEvaluator, SerialEvaluator, TRAIN, episode_seeds
from evoscale.policies import RecurrentPolicy, recurrent_layout
from evoscale.trainers import make_trainer
from policy_helpers import assert_batched_equals_single

BOX = dict(act_low=(-1.0, -2.0, 0.0), act_high=(1.0, 2.0, 3.0))


def _population(policy, P, rng, scale=0.5):
    return rng.normal(0, scale, (P, policy.n_params))


@pytest.mark.parametrize("cell,gates", [("gru", 3), ("elman", 1)])
def test_n_params_and_layout(cell, gates):
    policy = RecurrentPolicy(5, (7,), 3, True, cell=cell)
    assert policy.n_params == gates * 7 * (5 + 7 + 1) + 7 * 3 + 3
    slices = [s for s, _ in recurrent_layout(5, 7, 3, cell).values()]
    assert slices[0].start == 0 and slices[-1].stop == policy.n_params
    assert all(a.stop == b.start for a, b in zip(slices, slices[1:]))


@pytest.mark.parametrize("cell", ["gru", "elman"])
def test_one_individual_equals_torch_cells(cell):
    """The numpy step is torch.nn.GRUCell / RNNCell (tanh) with the hidden-side biases at zero."""
    rng = np.random.default_rng(0)
    policy = RecurrentPolicy(4, (6,), 2, True, cell=cell)
    theta = _population(policy, 1, rng)[0]
    get = {name: theta[s].reshape(shape) for name, (s, shape) in policy.layout.items()}
    ref = (torch.nn.GRUCell if cell == "gru" else torch.nn.RNNCell)(4, 6).double()
    with torch.no_grad():
        ref.weight_ih.copy_(torch.from_numpy(get["Wx"].T))
        ref.weight_hh.copy_(torch.from_numpy(get["Wh"].T))
        ref.bias_ih.copy_(torch.from_numpy(get["b"]))
        ref.bias_hh.zero_()
    state, h = policy.unflatten(theta[None]), torch.zeros(1, 6, dtype=torch.float64)
    for _ in range(30):
        obs = rng.normal(size=(1, 4))
        action = policy.forward(state, obs)
        with torch.no_grad():
            h = ref(torch.from_numpy(obs), h)
        np.testing.assert_allclose(state.h, h.numpy(), rtol=1e-12, atol=1e-14)
        assert action[0] == int(np.argmax(h.numpy()[0] @ get["Wo"] + get["bo"]))


@pytest.mark.parametrize("cell", ["gru", "elman"])
@pytest.mark.parametrize("discrete", [True, False])
def test_batched_equals_one_individual_at_a_time(cell, discrete):
    rng = np.random.default_rng(1)
    policy = RecurrentPolicy(5, (8,), 3, discrete, cell=cell, **({} if discrete else BOX))
    batch, singles = assert_batched_equals_single(policy, _population(policy, 7, rng), rng)
    np.testing.assert_allclose(batch.h, np.concatenate([s.h for s in singles]), rtol=1e-12)


def test_take_copies_rows_and_put_restores_a_fresh_episode():
    rng = np.random.default_rng(2)
    policy = RecurrentPolicy(3, (4,), 2, True)
    fresh = policy.unflatten(_population(policy, 3, rng))
    rows = policy.take(fresh, np.array([1, 1, 2]))
    policy.forward(rows, rng.normal(size=(3, 3)))
    assert not np.array_equal(rows.h[0], 0) and np.array_equal(fresh.h, np.zeros((3, 4)))  # fresh untouched
    policy.put(rows, [0], fresh, np.array([1]))
    assert np.array_equal(rows.h[0], np.zeros(4)) and not np.array_equal(rows.h[1], 0)  # row 1 kept its own state


@pytest.mark.parametrize("width", [None, 1, 3])
def test_lockstep_equals_serial_with_a_fresh_hidden_state_per_episode(width):
    ser = SerialEvaluator("CartPole-v1", (6,), policy="recurrent")
    lock = LockstepEvaluator("CartPole-v1", (6,), policy="recurrent", width=width)
    pop = _population(ser.policy, 5, np.random.default_rng(3), scale=0.3)
    seeds = episode_seeds(4, TRAIN, 0, 5, 3)
    a, b = ser.evaluate(pop, seeds), lock.evaluate(pop, seeds)
    assert np.array_equal(a.returns, b.returns) and np.array_equal(a.lengths, b.lengths)


@pytest.mark.parametrize("kw,match", [
    (dict(hidden=(4, 4)), "hidden must be one width"), (dict(hidden=()), "hidden"),
    (dict(cell="lstm"), "cell must be one of gru, elman"), (dict(device="cuda"), "device must be 'cpu'"),
])
def test_bad_arguments_name_the_parameter(kw, match):
    args = {"obs_dim": 3, "hidden": (4,), "act_dim": 2, "discrete": True, **kw}
    with pytest.raises(ValueError, match=match):
        RecurrentPolicy(**args)
    with pytest.raises(ValueError, match="expected 71 parameters per individual, got 70"):
        RecurrentPolicy(3, (3,), 2, True).unflatten(np.zeros((1, 70)))


def test_trainer_checks_cell_and_optimizer():
    with pytest.raises(ValueError, match="cell"):
        make_trainer("recurrent", 10, 8, 0.5, {"cell": "lstm"})
    with pytest.raises(ValueError, match="optimizer must be one of"):
        make_trainer("recurrent", 10, 8, 0.5, {"optimizer": "neuromod"})
    assert make_trainer("recurrent", 10, 8, 0.5, {"optimizer": "torch_cmaes", "cell": "elman"}).popsize == 8
