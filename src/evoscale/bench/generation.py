"""One training generation as chapter 4 times it in-process, and how its ask + tell seconds split.

``timed_generation`` is the loop body of chapter 4's speedup measurement (``experiments.ray_speedup.
measure_speedup``) and of ``bench ask-tell``'s chapter-4 variant: ask, evaluate the population on
generation ``g``'s training episode seeds (one episode each), tell the mean returns; each part timed.
``split_update`` turns a run of such generations' ask + tell seconds into a steady part and the
eigendecomposition's share (chapter 4's ``workers.update_split`` reads its table through it).
"""

from __future__ import annotations

import time

import numpy as np

SPIKE = 3.0
"""A timed generation whose ask + tell exceeds this multiple of the median ran an eigendecomposition."""


def timed_generation(evaluator, trainer, state, seed: int, g: int) -> tuple:
    """(state, population, seeds, result, (ask_s, eval_s, tell_s)) of generation ``g``."""
    from ..evaluation import TRAIN, episode_seeds

    t0 = time.perf_counter()
    population, state = trainer.ask(state)
    t1 = time.perf_counter()
    seeds = episode_seeds(seed, TRAIN, g, len(population), 1)
    result = evaluator.evaluate(population, seeds)
    t2 = time.perf_counter()
    state = trainer.tell(state, population, result.returns.mean(axis=1))
    t3 = time.perf_counter()
    return state, population, seeds, result, (t1 - t0, t2 - t1, t3 - t2)


def split_update(seconds) -> dict:
    """Ask + tell seconds of consecutive generations: ``steady`` (median of the generations without an
    eigendecomposition, those under ``SPIKE`` x the median), ``each`` (the mean extra seconds of a
    generation with one), ``spikes`` of ``generations`` had one, ``amortised`` (the mean over all) and
    ``decomposition`` (amortised minus steady)."""
    opt = np.asarray(seconds, dtype=float)
    if opt.size == 0:
        raise ValueError("split_update needs at least one generation's seconds")
    spike = opt > SPIKE * np.median(opt)
    steady = float(np.median(opt[~spike]))
    return {"steady": steady, "amortised": float(opt.mean()), "decomposition": float(opt.mean()) - steady,
            "each": float(opt[spike].mean() - steady) if spike.any() else 0.0, "spikes": int(spike.sum()),
            "generations": int(opt.size)}
