"""Issue 41: decentralised islands (``sync`` and ``async``) against today's driver-paced ones."""

import pytest

ray = pytest.importorskip("ray")

from evoscale.island import train_islands, train_islands_log  # noqa: E402
from test_island import CONFIG, strip  # noqa: E402  (today's islands' tiny run and its timing-free records)


@pytest.fixture(scope="module")
def paced():
    return train_islands(CONFIG, islands=2, migrate_every=2, use_ray=False)


@pytest.fixture(scope="module")
def ray_cluster():
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield
    ray.shutdown()


def test_sync_equals_todays_records_in_process_and_on_ray(paced, ray_cluster):
    assert strip(train_islands(CONFIG, islands=2, migrate_every=2, use_ray=False, mode="sync")) == strip(paced)
    records, log = train_islands_log(CONFIG, islands=2, migrate_every=2, use_ray=True, mode="sync")
    assert strip(records) == strip(paced)
    assert log["arrivals"] == [(0, 2, 1, 1), (1, 2, 0, 1), (0, 4, 1, 3), (1, 4, 0, 3)]  # ring, after gens 1 and 3


@pytest.mark.parametrize("topology", ["ring", "random"])
def test_sync_equals_paced_with_three_islands_two_migrants(topology):
    config = CONFIG.replace(method="torch_cmaes", popsize=6, budget_evals=3 * 6 * 7, test_every=36)
    kw = dict(islands=3, migrate_every=2, migrants=2, topology=topology, use_ray=False)
    assert strip(train_islands(config, mode="sync", **kw)) == strip(train_islands(config, **kw))


def test_async_replays_its_recorded_arrivals(ray_cluster):
    config = CONFIG.replace(budget_evals=192)  # 12 generations of 2 islands
    records, log = train_islands_log(config, islands=2, migrate_every=2, use_ray=True, mode="async")
    assert sum(log["generations"]) == 24 and records[-1]["evals"] == 192
    assert records[0]["mode"] == "async" and sum(r["round_islands"] for r in records) == 24
    schedule = {"generations": log["generations"], "arrivals": log["arrivals"]}
    assert strip(train_islands(config, islands=2, migrate_every=2, use_ray=False, mode="async",
                               schedule=schedule)) == strip(records)
    again, log2 = train_islands_log(config, islands=2, migrate_every=2, use_ray=True, mode="async", schedule=schedule)
    assert strip(again) == strip(records) and log2["arrivals"] == log["arrivals"]


def test_async_in_process_is_deterministic_and_fast_islands_do_more():
    config = CONFIG.replace(budget_evals=3 * 8 * 12)  # 36 island generations
    kw = dict(islands=3, migrate_every=2, use_ray=False, mode="async")
    equal, log = train_islands_log(config, **kw)
    assert strip(train_islands(config, **kw)) == strip(equal) and log["generations"] == [12, 12, 12]
    fast, log_fast = train_islands_log(config, speeds=[1.0, 1.0, 0.25], **kw)
    assert sum(log_fast["generations"]) == 36 and log_fast["generations"][2] > log_fast["generations"][0]
    assert fast[-1]["evals"] == 36 * 8
    assert strip(train_islands(config, schedule=log_fast, **kw)) == strip(fast)


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_driver_messages_between_migrations_do_not_grow_with_islands(mode):
    def messages(K):
        config = CONFIG.replace(budget_evals=K * 8 * 8, test_every=0)  # 8 generations, tests only at the end
        return train_islands_log(config, islands=K, migrate_every=4, use_ray=False, mode=mode)[1]["driver_messages"]

    for K in (2, 4):
        m = messages(K)
        assert all(m.get(g, 0) == 0 for g in (1, 2, 5, 6))  # inside a segment: nothing through the driver
        assert sum(m.values()) == 2 * K * 2 + 2  # a call and a reply per island and segment, one solved test
    paced = train_islands_log(CONFIG.replace(budget_evals=4 * 8 * 8, test_every=0), islands=4, migrate_every=4,
                              use_ray=False)[1]["driver_messages"]
    assert paced[1] == 8  # today's islands: 2 K every generation


def test_bad_arguments_are_one_line():
    cases = [(dict(topology="star"), "unknown topology"), (dict(topology=["ring"]), "unknown topology"),
             (dict(migrants=8), "smaller than each island's popsize"), (dict(mode="gossip"), "unknown mode"),
             (dict(mode="sync", speeds=[1, 1]), "belong to mode='async'"),
             (dict(mode="async", speeds=[1, 0]), "speeds must give 2"),
             (dict(mode="async", schedule={"generations": [1, 1], "arrivals": []}), "schedule must be")]
    for kw, match in cases:
        with pytest.raises(ValueError, match=match) as err:
            train_islands(CONFIG, **{"islands": 2, "use_ray": False, **kw})
        assert "\n" not in str(err.value)
