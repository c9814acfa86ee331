import json
import logging
import os
import re
import shutil
import subprocess
import sys
import time

import pandas as pd
import pytest

from evoscale.config import RunConfig
from evoscale.experiments import cached_table, run_cached, run_path, table_path
from evoscale.runs import available, is_cached, load_cached, migrate, served_by
from evoscale.store import (UnverifiedResultError, atomic_write, check_writable, load_run,
                            remove_stale_temps, save_run)


@pytest.fixture(autouse=True)
def not_ci(monkeypatch):
    """Outside CI a result that fails its checks is recomputed (CI=true: an error, tested below)."""
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.delenv("FRESH", raising=False)


def test_failing_write_leaves_previous_file_intact(tmp_path):
    path = tmp_path / "r.csv"
    atomic_write(path, lambda f: f.write("old\n"))

    def crash(f):
        f.write("half a fi")
        raise RuntimeError("disk on fire")

    with pytest.raises(RuntimeError):
        atomic_write(path, crash)
    assert path.read_text() == "old\n"
    assert list(tmp_path.iterdir()) == [path]  # no temp file left behind


def test_save_and_load_round_trip(tmp_path):
    df = pd.DataFrame({"a": [1, 2], "b": [0.5, float("nan")]})
    save_run(tmp_path / "x.csv", df, {"k": 1})
    pd.testing.assert_frame_equal(load_run(tmp_path / "x.csv"), df)
    side = json.loads((tmp_path / "x.json").read_text())
    assert side["k"] == 1 and side["csv"]["rows"] == 2 and len(side["csv"]["sha256"]) == 64
    assert load_run(tmp_path / "missing.csv") is None


CONFIG = RunConfig(env="CartPole-v1", hidden=(4,), popsize=8, budget_evals=64, test_every=32, test_episodes=2)


def test_cache_is_reused_and_fresh_recomputes(tmp_path, monkeypatch):
    first = run_cached(CONFIG, tmp_path)
    path = run_path(CONFIG, tmp_path)
    assert CONFIG.key() in path.name
    marker = first.assign(best_return=-1.0)
    save_run(path, marker, json.loads(path.with_suffix(".json").read_text()))  # a stored file is returned as is
    assert (run_cached(CONFIG, tmp_path)["best_return"] == -1.0).all()
    monkeypatch.setenv("FRESH", "1")
    assert (run_cached(CONFIG, tmp_path)["best_return"] == first["best_return"]).all()


# ---------------------------------------------------------------- a stored run proves it is complete
def _cut_lines(path, keep):
    lines = path.read_bytes().splitlines(keepends=True)
    path.write_bytes(b"".join(lines[:keep]))


def _garble(path):
    data = path.read_bytes()
    i = len(data) // 2
    path.write_bytes(data[:i] + bytes([data[i] ^ 0x05]) + data[i + 1:])  # one digit changed, still parses


def _other_sidecar(path):
    """A sidecar that is valid for this CSV's bytes but belongs to another configuration."""
    other = CONFIG.replace(seed=9)
    side = json.loads(path.with_suffix(".json").read_text())
    path.with_suffix(".json").write_text(json.dumps({**side, "key": other.key(), "seed": 9}))


CORRUPTIONS = {
    "truncated at a line boundary": lambda p: _cut_lines(p, 5),
    "truncated mid-line": lambda p: p.write_bytes(p.read_bytes()[: len(p.read_bytes()) - 40]),
    "garbled bytes": lambda p: _garble(p),
    "missing sidecar": lambda p: p.with_suffix(".json").unlink(),
    "sidecar of another config": _other_sidecar,
    "an older sidecar without checksum": lambda p: p.with_suffix(".json").write_text(
        json.dumps({"key": CONFIG.key(), **CONFIG.hashed_fields()})),
}


@pytest.mark.parametrize("corrupt", CORRUPTIONS, ids=list(CORRUPTIONS))
def test_a_corrupt_stored_run_is_named_and_recomputed(corrupt, tmp_path, caplog):
    first = run_cached(CONFIG, tmp_path)
    path = run_path(CONFIG, tmp_path)
    CORRUPTIONS[corrupt](path)
    with caplog.at_level(logging.WARNING, logger="evoscale.store"):  # named once, however often it is read
        assert not is_cached(CONFIG, tmp_path)
        again = run_cached(CONFIG, tmp_path)
    assert str(path) in caplog.text and "recomputing" in caplog.text
    cols = ["generation", "evals", "best_return", "test_return"]
    pd.testing.assert_frame_equal(again[cols], first[cols])
    assert is_cached(CONFIG, tmp_path) and load_run(path, {"key": CONFIG.key()}) is not None


@pytest.mark.parametrize("corrupt", ["truncated at a line boundary", "garbled bytes"])
def test_in_ci_a_corrupt_stored_run_fails_with_the_reason(corrupt, tmp_path, monkeypatch):
    run_cached(CONFIG, tmp_path)
    path = run_path(CONFIG, tmp_path)
    CORRUPTIONS[corrupt](path)
    monkeypatch.setenv("CI", "true")
    with pytest.raises(UnverifiedResultError, match=f"{re.escape(str(path))}.*checksum"):
        available([CONFIG], tmp_path)
    monkeypatch.setenv("FRESH", "1")  # FRESH=1 recomputes, in CI too
    run_cached(CONFIG, tmp_path)
    monkeypatch.setenv("FRESH", "0")
    assert load_cached(CONFIG, tmp_path) is not None


def test_records_must_reach_the_budget_even_with_a_matching_checksum(tmp_path, caplog):
    """A CSV saved short (e.g. by a buggy writer) verifies byte for byte but not against its budget."""
    df = run_cached(CONFIG, tmp_path)
    path = run_path(CONFIG, tmp_path)
    save_run(path, df.iloc[:5], json.loads(path.with_suffix(".json").read_text()))
    with caplog.at_level(logging.WARNING, logger="evoscale.store"):
        assert load_cached(CONFIG, tmp_path) is None
    assert "5 of the budget's 8 generations" in caplog.text


def test_an_early_stop_shown_by_the_records_counts(tmp_path):
    stopped = CONFIG.replace(budget_evals=640, budget_steps=300)  # stops after a few generations
    df = run_cached(stopped, tmp_path)
    assert len(df) < 80 and load_cached(stopped, tmp_path) is not None


@pytest.mark.parametrize("corrupt", ["truncated at a line boundary", "truncated mid-line", "garbled bytes"])
def test_a_longer_run_serves_a_shorter_one_only_if_it_verifies(corrupt, tmp_path):
    short, long = CONFIG.replace(budget_evals=32), CONFIG.replace(budget_evals=128)
    run_cached(long, tmp_path)
    assert served_by(short, tmp_path) is not None
    CORRUPTIONS[corrupt](run_path(long, tmp_path))
    assert served_by(short, tmp_path) is None


@pytest.mark.parametrize("corrupt", ["truncated at a line boundary", "truncated mid-line", "garbled bytes",
                                     "missing sidecar"])
def test_a_corrupt_cached_table_is_recomputed(corrupt, tmp_path, caplog):
    what = {"sizes": [1, 2, 3], "n": 3}
    make = lambda: pd.DataFrame({"size": range(200), "seconds": [0.5 * i for i in range(200)]})  # noqa: E731
    first = cached_table(tmp_path / "cost", what, make, log=lambda *a: None)
    path = table_path(tmp_path / "cost", what)
    if corrupt == "truncated at a line boundary":
        _cut_lines(path, 100)
    else:
        CORRUPTIONS[corrupt](path)
    with caplog.at_level(logging.WARNING, logger="evoscale.store"):
        again = cached_table(tmp_path / "cost", what, make, log=lambda *a: None)
    assert str(path) in caplog.text
    pd.testing.assert_frame_equal(again, first)


def test_a_cached_table_with_another_configs_sidecar_is_recomputed(tmp_path):
    make = lambda: pd.DataFrame({"x": [1, 2]})  # noqa: E731
    cached_table(tmp_path / "t", {"n": 1}, make, log=lambda *a: None)
    cached_table(tmp_path / "t", {"n": 2}, make, log=lambda *a: None)
    a, b = table_path(tmp_path / "t", {"n": 1}), table_path(tmp_path / "t", {"n": 2})
    shutil.copy(b.with_suffix(".json"), a.with_suffix(".json"))  # same CSV bytes, the other config's sidecar
    assert load_run(a, expect={"n": 1}) is None
    calls = []
    cached_table(tmp_path / "t", {"n": 1}, lambda: calls.append(1) or make(), log=lambda *a: None)
    assert calls == [1]


# ---------------------------------------------------------------- the one-time migration of older sidecars
def _old_format(path):
    """The sidecar as the store wrote it before checksums: ``{"key": ..., **config fields}``."""
    side = json.loads(path.with_suffix(".json").read_text())
    side.pop("csv")
    path.with_suffix(".json").write_text(json.dumps(side, indent=1, sort_keys=True))


def test_migrate_adds_checksums_to_complete_older_results_only(tmp_path, capsys):
    where = tmp_path / "results" / "book" / "runs"
    good, short = CONFIG, CONFIG.replace(seed=1)
    for c in (good, short):
        run_cached(c, where)
        _old_format(run_path(c, where))
    _cut_lines(run_path(short, where), 4)  # a cut old-format file: it must never count
    table = tmp_path / "results" / "book" / "parameters" / "cost"
    cached_table(table, {"n": 1}, lambda: pd.DataFrame({"x": [1, 2]}), log=lambda *a: None)
    _old_format(table_path(table, {"n": 1}))
    (tmp_path / "results" / "bench").mkdir()
    (tmp_path / "results" / "bench" / "evaluator.json").write_text("{}")  # no CSV: not a result
    assert available([good, short], where)[0] is None  # older sidecars do not count before migration

    r = subprocess.run([sys.executable, "-m", "evoscale.runs", "migrate", str(tmp_path / "results")],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 1, r.stderr  # one file left as is
    assert "2 sidecars migrated, 0 already current, 1 left as is" in r.stdout
    assert str(run_path(short, where)) in r.stdout and "3 of the budget's 8 generations" in r.stdout
    df, missing = available([good, short], where)
    assert missing == [short] and set(df["seed"]) == {0}
    assert load_run(table_path(table, {"n": 1}), expect={"n": 1}) is not None
    assert migrate(tmp_path / "results", log=lambda *a: None)[:2] == (0, 2)  # idempotent


def test_migrate_leaves_a_run_whose_key_no_longer_matches(tmp_path):
    run_cached(CONFIG, tmp_path)
    path = run_path(CONFIG, tmp_path)
    _old_format(path)
    side = json.loads(path.with_suffix(".json").read_text())
    path.with_suffix(".json").write_text(json.dumps({**side, "sigma0": 0.25}))
    migrated, _, left = migrate(tmp_path, log=lambda *a: None)
    assert migrated == 0 and "key" in left[0]


# ---------------------------------------------------------------- concurrency, stale files, writability
WRITER = """
import sys, pandas as pd
from evoscale.store import save_run, load_run
path, n = sys.argv[1], int(sys.argv[2])
for i in range(60):
    rows = n + i % 7
    save_run(path, pd.DataFrame({"writer": [n] * rows, "i": range(rows)}), {"writer": n})
    assert load_run(path) is not None, "a reader saw one writer's sidecar with the other's CSV"
"""


def test_two_writers_of_one_file_leave_a_consistent_pair(tmp_path):
    path = tmp_path / "same.csv"
    procs = [subprocess.Popen([sys.executable, "-c", WRITER, str(path), str(n)], stderr=subprocess.PIPE, text=True)
             for n in (10, 500)]
    for p in procs:
        assert p.wait(timeout=240) == 0, p.stderr.read()
    df = load_run(path)
    side = json.loads(path.with_suffix(".json").read_text())
    assert df is not None and set(df["writer"]) == {side["writer"]}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["same.csv", "same.json"]


KILLED_WRITER = """
import os, signal, sys
from evoscale.store import atomic_write

def write(f):
    f.write(b"x" * 1_000_000)
    f.flush()
    os.kill(os.getpid(), signal.SIGKILL)  # killed mid-write: the temporary file stays

atomic_write(sys.argv[1], write, binary=True)
"""


def test_a_killed_writers_temporary_file_is_removed_by_the_next_write(tmp_path):
    target = tmp_path / "run.ckpt"
    r = subprocess.run([sys.executable, "-c", KILLED_WRITER, str(target)], timeout=60)
    assert r.returncode == -9
    stale = list(tmp_path.glob(".run.ckpt.*.tmp"))
    assert len(stale) == 1 and stale[0].stat().st_size == 1_000_000
    live = tmp_path / ".run.ckpt.live.tmp"  # a writer still at work holds a lock on its file
    live.write_bytes(b"y")
    os.utime(stale[0], (time.time() - 60, time.time() - 60))
    os.utime(live, (time.time() - 60, time.time() - 60))
    holder = subprocess.Popen([sys.executable, "-c", f"import fcntl,time; f=open({str(live)!r},'rb'); "
                               "fcntl.flock(f, fcntl.LOCK_EX); print('locked', flush=True); time.sleep(60)"],
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        r = subprocess.run([sys.executable, "-c", "import sys; from evoscale.store import atomic_write; "
                            "atomic_write(sys.argv[1], lambda f: f.write('done'))", str(target)], timeout=60)
        assert r.returncode == 0
        assert target.read_text() == "done" and not stale[0].exists() and live.exists()
    finally:
        holder.kill()
        holder.wait()
    young = tmp_path / ".run.ckpt.young.tmp"
    young.write_bytes(b"z")
    assert young not in remove_stale_temps(target) and young.exists()  # newer than this process: never touched


@pytest.mark.parametrize("path,needle", [
    ("/proc/evoscale-out.csv", "cannot be written"),
    ("{tmp}/a-file/child.csv", "is a file, not a folder"),
    ("{tmp}", "is a folder, not a file"),
])
def test_check_writable_names_the_path_and_creates_nothing(path, needle, tmp_path):
    (tmp_path / "a-file").write_text("x")
    path = path.format(tmp=tmp_path)
    with pytest.raises(ValueError, match=needle):
        check_writable(path, "--out")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a-file"]
    check_writable(tmp_path / "new" / "deeper" / "x.csv", "--out")
    assert not (tmp_path / "new").exists()


def test_a_read_only_results_folder_fails_before_training(tmp_path, monkeypatch):
    calls = []
    monkeypatch.setattr("evoscale.runs.train_records", lambda *a, **k: calls.append(1))
    with pytest.raises(ValueError, match="EVOSCALE_RESULTS"):
        run_cached(CONFIG, "/proc/evoscale-results")
    with pytest.raises(ValueError, match="EVOSCALE_RESULTS"):
        cached_table("/proc/evoscale-results/t", {"n": 1}, lambda: calls.append(2), log=lambda *a: None)
    assert calls == []


def test_a_claim_is_held_once_and_a_dead_processes_claim_is_taken_over(tmp_path):
    import socket

    from evoscale.store import claim, release

    target = tmp_path / "runs" / "run.csv"
    first = claim(target)
    assert first is not None and json.loads(first.read_text())["pid"] == os.getpid()
    assert claim(target) is None  # a live process (this one) holds it
    release(first)
    assert not first.exists() and (again := claim(target)) is not None
    release(again)
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    first.write_text(json.dumps({"pid": int(gone.stdout), "host": socket.gethostname()}))
    taken = claim(target)  # its process has exited: stale
    assert taken is not None and json.loads(taken.read_text())["pid"] == os.getpid()


@pytest.mark.parametrize("field", ["boot", "start"])
def test_a_claim_whose_pid_was_reused_is_taken_over(field, tmp_path):
    """A campaign killed before a reboot left its claim; after the reboot its pid may belong to another
    process (here: this one). The claim records the boot and the process's start time, so it is stale
    -- it stopped every later campaign from training that run before."""
    from evoscale.store import claim

    target = tmp_path / "runs" / "run.csv"
    mine = claim(target)
    owner = json.loads(mine.read_text())
    assert owner.keys() >= {"pid", "host", "boot", "start"}
    assert claim(target) is None  # this live process, as recorded: held
    mine.write_text(json.dumps({**owner, field: "another boot" if field == "boot" else owner["start"] - 1}))
    taken = claim(target)
    assert taken is not None and json.loads(taken.read_text()) == owner


def test_one_bad_measured_table_or_json_is_named_and_read_as_not_measured(tmp_path, monkeypatch, caplog):
    """The benches' files have no sidecar: a non-number in a measured column ("5.3O21e-05" in the unit
    costs chapters 6 and 9 read) or a cut JSON (``make bench``'s rates, chapters 2 and 8) is named
    in one warning and reads as not measured -- it stopped those chapters with a ValueError before."""
    from evoscale.experiments import backprop, gpu

    monkeypatch.setenv("EVOSCALE_RESULTS", str(tmp_path))
    costs, speed = backprop.cost_paths("book")
    costs.parent.mkdir(parents=True)
    costs.write_text("method,env,eval_s_per_step,serial_s_per_gen,machine\n"
                     "ga,LunarLander-v3,5.3O21e-05,0.003,\"AMD EPYC, 2 cores\"\n")
    speed.write_text("env,workers,seconds,n_envs,speedup\nCartPole-v1,1,0.19,8,1.0\n")
    bench = tmp_path / "bench"
    bench.mkdir()
    (bench / "compiled.json").write_text('{"machine": "AMD EPYC", "per_task": [')
    (bench / "evaluator-CartPole-v1.json").write_text('{"evaluator_steps_per_s": 1')
    with caplog.at_level(logging.WARNING):
        for _ in range(2):  # warned once however often read
            unit, ppo = backprop.load_costs("book")
            assert unit is None and len(ppo) == 1
            assert gpu.compiled_rates(tmp_path).empty and gpu.idle_rates(tmp_path) == {}
    warned = [r.getMessage() for r in caplog.records]
    assert len(warned) == 3 and all("\n" not in w and "counts as not measured" in w for w in warned)
    assert any(str(costs) in w and "'5.3O21e-05'" in w for w in warned)
    assert any(str(bench / "compiled.json") in w for w in warned)
    monkeypatch.setenv("CI", "true")
    with pytest.raises(UnverifiedResultError, match="compiled.json"):  # CI never reads past a bad file
        gpu.compiled_rates(tmp_path)
