"""Chapter 6's experiment module on synthetic records: configs shared with chapters 3 and 5, the
one-core cost model, the crossover model (every branch), summaries and verdicts."""

import numpy as np
import pandas as pd
import pytest

from evoscale import campaign
from evoscale.experiments import backprop as b
from evoscale.experiments import backprop_measure as bm
from evoscale.experiments import backprop_verdicts as bv
from evoscale.experiments import compute, methods, report


def test_book_configs_are_chapter_3_and_5_runs_and_budgets_are_matched():
    P = b.params({"profile": "book"})
    ll = P.configs("LunarLander-v3")
    cma = [c.key() for s, c in ll if c.method == "torch_cmaes"]
    assert cma == [c.key() for c in compute.params({"profile": "book"}).configs()]
    ppo = [c for s, c in ll if s == "ppo"]
    assert [c.key() for c in ppo] == [c.key() for c in methods.ppo_configs(methods.params({"profile": "book"}))]
    assert {c.budget_steps for c in ppo} == {3 * b.ZOO_STEPS["LunarLander-v3"]}
    cp = P.configs("CartPole-v1")
    assert {c.budget_steps for s, c in cp if s == "ppo"} == {3 * b.ZOO_STEPS["CartPole-v1"]}
    assert all(c.budget_evals % c.test_every == 0 and c.test_every % c.popsize == 0 for s, c in P.configs() if s == "es")
    assert {c.method for s, c in cp} == {"torch_cmaes", "openai_es", "ga", "ppo"}
    assert len([1 for s, c in P.configs("BipedalWalker-v3")]) == 6


def test_campaign_needs_chapter_6_with_its_priorities():
    n = [x for x in campaign.needs("book", ["06"])]
    P = b.params({"profile": "book"})
    es_net = b.es_network_ppo_configs(P)
    assert len(n) == len(P.configs()) + len(es_net)
    # PPO on the ES's 64-32 network (actor and critic), LunarLander's budget and seeds, after the tuning runs
    assert len(es_net) == 10 and {c.hyper for c in es_net} == {(("net_arch", (64, 32)),)}
    assert {c.budget_steps for c in es_net} == {3 * b.ZOO_STEPS["LunarLander-v3"]}
    assert {x.priority for x in n if x.config.hyper and dict(x.config.hyper).get("net_arch")} == {4}
    n = [x for x in n if not (x.config.hyper and dict(x.config.hyper).get("net_arch"))]
    prio = {(x.config.env, x.config.method == "ppo"): x.priority for x in n}
    assert prio[("LunarLander-v3", False)] == 4 and prio[("LunarLander-v3", True)] == 3
    assert prio[("CartPole-v1", False)] == 3 and prio[("BipedalWalker-v3", True)] == 7


def records(method, seed, rets, steps_per_gen, env="CartPole-v1"):
    g = np.arange(len(rets))
    return pd.DataFrame(dict(method=method, env=env, seed=seed, generation=g, evals=(g + 1) * 10,
                             env_steps=(g + 1) * steps_per_gen, pop_eval_s=steps_per_gen * 1e-4, opt_s=0.01,
                             test_return=rets, machine="test box"))


def test_unit_costs_and_one_core_wall():
    df = pd.concat([records("ppo", 0, [1.0, 2.0], 100), records("ga", 0, [1.0, 2.0], 50)])
    c = b.unit_costs(df)
    assert c.set_index("method").loc["ppo", "eval_s_per_step"] == pytest.approx(1e-4)
    assert c.set_index("method").loc["ga", "serial_s_per_gen"] == pytest.approx(0.01)
    w = b.one_core_wall(df, c)
    assert w.iloc[1] == pytest.approx(200 * 1e-4 + 2 * 0.01)
    assert b.one_core_wall(df, None).isna().all()
    # a run cut after its first (untimed) period: the first kept generation's steps are unknown, not
    # its cumulative count; the serial cost is the mean, so a periodic spike counts at its share
    cut = records("torch_cmaes", 0, [1.0] * 6, 100).assign(opt_s=[9.0, 0.1, 0.1, 0.1, 2.1, 0.1]).iloc[2:]
    c = b.unit_costs(cut).iloc[0]
    assert c["eval_s_per_step"] == pytest.approx(1e-4) and c["serial_s_per_gen"] == pytest.approx(0.6)


def test_speedup_measured_modelled_and_capped():
    # compute-bound: messages cost little, so more processes help, up to where they cost more than they save
    s, measured = b.speedup([1, 2, 4, 32], {2: 1.9}, cap=8)
    c = 1 / 1.9 - 0.5
    assert s[:2].tolist() == pytest.approx([1, 1.9]) and measured.tolist() == [True, True, False, False]
    assert s[2] == pytest.approx(1 / (1 / 4 + 3 * c)) and s[3] == pytest.approx(max(1 / (1 / p + (p - 1) * c)
                                                                                    for p in range(1, 9)))
    s, measured = b.speedup([2], {2: 1.6}, cap=1)  # capped below a measured W: one process
    assert s[0] == 1.0 and measured[0]  # one env: one process at most, and that is measured
    s, _ = b.speedup([1, 3], {})
    assert s[0] == 1 and np.isnan(s[1])  # nothing measured, no model: nothing beyond one core


def test_a_side_slower_on_two_processes_never_gains_from_more_cores():
    """IPC-bound (PPO's measured 0.37 on LunarLander): the model keeps it on one process at every W."""
    s, measured = b.speedup(b.CORES, {2: 0.37}, cap=16)
    assert np.all(s == 1.0) and measured.all()
    assert b.ipc_speedup({2: 0.37}, np.arange(2, 1025)).max() < 1


def test_a_modelled_side_takes_its_best_count_and_never_slows_down():
    s, measured = b.speedup([1, 2, 4, 8, 16], {2: 1.8}, modelled={4: 3.0, 8: 5.0, 16: 4.0})
    assert s.tolist() == [1, 1.8, 3.0, 5.0, 5.0] and measured.tolist() == [True, True, False, False, False]


def test_time_to_threshold_and_crossover():
    W = np.array([1, 2, 4, 8, 16])
    es = b.time_to_threshold(np.full(6, 1e6), np.full(6, 100), 1e-4, 0.1, W, {2: 2.0})  # 100/s(W) + 10
    ppo = b.time_to_threshold(np.full(6, 1e5), np.full(6, 50), 1e-4, 0.5, W, {2: 1.5}, cap=2)  # 10/s + 25
    assert es[0, :2].tolist() == pytest.approx([110, 60])  # s(2) = 2: no message cost, so linear
    assert es[0].tolist() == pytest.approx([110, 60, 35, 22.5, 16.25])
    assert ppo[0, -1] == pytest.approx(10 / 1.5 + 25)
    hit = np.ones(6, bool)
    c = b.crossover(es + np.arange(6)[:, None], hit, ppo, hit, W, n_resamples=50)
    assert c["w"] == 8 and c["lo"] == 8 and c["hi"] == 8 and c["share"] == 1.0  # ES 25 vs PPO 31.7 s at W = 8
    assert c["back"] is None  # ES stays ahead
    saturated = es.copy()
    saturated[:, -1] = 100  # the ES slower again at W = 16 (e.g. a central server's communication)
    c = b.crossover(saturated, hit, ppo, hit, W, n_resamples=20)
    assert c["w"] == 8 and c["back"] == 16
    C = {"cross": c, "es": "torch_cmaes"}
    assert b.cross_text(C, None).endswith("; PPO is ahead again from W = 16 (modelled)")
    assert "(modelled beyond 2 cores; 95 % CI 8–8 cores" in b.cross_text(C, None)
    never = b.crossover(ppo + 1000, hit, ppo, hit, W, n_resamples=20)
    assert never["w"] is None and not np.isfinite(never["lo"]) and never["share"] == 0
    assert "do not cross up to" in b.cross_text({"cross": never, "es": "torch_cmaes"}, None)
    # censored seeds count at their budget: 4 of 6 ES seeds never reached it, so the ES median is not
    # reached at any W and there is no crossover, although the 2 that reached it were fastest
    censored = es.copy()
    censored[:2] = 1.0
    c = b.crossover(censored, np.array([True, True, False, False, False, False]), ppo, hit, W, n_resamples=50)
    assert c["w"] is None and c["reached_es"] == 2 and c["n_es"] == 6
    dropped = b.crossover(censored[:2], hit[:2], ppo, hit, W, n_resamples=50)  # what dropping them would say
    assert dropped["w"] == 1
    empty = b.crossover(np.zeros((0, 5)), np.zeros(0, bool), ppo, hit, W)
    assert empty["w"] is None and empty["n_es"] == 0


def synthetic(n_ppo=6, n_es=6):
    rng = np.random.default_rng(0)
    frames = [records("ppo", s, np.linspace(0, 500, 10) + rng.normal(0, 5, 10), 1000) for s in range(n_ppo)]
    frames += [records("torch_cmaes", s, np.linspace(0, 300, 10) + rng.normal(0, 5, 10), 5000) for s in range(n_es)]
    return pd.concat(frames, ignore_index=True)


def test_summarise_and_table():
    df = synthetic()
    costs = b.unit_costs(df)
    S = b.summarise(df, "CartPole-v1", planned=10, costs=costs)
    assert S["rows"]["ppo"]["solved"] == 6 and S["rows"]["torch_cmaes"]["solved"] == 0
    assert S["compare"]["torch_cmaes"]["env_steps"]["at"] == 10_000
    t = b.table(S)
    assert t.loc["PPO", "seeds solved"] == "6 (n = 6 of 10)" and "[" in t.loc["PPO", "env steps to threshold"]
    assert t.loc["PPO", "env steps to threshold"].endswith("(6 of 6 reached, 10 planned)")
    assert t.loc["CMA-ES (torch)", "env steps to threshold"] == "not reached (0 of 6 reached, 10 planned)"
    assert "sampled" in " ".join(t.columns)
    p = S["compare"]["torch_cmaes"]["env_steps"]["cmp"]  # P(PPO > ES) per ES row, "–" on PPO's own
    assert t.loc["CMA-ES (torch)", "P(PPO > ES), equal env steps"].startswith(f"{p['p']:.2f} [") and p["p"] > 0.5
    assert "at 10,000 (n = 6 vs 6)" in t.loc["CMA-ES (torch)", "P(PPO > ES), equal env steps"]
    assert t.loc["PPO", "P(PPO > ES), equal env steps"] == "–"
    assert list(b.table(S, ("torch_cmaes", "ppo")).index) == ["CMA-ES (torch)", "PPO"]
    assert list(b.table(S, ("ppo",)).index) == ["PPO", "CMA-ES (torch)"]  # methods not in the order come after
    few = b.table(b.summarise(synthetic(n_ppo=3), "CartPole-v1", 10))
    assert few.loc["CMA-ES (torch)", "P(PPO > ES), equal env steps"] == "– at 10,000 (n = 3 vs 6)"


def test_verdicts_with_few_seeds_or_nothing_stay_unresolved():
    few = b.summarise(synthetic(n_ppo=3), "CartPole-v1", 10)
    V, F = bv.verdicts({"CartPole-v1": few}, {}, main="CartPole-v1", repeats=3)
    assert all(v.word == "unresolved" for v in V.values()) and "q1.data" not in F
    none = b.summarise(None, "CartPole-v1", 10)
    V, F = bv.verdicts({"CartPole-v1": none}, {}, main="CartPole-v1", repeats=3)
    assert all(v.word == "unresolved" for v in V.values()) and F == {} and b.table(none).empty
    es_only = b.summarise(synthetic()[lambda d: d.method != "ppo"], "CartPole-v1", 10)
    V, _ = bv.verdicts({"CartPole-v1": es_only}, {}, main="CartPole-v1", repeats=3)
    assert V["q1.data"].word == "unresolved" and "0 seeds on the smaller side" in V["q1.data"].number


def test_band_needs_five_seeds():
    v = np.arange(12, dtype=float).reshape(6, 2)
    mid, lo, hi = b.band(v)
    assert np.all(lo <= mid) and np.all(mid <= hi)
    assert np.isnan(b.band(v[:4])[0]).all()


@pytest.mark.slow  # over a minute: it times PPO rollouts and Ray speedups for two ES, three times
def test_idle_core_measurements_run_at_tiny_sizes(tmp_path, monkeypatch):
    """The code the idle machine runs (``python -m evoscale bench costs``), at tiny sizes; the
    numbers mean nothing on this loaded machine."""
    monkeypatch.setenv("EVOSCALE_RESULTS", str(tmp_path))
    assert b.load_costs("smoke") == (None, None)
    out = bm.measure_and_store("smoke", ("CartPole-v1",), log=lambda *a: None, generations=2, ppo_rollouts=1, steps=8)
    costs, speed = b.load_costs("smoke")
    assert set(costs["method"]) == {"torch_cmaes", "openai_es", "ppo"} and (costs["eval_s_per_step"] > 0).all()
    assert speed["workers"].tolist() == [1, 2] and speed["speedup"].iloc[0] == 1 and len(out["ppo_speedup"]) == 2
    # chapter 4 has no CartPole measurement: the ES's Ray speedup is measured on this chapter's network
    own = pd.read_csv(b.es_speedup_path("smoke", "CartPole-v1", "torch_cmaes"))
    assert set(own["workers"]) == {0, 1, 2} and set(own["n_params"]) == {4 * 4 + 4 + 4 * 2 + 2 + 2 * 2 + 2}
    measured, _ = b.es_speedup("smoke", "CartPole-v1", W=[1, 2, 8])
    assert set(measured) == {1, 2} and len(out["es_speedup"]) == 6  # workers 0, 1, 2 of each ES method
    assert {r["method"] for r in out["es_speedup"]} == {"torch_cmaes", "openai_es"}
    assert b.es_speedup("smoke", "CartPole-v1", W=[1, 2], method="openai_es")[0].keys() == {1, 2}
    # only the missing ES speedups: the cost tables are left as they are
    b.es_speedup_path("smoke", "CartPole-v1", "openai_es").unlink()
    stamp = b.cost_paths("smoke")[0].stat().st_mtime_ns
    only = bm.measure_and_store("smoke", ("CartPole-v1",), log=lambda *a: None, es_speedup_only=True)
    assert {r["method"] for r in only["es_speedup"]} == {"openai_es"} and only["unit_costs"] == []
    assert b.cost_paths("smoke")[0].stat().st_mtime_ns == stamp
    # re-measuring one task keeps the other tasks' rows
    path = b.cost_paths("smoke")[0]
    pd.concat([costs, costs.assign(env="LunarLander-v3")]).to_csv(path, index=False)
    again = bm.measure_and_store("smoke", ("CartPole-v1",), log=lambda *a: None, generations=2, ppo_rollouts=1,
                                steps=8)
    assert again["es_speedup"] == []  # measured once, then read
    kept = b.load_costs("smoke")[0]
    assert (kept["env"] == "LunarLander-v3").sum() == 3 and (kept["env"] == "CartPole-v1").sum() == 3
    with pytest.raises(ValueError, match="no task 'Humanoid-v5' in chapter 6's 'smoke' profile"):
        bm.measure_and_store("smoke", ("Humanoid-v5",))


def test_cores_and_figures_at_any_state():
    import matplotlib

    matplotlib.use("Agg")
    df = synthetic().assign(test_return=lambda d: d["test_return"] + 300)  # both sides reach 475
    costs = b.unit_costs(df)
    S = b.summarise(df, "CartPole-v1", 10, costs)
    C = b.cores(S, costs, {2: 1.8}, {2: 1.5})
    assert C["es"] == "torch_cmaes" and C["ppo"].shape == (6, len(b.CORES)) and C["cross"]["n_es"] == 6
    assert C["es_measured"][:2].all() and not C["es_measured"][2:].any()
    slower = b.cores(S, costs, {2: 1.8}, {2: 0.5})  # 2 processes slow PPO down: with 2 cores it keeps to 1
    assert np.allclose(slower["ppo"][:, 1], slower["ppo"][:, 0]) and (np.diff(slower["ppo"], axis=1) <= 0).all()
    assert (np.diff(C["torch_cmaes"], axis=1) <= 0).all()
    assert b.cores(S, None, {2: 1.8}, {2: 1.5}) is None and b.cores(S, costs[costs.method != "ppo"], {2: 1.8}, {2: 1.5}) is None
    assert b.missing_inputs(S, costs, {2: 1.8}, {2: 1.5}) is None
    # without a measured ES speedup the model would assume linear scaling: no crossover, and says why
    assert b.cores(S, costs, {}, {2: 1.5}) is None
    assert b.missing_inputs(S, costs, {}, {2: 1.5}) == "the ES's measured Ray speedup"
    empty = b.summarise(None, "CartPole-v1", 10)
    assert b.cores(empty, costs, {2: 1.8}, {2: 1.5}) is None
    assert b.missing_inputs(empty, None, {}, {}).startswith("CMA-ES (torch) runs; PPO runs; the idle-core unit costs")
    unsolved = b.summarise(synthetic(), "CartPole-v1", 10, costs)
    for fig in (b.figure_curves(df, [S], costs), b.figure_curves(None, [empty], None),
                b.figure_cores([(C, S, None), (None, empty, b.missing_inputs(empty, None, {}, {}))]),
                b.figure_cores([(b.cores(unsolved, costs, {2: 1.8}, {2: 1.5}), unsolved, None)])):
        assert fig.axes
    other = dict(C, es="openai_es", openai_es=C["torch_cmaes"] * 2, reached={**C["reached"], "openai_es": C["reached"]["torch_cmaes"]})
    fig = b.figure_cores([(C, S, None)], {"CartPole-v1": [other, None]})
    labels = fig.axes[0].get_legend_handles_labels()[1]
    assert any(t.startswith("OpenAI-ES (6 of 6") for t in labels) and any(t.startswith("CMA-ES (torch)") for t in labels)
    assert b.es_speedup("nowhere", "CartPole-v1") == ({}, {})
    # the ES's 2-worker speedup of 1.8 calibrates its message cost: at most about 2.4 on any count, so no
    # crossover; a near-linear modelled ES (e.g. a cluster simulation) overtakes PPO further out
    assert b.cross_text(C, None).startswith("the medians do not cross up to 1,024 cores")
    linear = b.cores(S, costs, {2: 1.8}, {2: 1.5}, es_modelled={int(w): 0.9 * w for w in b.CORES[2:]})
    assert b.cross_text(linear, None).startswith("CMA-ES (torch) reaches the threshold sooner than PPO from W = ")
    assert "modelled beyond 2 cores" in b.cross_text(linear, None)
    assert b.cross_text(None, "PPO runs") == "not available yet (missing: PPO runs)"
    # no ES seed reached the threshold: every seed censored at its budget, so no ES median and no crossover
    none = b.cores(unsolved, costs, {2: 1.8}, {2: 1.5})
    assert none["cross"]["w"] is None and none["cross"]["reached_es"] == 0 and none["cross"]["n_es"] == 6
    assert b.cross_text(none, None).startswith("the medians do not cross up to 1,024 cores")


def test_es_speedup_measured_then_cluster_sim(tmp_path, monkeypatch):
    """Chapter 4's speedup table (synthetic): workers 0 (in-process), 1, 2 measured; beyond: cluster_sim."""
    rows = [dict(workers=w, generation=g, eval_s=e, opt_s=0.1, env_steps=6000, startup_s=0.0, env="LunarLander-v3",
                 method="torch_cmaes", n_params=2788, popsize=64, raw_steps_per_s=4e4, machine="test box")
            for w, e in ((0, 0.14), (1, 0.142), (2, 0.08)) for g in range(3)]
    (tmp_path / "book" / "workers").mkdir(parents=True)
    pd.DataFrame(rows).to_csv(tmp_path / "book" / "workers" / "speedup-LunarLander-v3-torch_cmaes-x.csv", index=False)
    pd.DataFrame(rows).assign(eval_s=1.0, method="cmaes").to_csv(  # another method's table is not read
        tmp_path / "book" / "workers" / "speedup-LunarLander-v3-cmaes-x.csv", index=False)
    monkeypatch.setenv("EVOSCALE_RESULTS", str(tmp_path))
    measured, modelled = b.es_speedup("book", "LunarLander-v3", W=[1, 2, 8, 64, 256])
    assert measured == pytest.approx({1: 0.14 / 0.142, 2: 0.14 / 0.08})
    # simulated up to the population's 64 workers only: a 65th has no evaluation to take
    assert set(modelled) == {8, 64} and 1 < modelled[8] < 8
    s, flags = b.speedup([2, 8, 256], measured, modelled=modelled)
    assert s[1] == modelled[8] and flags.tolist() == [True, False, False]
    assert s[2] == max(measured[2], *modelled.values())  # 256 cores: the best count up to 64


def solving(method, seed, hit_gen, steps_per_gen, gens=40):
    """Records whose solved test jumps from 0 to 500 at generation ``hit_gen`` (never: hit_gen >= gens)."""
    return records(method, seed, np.where(np.arange(gens) >= hit_gen, 500.0, 0.0), steps_per_gen)


def _summary(es_gens, es_steps, n=10):
    ppo = [solving("ppo", s, g, 1_000) for s, g in enumerate(((5, 6) * n)[:n])]
    es = [solving("torch_cmaes", s, g, es_steps) for s, g in enumerate(es_gens)]
    df = pd.concat(ppo + es, ignore_index=True)
    return b.summarise(df, "CartPole-v1", n, b.unit_costs(df))


@pytest.mark.parametrize("es_gens,es_steps,word", [((5, 6) * 5, 5_000, "confirmed"), ((20, 21) * 5, 5_000, "refuted"),
                                                   ((1, 4) * 5, 1_500, "refuted"),
                                                   ((4, 16) * 5, 3_000, "unresolved")])
def test_the_data_claim_is_judged_on_the_censored_ratio_against_3_to_10(es_gens, es_steps, word):
    """PPO reaches 475 after 6 or 7 generations of 1,000 steps; the ES after (gen + 1) x es_steps:
    ES / PPO about 5x (inside Salimans' 3-10x: confirmed), about 16x or 1.1x (wholly outside:
    refuted) or a spread whose CI straddles an edge (unresolved)."""
    S = _summary(es_gens, es_steps)
    T = bv.tests({"CartPole-v1": S}, {}, main="CartPole-v1", n_resamples=2_000)
    V, F = bv.verdicts({"CartPole-v1": S}, {}, main="CartPole-v1", repeats=5)
    v = V["q1.data"]
    assert v.word == word, v
    assert "CMA-ES (torch) needs " in v.number and "10 of 10 vs 10 of 10 reached it" in v.number
    assert set(T) >= {"q1.data", "q1.one_core", "q1.equal_steps"} and set(F) == set(T)
    if word == "unresolved":
        assert "seeds a side would resolve it" in v.because or "borderline" in v.because


def test_censored_seeds_are_counted_not_dropped():
    """8 of 10 ES seeds never reach the threshold: the median is not reached, so the ratio has no point
    value; dropping them would have made the ES look 5x PPO."""
    never = (40,) * 8 + (5, 6)
    S = _summary(never, 5_000)
    times, hit = bv.censored(S, "torch_cmaes")
    assert hit.sum() == 2 and (times[~hit] == 40 * 5_000).all()
    v = bv.verdicts({"CartPole-v1": S}, {}, main="CartPole-v1", repeats=5)[0]["q1.data"]
    assert "not reached by half the seeds" in v.number and "2 of 10 vs 10 of 10" in v.number


def test_a_claim_below_its_minimum_n_stays_unresolved_and_out_of_the_family():
    S = _summary((5, 6) * 3, 5_000, n=6)  # 6 seeds a side, the data claim needs 10
    V, F = bv.verdicts({"CartPole-v1": S}, {}, main="CartPole-v1", repeats=5)
    assert "q1.data" not in F and V["q1.data"].word == "unresolved" and "at least 10 needed" in V["q1.data"].number


def test_the_old_either_or_rule_resolved_what_holm_does_not():
    """Two tests whose raw p-values (0.03, 0.04) each resolve alone, but not after Holm's correction of
    the family... unless both are below 0.025 and 0.05 in turn: the family decides, not each test."""
    from evoscale.stats import holm

    adjusted, resolved = holm([0.03, 0.04])
    assert not resolved.any() and adjusted.tolist() == pytest.approx([0.06, 0.06])
    assert holm([0.02, 0.04])[1].all()


def test_question_1_is_answered_in_cores():
    from evoscale.experiments.report import Verdict

    cross = lambda w: Verdict(w, "n", "b")  # noqa: E731
    V = {"q1.crossover": cross("refined"), "q1.crossover_cartpole": cross("unresolved")}
    assert bv.overall(V).word == "refined"
    V = {"q1.crossover": cross("confirmed"), "q1.crossover_cartpole": cross("refined")}
    assert bv.overall(V).word == "refined"
    V = {"q1.crossover": cross("unresolved"), "q1.crossover_cartpole": cross("confirmed")}
    assert bv.overall(V).word == "unresolved"


def test_the_crossover_claims_and_their_words():
    """A synthetic task where the ES is faster on one core already (measured: confirmed)."""
    S = _summary((5, 6) * 5, 100)  # the ES needs far fewer env steps than PPO
    costs = b.unit_costs(pd.concat([solving("ppo", 0, 5, 1_000), solving("torch_cmaes", 0, 5, 100)]))
    S = b.summarise(pd.concat([solving("ppo", s, g, 1_000) for s, g in enumerate((5, 6) * 5)]
                              + [solving("torch_cmaes", s, g, 100) for s, g in enumerate((5, 6) * 5)]),
                    "CartPole-v1", 10, costs)
    C = b.cores(S, costs, {2: 1.8}, {2: 0.5})
    assert C["cross"]["w"] == 1
    V, F = bv.verdicts({"CartPole-v1": S}, {"CartPole-v1": C}, main="CartPole-v1", repeats=5)
    assert V["q1.crossover"].word == "confirmed" and "measured" in V["q1.crossover"].because
    assert V["q1"].word == "confirmed"
    assert list(bv.family_table(F).columns) == ["What is tested", "raw p", "Holm-adjusted p",
                                                "share of bootstrap seeds that flip it", "resolved after Holm"]




def test_what_we_found_texts_exist_before_and_after_the_runs():
    empty = b.summarise(None, "LunarLander-v3", 10)
    V, _ = bv.verdicts({"LunarLander-v3": empty}, {}, repeats=2)
    assert bv.found({"LunarLander-v3": empty}, V) == {"equal_steps": "not measured yet", "data_ratio": "not measured yet",
                                                      "crossover": "unresolved"}
    S = _summary((5, 6) * 5, 5_000)
    V, _ = bv.verdicts({"CartPole-v1": S}, {}, main="CartPole-v1", repeats=2)
    f = bv.found({"CartPole-v1": S}, V, main="CartPole-v1")
    assert f["equal_steps"].endswith("env steps") and "[" in f["data_ratio"]


def test_a_cores_figure_with_nothing_to_draw_keeps_the_page_width():
    """The smoke book's chapter 6 had a 334-px figure: its only panel, a note, was hidden and the
    notebook's tight crop kept just the machine line. The note now sits in a framed full-width panel."""
    import io

    import matplotlib

    matplotlib.use("Agg")
    from PIL import Image

    from evoscale.experiments import backprop_figures as bf

    S = dict(env="CartPole-v1", machine="test box", planned=2, rows={})
    buf = io.BytesIO()
    bf.figure_cores([(None, S, "PPO runs")]).savefig(buf, format="png", bbox_inches="tight", dpi=100)
    assert Image.open(buf).size[0] >= 600


def test_seed_only_messages_model_openai_es_only(tmp_path, monkeypatch):
    """Chapter 6's seed-only column: OpenAI-ES modelled with seed-only messages sends fewer bytes, so at
    a large network (where messages dominate) its modelled speedup beyond 2 cores is higher than with
    vectors, the measured points are the same, and the CMA-ES (whose workers would also need the
    eigenbasis) is refused in one line rather than modelled too cheaply."""
    rows = [dict(workers=w, generation=g, eval_s=e, opt_s=0.01, env_steps=5_000, startup_s=1.0, env="LunarLander-v3",
                 method="openai_es", n_params=1_000_000, popsize=64, raw_steps_per_s=20_000.0, machine="test box")
            for w, e in ((0, 2.0), (1, 2.1), (2, 1.6)) for g in range(3)]
    (tmp_path / "book" / "workers").mkdir(parents=True)
    pd.DataFrame(rows).to_csv(tmp_path / "book" / "workers" / "speedup-LunarLander-v3-openai_es-x.csv", index=False)
    monkeypatch.setenv("EVOSCALE_RESULTS", str(tmp_path))
    (m_vec, vec), = b.es_speedup_draws("book", "LunarLander-v3", W=[1, 2, 8, 32], method="openai_es", draws=0)
    (m_seed, seed), = b.es_speedup_draws("book", "LunarLander-v3", W=[1, 2, 8, 32], method="openai_es", draws=0,
                                         seed_only=True)
    assert m_vec == m_seed and set(vec) == set(seed) == {8, 32}
    assert all(seed[w] > vec[w] for w in vec)
    with pytest.raises(ValueError, match="seed-only"):
        b.es_speedup_draws("book", "LunarLander-v3", method="torch_cmaes", seed_only=True)


def test_seed_only_text_says_what_changes():
    """The seed-only column says "the same" where the crossover does not move, the crossover where it
    does, and both models' speedups where they part most."""
    W = np.array([1, 2, 8, 64])
    C = dict(W=W, es_speedup=np.array([1.0, 1.8, 3.0, 3.0]), es="openai_es",
             cross=dict(w=8, lo=2, hi=64, back=None, reached_es=10, n_es=10, reached_ppo=10, n_ppo=10, share=1.0))
    faster = dict(C, es_speedup=np.array([1.0, 1.8, 5.0, 9.0]))
    text = b.seed_only_text((C, None), (faster, None))
    assert text.startswith("the same") and "64 cores: 3.0× with vectors, 9.0× with seeds" in text
    moved = dict(faster, cross=dict(C["cross"], w=2, lo=2, hi=8))
    assert b.seed_only_text((C, None), (moved, None)).startswith("OpenAI-ES reaches the threshold sooner than PPO from W = 2")
    assert b.seed_only_text((None, "PPO runs"), (None, None)) == "not available yet (missing: PPO runs)"


def _cadence_summary(ppo_gens, es_gens, es_steps, gens=400):
    """PPO tests every 1,000 env steps, the ES every ``es_steps``; each seed passes from its hit generation."""
    df = pd.concat([solving("ppo", s, g, 1_000, gens) for s, g in enumerate(ppo_gens)]
                   + [solving("torch_cmaes", s, g, es_steps, gens) for s, g in enumerate(es_gens)], ignore_index=True)
    return b.summarise(df, "CartPole-v1", 10)


TESTS = {"es": "every generation", "ppo": "every 1,000 env steps"}


def test_the_test_cadence_brackets_the_ratio_finely_or_not():
    """Each seed crosses after its last failing test and by its first passing one, so the cadence
    bounds the ES / PPO ratio of medians: fine tests on both sides resolve it to within 1.25x, coarse
    ES tests (10,000 env steps apart, crossing at 20,000-40,000) do not, and the text says whose tests
    are the coarser."""
    fine = _cadence_summary((30, 31) * 5, (300, 301) * 5, 100)  # PPO 31,000-32,000; ES 30,100-30,200
    c = bv.cadence(fine, "torch_cmaes")
    assert c["ppo"]["widest"] == pytest.approx(31_000 / 30_000) and c["es"]["widest"] == pytest.approx(30_100 / 30_000)
    assert c["ratio_lo"] == pytest.approx(30_000 / 31_000) and c["ratio_hi"] == pytest.approx(30_100 / 30_000)
    assert c["within"] and c["width"] < 1.25
    coarse = bv.cadence(_cadence_summary((30, 31) * 5, (2, 3) * 5, 10_000, gens=40), "torch_cmaes")
    assert coarse["es"]["median_width"] == pytest.approx(30_000 / 20_000) and not coarse["within"]
    assert coarse["ratio_lo"] == pytest.approx(20_000 / 31_000) and coarse["ratio_hi"] == pytest.approx(30_000 / 30_000)
    text = bv.cadence_text(_cadence_summary((30, 31) * 5, (2, 3) * 5, 10_000, gens=40), ("torch_cmaes",), TESTS, 10)
    assert "not resolved to within 1.25×" in text and "The coarser tests are the ES's" in text
    text = bv.cadence_text(fine, ("torch_cmaes",), TESTS, 10)
    assert ", resolved to within 1.25×" in text and "coarser" not in text
    # an ES that already tests every generation: no re-run of its runs is offered as the way to decide it
    text = bv.cadence_text(_cadence_summary((30, 31) * 5, (2, 3) * 5, 10_000, gens=40), ("torch_cmaes",), TESTS, 10,
                           es_finest=True)
    assert "already tests every generation" in text and "re-running those runs" not in text


def test_the_cadence_keeps_censored_seeds_and_a_first_test_that_passed():
    """8 of 10 ES seeds never cross: the median is not reached, so the ratio has a lower bound only
    (the censored seeds count at their budget, none dropped); a PPO seed passing its first test has no
    earlier test, so its own bracket is unbounded while the median stays bracketed."""
    S = _cadence_summary((0,) + (30, 31) * 4 + (30,), (400,) * 8 + (300, 301), 100)
    c = bv.cadence(S, "torch_cmaes")
    assert c["es"]["reached"] == 2 and c["es"]["n"] == 10 and not np.isfinite(c["es"]["median_hi"])
    assert not c["within"] and not np.isfinite(c["width"])
    assert not np.isfinite(c["ppo"]["widest"]) and c["ppo"]["median_width"] == pytest.approx(31_000 / 30_000)
    text = bv.cadence_text(S, ("torch_cmaes",), TESTS, 10)
    assert "not reached by half the seeds (2 of 10 reached 475)" in text and "from below only" in text
    assert text.startswith("PPO tested every 1,000 env steps, the ES every generation")
    table = bv.cadence_table(S, ("torch_cmaes",)).set_index("method")
    assert table.loc["PPO", "one seed's widest bracket"] == "no bound" and table.loc["PPO", "seeds solved"] == "10 of 10"
    assert table.loc["CMA-ES (torch)", "seeds solved"] == "2 of 10" and table.loc["CMA-ES (torch)", "within 1.25×"] == "no"


def test_the_cadence_text_before_and_while_the_runs_land():
    none = b.summarise(None, "CartPole-v1", 10)
    assert bv.cadence_text(none, ("torch_cmaes",), TESTS, 10) == "PPO's runs are still to run, so no ratio is bracketed yet"
    ppo_only = _cadence_summary((30, 31) * 5, (), 100)
    text = bv.cadence_text(ppo_only, ("torch_cmaes", "openai_es"), TESTS, 10)
    assert text.endswith("The ES runs are still to run, so no ratio is bracketed yet")
    assert bv.cadence(ppo_only, "torch_cmaes") is None
    some = _cadence_summary((30, 31) * 5, (300, 301, 300), 100)
    text = bv.cadence_text(some, ("torch_cmaes", "openai_es"), TESTS, 10)
    assert "3 of 10 seeds stored so far" in text and text.endswith("still to run: OpenAI-ES")


def test_an_unresolved_ratio_without_an_upper_end_names_the_runs_that_would_decide_it():
    """4 of 10 ES seeds never reach the threshold: the median is about 5x PPO's, but resamples with more
    than half censored have none, so the CI has no upper end and straddles 10x; longer runs decide it."""
    S = _summary((5, 6) * 3 + (40,) * 4, 5_000)
    v = bv.verdicts({"CartPole-v1": S}, {}, main="CartPole-v1", repeats=5)[0]["q1.data"]
    assert v.word == "unresolved" and "no upper end" in v.number, v
    assert "4 of 10 CMA-ES (torch) seeds had not reached it" in v.because and "longer runs" in v.because


def test_the_cadence_text_when_a_side_never_reaches_the_threshold():
    S = _cadence_summary((400,) * 10, (300, 301) * 5, 100)  # PPO never reaches it within 400 tests
    text = bv.cadence_text(S, ("torch_cmaes",), TESTS, 10)
    assert text == ("PPO tested every 1,000 env steps, the ES every generation; none of PPO's 10 seeds reached the "
                    "threshold, so no ratio is bracketed")
    assert bv.bracket(S, "ppo")["reached"] == 0 and not bv.cadence(S, "torch_cmaes")["within"]
