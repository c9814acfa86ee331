"""evoscale: where gradient-free neuroevolution stops working, measured.

Import direction (never the other way round): experiments -> train -> trainers / evaluation ->
policies / envs. ``config``, ``stats``, ``plots``, ``store`` and ``machine`` are leaves.
"""

from .config import RESULT_FORMAT_VERSION, RunConfig

__all__ = ["RESULT_FORMAT_VERSION", "RunConfig", "__version__"]
__version__ = "0.1.0"
