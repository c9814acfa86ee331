"""Chapter 4's verdicts: the workers claims, judged by the tests declared for them (``claims.dimensions``).

Each claim has one statistic (declared before the data):

- ``d4.speedup``: per CMA-ES variant (pycma's and the torch one), the parallel efficiency of a whole
  generation (in-process time ÷ (time on W Ray workers × W), summed over the timed generations) at
  the largest measured W up to 8, against 0.7. Confirmed only when measured at 8 with every variant's
  CI above 0.7; refuted when every variant's CI lies below 0.7 at a measured W ≤ 8; refined when the
  variants resolve on opposite sides, or when a variant is resolved only by the *modelled* 8-worker
  efficiency (an Amdahl fit to the Ray speedups, Ray's overhead counted as serial; a separate test in
  the family, present only while fewer than 8 workers were measured).
- ``d4.tell``: pycma's measured sequential share s (ask + tell ÷ a whole in-process generation), against
  the band [0.029, 0.143] where Amdahl's law puts the 0.7 crossing between 16 and 4 workers. Confirmed
  or refuted only with workers measured to 16; else a resolved CI gives "refined" (the crossing is
  modelled). Its Amdahl bound, 1 / (s + (1 - s) / W) / W, is reported beside it: the most any W workers
  could give with no overhead at all, from the measured share alone (not the fit).
- ``d4.island_evals``: the IQM difference of the solved-test return, islands minus one CMA-ES, at equal
  evaluations, against 0.
- ``q3.islands``: the simulated island efficiency at the largest count of at least 100 workers, mean
  over simulation seeds, against 0.7 -- of the decentralised islands without a barrier once the message
  cost is measured (``bench ray-messages``), else of today's driver-paced islands; the verdict names which: only "refined" (modelled) or unresolved here, since confirming or
  refuting it needs 100+ real nodes.

Every CI is a 95 % percentile bootstrap (``N_RESAMPLES``): timed generations are resampled together
across worker counts (each worker count evaluated the same populations). Each test's bootstrap p
(``stats.region_p``: the CI lies inside the region its conclusion needs) enters one Holm family for the
chapter (``stats.family``); a test whose decision flips with the bootstrap seed in more than 5 % of 100
repeats is borderline and unresolved. ``d4.overall`` combines the three sub-claims' words.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy import stats as sps

from ..claims import CLAIMS
from ..stats import N_RESAMPLES, compare, detectable_difference, diff_p, n_to_resolve, region_p
from . import report
from .judging import judge, why_unresolved

MIN_N = {c.id: c.min_n for c in CLAIMS if c.chapter == "04_workers"}
"""Fewest timed generations (speedup, tell), seeds (islands) or simulation seeds (q3) before any word."""
EFFICIENCY = 0.7
"""The design note's "0.7× linear"."""
TARGET = 8
"""The design note's "~8 workers"."""
CMA_METHODS = ("cmaes", "torch_cmaes")
"""The claim's CMA-ES variants (pycma's and the book's); other timed methods are reported, not judged."""
TELL_METHOD = "cmaes"
"""``d4.tell`` is about pycma's CMA-ES (the design note's)."""
CLUSTER = 16
"""Workers that must be measured before ``d4.tell`` may be confirmed or refuted."""
ISLAND_MODELS = {"island": "today's driver-paced islands",
                 "island-async": "decentralised islands (no barrier, measured message cost)"}
"""The island model ``q3.islands`` judges, in words (``workers.judged_model``)."""
_Z = sps.norm.ppf(0.975) + sps.norm.ppf(0.8)  # a two-sided 5 % test at 80 % power, in standard errors


def share_at(workers: float) -> float:
    """The serial share at which Amdahl's law puts efficiency exactly at 0.7 on ``workers`` workers."""
    return (1 / EFFICIENCY - 1) / (workers - 1)


BAND = (share_at(16), share_at(4))
"""``d4.tell``'s band: the 0.7 crossing between 16 and 4 workers (0.029, 0.143)."""


# ---------------------------------------------------------------- the statistics, vectorised over draws

def generations(timings: pd.DataFrame, env: str, method: str) -> dict | None:
    """The timed generations of (``env``, ``method``): ``opt`` (ask + tell, in-process) and ``ev``
    (worker count -> evaluation seconds; 0: in-process), aligned by generation; None if not timed."""
    d = timings[(timings["env"] == env) & (timings["method"] == method)]
    if d.empty or not (d["workers"] == 0).any():
        return None
    table = d.pivot_table(index="generation", columns="workers", values="eval_s").dropna()
    opt = d[d["workers"] == 0].set_index("generation")["opt_s"].reindex(table.index).to_numpy(float)
    return dict(opt=opt, ev={int(w): table[w].to_numpy(float) for w in table.columns}, n=len(table))


def _sums(G: dict, n_resamples: int | None, seed: int) -> tuple[np.ndarray, dict]:
    """Summed seconds over the generations (as ``speedup_table`` sums them): one row without
    resampling (``n_resamples`` None), else one row per bootstrap resample of the generations, the
    same generations for every worker count."""
    n = G["n"]
    idx = (np.arange(n)[None, :] if n_resamples is None else
           np.random.default_rng(seed).integers(0, n, size=(n_resamples, n)))
    return G["opt"][idx].sum(axis=1), {w: e[idx].sum(axis=1) for w, e in G["ev"].items()}


def efficiency(opt, ev: dict, workers: int) -> np.ndarray:
    """Measured parallel efficiency of whole generations on ``workers`` Ray workers."""
    return (opt + ev[0]) / (opt + ev[workers]) / workers


def serial_share(opt, ev: dict) -> np.ndarray:
    """ask + tell ÷ a whole in-process generation."""
    return opt / (opt + ev[0])


def amdahl_bound(s, workers) -> np.ndarray:
    """Amdahl's upper bound on efficiency from the serial share alone (no other overhead)."""
    s = np.asarray(s, dtype=float)
    return 1.0 / (s + (1.0 - s) / workers) / workers


def crossing(s) -> np.ndarray:
    """The worker count at which ``amdahl_bound`` falls to 0.7 (inf for s = 0)."""
    s = np.asarray(s, dtype=float)
    with np.errstate(divide="ignore"):
        return np.where(s > 0, (1 / EFFICIENCY - 1 + s) / np.where(s > 0, s, 1.0), np.inf)


def fit_serial(workers, speedups) -> np.ndarray:
    """``cluster_sim.amdahl_fit`` for each row of ``speedups`` (B x k, one column per worker count):
    the s in [0, 1] minimising sum (S - 1 / (s + (1 - s) / W))², by golden-section search, the ends
    included."""
    W = np.asarray(workers, dtype=float)[None, :]
    S = np.atleast_2d(np.asarray(speedups, dtype=float))
    loss = lambda s: np.sum((1.0 / (s[:, None] + (1.0 - s[:, None]) / W) - S) ** 2, axis=1)  # noqa: E731
    g = (math.sqrt(5) - 1) / 2
    a, b = np.zeros(len(S)), np.ones(len(S))
    c, d = b - g * (b - a), a + g * (b - a)
    fc, fd = loss(c), loss(d)
    for _ in range(80):  # the bracket shrinks by g each step: 80 steps leave about 1e-17
        left = fc < fd  # the minimum lies in [a, d]: drop (d, b]; else in [c, b]: drop [a, c)
        a, b = np.where(left, a, c), np.where(left, d, b)
        c_new = np.where(left, b - g * (b - a), d)
        d_new = np.where(left, c, a + g * (b - a))
        fc, fd = np.where(left, loss(c_new), fd), np.where(left, fc, loss(d_new))
        c, d = c_new, d_new
    s = (a + b) / 2
    cand = np.stack([s, np.zeros_like(s), np.ones_like(s)], axis=1)
    losses = np.stack([loss(cand[:, i]) for i in range(3)], axis=1)
    return cand[np.arange(len(S)), losses.argmin(axis=1)]


def modelled_efficiency(opt, ev: dict, target: int = TARGET) -> np.ndarray:
    """The modelled efficiency at ``target`` workers against in-process: Amdahl's law with s fitted to
    the Ray speedups (Ray on W workers against Ray on one, so Ray's per-generation overhead counts as
    serial), times Ray's one-worker factor (``workers.amdahl``, draw by draw)."""
    W = sorted(w for w in ev if w > 0)
    S = np.stack([(opt + ev[1]) / (opt + ev[w]) for w in W], axis=-1)
    s = fit_serial(W, S)
    return (opt + ev[0]) / (opt + ev[1]) / (s + (1 - s) / target) / target


def _ci(draws) -> tuple[float, float]:
    lo, hi = np.quantile(np.asarray(draws, dtype=float), [0.025, 0.975])
    return float(lo), float(hi)


def amdahl_numbers(timings: pd.DataFrame, env: str, method: str, n_resamples: int = N_RESAMPLES,
                   seed: int = 0) -> dict | None:
    """Every Amdahl number of (``env``, ``method``) with its bootstrap CI over timed generations:
    ``share`` (the measured serial share), ``bound`` (the efficiency Amdahl's law allows at 8 workers
    from that share alone), ``crossing`` (where that bound falls to 0.7), ``measured`` (efficiency at
    ``workers``, the largest measured count up to 8) and ``modelled`` (the Amdahl fit's efficiency at 8,
    Ray's overhead included); each a (point, lo, hi). None if not timed."""
    G = generations(timings, env, method)
    if G is None:
        return None
    (o, e), (O, E) = _sums(G, None, 0), _sums(G, n_resamples, seed)
    Ws = [w for w in G["ev"] if 0 < w <= TARGET]
    out = dict(n=G["n"], workers=max(Ws) if Ws else None, workers_all=sorted(w for w in G["ev"] if w > 0))
    s, S = serial_share(o, e), serial_share(O, E)
    out["share"] = (float(s[0]), *_ci(S))
    out["bound"] = (float(amdahl_bound(s, TARGET)[0]), *_ci(amdahl_bound(S, TARGET)))
    out["crossing"] = (float(crossing(s)[0]), *_ci(crossing(S)))
    if Ws:
        out["measured"] = (float(efficiency(o, e, max(Ws))[0]), *_ci(efficiency(O, E, max(Ws))))
    if 1 in G["ev"] and len(out["workers_all"]) >= 2:
        out["modelled"] = (float(modelled_efficiency(o, e)[0]), *_ci(modelled_efficiency(O, E)))
    return out


# ---------------------------------------------------------------- the tests' p-values

def _sides(draws, null: float = EFFICIENCY) -> dict:
    return {"above": region_p(draws, null, np.inf), "below": region_p(draws, -np.inf, null)}


def _band(draws) -> dict:
    lo, hi = BAND
    return {"inside": region_p(draws, lo, hi), "below": region_p(draws, -np.inf, lo), "above": region_p(draws, hi, np.inf)}


def _mean_draws(x, n_resamples: int, seed: int) -> np.ndarray:
    x = np.asarray(x, dtype=float)
    return x[np.random.default_rng(seed).integers(0, x.size, size=(n_resamples, x.size))].mean(axis=1)


def tests(timings: pd.DataFrame, env: str, finals: dict | None = None, sim_efficiency=None,
          n_resamples: int = N_RESAMPLES) -> dict:
    """Every testable claim of the chapter: key -> dict(regions=function of the bootstrap seed giving
    the p-value of each conclusion, numbers=what it rests on). Keys: ``d4.speedup:<method>`` (measured
    at the largest W up to 8), ``d4.speedup.modelled:<method>`` (the Amdahl fit at 8, only while fewer
    than 8 workers were measured), ``d4.tell``, ``d4.island_evals``, ``q3.islands``. A claim whose
    inputs are missing or below its minimum n is left out (it stays unresolved)."""
    out = {}
    for m in CMA_METHODS:
        G = generations(timings, env, m)
        if G is None or G["n"] < MIN_N["d4.speedup"]:
            continue
        A = amdahl_numbers(timings, env, m, n_resamples)
        if A.get("measured") is not None:
            out[f"d4.speedup:{m}"] = dict(
                regions=lambda seed, G=G, w=A["workers"]: _sides(efficiency(*_sums(G, n_resamples, seed), w)),
                numbers={**A, "method": m})
        if A.get("modelled") is not None and (A["workers"] or 0) < TARGET:
            out[f"d4.speedup.modelled:{m}"] = dict(
                regions=lambda seed, G=G: _sides(modelled_efficiency(*_sums(G, n_resamples, seed))),
                numbers={**A, "method": m})
    G = generations(timings, env, TELL_METHOD)
    if G is not None and G["n"] >= MIN_N["d4.tell"]:
        out["d4.tell"] = dict(regions=lambda seed, G=G: _band(serial_share(*_sums(G, n_resamples, seed))),
                              numbers=amdahl_numbers(timings, env, TELL_METHOD, n_resamples))
    one, isl = island_sides(finals or {})
    if min(len(one), len(isl)) >= MIN_N["d4.island_evals"]:
        out["d4.island_evals"] = dict(regions=lambda seed: {"difference": diff_p(isl, one, seed, n_resamples)},
                                      numbers=dict(cmp=compare(isl, one, n_resamples=n_resamples), one=one, isl=isl))
    if sim_efficiency is not None and len(sim_efficiency["efficiency"]) >= MIN_N["q3.islands"]:
        x = np.asarray(sim_efficiency["efficiency"], dtype=float)
        out["q3.islands"] = dict(regions=lambda seed: _sides(_mean_draws(x, n_resamples, seed)),
                                 numbers=dict(point=float(x.mean()), ci=_ci(_mean_draws(x, n_resamples, 0)),
                                              n=x.size, workers=sim_efficiency["workers"], x=x,
                                              model=sim_efficiency.get("model", "island")))
    return out


def island_sides(finals: dict) -> tuple[np.ndarray, np.ndarray]:
    """(one CMA-ES's, the islands') solved-test returns at the island budget, one per seed."""
    one = np.asarray(finals.get("one CMA-ES", []), dtype=float)
    isl = np.asarray(next((v for k, v in finals.items() if k != "one CMA-ES"), []), dtype=float)
    return one, isl




# ---------------------------------------------------------------- words



def _more(n: int, point: float, lo: float, hi: float, edges, unit: str, digits: int = 2) -> str:
    """What would resolve a CI over n units: the difference it could detect at 80 % power (its standard
    error from the CI's width) and the n at which the observed distance to the nearest edge would be."""
    se = (hi - lo) / (2 * 1.96)
    dist = min(abs(point - e) for e in edges)
    text = f"it could detect a difference of about {report.num(_Z * se, digits)} at 80 % power"
    if dist > 0 and se > 0:
        text += f"; about {math.ceil(n * (_Z * se / dist) ** 2):,} {unit} would resolve the observed one"
    return text


def _name(m: str) -> str:
    return report.NAMES.get(m, m)


def speedup_verdict(T: dict, F: dict, env: str) -> report.Verdict:
    """``d4.speedup`` by its declared rule (see the module's docstring)."""
    keys = [m for m in CMA_METHODS if f"d4.speedup:{m}" in T]
    if not keys:
        return report.Verdict("unresolved", f"not tested on {env}",
                              f"no CMA-ES with {MIN_N['d4.speedup']} timed generations and Ray workers; timing "
                              "both CMA-ES variants on 1-8 workers would decide it")
    nums = {m: T[f"d4.speedup:{m}"]["numbers"] for m in keys}
    W = max(nums[m]["workers"] for m in keys)
    measured = ", ".join(f"{_name(m)} {report.ci(*nums[m]['measured'], 2)}" for m in keys)
    number = (f"efficiency measured at {W} workers: {measured} (n = "
              f"{', '.join(str(nums[m]['n']) for m in keys)} timed generations)")
    modelled = [m for m in keys if f"d4.speedup.modelled:{m}" in T]
    if modelled:
        fitted = ", ".join(str(w) for w in nums[modelled[0]]["workers_all"])
        number += (f"; modelled at {TARGET} (Amdahl fit to {fitted} Ray workers): "
                   + ", ".join(f"{_name(m)} {report.ci(*nums[m]['modelled'], 2)}" for m in modelled))
    got = {m: F[f"d4.speedup:{m}"]["conclusion"] if F[f"d4.speedup:{m}"]["resolved"] else None for m in keys}
    mod = {m: F[f"d4.speedup.modelled:{m}"]["conclusion"] if F[f"d4.speedup.modelled:{m}"]["resolved"] else None
           for m in modelled}
    if W >= TARGET and all(c == "above" for c in got.values()):
        return report.Verdict("confirmed", number, f"measured at {W} workers, every CMA-ES's CI lies above 0.7")
    if all(c == "below" for c in got.values()):
        return report.Verdict("refuted", number, f"measured at {W} workers, every CMA-ES's CI lies below 0.7, "
                                                 f"and efficiency only falls with more workers")
    if {"above", "below"} <= set(got.values()):
        return report.Verdict("refined", number, "the CMA-ES variants' CIs lie on opposite sides of 0.7: the answer "
                                                 "depends on how long the sequential ask + tell takes")
    side = {m: ("measured", got[m]) if got[m] == "below" else ("modelled", mod.get(m)) for m in keys}
    if all(c is not None for _, c in side.values()):
        parts = ", ".join(f"{_name(m)} {c} 0.7 " + (f"measured at {W} workers" if how == "measured" else
                                                     f"only in the model at {TARGET}")
                          for m, (how, c) in side.items())
        return report.Verdict("refined", number, f"{parts}; the model's CI covers the timing noise of the "
                                                 f"generations, not the model itself")
    open_ = [m for m, (_, c) in side.items() if c is None]
    why = []
    for m in open_:
        for k, what in ((f"d4.speedup:{m}", "measured"), (f"d4.speedup.modelled:{m}", "modelled")):
            if k in F and not F[k]["resolved"]:
                why.append(f"{_name(m)}, {what}: {why_unresolved(F[k])}; "
                           + _more(nums[m]["n"], *nums[m][what], (EFFICIENCY,), "timed generations"))
    return report.Verdict("unresolved", number, "; ".join(why) + f"; measuring {TARGET} workers (the full profile, "
                                                                 "on a 16-core machine or a Ray cluster) would decide it")


def tell_verdict(T: dict, F: dict, env: str) -> report.Verdict:
    """``d4.tell`` by its declared rule: the measured share against [0.029, 0.143]."""
    if "d4.tell" not in T:
        return report.Verdict("unresolved", f"not tested on {env}",
                              f"pycma's CMA-ES needs at least {MIN_N['d4.tell']} timed in-process generations")
    A, f = T["d4.tell"]["numbers"], F["d4.tell"]
    c = A["crossing"]
    cross = ("at no worker count" if not np.isfinite(c[0]) else
             f"at {report.num(c[0], 1)} [{report.num(c[1], 1)}, {report.num(c[2], 1)}] workers")
    number = (f"ask + tell is {report.ci(*A['share'], 3)} of an in-process generation of {_name(TELL_METHOD)} "
              f"(n = {A['n']} timed generations); by Amdahl's law this alone caps efficiency at {TARGET} workers "
              f"at {report.ci(*A['bound'], 2)} and puts the 0.7 crossing {cross}")
    top = max(A["workers_all"]) if A["workers_all"] else 0
    if not f["resolved"]:
        return report.Verdict("unresolved", number, why_unresolved(f) + "; "
                              + _more(A["n"], *A["share"], BAND, "timed generations", 3))
    where = {"inside": "inside", "below": "below", "above": "above"}[f["conclusion"]]
    band = f"[{BAND[0]:.3f}, {BAND[1]:.3f}] (a 0.7 crossing between 16 and 4 workers)"
    if top >= CLUSTER:
        word = "confirmed" if f["conclusion"] == "inside" else "refuted"
        return report.Verdict(word, number, f"the CI lies {where} the band {band}, with workers measured to {top}")
    return report.Verdict("refined", number, f"the CI lies {where} the band {band}; workers were measured only up "
                                             f"to {top}, so the crossing it implies is modelled (measuring "
                                             f"{CLUSTER} workers would make it confirmed or refuted)")


def island_verdict(T: dict, F: dict, finals: dict, planned: int) -> report.Verdict:
    """``d4.island_evals``: the IQM difference islands - one CMA-ES at equal evaluations."""
    one, isl = island_sides(finals)
    number = f"islands {report.over_seeds(isl, 0, planned)} vs one CMA-ES {report.over_seeds(one, 0, planned)}"
    if "d4.island_evals" not in T:
        return report.Verdict("unresolved", number, f"fewer than {MIN_N['d4.island_evals']} seeds a side so far; "
                                                    f"the campaign's {planned} seeds a side would test it")
    cmp, f = T["d4.island_evals"]["numbers"]["cmp"], F["d4.island_evals"]
    number += "; " + report.difference(cmp)
    if not f["resolved"]:
        need = n_to_resolve(isl, one)
        tail = (f"; the data could detect a difference of about {report.num(detectable_difference(isl, one))} return"
                + (f", and about {need:,.0f} seeds a side would resolve the observed one" if np.isfinite(need) else
                   ", and not even 10,000 seeds a side would resolve the observed one"))
        return report.Verdict("unresolved", number, why_unresolved(f) + tail)
    if cmp["diff"] > 0:
        return report.Verdict("confirmed", number, "the islands are ahead at equal evaluations")
    return report.Verdict("refuted", number, "one CMA-ES is ahead at equal evaluations: the islands buy "
                                             "parallelism with samples")


def hundred_verdict(T: dict, F: dict) -> report.Verdict:
    """``q3.islands``: only the simulation reaches 100+ workers here, so at most "refined" (modelled)."""
    real = "a run on 100+ real heterogeneous nodes (a Ray cluster) would confirm or refute it"
    if "q3.islands" not in T:
        return report.Verdict("unresolved", "not tested: no simulated count of 100 or more workers, or fewer than "
                                            f"{MIN_N['q3.islands']} simulation seeds", real)
    N, f = T["q3.islands"]["numbers"], F["q3.islands"]
    number = (f"simulated efficiency of {ISLAND_MODELS[N['model']]} {report.ci(N['point'], *N['ci'], 3)} at "
              f"{N['workers']} heterogeneous workers (modelled, calibrated here; mean over {N['n']} simulation seeds)")
    if not f["resolved"]:
        return report.Verdict("unresolved", number, why_unresolved(f) + "; "
                              + _more(N["n"], N["point"], *N["ci"], (EFFICIENCY,), "simulation seeds") + "; " + real)
    return report.Verdict("refined", number, f"the modelled CI lies {f['conclusion']} 0.7; the CI covers the "
                                             f"simulated workers' speeds, not the calibration; {real}")


def overall(V: dict, T: dict | None = None) -> report.Verdict:
    """``d4.overall`` from its three sub-claims, in the declared order: every one confirmed; else one
    refuted and none confirmed; else refined when any is resolved; else unresolved. With the tests
    ``T``, the number quotes each sub-claim's main figure."""
    T = T or {}
    sp = [T[k]["numbers"] for k in (f"d4.speedup:{m}" for m in CMA_METHODS) if k in T]
    tell, isl = T.get("d4.tell", {}).get("numbers"), T.get("d4.island_evals", {}).get("numbers")
    parts = {"up to 8 workers": (V["d4.speedup"], "" if not sp else
                                 f" (efficiency at {max(n['workers'] for n in sp)} workers "
                                 + ", ".join(report.num(n["measured"][0], 2) for n in sp) + ")"),
             "ask + tell as the limit": (V["d4.tell"], "" if not tell else
                                         f" (share {report.num(tell['share'][0], 2)})"),
             "islands at equal evaluations": (V["d4.island_evals"], "" if not isl else
                                              f" (difference {report.num(isl['cmp']['diff'], 0, True)} return)")}
    words = [v.word for v, _ in parts.values()]
    number = ", ".join(f"{k} {v.word}{x}" for k, (v, x) in parts.items())
    if all(w == "confirmed" for w in words):
        return report.Verdict("confirmed", number, "every sub-claim is confirmed")
    if "refuted" in words and "confirmed" not in words:
        return report.Verdict("refuted", number, "a sub-claim is refuted and none confirmed")
    if any(w != "unresolved" for w in words):
        done = ", ".join(f"{k} ({v.word})" for k, (v, _) in parts.items() if v.word != "unresolved")
        still = ", ".join(k for k, (v, _) in parts.items() if v.word == "unresolved")
        return report.Verdict("refined", number, f"resolved: {done}" + (f"; still open: {still} (each states "
                                                                         "what would resolve it)" if still else ""))
    return report.Verdict("unresolved", number, "no sub-claim is resolved yet; each states what would resolve it")


def verdicts(timings: pd.DataFrame, env: str, finals: dict | None, planned: int, sim_efficiency=None,
             repeats: int = 100, n_resamples: int = N_RESAMPLES) -> tuple[dict, dict]:
    """(claim id -> ``report.Verdict``, the Holm family ``judge`` returns)."""
    T = tests(timings, env, finals, sim_efficiency, n_resamples)
    F = judge(T, repeats) if T else {}
    V = {"d4.speedup": speedup_verdict(T, F, env), "d4.tell": tell_verdict(T, F, env),
         "d4.island_evals": island_verdict(T, F, finals or {}, planned), "q3.islands": hundred_verdict(T, F)}
    V["d4.overall"] = overall(V, T)
    return V, F


def family_table(F: dict) -> pd.DataFrame:
    """The chapter's Holm family for readers."""
    def name(k):
        claim, _, m = k.partition(":")
        return {"d4.speedup": f"{_name(m)}: efficiency at the most workers measured (up to 8), against 0.7",
                "d4.speedup.modelled": f"{_name(m)}: modelled efficiency at 8 workers (Amdahl fit), against 0.7",
                "d4.tell": "ask + tell's share of a generation, against 0.029-0.143",
                "d4.island_evals": "islands − one CMA-ES, return at equal evaluations, against 0",
                "q3.islands": "simulated island efficiency at 100+ workers (modelled), against 0.7"}.get(claim, k)
    return pd.DataFrame({"What is tested": [name(k) for k in F],
                         "raw p": [f["p"] for f in F.values()], "Holm-adjusted p": [f["p_adj"] for f in F.values()],
                         "share of bootstrap seeds that flip it": [f["flip"] for f in F.values()],
                         "resolved after Holm": [("borderline" if f["borderline"] else "yes" if f["resolved"] else "no")
                                                 for f in F.values()]})
