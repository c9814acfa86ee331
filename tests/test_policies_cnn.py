import dataclasses

import numpy as np
import pytest

from evoscale import envs
from evoscale.config import RunConfig
from evoscale.evaluation import TRAIN, LockstepEvaluator, SerialEvaluator, episode_seeds, make_evaluator
from evoscale.policies.cnn import CNNPolicy


def _capped(monkeypatch, env_id, steps):
    """Cap the task's episodes (the evaluator reads the registry) so a test stays fast."""
    monkeypatch.setitem(envs.REGISTRY, env_id, dataclasses.replace(envs.REGISTRY[env_id], max_steps=steps))


def test_cnn_param_count_and_layout():
    pol = CNNPolicy((4, 84, 84), (), 6)
    assert pol.n_params == (4 * 64 * 8 + 8) + (8 * 16 * 16 + 16) + (16 * 9 * 9 * 6 + 6)
    assert CNNPolicy((4, 84, 84), (32,), 6).n_params == pol.n_params - (1296 * 6 + 6) + (1296 * 32 + 32) + (32 * 6 + 6)
    with pytest.raises(ValueError, match="parameters per individual"):
        pol.unflatten(np.zeros((2, 5)))
    with pytest.raises(ValueError, match="obs_shape"):
        CNNPolicy((84, 84), (), 6)


def test_cnn_forward_is_per_individual_and_the_torch_path_agrees():
    torch = pytest.importorskip("torch")
    pol = CNNPolicy((4, 84, 84), (8,), 6)
    rng = np.random.default_rng(0)
    params, obs = rng.normal(0, 0.1, (5, pol.n_params)), rng.integers(0, 256, (5, 4, 84, 84), dtype=np.uint8)
    layers = pol.unflatten(params)
    batched = pol._forward_numpy(layers, obs)
    one_by_one = np.concatenate([pol._forward_numpy(pol.unflatten(params[i : i + 1]), obs[i : i + 1]) for i in range(5)])
    assert np.array_equal(batched, one_by_one)  # batch-invariant: serial == lockstep
    assert np.array_equal(pol._forward_numpy(pol.take(layers, np.array([3, 1])), obs[[3, 1]]), batched[[3, 1]])
    as_torch = [(torch.as_tensor(W), torch.as_tensor(b)) for W, b in layers]  # the cuda code path, on the CPU
    assert np.allclose(pol._forward_torch(as_torch, obs), batched, atol=1e-4)


@pytest.mark.parametrize("env_id", ["ALE/Pong-v5", "ALE/Pong-ram-v5", "Humanoid-v5"])
def test_lockstep_equals_serial_and_is_deterministic(monkeypatch, env_id):
    _capped(monkeypatch, env_id, 40)
    hidden = envs.REGISTRY[env_id].default_hidden
    lock, ser = LockstepEvaluator(env_id, hidden), SerialEvaluator(env_id, hidden)
    pop = np.random.default_rng(0).normal(0, 0.3, (3, lock.policy.n_params))
    seeds = episode_seeds(0, TRAIN, 0, 3, 2)
    a, b = lock.evaluate(pop, seeds), ser.evaluate(pop, seeds)
    assert np.array_equal(a.returns, b.returns) and np.array_equal(a.lengths, b.lengths)
    again = make_evaluator(RunConfig(env=env_id, hidden=hidden)).evaluate(pop, seeds)
    assert np.array_equal(a.returns, again.returns)


def test_registry_picks_the_cnn_for_pixels_and_rejects_plastic_nets():
    assert isinstance(LockstepEvaluator("ALE/Pong-v5", ()).policy, CNNPolicy)
    assert not isinstance(LockstepEvaluator("ALE/Pong-ram-v5", (32,)).policy, CNNPolicy)
    with pytest.raises(ValueError, match="cannot read pixels"):
        LockstepEvaluator("ALE/Pong-v5", (), policy="neuromod")


@pytest.mark.parametrize("env_id,method", [("ALE/Pong-v5", "openai_es"), ("ALE/Pong-v5", "ga"),
                                           ("ALE/Pong-ram-v5", "openai_es"), ("Humanoid-v5", "openai_es")])
def test_train_smoke_per_task(monkeypatch, env_id, method):
    from evoscale.train import train

    _capped(monkeypatch, env_id, 30)
    spec = envs.REGISTRY[env_id]
    config = RunConfig(method=method, env=env_id, hidden=spec.default_hidden, popsize=4, sigma0=0.05,
                       budget_evals=8, test_every=4, test_episodes=2, seed=0)
    records = train(config)
    assert len(records) == 2 and records[-1]["evals"] == 8
    assert np.isfinite(records[-1]["test_return"]) and records[-1]["n_params"] > 0


def test_cnn_on_the_gpu_matches_the_cpu():
    torch = pytest.importorskip("torch")
    if not torch.cuda.is_available():
        pytest.skip("needs a CUDA GPU (run on the GPU machine)")
    cpu, gpu = CNNPolicy((4, 84, 84), (8,), 6), CNNPolicy((4, 84, 84), (8,), 6, device="cuda")
    rng = np.random.default_rng(1)
    params, obs = rng.normal(0, 0.1, (4, cpu.n_params)), rng.integers(0, 256, (4, 4, 84, 84), dtype=np.uint8)
    assert np.allclose(gpu._forward_torch(gpu.unflatten(params), obs), cpu._forward_numpy(cpu.unflatten(params), obs),
                       atol=1e-3)


def test_cnn_narrow_lockstep_equals_serial(monkeypatch):
    _capped(monkeypatch, "ALE/Pong-v5", 30)
    ser = SerialEvaluator("ALE/Pong-v5", ())
    pop = np.random.default_rng(1).normal(0, 0.3, (3, ser.policy.n_params))
    seeds = episode_seeds(0, TRAIN, 0, 3, 2)
    ref = ser.evaluate(pop, seeds)
    for w in (1, 4):
        got = LockstepEvaluator("ALE/Pong-v5", (), width=w).evaluate(pop, seeds)
        assert np.array_equal(got.returns, ref.returns) and np.array_equal(got.lengths, ref.lengths)


def test_im2col_matches_the_window_view():
    from numpy.lib.stride_tricks import sliding_window_view

    from evoscale.policies.cnn import conv_shapes, im2col

    rng = np.random.default_rng(0)
    for dtype in (np.uint8, np.float32):
        x = (rng.random((3, 4, 84, 84)) * 255).astype(dtype)
        for ci, _, k, s, side in conv_shapes((4, 84, 84))[:1]:
            win = sliding_window_view(x.transpose(0, 2, 3, 1), (k, k), axis=(1, 2))[:, ::s, ::s]
            assert np.array_equal(im2col(x, k, s, side), win.reshape(3, side * side, ci * k * k))
