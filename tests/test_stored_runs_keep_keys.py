"""Issue 35's renames keep every stored run: the fields renamed (to ``episodes_per_fitness`` and the
solved test's ``test_*``) are hashed and stored under their old names
(``config.STORED_NAMES``), so each committed run is still found by its configuration (0 retrained), and
records with the old column names read under the new ones (``store.RENAMED_COLUMNS``)."""

import json
from pathlib import Path

import pandas as pd

from evoscale.config import STORED_NAMES, RunConfig
from evoscale.runs import load_cached, run_path
from evoscale.store import load_run, save_run

ROOT = Path(__file__).resolve().parents[1] / "results" / "book"


def _sidecars(folder: str):
    for side in sorted((ROOT / folder).glob("*.json")):
        meta = json.loads(side.read_text())
        if isinstance(meta, dict) and "key" in meta and "method" in meta:
            yield side, meta


def test_every_stored_run_is_found_by_its_configuration():
    runs = list(_sidecars("runs"))
    assert len(runs) > 500  # the committed campaign's runs
    lost = []
    for side, meta in runs:
        config = RunConfig.from_stored(meta)
        if config.key() != meta["key"] or run_path(config, side.parent) != side.with_suffix(".csv"):
            lost.append(side.name)
    assert not lost, f"{len(lost)} of {len(runs)} stored runs would be retrained: {lost[:5]}"
    islands = list(_sidecars("workers"))
    assert islands and all(RunConfig.from_stored(m).key() == m["key"] and s.stem.endswith(m["key"])
                           for s, m in islands)


def test_keys_and_sidecars_use_the_stored_names_and_both_names_read_back():
    c = RunConfig(episodes_per_fitness=3, test_every=500, test_episodes=7)
    fields = c.hashed_fields()
    assert {"episodes_per_eval", "eval_every", "eval_episodes"} <= set(fields)  # stored name
    assert not set(STORED_NAMES) & set(fields)
    assert RunConfig.from_stored(fields) == c  # a sidecar's names
    assert RunConfig.from_stored({"episodes_per_fitness": 3, "test_every": 500, "test_episodes": 7}) == c


def test_records_with_the_old_column_names_read_under_the_new_ones(tmp_path, monkeypatch):
    monkeypatch.setenv("EVOSCALE_RESULTS", str(tmp_path))
    c = RunConfig(method="openai_es", env="CartPole-v1", hidden=(4,), popsize=4, budget_evals=8, test_every=4,
                  test_episodes=2)
    names = {"eval_return": [10.0, 20.0], "eval_std": [1.0, 2.0], "eval_wall_s": [0.1, 0.2]}  # stored name
    old = pd.DataFrame({"generation": [0, 1], "evals": [4, 8], "env_steps": [40, 80], **names})  # as older code wrote
    save_run(run_path(c, tmp_path), old, {"key": c.key(), **c.hashed_fields()})
    df = load_run(run_path(c, tmp_path), expect={"key": c.key()})
    assert list(df.columns) == ["generation", "evals", "env_steps", "test_return", "test_std", "test_wall_s"]
    assert load_cached(c, tmp_path)["test_return"].tolist() == [10.0, 20.0]  # complete: counts as stored
