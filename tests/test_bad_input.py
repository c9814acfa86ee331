"""Errors at the door: every bad command-line flag exits 2 with one line naming it, before any work and
without leaving a file; every bad chapter parameter raises ValueError/TypeError naming it."""

import os
import subprocess
import sys

import pytest

from evoscale.experiments import compute, methods

TRAIN = ["train", "--env", "CartPole-v1", "--hidden", "4", "--popsize", "8", "--budget-evals", "16",
         "--test-episodes", "2", "--no-progress"]

FOREIGN = "torch_cmaes-LunarLander-v3-s0-foreign.pkl"
"""A pickle that is no checkpoint, named like one of a smoke run of chapter 3 (harvest opens it)."""

CLI = [  # (arguments, what the one line must name, extra environment)
    (TRAIN + ["--sigma0", "inf"], "sigma0", {}),
    (TRAIN + ["--sigma0", "nan"], "sigma0", {}),
    (TRAIN + ["--sigma0", "-1"], "sigma0", {}),
    (TRAIN + ["--method", "cmaes", "--sigma0", "1e-320"], "sigma0", {}),
    (["campaign", "plan", "--profile", "smoke", "--chapters", "99"], "unknown chapter(s) 99", {}),
    (["campaign", "run", "--hours", "1", "--profile", "smoke", "--chapters", "03", "--max-runs", "-1"], "--max-runs", {}),
    (TRAIN + ["--method", "openai_es", "--hyper", '{"lr": "fast"}'], "'lr'", {}),
    (TRAIN + ["--method", "openai_es", "--hyper", '{"lr": Infinity}'], "'lr'", {}),
    (TRAIN + ["--method", "openai_es", "--hyper", '{"lr": -1}'], "lr", {}),
    (TRAIN + ["--method", "ga", "--hyper", '{"elites": 1.5}'], "'elites'", {}),
    (TRAIN + ["--hyper", "[1, 2]"], "--hyper", {}),
    (TRAIN + ["--method", "openai_es", "--budget-evals", "160", "--hyper", '{"lr": 1e200}', "--out", "{tmp}/r.csv"],
     "lr", {}),
    (TRAIN + ["--resume", "--checkpoint", "{tmp}/cut.ckpt"], "checkpoint", {}),
    (TRAIN + ["--out", "/proc/run.csv"], "--out", {}),
    (TRAIN + ["--out", "{tmp}/a-file/run.csv"], "--out", {}),
    (TRAIN + ["--out", "{tmp}"], "--out", {}),
    (TRAIN + ["--checkpoint", "/proc/run.ckpt"], "--checkpoint", {}),
    (TRAIN + ["--checkpoint", "{tmp}/c.ckpt", "--checkpoint-every", "0"], "--checkpoint-every", {}),
    (TRAIN + ["--test-every", "-5"], "test_every", {}),
    (TRAIN + ["--episodes-per-fitness", "0"], "episodes_per_fitness", {}),
    (TRAIN + ["--budget-steps", "0"], "budget_steps", {}),
    (TRAIN + ["--backend", "gpu"], "backend", {}),
    (TRAIN + ["--seed", "-1"], "seed", {}),
    (TRAIN + ["--method", "openai_es", "--popsize", "7"], "popsize", {}),
    (TRAIN + ["--device", "cuda"], "device", {}),
    (["bench", "evaluator", "--env", "CartPole-v1", "--out", "/proc/bench.json"], "--out", {}),
    (["campaign", "run", "--hours", "1", "--profile", "smoke", "--chapters", "03"], "EVOSCALE_RESULTS",
     {"EVOSCALE_RESULTS": "/proc/evoscale-results"}),
    (["campaign", "run", "--hours", "1", "--profile", "smoke", "--chapters", "03", "--ray-address", "127.0.0.1:1"],
     "127.0.0.1:1", {"EVOSCALE_RAY_CONNECT_TIMEOUT": "1"}),
    # issue 37: a name too long for the atomic writer's temporary file fails before the training
    (TRAIN + ["--out", "{tmp}/" + "r" * 246 + ".csv"], "--out", {}),
    (TRAIN + ["--checkpoint", "{tmp}/" + "c" * 250], "--checkpoint", {}),
    (["campaign", "run", "--hours", "1", "--profile", "smoke", "--chapters", "03"], "EVOSCALE_CHECKPOINTS",
     {"EVOSCALE_CHECKPOINTS": "/proc/evoscale-checkpoints"}),
    (["campaign", "harvest", "--profile", "smoke", "--chapters", "03"], "not a checkpoint of evoscale.train",
     {"EVOSCALE_CHECKPOINTS": "{tmp}/foreign-list"}),
    (["campaign", "harvest", "--profile", "smoke", "--chapters", "03"], "not a checkpoint of evoscale.train",
     {"EVOSCALE_CHECKPOINTS": "{tmp}/foreign-dict"}),
    (TRAIN + ["--resume", "--checkpoint", "{tmp}/hand-built.ckpt"], "hand-built.ckpt is not a checkpoint", {}),
    (TRAIN + ["--resume", "--checkpoint", "{tmp}/foreign-list/" + FOREIGN], "is not a checkpoint", {}),
    # 10**10 members x 30 parameters: 2.2 TiB, refused on any machine (10**8 was 22 GiB, which a roomier
    # CI machine tried to allocate)
    (TRAIN + ["--popsize", str(10**10), "--budget-evals", str(10**11)], "GiB available", {}),
    (TRAIN + ["--hidden", "100000,100000"], "GiB available", {}),
    (TRAIN + ["--method", "torch_cmaes", "--hidden", "40000"], "GiB available", {}),
    (TRAIN + ["--method", "sep_cmaes_torch", "--hyper", '{"c_m": -1}'], "c_m", {}),
    (TRAIN + ["--hidden", "0"], "hidden", {}),
    (TRAIN + ["--test-episodes", "0"], "test_episodes", {}),
    (["runs", "same", "{tmp}/a-file", "{tmp}/no-such-run.csv"], "no-such-run.csv cannot be read", {}),
    (["campaign", "clean-checkpoints", "--profile", "huge"], "unknown profile 'huge'", {}),
    (["campaign", "plan", "--profile", "smoke", "--envs", "CartPol-v1"], "unknown env 'CartPol-v1'", {}),
]


@pytest.fixture
def workdir(tmp_path):
    import pickle

    from evoscale.config import RunConfig

    (tmp_path / "a-file").write_text("x")
    (tmp_path / "cut.ckpt").write_bytes(b"\x80\x05\x95\x10\x00")  # a checkpoint cut after 5 bytes
    for folder, obj in (("foreign-list", [1, 2]), ("foreign-dict", {"key": "x"})):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / FOREIGN).write_bytes(pickle.dumps(obj))
    key = RunConfig(env="CartPole-v1", hidden=(4,), popsize=8, budget_evals=16, test_episodes=2).key()
    (tmp_path / "hand-built.ckpt").write_bytes(pickle.dumps({"key": key, "progress": {"generation": 1}, "state": None}))
    return tmp_path


@pytest.mark.parametrize("args,needle,env", CLI, ids=[" ".join(a[len(TRAIN) if a[:1] == ["train"] else 0:])
                                                     for a, _, _ in CLI])
def test_bad_flag_exits_2_with_one_line_naming_it_and_leaves_no_file(args, needle, env, workdir):
    if "cuda" in args:
        torch = pytest.importorskip("torch")
        if torch.cuda.is_available():
            pytest.skip("CUDA is available here")
    before = sorted(workdir.rglob("*"))
    env = {**os.environ, "EVOSCALE_RESULTS": str(workdir / "results"),
           **{k: v.replace("{tmp}", str(workdir)) for k, v in env.items()}}
    r = subprocess.run([sys.executable, "-m", "evoscale", *[a.replace("{tmp}", str(workdir)) for a in args]],
                       capture_output=True, text=True, timeout=300, env=env)
    assert r.returncode == 2, r.stderr[-2000:]
    lines = r.stderr.strip().splitlines()  # a campaign logs its plan first; the error is the last line
    assert lines[-1].startswith("evoscale: error: ") and needle in lines[-1], r.stderr[-2000:]
    assert len(lines) == 1 or args[0] == "campaign", r.stderr[-2000:]
    assert "Traceback" not in r.stderr
    assert sorted(workdir.rglob("*")) == before


CHAPTER = [  # (chapter module, parameter, bad value as papermill -p would pass it)
    (compute, "seeds", "abc"), (compute, "seeds", [0, -1]), (compute, "seeds", 0), (compute, "seeds", [3, 3]),
    (compute, "sigma0", "abc"), (compute, "sigma0", -1.0), (compute, "sigma0", float("nan")),
    (compute, "popsize", 0), (compute, "popsize", 2.5), (compute, "budget_evals", "many"),
    (compute, "test_episodes", -3), (compute, "processes", 0), (compute, "hidden", "64,x"),
    (compute, "train_missing", "yes"), (compute, "check_seeds", -1), (compute, "device", 5),
    (compute, "workers", 0), (compute, "test_every", -1),
    (methods, "seeds", "abc"), (methods, "seeds_large", [1, 1]), (methods, "es_lr", "fast"),
    (methods, "es_sigma", float("inf")), (methods, "sizes", ["64,32"]), (methods, "sizes", ["a", "b", "c"]),
    (methods, "ga_elites", -1), (methods, "ram_gib", -1.0), (methods, "popsize", True),
    (methods, "cma_method", "x"), (methods, "width_sizes", "34,17"),
]


@pytest.mark.parametrize("chapter,name,value", CHAPTER,
                         ids=[f"{c.__name__.rsplit('.', 1)[1]}-{n}={v!r}" for c, n, v in CHAPTER])
def test_bad_chapter_parameter_is_an_error_naming_it(chapter, name, value):
    with pytest.raises((ValueError, TypeError), match=name):
        chapter.params({"profile": "smoke", name: value})


def test_good_parameters_of_every_profile_still_pass():
    for chapter in (compute, methods):
        for profile in chapter.PROFILES:
            chapter.params({"profile": profile})
    assert compute.params({"profile": "smoke", "seeds": [4, 7], "hidden": 16, "sigma0": 1}).seed_list() == [4, 7]


def test_a_truncated_checkpoint_names_itself_when_resumed(tmp_path):
    """The real thing: a checkpoint cut in half by a crash (the CLI's table above uses a stub)."""
    ckpt = tmp_path / "run.ckpt"
    args = [sys.executable, "-m", "evoscale", *TRAIN, "--checkpoint", str(ckpt)]
    assert subprocess.run(args, capture_output=True, timeout=300).returncode == 0
    ckpt.write_bytes(ckpt.read_bytes()[: ckpt.stat().st_size // 2])
    r = subprocess.run(args + ["--resume", "--budget-evals", "32"], capture_output=True, text=True, timeout=300)
    assert r.returncode == 2 and f"checkpoint {ckpt} is unreadable" in r.stderr and "Traceback" not in r.stderr
