"""Benchmarks (speed targets live here, never in unit tests). Every ratio is measured in one run.

``bench_evaluator``: useful env steps per second of the population evaluator, divided by the step
rate of one plain ``gymnasium.make`` environment driven by random actions in the same process -- the
ceiling for any single-core evaluator. The ratio against the unwrapped environment (no Gymnasium
wrappers, what the evaluator itself steps) is reported too, as the stricter comparison.

Episode lengths matter: a fresh random population crashes every lander within ~100 steps, while a
partly trained one mixes crashes with landers that hover to the 1,000-step cap, and a plain lockstep
loop then wastes its time on finished environments. So on LunarLander the benchmark population is
half random networks (crash in ~50-150 steps) and half Gymnasium's heuristic lander controller,
embedded in the same MLP, told to hover at heights from -0.5 (lands or crashes) to 1.5 (hovers to the
1,000-step cap). On other tasks it first trains the task's default method for ``warmup_evals``
episodes (default: 3,000; 0 for Atari, whose episodes cost ~1,000 emulator steps each: there the
population is N(0, 0.1^2) weights). The JSON reports the episode-length spread the evaluator actually
saw, and ``network_fraction``: the share of the evaluator's time spent in the policy forward (the
rest is the emulator/simulator and the loop) -- the hard case is Pong's CNN. For Atari, "raw" is
``gymnasium.make`` (ALE frame-skip and sticky actions in C++, unseeded resets) and "unwrapped" is the
environment the evaluator steps (``envs.make_env``: preprocessing, or RAM scaled to [0, 1]).
"""

from __future__ import annotations

import time

import numpy as np

from .config import RunConfig, parse_hidden
from .envs import get_spec, make_env, make_wrapped_env
from .evaluation import TRAIN, episode_seeds, make_evaluator
from .machine import machine_label
from .trainers import make_trainer


def raw_steps_per_s(env, cap: int, seconds: float, seed: int = 0) -> float:
    """Random actions in one environment, resetting at episode ends (or ``cap`` steps); steps/s."""
    env.reset(seed=seed)
    env.action_space.seed(seed)
    steps, t, ep_len = 0, time.perf_counter(), 0
    deadline = t + seconds
    while True:
        for _ in range(200):
            _, _, terminated, truncated, _ = env.step(env.action_space.sample())
            steps += 1
            ep_len += 1
            if terminated or truncated or ep_len >= cap:
                env.reset()
                ep_len = 0
        if time.perf_counter() >= deadline:
            return steps / (time.perf_counter() - t)


class _TimedPolicy:
    """Delegates to a policy and adds up the seconds spent in ``forward``."""

    def __init__(self, policy):
        self.policy, self.seconds = policy, 0.0

    def __getattr__(self, name):
        return getattr(self.policy, name)

    def forward(self, layers, obs):
        t = time.perf_counter()
        out = self.policy.forward(layers, obs)
        self.seconds += time.perf_counter() - t
        return out


def bench_evaluator(env_id: str, hidden=None, popsize: int = 64, seconds: float = 10.0,
                    backend: str = "lockstep", warmup_evals: int | None = None, log=print) -> dict:
    """``hidden=None``: the task's default network; ``warmup_evals=None``: 3,000 (0 for Atari)."""
    from threadpoolctl import threadpool_limits

    spec = get_spec(env_id)
    hidden = spec.default_hidden if hidden is None else parse_hidden(hidden)
    warmup_evals = (0 if env_id.startswith("ALE/") else 3_000) if warmup_evals is None else warmup_evals
    if not isinstance(warmup_evals, int) or warmup_evals < 0:
        raise ValueError(f"warmup_evals must be a non-negative integer, got {warmup_evals!r}")
    RunConfig(env=env_id, hidden=hidden, popsize=popsize, backend=backend,
              budget_evals=max(popsize, warmup_evals))  # validates every argument
    if seconds <= 0:
        raise ValueError(f"seconds must be positive, got {seconds}")
    with threadpool_limits(1):
        evaluator = make_evaluator(backend, env_id, hidden)
        if env_id == "LunarLander-v3" and hidden:
            population, kind, warm = mixed_lander_population(evaluator.policy, popsize), "random+hover", 0
        elif warmup_evals == 0:
            rng = np.random.default_rng(0)
            population, kind, warm = rng.normal(0, 0.1, (popsize, evaluator.policy.n_params)), "random", 0
        else:
            log(f"warm-up: {spec.default_method} for {warmup_evals} episodes so episode lengths spread as in training")
            population, warm = warmed_up_population(evaluator, popsize, warmup_evals, spec.default_method), warmup_evals
            kind = f"{spec.default_method}-warm-up"

        log(f"raw: random actions in one env, {seconds:g} s each (gymnasium.make, then unwrapped)")
        cap = get_spec(env_id).max_steps
        raw = raw_steps_per_s(make_wrapped_env(env_id), cap, seconds)
        raw_unwrapped = raw_steps_per_s(make_env(env_id), cap, seconds)

        log(f"evaluator ({backend}) and the serial reference on the same population, {seconds:g} s each")
        if backend != "ray":
            if hasattr(evaluator, "prepare"):  # lockstep: environments built outside the clock, as serial's
                evaluator.prepare(popsize)
            evaluator.policy = timed = _TimedPolicy(evaluator.policy)
        t = time.perf_counter()
        evaluator_rate, lengths = _steps_per_s(evaluator, population, seconds)
        eval_seconds = time.perf_counter() - t
        serial = make_evaluator("serial", env_id, hidden)
        serial_rate, _ = _steps_per_s(serial, population, seconds)
        replay = replay_steps_per_s(env_id, serial.policy, population, seconds)
    lengths = np.concatenate(lengths)
    return {
        "machine": machine_label(), "env": env_id, "hidden": list(hidden), "n_params": evaluator.policy.n_params,
        "popsize": popsize,
        "backend": backend, "population": kind, "warmup_evals": warm,
        "episode_length_min": int(lengths.min()), "episode_length_median": float(np.median(lengths)),
        "episode_length_max": int(lengths.max()),
        "steps_in_episodes_over_500": float(lengths[lengths > 500].sum() / lengths.sum()),
        "raw_steps_per_s": raw, "raw_unwrapped_steps_per_s": raw_unwrapped,
        "serial_steps_per_s": serial_rate, "ratio_vs_serial": evaluator_rate / serial_rate,
        "evaluator_steps_per_s": evaluator_rate, "ratio": evaluator_rate / raw,
        "ratio_vs_unwrapped": evaluator_rate / raw_unwrapped,
        "replay_steps_per_s": replay, "ratio_vs_replay": evaluator_rate / replay,
        "network_fraction": timed.seconds / eval_seconds if backend != "ray" else float("nan"),
    }



def warmed_up_population(evaluator, popsize: int, warmup_evals: int, method: str = "cmaes") -> np.ndarray:
    """The population ``method`` (CMA-ES at sigma 0.5, others at 0.05) asks for after ``warmup_evals`` episodes."""
    trainer = make_trainer(method, evaluator.policy.n_params, popsize, 0.5 if method == "cmaes" else 0.05)
    state = trainer.init(0)
    for gen in range(warmup_evals // popsize):
        population, state = trainer.ask(state)
        result = evaluator.evaluate(population, episode_seeds(0, TRAIN, gen, popsize, 1))
        state = trainer.tell(state, population, result.returns[:, 0])
    return trainer.ask(state)[0]


def hover_params(policy, height: float, eps: float = 0.01) -> np.ndarray:
    """Gymnasium's LunarLander heuristic (``lunar_lander.heuristic``) as MLP weights, hovering at ``height``.

    Two features, angle_todo = 0.25 x + 0.5 vx - 0.5 angle - angular_velocity and hover_todo =
    0.5 (height - y - vy), pass through the tanh layers scaled by ``eps`` (where tanh is linear);
    the output layer scales them back: argmax of (0.05, angle_todo, hover_todo, -angle_todo).
    """
    dims = [policy.obs_dim, *policy.hidden, policy.act_dim]
    if dims[0] != 8 or dims[-1] != 4 or len(dims) < 3 or min(policy.hidden) < 2:
        raise ValueError("hover_params needs LunarLander's 8 -> hidden (>= 2 wide) -> 4 MLP")
    A = np.zeros((8, 2))
    A[:, 0] = [0.25, 0, 0.5, 0, -0.5, -1.0, 0, 0]
    A[:, 1] = [0, -0.5, 0, -0.5, 0, 0, 0, 0]
    theta, k, last = np.zeros(policy.n_params), 0, len(dims) - 2
    for j, (i, o) in enumerate(zip(dims[:-1], dims[1:])):
        W, b = np.zeros((i, o)), np.zeros(o)
        if j == 0:
            W[:, :2], b[1] = eps * A, eps * 0.5 * height
        elif j < last:
            W[0, 0] = W[1, 1] = 1.0
        else:
            W[0, 1], W[0, 3], W[1, 2], b[0] = 1 / eps, -1 / eps, 1 / eps, 0.05
        theta[k : k + i * o], theta[k + i * o : k + i * o + o] = W.ravel(), b
        k += i * o + o
    return theta


def mixed_lander_population(policy, popsize: int, seed: int = 0) -> np.ndarray:
    """Half random networks (N(0, 0.5^2) weights), half hovering controllers at heights -0.5 ... 1.5."""
    n_hover = popsize // 2
    rng = np.random.default_rng(seed)
    hover = [hover_params(policy, h) for h in np.linspace(-0.5, 1.5, n_hover)]
    return np.vstack([rng.normal(0, 0.5, (popsize - n_hover, policy.n_params)), *hover])


def replay_steps_per_s(env_id: str, policy, population: np.ndarray, seconds: float) -> float:
    """Step rate of one plain ``gymnasium.make`` env replaying the population's *own* actions (recorded
    first, one episode per individual), with no network: the raw rate on the trajectories the
    evaluator actually runs. Random actions can be cheaper to simulate than a policy's (a MuJoCo
    humanoid with more contacts, a lander that hovers instead of crashing)."""
    from .evaluation import reset

    spec, env = get_spec(env_id), make_env(env_id)
    seeds = episode_seeds(0, TRAIN, 0, len(population), 1)[:, 0]
    episodes = []
    for row, seed in zip(population, seeds):
        layers, obs, actions = policy.unflatten(row[None]), reset(env, seed), []
        for _ in range(spec.max_steps):
            actions.append(policy.forward(layers, obs[None])[0])
            obs, _, terminated, _, _ = env.step(actions[-1])
            if terminated:
                break
        episodes.append((int(seed), actions))
    raw = make_wrapped_env(env_id)
    steps, t = 0, time.perf_counter()
    while time.perf_counter() - t < seconds:
        for seed, actions in episodes:
            raw.reset(seed=seed)
            for a in actions:
                steps += 1
                if any(raw.step(a)[2:4]):
                    break
    return steps / (time.perf_counter() - t)


def _steps_per_s(evaluator, population: np.ndarray, seconds: float) -> tuple[float, list]:
    """Useful env steps per second over repeated evaluations (fresh seeds each round)."""
    steps, lengths, rounds, t = 0, [], 0, time.perf_counter()
    while time.perf_counter() - t < seconds:
        result = evaluator.evaluate(population, episode_seeds(1, TRAIN, rounds, len(population), 1))
        steps += result.env_steps
        lengths.append(result.lengths.ravel())
        rounds += 1
    return steps / (time.perf_counter() - t), lengths


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

    from .experiments import run_many
    from .stats import first_crossing, iqm_ci

    spec = get_spec(env_id)
    if spec.solved is None:
        raise ValueError(f"{env_id} has no solved threshold")
    methods = methods or list(METHOD_SETTINGS)
    def config(m, s):
        if m == "ppo":
            from .ppo_zoo import zoo_hyperparams

            steps = int(zoo_hyperparams(env_id, None)["n_timesteps"])
            return RunConfig(method="ppo", env=env_id, budget_steps=steps, eval_every=4096, eval_episodes=100,
                             seed=s)
        return RunConfig(method=m, env=env_id, hidden=spec.default_hidden, popsize=popsize,
                         budget_evals=budget_evals, eval_every=2 * popsize, eval_episodes=100,
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


OVERHEAD_NETS = {2788: (64, 32), 9668: (128, 64)}
"""LunarLander MLPs for the overhead benchmark: the seed's 2,788-parameter net and a ~10K one."""


def bench_overhead(sizes: list[int] | None = None, popsize: int = 64, generations: int = 5,
                   methods: list[str] | None = None, eval_rounds: int = 3, log=print) -> dict:
    """Optimizer time per generation (ask + tell, single thread) as a fraction of the time the lockstep
    evaluator needs for one LunarLander generation of the same network.

    The generation being evaluated is the benchmark's mixed population (half random crashers, half
    hovering controllers: a mid-training workload, ~35K env steps for 64 individuals). Full CMA-ES
    is timed with ``bench_cma`` (fresh process, steady-state generations plus its periodic
    eigendecomposition amortised over pycma's own update gap); the others directly.
    """

    from .bench_cma import bench_cma
    from .trainers import REGISTRY

    sizes = sizes or list(OVERHEAD_NETS)
    methods = methods or [m for m in REGISTRY]
    out = {"machine": machine_label(), "env": "LunarLander-v3", "popsize": popsize, "threads": 1, "sizes": {}}
    for n in sizes:
        if n not in OVERHEAD_NETS:
            raise ValueError(f"size {n} has no benchmark network; valid: {', '.join(map(str, OVERHEAD_NETS))}")
        hidden = OVERHEAD_NETS[n]
        eval_s, steps = lander_generation_seconds(hidden, popsize, eval_rounds)
        row = {"hidden": list(hidden), "eval_s_per_gen": eval_s, "env_steps_per_gen": steps, "methods": {}}
        cma = None
        for m in methods:
            log(f"n={n}: {m}")
            if m in ("cmaes", "torch_cmaes"):
                cma = cma or bench_cma(n, popsize, generations, eig=True)  # times both, once
                ms = cma["pycma" if m == "cmaes" else "torch_cmaes"]["amortised_ms_per_gen"]
            else:
                ms = _ask_tell_ms(m, n, popsize, generations)
            row["methods"][m] = {"opt_ms_per_gen": ms, "fraction_of_eval": ms / 1e3 / eval_s}
        out["sizes"][str(n)] = row
    return out


def lander_generation_seconds(hidden, popsize: int = 64, rounds: int = 3) -> tuple[float, float]:
    """(seconds, env steps) of one LunarLander generation of the mixed mid-training population with
    the lockstep evaluator, one thread, averaged over ``rounds`` (after one warm-up round that builds
    the environments)."""
    from threadpoolctl import threadpool_limits

    with threadpool_limits(1):
        ev = make_evaluator("lockstep", "LunarLander-v3", tuple(hidden))
        population = mixed_lander_population(ev.policy, popsize)
        ev.evaluate(population, episode_seeds(2, TRAIN, 0, popsize, 1))
        t, steps = time.perf_counter(), 0
        for r in range(rounds):
            steps += ev.evaluate(population, episode_seeds(2, TRAIN, r + 1, popsize, 1)).env_steps
    return (time.perf_counter() - t) / rounds, steps / rounds


def _ask_tell_ms(method: str, n: int, popsize: int, generations: int) -> float:
    """Median ms of ask + tell over generations 2..G (``ask_tell_cost``); neuromod at its genome size."""
    from .policies import param_count

    if method == "neuromod":  # its genome is the plastic net's, slightly larger than the MLP
        from .plastic import NeuromodPolicy

        hidden = OVERHEAD_NETS.get(n, (64, 32))
        n = NeuromodPolicy(8, hidden, 4, True).n_params if param_count(8, hidden, 4) == n else n
    return ask_tell_cost(method, n, popsize, generations)["ms_per_gen"]


def ask_tell_cost(method: str, n: int, popsize: int, generations: int) -> dict:
    """ms per generation of ask + tell (median of generations 2..G, one thread, synthetic returns) and
    the peak RSS growth of this process while the optimiser ran (meaningful in a fresh process)."""
    import resource
    import statistics

    import psutil
    import torch
    from threadpoolctl import threadpool_limits

    from .trainers import REGISTRY

    torch.set_num_threads(1)
    REGISTRY[method]  # import the method's module (pycma, scipy, ...) before the memory baseline
    rss0 = psutil.Process().memory_info().rss
    rng, times = np.random.default_rng(0), []
    with threadpool_limits(1):
        trainer = make_trainer(method, n, popsize, 0.1)
        state = trainer.init(0)
        for _ in range(max(2, generations)):
            t = time.perf_counter()
            population, state = trainer.ask(state)
            state = trainer.tell(state, population, rng.normal(size=len(population)))
            times.append((time.perf_counter() - t) * 1e3)
            del population
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 - rss0
    return {"ms_per_gen": statistics.median(times[1:]), "peak_mib": peak / 2**20}
