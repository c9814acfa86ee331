"""Chapter 3's verdicts on synthetic runs: every branch of the vocabulary."""

import numpy as np
import pandas as pd
import pytest

from evoscale.experiments import compute, report
from evoscale.experiments import compute_verdicts as cv


def runs(finals, early_gain, late_gain, budget=102_400, method="torch_cmaes", machine="test"):
    """Per seed a solved-test curve: linear pieces through 0..40K, 40-50K (early gain), 50-90K,
    90-100K (late gain) per 10K evaluations, ending at that seed's final return."""
    rows = []
    for seed, (fin, ge, gl) in enumerate(zip(finals, early_gain, late_gain)):
        evals = np.arange(2_560, budget + 1, 2_560)
        y100 = fin
        y90 = y100 - gl
        y50 = y90 - 20.0
        y40 = y50 - ge
        y = np.interp(evals, [0, 40_000, 50_000, 90_000, 100_000, budget], [-300, y40, y50, y90, y100, fin])
        for e, v in zip(evals, y):
            rows.append(dict(seed=seed, evals=e, test_return=v, env_steps=300 * e, wall_s=e / 100, opt_s=1.0,
                             pop_eval_s=9.0, n_params=2788, popsize=64, method=method, machine=machine))
    return pd.DataFrame(rows)


def summary(finals, d, check=None, planned=10):
    """A ``compute.summarise`` summary built directly: each seed's final return and its late-minus-early
    gain ``d`` (early gain 0), so the truth of every test is known."""
    finals, d = np.asarray(finals, dtype=float), np.asarray(d, dtype=float)
    seeds = pd.DataFrame(dict(seed=range(len(finals)), final=finals, gain_early=np.zeros(len(d)), gain_late=d))
    return dict(n_seeds=len(finals), planned=planned, threshold=200.0, seeds=seeds, n_solved=int((finals >= 200).sum()),
                budget_evals=102_400, check=check)


def centred(seed=5, n=10, sd=10.0):
    x = np.random.default_rng(seed).normal(0, sd, n)
    return x - x.mean()


def test_confirmed_end_to_end_from_runs():
    rng = np.random.default_rng(0)
    df = runs(250 + rng.normal(0, 5, 10), 40 + rng.normal(0, 3, 10), 5 + rng.normal(0, 3, 10))
    V, F = cv.verdicts(compute.summarise(df, "LunarLander-v3", planned=10), repeats=10)
    assert V["d3.solved"].word == "confirmed" and "n = 10" in V["d3.solved"].number
    assert V["d3.diminishing"].word == "confirmed" and "IQM over seeds" in V["d3.diminishing"].number
    assert V["d3.check"].word == "unresolved" and V["d3.check"].number == "not tested"
    assert V["d3.overall"].word == "confirmed" and set(F) == {"d3.diminishing", "d3.solved"}


def test_refuted_branches():
    rng = np.random.default_rng(1)
    V, _ = cv.verdicts(summary(50 + rng.normal(0, 5, 10), 35 + rng.normal(0, 1, 10)), repeats=10)
    assert V["d3.solved"].word == "refuted" and "below 200" in V["d3.solved"].because
    assert V["d3.diminishing"].word == "refuted"
    assert V["d3.overall"].word == "refuted"


def test_unresolved_states_what_would_resolve_it():
    rng = np.random.default_rng(2)
    V, F = cv.verdicts(summary(210 + rng.normal(0, 60, 10), rng.normal(0, 30, 10)), repeats=10)
    for key in ("d3.solved", "d3.diminishing"):
        assert V[key].word == "unresolved" and "at 80 % power" in V[key].because and "seeds would resolve" in V[key].because
        assert "adjusted" in V[key].because
    assert V["d3.overall"].word == "unresolved" and "0 of 2 sub-claims resolved" in V["d3.overall"].number


def test_holm_leaves_unresolved_what_each_unadjusted_ci_resolves():
    """The old rule: each 95 % CI alone. Two tests with p near 0.04 each: each CI excludes 0, Holm's
    correction over the family does not."""
    from evoscale.stats import paired

    d = centred() - 7.0
    finals = 200 + 7.0 - centred()  # the mirror image: IQM above 200 with the same p
    assert paired(d)["resolved"]  # the old rule's statistic resolved it
    V, F = cv.verdicts(summary(finals, d), repeats=20)
    for key in ("d3.diminishing", "d3.solved"):
        assert F[key]["p"] < 0.05 < F[key]["p_adj"] and not F[key]["resolved"] and not F[key]["borderline"]
        assert V[key].word == "unresolved" and "not resolved after Holm's correction" in V[key].because


def test_borderline_is_unresolved():
    """p hovering at 0.05 across bootstrap seeds: resolved at seed 0, flipping in over 5 % of repeats."""
    rng = np.random.default_rng(4)
    V, F = cv.verdicts(summary(300 + rng.normal(0, 5, 10), centred() - 6.75), repeats=100)
    f = F["d3.diminishing"]
    assert f["p_adj"] < 0.05 and f["borderline"] and not f["resolved"]
    assert V["d3.diminishing"].word == "unresolved" and V["d3.diminishing"].because.startswith("borderline")
    assert V["d3.solved"].word == "confirmed"
    assert V["d3.overall"].word == "refined"  # one confirmed, one open: declared as refined


def test_fewer_seeds_than_declared_stay_unresolved():
    """The old code gave a word from 5 seeds; diminishing returns declares at least 10."""
    V, F = cv.verdicts(summary([250, 260, 270, 255, 265], [-40, -42, -38, -41, -39]), repeats=10)
    assert "d3.diminishing" not in F and V["d3.diminishing"].word == "unresolved"
    assert "at least 10 needed" in V["d3.diminishing"].because
    assert V["d3.solved"].word == "confirmed"


@pytest.mark.parametrize("n", [0, 3])
def test_fewer_than_five_seeds_show_values_not_an_iqm(n):
    df = runs([100, 150, 210][:n], [10] * n, [5] * n) if n else None
    V, F = cv.verdicts(compute.summarise(df, "LunarLander-v3", planned=10), repeats=5)
    v = V["d3.solved"]
    assert v.word == "unresolved" and f"n = {n} of 10" in v.number and not F
    assert "[" not in v.number  # no CI bracket
    if n:
        assert "100, 150, 210" in v.number


def test_crosscheck_compares_at_pycmas_budget_and_is_never_confirmed():
    rng = np.random.default_rng(3)
    main = runs(250 + rng.normal(0, 20, 10), [30] * 10, [5] * 10)
    check = runs(250 + rng.normal(0, 20, 10), [30] * 10, [5] * 10, budget=50_000, method="cmaes")
    S = compute.summarise(main, "LunarLander-v3", check=check, planned=10)
    assert S["check"]["at"] == 48_640  # the check's last solved test
    v = cv.verdicts(S, repeats=5)[0]["d3.check"]
    assert v.word == "unresolved" and "IQM difference" in v.number and "no equivalence margin" in v.because
    differ = runs(100 + rng.normal(0, 5, 10), [30] * 10, [5] * 10, budget=50_000, method="cmaes")
    V, F = cv.verdicts(compute.summarise(main, "LunarLander-v3", check=differ, planned=10), repeats=5)
    assert V["d3.check"].word == "refuted" and "d3.check" in F
    assert "d3.check" not in cv.NAMES  # not a sub-claim of the chapter's word


def test_family_table_lists_every_test():
    V, F = cv.verdicts(summary([250] * 5, [-40] * 5), repeats=5)
    t = cv.family_table(F)
    assert len(t) == 3 and list(t["resolved after Holm"])[0].startswith("not tested")
    assert not any("_" in c for c in t.columns)


def test_combine_follows_the_declared_rule():
    from evoscale.experiments.judging import combine
    from evoscale.experiments.report import Verdict

    names = {"a": "A", "b": "B"}
    v = lambda *w: {k: Verdict(x, "1", "x") for k, x in zip("ab", w)}  # noqa: E731
    assert combine(v("confirmed", "confirmed"), names).word == "confirmed"
    assert combine(v("confirmed", "unresolved"), names).word == "refined"
    assert combine(v("refuted", "unresolved"), names).word == "refuted"
    assert combine(v("refuted", "confirmed"), names).word == "refined"
    assert combine(v("refined", "refuted"), names).word == "refined"
    assert combine(v("unresolved", "unresolved"), names).word == "unresolved"


def test_n_to_resolve_one_sample():
    from scipy import stats as sps

    from evoscale.stats import n_to_resolve_one

    d = np.random.default_rng(0).normal(5, 10, 10)
    n, s = int(n_to_resolve_one(d)), d.std(ddof=1)
    detect = lambda k: (sps.t.ppf(0.975, k - 1) + sps.t.ppf(0.8, k - 1)) * s / np.sqrt(k)  # noqa: E731
    assert detect(n) <= abs(d.mean()) < detect(n - 1)  # the smallest such n
    assert n_to_resolve_one(d, delta=50.0) < n < n_to_resolve_one(d, delta=1.0)
    assert np.isnan(n_to_resolve_one([1.0])) and n_to_resolve_one([1.0, -1.0]) == np.inf


def test_windows_scale_with_a_short_budget():
    assert compute.window(102_400) == ((40_000, 50_000), (90_000, 100_000))
    assert compute.window(20_480) == ((8_192.0, 10_240.0), (18_432.0, 20_480))


def test_report_formatting():
    assert report.num(179454.274314) == "179,454"
    assert report.num(float("nan")) == "–"
    assert report.ci(1.5, 1.0, 2.0, 1) == "1.5 [1.0, 2.0]"
    assert report.over_seeds([1, 2, 3], planned=10) == "1, 2, 3 (n = 3 of 10)"
    assert report.over_seeds(range(10)).endswith("(n = 10)") and "[" in report.over_seeds(range(10))
    with pytest.raises(ValueError, match="verdict word"):
        report.Verdict("okay", "1", "x")


def test_idle_fraction_models_ask_tell_from_unit_costs():
    df = runs([250] * 5, [30] * 5, [5] * 5)
    assert np.isnan(compute.summarise(df, "LunarLander-v3", planned=10)["opt_fraction_idle"])
    costs = pd.DataFrame([dict(method="torch_cmaes", env="LunarLander-v3", eval_s_per_step=1e-5, serial_s_per_gen=0.1),
                          dict(method="ga", env="LunarLander-v3", eval_s_per_step=1.0, serial_s_per_gen=0.0)])
    S = compute.summarise(df, "LunarLander-v3", planned=10, costs=costs)
    gens, steps = 102_400 / 64, 300 * 102_400  # per seed: the last record's generations and env steps
    assert S["opt_fraction_idle"] == pytest.approx(gens * 0.1 / (gens * 0.1 + steps * 1e-5))
    assert S["opt_fraction"] == pytest.approx(0.1)  # the recorded shares: 1 s of 10 per generation
    assert np.isnan(compute.summarise(df, "LunarLander-v3", planned=10, costs=costs[costs.method == "ga"])
                    ["opt_fraction_idle"])
