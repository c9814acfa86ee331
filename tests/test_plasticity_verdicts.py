"""Chapter 7's verdicts on synthetic data whose truth is known: each claim by its declared test, one
Holm family, the minimum n, the borderline rule, and the headline at equal env steps."""

import numpy as np
import pandas as pd
import pytest
from scipy import stats as sps

from evoscale.envs.adapt import BANDIT_ID, CARTPOLE_ID, bandit_bounds, cartpole_references
from evoscale.experiments import plasticity_verdicts as pv
from evoscale.stats import detectable_difference

B = bandit_bounds()
FF, GAP = B["feedforward"], B["oracle"] - B["feedforward"]
BLIND = cartpole_references()["blind"]
STEPS = {BANDIT_ID: 320_000, CARTPOLE_ID: 320_000}

UP = np.array([0.3, 0.4, 0.45, 0.5, 0.5, 0.55, 0.6, 0.35, 0.42, 0.48])  # clearly above 0
DOWN = -UP  # clearly below 0
FLAT = np.array([-0.2, 0.2, -0.1, 0.1, 0.0, 0.05, -0.05, 0.15, -0.15, 0.02])
SPREAD = np.array([-0.6, -0.3, -0.1, 0.0, 0.1, 0.15, 0.3, 0.4, 0.6, 0.9])
ABOVE_BLIND = BLIND + 100 + np.arange(10.0)
FAILED = 35 + np.arange(10.0)  # far below the blind controller, like the stored runs


def frames(at_share=(), full_share=(), cart=(), mlp=(), full_steps=1_280_000):
    """(finals, at_steps) frames as ``plasticity`` builds them: bandit shares become returns."""
    def rows(task, row, vals, steps):
        return [dict(task=task, row=row, seed=s, final=v, env_steps=steps) for s, v in enumerate(vals)]
    at = rows(BANDIT_ID, "neuromod", FF + GAP * np.asarray(at_share, float), 320_000)
    at += rows(CARTPOLE_ID, "neuromod", cart, 300_000) + rows(CARTPOLE_ID, "mlp", mlp, 300_000)
    full = rows(BANDIT_ID, "neuromod", FF + GAP * np.asarray(full_share, float), full_steps)
    cols = ["task", "row", "seed", "final", "env_steps"]
    return pd.DataFrame(full, columns=cols), pd.DataFrame(at, columns=cols)


def judged(planned=10, **kw):
    full, at = frames(**kw)
    return pv.verdicts(full, at, planned, STEPS)


def test_both_parts_confirmed_at_equal_steps():
    V, F = judged(at_share=UP, full_share=UP, cart=ABOVE_BLIND, mlp=FAILED)
    assert {k: v.word for k, v in V.items()} == dict.fromkeys(V, "confirmed")
    assert all(f["resolved"] and not f["borderline"] for f in F.values()) and len(F) == 3
    assert V["q2"].number.startswith("at the baselines' 320,000 env steps, Neuromod closes 0.4")
    assert "above a controller that ignores the flip" in V["q2"].number
    short = pv.short(V, 10, 10, pv.tests(*frames(at_share=UP, full_share=UP, cart=ABOVE_BLIND)), STEPS)
    assert short.startswith("confirmed: at equal env steps (320,000), Neuromod closes 0.4")
    assert short.endswith("(n = 10), CartPoleFlip confirmed") and len(short.split()) <= 25


def test_the_headline_is_at_equal_steps_not_at_the_whole_budget():
    """The stored runs' case: below the fixed-weight bound at 320,000 steps, above it at 4x the steps.
    The old rule took the 1.28M-step share as the headline (refined with CartPoleFlip unresolved)."""
    V, F = judged(at_share=DOWN, full_share=UP, cart=FAILED, mlp=FAILED + 1)
    assert V["q2.bandit_share"].word == "refuted" and V["q2.bandit_share_full"].word == "confirmed"
    assert V["q2.cartpoleflip"].word == "refuted" and "the MLP sits below it too" in V["q2.cartpoleflip"].because
    assert V["q2"].word == "refuted"
    assert "with its whole budget the share is confirmed" in V["q2"].because
    assert "4× the baselines'" in V["q2.bandit_share_full"].number
    assert V["q2"].number.startswith("at the baselines' 320,000 env steps, Neuromod closes -0.4")
    short = pv.short(V, 10, 10, pv.tests(*frames(at_share=DOWN, full_share=UP, cart=FAILED)), STEPS)
    assert short.startswith("refuted: at equal env steps (320,000), Neuromod closes -0.4") and "…" not in short


@pytest.mark.parametrize("at_share,cart,word", [
    (UP, FAILED, "refined"),  # only the bandit share confirmed
    (FLAT, ABOVE_BLIND, "refined"),  # only CartPoleFlip confirmed
    (DOWN, ABOVE_BLIND, "refined"),  # the share refuted, but CartPoleFlip confirmed
    (FLAT, FAILED, "unresolved"),  # the share unresolved, CartPoleFlip refuted: no rule gives a word
])
def test_the_overall_rule(at_share, cart, word):
    V, _ = judged(at_share=at_share, full_share=UP, cart=cart)
    assert V["q2"].word == word


def test_an_unresolved_share_says_what_would_resolve_it():
    V, F = judged(at_share=FLAT, full_share=FLAT, cart=FAILED)
    v = V["q2.bandit_share"]
    assert v.word == "unresolved" and "not resolved after Holm's correction" in v.because
    assert "could only have detected a difference of about" in v.because and "too close to the null" in v.because
    spread, _ = judged(at_share=SPREAD + 0.05, full_share=UP, cart=FAILED)
    assert "seeds would resolve the observed one" in spread["q2.bandit_share"].because
    assert V["q2"].word == "unresolved" and "to resolve it:" in V["q2"].because


def test_below_the_minimum_n_stays_unresolved_where_the_old_rule_resolved():
    """Six seeds of a clearly positive share: the old rule resolved it from five seeds on; the declared
    minimum for the equal-steps share is ten (five for the whole-budget share)."""
    V, F = judged(planned=10, at_share=UP[:6], full_share=UP[:6], cart=ABOVE_BLIND[:6])
    assert "q2.bandit_share" not in F and "q2.cartpoleflip" not in F and "q2.bandit_share_full" in F
    assert V["q2.bandit_share"].word == "unresolved" and "at least 10 needed" in V["q2.bandit_share"].because
    assert "n = 6 of 10" in V["q2.bandit_share"].because
    assert V["q2.bandit_share_full"].word == "confirmed"
    assert V["q2.cartpoleflip"].word == "unresolved" and V["q2"].word == "unresolved"


def test_holm_unresolves_what_each_ci_alone_resolves():
    """Two shares whose 95 % CIs alone exclude 0 (raw p about 0.035) and a third test far from its null:
    after Holm the two need p below 0.025 and stay unresolved."""
    V, F = judged(at_share=SPREAD + 0.16, full_share=SPREAD + 0.16, cart=FAILED)
    for key in ("q2.bandit_share", "q2.bandit_share_full"):
        assert F[key]["p"] < 0.05 and F[key]["p_adj"] > 0.05 and not F[key]["resolved"]
        assert V[key].word == "unresolved"
    assert V["q2.cartpoleflip"].word == "refuted"
    table = pv.family_table(F)
    assert list(table["resolved after Holm"]) == ["no", "no", "yes"]


def test_a_decision_that_flips_with_the_bootstrap_seed_is_borderline():
    V, F = judged(at_share=SPREAD + 0.14, full_share=UP[:3])  # a family of one test, p near 0.05
    assert list(F) == ["q2.bandit_share"] and F["q2.bandit_share"]["borderline"]
    assert V["q2.bandit_share"].word == "unresolved" and "borderline" in V["q2.bandit_share"].because


def test_nothing_stored():
    full, at = frames()
    V, F = pv.verdicts(full, at, 10, STEPS)
    assert F == {} and all(v.word == "unresolved" for v in V.values())
    assert pv.short(V, 10, 0) == "unresolved: not run yet (n = 0 of 10 seeds); the campaign trains chapter 7's runs"


def test_one_sample_numbers():
    x = np.array([1.0, 2.0, 3.0, 4.0, 5.0, 6.0])
    r = pv.one_sample(x, 2.0)
    assert r["diff"] == pytest.approx(3.5 - 2.0) and r["lo"] < r["diff"] < r["hi"] and r["above"] == 4
    assert r["detectable"] == pytest.approx(detectable_difference(x - 2.0))
    n = int(pv.n_one_sample(x - 2.0))  # the smallest n at which a one-sample t-test detects the observed mean
    need = lambda k: (sps.t.ppf(0.975, k - 1) + sps.t.ppf(0.8, k - 1)) * (x - 2.0).std(ddof=1) / np.sqrt(k)  # noqa: E731
    assert need(n) <= abs((x - 2.0).mean()) < need(n - 1)
    assert np.isinf(pv.n_one_sample([-1.0, 1.0])) and np.isnan(pv.n_one_sample([1.0]))
