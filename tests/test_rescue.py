"""Trained work is never lost to a failed write: an --out that cannot be written fails before the work
(its temporary name tried for real), and a write that fails after it keeps the records under a rescue
name and says where; a checkpoint that cannot be written is one line, not a traceback."""

import errno
import json
from pathlib import Path

import pandas as pd
import pytest

from evoscale import cli, store

TRAIN = ["train", "--env", "CartPole-v1", "--hidden", "4", "--popsize", "8", "--budget-evals", "16",
         "--test-episodes", "2", "--no-progress"]


def _main(args, capsys) -> tuple[int, str]:
    with pytest.raises(SystemExit) as exit_:
        cli.main(args)
    return exit_.value.code, capsys.readouterr().err.strip()


def test_an_out_name_too_long_for_its_temporary_file_fails_up_front(tmp_path):
    out = tmp_path / ("r" * 246 + ".csv")  # 250 characters: fine itself, its temporary name is not
    with pytest.raises(ValueError, match="--out .* cannot be written"):
        store.check_writable(out, "--out")
    assert list(tmp_path.iterdir()) == []


def _failing_write(fail_on, err):
    real = store.atomic_write

    def write(path, *args, **kwargs):
        if Path(path) == Path(fail_on):
            raise OSError(err, "No space left on device")
        return real(path, *args, **kwargs)
    return write


def test_an_out_write_that_fails_after_training_keeps_the_records(tmp_path, monkeypatch, capsys):
    out, ckpt = tmp_path / "run.csv", tmp_path / "ckpt" / "run.pkl"
    monkeypatch.setattr(store, "atomic_write", _failing_write(out, errno.ENOSPC))
    code, err = _main([*TRAIN, "--out", str(out), "--checkpoint", str(ckpt)], capsys)
    assert code == 2 and err.count("\n") == 0 and "No space left on device" in err
    kept = list(ckpt.parent.glob("rescued-*run.csv"))
    assert len(kept) == 1 and str(kept[0]) in err and not out.exists()
    assert pd.read_csv(kept[0])["evals"].iloc[-1] == 16


def test_a_checkpoint_write_on_a_full_disk_is_one_line(tmp_path, monkeypatch, capsys):
    from evoscale import train

    ckpt = tmp_path / "run.pkl"
    monkeypatch.setattr(train, "atomic_write", _failing_write(ckpt, errno.ENOSPC))
    code, err = _main([*TRAIN, "--checkpoint", str(ckpt)], capsys)
    assert code == 2 and err.count("\n") == 0 and "Traceback" not in err
    assert f"checkpoint {ckpt} could not be written (No space left on device)" in err


def test_a_campaign_run_whose_save_fails_keeps_its_records(tmp_path, monkeypatch):
    from evoscale import campaign
    from evoscale.config import RunConfig

    monkeypatch.setenv("EVOSCALE_CHECKPOINTS", str(tmp_path / "ckpt"))
    config = RunConfig(env="CartPole-v1", hidden=(4,), popsize=8, budget_evals=16, test_episodes=2)
    target = campaign.run_path(config, tmp_path / "runs")
    monkeypatch.setattr(store, "atomic_write", _failing_write(target, errno.ENOSPC))
    with pytest.raises(ValueError, match="its records are kept in .*rescued-"):
        campaign.train_unit(config, tmp_path / "runs", None, campaign.CHECKPOINT_SECONDS)
    kept = list((tmp_path / "ckpt").glob("rescued-*.csv"))
    assert len(kept) == 1 and len(pd.read_csv(kept[0])) == 2


def test_a_chapters_run_whose_save_fails_keeps_its_records(tmp_path, monkeypatch):
    """The chapters' path (``run_many``/``run_cached``) and the Ray campaign's driver share
    ``save_records``: a full disk after the training keeps the records in the results root, one line
    names them (a traceback with the records lost before)."""
    from evoscale import runs
    from evoscale.config import RunConfig

    monkeypatch.setenv("EVOSCALE_RESULTS", str(tmp_path / "results"))
    config = RunConfig(env="CartPole-v1", hidden=(4,), popsize=8, budget_evals=16, test_episodes=2)
    where = tmp_path / "results" / "smoke" / "runs"
    monkeypatch.setattr(store, "atomic_write", _failing_write(runs.run_path(config, where), errno.ENOSPC))
    with pytest.raises(ValueError, match="could not be written .*its records are kept in .*rescued-") as err:
        runs.run_many([config], where, processes=1, fresh=True, progress=False, log=lambda *a: None)
    kept = list((tmp_path / "results").glob("rescued-*.csv"))
    assert len(kept) == 1 and str(kept[0]) in str(err.value) and "\n" not in str(err.value)
    assert len(pd.read_csv(kept[0])) == 2 and not list(where.glob("*.csv"))
