"""Every study of ``STUDIES`` has one shape (issue 35): ``Params`` (a docstring per field), ``params``,
``needs``, ``analyse`` and ``figures``; ``analyse`` at the smoke profile turns results into verdict
objects. The results are synthetic (the shapes the chapters hand over; the smoke profile stores no
runs to read), built with the verdict tests' own helpers, and judged with few resamples."""

import ast
import dataclasses
import inspect
import textwrap

import matplotlib
import numpy as np
import pandas as pd
import pytest

from evoscale.experiments import STUDIES, frontier, tuning
from evoscale.experiments.report import Verdict

matplotlib.use("Agg")


def _docstrings(cls) -> dict:
    """field -> the string literal that follows its annotation in the class body."""
    body = ast.parse(textwrap.dedent(inspect.getsource(cls))).body[0].body
    out = {}
    for a, b in zip(body, body[1:]):
        if isinstance(a, ast.AnnAssign) and isinstance(b, ast.Expr) and isinstance(b.value, ast.Constant) \
                and isinstance(b.value.value, str):
            out[a.target.id] = b.value.value
    return out


@pytest.mark.parametrize("chapter", list(STUDIES))
def test_every_study_has_the_full_shape(chapter):
    study = STUDIES[chapter]
    assert dataclasses.is_dataclass(study.Params)
    docs = _docstrings(study.Params)
    undocumented = [f.name for f in dataclasses.fields(study.Params) if not docs.get(f.name, "").strip()]
    assert not undocumented, f"{chapter}: fields without a docstring: {undocumented}"
    assert isinstance(study.params({"profile": "smoke"}), study.Params)
    assert isinstance(study.needs("smoke"), list)
    for name in ("analyse", "figures"):
        assert callable(getattr(study, name)), (chapter, name)


# ------------------------------------------------------------------ synthetic results, per study
def _compute():
    from test_compute_verdicts import runs

    rng = np.random.default_rng(0)
    df = runs(250 + rng.normal(0, 5, 10), 40 + rng.normal(0, 3, 10), 5 + rng.normal(0, 3, 10))
    return {"runs": df, "check": None, "costs": None}, {"repeats": 10}


def _workers():
    from test_workers_verdicts import ENV, both

    return {"timings": both(0.05, 0.3, noise=0.05), "env": ENV, "finals": None, "hundred": None}, \
        {"repeats": 20, "n_resamples": 2_000}


def _methods():
    from test_methods_experiment import _cells, _seeds

    spec = {("cmaes", "small"): 300, ("openai_es", "small"): 100, ("ga", "small"): 0, ("neuromod", "small"): 250}
    return {"seeds": _seeds(spec), "cells": _cells(), "planned": None, "threshold": 200.0}, {"repeats": 10}


def _frontier_seeds():
    from test_frontier import _seeds

    ok = [250, 260, 270, 255, 265]
    return _seeds([("openai_es", 300_259, ok), ("lowrank_es", frontier.WIDEST_FULL, ok)])


def _parameters():
    rng = np.random.default_rng(0)
    rows = [dict(row=r, n=n, seed=s, final=m + rng.normal(0, 5))
            for n, (mc, mo) in {973: (200, 100), 2_788: (150, 100), frontier.WIDEST_FULL: (50, 100)}.items()
            for r, m in (("cmaes", mc), ("openai_es", mo)) for s in range(10)]
    return {"width_seeds": pd.DataFrame(rows), "width_cells": None, "threshold": 200.0,
            "frontier_seeds": _frontier_seeds(), "frontier_params": frontier.params({"profile": "smoke"})}, \
        {"repeats": 10}


def _frontier():
    return {"seeds": _frontier_seeds(), "widest": np.array([240.0, 250, 260, 245, 255]), "threshold": 200.0}, \
        {"repeats": 10}


def _backprop():
    from test_backprop_experiment import synthetic

    from evoscale.experiments import backprop as b

    df = synthetic()
    S = {"CartPole-v1": b.summarise(df, "CartPole-v1", planned=10, costs=b.unit_costs(df))}
    return {"runs": df, "costs": None, "summaries": S, "panels": [], "others": {}, "main": "CartPole-v1"}, \
        {"repeats": 3}


def _plasticity():
    from test_plasticity_verdicts import frames

    full, at = frames(at_share=np.linspace(0.5, 0.9, 10), full_share=np.linspace(0.5, 0.9, 10))
    return {"per_seed": full, "matched": at}, {}


def _environments():
    from test_environments_verdicts import MODEL, cartpole, row

    T = pd.DataFrame([cartpole(np.linspace(3_000, 7_000, 10)), row()])
    return {"table": T, "model": MODEL}, {"repeats": 10}


def _gpu():
    from test_gpu_verdicts import CHECKS, SHARES, jax, mjx, speed

    return {"jax_table": jax((40, 30, 90, 45, 28)), "shares": SHARES, "checks": CHECKS, "speed": speed(),
            "mjx_meta": mjx(), "gpu": None}, {"repeats": 10}


def _tuning():
    return {"table": tuning.table("smoke")}, {}


RESULTS = {"tuning": _tuning, "03_compute": _compute, "01_parameters": _parameters, "05_methods": _methods,
           "04_workers": _workers, "06_backprop_vs_evolution": _backprop, "07_plasticity": _plasticity,
           "frontier": _frontier, "02_environments": _environments, "08_gpu": _gpu}
CLAIMLESS = {"tuning"}
"""Studies that state no claim of their own (the tuning protocol: chapter 5 judges the tuned cells)."""


def test_every_study_has_its_synthetic_results():
    assert set(RESULTS) == set(STUDIES)


@pytest.mark.parametrize("chapter", list(STUDIES))
def test_analyse_at_the_smoke_profile_returns_verdict_objects(chapter, tmp_path, monkeypatch):
    monkeypatch.setenv("EVOSCALE_RESULTS", str(tmp_path))  # nothing stored: the results are the synthetic ones
    study = STUDIES[chapter]
    results, options = RESULTS[chapter]()
    A = study.analyse(study.params({"profile": "smoke"}), results, **options)
    assert set(results) <= set(A) and isinstance(A["family"], dict)
    V = A["verdicts"]
    assert chapter in CLAIMLESS or V, f"{chapter}: no verdict"
    assert all(isinstance(v, Verdict) for v in V.values()), {k: type(v) for k, v in V.items()}
    import matplotlib.pyplot as plt

    figures = study.figures(A) if chapter in ("tuning",) else {}
    assert all(isinstance(f, matplotlib.figure.Figure) for f in figures.values())
    for f in figures.values():
        plt.close(f)
