"""Open question 4 -- what does a GPU buy, simulation or inference? (chapter 8)

``GpuParams`` mirrors the chapter's papermill parameters cell; ``None`` takes the profile's value.

* ``shares`` -- the network's share of the lockstep evaluator's time for several networks per task
  (``bench.gpu.network_share``) and the Amdahl bound ``1 / (1 - share)`` on moving only the forward
  to a GPU. Shares are ratios within one timed pass.
* ``jax_rates`` -- the JAX backend against the lockstep evaluator (``bench.gpu.bench_jax``):
  interleaved rounds, ratios within a round.
* ``cores_equivalent`` -- published GPU throughputs divided by this machine's per-core rates.
* ``gpu_results`` -- what ``python -m evoscale.gpu_check`` wrote under ``results/gpu/`` (if anything).

Both measurements are cached tables under ``results/<profile>/gpu/``.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

import numpy as np
import pandas as pd

from ..bench.gpu import bench_jax, jax_summary, network_share
from ..config import parse_hidden
from ..store import read_json
from . import CHECKOUT_RESULTS, cached_table, check_parameters, results_root  # noqa: F401 (chapter 8)

LANDER = ("LunarLander-v3", 64)
PONG = ("ALE/Pong-v5", 8)
HUMANOID = ("Humanoid-v5", 16)

PROFILES = {
    # CI: seconds; the numbers mean nothing
    "smoke": dict(share_cases=[("CartPole-v1", 16, "16"), ("LunarLander-v3", 16, "64,32")], share_seconds=0.2,
                  jax_popsizes=[32], jax_seconds=0.05, jax_rounds=1, warmup_evals=0),
    # LunarLander up to the 100K-parameter MLP (436, 218); Pong's CNN up to Such et al.'s ~4M
    # parameters (3,072 dense units after the conv trunk); Humanoid's 256x256 and a 1024x1024 MLP
    "book": dict(share_cases=[(*LANDER, "64,32"), (*LANDER, "128,64"), (*LANDER, "256,128"), (*LANDER, "436,218"),
                              (*PONG, ""), (*PONG, "256"), (*PONG, "3072"),
                              (*HUMANOID, "256,256"), (*HUMANOID, "1024,1024")],
                 share_seconds=5.0, jax_popsizes=[16, 64, 256, 1024, 4096], jax_seconds=1.0, jax_rounds=5,
                 warmup_evals=3_000),
    "full": dict(share_cases=[(*LANDER, "64,32"), (*LANDER, "128,64"), (*LANDER, "256,128"), (*LANDER, "436,218"),
                              (*PONG, ""), (*PONG, "256"), (*PONG, "1024"), (*PONG, "3072"),
                              (*HUMANOID, "256,256"), (*HUMANOID, "1024,1024")],
                 share_seconds=20.0, jax_popsizes=[16, 64, 256, 1024, 4096, 16384], jax_seconds=2.0,
                 jax_rounds=9, warmup_evals=3_000),
}

PUBLISHED = pd.DataFrame([
    # (what, steps/s, hardware, source, our per-core reference in ``per_core_rates``)
    ("gymnax CartPole-v1, random policy, 2,000 envs", 2e7, "NVIDIA A100", "gymnax README", "CartPole-v1 lockstep"),
    ("gymnax CartPole-v1, random policy, 2,000 envs", 2e7, "NVIDIA A100", "gymnax README",
     "CartPole-v1 gymnax loop (shared core)"),
    ("MJX humanoid, batch 8,192", 9.5e5, "NVIDIA A100", "MJX documentation", "Humanoid-v5 MuJoCo"),
    ("MuJoCo humanoid on the CPU, 64 cores", 1.8e6, "AMD Threadripper 3995WX", "MJX documentation",
     "Humanoid-v5 MuJoCo"),
], columns=["published", "steps_per_s", "hardware", "source", "ours"])
"""Published throughputs (``shared/reference/anchors.md``), stated as published."""



@dataclass(frozen=True)
class GpuParams:
    profile: str = "book"
    """smoke | book | full -- sets the default of every parameter left at None."""
    share_cases: list | None = None
    """[(task, popsize, hidden), ...]: one per network-share measurement; hidden "" is Pong's bare CNN."""
    share_seconds: float | None = None
    """Seconds of evaluation per share measurement (at least one whole evaluation)."""
    jax_env: str = "CartPole-v1"
    """The task the JAX backend runs (gymnax's port)."""
    jax_popsizes: list | None = None
    """Population sizes of the JAX benchmark."""
    jax_seconds: float | None = None
    """Measuring seconds per side, per size and round (at least one evaluation)."""
    jax_rounds: int | None = None
    """Interleaved rounds."""
    warmup_evals: int | None = None
    """CMA-ES episodes before the JAX benchmark, so episode lengths spread (0: random weights)."""
    dtype: str = "float64"
    """Precision of the JAX backend: float64 (the lockstep evaluator's episodes up to rounding) | float32."""

    def __post_init__(self):
        from ..envs import get_spec

        for env, popsize, hidden in self.share_cases or ():
            get_spec(env)
            parse_hidden(hidden)
            if not isinstance(popsize, int) or popsize < 1:
                raise ValueError(f"share_cases popsize must be a positive integer, got {popsize!r}")
        for P in self.jax_popsizes or ():
            if not isinstance(P, int) or isinstance(P, bool) or P < 1:
                raise ValueError(f"jax_popsizes must be positive integers, got {P!r}")
        if self.dtype not in ("float64", "float32"):
            raise ValueError(f"dtype must be float64 or float32, got {self.dtype!r}")


def params(namespace: dict) -> GpuParams:
    return check_parameters(GpuParams, namespace, PROFILES)


def where(p: GpuParams):
    return results_root() / p.profile / "gpu"


def shares(p: GpuParams, log=print) -> pd.DataFrame:
    """One row per share case, each its own cached table."""
    rows = []
    for env, popsize, hidden in p.share_cases:
        what = {"env": env, "popsize": popsize, "hidden": hidden, "seconds": p.share_seconds}
        make = partial(lambda *a: pd.DataFrame([network_share(*a)]), env, parse_hidden(hidden), popsize,
                       p.share_seconds)
        log(f"network share: {env} {hidden or '(CNN only)'}")
        rows.append(cached_table(where(p) / f"share-{env.replace('/', '_')}", what, make, log))
    return pd.concat(rows, ignore_index=True)


def jax_fields(p: GpuParams) -> dict:
    return {"env": p.jax_env, "popsizes": p.jax_popsizes, "seconds": p.jax_seconds, "rounds": p.jax_rounds,
            "warmup_evals": p.warmup_evals, "dtype": p.dtype}


def jax_rates(p: GpuParams, log=print) -> pd.DataFrame:
    """Per-round rates of the JAX benchmark (``bench.gpu.bench_jax``), cached."""
    make = partial(bench_jax, p.jax_env, tuple(p.jax_popsizes), p.jax_seconds, p.jax_rounds, p.warmup_evals,
                   p.dtype, log)
    return cached_table(where(p) / f"jax-{p.jax_env}", jax_fields(p), make, log,
                        meta={**jax_fields(p), "profile": p.profile})


def idle_rates(root=None) -> dict:
    """Per-core rates measured on the idle machine by ``make bench`` (results/bench/evaluator-*.json)."""
    root = root or CHECKOUT_RESULTS
    out = {}
    for name, key in (("CartPole-v1", "evaluator_steps_per_s"), ("Humanoid-v5", "raw_steps_per_s")):
        d = read_json(root / "bench" / f"evaluator-{name}.json")  # None: not measured, or warned about
        if d is not None:
            out[name] = {"rate": d[key], "popsize": d["popsize"], "machine": d["machine"]}
    return out


def per_core_rates(jax_table: pd.DataFrame, idle: dict) -> dict:
    """Steps/s of one core of this machine: the lockstep CartPole evaluator and one MuJoCo Humanoid
    as ``make bench`` measured them on the idle machine; gymnax's bare float32 loop (with the MLP) at
    the largest population as measured here on a shared core -- a lower bound on its idle rate (scaling
    it by the lockstep evaluator's idle/shared ratio is no fix: contention slowed the Python evaluator
    about twice as much as the compiled loop)."""
    out = {}
    if "CartPole-v1" in idle:
        out["CartPole-v1 lockstep"] = idle["CartPole-v1"]["rate"]
    js = jax_summary(jax_table).set_index("popsize")
    out["CartPole-v1 gymnax loop (shared core)"] = float(js["bare_f32"].iloc[-1])
    if "Humanoid-v5" in idle:
        out["Humanoid-v5 MuJoCo"] = idle["Humanoid-v5"]["rate"]
    return out


def cores_equivalent(rates: dict) -> pd.DataFrame:
    """Each published figure as a number of this machine's cores (NaN where we lack the rate)."""
    df = PUBLISHED.copy()
    df["our_steps_per_core"] = df["ours"].map(rates)
    df["cores_of_this_machine"] = df["steps_per_s"] / df["our_steps_per_core"]
    return df


def compiled_rates(root=None) -> pd.DataFrame:
    """``make bench-compiled``'s committed JSON (results/bench/compiled.json): per task EnvPool's and one
    Gymnasium environment's steps/s on one thread and their ratio; an empty frame if not measured."""
    path = (root or CHECKOUT_RESULTS) / "bench" / "compiled.json"
    cols = ["env", "envpool_steps_per_s", "gymnasium_steps_per_s", "ratio", "ratio_min", "ratio_max", "machine",
            "num_envs", "rounds"]
    if (d := read_json(path)) is None:
        return pd.DataFrame(columns=cols)
    return pd.DataFrame([{**r, "machine": d["machine"], "num_envs": d["num_envs"], "rounds": d["rounds"]}
                         for r in d["per_task"]], columns=cols)


def mjx_rates(root=None) -> tuple[pd.DataFrame, dict]:
    """``make bench-mjx``'s committed JSON (results/bench/mjx.json): MJX's env steps/s and compile time
    per batch size on one core, and the rest of the JSON (MuJoCo's C rates, machine); an empty frame
    and {} if not measured."""
    path = (root or CHECKOUT_RESULTS) / "bench" / "mjx.json"
    cols = ["batch", "compile_s", "steps_per_s", "over_mujoco_newton"]
    if (d := read_json(path)) is None:
        return pd.DataFrame(columns=cols), {}
    return pd.DataFrame(d["mjx"], columns=cols), d


def mjx_text(M: pd.DataFrame, meta: dict) -> str:
    """One sentence: MJX's compile times and rates against MuJoCo's C on the same model, one core."""
    if M.empty:
        return "MJX was not measured on this checkout (run `make bench-mjx`)"
    c = meta["mujoco"]
    return (f"on one core of {meta['machine']}, `jit(vmap(mjx.step))` took {M['compile_s'].min() / 60:.1f}–"
            f"{M['compile_s'].max() / 60:.1f} min to compile per batch size and then stepped "
            + ", ".join(f"{r:,.0f} (batch {b}, {x:.2f}×)" for b, r, x
                        in zip(M["batch"], M["steps_per_s"], M["over_mujoco_newton"]))
            + f" env steps/s, against MuJoCo's C on one humanoid at {c['newton']:,.0f} (the same Newton model) "
              f"and {c['pgs']:,.0f} (Gymnasium's own PGS model) env steps/s")


def envpool_backend(root=None) -> tuple[pd.DataFrame, pd.DataFrame, str | None]:
    """``bench envpool``'s committed JSON (results/bench/envpool.json): the equivalence checks (one row
    per task, policy and control), the backend's speed against the lockstep evaluator, and the
    machine; empty frames and None if not measured. ``ratios``: the per-round ratios, where stored."""
    path = (root or CHECKOUT_RESULTS) / "bench" / "envpool.json"
    checks = ["env", "policy", "swap_actions", "episodes", "mean_gymnasium", "mean_envpool", "p_envpool_better",
              "p_lo", "p_hi", "resolved", "ks_p"]
    speed = ["env", "popsize", "envpool_steps_per_s", "lockstep_steps_per_s", "ratio", "ratio_min", "ratio_max",
             "ratios"]
    if (d := read_json(path)) is None:
        return pd.DataFrame(columns=checks), pd.DataFrame(columns=speed), None
    return pd.DataFrame(d["equivalence"], columns=checks), pd.DataFrame(d["speed"], columns=speed), d["machine"]


def envpool_table(checks: pd.DataFrame) -> pd.DataFrame:
    """The equivalence checks for the reader: one row per task and policy (mirrored: the negative control)."""
    control = np.where(checks["swap_actions"].astype(bool), ", mirrored on EnvPool (control)", "")
    return pd.DataFrame({
        "task": checks["env"],
        "policy": checks["policy"] + control,
        "episodes a side": checks["episodes"],
        "Gymnasium mean": checks["mean_gymnasium"].map("{:.1f}".format),
        "EnvPool mean": checks["mean_envpool"].map("{:.1f}".format),
        "P(EnvPool > Gymnasium) [95 % CI]": [f"{p:.2f} [{lo:.2f}, {hi:.2f}]" for p, lo, hi
                                             in zip(checks["p_envpool_better"], checks["p_lo"], checks["p_hi"])],
        "KS p": checks["ks_p"].map("{:.2g}".format),
        "difference": np.where(checks["resolved"].astype(bool), "resolved", "not resolved"),
    })


def envpool_text(checks: pd.DataFrame, speed: pd.DataFrame, machine: str | None) -> str:
    """One sentence on the backend: how many checks resolved a difference, the controls, the speed."""
    if checks.empty:
        return "not measured on this checkout (run `make bench-compiled`)"
    real, control = checks[~checks["swap_actions"].astype(bool)], checks[checks["swap_actions"].astype(bool)]
    n_res = int(real["resolved"].astype(bool).sum())
    out = (f"{n_res} of {len(real)} checks resolved a difference between the two simulators "
           f"({int(real['episodes'].iloc[0])} episodes a side; lowest KS p {real['ks_p'].min():.2g}), while "
           f"{int(control['resolved'].astype(bool).sum())} of {len(control)} negative controls did (with "
           f"{len(real)} checks at the 95 % level, chance alone resolves at least one "
           f"{1 - 0.95 ** len(real):.0%} of the time)")
    if not speed.empty:
        out += ("; the backend ran " + ", ".join(f"{r.env} at {r.ratio:.1f}× ({r.ratio_min:.1f}–{r.ratio_max:.1f})"
                                                for r in speed.itertuples())
                + f" the lockstep evaluator's useful steps/s (population {int(speed['popsize'].iloc[0])}, one thread)")
    return out + f", on {machine}"


def gpu_results(root=None) -> dict | None:
    """The newest ``results/gpu/gpu-check-*.json`` written by ``evoscale.gpu_check`` (None: not run)."""
    files = sorted((root or CHECKOUT_RESULTS).glob("gpu/gpu-check-*.json"))
    return read_json(files[-1]) if files else None


def amdahl_curve(shares_: pd.DataFrame) -> pd.DataFrame:
    """Per task, the Amdahl bound against the parameter count (sorted), for the figure."""
    out = shares_.assign(hidden=shares_["hidden"].fillna("").astype(str).replace("", "(CNN only)"))
    return out.sort_values(["env", "n_params"])[["env", "hidden", "n_params", "network_fraction", "env_fraction",
                                                 "amdahl_bound", "machine"]]


def summarise(shares_: pd.DataFrame, jax_table: pd.DataFrame) -> dict:
    """The chapter's numbers: the largest network's share per task, and the JAX backend's speed-up
    over the lockstep evaluator at the largest population (median and range over the rounds)."""
    biggest = shares_.sort_values("n_params").groupby("env").tail(1).set_index("env")
    js = jax_summary(jax_table).set_index("popsize")
    top = int(js.index.max())
    per_round = jax_table[jax_table.popsize == top]
    ratios = per_round["jax"] / per_round["lockstep"]
    return {
        "biggest": biggest, "jax": js, "top_popsize": top, "ratio": float(ratios.median()),
        "ratio_lo": float(ratios.min()), "ratio_hi": float(ratios.max()), "rounds": len(ratios),
        "max_bound": float(shares_["amdahl_bound"].max()),
        "machine": "; ".join(sorted(set(shares_["machine"]) | set(jax_table["machine"]))),
    }
