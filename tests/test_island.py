import math

import numpy as np
import pytest

ray = pytest.importorskip("ray")

from evoscale import island  # noqa: E402
from evoscale.config import RunConfig  # noqa: E402
from evoscale.island import train_islands  # noqa: E402

TIMING = {"wall_s", "opt_s", "pop_eval_s", "test_wall_s", "cpu_s", "peak_mem_gib"}
CONFIG = RunConfig(env="CartPole-v1", hidden=(8,), popsize=8, budget_evals=96, test_every=48, test_episodes=5)
# 96 episodes / (2 islands x 8) = 6 generations; migrations after generations 1 and 3 with migrate_every=2


@pytest.fixture(scope="module", autouse=True)
def ray_cluster():
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield
    ray.shutdown()


def strip(records):
    return [{k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in r.items() if k not in TIMING}
            for r in records]


@pytest.fixture(scope="module")
def local_records():
    return train_islands(CONFIG, islands=2, migrate_every=2, use_ray=False)


def test_ray_and_in_process_give_identical_records(local_records):
    recs = train_islands(CONFIG, islands=2, migrate_every=2, use_ray=True)
    assert ray.is_initialized()  # a Ray it did not start is left running
    assert strip(recs) == strip(local_records)
    assert len(recs) == 6 and recs[-1]["evals"] == 96 and recs[0]["popsize"] == 16
    assert recs[0]["method"] == "islands-cmaes" and recs[0]["islands"] == 2 and recs[0]["migrate_every"] == 2
    assert [g for g, r in enumerate(recs) if not math.isnan(r["test_return"])] == [2, 5]  # 48 and 96 evals


def test_same_seed_same_records_other_seed_differs(local_records):
    assert strip(train_islands(CONFIG, islands=2, migrate_every=2, use_ray=False)) == strip(local_records)
    other = train_islands(CONFIG.replace(seed=1), islands=2, migrate_every=2, use_ray=False)
    assert strip(other) != strip(local_records)
    alone = train_islands(CONFIG, islands=2, migrate_every=2, migrants=0, use_ray=False)
    stats = lambda recs: [(r["best_return"], r["mean_return"], r["median_return"], r["env_steps"]) for r in recs]
    assert stats(alone)[:2] == stats(local_records)[:2]  # the first migration enters generation 2
    assert stats(alone)[2:] != stats(local_records)[2:]


@pytest.mark.parametrize("method", ["cmaes", "torch_cmaes"])
def test_migrants_enter_the_receivers_next_population(monkeypatch, method):
    calls = []  # (island, generation, immigrants, emigrants, population)
    step = island.Island.step

    def spy(self, generation, immigrants, n_send):
        out = step(self, generation, immigrants, n_send)
        calls.append((self.k, generation, immigrants, out["emigrants"], self.population.copy(), out["fitness"]))
        return out

    monkeypatch.setattr(island.Island, "step", spy)
    config = CONFIG.replace(method=method, popsize=6, budget_evals=3 * 6 * 4)  # 3 islands, 4 generations
    train_islands(config, islands=3, migrate_every=2, migrants=2, use_ray=False)
    by = {(k, g): c for k, g, *c in calls}
    sent = [k for k in range(3) if by[k, 1][1] is not None]
    assert sent == [0, 1, 2] and all(by[k, g][1] is None for k in range(3) for g in (0, 2, 3))
    for k in range(3):
        migrants = by[k, 1][1]
        assert migrants.shape == (2, by[k, 1][2].shape[1])
        order = np.argsort(-by[k, 1][3], kind="stable")
        assert np.array_equal(migrants, by[k, 1][2][order[:2]])  # the sender's 2 best of that generation
        receiver = by[(k + 1) % 3, 2]
        assert receiver[0] is migrants  # ring: i -> i + 1
        # inject puts them first (pycma's force=True: up to one rounding of mean + sigma * (x - mean) / sigma)
        np.testing.assert_allclose(receiver[2][:2], migrants, rtol=0, atol=1e-12)
        assert not np.allclose(by[(k + 1) % 3, 1][2][:2], migrants)  # not there before the migration


def test_random_topology_is_a_random_ring():
    for g in range(20):
        dest = island.destinations("random", 5, 0, g)
        assert sorted(dest) == list(range(5)) and all(d != i for i, d in enumerate(dest))
        seen, i = set(), 0
        for _ in range(5):
            seen.add(i)
            i = dest[i]
        assert len(seen) == 5  # one cycle through all islands
    assert island.destinations("random", 5, 0, 3) == island.destinations("random", 5, 0, 3)
    assert island.destinations("ring", 3, 0, 0) == [1, 2, 0]


def test_errors():
    with pytest.raises(ValueError, match="smaller than one generation"):
        train_islands(CONFIG.replace(budget_evals=15), islands=2, use_ray=False)
    with pytest.raises(ValueError, match="unknown topology"):
        train_islands(CONFIG, topology="star", use_ray=False)
    with pytest.raises(ValueError, match="no inject mechanism"):
        train_islands(CONFIG.replace(method="openai_es"), use_ray=False)
    with pytest.raises(ValueError, match="islands"):
        train_islands(CONFIG, islands=1, use_ray=False)
