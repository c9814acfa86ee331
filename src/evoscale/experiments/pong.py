"""Does a gradient-free method get any signal from Pong, from pixels or from RAM?

OpenAI-ES starts from a zero centre and samples its population at ``sigma0`` around it. If every
episode of a generation ends 0-21, all returns tie: the ranks the update is built from then order
the population by the tie-breaking of the sort, not by behaviour, and the "gradient" is noise. So the
first question for "Atari needs CNNs" is not whether the CNN can represent a good policy but whether
the search ever sees a point scored.

``first_points`` measures it directly: ``n`` random networks N(0, s^2) per input kind (the pixel CNN
and the RAM MLP of the task registry) and per scale s (``SIGMAS``: the ES runs' sigma0 and 10x it),
one episode each, recording the return and the episode length (a returned ball lengthens even a 0-21
loss). The share of networks that score at least one point is the chance that one evaluation carries
any reward signal at all.

Below it, what chapter 2 quotes about Pong: the pixels-vs-RAM verdict, PPO on pixels, the share of
generations that scored, and the signal test's summary (texts for the chapter's glue keys).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..config import RunConfig
from ..envs import get_spec
from ..evaluation import EVAL, episode_seeds, make_evaluator
from ..machine import machine_label
from . import cached_table, results_root

INPUTS = ("ALE/Pong-v5", "ALE/Pong-ram-v5")
SIGMAS = (0.05, 0.5)
"""The ES runs' sigma0 (book profile) and ten times it."""


def first_points(n: int, env_ids=INPUTS, sigmas=SIGMAS, seed: int = 0) -> pd.DataFrame:
    """One row per random network: env, sigma, individual, return, length, scored (return > -21)."""
    from threadpoolctl import threadpool_limits

    if not isinstance(n, int) or n < 1:
        raise ValueError(f"the number of random networks must be a positive integer, got {n!r}")
    rows = []
    with threadpool_limits(1):
        for k, env_id in enumerate(env_ids):
            spec = get_spec(env_id)
            ev = make_evaluator(RunConfig(env=env_id, hidden=spec.default_hidden))
            for j, sigma in enumerate(sigmas):
                rng = np.random.default_rng([seed, k, j])
                population = rng.normal(0.0, sigma, (n, ev.policy.n_params))
                res = ev.evaluate(population, episode_seeds(seed, EVAL, 1_000 + j, n, 1))
                rows += [{"env": env_id, "n_params": ev.policy.n_params, "sigma": sigma, "individual": i,
                          "return": float(res.returns[i, 0]), "length": int(res.lengths[i, 0])}
                         for i in range(n)]
    df = pd.DataFrame(rows)
    df["scored"] = df["return"] > -21
    df["machine"] = machine_label()
    return df


def wilson(k: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """95 % Wilson score interval of a proportion k / n (sensible at k = 0, unlike k/n +/- ...)."""
    if n <= 0:
        raise ValueError("n must be positive")
    p = k / n
    centre, half = p + z * z / (2 * n), z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return max(0.0, (centre - half) / (1 + z * z / n)), min(1.0, (centre + half) / (1 + z * z / n))


def summary(df: pd.DataFrame) -> pd.DataFrame:
    """Per input kind and sigma: networks, share that scored (95 % Wilson interval), mean length, best return."""
    rows = []
    for (env, sigma), g in df.groupby(["env", "sigma"], sort=False):
        k, n = int(g["scored"].sum()), len(g)
        lo, hi = wilson(k, n)
        rows.append({"env": env, "n_params": int(g["n_params"].iloc[0]), "sigma": sigma, "networks": n,
                     "scored": k, "share_scored": k / n, "ci_low": lo, "ci_high": hi,
                     "mean_length": float(g["length"].mean()), "best_return": float(g["return"].max())})
    return pd.DataFrame(rows)


def first_points_cached(profile: str, n: int, log=print) -> pd.DataFrame:
    """``first_points(n)`` cached in ``results/<profile>/environments/first-points-<hash>.csv``."""
    return cached_table(*first_points_cache(profile, n), lambda: first_points(n), log)


def first_points_cache(profile: str, n: int) -> tuple:
    """(stem, what) of the cache file (``table_path`` gives the file)."""
    what = {"inputs": list(INPUTS), "sigmas": list(SIGMAS), "n": n, "seed": 0}
    return results_root() / profile / "environments" / "first-points", what


# --- what the chapter quotes (texts for its glue keys) ------------------------------------------------

def scored_halves(pong_es: pd.DataFrame) -> dict:
    """Per input (pixels, RAM), from the records of the Pong ES runs: per seed, the share of generations
    with an episode that scored a point in the first half of training -> the second; how many seeds rose."""
    out = {}
    for env, key in (("ALE/Pong-v5", "pix"), ("ALE/Pong-ram-v5", "ram")):
        g = pong_es[pong_es["env"] == env]
        if g.empty:
            out[f"pong_{key}_halves"] = "not run"
            continue
        late = g["evals"] > g["evals"].max() / 2
        scored = (g["best_return"] > -21).groupby([g["seed"], late]).mean().unstack().reindex(columns=[False, True])
        pct = lambda v: "–" if v != v else f"{100 * v:.0f}"  # noqa: E731  (a half without generations: smoke)
        out[f"pong_{key}_halves"] = (", ".join(f"{pct(r[False])} → {pct(r[True])} %" for _, r in scored.iterrows())
                                     + f" (best training episode: {g['best_return'].max():+.0f})")
        out[f"pong_{key}_rising"] = f"{int((scored[True] > scored[False]).sum())} of {len(scored)}"
    return out


def pong_ppo_texts(df: pd.DataFrame) -> dict:
    """PPO on Pong pixels: training env steps per second of wall-clock (per seed at its end, one core, one
    torch thread), its parameters, machine, hours for the zoo's 10M steps, and the update's share of time."""
    runs = df[(df["env"] == "ALE/Pong-v5") & (df["method"] == "ppo")]
    keys = ("pong_ppo_rate", "pong_ppo_n", "pong_ppo_update", "pong_ppo_machine", "pong_ppo_zoo_h")
    if runs.empty:
        return dict.fromkeys(keys, "not run")
    end = runs.sort_values("generation").groupby("seed").tail(1)
    rate = (end["env_steps"] / end["wall_s"]).mean()
    return {"pong_ppo_rate": f"{rate:,.0f}", "pong_ppo_n": f"{int(end['n_params'].iloc[0]):,}",
            "pong_ppo_machine": "; ".join(sorted(set(end["machine"]))),
            "pong_ppo_zoo_h": f"{10_000_000 / rate / 3600:,.1f}",
            "pong_ppo_update": f"{100 * runs['opt_s'].sum() / (runs['opt_s'] + runs['pop_eval_s']).sum():.0f} %"}


def signal_texts(signal: pd.DataFrame) -> dict:
    """Per input and weight scale of ``summary``'s frame: networks that scored (Wilson interval), mean length."""
    out = {}
    for _, r in signal.iterrows():
        key = f"signal_{'ram' if r['env'].endswith('-ram-v5') else 'pix'}_{'lo' if r['sigma'] < 0.1 else 'hi'}"
        out[key] = f"{r['scored']} of {r['networks']} ({100 * r['ci_low']:.0f}–{100 * r['ci_high']:.0f} %)"
        out[f"{key}_len"] = f"{r['mean_length']:.0f}"
    return out


def signal_verdict(signal: pd.DataFrame, pong_es: pd.DataFrame) -> str:
    """Whether a generation of the ES runs' size sees any reward before it has learned anything."""
    at_sigma0 = signal[signal["sigma"] < 0.1]
    if len(at_sigma0) and (at_sigma0["scored"] == 0).all():
        return ("At the ES runs' own scale no random network scored a point, from pixels or from "
                "RAM: the first generations of a population of 16 see no reward, whatever the input")
    if not len(at_sigma0):
        return "not measured in this profile"
    lam = int(pong_es["popsize"].iloc[0]) if len(pong_es) else 16
    p_gen = {("RAM" if r["env"].endswith("-ram-v5") else "pixels"): 1 - (1 - r["share_scored"]) ** lam
             for _, r in at_sigma0.iterrows()}
    odds = ", ".join(f"{k} {100 * v:.0f} %" for k, v in p_gen.items())
    return (f"At the ES runs' own scale an untrained network scores now and then, so a "
            f"generation of {lam} contains at least one point with probability 1 − (1 − p)^{lam}: {odds}, at the "
            f"measured shares p. The search is not blind from the start, but "
            + ("most" if max(p_gen.values()) < 0.5 else "some") + " of its early generations are")
