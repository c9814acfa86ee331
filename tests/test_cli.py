import json
import subprocess
import sys

import pytest


def evoscale(*args):
    return subprocess.run([sys.executable, "-m", "evoscale", *args], capture_output=True, text=True, timeout=300)


def test_train_prints_a_json_summary_last(tmp_path):
    out = tmp_path / "rec.csv"
    r = evoscale("train", "--method", "cmaes", "--env", "CartPole-v1", "--hidden", "8", "--popsize", "8",
                 "--budget-evals", "32", "--test-episodes", "3", "--seed", "0", "--out", str(out),
                 "--no-progress")
    assert r.returncode == 0, r.stderr
    summary = json.loads(r.stdout.strip().splitlines()[-1])
    assert {"best_return", "test_return", "evals", "env_steps", "wall_s"} <= set(summary)
    assert summary["evals"] == 32 and out.exists()


@pytest.mark.parametrize("args,needle", [
    (["train", "--env", "Nope-v0"], "unknown env 'Nope-v0'"),
    (["train", "--method", "sgd"], "unknown method 'sgd'"),
    (["train", "--budget-evals", "0"], "budget_evals must be a positive integer"),
    (["train", "--popsize", "-3"], "popsize must be a positive integer"),
    (["train", "--hidden", "64,,x"], "hidden must be comma-separated"),
    (["train", "--budget-evals", "10"], "smaller than one generation"),
    (["train", "--popsize", "many"], "invalid int value"),
    (["bench", "evaluator", "--env", "Pong"], "unknown env 'Pong'"),
    (["fly"], "invalid choice"),
])
def test_bad_input_exits_2_with_one_clear_line(args, needle):
    r = evoscale(*args)
    assert r.returncode == 2
    assert needle in r.stderr
    assert "Traceback" not in r.stderr and len(r.stderr.strip().splitlines()) == 1


def test_help_works():
    r = evoscale("train", "--help")
    assert r.returncode == 0 and "--budget-evals" in r.stdout


def test_resume_via_cli(tmp_path):
    ckpt = tmp_path / "c.pkl"
    common = ["train", "--env", "CartPole-v1", "--hidden", "4", "--popsize", "8", "--test-episodes", "2",
              "--no-progress", "--checkpoint", str(ckpt)]
    assert evoscale(*common, "--budget-evals", "32").returncode == 0
    again = evoscale(*common, "--budget-evals", "32")
    assert again.returncode == 2 and "pass --resume" in again.stderr
    whole = tmp_path / "whole.csv"
    assert evoscale(*common[:-2], "--budget-evals", "32", "--out", str(whole)).returncode == 0
    out = tmp_path / "from-checkpoint.csv"  # a finished checkpoint still gives its --out
    finished = evoscale(*common, "--budget-evals", "32", "--resume", "--out", str(out))
    assert finished.returncode == 0 and "already holds the finished run" in finished.stderr, finished.stderr
    same = evoscale("runs", "same", str(out), str(whole))
    assert same.returncode == 0 and same.stdout.startswith("same"), same.stdout + same.stderr
    missing = evoscale("train", "--resume", "--checkpoint", str(tmp_path / "nope"))
    assert missing.returncode == 2 and "needs an existing --checkpoint" in missing.stderr


def test_bench_methods_prints_strict_json():
    r = evoscale("bench", "methods", "--seeds", "1", "--budget-evals", "32", "--methods", "cmaes,ga",
                 "--processes", "1")
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout.strip().splitlines()[-1])  # strict: NaN would not parse as null
    assert set(out["methods"]) == {"cmaes", "ga"}
    assert "NaN" not in r.stdout


def test_replay_rate_replays_the_populations_own_episodes():
    """The replay baseline (``bench evaluator``'s "replay" column) records each individual's episode,
    its seed and the actions its network chose, and steps a plain gymnasium.make env through them:
    that retraces the episodes the evaluator runs, individual by individual, to the same length and
    return (its rate: tests/test_bench_evaluator.py)."""
    import numpy as np

    from evoscale.bench.evaluator import record_episodes
    from evoscale.config import RunConfig
    from evoscale.envs import make_wrapped_env
    from evoscale.evaluation import TRAIN, episode_seeds, make_evaluator

    ev = make_evaluator(RunConfig(env="CartPole-v1", hidden=(4,), backend="serial"))
    population = np.random.default_rng(1).normal(0, 1.0, (16, ev.policy.n_params))
    episodes = record_episodes("CartPole-v1", ev.policy, population)
    seeds = episode_seeds(0, TRAIN, 0, len(population), 1)  # the seeds the replay uses
    own = ev.evaluate(population, seeds)
    assert [seed for seed, _ in episodes] == seeds[:, 0].tolist()
    assert [len(actions) for _, actions in episodes] == own.lengths[:, 0].tolist()
    assert own.lengths.min() < 20 and own.lengths.max() == 500  # poles that fall early, one the time limit ends
    raw = make_wrapped_env("CartPole-v1")
    for (seed, actions), ret in zip(episodes, own.returns[:, 0]):
        raw.reset(seed=seed)
        total, ended = 0.0, []
        for a in actions:
            _, reward, terminated, truncated, _ = raw.step(a)
            total += reward
            ended.append(terminated or truncated)
        assert ended[-1] and not any(ended[:-1])  # the plain env ends the episode where the evaluator's did
        assert total == ret


def test_runs_same_ignores_timing_and_names_the_first_difference(tmp_path):
    import pandas as pd

    a = pd.DataFrame(dict(generation=[0, 1], best_return=[1.0, float("nan")], wall_s=[0.1, 0.2], machine=["x", "x"]))
    a.to_csv(tmp_path / "a.csv", index=False)
    a.assign(wall_s=[9.0, 9.0], cpu_s=[1.0, 2.0], machine="y").to_csv(tmp_path / "b.csv", index=False)
    a.assign(best_return=[1.0, 2.0]).to_csv(tmp_path / "c.csv", index=False)
    assert evoscale("runs", "same", str(tmp_path / "a.csv"), str(tmp_path / "b.csv")).returncode == 0
    r = evoscale("runs", "same", str(tmp_path / "a.csv"), str(tmp_path / "c.csv"))
    assert r.returncode == 1 and r.stdout.count("\n") == 1 and "column best_return differs first in record 1" in r.stdout
    bad = evoscale("runs", "same", str(tmp_path / "a.csv"), str(tmp_path / "nope.csv"))
    assert bad.returncode == 2 and "nope.csv cannot be read" in bad.stderr
