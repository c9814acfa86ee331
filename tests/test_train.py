import math
import sys

import pytest

from evoscale.config import RunConfig
from evoscale.train import resolve, train
from evoscale.trainers import REGISTRY, make_trainer

TIMING = {"wall_s", "opt_s", "pop_eval_s", "test_wall_s", "cpu_s", "peak_mem_gib"}


def strip(records):
    """Records without the timing columns, NaN made comparable."""
    return [{k: (None if v != v else v) for k, v in r.items() if k not in TIMING} for r in records]


SMALL = dict(env="CartPole-v1", hidden=(8,), popsize=16, budget_evals=480, test_every=160, test_episodes=10)


def test_cmaes_solves_cartpole_in_a_small_budget():
    records = train(RunConfig(method="cmaes", **SMALL))
    final = records[-1]
    assert final["test_return"] >= 475  # mean over 10 fresh episodes of the distribution mean
    assert final["evals"] == 480 and final["env_steps"] > 480


@pytest.mark.parametrize("method", sorted(REGISTRY))
def test_twin_runs_are_identical_apart_from_time(method):
    a, b = (train(RunConfig(method=method, seed=5, **SMALL)) for _ in range(2))
    c = train(RunConfig(method=method, seed=6, **SMALL))
    assert strip(a) == strip(b)
    assert strip(a) != strip(c)


def test_records_have_the_documented_columns_and_eval_checkpoints():
    records = train(RunConfig(**SMALL))
    assert len(records) == 30
    cols = {"method", "env", "n_params", "seed", "generation", "evals", "env_steps", "wall_s",
            "best_return", "mean_return", "median_return", "test_return", "machine"}
    assert cols <= set(records[0])
    evaluated = [r["evals"] for r in records if not math.isnan(r["test_return"])]
    assert evaluated == [160, 320, 480]
    assert all(r2["evals"] > r1["evals"] for r1, r2 in zip(records, records[1:]))


@pytest.mark.parametrize("bad,match", [
    (dict(env="Lunar"), "unknown env"), (dict(method="ppo2"), "unknown method"),
    (dict(popsize=0), "popsize"), (dict(budget_evals=-5), "budget_evals"),
    (dict(budget_evals=10), "smaller than one generation"), (dict(sigma0=0.0), "sigma0"),
    (dict(hidden="64,x"), "hidden"), (dict(device="tpu"), "device"),
])
def test_bad_config_names_the_parameter(bad, match):
    with pytest.raises(ValueError, match=match):
        resolve(RunConfig(**bad))  # the field checks raise in RunConfig, the registries' in resolve


def test_config_key_changes_with_results_not_with_display():
    base = RunConfig()
    assert base.key() == RunConfig().key()
    assert base.key() != RunConfig(seed=1).key()
    assert base.key() != RunConfig(hidden=(64,)).key()
    assert base.key() == RunConfig(progress=True).key()


def test_hyper_parameters_are_checked_and_hashed():
    with pytest.raises(ValueError, match="unknown hyper-parameter.*'lr' for cmaes"):
        resolve(RunConfig(hyper={"lr": 0.1}))
    assert RunConfig(hyper={}).key() == RunConfig().key()  # empty = defaults


class Crash(Exception):
    pass


def test_the_checkpoint_clock_waits_its_seconds_and_caps_the_time_spent_saving(monkeypatch):
    from evoscale import train as train_module

    now = [0.0]
    monkeypatch.setattr(train_module.time, "perf_counter", lambda: now[0])
    clock = train_module.CheckpointClock(seconds=180)
    now[0] = 179.0
    assert not clock.due()
    now[0] = 180.0
    assert clock.due()
    clock.saved(started=180.0)
    assert not clock.due()
    now[0] = 190.0  # a save of 10 s: at most 2 % of the time in saves, so the next after 500 s
    clock.saved(started=180.0)
    now[0] = 689.0
    assert not clock.due()
    now[0] = 690.0
    assert clock.due()


def test_a_run_saved_by_the_clock_saves_when_due_and_at_the_end(tmp_path, monkeypatch):
    from evoscale import train as train_module

    saves, real_save = [], train_module._save
    monkeypatch.setattr(train_module, "_save", lambda path, config, p, state: (saves.append(p.generation),
                                                                             real_save(path, config, p, state)))
    config = RunConfig(method="openai_es", seed=2, **SMALL)  # 30 generations
    plain = train(config)
    assert strip(train(config, checkpoint=tmp_path / "a.ckpt", checkpoint_seconds=1e9)) == strip(plain)
    assert saves == [30]  # never due: only the last generation's save
    saves.clear()
    train(config, checkpoint=tmp_path / "b.ckpt", checkpoint_seconds=0.0)
    assert saves[-1] == 30 and len(saves) > 1  # due from the start: saved along the way as well


@pytest.mark.parametrize("method,hyper", [(m, None) for m in sorted(REGISTRY)] + [("torch_cmaes", {"active": True})])
def test_checkpoint_resume_equals_uninterrupted(tmp_path, method, hyper):
    import numpy as np

    config = RunConfig(method=method, seed=2, hyper=hyper, **SMALL)  # 30 generations
    straight = train(config, checkpoint=tmp_path / "straight.ckpt")

    def crash_at_12(rec):
        if rec["generation"] == 11:
            raise Crash

    ckpt = tmp_path / "run.ckpt"
    with pytest.raises(Crash):
        train(config, callback=crash_at_12, checkpoint=ckpt, checkpoint_every=4)  # last save: 12 gens
    resumed = train(config, checkpoint=ckpt, checkpoint_every=4)
    assert strip(resumed) == strip(straight)
    cpu = [r["cpu_s"] for r in resumed]  # the run's CPU time carries over the resume
    assert cpu[0] > 0 and all(b >= a for a, b in zip(cpu, cpu[1:]))
    import pickle

    saved = pickle.loads(ckpt.read_bytes())
    reference = pickle.loads((tmp_path / "straight.ckpt").read_bytes())
    assert saved["progress"].generation == reference["progress"].generation == 30
    trainer = make_trainer(method, straight[0]["n_params"], config.popsize, config.sigma0)
    assert np.array_equal(trainer.solution(saved["state"]), trainer.solution(reference["state"]))
    if method in ("cmaes", "sepcmaes"):  # the whole distribution, not only its mean
        a, b = saved["state"].es, reference["state"].es
        assert a.countiter == 30 and a.sigma == b.sigma and np.array_equal(a.C, b.C)
    from evoscale.train import FinishedRunError

    with pytest.raises(FinishedRunError, match="already holds the finished run"):
        train(config, checkpoint=ckpt)
    with pytest.raises(ValueError, match="another configuration"):
        train(config.replace(seed=3), checkpoint=ckpt)


def test_target_return_stops_the_run_when_solved(tmp_path):
    full = train(RunConfig(**SMALL))
    stopped = train(RunConfig(**SMALL, target_return=475.0), checkpoint=tmp_path / "c")
    first = next(r for r in full if r["test_return"] >= 475)
    assert stopped[-1]["generation"] == first["generation"] < full[-1]["generation"]
    from evoscale.train import FinishedRunError

    with pytest.raises(FinishedRunError):
        train(RunConfig(**SMALL, target_return=475.0), checkpoint=tmp_path / "c")


def test_step_budget_stops_the_es_and_tests_the_last_generation():
    records = train(RunConfig(**{**SMALL, "budget_steps": 2_000}))
    assert records[-1]["env_steps"] >= 2_000 > records[-2]["env_steps"]
    assert records[-1]["test_return"] == records[-1]["test_return"]  # not NaN


def test_ppo_runs_through_the_same_loop_and_records():
    config = RunConfig(method="ppo", env="CartPole-v1", budget_steps=512, test_every=256, test_episodes=3,
                       hyper={"n_envs": 2, "n_steps": 64, "batch_size": 64, "n_epochs": 1})
    records = train(config)
    assert records[-1]["env_steps"] >= 512 and records[-1]["method"] == "ppo"
    # the ES records' columns, plus PPO's sampled-action solved test
    assert set(records[0]) == set(train(RunConfig(**SMALL))[0]) | {"test_return_stochastic", "test_std_stochastic"}
    with pytest.raises(ValueError, match="needs budget_steps"):
        resolve(RunConfig(method="ppo"))


@pytest.mark.parametrize("method", ["cmaes", "torch_cmaes"])
def test_a_covariance_checkpoint_is_compact_and_resumes_bit_for_bit(method):
    """A full CMA-ES checkpoint stores the covariance as its triangle plus the exact bitwise rest."""
    import pickle

    import numpy as np

    from evoscale.compact import dumps_compact

    trainer = make_trainer(method, 300, 16, 0.5)
    state = trainer.init(0)
    for _ in range(5):
        population, state = trainer.ask(state)
        state = trainer.tell(state, population, -np.sum(population**2, axis=1))
    plain, compact = pickle.dumps(state), dumps_compact(state)
    assert len(compact) < 0.8 * len(plain)
    a, b = pickle.loads(plain), pickle.loads(compact)
    for _ in range(3):
        (pa, a), (pb, b) = trainer.ask(a), trainer.ask(b)
        assert np.array_equal(pa, pb)
        a, b = trainer.tell(a, pa, -np.sum(pa**2, axis=1)), trainer.tell(b, pb, -np.sum(pb**2, axis=1))
    assert np.array_equal(trainer.solution(a), trainer.solution(b))


def test_checkpoints_pickled_before_the_compact_module_still_load(tmp_path):
    """Checkpoints written while the compact pickles lived in ``store`` name ``evoscale.store._unpack_square``:
    such a pickle (made here by pickling the function under its old module name) reads back exactly."""
    import numpy as np

    from evoscale import compact

    a = np.arange(64 * 64, dtype=np.float64).reshape(64, 64)
    a = a + a.T
    compact._unpack_square.__module__ = "evoscale.store"  # where pickle finds it, as the old checkpoints say
    try:
        blob = compact.dumps_compact({"C": a})
    finally:
        compact._unpack_square.__module__ = "evoscale.compact"
    assert b"evoscale.store" in blob and b"evoscale.compact" not in blob
    (tmp_path / "old.pkl").write_bytes(blob)
    assert np.array_equal(compact.load_pickle(tmp_path / "old.pkl")["C"], a)


KILLED_DURING_CHECKPOINT = """
import os, signal, sys
import evoscale.store as store
from evoscale.config import RunConfig
from evoscale.train import resolve, train

store.os.replace = lambda *a: os.kill(os.getpid(), signal.SIGKILL)  # killed before the rename
train(RunConfig(method="cmaes", env="CartPole-v1", hidden=(8,), popsize=16, budget_evals=480, test_episodes=2),
      checkpoint=sys.argv[1], checkpoint_every=1)
"""


def test_a_checkpoint_write_killed_midway_leaves_no_temporary_file_after_the_next_start(tmp_path):
    import os
    import subprocess
    import sys

    from evoscale import store

    ckpt = tmp_path / "run.ckpt"
    r = subprocess.run([sys.executable, "-c", KILLED_DURING_CHECKPOINT, str(ckpt)], timeout=300)
    assert r.returncode == -9
    (tmp,) = tmp_path.glob(".run.ckpt.*.tmp")
    os.utime(tmp, (store.STARTED - 10, store.STARTED - 10))  # written before this process started
    config = RunConfig(method="cmaes", env="CartPole-v1", hidden=(8,), popsize=16, budget_evals=32, test_episodes=2)
    train(config, checkpoint=ckpt)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run.ckpt"]


@pytest.mark.parametrize("changes", [dict(popsize=10**8), dict(hidden=(100_000, 100_000))])
def test_a_run_that_cannot_fit_in_memory_is_refused_before_allocating(changes, monkeypatch):
    from evoscale import machine

    monkeypatch.setattr(machine, "available_bytes", lambda: 16 * 2**30)
    config = RunConfig(env="CartPole-v1", hidden=(4,), popsize=8, budget_evals=10**12).replace(**changes)
    with pytest.raises(ValueError, match=r"needs at least [\d,.]+ GiB at its peak, more than the 16.0 GiB available"):
        train(config)


def test_a_config_is_plain_data_and_resolve_asks_the_registries():
    from evoscale.train import build

    odd = RunConfig(method="nope", env="Nope-v0")  # its fields are fine: RunConfig asks no registry
    with pytest.raises(ValueError, match="unknown env 'Nope-v0'"):
        resolve(odd)
    with pytest.raises(ValueError, match="unknown method 'nope'"):
        resolve(odd.replace(env="CartPole-v1"))
    config = RunConfig(method="neuromod", **SMALL)
    r = resolve(config)
    assert (r.config, r.policy, r.trainer) == (config, "neuromod", REGISTRY["neuromod"]) and r.spec.obs_dim == 4
    assert resolve(RunConfig(method="ppo", budget_steps=512)).trainer is None
    evaluator, trainer, n = build(config)  # the evaluator evaluates the policy resolve named
    assert type(evaluator.policy).__name__ == "NeuromodPolicy" and n == evaluator.policy.n_params


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the peak is read from /proc (Linux)")
def test_each_record_carries_the_runs_own_peak_memory():
    # the process's peak is reset when a run starts: a 3 GiB array freed before the run does not count,
    # as it would in a campaign worker whose earlier run held it
    import numpy as np

    big = np.ones(3 * 2**30 // 8)
    del big
    records = train(RunConfig(**SMALL))
    peaks = [r["peak_mem_gib"] for r in records]
    assert all(0 < p < 3 for p in peaks)
    assert peaks == sorted(peaks)  # a peak so far never falls
