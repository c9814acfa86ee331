"""PPO's time per env step and per update on W cores: a cost model fitted to ``bench.ppo_costs``.

One vectorised step of ``n`` environments costs, in one process (``DummyVecEnv``),

    forward + n * env

and with the environments in ``p`` worker processes (``SubprocVecEnv``, p <= n, p <= W cores)

    forward + n * env / p + n * message

(the driver's policy forward stays sequential; the env steps divide over the processes; every env's
observation and action cross a process boundary each step). ``message`` is read from the same
``SubprocVecEnv`` pinned to one core, where nothing runs in parallel, so it is the measured overhead
and not a fit; the 2-core measurement then checks the model (``check``). The update is Amdahl's law in
torch threads, u(T) = u1 * (f + (1 - f) / T), f from the 1- and 2-thread timings. With W cores at hand
PPO uses its fastest configuration, one process included, so it never gets slower with more cores.

``draws`` refits the model on timings resampled within each (part, cores, threads) group: the spread
of the curves that the timing noise allows, for the crossover's band.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class PPOCostModel:
    forward: float
    """Seconds of the policy's forward per vectorised step."""
    env: float
    """Seconds per env step of one environment."""
    message: float
    """Seconds per env step that crossing to a worker process adds (each env, each step)."""
    update: float
    """Seconds per update on one torch thread."""
    update_serial: float
    """Share of the update that more threads do not divide (Amdahl), 0-1."""
    n_envs: int

    @classmethod
    def fit(cls, timings: pd.DataFrame) -> "PPOCostModel":
        """From ``bench.ppo_costs.measure``'s rows (medians per part)."""
        med = timings.groupby(["part", "cores", "threads"])["seconds"].median()
        n = int(timings["n_envs"].iloc[0])
        forward, dummy = med[("forward", 1, 1)], med[("dummy", 1, 1)]
        u1, u2 = med[("update", 1, 1)], med[("update", 2, 2)]
        return cls(forward=float(forward), env=float(max(dummy - forward, 0.0) / n),
                   message=float(max(med[("subproc", 1, 1)] - dummy, 0.0) / n), update=float(u1),
                   update_serial=float(np.clip(2 * u2 / u1 - 1, 0.0, 1.0)), n_envs=n)

    def step_seconds(self, W) -> tuple[np.ndarray, np.ndarray]:
        """(seconds per vectorised step, worker processes used: 0 for in-process) with W cores."""
        W = np.atleast_1d(np.asarray(W, dtype=float))
        inproc = self.forward + self.n_envs * self.env
        p = np.minimum(W, self.n_envs)
        sub = self.forward + self.n_envs * self.env / p + self.n_envs * self.message
        return np.where(sub < inproc, sub, inproc), np.where(sub < inproc, p, 0).astype(int)

    def update_seconds(self, W) -> np.ndarray:
        """Seconds per update with min(W, ...) torch threads: the best thread count up to W."""
        W = np.atleast_1d(np.asarray(W, dtype=float))
        return self.update * (self.update_serial + (1 - self.update_serial) / W)

    def speedups(self, W) -> tuple[np.ndarray, np.ndarray]:
        """(rollout speedup, update speedup) with W cores over one core in one process."""
        return self.step_seconds(1)[0] / self.step_seconds(W)[0], self.update / self.update_seconds(W)

    def check(self, timings: pd.DataFrame) -> float:
        """The model's 2-process step time over the measured one (1: the model predicts it exactly)."""
        measured = timings[(timings["part"] == "subproc") & (timings["cores"] == 2)]["seconds"].median()
        p = min(2, self.n_envs)
        return float((self.forward + self.n_envs * self.env / p + self.n_envs * self.message) / measured)


def draws(timings: pd.DataFrame, n: int = 200, seed: int = 0) -> list[PPOCostModel]:
    """``n`` models refitted on the timings resampled with replacement within each (part, cores, threads)
    group; the first is the fit on all of them."""
    rng = np.random.default_rng(seed)
    groups = [g for _, g in timings.groupby(["part", "cores", "threads"])]
    out = [PPOCostModel.fit(timings)]
    for _ in range(n - 1):
        out.append(PPOCostModel.fit(pd.concat([g.iloc[rng.integers(len(g), size=len(g))] for g in groups])))
    return out


__all__ = ["PPOCostModel", "draws"]
