"""Chapter 6's verdicts: open question 1, judged by the tests declared for it (``claims.questions``).

Each claim has one statistic (declared before the data):

- ``q1.data``: the ratio ES / PPO of the Kaplan-Meier median env steps to the solved threshold, censored
  seeds counted at their budget; confirmed when its CI lies inside Salimans et al.'s [3, 10], refuted
  when it lies wholly outside.
- ``q1.one_core``: the same ratio of one-core seconds; confirmed above 1 (PPO sooner), refuted below.
- ``q1.equal_steps`` / ``q1.equal_time``: the IQM difference PPO - ES of the solved-test return at equal
  env steps (PPO's budget) and equal one-core seconds; ``q1.bipedal``: the same at equal env steps on
  BipedalWalker.
- ``q1.crossover`` (LunarLander) and ``q1.crossover_cartpole``: the first W where the ES's median time
  to the threshold on W cores falls below PPO's (``backprop.crossover``). Measured up to 2 cores
  (confirmed), modelled beyond (refined), none up to ``CORES[-1]`` (refined, modelled).

Each test's bootstrap p-value (``stats.region_p``: the CI lies inside the region its word needs) enters
one Holm family for the chapter (``stats.family``); a test whose decision flips with the bootstrap
seed in more than 5 % of 100 repeats is "borderline" and unresolved. ``q1`` answers the question asked
(is there a crossover in cores, from how many?) from the LunarLander crossover.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..claims import CLAIMS
from ..stats import (N_RESAMPLES, censored_ratio, censored_ratio_draws, detectable_difference, diff_p, km_median,
                     n_to_resolve, region_p)
from . import report
from .judging import judge, why_unresolved
from .backprop import CORES, LABELS, crossover

MIN_N = {c.id: c.min_n for c in CLAIMS if c.id.startswith("q1")}
"""Fewest seeds a side before any word but "unresolved", from the declarations."""
BAND = (3.0, 10.0)
"""Salimans et al.'s ES / backprop data ratio."""


def censored(S: dict, method: str, to: str = "steps_to", budget: str = "max_steps") -> tuple[np.ndarray, np.ndarray]:
    """(times, reached) of one method's seeds in a ``backprop.summarise`` summary: a seed that never
    reached the threshold counts at its budget (``budget``), censored."""
    r = S["rows"][method]
    hit = np.isfinite(r[to])
    return np.where(hit, r[to], r[budget]), hit


# ---------------------------------------------------------------- the tests' p-values

def _ratio_regions(draws: np.ndarray, band: tuple | None) -> dict:
    """p-value per conclusion of a ratio claim from its log-ratio draws: with a band, "inside" it,
    "below" or "above" it; without, "above 1" or "below 1"."""
    if band is None:
        return {"above": region_p(draws, 0.0, np.inf), "below": region_p(draws, -np.inf, 0.0)}
    lo, hi = np.log(band)
    return {"inside": region_p(draws, lo, hi), "below": region_p(draws, -np.inf, lo),
            "above": region_p(draws, hi, np.inf)}


def _cross_regions(draws: np.ndarray) -> dict:
    """p-value per conclusion of a crossover claim from its bootstrap crossovers (inf: none): measured
    (W in 1-2), modelled (4 to the largest W) or none within ``CORES``."""
    return {"measured": region_p(draws, -np.inf, 3.0), "modelled": region_p(draws, 3.0, CORES[-1] + 1.0),
            "none": region_p(draws, CORES[-1] + 1.0, np.inf)}


def tests(S_by_env: dict, C_by_env: dict, es: str = "torch_cmaes", main: str = "LunarLander-v3",
          n_resamples: int = N_RESAMPLES) -> dict:
    """Every testable claim of the chapter: key -> (function of the bootstrap seed giving its smallest
    p over its conclusions, function giving the conclusion of that p, the numbers it rests on). A claim
    whose inputs are missing or below its minimum n is left out (it stays unresolved)."""
    out = {}
    S, C = S_by_env.get(main), C_by_env.get(main)
    if S and es in S["rows"] and "ppo" in S["rows"]:
        n = min(S["rows"][es]["n"], S["rows"]["ppo"]["n"])
        for key, to, budget, band in (("q1.data", "steps_to", "max_steps", BAND),
                                      ("q1.one_core", "wall_to", "max_wall", None)):
            x, y = censored(S, es, to, budget), censored(S, "ppo", to, budget)
            if n >= MIN_N[key] and np.isfinite(x[0]).all() and np.isfinite(y[0]).all():
                regions = lambda seed, x=x, y=y, band=band: _ratio_regions(  # noqa: E731
                    censored_ratio_draws(*x, *y, n_resamples, seed), band)
                out[key] = dict(regions=regions, numbers=censored_ratio(*x, *y, n_resamples=n_resamples))
        for key, x in (("q1.equal_steps", "env_steps"), ("q1.equal_time", "wall_1core")):
            c = S["compare"].get(es, {}).get(x)
            if c is not None and min(c["cmp"]["n_x"], c["cmp"]["n_y"]) >= MIN_N[key]:
                out[key] = dict(regions=lambda seed, a=c["ppo"], b=c["es"]: {"difference": diff_p(a, b, seed)},
                                numbers=c)
    B = S_by_env.get("BipedalWalker-v3")
    if B and "ppo" in B["rows"] and B["compare"]:
        m = next(iter(B["compare"]))
        c = B["compare"][m].get("env_steps")
        if c is not None and min(c["cmp"]["n_x"], c["cmp"]["n_y"]) >= MIN_N["q1.bipedal"]:
            out["q1.bipedal"] = dict(regions=lambda seed, a=c["ppo"], b=c["es"]: {"difference": diff_p(a, b, seed)},
                                     numbers=c)
    for key, env in (("q1.crossover", main), ("q1.crossover_cartpole", "CartPole-v1")):
        C = C_by_env.get(env)
        if C is not None and min(C["cross"]["n_es"], C["cross"]["n_ppo"]) >= MIN_N[key]:
            def regions(seed, C=C):
                return _cross_regions(crossover(C[C["es"]], C["reached"][C["es"]], C["ppo"], C["reached"]["ppo"],
                                                C["W"], n_resamples, seed)["draws"])
            out[key] = dict(regions=regions, numbers=C["cross"])
    return out




# ---------------------------------------------------------------- words

def _n(S: dict, es: str) -> str:
    return f"{S['rows'][es]['n']} vs {S['rows']['ppo']['n']} seeds"


def _why_unresolved(f: dict | None, missing: str) -> str:
    return missing if f is None else why_unresolved(f)


def _ratio_verdict(key: str, T: dict, F: dict, S: dict, es: str, what: str, missing: str) -> report.Verdict:
    name = LABELS.get(es, es)
    if key not in T:
        n = min(S["rows"][m]["n"] if m in S["rows"] else 0 for m in (es, "ppo")) if S else 0
        return report.Verdict("unresolved", f"{n} seeds on the smaller side (at least {MIN_N[key]} needed)", missing)
    r = T[key]["numbers"]
    point = "not reached by half the seeds" if not np.isfinite(r["ratio"]) else report.num(r["ratio"], 2)
    hi = "no upper end" if not np.isfinite(r["hi"]) else report.num(r["hi"], 2)
    number = (f"{name} needs {point} [{report.num(r['lo'], 2)}, {hi}] times PPO's {what} to reach "
              f"{report.num(S['threshold'])} (median over seeds; {r['n_x'] - r['censored_x']} of {r['n_x']} vs "
              f"{r['n_y'] - r['censored_y']} of {r['n_y']} reached it)")
    f = F[key]
    if not f["resolved"]:
        lo, hi_ = np.log(max(r["lo"], 1e-300)), np.log(r["hi"]) if np.isfinite(r["hi"]) else np.inf
        edges = [e for e in ((0.0,) if key == "q1.one_core" else np.log(BAND)) if lo <= e <= hi_]
        more = ""
        if edges and np.isfinite(hi_) and np.isfinite(r["ratio"]):
            dist = min(abs(np.log(r["ratio"]) - e) for e in edges)
            need = int(np.ceil(r["n_x"] * ((hi_ - lo) / 2 / max(dist, 1e-9)) ** 2))
            more = f"; about {need:,} seeds a side would resolve it (the CI narrowing as 1/√n)"
        elif not np.isfinite(hi_):
            more = (f"; {r['censored_x']} of {r['n_x']} {name} seeds had not reached it when their budget ended, so the "
                    "CI has no upper end: longer runs of those seeds would decide it")
        elif not more:
            more = "; more seeds a side would narrow it"
        return report.Verdict("unresolved", number, _why_unresolved(f, missing) + more)
    c = f["conclusion"]
    if key == "q1.data":
        return (report.Verdict("confirmed", number, "the CI lies inside Salimans et al.'s 3-10×") if c == "inside" else
                report.Verdict("refuted", number, f"the CI lies {c} Salimans et al.'s 3-10× "
                               f"({'the ES needs less data than that' if c == 'below' else 'the ES needs more'})"))
    return (report.Verdict("confirmed", number, "PPO reaches the threshold sooner on one core") if c == "above" else
            report.Verdict("refuted", number, "the ES reaches the threshold sooner already on one core"))


def _difference_verdict(key: str, T: dict, F: dict, es_name: str, where: str, missing: str) -> report.Verdict:
    if key not in T:
        return report.Verdict("unresolved", "fewer seeds than the claim needs", missing)
    c = T[key]["numbers"]
    cmp = c["cmp"]
    number = (f"IQM difference PPO − {es_name} {report.ci(cmp['diff'], cmp['diff_lo'], cmp['diff_hi'], 0, True)} "
              f"at {where} (n = {cmp['n_x']} vs {cmp['n_y']}), P(PPO > {es_name}) = "
              f"{report.ci(cmp['p'], cmp['p_lo'], cmp['p_hi'], 2)}")
    f = F[key]
    if not f["resolved"]:
        det = detectable_difference(c["ppo"], c["es"])
        need = n_to_resolve(c["ppo"], c["es"])
        tail = (f"; the data could detect a difference of about {report.num(det)} return"
                + (f", and about {need:,.0f} seeds a side would resolve the observed one" if np.isfinite(need) else ""))
        return report.Verdict("unresolved", number, _why_unresolved(f, missing) + tail)
    ahead = cmp["diff"] > 0
    return report.Verdict("confirmed" if ahead else "refuted", number,
                          f"{'PPO' if ahead else 'the ES'} is ahead at {where}")


def _cross_verdict(key: str, T: dict, F: dict, C: dict | None, missing: str) -> report.Verdict:
    from .backprop import cross_text

    if key not in T:
        return report.Verdict("unresolved", cross_text(C, missing) if C is not None else "no crossover computed",
                              missing if C is None else f"fewer than {MIN_N[key]} seeds a side")
    f, number = F[key], cross_text(C, None)
    if not f["resolved"]:
        return report.Verdict("unresolved", number, _why_unresolved(f, missing) +
                              "; speedups measured at more cores (the model decides beyond 2) and more seeds "
                              "would narrow it")
    c = f["conclusion"]
    if c == "measured":
        return report.Verdict("confirmed", number, "measured: the whole CI lies within 1-2 cores")
    if c == "modelled":
        return report.Verdict("refined", number, "the whole CI lies beyond 2 cores, where the crossover is modelled")
    return report.Verdict("refined", number, f"no crossover up to {CORES[-1]:,} cores in the whole CI (modelled "
                                             f"beyond 2)")


def verdicts(S_by_env: dict, C_by_env: dict, es: str = "torch_cmaes", main: str = "LunarLander-v3",
             repeats: int = 100) -> tuple[dict, dict]:
    """(claim id -> ``report.Verdict``, the Holm family ``judge`` returns)."""
    T = tests(S_by_env, C_by_env, es, main)
    F = judge(T, repeats) if T else {}
    S = S_by_env.get(main)
    name = LABELS.get(es, es)
    lacking = "no runs of both sides stored yet (the campaign trains them)"
    V = {
        "q1.data": _ratio_verdict("q1.data", T, F, S, es, "env steps", lacking) if S else
        report.Verdict("unresolved", "no runs", lacking),
        "q1.one_core": _ratio_verdict("q1.one_core", T, F, S, es, "seconds on one core",
                                      "the idle-core unit costs are missing or too few seeds") if S else
        report.Verdict("unresolved", "no runs", lacking),
    }
    at = {k: T[k]["numbers"]["at"] for k in ("q1.equal_steps", "q1.equal_time") if k in T}
    V["q1.equal_steps"] = _difference_verdict("q1.equal_steps", T, F, name,
                                              f"{report.num(at.get('q1.equal_steps'))} env steps", lacking)
    V["q1.equal_time"] = _difference_verdict("q1.equal_time", T, F, name,
                                             f"{report.num(at.get('q1.equal_time'), 1)} s on one core", lacking)
    B = S_by_env.get("BipedalWalker-v3")
    bw_es = LABELS.get(next(iter(B["compare"])), "the ES") if B and B["compare"] else "the ES"
    bw_at = T["q1.bipedal"]["numbers"]["at"] if "q1.bipedal" in T else None
    V["q1.bipedal"] = _difference_verdict("q1.bipedal", T, F, bw_es, f"{report.num(bw_at)} env steps",
                                          f"fewer than {MIN_N['q1.bipedal']} seeds a side; {MIN_N['q1.bipedal']} "
                                          "seeds a side would let the test decide it")
    V["q1.crossover"] = _cross_verdict("q1.crossover", T, F, C_by_env.get(main), lacking)
    V["q1.crossover_cartpole"] = _cross_verdict("q1.crossover_cartpole", T, F, C_by_env.get("CartPole-v1"), lacking)
    V["q1"] = overall(V)
    return V, F


def overall(V: dict) -> report.Verdict:
    """Open question 1's word, from the LunarLander crossover (CartPole's may only weaken it)."""
    ll, cp = V["q1.crossover"], V["q1.crossover_cartpole"]
    because = f"the crossover in cores: {ll.because}; on CartPole it is {cp.word}"
    if ll.word == "confirmed":
        word = "confirmed" if cp.word in ("confirmed", "unresolved") else "refined"
    else:
        word = ll.word if ll.word == "refined" else "unresolved"
    return report.Verdict(word, f"LunarLander: {ll.number}", because)


def found(S_by_env: dict, V: dict, es: str = "torch_cmaes", main: str = "LunarLander-v3") -> dict:
    """Three short texts for the book's "What we found": the return gap at equal env steps, the data
    ratio, and the crossover's word with its point (each "not measured yet" until it exists)."""
    S, out = S_by_env.get(main), dict.fromkeys(("equal_steps", "data_ratio", "crossover"), "not measured yet")
    c = (S or {}).get("compare", {}).get(es, {}).get("env_steps")
    if c is not None:
        cmp = c["cmp"]
        out["equal_steps"] = (f"{report.ci(cmp['diff'], cmp['diff_lo'], cmp['diff_hi'], 0, True)} return after "
                              f"{report.num(c['at'])} env steps")
    if S and es in S["rows"] and "ppo" in S["rows"]:
        r = censored_ratio(*censored(S, es), *censored(S, "ppo"))
        if np.isfinite(r["ratio"]):
            out["data_ratio"] = report.ci(r["ratio"], r["lo"], r["hi"] if np.isfinite(r["hi"]) else np.nan, 1)
    v = V.get("q1.crossover")
    if v is not None:
        out["crossover"] = v.word + (f" (the point estimate: from {v.number.split('from ')[1].split(' (')[0]})"
                                     if " from W = " in v.number else "")
    return out


# ---------------------------------------------------------------- the test cadence (issue 36, item 4)

WITHIN = 1.25
"""How finely the solved tests must bracket the ES / PPO ratio of env steps to the threshold: the ratio's
upper bound over its lower bound at most this."""


def _bounds(S: dict, method: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(earliest, latest, reached) env steps at which each seed of ``method`` can have crossed the
    threshold: a seed that reached it crossed after its last failing solved test and by its first
    passing one; a censored seed is at its budget on both ends (not reached by then)."""
    r = S["rows"][method]
    hit = np.isfinite(r["steps_to"])
    return (np.where(hit, r["steps_before"], r["max_steps"]), np.where(hit, r["steps_to"], r["max_steps"]), hit)


def bracket(S: dict, method: str) -> dict:
    """How finely one method's solved tests bracket its env steps to the threshold: ``widest``, the
    widest bracket of one seed (first passing test over the test before it; inf where the first test
    already passed), and ``median_width``, the Kaplan-Meier median of the latest crossings over that of
    the earliest, with the two medians (``median_lo``, ``median_hi``) and the seeds (``n``, ``reached``).
    Censored seeds stay in at their budget."""
    lo, hi, hit = _bounds(S, method)
    with np.errstate(divide="ignore"):
        widths = hi[hit] / lo[hit]
    m_lo, m_hi = km_median(lo, hit), km_median(hi, hit)
    width = (np.nan if not np.isfinite(m_hi) else m_hi / m_lo if m_lo > 0 else np.inf)
    return dict(n=int(hit.size), reached=int(hit.sum()), widest=float(widths.max()) if widths.size else np.nan,
                median_lo=m_lo, median_hi=m_hi, median_width=width)


def cadence(S: dict, es: str, ppo: str = "ppo") -> dict | None:
    """The bounds the test cadence leaves on one task's ES / PPO ratio of median env steps to the
    threshold (``bracket`` of each side as ``es`` and ``ppo``): ``ratio_lo`` = ES earliest / PPO
    latest, ``ratio_hi`` = ES latest / PPO earliest, ``width`` = ratio_hi / ratio_lo, ``within``: width
    at most ``WITHIN``. None without both sides' runs."""
    if not S or es not in S["rows"] or ppo not in S["rows"]:
        return None
    e, p = bracket(S, es), bracket(S, ppo)
    ok = np.isfinite([e["median_lo"], e["median_hi"], p["median_lo"], p["median_hi"]]).all() and p["median_lo"] > 0
    lo = e["median_lo"] / p["median_hi"] if ok else np.nan
    hi = e["median_hi"] / p["median_lo"] if ok else np.nan
    width = hi / lo if ok and lo > 0 else np.nan
    return dict(es=e, ppo=p, ratio_lo=lo, ratio_hi=hi, width=width, within=bool(np.isfinite(width) and width <= WITHIN))


def _x(v) -> str:
    return "no bound" if not np.isfinite(v) else report.num(v, 2) + "×"


def cadence_table(S: dict | None, methods: tuple[str, ...]) -> pd.DataFrame | None:
    """How finely each side's solved tests bracket its env steps to the threshold, a row per side (PPO,
    then each ES of ``methods`` stored): seeds that reached it, one seed's widest bracket, the median's
    bracket and (ES rows) the bounds on the ES / PPO ratio of medians. None without PPO's runs."""
    if not S or "ppo" not in S["rows"]:
        return None
    rows = []
    for m in ("ppo", *methods):
        if m not in S["rows"]:
            continue
        br, c = bracket(S, m), None if m == "ppo" else cadence(S, m)
        rows.append({"method": LABELS.get(m, m), "seeds solved": f"{br['reached']} of {br['n']}",
                     "one seed's widest bracket": _x(br["widest"]), "the median's bracket": _x(br["median_width"]),
                     "ES / PPO ratio of medians": "" if c is None else f"{_x(c['ratio_lo'])}–{_x(c['ratio_hi'])}",
                     f"within {WITHIN}×": "" if c is None else ("yes" if c["within"] else "no")})
    return pd.DataFrame(rows)


def cadence_text(S: dict | None, methods: tuple[str, ...], tests: dict, planned: int, es_finest: bool = False) -> str:
    """The chapter's short sentence on how finely the test cadence brackets the ES / PPO ratio of env
    steps to the threshold on one task (``tests``: side -> how often it runs its solved test, in words;
    ``cadence_table`` gives each side's brackets): per ES in ``methods`` the ratio's bounds and whether
    they lie within ``WITHIN``, and, where not, whose tests are the coarser (the runs that would decide
    it; ``es_finest``: the ES already tests every generation, so its bracket is a generation's worth of
    episodes and no re-run narrows it). Says which runs are still to come while they are."""
    if not S or "ppo" not in S["rows"]:
        return "PPO's runs are still to run, so no ratio is bracketed yet"
    head = f"PPO tested {tests['ppo']}, the ES {tests['es']}"
    p = bracket(S, "ppo")
    if not p["reached"]:
        return f"{head}; none of PPO's {p['n']} seeds reached the threshold, so no ratio is bracketed"
    waiting = [LABELS.get(m, m) for m in methods if m not in S["rows"]]
    if len(waiting) == len(methods):
        return f"{head}. The ES runs are still to run, so no ratio is bracketed yet"
    parts, coarser = [], set()
    for m in methods:
        c = cadence(S, m)
        if c is None:
            continue
        e = c["es"]
        stored = "" if e["n"] >= planned else f"; {e['n']} of {planned} seeds stored so far"
        if not np.isfinite(c["width"]):
            parts.append(f"{LABELS.get(m, m)}: " + (
                f"its median is not reached by half the seeds ({e['reached']} of {e['n']} reached "
                f"{report.num(S['threshold'])}{stored}), so the tests bound the ratio from below only"
                if not np.isfinite(e["median_hi"]) else "PPO's median is not bracketed, so neither is the ratio"))
            continue
        if not c["within"]:
            coarser.add("PPO's" if c["ppo"]["median_width"] >= e["median_width"] else "the ES's")
        parts.append(f"{LABELS.get(m, m)} {_x(c['ratio_lo'])}–{_x(c['ratio_hi'])}, {_x(c['width'])} apart, "
                     + ("" if c["within"] else "not ") + f"resolved to within {WITHIN}×{stored}")
    still = f"; still to run: {', '.join(waiting)}" if waiting else ""
    rerun = coarser - {"the ES's"} if es_finest else coarser
    decide = "" if not coarser else (
        f". The coarser tests are {' and '.join(sorted(coarser))}: " + (
            "re-running those runs with the solved test more often would decide it" if rerun == coarser else
            "the ES already tests every generation, so its bracket is one generation's episodes and no re-run "
            "narrows it" + (f"; re-running {' and '.join(sorted(rerun))} runs with the solved test more often would"
                            " narrow the rest" if rerun else "")))
    return f"{head}. The ES / PPO ratio of median env steps: " + "; ".join(parts) + still + decide


def family_table(F: dict) -> pd.DataFrame:
    """The chapter's Holm family for readers."""
    names = {"q1.data": "data: ES / PPO env steps to the threshold, against 3-10×",
             "q1.one_core": "one core: ES / PPO seconds to the threshold, against 1",
             "q1.equal_steps": "return at equal env steps, PPO − ES, against 0",
             "q1.equal_time": "return at equal one-core seconds, PPO − ES, against 0",
             "q1.bipedal": "BipedalWalker: return at equal env steps, against 0",
             "q1.crossover": "LunarLander: the crossover in cores",
             "q1.crossover_cartpole": "CartPole: the crossover in cores"}
    return pd.DataFrame({"What is tested": [names.get(k, k) for k in F],
                         "raw p": [f["p"] for f in F.values()], "Holm-adjusted p": [f["p_adj"] for f in F.values()],
                         "share of bootstrap seeds that flip it": [f["flip"] for f in F.values()],
                         "resolved after Holm": [("borderline" if f["borderline"] else "yes" if f["resolved"] else "no")
                                                 for f in F.values()]})


