"""Benchmarks (speed targets live here, never in unit tests): the evaluator against one raw
environment (``evaluator``), full CMA-ES in torch against pycma (``cma``), episodes to the solved
threshold per method (``methods``) and optimiser time against evaluation time (``overhead``)."""
