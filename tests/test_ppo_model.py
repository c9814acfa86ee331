"""PPO's cost model on W cores (chapter 6's crossover): fitted to timings, never slower with more
cores, IPC-bound and compute-bound cases, the band from resampled timings, and the bench that feeds it."""

import numpy as np
import pandas as pd
import pytest

from evoscale.experiments import backprop as b
from evoscale.experiments import backprop_measure as bm
from evoscale.experiments.ppo_model import PPOCostModel, draws


def timings(forward=1e-3, env=1e-4, message=0.0, update=1.0, update2=0.5, n=16, noise=0.0, repeats=5, seed=0):
    """Synthetic ``bench.ppo_costs`` rows from known part costs (the 2-core subproc row as the model predicts)."""
    rng = np.random.default_rng(seed)
    parts = {("forward", 1, 1): forward, ("dummy", 1, 1): forward + n * env,
             ("subproc", 1, 1): forward + n * env + n * message,
             ("subproc", 2, 1): forward + n * env / 2 + n * message, ("update", 1, 1): update, ("update", 2, 2): update2}
    rows = [dict(part=p, cores=c, threads=t, repeat=r, seconds=v * (1 + noise * rng.standard_normal()))
            for (p, c, t), v in parts.items() for r in range(repeats)]
    return pd.DataFrame(rows).assign(env="LunarLander-v3", n_envs=n, machine="test box")


def test_the_fit_recovers_known_costs_and_predicts_the_two_core_step():
    t = timings(forward=2e-3, env=3e-4, message=5e-5, update=0.8, update2=0.5)
    m = PPOCostModel.fit(t)
    assert (m.forward, m.env, m.message, m.update) == pytest.approx((2e-3, 3e-4, 5e-5, 0.8))
    assert m.update_serial == pytest.approx(2 * 0.5 / 0.8 - 1)
    assert m.check(t) == pytest.approx(1.0)


def test_ipc_bound_ppo_keeps_to_one_process_and_never_slows_down():
    """Messages dearer than the env step (the measured case on these tasks): one process at every W."""
    m = PPOCostModel.fit(timings(env=1e-5, message=1e-4, update2=1.0))
    seconds, processes = m.step_seconds(b.CORES)
    assert np.all(processes == 0) and np.allclose(seconds, seconds[0])
    roll, upd = m.speedups(b.CORES)
    assert np.allclose(roll, 1.0) and np.allclose(upd, 1.0)  # 2 threads no faster: no gain from threads either


def test_compute_bound_ppo_divides_its_rollout_up_to_one_process_per_env():
    m = PPOCostModel.fit(timings(forward=1e-4, env=1e-3, message=1e-6, n=16))
    seconds, processes = m.step_seconds([1, 2, 4, 16, 64])
    assert processes.tolist() == [0, 2, 4, 16, 16]  # at most n_envs processes
    assert (np.diff(seconds) <= 0).all() and seconds[-1] == seconds[-2]
    roll, upd = m.speedups([1, 2, 64])
    assert roll[0] == pytest.approx(1.0) and 1.9 < roll[1] < 2.0 and roll[2] > 10
    assert upd[-1] == pytest.approx(1 / (m.update_serial + (1 - m.update_serial) / 64))


def test_draws_refit_on_resampled_timings():
    t = timings(noise=0.1, repeats=8)
    ms = draws(t, n=50)
    assert ms[0] == PPOCostModel.fit(t) and len(ms) == 50
    envs = np.array([m.env for m in ms])
    assert envs.std() > 0 and abs(np.median(envs) - 1e-4) < 3e-5


def test_the_crossover_band_covers_the_ppo_models_timing_noise():
    """The same seeds, with and without resampled PPO timings: the band can only widen."""
    W = b.CORES
    hit = np.ones(10, bool)
    es = np.outer(np.linspace(100, 120, 10), 1 / np.minimum(W, 8))  # an ES that divides up to 8 cores
    ppo_point = np.full((10, len(W)), 20.0) + np.linspace(0, 1, 10)[:, None]
    stack = np.stack([ppo_point * f for f in np.linspace(0.5, 2.0, 40)])  # very uncertain PPO timings
    narrow = b.crossover(es, hit, ppo_point, hit, W, n_resamples=2_000)
    wide = b.crossover(es, hit, np.concatenate([ppo_point[None], stack]), hit, W, n_resamples=2_000)
    assert narrow["w"] == wide["w"] == 8
    assert wide["lo"] <= narrow["lo"] and wide["hi"] >= narrow["hi"] and (wide["lo"], wide["hi"]) != (narrow["lo"], narrow["hi"])


def _lunar_summary():
    """A synthetic LunarLander summary (10 PPO and 10 torch CMA-ES seeds that all reach the threshold)
    and its unit costs."""
    rng = np.random.default_rng(0)
    rec = lambda m, s, spg: pd.DataFrame(dict(  # noqa: E731
        method=m, env="LunarLander-v3", seed=s, generation=np.arange(40), evals=(np.arange(40) + 1) * 10,
        env_steps=(np.arange(40) + 1) * spg, pop_eval_s=spg * 1e-4, opt_s=0.01, machine="test box",
        test_return=np.where(np.arange(40) >= 5 + rng.integers(3), 300.0, 0.0)))
    df = pd.concat([rec("ppo", s, 1_000) for s in range(10)] + [rec("torch_cmaes", s, 5_000) for s in range(10)])
    costs = b.unit_costs(df)
    S = b.summarise(df, "LunarLander-v3", 10, costs)
    return S, costs


def test_cores_uses_the_ppo_model_where_timings_exist():
    S, costs = _lunar_summary()
    C = b.cores(S, costs, {2: 1.8}, {2: 0.37}, ppo_timings=timings(env=1e-5, message=1e-4, update2=1.0), model_draws=20)
    assert C["ppo_model"] is not None and C["ppo_measured"].tolist()[:3] == [True, True, False]
    assert np.allclose(C["ppo"], C["ppo"][:, :1])  # IPC-bound: flat in W
    old = b.cores(S, costs, {2: 1.8}, {2: 0.37})
    assert old["ppo_model"] is None and np.allclose(old["ppo"], C["ppo"])


@pytest.mark.slow
def test_the_bench_times_every_part_at_tiny_sizes(tmp_path, monkeypatch):
    """The code the idle machine runs (``bench ppo-costs``); numbers mean nothing on a loaded machine."""
    monkeypatch.setenv("EVOSCALE_RESULTS", str(tmp_path))
    out = bm.measure_ppo_timings("smoke", ("CartPole-v1",), steps=4, repeats=2, log=lambda *a: None)
    t = b.load_ppo_timings("smoke")
    assert set(t["part"]) == {"forward", "dummy", "subproc", "update"} and set(t["cores"]) == {1, 2}
    assert (t["seconds"] > 0).all() and out["CartPole-v1"]["n_envs"] == 8 and out["CartPole-v1"]["check_2_processes"] > 0


def test_the_rollout_sentence_and_the_curve_read_one_model():
    """Chapter 6's sentence about PPO's processes comes from the model its crossover curve uses, so the
    two cannot disagree: IPC-bound -> 'one process' and a flat curve; compute-bound -> 'worker
    processes from W = 2' and a falling curve."""
    S, costs = _lunar_summary()
    ipc = b.cores(S, costs, {2: 1.8}, {2: 0.37}, ppo_timings=timings(env=1e-5, message=1e-4, update2=1.0),
                  model_draws=5)
    text = b.ppo_plan_text(ipc)
    assert "in one process at every W up to 1,024" in text and "100 µs" in text and "1.00x" in text
    assert np.allclose(ipc["ppo"], ipc["ppo"][:, :1])
    busy = b.cores(S, costs, {2: 1.8}, {2: 1.9}, ppo_timings=timings(forward=1e-4, env=1e-3, message=1e-6),
                   model_draws=5)
    text = b.ppo_plan_text(busy)
    assert "worker processes from W = 2 " in text and "one process" not in text
    assert (np.diff(np.median(busy["ppo"], axis=0)) <= 0).all() and busy["ppo"][:, 1].mean() < busy["ppo"][:, 0].mean()
    assert b.ppo_plan_text(None).startswith("not modelled yet")


def test_the_es_side_is_refitted_on_resampled_timings_too(tmp_path, monkeypatch):
    """The ES's speedups (measured 1-2 workers, simulated beyond) refitted on chapter-4-style timings
    resampled per worker count: the first fit is ``es_speedup``'s, the refits differ, none exceeds the
    population's worth of workers, and ``cores`` carries them into the crossover's band."""
    monkeypatch.setenv("EVOSCALE_RESULTS", str(tmp_path))
    rng = np.random.default_rng(1)
    rows = [dict(workers=w, generation=g, eval_s=base * (1 + 0.2 * rng.standard_normal()) ** 2, opt_s=0.01,
                 env_steps=5_000, startup_s=1.0, env="LunarLander-v3", method="torch_cmaes", n_params=2_788,
                 popsize=8, raw_steps_per_s=20_000.0, machine="test box")
            for w, base in ((0, 0.25), (1, 0.27), (2, 0.15)) for g in range(12)]
    path = b.es_speedup_path("smoke", "LunarLander-v3", "torch_cmaes")
    path.parent.mkdir(parents=True)
    pd.DataFrame(rows).to_csv(path, index=False)
    fits = b.es_speedup_draws("smoke", "LunarLander-v3", draws=6)
    assert len(fits) == 7 and fits[0] == b.es_speedup("smoke", "LunarLander-v3")
    measured, modelled = fits[0]
    from evoscale.experiments import workers

    pop = workers.params({"profile": "smoke"}).popsize  # the simulated central server's population
    assert set(measured) == {1, 2} and modelled and set(modelled) == {w for w in b.CORES if 2 < w <= pop}
    assert len({round(m[2], 9) for m, _ in fits}) > 1  # the refits see other timings
    assert b.es_speedup_draws("smoke", "CartPole-v1") == []  # nothing timed: nothing modelled
