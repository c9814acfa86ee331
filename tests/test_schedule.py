"""One schedule for every run kind (issue 35): when a run tests its solution and when it stops, the
same functions in the training loop (``train.train``) and the island model's recorder."""

import math

from evoscale import island_actors, train
from evoscale.config import RunConfig
from evoscale.island import IslandSpec


def test_the_solved_test_is_due_every_eval_every_and_at_the_last_generation():
    c = RunConfig(popsize=8, budget_evals=800, test_every=100)
    assert train.first_test(c) == 100 and train.first_test(c.replace(test_every=0)) == math.inf
    assert not train.test_due(c, 100, 96, 0, last=False) and train.test_due(c, 100, 104, 0, last=False)
    assert train.test_due(c, 100, 8, 0, last=True)
    assert train.after_test(c, 100, 104) == 200 and train.after_test(c, 100, 350) == 400  # points passed: skipped
    steps = c.replace(budget_steps=1_000)
    assert train.test_due(steps, 100, 8, 1_000, last=False) and train.stops(steps, {"test_return": 0.0}, 1_000) == "steps"


def test_a_run_stops_when_solved_or_out_of_steps_else_goes_on():
    c = RunConfig(popsize=8, budget_evals=800, target_return=200.0)
    assert train.stops(c, {"test_return": 200.0}, 0) == "solved"
    assert train.stops(c, {"test_return": math.nan}, 0) is None  # no test this generation
    assert train.stops(c.replace(target_return=None), {"test_return": 500.0}, 0) is None


def test_the_island_recorder_uses_the_training_loops_schedule():
    for name in ("first_test", "test_due", "after_test", "stops"):
        assert getattr(island_actors, name) is getattr(train, name), name


def test_only_the_run_kinds_that_resume_checkpoint():
    assert RunConfig.can_checkpoint and not IslandSpec.can_checkpoint
    assert "can_checkpoint" not in RunConfig().hashed_fields()  # not a field: no run's key changes
