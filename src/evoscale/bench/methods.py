"""``bench methods``: episodes to the solved threshold per method (speed targets live here, never in
unit tests)."""

from __future__ import annotations

import numpy as np

from ..config import RunConfig
from ..envs import get_spec
from ..machine import machine_label


# Per-method settings for the CartPole benchmark (popsize 16 for all; sigma0/lr from short sanity
# sweeps on CartPole with hidden (8,): OpenAI-ES with the paper's lr=0.01 needs ~3K evaluations at
# sigma 0.1 and does not solve at sigma 0.5; lr=0.05 solves in hundreds).
METHOD_SETTINGS = {
    "cmaes": dict(sigma0=0.5),
    "sepcmaes": dict(sigma0=0.5),
    "openai_es": dict(sigma0=0.1, hyper={"lr": 0.05}),
    "ga": dict(sigma0=0.5),
    "neuromod": dict(sigma0=0.1, hyper={"lr": 0.05}),
    "torch_cmaes": dict(sigma0=0.5),
    "ppo": dict(),  # rl-baselines3-zoo hyper-parameters and budget (n_timesteps); solved test every 4,096 steps
}


def bench_methods(env_id: str = "CartPole-v1", seeds: int = 5, budget_evals: int = 10_000, popsize: int = 16,
                  methods: list[str] | None = None, processes: int | None = None, log=print) -> dict:
    """Episodes (training evaluations) until the solved test (100 fresh episodes) first reaches the
    task's threshold, per method over ``seeds`` seeds: IQM with 95 % bootstrap CI, NaN = not solved."""
    import tempfile

    from ..runs import run_many
    from ..stats import first_crossing, iqm_ci

    spec = get_spec(env_id)
    if spec.solved is None:
        raise ValueError(f"{env_id} has no solved threshold")
    methods = methods or list(METHOD_SETTINGS)
    def config(m, s):
        if m == "ppo":
            from ..baselines.zoo import zoo_hyperparams

            steps = int(zoo_hyperparams(env_id, None)["n_timesteps"])
            return RunConfig(method="ppo", env=env_id, budget_steps=steps, test_every=4096, test_episodes=100,
                             seed=s)
        return RunConfig(method=m, env=env_id, hidden=spec.default_hidden, popsize=popsize,
                         budget_evals=budget_evals, test_every=2 * popsize, test_episodes=100,
                         target_return=spec.solved, seed=s, **METHOD_SETTINGS.get(m, {}))

    configs = [config(m, s) for m in methods for s in range(seeds)]
    with tempfile.TemporaryDirectory() as where:
        df = run_many(configs, where, processes=processes, fresh=True, log=log)
    out = {"machine": machine_label(), "env": env_id, "hidden": list(spec.default_hidden), "popsize": popsize,
           "budget_evals": budget_evals,
           "seeds": seeds, "threshold": spec.solved, "methods": {}}
    for m, g in df.groupby("method", sort=False):
        last = g.sort_values("generation").groupby("seed").tail(1)
        crossing = first_crossing(g, spec.solved)
        steps = first_crossing(g, spec.solved, x="env_steps")
        to_solve = [float(crossing.get(s, np.nan)) for s in sorted(g["seed"].unique())]
        point, lo, hi = iqm_ci(to_solve)
        out["methods"][m] = {
            "settings": {k: (dict(v) if k == "hyper" else v) for k, v in METHOD_SETTINGS.get(m, {}).items()},
            "n_params": int(g["n_params"].iloc[0]), "solved": int(np.isfinite(to_solve).sum()),
            "evals_to_solve_iqm": point, "ci_low": lo, "ci_high": hi, "per_seed": to_solve,
            "env_steps_to_solve_iqm": iqm_ci(steps.to_numpy())[0],
            "wall_s_per_seed": float(last["wall_s"].mean()),
        }
    return out
