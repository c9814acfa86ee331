"""evoscale: where gradient-free neuroevolution stops working, measured.

Import direction (never the other way round; ``lint-imports`` checks the contracts in pyproject.toml):
cli -> campaign / bookbuild -> experiments -> bench -> island -> runs -> train -> config / baselines
-> evaluation -> trainers -> policies / envs -> the leaves plots, store, machine, cluster_sim, stats.
"""

from .config import RESULT_FORMAT_VERSION, RunConfig

__all__ = ["RESULT_FORMAT_VERSION", "RunConfig", "__version__"]
__version__ = "0.1.0"
