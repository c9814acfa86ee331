"""``bench lowrank`` (issue 39): correct at tiny sizes -- the networks it sizes, the three forwards it
times, its JSON -- and its refusal of a size that cannot fit. Its timings mean nothing here."""

import json
import subprocess
import sys

import numpy as np
import pytest

from evoscale.bench import lowrank
from evoscale.policies import MLPPolicy, param_count


@pytest.mark.parametrize("target", [100_000, 1_000_000, 3_000_000, 10_000_000])
def test_the_networks_have_about_the_target_parameter_count(target):
    h = lowrank.hidden_for(target, 24, 4)
    n = param_count(24, (h, h), 4)
    assert abs(n - target) < 0.01 * target
    assert all(abs(param_count(24, (w, w), 4) - target) >= abs(n - target) for w in (h - 1, h + 1))


def test_the_three_forwards_compute_what_they_claim():
    policy = MLPPolicy(5, (7, 7), 3, False, (-1.0, -1.0, -1.0), (1.0, 1.0, 1.0))
    rng = np.random.default_rng(0)
    centre, obs = rng.normal(size=policy.n_params), rng.normal(size=(8, 5))
    batch = lowrank._prepare("batch", policy, centre, 8, 0.1, 1, 0)
    np.testing.assert_allclose(lowrank.batch_forward(policy, batch, obs),
                               policy.forward(policy.unflatten(np.tile(centre, (8, 1))), obs), rtol=1e-12)
    low = lowrank._prepare("lowrank", policy, centre, 8, 0.01, 1, 0)
    assert type(low[0]).__name__ == "FactoredLayer" and low[0].U.shape == (8, 5, 1)
    full = lowrank._prepare("full", policy, centre, 8, 0.01, 1, 0)
    assert full[0][0].shape == (8, 5, 7)
    for layers in (low, full):  # perturbed: near the centre's actions, not equal
        diff = np.abs(policy.forward(layers, obs) - lowrank.batch_forward(policy, batch, obs))
        assert 0 < diff.max() < 0.2


def test_tiny_sizes_give_the_json_of_every_mode():
    out = lowrank.bench_lowrank([3_000, 20_000], popsize=8, repeats=2, log=lambda m: None)
    assert out["threads"] == 1 and out["popsize"] == 8 and out["rank"] == 1
    for target, row in out["sizes"].items():
        assert abs(row["n_params"] - int(target)) < 0.05 * int(target)
        assert set(row["forward_s"]) == set(row["setup_s"]) == {"batch", "lowrank", "full"}
        assert all(t > 0 for t in row["forward_s"].values())
        for mode in ("lowrank", "full"):
            assert row["throughput_vs_batch"][mode] == pytest.approx(row["forward_s"]["batch"] / row["forward_s"][mode])
        assert row["goal_met"] is None  # below 1M parameters
    json.dumps(out, allow_nan=False)


def test_a_size_that_cannot_fit_is_refused_before_anything_is_allocated(monkeypatch):
    import evoscale.machine

    monkeypatch.setattr(evoscale.machine, "available_bytes", lambda: 50 * 2**20)  # 50 MiB
    monkeypatch.setattr(lowrank, "_prepare", lambda *a: pytest.fail("allocated before refusing"))
    with pytest.raises(ValueError, match="size 1,000,000 .* GiB at its peak.* more than the .* GiB available"):
        lowrank.bench_lowrank([10_000, 1_000_000], popsize=64, log=lambda m: None)


@pytest.mark.parametrize("kw,match", [({"popsize": 7}, "popsize"), ({"rank": 0}, "rank"), ({"repeats": 0}, "repeats"),
                                      ({"sizes": [0]}, "sizes"), ({"sizes": [3]}, "too small")])
def test_bad_arguments_name_themselves(kw, match):
    args = {"sizes": [3_000], "log": lambda m: None, **kw}
    with pytest.raises(ValueError, match=match):
        lowrank.bench_lowrank(**args)


def test_the_cli_refuses_in_one_line_with_exit_2():
    r = subprocess.run([sys.executable, "-m", "evoscale", "bench", "lowrank", "--sizes", "1000000000000"],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 2 and r.stdout == ""
    assert r.stderr.count("\n") == 1 and "at its peak" in r.stderr and "more than the" in r.stderr


def test_the_cli_prints_json_last():
    r = subprocess.run([sys.executable, "-m", "evoscale", "bench", "lowrank", "--sizes", "2000", "--popsize", "4",
                        "--repeats", "1"], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout.strip().splitlines()[-1])
    assert list(out["sizes"]) == ["2000"] and out["sizes"]["2000"]["hidden"][0] == out["sizes"]["2000"]["hidden"][1]
