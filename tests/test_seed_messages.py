"""Seed-only messages (issue 39 item 4): workers rebuild their members from (generator state, centre)."""

import json
from pathlib import Path

import numpy as np
import pytest

from evoscale.config import RunConfig
from evoscale.evaluation import TRAIN, LockstepEvaluator, episode_seeds
from evoscale.evaluation.messages import MessageWorker, Stale, payload_bytes, split, supports_seeds
from evoscale.train import resolve
from evoscale.trainers import make_trainer

LAYOUT = ((4, 8), (8, 2))  # CartPole's 4 -> 8 -> 2 MLP
N = sum(i * o + o for i, o in LAYOUT)
SEEDED = ("openai_es", "lowrank_es", "torch_cmaes")
RUNS = Path(__file__).resolve().parents[1] / "results" / "book" / "runs"


def _trainer(method, popsize=8):
    return make_trainer(method, N, popsize, 0.1, {"rank": 2} if method == "lowrank_es" else {}, layout=LAYOUT)


@pytest.mark.parametrize("method", SEEDED)
def test_rebuilt_rows_are_bitwise_the_asked_rows_and_the_stream_is_asks(method):
    t = _trainer(method)
    s, plain = t.init(3), t.init(3)
    for _ in range(30):  # torch CMA-ES decomposes C within these generations (its basis changes)
        pop, s, msg = t.ask_message(s)
        ref, plain = t.ask(plain)
        assert np.array_equal(np.asarray(pop), np.asarray(ref))  # ask_message draws what ask draws
        for rows in ([0, 2, 4, 6], [1, 3, 5, 7], [5], [7]):
            assert np.array_equal(np.asarray(t.rebuild(msg, np.array(rows))), np.asarray(pop)[rows])
        f = -np.sum(np.asarray(pop) ** 2, axis=1)
        s, plain = t.tell(s, pop, f), t.tell(plain, ref, f)
    if method == "torch_cmaes":
        assert s.eigen_eval > 0


def test_only_the_seeded_trainers_support_it_and_bad_input_is_one_line():
    assert all(supports_seeds(_trainer(m)) for m in SEEDED)
    assert not supports_seeds(make_trainer("cmaes", N, 8, 0.1))
    with pytest.raises(ValueError, match="messages must be"):
        RunConfig(env="CartPole-v1", backend="ray", messages="bytes")
    with pytest.raises(ValueError, match="Ray protocol"):
        RunConfig(env="CartPole-v1", method="openai_es", messages="seeds")
    with pytest.raises(ValueError, match="rebuilds its members"):
        resolve(RunConfig(env="CartPole-v1", method="cmaes", backend="ray", messages="seeds"))
    with pytest.raises(ValueError, match="must be a dict"):
        split([1, 2])


def test_a_worker_without_the_kept_data_answers_stale_then_rebuilds():
    t = _trainer("torch_cmaes")
    pop, _, msg = t.ask_message(t.init(0))
    shared, kept = split(msg)
    worker = MessageWorker(LockstepEvaluator("CartPole-v1", (8,)))
    seeds = episode_seeds(0, TRAIN, 0, 4, 1)
    assert worker.evaluate(shared, {"trainer": (1, None), "basis": (kept["basis"][0], None)}, [0, 2, 4, 6], seeds) \
        == Stale(("trainer", "basis"))
    got = worker.evaluate(shared, {"trainer": (1, t), "basis": kept["basis"]}, [0, 2, 4, 6], seeds)
    again = worker.evaluate(shared, {"trainer": (1, None), "basis": (kept["basis"][0], None)}, [0, 2, 4, 6], seeds)
    want = LockstepEvaluator("CartPole-v1", (8,)).evaluate(pop[[0, 2, 4, 6]], seeds)
    for r in (got, again):
        assert np.array_equal(r.returns, want.returns) and np.array_equal(r.lengths, want.lengths)


@pytest.mark.parametrize("method", SEEDED)
def test_stored_runs_keep_their_keys(method):
    """A stored run's configuration hashes to its stored key; seed-only messages are not hashed."""
    stored = sorted(RUNS.glob(f"{method}-*.json"))
    if not stored:
        pytest.skip(f"no stored {method} run in this checkout")
    d = json.loads(stored[0].read_text())
    config = RunConfig.from_stored(d)  # its fields under their stored names (eval_every, ...)
    assert config.key() == d["key"]
    ray = config.replace(backend="ray")
    assert ray.replace(messages="seeds").key() == ray.replace(messages="vectors").key() == ray.key()


def test_payload_bytes_counts_arrays_by_their_data():
    import torch

    assert payload_bytes(np.zeros((3, 5))) == 120
    assert payload_bytes(torch.zeros(10, dtype=torch.float32)) == 40
    assert payload_bytes({"a": np.zeros(2), "b": None}) == 16 + payload_bytes("a") + payload_bytes("b")


# ---------------------------------------------------------------- on Ray, 2 workers

ray = pytest.importorskip("ray")


@pytest.fixture(scope="module")
def ray_cluster():
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield
    ray.shutdown()


def _strip(records):
    timing = {"wall_s", "opt_s", "pop_eval_s", "test_wall_s", "cpu_s", "peak_mem_gib"}
    return [{k: (None if v != v else v) for k, v in r.items() if k not in timing} for r in records]


@pytest.mark.parametrize("method", SEEDED)
def test_training_with_seed_only_messages_on_ray_equals_in_process(ray_cluster, method):
    from evoscale.train import train

    config = RunConfig(env="CartPole-v1", method=method, hidden=(8,), popsize=8, budget_evals=48, test_every=24,
                       test_episodes=3, sigma0=0.1, hyper={"rank": 2} if method == "lowrank_es" else None)
    assert _strip(train(config.replace(backend="ray", workers=2, messages="seeds"))) == _strip(train(config))


def test_seed_only_evaluation_is_bitwise_in_process_and_ships_the_centre_once_per_worker(ray_cluster):
    import os
    import signal

    from evoscale.bench.messages import generation_bytes
    from evoscale.evaluation.ray import RayEvaluator

    P = 16
    t = make_trainer("openai_es", N, P, 0.1)
    state = t.init(0)
    seeds = episode_seeds(0, TRAIN, 0, P, 1)
    lock = LockstepEvaluator("CartPole-v1", (8,))
    pop, state, msg = t.ask_message(state)
    want = lock.evaluate(pop, seeds)

    def check(ev, m):
        before = dict(ev.traffic)
        got = ev.evaluate(pop, seeds, *(() if m is None else (m,)))
        assert np.array_equal(got.returns, want.returns) and np.array_equal(got.lengths, want.lengths)
        assert ev.traffic["received_bytes"] - before["received_bytes"] == 16 * P  # a return and a length each
        return ev.traffic["sent_bytes"] - before["sent_bytes"]

    with RayEvaluator("CartPole-v1", (8,), workers=2) as vec:
        with pytest.raises(ValueError, match="ships vectors"):
            vec.evaluate(pop, seeds, msg)
        assert not vec.seeded and check(vec, None) == P * N * 8 + 8 * P  # every member's vector, its seeds
    with RayEvaluator("CartPole-v1", (8,), workers=2, messages="seeds") as sed:
        with pytest.raises(ValueError, match="ships vectors"):
            sed.bind(make_trainer("cmaes", N, P, 0.1))
        sed.bind(t)
        first, second = check(sed, msg), check(sed, msg)
        assert first - second == 2 * payload_bytes(t)  # the trainer is shipped once per worker, then kept
        # then per worker: the centre (n floats), the generator's state, its row indices and seeds
        assert 2 * N * 8 < second < 2 * (N * 8 + 1_000)
        counted = generation_bytes(pop, seeds, msg, 2, t)  # bench messages' count is the evaluator's
        assert (counted["seeds"], counted["vectors"]) == (second + 16 * P, P * N * 8 + 8 * P + 16 * P)
        assert counted["first_generation_extra_bytes"] == first - second
        os.kill(sed.pids()[0], signal.SIGKILL)  # a restarted worker lost the trainer: it answers Stale, gets it again
        assert check(sed, msg) > second


def test_bench_messages_counts_bytes_and_refuses_bad_input():
    from evoscale.bench.messages import bench_messages

    out = bench_messages(sizes=[3_000], popsize=8, bytes_only=True, log=lambda *a: None)
    rows = {r["method"]: r for r in out["sizes"]}
    assert set(rows) == {"openai_es", "lowrank_es", "torch_cmaes"} and not out["timed"]
    for m in ("openai_es", "lowrank_es"):
        b = rows[m]["bytes_per_generation"]
        n = rows[m]["n_params"]
        assert b["vectors"] == 8 * n * 8 + 8 * 8 + 16 * 8  # P x n floats out, seeds out, replies back
        assert 2 * 8 * n < b["seeds"] < 2 * (8 * n + 1_000) + 16 * 8 + 16 * 8  # the centre once per worker
    for bad in (dict(sizes=[10]), dict(methods=["cmaes"]), dict(popsize=7), dict(rounds=0)):
        with pytest.raises(ValueError):
            bench_messages(**{"sizes": [3_000], "bytes_only": True, **bad})
