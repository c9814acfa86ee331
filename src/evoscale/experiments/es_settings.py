"""The evolution strategies' rows that chapters 5 and 6 share, below both studies: their names
(``GRID_ROWS``), the one table of their labels (``LABELS``), chapter 5's hyper-parameters (``BOOK``,
the defaults of ``methods.MethodsParams``) and a row's RunConfig fields (``method_settings``)."""

from __future__ import annotations

from dataclasses import dataclass

from ..labels import METHOD_LABELS

GRID_ROWS = ("cmaes", "sepcmaes", "openai_es", "ga", "neuromod")
LABELS = {row: METHOD_LABELS["cma" if row == "cmaes" else row] for row in (*GRID_ROWS, "ppo")}
"""The rows' readers' names (``plots.METHOD_LABELS``): the row ``cmaes`` is the CMA-ES row, whichever
implementation ``cma_method`` picks."""


@dataclass(frozen=True)
class ESSettings:
    """The rows' hyper-parameters (``methods.MethodsParams`` has the same fields, with these defaults)."""

    cma_method: str = "torch_cmaes"
    cma_sigma: float = 0.5
    es_sigma: float = 0.05
    es_lr: float = 0.03
    ga_sigma: float = 0.05
    ga_truncation: int | None = None
    ga_elites: int = 1


BOOK = ESSettings()
"""Chapter 5's ES hyper-parameters (identical in every profile; chapter 6's ES rows run them too)."""


def method_settings(p, row: str) -> dict:
    """RunConfig fields of one grid row: the trainer, its sigma0 and hyper-parameters (``p``: an
    ``ESSettings`` or anything with its fields, e.g. ``methods.MethodsParams``)."""
    if row == "cmaes":
        return dict(method=p.cma_method, sigma0=p.cma_sigma)
    if row == "sepcmaes":
        return dict(method="sepcmaes", sigma0=p.cma_sigma)
    if row in ("openai_es", "neuromod"):
        return dict(method=row, sigma0=p.es_sigma, hyper={"lr": p.es_lr})
    if row == "ga":
        hyper = {"elites": p.ga_elites, **({} if p.ga_truncation is None else {"truncation": p.ga_truncation})}
        return dict(method="ga", sigma0=p.ga_sigma, hyper=hyper)
    raise ValueError(f"unknown grid row {row!r}; valid: {', '.join(GRID_ROWS)}")
