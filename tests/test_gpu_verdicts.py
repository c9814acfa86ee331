"""Chapter 8's verdicts on synthetic measurements whose truth is known: each claim by its declared test
(median over rounds of a per-round ratio against a fixed null), one Holm family, the minimum of rounds,
the borderline rule, and open question 4 unresolved while no GPU run exists."""

import numpy as np
import pandas as pd
import pytest

from evoscale.experiments import gpu_verdicts as gv

BOUND = 2.5
SHARES = pd.DataFrame({"amdahl_bound": [1.1, BOUND]})
CHECKS = pd.DataFrame({"swap_actions": [False, False, True], "resolved": [False, False, True]})


def jax(ratios, top=4096):
    """``bench_jax``'s table: per round the lockstep and JAX rates at the largest population (and a smaller one)."""
    rows = [dict(round=i, popsize=top, lockstep=1e4, jax=1e4 * r) for i, r in enumerate(ratios)]
    rows += [dict(round=i, popsize=16, lockstep=1e4, jax=1.0) for i in range(len(ratios))]
    return pd.DataFrame(rows)


def speed(ratios=None):
    row = dict(env="LunarLander-v3", popsize=64, envpool_steps_per_s=2.0, lockstep_steps_per_s=1.0, ratio=1.7,
               ratio_min=1.5, ratio_max=1.8)
    return pd.DataFrame([row if ratios is None else {**row, "ratios": list(ratios)}])


def mjx(ratios=()):
    return {"mjx": [{"batch": 16, "steps_per_s": 90.0, "over_mujoco_newton": 0.04},
                    {"batch": 256, "steps_per_s": 120.0, "over_mujoco_newton": 0.05, "ratios": list(ratios)}]}


def gpu_check(ratios):
    return {"machine": "one GPU", "sections": {"sim_vs_inference": {"ok": True, "ratios": list(ratios)}}}


def judged(jax_ratios=(40, 30, 90, 45, 28), envpool=None, mjx_ratios=(), G=None, checks=CHECKS):
    return gv.verdicts(jax(jax_ratios), SHARES, checks, speed(envpool), mjx(mjx_ratios), G)


def test_no_gpu_run_leaves_the_question_unresolved_whatever_the_cpu_shows():
    """The stored case: the old rule said "refined" from the CPU measurements alone."""
    V, F = judged()
    assert V["q4.jax_cpu"].word == "confirmed" and "against the largest forward-only bound measured, 2.50×" in \
        V["q4.jax_cpu"].number
    assert V["q4.gpu"].word == "unresolved" and V["q4.gpu"].number == "not tested: no GPU run stored"
    q4 = V["q4"]
    assert q4.word == "unresolved" and q4.because.startswith("unresolved for the GPU until a GPU run exists: a GPU run")
    assert "beyond the 2.50× that a GPU running only the forward could give at most" in q4.number
    assert list(F) == ["q4.jax_cpu"]
    short = gv.short(V, gv.tests(jax((40, 30, 90, 45, 28)), SHARES, CHECKS, speed(), mjx(), None))
    assert short == ("unresolved: no GPU run yet (on one CPU core CartPole compiled with its policy ran 40.0× "
                     "[28.0×, 90.0×] the lockstep evaluator, n = 5 rounds)")
    assert len(short.split()) <= 25


def test_a_gpu_check_without_the_section_times_neither_side():
    V, _ = judged(G={"machine": "H100", "sections": {"mjx": {"ok": True, "rows": []}}})
    assert V["q4.gpu"].word == "unresolved" and "the GPU run on H100 timed neither side" in V["q4.gpu"].number


@pytest.mark.parametrize("ratios,word", [((3.0, 2.5, 4.0, 3.5, 2.8), "confirmed"), ((0.5, 0.4, 0.7, 0.6, 0.3), "refuted")])
def test_a_gpu_run_decides_the_question(ratios, word):
    V, F = judged(G=gpu_check(ratios))
    assert V["q4.gpu"].word == word and V["q4"].word == word and F["q4.gpu"]["resolved"]
    assert "on the CPU, compiled JAX loop confirmed" in V["q4"].because


def test_the_jax_claim_against_the_bound():
    V, _ = judged(jax_ratios=(1.2, 1.5, 1.1, 2.0, 1.3))  # faster than lockstep, but below the forward-only bound
    assert V["q4.jax_cpu"].word == "refuted"
    assert "against the 2.50×" in V["q4"].number


def test_fewer_rounds_than_declared_stay_unresolved():
    V, F = judged(jax_ratios=(40, 30, 90, 45), mjx_ratios=(0.05, 0.04))
    assert F == {} and V["q4.jax_cpu"].word == "unresolved" and "4 rounds stored, at least 5 rounds needed" in \
        V["q4.jax_cpu"].because
    assert V["q4.mjx_cpu"].word == "unresolved" and "the MJX benchmark" in V["q4.mjx_cpu"].because
    assert "no GPU run stored" == V["q4"].number


def test_envpool_needs_per_round_ratios_and_equivalent_simulators():
    V, _ = judged()
    assert V["q4.envpool_cpu"].word == "unresolved" and "only their median and range" in V["q4.envpool_cpu"].because
    V, F = judged(envpool=(1.7, 1.6, 1.8, 1.75, 1.65))
    assert V["q4.envpool_cpu"].word == "confirmed" and "none of 2 equivalence checks" in V["q4.envpool_cpu"].number
    broken = pd.DataFrame({"swap_actions": [False, False, True], "resolved": [True, False, True]})
    V, F = judged(envpool=(1.7, 1.6, 1.8, 1.75, 1.65), checks=broken)
    assert "q4.envpool_cpu" not in F and V["q4.envpool_cpu"].word == "unresolved"
    assert "not valid as stated: 1 of 2 equivalence checks resolved a difference" in V["q4.envpool_cpu"].because


def test_mjx_at_its_best_batch():
    V, F = judged(mjx_ratios=(0.05, 0.06, 0.04, 0.05, 0.055))
    assert V["q4.mjx_cpu"].word == "refuted" and "batch 256" in V["q4.mjx_cpu"].number
    assert V["q4.mjx_cpu"].because.startswith("the CI lies below 1: MJX pays, if at all, only on an accelerator")


def test_holm_unresolves_what_each_ci_alone_resolves():
    """Two claims whose CIs alone exclude their null (3 of 13 rounds on the wrong side: raw p about 0.03)
    are not resolved in a family of two."""
    thirteen = [0.5] * 3 + [2.0] * 10
    V, F = judged(jax_ratios=[BOUND * r for r in thirteen], envpool=thirteen)
    for key in ("q4.jax_cpu", "q4.envpool_cpu"):
        assert F[key]["p"] < 0.05 and F[key]["p_adj"] > 0.05 and not F[key]["resolved"]
        assert V[key].word == "unresolved" and "not resolved after Holm's correction" in V[key].because
    assert list(gv.family_table(F)["resolved after Holm"]) == ["no", "no"]


def test_a_decision_that_flips_with_the_bootstrap_seed_is_borderline():
    fifteen = [0.5] * 4 + [2.0] * 11  # raw p about 0.05 in a family of one
    V, F = judged(jax_ratios=[BOUND * r for r in fifteen])
    assert F["q4.jax_cpu"]["borderline"] and V["q4.jax_cpu"].word == "unresolved"
    assert "borderline" in V["q4.jax_cpu"].because


def test_ratio_numbers():
    r = gv.ratio_numbers([1.0, 2.0, 4.0, 8.0, 16.0], 3.0)
    assert r["ratio"] == 4.0 and r["lo"] <= 4.0 <= r["hi"] and r["n"] == 5 and r["above"] == 3
    assert r["lo"] >= 1.0 and r["hi"] <= 16.0
    assert np.allclose(gv.median_draws([2.0] * 5, 100), np.log(2.0))
