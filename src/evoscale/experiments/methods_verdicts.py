"""The verdicts of chapter 5's claimed table and of chapter 1's width claim, as ``report.Verdict`` objects.

Chapter 5 (``CLAIMED_VERDICTS``, the design note's Dimension-5 table): every test the table rests on
forms one Holm family (``tests``); ``verdicts`` gives each claimed cell its word against the claim.
Chapter 1 ("full CMA-ES dominates up to ~10K parameters, OpenAI-ES beyond"): one Holm family over
both halves (``width_tests``), a verdict per half (``width_verdict``, ``width_beyond``) and the whole
claim (``width_claim``). The chapters render the verdicts with ``report`` (short and long forms).
"""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pandas as pd

from ..claims import CLAIMS
from ..machine import ram_gib
from ..stats import MIN_SEEDS, compare, diff_p, family, iqm, iqm_p
from . import report
from .fair_rivals import NOT_TUNED
from .judging import needs_two, resolve_one
from .methods import GRID_ROWS, LABELS, SIZE_NAMES, cell_values, crossover_n

# The design note's Dimension-5 table, the claim (its rows and sizes; sep-CMA-ES and PPO are not in it).
CLAIMED_VERDICTS = {
    ("cmaes", "small"): "dominant", ("cmaes", "medium"): "degraded", ("cmaes", "large"): "too expensive",
    ("openai_es", "small"): "okay", ("openai_es", "medium"): "dominant", ("openai_es", "large"): "feasible",
    ("neuromod", "small"): "promising", ("neuromod", "medium"): "untested", ("neuromod", "large"): "untested",
    ("ga", "small"): "bad", ("ga", "medium"): "bad", ("ga", "large"): "bad",
}


NEUROMOD_SCOPE = ("plasticity tested here only on LunarLander, which needs no learning within an episode; "
                  "chapter 7 tests learning within an episode, on two small tasks (networks under 1K parameters)")
"""Where the grid's Neuromod verdicts hold and where plasticity was tested instead (its verdicts end with it)."""


def tests(seeds: pd.DataFrame, threshold: float | None = 200.0, repeats: int = 100) -> dict:
    """Every test chapter 5's claimed table rests on, as one Holm family (``stats.family``): per size
    column each pair of methods with ``MIN_SEEDS`` or more seeds (IQM difference of the final return),
    each okay / feasible / promising cell's final return against the task's solved ``threshold``
    (the IQM's CI), and each degraded cell against its next smaller size. Keys: ("pair", size, a, b),
    ("solves", row, size), ("degraded", row, size)."""
    vals = {k: v for k, v in cell_values(seeds).items() if v.size >= MIN_SEEDS}
    p_of = {}
    for size in SIZE_NAMES:
        rows = [r for r in GRID_ROWS if (r, size) in vals]
        for i, a in enumerate(rows):
            for b in rows[i + 1:]:
                p_of[("pair", size, a, b)] = lambda s, x=vals[(a, size)], y=vals[(b, size)]: diff_p(x, y, s)
    for (row, size), claim in CLAIMED_VERDICTS.items():
        if (row, size) not in vals:
            continue
        if claim in ("okay", "feasible", "promising") and threshold is not None:
            p_of[("solves", row, size)] = lambda s, x=vals[(row, size)], t=threshold: iqm_p(x, t, s)
        if claim == "degraded":
            prev = SIZE_NAMES[SIZE_NAMES.index(size) - 1]
            if (row, prev) in vals:
                p_of[("degraded", row, size)] = lambda s, x=vals[(row, size)], y=vals[(row, prev)]: diff_p(x, y, s)
    return family(p_of, repeats)


def family_table(F: dict) -> pd.DataFrame:
    """The family for readers: each test, its raw and Holm-adjusted p-value, how often its decision
    flips with the bootstrap seed, and whether it is resolved."""
    def what(k):
        if k[0] == "pair":
            return f"{LABELS[k[2]]} vs {LABELS[k[3]]}, {k[1]}"
        return f"{LABELS[k[1]]} {k[2]}: " + ("final return against the solved threshold" if k[0] == "solves" else
                                            f"against its {SIZE_NAMES[SIZE_NAMES.index(k[2]) - 1]} size")
    return pd.DataFrame({"What is tested": [what(k) for k in F], "raw p": [f["p"] for f in F.values()],
                         "Holm-adjusted p": [f["p_adj"] for f in F.values()],
                         "share of bootstrap seeds that flip it": [f["flip"] for f in F.values()],
                         "resolved after Holm": [("borderline" if f["borderline"] else "yes" if f["resolved"] else "no")
                                      for f in F.values()]})


def _pair(F: dict, size: str, a: str, b: str) -> dict | None:
    return F.get(("pair", size, a, b)) or F.get(("pair", size, b, a))


def verdicts(seeds: pd.DataFrame, cells: pd.DataFrame, planned: dict | None = None, F: dict | None = None,
             threshold: float | None = 200.0) -> dict:
    """Per (row, size) of the claimed table: a ``report.Verdict`` against ``CLAIMED_VERDICTS``.

    dominant: confirmed if resolved better than every other method of its column, refuted if another
    is resolved better. bad: confirmed if some method is resolved better, refuted if it is resolved
    better than another and none better than it. okay / feasible / promising: the method solves the
    task at that size -- confirmed when the final return's CI lies above ``threshold``, refuted when
    below, unresolved otherwise. degraded: the row at this size against the next
    smaller one. too expensive: confirmed when chapter 1's cost model predicts one run above this
    machine's memory or above ten times the median run time of the other methods at that size. untested: refined where a resolved test places it
    against another method of its column, else unresolved.
    Cells with fewer than ``MIN_SEEDS`` seeds are unresolved ("n = k of N"). "Resolved" is decided in
    one family over the whole table (``tests``: Holm-adjusted, borderline tests unresolved); ``F`` is
    that family if already computed."""
    vals = cell_values(seeds)
    F = tests(seeds, threshold) if F is None else F
    out = {}
    for (row, size), claim in CLAIMED_VERDICTS.items():
        cell = cells[(cells["row"] == row) & (cells["size"] == size)]
        n_plan = (planned or {}).get((row, size))
        v = vals.get((row, size), np.array([]))
        if len(cell) and not bool(cell["runs"].iloc[0]):
            c = cell.iloc[0]
            number = f"predicted {c.predicted_s / 3600:,.1f} h and {c.predicted_gib:,.0f} GiB for one run on this machine"
            if claim != "too expensive":
                out[(row, size)] = report.Verdict("unresolved", number, f"not tested: not run here; {MIN_SEEDS} seeds "
                                                  "at this size (each predicted as above) would decide it")
                continue
            # too expensive: over this machine's memory, or over ten times the other methods' median run
            runs_s = seeds.loc[(seeds["size"] == size) & (seeds["row"] != row), "wall_s"].to_numpy(float) \
                if len(seeds) and "wall_s" in seeds else np.array([])
            median_s = float(np.median(runs_s)) if runs_s.size else math.nan
            over_ram, over_time = c.predicted_gib > ram_gib(), c.predicted_s > 10 * median_s
            word = ("confirmed" if over_ram or over_time else
                    "unresolved" if math.isnan(median_s) else "refuted")
            because = (f"not run here; the other methods' runs at this size took {median_s / 3600:,.2f} h (median), "
                       f"so ten times that is {10 * median_s / 3600:,.1f} h; this machine has {ram_gib():,.0f} GiB"
                       if not math.isnan(median_s) else "not run here, and no other method's run at this size to "
                       "compare: the other methods' runs at this size would decide it")
            out[(row, size)] = report.Verdict(word, number, because)
            continue
        number = f"final return {report.over_seeds(v, 0, n_plan)}"
        if v.size < MIN_SEEDS:
            seeds_ = n_plan if n_plan and n_plan >= MIN_SEEDS else MIN_SEEDS
            out[(row, size)] = report.Verdict("unresolved", number, f"fewer than {MIN_SEEDS} seeds so far; "
                                                                    f"{seeds_} seeds would let the test decide it")
            continue
        others = {r: x for (r, s), x in vals.items() if s == size and r != row and x.size >= MIN_SEEDS}
        resolved = {r: bool((f := _pair(F, size, row, r)) and f["resolved"]) for r in others}
        better = [r for r, x in others.items() if resolved[r] and iqm(x) > iqm(v)]
        worse = [r for r, x in others.items() if resolved[r] and iqm(v) > iqm(x)]
        names = lambda rs: ", ".join(LABELS[r] for r in rs)  # noqa: E731
        rivals = [r for r in others if not resolved[r]]
        closest = max(rivals, key=lambda r: iqm(others[r]), default=None)
        needs = f"; against {LABELS[closest]} {needs_two(compare(v, others[closest]))}" if closest is not None else ""
        if claim == "dominant":
            word = "confirmed" if others and len(worse) == len(others) else "refuted" if better else "unresolved"
            because = {"confirmed": "resolved better than every other method of its size",
                       "refuted": f"{names(better)} resolved better",
                       "unresolved": "not resolved better than " + (names(rivals) or "the others") + needs}[word]
        elif claim == "bad":
            word = "confirmed" if better else "refuted" if worse else "unresolved"
            because = {"confirmed": f"{names(better)} resolved better", "refuted": f"resolved better than {names(worse)}",
                       "unresolved": "no difference to the other methods resolved" + needs}[word]
        elif claim in ("okay", "feasible", "promising"):  # solves the task at this size
            f = F.get(("solves", row, size), {})
            above = iqm(v) > (threshold if threshold is not None else np.inf)
            word = "unresolved" if not f.get("resolved") else ("confirmed" if above else "refuted")
            line = f"the solved threshold {threshold:g}" if threshold is not None else "no solved threshold"
            because = {"confirmed": f"solves it: the final return's CI lies above {line}",
                       "refuted": f"does not solve it: the final return's CI lies below {line}",
                       "unresolved": (f"the final return's CI contains {line}"
                                      if threshold is not None else "the task has no solved threshold")}[word]
            if f:
                because += f" (Holm-adjusted p = {f['p_adj']:.2g})"
            if word == "unresolved" and threshold is not None:
                because += "; " + resolve_one(v - threshold, 0, "return")
        elif claim == "degraded":
            prev = SIZE_NAMES[SIZE_NAMES.index(size) - 1]
            pv = vals.get((row, prev), np.array([]))
            if pv.size < MIN_SEEDS:
                word, because = "unresolved", f"fewer than {MIN_SEEDS} seeds at the {prev} size"
            else:
                c = compare(v, pv)
                ok = F.get(("degraded", row, size), {}).get("resolved", False)
                word = "unresolved" if not ok else ("confirmed" if c["diff"] < 0 else "refuted")
                because = f"against its {prev} size: {report.difference(c)}" + ("" if ok else "; " + needs_two(c))
        else:  # "untested" predicts nothing: refined only where the measurement places it (a resolved test)
            placed = ([f"{names(better)} resolved better"] if better else []) + (
                [f"resolved better than {names(worse)}"] if worse else [])
            word = "refined" if placed else "unresolved"
            because = ("tested here: " + "; ".join(placed)) if placed else (
                "tested here, but no difference to the other methods resolved" + needs)
        out[(row, size)] = report.Verdict(word, number, because)
    return {k: replace(v, because=f"{v.because}; {NEUROMOD_SCOPE}") if k[0] == "neuromod" else v
            for k, v in out.items()}


def _finals_by_width(seeds: pd.DataFrame) -> dict:
    """(row, n) -> the final returns of its seeds."""
    return {(r, n): g["final"].to_numpy(float) for (r, n), g in seeds.groupby(["row", "n"])} if len(seeds) else {}


WIDTH_MIN_N = next(c.min_n for c in CLAIMS if c.id == "d1.above")
"""Fewest seeds a side for a word on chapter 1's claim (declared: a headline comparison needs 10)."""


def width_tests(seeds: pd.DataFrame, a: str = "cmaes", b: str = "openai_es", limit: int = 10_000,
                repeats: int = 100, extra: dict | None = None) -> dict:
    """Chapter 1's family (``stats.family``, Holm): up to ``limit`` parameters ``a`` against ``b`` at
    every width both ran (key ("below", n)), above it ``b`` against every other method there (key
    ("above", n, other)); only comparisons with ``WIDTH_MIN_N`` or more seeds a side. ``extra``: more
    tests of the same chapter (key -> p-value as a function of the bootstrap seed), e.g. the widths
    beyond 100K (``frontier.p_values``)."""
    vals = {k: v[np.isfinite(v)] for k, v in _finals_by_width(seeds).items()}
    full = lambda x, y: min(x.size, y.size) >= WIDTH_MIN_N  # noqa: E731
    p_of = {("below", n): (lambda s, x=vals[(a, n)], y=vals[(b, n)]: diff_p(x, y, s))
            for (r, n) in vals if r == a and n <= limit and (b, n) in vals and full(vals[(a, n)], vals[(b, n)])}
    p_of.update({("above", n, r): (lambda s, x=vals[(b, n)], y=x_: diff_p(x, y, s))
                 for (r, n), x_ in vals.items() if n > limit and r != b and (b, n) in vals and full(vals[(b, n)], x_)})
    p_of.update(extra or {})
    return family(p_of, repeats)


def width_family_names(F: dict, threshold: float, names: dict | None = None) -> dict:
    """What each test of chapter 1's Holm family (``width_tests``, with ``frontier.p_values`` as
    ``extra``) tests, in readers' words, in the family's order (``judging.family_table``'s ``tested``);
    ``names``: method labels beyond chapter 5's (the frontier's low-rank ES)."""
    label = {**LABELS, **(names or {})}
    out = {}
    for k in F:
        if k[0] == "below":
            out[k] = f"{k[1]:,} parameters: {label['cmaes']} − {label['openai_es']}, against 0"
        elif k[0] == "above":
            out[k] = f"{k[1]:,} parameters: {label['openai_es']} − {label.get(k[2], k[2])}, against 0"
        elif k[0] == "solves":
            out[k] = f"{k[2]:,} parameters: {label.get(k[1], k[1])}'s final return, against {threshold:g}"
        elif k[0] == "low-rank vs full":
            out[k] = f"{k[1]:,} parameters: {label.get('lowrank_es', 'low-rank ES')} − {label['openai_es']}, against 0"
        else:
            out[k] = f"{k[1]:,} parameters: {k[0]}, against 0"
    return out


def _holm(rows: list, F: dict | None, key) -> None:
    """Replace each comparison's own resolution by its family's (Holm-adjusted, borderline unresolved)."""
    for r in rows:
        f = (F or {}).get(key(r))
        if F is not None:
            r["resolved"] = bool(f and f["resolved"])
            r["p_adj"] = f["p_adj"] if f else np.nan


def width_verdict(seeds: pd.DataFrame, a: str = "cmaes", b: str = "openai_es", limit: int = 10_000,
                  F: dict | None = None) -> dict:
    """Chapter 1's claim "full CMA-ES dominates up to ~10K parameters, OpenAI-ES beyond": per size
    both rows ran, ``stats.compare`` of their final returns; the verdict and the crossover n (NaN:
    none in range) with its bootstrap CI."""
    vals = _finals_by_width(seeds)
    ns = sorted(n for (r, n) in vals if r == a and (b, n) in vals)
    rows = [dict(n=n, **compare(vals[(a, n)], vals[(b, n)])) for n in ns]
    _holm(rows, F, lambda r: ("below", r["n"]))
    table = pd.DataFrame(rows)
    xo = crossover_n(seeds, a, b, "final") if ns else dict(n=np.nan, lo=np.nan, hi=np.nan)
    full = [r for r in rows if min(r["n_x"], r["n_y"]) >= WIDTH_MIN_N]
    below = [r for r in full if r["n"] <= limit]
    if not below:
        word, because = "unresolved", f"no size with {WIDTH_MIN_N} or more seeds of both methods yet"
    elif all(r["resolved"] and r["diff"] > 0 for r in below):
        word, because = "confirmed", f"{LABELS[a]} resolved better at every size up to {max(r['n'] for r in below):,}"
    elif any(r["resolved"] and r["diff"] < 0 for r in below):
        first = min(r["n"] for r in below if r["resolved"] and r["diff"] < 0)
        word, because = "refuted", f"{LABELS[b]} resolved better already at {first:,} parameters"
    elif any(r["resolved"] and r["diff"] > 0 for r in below):
        ok = [r["n"] for r in below if r["resolved"] and r["diff"] > 0]
        word, because = "refined", f"{LABELS[a]} resolved better only at {', '.join(f'{n:,}' for n in ok)} parameters"
    else:
        word, because = "unresolved", "no size resolved; at " + _nearest(below)
    at = min(below, key=lambda r: abs(np.log(r["n"] / 2_788))) if below else None
    adj = f", Holm-adjusted p = {at['p_adj']:.2g}" if at and np.isfinite(at.get("p_adj", np.nan)) else ""
    number = ("IQM difference CMA-ES − OpenAI-ES at {:,} parameters {} (n = {} vs {}{})".format(
        at["n"], report.ci(at["diff"], at["diff_lo"], at["diff_hi"], 0, sign=True), at["n_x"], at["n_y"], adj)
        if at else "no sizes yet")
    return dict(verdict=report.Verdict(word, number, because), table=table, crossover=xo, limit=limit)


def _nearest(rows: list) -> str:
    """What would resolve a half of chapter 1's claim with no comparison resolved: the comparison
    nearest to resolving (fewest seeds needed), its detectable difference and seeds."""
    r = min(rows, key=lambda r: (r["n_needed"] if np.isfinite(r["n_needed"]) else np.inf, -r["detectable"]))
    return f"{r['n']:,} parameters" + (f" against {LABELS[r['other']]}" if "other" in r else "") + ", " + needs_two(r)


def width_beyond(seeds: pd.DataFrame, b: str = "openai_es", limit: int = 10_000, F: dict | None = None) -> dict:
    """The claim's second half, "OpenAI-ES beyond ~10K parameters": at every width above ``limit``,
    ``stats.compare`` of ``b``'s final returns against each other method that ran there (full CMA-ES
    does not run there on this machine). Confirmed when ``b`` is resolved better than every other
    method at every such width with ``WIDTH_MIN_N`` seeds or more each; refuted when another method is resolved
    better than ``b`` somewhere; refined when ``b`` beats some but not all; else unresolved, with
    the smallest difference the data could detect."""
    vals = _finals_by_width(seeds)
    rows = [dict(n=n, other=r, **compare(vals[(b, n)], x)) for (r, n), x in sorted(vals.items(), key=lambda kv: kv[0][1])
            if n > limit and r != b and (b, n) in vals]
    _holm(rows, F, lambda r: ("above", r["n"], r["other"]))
    table = pd.DataFrame(rows)
    full = [r for r in rows if min(r["n_x"], r["n_y"]) >= WIDTH_MIN_N]
    worse = [r for r in full if r["resolved"] and r["diff"] < 0]
    better = [r for r in full if r["resolved"] and r["diff"] > 0]
    if not full:
        word, because = "unresolved", (f"{len(rows)} comparison(s) so far, each with fewer than {WIDTH_MIN_N} seeds a "
                                       f"side (a headline comparison needs {WIDTH_MIN_N})" if rows else
                                       f"no runs of {LABELS[b]} and another method above {limit:,} stored yet")
    elif worse:
        r = min(worse, key=lambda r: r["n"])
        word, because = "refuted", f"{LABELS[r['other']]} resolved better at {r['n']:,} parameters"
    elif len(better) == len(full):
        word, because = "confirmed", (f"{LABELS[b]} resolved better than every other method at every width up to "
                                      f"{max(r['n'] for r in full):,}")
    elif better:
        word, because = "refined", f"{LABELS[b]} resolved better only than " + ", ".join(
            f"{LABELS[r['other']]} at {r['n']:,}" for r in better)
    else:
        word, because = "unresolved", "no difference resolved; at " + _nearest(full)
    def at(r):  # one comparison: width, IQM difference [CI], seeds
        return (f"at {r['n']:,} parameters {report.ci(r['diff'], r['diff_lo'], r['diff_hi'], 0, sign=True)} "
                f"(n = {r['n_x']} vs {r['n_y']})")

    number = ", ".join(f"vs {LABELS[r['other']]} {at(r)}" for r in full)
    number = (f"IQM difference of {LABELS[b]} {number}" if full else
              f"no width above {limit:,} parameters with {WIDTH_MIN_N} or more seeds of both methods yet")
    low = min(full, key=lambda r: r["diff"]) if full else None
    short = (f"{LABELS[b]} − {LABELS[low['other']]} {at(low)}, the smallest of {len(full)} differences"
             if full else number)
    return dict(verdict=report.Verdict(word, number, because), table=table, short=short, limit=limit)


def width_claim(below: dict, above: dict) -> report.Verdict:
    """Chapter 1's whole claim from its two halves, ``width_verdict`` (up to its ``limit``) and
    ``width_beyond`` (above its ``limit``): the word ``report.overall`` gives the pair, then each
    half's word and its number (the half above by its smallest difference)."""
    lo, hi = below["verdict"], above["verdict"]
    whole = report.overall([lo, hi], "halves")
    number = (f"up to {below['limit'] // 1000}K {lo.word}, {lo.number}, "
              f"and above {above['limit'] // 1000}K {hi.word}, {above['short']}")
    return report.Verdict(whole.word, number, whole.because)


def headline(V: dict) -> str:
    """One line for the whole claimed table: how many cells got which word."""
    counts = {w: sum(v.word == w for v in V.values()) for w in report.WORDS}
    return f"Of the claim's {len(V)} cells, " + ", ".join(f"{counts[w]} {w}" for w in report.WORDS if counts[w])


def best_text(p_best: pd.Series) -> str:
    """Per size column (``methods.p_best``'s (row, size) -> probability): the method most likely to be
    its best, with that probability; "not enough seeds yet" for a column without a value. A
    description over the bootstrap, not a test: the verdicts rest on the IQM differences."""
    parts = []
    for size in SIZE_NAMES:
        col = {row: value for (row, s), value in p_best.items() if s == size}
        best = max(col, key=col.get) if col else None
        parts.append(f"{size}: {LABELS[best]} ({col[best]:.2f})" if best else f"{size}: not enough seeds yet")
    return "; ".join(parts)


def before_after(p, cells: pd.DataFrame, threshold: float | None = 200.0) -> pd.DataFrame:
    """Does each claimed cell's verdict hold after tuning? Per cell of the grid (``cells``; a row the
    design note does not rate, sep-CMA-ES, has no word but the same columns): its word
    from the runs with the book's earlier settings (``tuned=False``) and from the runs the chapter shows
    with the tuning rule's settings, each judged in its own Holm family over the whole table. The second
    column says where the rule kept the earlier setting (the same runs), where the selected setting's
    runs are still training, and where the band's tuning is not complete. The last two columns: the
    cell's final return (IQM over seeds, from ``MIN_SEEDS`` seeds on) with the earlier setting and, where
    the word after tuning rests on the selected setting's runs, with that one; and the change, after −
    before, with its 95 % bootstrap CI (a description of how the tuning transferred to the full budget,
    not a claim: no word rests on it)."""
    from .methods import configs, per_seed, planned, run, settings_for

    earlier = replace(p, tuned=False)
    seeds_of = {"earlier": per_seed(run(earlier, cells, log=lambda *a: None), threshold),
                "tuned": per_seed(run(p, cells, log=lambda *a: None), threshold)}

    def words(q, which) -> dict:
        return {k: v.word for k, v in verdicts(seeds_of[which], cells, planned(q, cells), None, threshold).items()}

    def finals(which, row, size) -> np.ndarray:
        s = seeds_of[which]
        return s[(s["row"] == row) & (s["size"] == size)]["final"].to_numpy()

    def final(which, row, size) -> str:
        g = finals(which, row, size)
        return report.num(float(iqm(g)), 0) if len(g) >= MIN_SEEDS else "–"

    changes = {}

    def change(row, size) -> str:
        x, y = finals("tuned", row, size), finals("earlier", row, size)
        if min(len(x), len(y)) < MIN_SEEDS:
            return "–"
        c = changes[LABELS[row], size] = compare(x, y)
        return f"{report.ci(c['diff'], c['diff_lo'], c['diff_hi'], 0, sign=True)} (n = {c['n_x']} vs {c['n_y']})"

    def keys(q, shown=False) -> dict:
        return {(c.row, c.size, cf.seed): cf.key() for c, cf in configs(q, cells, shown=shown)}

    before, after = words(earlier, "earlier"), words(p, "tuned")
    old, target, shown = keys(earlier), keys(p), keys(p, shown=True)
    rows = []
    for row, size in dict.fromkeys(zip(cells["row"], cells["size"])):  # the grid's cells, row by row
        claim = CLAIMED_VERDICTS.get((row, size), "–")  # sep-CMA-ES: tuned like every row, in no claim
        ours = [k for k in target if k[:2] == (row, size)]
        then, later, moved = final("earlier", row, size), "–", "–"
        if (row, size) in NOT_TUNED:
            now = f"{before.get((row, size), '–')} ({NOT_TUNED[row, size]})"
        elif settings_for(p, row, size)[1] != "selected by the tuning rule":
            now = "tuning not complete"
        elif all(target[k] == old.get(k) for k in ours):
            now, later, moved = f"{after.get((row, size), '–')} (the rule kept the earlier setting)", then, "0 (the same runs)"
        elif any(shown[k] != target[k] for k in ours):
            now = "runs with the selected setting still training"
        else:
            now, later, moved = after.get((row, size), "–"), final("tuned", row, size), change(row, size)
        rows.append({"Method": LABELS[row], "Size": size, "The design note's word": claim,
                     "Verdict before tuning": before.get((row, size), "–"), "Verdict after tuning": now,
                     "Final return (IQM), before → after": f"{then} → {later}",
                     "Change, after − before [95 % CI]": moved})
    out = pd.DataFrame(rows)
    out.attrs["changes"] = changes  # (method label, size) -> stats.compare of after against before
    return out


def transfer_text(table: pd.DataFrame) -> str:
    """One short paragraph for readers from ``before_after``'s table: in how many of the cells whose
    selected setting differs from the earlier one, with its runs stored, the change of the final return
    is resolved, and in how many it is negative. The values stay in the table's last two columns."""
    changes = table.attrs.get("changes", {})
    done = table[[(r["Method"], r["Size"]) in changes for _, r in table.iterrows()]]
    if done.empty:
        return ("No cell has all its runs with a changed setting stored yet, so how the tuning carries over to "
                "the full budget is not measured yet.")
    names = ", ".join(f"{r['Method']} {r['Size']}" for _, r in done.iterrows())
    resolved = [f"{m} {z}, {'lower' if c['diff'] < 0 else 'higher'}" for (m, z), c in changes.items() if c["resolved"]]
    lower = sum(c["diff"] < 0 for c in changes.values())
    return (f"Cells whose changed setting has all its runs stored: {len(done)} ({names}). Before any "
            f"correction for these {len(done)} comparisons, the CI of the change excludes 0 in {len(resolved)} "
            f"of them{' (' + '; '.join(resolved) + ')' if resolved else ''}; {lower} of the {len(done)} point "
            "estimates are below 0.")
