"""The PPO baseline (Stable-Baselines3), on the same accounting as the evolution runs.

``train_ppo`` returns one record per PPO rollout/update with the columns of
``evoscale.train.train`` plus ``test_return_stochastic``/``test_std_stochastic`` (the solved test with
sampled actions) ("generation" is the rollout index, "popsize" the number of parallel
environments, "evals" the training episodes completed so far, "env_steps" SB3's ``num_timesteps``).
The solved test is the book's: the deterministic policy on ``test_episodes`` fresh episodes of the
unwrapped environment, reset with the ``EVAL`` seed stream and capped at ``EnvSpec.max_steps``.

Hyper-parameters are rl-baselines3-zoo's (``ZOO_HYPERPARAMS``); the environment wrappers are the
ones the zoo uses, written out in ``_make_venv``: ``DummyVecEnv`` of ``Monitor(gym.make(env_id))``,
plus ``VecNormalize`` (observations and rewards, ``gamma`` = PPO's gamma, as the zoo does) only for
the tasks whose zoo entry says ``normalize: true``. Atari (Pong pixels and RAM) trains on the
evaluator's own environment, ``Monitor(TimeLimit(make_env(env_id)))``: the observation PPO learns
from is the one the solved test feeds it (pixels: ``uint8[4, 84, 84]``, channel-first, which SB3's
CnnPolicy takes as is and scales by 1/255 inside the network; no other wrapper, no normalisation).
"""

from __future__ import annotations

import io
import math
import os
import pickle
import time
from dataclasses import dataclass

import gymnasium as gym
import numpy as np
from gymnasium.wrappers import TimeLimit
from stable_baselines3 import PPO
from stable_baselines3.common.callbacks import BaseCallback
from stable_baselines3.common.monitor import Monitor
from stable_baselines3.common.vec_env import DummyVecEnv, VecNormalize

from ..envs import get_spec, make_env, register_extras
from ..evaluation import EVAL, TRAIN, LockstepEvaluator, episode_seeds
from ..machine import machine_label, peak_memory_gib, reset_peak_memory
from ..compact import load_pickle
from ..store import atomic_write, current_names
from .zoo import ZOO_HYPERPARAMS, LinearSchedule, ppo_kwargs, zoo_hyperparams  # noqa: F401 (re-exported)

RECORD_KEYS = (
    "method", "env", "n_params", "popsize", "seed", "generation", "evals", "env_steps", "wall_s",
    "opt_s", "pop_eval_s", "best_return", "mean_return", "median_return", "test_return", "test_std",
    "test_wall_s", "machine", "test_return_stochastic", "test_std_stochastic", "cpu_s", "peak_mem_gib",
)
CHECKPOINT_FORMAT = 1


class RunFinishedError(RuntimeError):
    """The checkpoint already holds a run trained to (at least) the requested total_timesteps."""


def _atari_env(env_id: str) -> gym.Env:
    """One Atari training environment: the evaluator's ``make_env(env_id)`` (``envs.atari``: seeded
    sticky actions p=0.25; pixels: AtariPreprocessing's up to 30 no-ops, frame skip 4 with
    max-pooling, grey 84x84, and 4 stacked frames; RAM: bytes / 255), ``TimeLimit`` at ``EnvSpec.max_steps`` (the
    evaluator's cap, read from the registry like the evaluator does) and ``Monitor``.

    Against the zoo's ``AtariWrapper`` + ``VecFrameStack(4)`` on ``PongNoFrameskip-v4`` this adds v5's
    sticky actions and leaves out three wrappers that do nothing or next to nothing on Pong:
    EpisodicLifeEnv (Pong reports 0 lives, so no life is ever lost), ClipRewardEnv (Pong's rewards per
    agent step are already -1, 0 or +1) and FireResetEnv (FIRE then RIGHT after each reset; Pong
    serves without FIRE). The frame stack is filled with the first frame at reset (VecFrameStack: zeros).
    """
    return Monitor(TimeLimit(make_env(env_id), get_spec(env_id).max_steps))


def _make_venv(env_id: str, merged: dict):
    """The training environments, every wrapper explicit: Monitor records each episode's raw return
    and length (what the records report); gym.make's TimeLimit truncates at the registered cap.
    Atari: ``_atari_env``."""
    register_extras(env_id)
    n = int(merged["n_envs"])
    if env_id.startswith("ALE/"):
        return DummyVecEnv([lambda: _atari_env(env_id) for _ in range(n)])
    cap = gym.spec(env_id).max_episode_steps
    if cap != get_spec(env_id).max_steps:
        raise RuntimeError(f"{env_id}: gymnasium's episode cap {cap} != EnvSpec.max_steps {get_spec(env_id).max_steps}")
    venv = DummyVecEnv([lambda: Monitor(gym.make(env_id)) for _ in range(n)])
    if merged["normalize"]:
        # as rl-baselines3-zoo: observations and rewards, discounted with PPO's own gamma
        venv = VecNormalize(venv, gamma=merged.get("gamma", 0.99))
    return venv


def _derived_seed(*words: int) -> int:
    return int(np.random.SeedSequence(list(words)).generate_state(1)[0])


def _seed_everything(model: PPO, seed: int, num_timesteps: int) -> None:
    """Torch/NumPy/action-space seeds and the environments' reset seeds, from (run seed, start step).

    A fresh run (num_timesteps 0) keeps ``PPO(seed=seed)``'s torch/NumPy seeding; a resumed run is
    re-seeded from where it resumes, so resuming never replays the random numbers of the start.
    The training environments get reset seeds ``base + i`` with ``base`` hashed from the run seed (not
    SB3's ``seed + i``, which would give run seed 0's env 1 the same episodes as run seed 1's env 0).
    """
    if num_timesteps:
        model.set_random_seed(_derived_seed(seed, TRAIN, num_timesteps, 1))
    model.get_env().seed(_derived_seed(seed, TRAIN, num_timesteps))


class SB3Policy:
    """A trained SB3 model behind the evaluator's policy interface, so the solved test runs on the
    same ``LockstepEvaluator`` as the evolution runs: its "population" is the one model, each
    episode a row; deterministic actions (``deterministic=False``: sampled from the policy's
    distribution with torch's global generator); observations through VecNormalize's current
    statistics (never updated here) when training used it."""

    def __init__(self, model: PPO, deterministic: bool = True):
        self.model, self.vecnorm = model, model.get_vec_normalize_env()
        self.deterministic = deterministic

    def unflatten(self, population: np.ndarray) -> np.ndarray:
        return np.zeros(len(population))  # no per-row state: every row is the same model

    @staticmethod
    def take(rows_state: np.ndarray, rows: np.ndarray) -> np.ndarray:
        return rows_state[rows]

    def observe(self, obs: np.ndarray) -> np.ndarray:
        """``obs`` as the model was trained on it (VecNormalize's statistics where used)."""
        return self.vecnorm.normalize_obs(obs) if self.vecnorm is not None else obs

    def forward(self, _rows_state, obs: np.ndarray) -> np.ndarray:
        return self.model.predict(self.observe(obs), deterministic=self.deterministic)[0]


class SolvedTest:
    """The policy on fresh, seeded episodes of the unwrapped env: ``LockstepEvaluator`` (capped at
    EnvSpec.max_steps, one batched forward per step over the episodes still running).

    Deterministic (the book's solved test, ``test_return``; the same returns as SB3's
    ``evaluate_policy(model, env, deterministic=True)`` on the same reset seeds, tested) unless
    ``sample_seed`` is given: then the actions are sampled, torch's generator seeded with it for the
    test and restored afterwards, so training's random numbers are untouched. ``adapter``: the class
    that puts the model behind the evaluator's policy interface (recurrent PPO's carries each
    episode's LSTM state)."""

    def __init__(self, env_id: str, adapter: type = SB3Policy):
        self.evaluator = LockstepEvaluator(env_id, ())  # its MLP is replaced by the model below
        self.adapter = adapter

    def __call__(self, model: PPO, seeds: np.ndarray, sample_seed: int | None = None) -> tuple[float, float]:
        import torch

        self.evaluator.policy = self.adapter(model, deterministic=sample_seed is None)
        state = torch.get_rng_state()
        try:
            if sample_seed is not None:
                torch.manual_seed(sample_seed)
            returns = self.evaluator.evaluate(np.zeros((1, 1)), np.asarray(seeds)[None, :]).returns
        finally:
            torch.set_rng_state(state)
        return float(returns.mean()), float(returns.std())


class RecordCallback(BaseCallback):
    """One record per rollout/update, in the evolution loop's format.

    SB3's loop is: on_rollout_start, n_steps x on_step, on_rollout_end, train(), on_rollout_start ...,
    on_training_end. So a rollout is timed from on_rollout_start to on_rollout_end (``pop_eval_s``),
    its update from on_rollout_end to the next on_rollout_start / on_training_end (``opt_s``), and its
    record is completed there, after the update -- the solved test evaluates the updated policy,
    as the evolution loop evaluates the solution after ``tell``. Solved tests and checkpoints are
    outside both clocks.
    """

    def __init__(self, run: dict, records: list[dict], solved_test: SolvedTest,
                 checkpoint: str | None, checkpoint_meta: dict, bar=None):
        super().__init__()
        self.run, self.records, self.solved_test = run, records, solved_test
        self.checkpoint, self.checkpoint_meta, self.bar = checkpoint, checkpoint_meta, bar
        last = records[-1] if records else {}
        self.generation = last.get("generation", -1) + 1
        self.evals = last.get("evals", 0)
        self.wall = last.get("wall_s", 0.0)
        self.eval_wall = last.get("test_wall_s", 0.0)
        self.cpu_before = last.get("cpu_s", 0.0) - time.process_time()  # + process_time(): the run's CPU s
        # solved already (a resumed run): the fine cadence before the first pass is over
        self.solved = any(r.get("test_return", math.nan) >= run["solved"] for r in records) \
            if run.get("solved") is not None else True
        self.next_eval = self._next(last.get("env_steps", 0))
        self.t_start = self.t_end = None
        self.returns: list[float] = []

    def _every(self) -> int:
        """Env steps between solved tests now: ``test_every_unsolved`` until a test first reaches the
        task's solved threshold, ``eval_every_steps`` from then on."""
        fine = self.run.get("test_every_unsolved")
        return self.run["eval_every_steps"] if self.solved or not fine else fine

    def _next(self, steps: int) -> float:
        """The first multiple of the current cadence after ``steps`` (inf: only at the end)."""
        every = self._every()
        return (steps // every + 1) * every if every else math.inf

    def _on_rollout_start(self) -> None:
        if self.t_end is not None:  # the previous rollout's update just finished
            self._finish_record(last=False)
        self.returns = []
        self.t_start = time.perf_counter()

    def _on_step(self) -> bool:
        for info in self.locals["infos"]:
            if "episode" in info:  # Monitor: the raw return of an episode that ended at this step
                self.returns.append(float(info["episode"]["r"]))
        return True

    def _on_rollout_end(self) -> None:
        self.t_end = time.perf_counter()

    def _on_training_end(self) -> None:
        if self.t_end is not None:
            self._finish_record(last=True)
            self.t_end = None

    def _finish_record(self, last: bool) -> None:
        t_update = time.perf_counter()
        steps = int(self.model.num_timesteps)
        pop_eval_s, opt_s = self.t_end - self.t_start, t_update - self.t_end
        self.wall += pop_eval_s + opt_s
        self.evals += len(self.returns)
        r = np.array(self.returns)
        rec = {
            "method": self.run["method"], "env": self.run["env"], "n_params": self.run["n_params"],
            "popsize": self.run["n_envs"], "seed": self.run["seed"], "generation": self.generation,
            "evals": self.evals, "env_steps": steps, "wall_s": self.wall, "opt_s": opt_s,
            "pop_eval_s": pop_eval_s,
            "best_return": float(r.max()) if r.size else math.nan,
            "mean_return": float(r.mean()) if r.size else math.nan,
            "median_return": float(np.median(r)) if r.size else math.nan,
            "test_return": math.nan, "test_std": math.nan, "test_wall_s": self.eval_wall,
            "machine": self.run["machine"], "test_return_stochastic": math.nan, "test_std_stochastic": math.nan,
        }
        tested = steps >= self.next_eval or last
        if tested:
            t0 = time.perf_counter()
            seeds = episode_seeds(self.run["seed"], EVAL, self.generation, 1, self.run["test_episodes"])[0]
            rec["test_return"], rec["test_std"] = self.solved_test(self.model, seeds)
            sample_seed = _derived_seed(self.run["seed"], EVAL, self.generation, 2)  # the EVAL stream's
            rec["test_return_stochastic"], rec["test_std_stochastic"] = self.solved_test(self.model, seeds, sample_seed)
            self.eval_wall += time.perf_counter() - t0
            rec["test_wall_s"] = self.eval_wall
            if self.run.get("solved") is not None and rec["test_return"] >= self.run["solved"]:
                self.solved = True
            self.next_eval = self._next(steps)
        rec["cpu_s"], rec["peak_mem_gib"] = self.cpu_before + time.process_time(), peak_memory_gib()
        self.records.append(rec)
        if tested and self.checkpoint:
            save_checkpoint(self.checkpoint, self.model, self.records, self.checkpoint_meta)
        self.generation += 1
        if self.bar is not None:
            self.bar.update(steps - self.bar.n)
            self.bar.set_postfix(mean=f"{rec['mean_return']:.1f}", evals=self.evals)


def save_checkpoint(path: str, model: PPO, records: list[dict], meta: dict) -> None:
    """Model, VecNormalize statistics and records in one file, written atomically (temp + os.replace)."""
    buf = io.BytesIO()
    model.save(buf)
    vecnorm = model.get_vec_normalize_env()
    state = {
        "format": CHECKPOINT_FORMAT, **meta, "num_timesteps": int(model.num_timesteps),
        "model": buf.getvalue(), "vecnormalize": pickle.dumps(vecnorm) if vecnorm is not None else None,
        "records": records,
    }
    atomic_write(path, lambda f: pickle.dump(state, f), binary=True)


def load_checkpoint(path: str) -> dict:
    """The checkpoint's contents: ``records``, ``num_timesteps``, ``env``, ``seed``, ``hyper``, ..."""
    state = load_pickle(path)
    if not isinstance(state, dict) or state.get("format") != CHECKPOINT_FORMAT:
        raise ValueError(f"{path}: not a PPO checkpoint of format {CHECKPOINT_FORMAT}")
    state["records"] = current_names(state.get("records", []))  # written by older code: eval_* columns
    return state


def _n_params(model: PPO) -> int:
    return sum(p.numel() for p in model.policy.parameters())


def policy_size(env_id: str, hyper: dict | None = None, algorithm: "Algorithm | None" = None) -> int:
    """``_n_params`` of the model ``train_ppo`` would build for ``env_id`` and ``hyper`` (e.g. a
    ``net_arch``), on one environment and without training it."""
    algorithm = algorithm or PPO_ALGORITHM
    merged = zoo_hyperparams(env_id, hyper or None, algorithm.table)
    kwargs = {**ppo_kwargs(merged), "n_steps": 2, "batch_size": 2}  # one env: a rollout SB3 accepts
    venv = _make_venv(env_id, {**merged, "n_envs": 1})
    try:
        return _n_params(algorithm.cls(merged.get("policy", "MlpPolicy"), venv, device="cpu", **kwargs))
    finally:
        venv.close()


@dataclass(frozen=True)
class Algorithm:
    """A gradient baseline ``train_ppo`` trains: its method name, the SB3 algorithm class, its table
    of hyper-parameters per task and the adapter that puts a trained model behind the evaluator's
    policy interface for the solved test."""

    method: str
    cls: type
    table: dict
    adapter: type


PPO_ALGORITHM = Algorithm("ppo", PPO, ZOO_HYPERPARAMS, SB3Policy)


def train_ppo(config, checkpoint: str | None = None, algorithm: Algorithm = PPO_ALGORITHM) -> list[dict]:
    """Train SB3 PPO with rl-baselines3-zoo's hyper-parameters; one record per rollout/update.

    ``config`` is the run's ``RunConfig`` (``method="ppo"``): ``env``, ``seed``, ``budget_steps`` (the
    ``total_timesteps`` below), ``test_every`` (``eval_every_steps``: env steps between solved tests;
    0: only at the end), ``test_episodes``, ``hyper``, ``device`` and ``progress``.

    * ``algorithm``: another gradient baseline on the same loop -- ``baselines.recurrent_ppo``'s
      (sb3-contrib's ``RecurrentPPO``, an LSTM policy, ``method="recurrent_ppo"``) with its own table
      and solved-test adapter; everything below holds for it too (records, seeding, both solved tests
      with the LSTM state carried through each episode, checkpoints).

    * ``hyper`` overrides individual entries of ``ZOO_HYPERPARAMS[env_id]`` (e.g. ``{"n_steps": 64}``;
      ``"lin_X"`` strings are linear schedules). Tasks without an entry raise ValueError.
    * Environments: ``DummyVecEnv([Monitor(gym.make(env_id))] * n_envs)``, wrapped in ``VecNormalize``
      (obs + reward, gamma = PPO's gamma) only where the zoo entry has ``normalize: true`` --
      BipedalWalker-v3 and Humanoid-v5; CartPole-v1 and LunarLander-v3 train on raw observations.
      Atari: ``DummyVecEnv([Monitor(TimeLimit(make_env(env_id), max_steps))] * n_envs)``, the
      evaluator's preprocessing (``_atari_env``); ALE/Pong-v5 with CnnPolicy (NatureCNN; SB3 scales
      the uint8 pixels by 1/255 inside the network), ALE/Pong-ram-v5 with MlpPolicy.
      Nothing else normalises anything.
    * Seeding: ``PPO(..., seed=seed)`` (torch, NumPy, action space); environment reset seeds derived
      from ``seed`` (see ``_seed_everything``; Atari's sticky actions and no-ops are drawn from the
      reset seed by ``envs.atari``). Same seed, same records apart from the timing columns,
      for a fixed ``torch.get_num_threads()``: the update's float reductions depend on the thread
      count, so e.g. 1- and 2-thread runs of one seed diverge (CartPole: solved at 20K vs 30K steps).
    * The solved test (``test_return``/``test_std``) runs when ``num_timesteps`` crosses a multiple of
      ``eval_every_steps`` (0: only at the end) and always after the last update: the deterministic
      policy on ``test_episodes`` episodes of ``make_env(env_id)`` reset with
      ``reset(env, episode_seeds(seed, EVAL, generation, 1, test_episodes)[0][e])``, capped at
      ``get_spec(env_id).max_steps``, observations normalised with VecNormalize's statistics if used.
      ``test_return_stochastic``/``test_std_stochastic``: the same episodes with actions sampled from
      the policy (torch seeded from (seed, EVAL, generation), so a pure function of the config).
      With ``test_every_unsolved`` the test runs at multiples of that many env steps until a test first
      reaches the task's solved threshold (``EnvSpec.solved``), then at multiples of ``eval_every_steps``. PPO's
      deterministic policy can lag its stochastic one badly early on (LunarLander at 311K steps:
      -63 vs +37); the book's verdicts say which of the two they use.
    * ``wall_s`` is training time only (rollouts + updates, cumulative); ``pop_eval_s`` / ``opt_s``
      are this rollout's collection / gradient-update time; ``test_wall_s`` the cumulative solved-test time;
      ``cpu_s`` the process's CPU seconds for the run so far (training, solved tests, checkpoints);
      ``peak_mem_gib`` its peak resident memory since the run (or its resumption) started.
    * ``checkpoint``: a file path. At every solved test the model, VecNormalize statistics and the
      records so far are saved there atomically. If the file exists on start, the run resumes from it
      (``reset_num_timesteps=False``: ``num_timesteps``, the learning-rate schedule and the record
      counters continue; the environments restart with fresh episodes) and the returned list holds
      the checkpoint's records followed by the new ones. A checkpoint already at or past
      ``total_timesteps`` raises RunFinishedError (its records: ``load_checkpoint(path)["records"]``).
      Linear schedules run on ``num_timesteps / total_timesteps`` of the current call: resume an
      interrupted run with the same ``total_timesteps`` to stay on its schedule. A resumed run is not
      bit-identical to an uninterrupted one (fresh episodes, re-seeded RNGs), but is itself reproducible.
    """
    if config.method != algorithm.method:
        raise ValueError(f"this train_ppo trains method {algorithm.method!r}, not {config.method!r}")
    env_id, seed, total_timesteps, device = config.env, config.seed, config.budget_steps, config.device
    eval_every_steps, test_episodes = config.test_every or total_timesteps, config.test_episodes
    merged = zoo_hyperparams(env_id, dict(config.hyper or ()) or None, algorithm.table)  # RunConfig checked the counts
    kwargs = ppo_kwargs(merged)

    reset_peak_memory()  # each record's peak_mem_gib: this run's, not an earlier one's in this process
    venv = _make_venv(env_id, merged)
    meta = {"env": env_id, "seed": seed, "hyper": repr(sorted(merged.items()))}
    records: list[dict] = []
    if checkpoint and os.path.exists(checkpoint):
        state = load_checkpoint(checkpoint)
        for key in ("env", "seed", "hyper"):
            if state[key] != meta[key]:
                raise ValueError(f"checkpoint {checkpoint} is for {key}={state[key]!r}, not {meta[key]!r}")
        if state["num_timesteps"] >= total_timesteps:
            raise RunFinishedError(
                f"checkpoint {checkpoint} already holds a finished run: num_timesteps={state['num_timesteps']} "
                f">= total_timesteps={total_timesteps}. Its records: evoscale.baselines.ppo.load_checkpoint(path)"
                f"['records']; pass a larger budget_steps to train on, or delete the file to start over."
            )
        if state["vecnormalize"] is not None:
            vecnorm = pickle.loads(state["vecnormalize"])
            vecnorm.set_venv(venv.venv)
            venv = vecnorm
        model = algorithm.cls.load(io.BytesIO(state["model"]), env=venv, device=device)
        records = list(state["records"])
        resume = True
    else:
        model = algorithm.cls(merged.get("policy", "MlpPolicy"), venv, seed=seed, device=device, verbose=0, **kwargs)
        resume = False
    if model.get_env() is not venv:  # e.g. SB3's VecTransposeImage for channel-last images: none wanted
        raise RuntimeError(f"SB3 wrapped the training environments in {type(model.get_env()).__name__}")
    _seed_everything(model, seed, model.num_timesteps)

    run = {
        "method": algorithm.method, "env": env_id, "seed": seed, "n_envs": venv.num_envs, "n_params": _n_params(model),
        "machine": machine_label(device), "eval_every_steps": eval_every_steps, "test_episodes": test_episodes,
        "test_every_unsolved": config.test_every_unsolved, "solved": get_spec(env_id).solved,
    }
    bar = None
    if config.progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=total_timesteps, initial=model.num_timesteps, mininterval=2.0, unit="step",
                   desc=f"{algorithm.method} {env_id} seed {seed}")
    callback = RecordCallback(run, records, SolvedTest(env_id, algorithm.adapter), checkpoint, meta, bar)
    try:
        model.learn(total_timesteps - model.num_timesteps, callback=callback, reset_num_timesteps=not resume)
    finally:
        if bar is not None:
            bar.close()
        venv.close()
    return records
