"""A compiled simulator as the per-core reference: EnvPool's C++ environments against Gymnasium's.

Chapter 8 asks what a GPU buys. Before that: how much of a CPU core does Gymnasium's Python step
leave unused? EnvPool (Weng et al. 2022, "EnvPool: A Highly Parallel Reinforcement Learning
Environment Execution Engine", NeurIPS Datasets and Benchmarks) re-implements the classic-control,
Box2D and MuJoCo tasks in C++ behind one batched ``step``. Here both sides run on **one thread**
with uniformly random actions, resetting finished episodes:

* ``gymnasium``: one ``gymnasium.make(task)`` environment (``bench.evaluator.raw_steps_per_s``);
* ``envpool``: ``envpool.make_gymnasium(task, num_envs=N, batch_size=N, num_threads=1)``, stepping
  all N environments per call (EnvPool resets finished ones itself).

Rounds alternate the two sides, and the JSON reports the median rate of each and the median of the
per-round ratios, so both see the same machine load. Where EnvPool beats the Python environment, the
environment's Python, not its physics, is the per-core limit of our evaluator (which runs at or above
one raw Gymnasium environment's rate, ``bench evaluator``).

EnvPool is optional (``requirements-compiled.txt``, ~0.7 GB with its MuJoCo assets): ``make
bench-compiled`` installs it; without it this benchmark stops with a clear message.
"""

from __future__ import annotations

import time

import numpy as np

from ..evaluation.envpool import TASKS, envpool_module, make_pool  # TASKS: the ids EnvPool and Gymnasium
# share (Pong is not one: EnvPool's own preprocessing differs from ours, so its rate is not comparable)


def envpool_steps_per_s(task: str, num_envs: int, seconds: float, seed: int = 0) -> float:
    """Env steps per second of one EnvPool pool of ``num_envs`` on one thread, random actions."""
    if task not in TASKS:
        raise ValueError(f"unknown task {task!r} for the compiled-simulator bench; valid: {', '.join(TASKS)}")
    if not isinstance(num_envs, int) or num_envs < 1:
        raise ValueError(f"num_envs must be a positive integer, got {num_envs!r}")
    env = make_pool(task, num_envs, seed)
    space = env.action_space
    rng = np.random.default_rng(seed)
    if hasattr(space, "n"):
        draw = lambda: rng.integers(0, space.n, num_envs)  # noqa: E731
    else:
        lo, hi = np.broadcast_to(space.low, space.shape), np.broadcast_to(space.high, space.shape)
        draw = lambda: rng.uniform(lo, hi, (num_envs, *space.shape)).astype(space.dtype)  # noqa: E731
    env.reset()
    steps, t = 0, time.perf_counter()
    deadline = t + seconds
    while True:
        for _ in range(20):
            env.step(draw())
            steps += num_envs
        if time.perf_counter() >= deadline:
            rate = steps / (time.perf_counter() - t)
            env.close()
            return rate


def bench_compiled(tasks=TASKS, num_envs: int = 64, seconds: float = 3.0, rounds: int = 3, log=print) -> dict:
    """Per task: median steps/s of EnvPool (``num_envs`` per pool, one thread) and of one Gymnasium
    environment, and the median per-round ratio; one thread each, rounds interleaved."""
    from threadpoolctl import threadpool_limits

    from ..envs import get_spec, make_wrapped_env
    from ..machine import machine_label
    from .evaluator import raw_steps_per_s

    if not isinstance(rounds, int) or rounds < 1:
        raise ValueError(f"rounds must be a positive integer, got {rounds!r}")
    if not seconds > 0:
        raise ValueError(f"seconds must be positive, got {seconds!r}")
    envpool_module()
    out = {"machine": machine_label(), "num_envs": num_envs, "threads": 1, "rounds": rounds,
           "seconds_per_side": seconds, "per_task": []}
    with threadpool_limits(1):
        for task in tasks:
            spec = get_spec(task)
            pool, gym = [], []
            for r in range(rounds):
                pool.append(envpool_steps_per_s(task, num_envs, seconds, seed=r))
                gym.append(raw_steps_per_s(make_wrapped_env(task), spec.max_steps, seconds, seed=r))
                log(f"{task} round {r + 1}: envpool {pool[-1]:,.0f} steps/s, gymnasium {gym[-1]:,.0f}")
            ratios = np.array(pool) / np.array(gym)
            out["per_task"].append({"env": task, "envpool_steps_per_s": float(np.median(pool)),
                                    "gymnasium_steps_per_s": float(np.median(gym)),
                                    "ratio": float(np.median(ratios)), "ratio_min": float(ratios.min()),
                                    "ratio_max": float(ratios.max())})
    return out


# --- EnvPool as an evaluator backend: same task, other episodes -------------------------------------
# ``evaluation.envpool`` simulates a task with EnvPool instead of Gymnasium. Its episodes are not
# Gymnasium's (another random number generator draws the start states and the noise), so the claim
# to check is statistical: the same networks earn returns from the same distribution. Each check
# evaluates one set of policies on both backends, ``episodes`` episodes a side, and compares the
# return samples (``stats.compare``: P(EnvPool > Gymnasium) with its bootstrap CI; a two-sample
# Kolmogorov-Smirnov test for the whole distribution).

EQUIVALENCE_POLICIES = ("random", "heuristic", "trained")
"""``random``: 16 networks with N(0, 0.5^2) weights (the spread of a fresh ES population), the
episodes spread over them; ``heuristic``: a hand-written controller (LunarLander: Gymnasium's own
``heuristic``; CartPole: push towards the side the pole leans to, which keeps it up for about 40
steps with a wide spread, a more telling sample than a controller that always reaches the cap);
``trained``: one network trained by ``torch_cmaes`` on the Gymnasium backend for
``TRAIN_EVALS[task]`` episodes (seed 0)."""

TRAIN_EVALS = {"CartPole-v1": 1_600, "LunarLander-v3": 3_200, "BipedalWalker-v3": 1_600}


class HandPolicy:
    """A controller without weights in the evaluators' policy interface (``unflatten``, ``take``,
    ``put``, ``forward``): ``act(obs) -> action`` per row."""

    n_params = 1

    def __init__(self, act):
        self.act = act

    def unflatten(self, population):
        return np.zeros(len(population))

    @staticmethod
    def take(layers, rows):
        return layers[rows]

    @staticmethod
    def put(layers, slots, src, rows):
        layers[slots] = src[rows]

    def forward(self, layers, obs):
        return np.array([self.act(o) for o in obs])


def heuristic(task: str):
    """The hand-written controller of ``task`` (LunarLander: Gymnasium's; CartPole: bang-bang on the
    pole's angle), or None."""
    if task == "LunarLander-v3":
        from types import SimpleNamespace

        from gymnasium.envs.box2d.lunar_lander import heuristic as lander

        discrete = SimpleNamespace(unwrapped=SimpleNamespace(continuous=False))
        return lambda o: lander(discrete, o)
    if task == "CartPole-v1":
        return lambda o: int(o[2] > 0)  # bang-bang on the angle alone: ~40 steps, spread out
    return None


def trained_weights(task: str) -> np.ndarray:
    """One network trained on the Gymnasium backend (torch_cmaes, seed 0, ``TRAIN_EVALS[task]`` episodes)."""
    import json

    from ..config import RunConfig
    from ..train import train

    from ..envs import get_spec

    config = RunConfig(method="torch_cmaes", env=task, hidden=get_spec(task).default_hidden, popsize=16,
                       budget_evals=TRAIN_EVALS[task], test_every=0, test_episodes=10, keep_solutions=True)
    return np.array(json.loads(train(config)[-1]["solution"]))


def equivalence(task: str, policy: str, episodes: int, seed: int = 0, swap_actions: bool = False) -> dict:
    """``episodes`` episodes of ``policy`` (``EQUIVALENCE_POLICIES``) on ``task`` with the Gymnasium
    (lockstep) and the EnvPool backend: both return samples' means and ``stats.compare`` of EnvPool
    against Gymnasium, and the KS test's p. ``swap_actions`` (the negative control, ``heuristic`` only):
    EnvPool's side gets the controller's actions mirrored (a -> act_dim - 1 - a), a difference the
    comparison must resolve."""
    from scipy.stats import ks_2samp

    from ..envs import get_spec
    from ..evaluation import LockstepEvaluator, episode_seeds
    from ..evaluation.envpool import EnvPoolEvaluator
    from ..stats import compare

    if policy not in EQUIVALENCE_POLICIES:
        raise ValueError(f"unknown policy {policy!r}; valid: {', '.join(EQUIVALENCE_POLICIES)}")
    if not isinstance(episodes, int) or episodes < 2:
        raise ValueError(f"episodes must be an integer of at least 2, got {episodes!r}")
    if swap_actions and policy != "heuristic":
        raise ValueError("swap_actions is the heuristic controller's negative control; policy must be 'heuristic'")
    hidden = get_spec(task).default_hidden
    gym, pool = LockstepEvaluator(task, hidden), EnvPoolEvaluator(task, hidden)
    if policy == "random":
        networks = 16
        population = np.random.default_rng(seed).normal(0.0, 0.5, (networks, gym.policy.n_params))
    else:
        networks = 1
        if policy == "heuristic":
            act = heuristic(task)
            if act is None:
                raise ValueError(f"no heuristic controller for {task!r}")
            gym.policy = pool.policy = HandPolicy(act)
            if swap_actions:
                n = gym.spec.act_dim
                pool.policy = HandPolicy(lambda o: n - 1 - act(o))
            population = np.zeros((1, 1))
        else:
            population = trained_weights(task)[None, :]
    per = -(-episodes // networks)
    seeds = episode_seeds(seed, 0, 0, networks, per, contiguous=True)
    g = gym.evaluate(population, seeds).returns.ravel()[:episodes]
    p = pool.evaluate(population, seeds).returns.ravel()[:episodes]
    c = compare(p, g)
    return {"env": task, "policy": policy, "episodes": episodes, "swap_actions": swap_actions,
            "mean_gymnasium": float(g.mean()), "mean_envpool": float(p.mean()),
            "p_envpool_better": c["p"], "p_lo": c["p_lo"], "p_hi": c["p_hi"], "diff_lo": c["diff_lo"],
            "diff_hi": c["diff_hi"], "resolved": c["resolved"], "ks_p": float(ks_2samp(p, g).pvalue)}


EQUIVALENCE_CHECKS = (("CartPole-v1", "random"), ("CartPole-v1", "heuristic"), ("CartPole-v1", "trained"),
                      ("LunarLander-v3", "random"), ("LunarLander-v3", "heuristic"), ("LunarLander-v3", "trained"),
                      ("BipedalWalker-v3", "random"), ("Humanoid-v5", "random"))
"""The (task, policy) pairs ``bench envpool`` checks; each discrete task's heuristic also runs
mirrored on EnvPool's side, the negative control."""


def backend_speed(task: str, popsize: int = 64, seconds: float = 3.0, rounds: int = 3, log=print) -> dict:
    """Useful env steps/s of the EnvPool backend against the lockstep (Gymnasium) evaluator on one
    thread: a population of ``popsize`` around a trained network (``trained_weights`` plus N(0, 0.1^2)
    per weight, so episode lengths are as uneven as mid-training; random N(0, 0.5^2) weights where
    ``TRAIN_EVALS`` has no entry), one episode each, generations alternating the backends per round."""
    from threadpoolctl import threadpool_limits

    from ..envs import get_spec
    from ..evaluation import LockstepEvaluator, episode_seeds
    from ..evaluation.envpool import EnvPoolEvaluator

    hidden = get_spec(task).default_hidden
    sides = {"lockstep": LockstepEvaluator(task, hidden), "envpool": EnvPoolEvaluator(task, hidden)}
    rng = np.random.default_rng(0)
    n = sides["lockstep"].policy.n_params
    if task in TRAIN_EVALS:
        population = trained_weights(task)[None, :] + rng.normal(0.0, 0.1, (popsize, n))
    else:
        population = rng.normal(0.0, 0.5, (popsize, n))
    rates = {k: [] for k in sides}
    with threadpool_limits(1):
        for r in range(rounds):
            for name, ev in sides.items():
                steps, gen, t = 0, 0, time.perf_counter()
                while time.perf_counter() - t < seconds:
                    seeds = episode_seeds(r, 0, gen, popsize, 1, contiguous=name == "envpool")
                    steps += ev.evaluate(population, seeds).env_steps
                    gen += 1
                rates[name].append(steps / (time.perf_counter() - t))
            log(f"{task} round {r + 1}: envpool backend {rates['envpool'][-1]:,.0f} useful steps/s, "
                f"lockstep {rates['lockstep'][-1]:,.0f}")
    ratios = np.array(rates["envpool"]) / np.array(rates["lockstep"])
    return {"env": task, "popsize": popsize, "envpool_steps_per_s": float(np.median(rates["envpool"])),
            "lockstep_steps_per_s": float(np.median(rates["lockstep"])), "ratio": float(np.median(ratios)),
            "ratio_min": float(ratios.min()), "ratio_max": float(ratios.max()), "ratios": ratios.tolist()}


def bench_envpool_backend(checks=EQUIVALENCE_CHECKS, episodes: int = 300, speed_tasks=("CartPole-v1", "LunarLander-v3"),
                          popsize: int = 64, seconds: float = 3.0, rounds: int = 3, log=print) -> dict:
    """``bench envpool``: the equivalence checks (plus the negative controls) and the backend's speed."""
    from ..machine import machine_label

    envpool_module()
    out = {"machine": machine_label(), "threads": 1, "episodes": episodes, "equivalence": [], "speed": []}
    for task, policy in checks:
        for swap in (False, True) if policy == "heuristic" else (False,):
            row = equivalence(task, policy, episodes, swap_actions=swap)
            log(f"{task} {policy}{' mirrored' if swap else ''}: gymnasium {row['mean_gymnasium']:.1f}, envpool "
                f"{row['mean_envpool']:.1f}, P(envpool > gymnasium) {row['p_envpool_better']:.2f} "
                f"[{row['p_lo']:.2f}, {row['p_hi']:.2f}], KS p {row['ks_p']:.3f}")
            out["equivalence"].append(row)
    for task in speed_tasks:
        out["speed"].append(backend_speed(task, popsize, seconds, rounds, log=log))
    return out
