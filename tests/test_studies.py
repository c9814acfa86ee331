"""One registry of studies (issue 35): the campaign iterates ``evoscale.experiments.STUDIES`` and names
no chapter, priority or cost prior itself; the chapters get their "still to run" line from
``experiments.progress`` and never import the campaign."""

import dataclasses
import re
from pathlib import Path

from evoscale import campaign
from evoscale.experiments import STUDIES, progress
from evoscale.runs import Need

ROOT = Path(__file__).resolve().parents[1]


def test_every_study_builds_its_params_and_lists_its_needs_at_the_smoke_profile():
    for chapter, study in STUDIES.items():
        assert dataclasses.is_dataclass(study.Params), chapter
        assert isinstance(study.params({"profile": "smoke"}), study.Params), chapter
        needs = study.needs("smoke")
        assert all(isinstance(n, Need) and n.chapter == chapter for n in needs), chapter
        assert isinstance(study.cost_priors("book"), dict), chapter
    assert campaign.needs("smoke") == [n for s in STUDIES.values() for n in s.needs("smoke")]


def test_the_campaign_names_no_chapter_priority_or_cost_prior():
    text = Path(campaign.__file__).read_text()
    assert not [c for c in STUDIES if f'"{c}"' in text]
    assert not re.search(r"\bPRIORITY\b|\bCOST_PRIORS\b|cost_prior\(|from \.experiments import ", text)


def test_no_chapter_imports_the_campaign():
    for page in sorted((ROOT / "book").glob("*.py")):
        text = page.read_text()
        assert not re.search(r"from evoscale import [^\n]*\bcampaign\b|import evoscale\.campaign|campaign\.(plan|still_to_run)\(",
                             text), page.name


def test_still_to_run_reads_a_chapter_by_its_prefix(tmp_path, monkeypatch):
    monkeypatch.setenv("EVOSCALE_RESULTS", str(tmp_path))
    assert progress.chapters_of(["03", "frontier"]) == ["03_compute", "frontier"]
    assert progress.still_to_run("smoke", "03").startswith("0 of 4 planned runs are stored")


def test_a_study_without_runs_plans_none(tmp_path, monkeypatch):
    monkeypatch.setenv("EVOSCALE_RESULTS", str(tmp_path))
    df = progress.plan("smoke", ["08"])  # chapter 8 times evaluators: no stored runs
    assert df.empty and {"done", "planned", "cpu_min_missing"} <= set(df.columns)
    assert progress.still_to_run("smoke", "08") == "it plans no stored runs"


def test_chapter_2_lists_the_runs_its_page_reads():
    from evoscale.experiments import environments

    P = environments.params({"profile": "smoke"})
    listed = [n.config for n in progress.needs("smoke", ["02"])]
    assert listed == [*P.configs(), *P.compute_params().configs()]
    assert {c.env for c in listed} == set(environments.TASKS)


def test_the_full_profile_is_planned_on_a_machine_smaller_than_its_cluster():
    """The full profile's speedup measures up to 16 workers (refused on 2 cores when measured), which its
    island runs do not depend on: the plan lists them anyway."""
    from evoscale.experiments import workers

    assert len(progress.needs("full", ["04"])) == workers.params({"profile": "full", "workers": [1]}).island_seeds
