"""``bench evaluator``: how close the population evaluator comes to stepping the environment alone.

Every rate is useful env steps per second on one core, and every ratio is taken between rates
measured side by side in the same run: ``rounds`` rounds, each timing all five of the following for
``seconds / rounds``, and the JSON reports the median over rounds (of the rates, and of the per-round
ratios, so a slow spell of the machine hits both sides of a ratio).

* **raw** -- one plain ``gymnasium.make`` environment driven by random actions (for Atari:
  ``gymnasium.make``, ALE frame skip and sticky actions in C++, raw frames or RAM): the issue's
  "raw env step rate". **unwrapped** -- the same with the environment the evaluator steps
  (``envs.make_env``: no Gymnasium wrappers; Atari with its preprocessing).
* **evaluator** -- the backend under test on the benchmark population; **serial** -- the reference
  ``SerialEvaluator`` on the same population.
* **replay** -- one plain ``gymnasium.make`` environment stepped through the population's *own*
  recorded actions, with no network: the raw rate on the trajectories the evaluator actually runs.
  Random actions can be much cheaper to simulate than a policy's (MuJoCo's solver works harder on a
  humanoid pushing at its torque limits; a lander that hovers costs more than one that crashes).
  For Atari the replayed actions meet v5's own sticky-action draws, so that column is indicative.

Where the evaluator's time goes (``*_fraction``, measured in a separate timed pass of the lockstep
evaluator): ``env_fraction`` inside the environments' ``step``/``reset``, of which
``emulator_fraction`` inside the emulator's frames for Atari pixels (the rest of the env time is the
preprocessing: grey frames, max-pooling, area resize, frame stack); ``network_fraction`` in the
policy forward; ``loop_fraction`` the evaluator's own bookkeeping (and the timers).

Episode lengths matter: a fresh random population crashes every lander within ~100 steps, while a
partly trained one mixes crashes with landers that hover to the 1,000-step cap, and a plain lockstep
loop then wastes its time on finished environments. So on LunarLander the benchmark population is
half random networks (crash in ~50-150 steps) and half Gymnasium's heuristic lander controller,
embedded in the same MLP, told to hover at heights from -0.5 (lands or crashes) to 1.5 (hovers to the
1,000-step cap). On other tasks it first trains the task's default method for ``warmup_evals``
episodes (default: 3,000; 0 for Atari, whose episodes cost ~1,000 emulator steps each: there the
population is N(0, 0.1^2) weights). The JSON reports the episode-length spread the evaluator saw.
"""

from __future__ import annotations

import statistics
import time
from contextlib import contextmanager

import numpy as np

from ..config import RunConfig, parse_hidden
from ..envs import get_spec, make_env, make_wrapped_env
from ..evaluation import TRAIN, episode_seeds, make_evaluator, reset
from ..machine import machine_label
from ..train import resolve
from ..trainers import make_trainer


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


class _Clock:
    """Seconds spent in the timed calls, by kind; ``timed`` is a ``LockstepEvaluator`` timer hook."""

    def __init__(self):
        self.seconds: dict[str, float] = {"env": 0.0, "network": 0.0, "emulator": 0.0}

    def timed(self, kind: str, fn):
        def call(*args, **kw):
            t = time.perf_counter()
            try:
                return fn(*args, **kw)
            finally:
                self.seconds[kind] += time.perf_counter() - t
        return call


@contextmanager
def _timed_emulator(evaluator, clock: _Clock, jobs: int):
    """For Atari pixels, also time the emulator's frames inside each environment's step (an instance
    attribute on the environments of ``evaluator``, removed again on exit)."""
    evaluator.prepare(jobs)
    for env in evaluator.envs:
        if hasattr(env, "_frame"):  # envs.atari.AtariPixels
            env._frame = clock.timed("emulator", env._frame)
    try:
        yield
    finally:
        for env in evaluator.envs:
            env.__dict__.pop("_frame", None)


def time_breakdown(evaluator, population: np.ndarray, seconds: float) -> dict:
    """Shares of the lockstep evaluator's time: env (of it: emulator frames), network, loop. The env
    steps, resets and the forward are timed through the evaluator's own ``timer`` hook."""
    clock = _Clock()
    evaluator.timer = clock.timed
    try:
        with _timed_emulator(evaluator, clock, len(population)):
            t = time.perf_counter()
            _steps_per_s(evaluator, population, seconds, first_round=10_000)
            total = time.perf_counter() - t
    finally:
        evaluator.timer = None
    s = clock.seconds
    out = {"env_fraction": s["env"] / total, "network_fraction": s["network"] / total,
           "loop_fraction": 1 - (s["env"] + s["network"]) / total}
    if s["emulator"]:
        out["emulator_fraction"] = s["emulator"] / total
        out["preprocessing_fraction"] = (s["env"] - s["emulator"]) / total
    return out


def bench_evaluator(env_id: str, hidden=None, popsize: int = 64, seconds: float = 10.0,
                    backend: str = "lockstep", warmup_evals: int | None = None, rounds: int = 3,
                    log=print) -> dict:
    """``hidden=None``: the task's default network; ``warmup_evals=None``: 3,000 (0 for Atari).
    Takes about ``5 * seconds`` (plus the warm-up and, for the lockstep backend, ``seconds / rounds``
    for the time breakdown)."""
    from threadpoolctl import threadpool_limits

    spec = get_spec(env_id)
    hidden = spec.default_hidden if hidden is None else parse_hidden(hidden)
    warmup_evals = (0 if env_id.startswith("ALE/") else 3_000) if warmup_evals is None else warmup_evals
    if not isinstance(warmup_evals, int) or warmup_evals < 0:
        raise ValueError(f"warmup_evals must be a non-negative integer, got {warmup_evals!r}")
    if not isinstance(rounds, int) or rounds < 1:
        raise ValueError(f"rounds must be a positive integer, got {rounds!r}")
    config = resolve(RunConfig(env=env_id, hidden=hidden, popsize=popsize, backend=backend,
                               budget_evals=max(popsize, warmup_evals))).config  # validates every argument
    if seconds <= 0:
        raise ValueError(f"seconds must be positive, got {seconds}")
    with threadpool_limits(1):
        evaluator = make_evaluator(config)
        if env_id == "LunarLander-v3" and hidden:
            population, kind, warm = mixed_lander_population(evaluator.policy, popsize), "random+hover", 0
        elif warmup_evals == 0:
            rng = np.random.default_rng(0)
            population, kind, warm = rng.normal(0, 0.1, (popsize, evaluator.policy.n_params)), "random", 0
        else:
            log(f"warm-up: {spec.default_method} for {warmup_evals} episodes so episode lengths spread as in training")
            population, warm = warmed_up_population(evaluator, popsize, warmup_evals, spec.default_method), warmup_evals
            kind = f"{spec.default_method}-warm-up"
        if hasattr(evaluator, "prepare"):  # lockstep: environments built outside the clock, as serial's
            evaluator.prepare(popsize)
        serial = make_evaluator(config.replace(backend="serial"))
        cap, per = spec.max_steps, seconds / rounds
        raw_env, unwrapped_env = make_wrapped_env(env_id), make_env(env_id)
        episodes = record_episodes(env_id, serial.policy, population)
        rates: dict[str, list[float]] = {k: [] for k in ("raw", "unwrapped", "evaluator", "serial", "replay")}
        lengths = []
        for r in range(rounds):
            log(f"round {r + 1}/{rounds}: raw, unwrapped, evaluator ({backend}), serial, replay; {per:.3g} s each")
            rates["raw"].append(raw_steps_per_s(raw_env, cap, per, seed=r))
            rates["unwrapped"].append(raw_steps_per_s(unwrapped_env, cap, per, seed=r))
            rate, seen = _steps_per_s(evaluator, population, per, first_round=1_000 * r)
            rates["evaluator"].append(rate)
            lengths += seen
            rates["serial"].append(_steps_per_s(serial, population, per, first_round=1_000 * r)[0])
            rates["replay"].append(replay_rate(raw_env, episodes, per))
        breakdown = {}
        if backend == "lockstep":
            log(f"time breakdown of the evaluator, {per:.3g} s")
            breakdown = time_breakdown(evaluator, population, per)

    def ratio(base: str) -> float:
        return statistics.median(e / b for e, b in zip(rates["evaluator"], rates[base]))

    lengths = np.concatenate(lengths)
    return {
        "machine": machine_label(), "env": env_id, "hidden": list(hidden), "n_params": evaluator.policy.n_params,
        "popsize": popsize, "backend": backend, "population": kind, "warmup_evals": warm, "rounds": rounds,
        "episode_length_min": int(lengths.min()), "episode_length_median": float(np.median(lengths)),
        "episode_length_max": int(lengths.max()),
        "steps_in_episodes_over_500": float(lengths[lengths > 500].sum() / lengths.sum()),
        **{f"{k}_steps_per_s": statistics.median(v) for k, v in rates.items()},
        "ratio": ratio("raw"), "ratio_vs_unwrapped": ratio("unwrapped"), "ratio_vs_serial": ratio("serial"),
        "ratio_vs_replay": ratio("replay"),
        "ratio_per_round": [e / b for e, b in zip(rates["evaluator"], rates["raw"])],
        **breakdown,
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


def record_episodes(env_id: str, policy, population: np.ndarray) -> list[tuple[int, list]]:
    """(seed, actions) of one episode per individual, stepped by the evaluator's own environment."""
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
    return episodes


def replay_rate(raw, episodes: list[tuple[int, list]], seconds: float) -> float:
    """Steps/s of the plain env ``raw`` replaying ``episodes`` (``record_episodes``), no network."""
    steps, t = 0, time.perf_counter()
    while time.perf_counter() - t < seconds:
        for seed, actions in episodes:
            raw.reset(seed=seed)
            for a in actions:
                steps += 1
                if any(raw.step(a)[2:4]):
                    break
    return steps / (time.perf_counter() - t)


def replay_steps_per_s(env_id: str, policy, population: np.ndarray, seconds: float) -> float:
    """The replay rate (module docstring) of ``population``'s own episodes on ``gymnasium.make(env_id)``."""
    return replay_rate(make_wrapped_env(env_id), record_episodes(env_id, policy, population), seconds)


def _steps_per_s(evaluator, population: np.ndarray, seconds: float, first_round: int = 0) -> tuple[float, list]:
    """Useful env steps per second over repeated evaluations (fresh seeds each round)."""
    steps, lengths, rounds, t = 0, [], first_round, time.perf_counter()
    while time.perf_counter() - t < seconds:
        result = evaluator.evaluate(population, episode_seeds(1, TRAIN, rounds, len(population), 1))
        steps += result.env_steps
        lengths.append(result.lengths.ravel())
        rounds += 1
    return steps / (time.perf_counter() - t), lengths
