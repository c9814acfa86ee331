"""The readers' names of the methods: one table, below everything that shows a method (issue 35)."""

METHOD_LABELS = {
    "cmaes": "CMA-ES (pycma)", "torch_cmaes": "CMA-ES (torch)", "sepcmaes": "sep-CMA-ES", "openai_es": "OpenAI-ES",
    "lowrank_es": "low-rank ES", "ga": "GA", "ppo": "PPO", "neuromod": "Neuromod", "mlp": "MLP", "recurrent": "GRU",
    "recurrent_ppo": "RecurrentPPO",
    "cma": "CMA-ES",
}
"""The one table of the methods' readers' names (a page or figure never shows a code name), by the
trainer's code name: pycma's CMA-ES (``cmaes``) and the torch re-implementation (``torch_cmaes``) named
apart. ``cma`` is the grid's CMA-ES row (row id ``cmaes`` in ``es_settings.GRID_ROWS``), whichever
implementation ``cma_method`` picks (the book's: torch). The chapters' label tables (``report.NAMES``,
``es_settings.LABELS``, ``frontier.LABELS``, ``backprop.LABELS``, ``plasticity.LABELS``) are views of
this one."""
