"""EvoTorch's GPU-capable distribution searchers behind our ask/tell contract: SNES, PGPE, sep-CMA-ES.

Thin adapters: the algorithms are EvoTorch's own (``evotorch.algorithms.SNES``, ``PGPE`` and
``CMAES(separable=True)``; EvoTorch 0.6.1), driven through their unchanged ``step()``. Nothing of
the algorithms is re-implemented here. EvoTorch: Toklu, Atkinson, Micka, Liskowski & Srivastava
(2023), "EvoTorch: Scalable Evolutionary Computation in Python", arXiv:2302.12600.

* ``SNES`` ("snes"): separable natural evolution strategies -- Schaul, Glasmachers & Schmidhuber
  (2011), "High Dimensions and Heavy Tails for Natural Evolution Strategies", GECCO 2011.
* ``PGPE`` ("pgpe"): policy gradients with parameter-based exploration, symmetric sampling --
  Sehnke, Osendorfer, Rueckstiess, Graves, Peters & Schmidhuber (2010), "Parameter-exploring Policy
  Gradients", Neural Networks 23(4); center updated by ClipUp -- Toklu, Liskowski & Srivastava
  (2020), "ClipUp: A Simple and Powerful Optimizer for Distribution-based Policy Evolution",
  PPSN 2020 -- or Adam / SGD.
* ``EvoTorchSepCMA`` ("sep_cmaes_torch"): EvoTorch's ``CMAES(separable=True)``, i.e. sep-CMA-ES --
  Ros & Hansen (2008), "A Simple Modification in CMA-ES Achieving Linear Time and Space
  Complexity", PPSN X -- with EvoTorch's pycma-based defaults (active CMA on, as in EvoTorch).

What is maximised: the returns handed to ``tell`` (higher is better). The EvoTorch problem is created
with objective sense ``"max"`` and receives the returns unchanged.

Device: every searcher keeps its distribution, optimizer state, population and random generator on
``device`` -- ``"cpu"``, ``"cuda"`` / ``"cuda:i"`` (a ``ValueError`` if CUDA is not available: no
silent fall-back) or ``"auto"`` (cuda when available, else cpu). The device actually used is
recorded in ``state.device``. Populations cross to the host as float64 numpy arrays in ``ask`` and
the returns go back in ``tell``; with ``device="cuda"`` the sampling and all updates run on the GPU.

How ask/tell map onto EvoTorch 0.6.1 (which has no ask/tell methods on its searcher classes; its
functional ``pgpe_ask``/``pgpe_tell`` exist for PGPE only and sample from torch's *global* RNG):

* The problem is a ``Problem("max", solution_length=n, dtype, eval_dtype=float64, device, seed)``
  subclass without an objective function whose ``_evaluate_batch`` copies in the returns given to
  ``tell`` (solution statistics off, so no per-evaluation clones of the best solution).
* SNES and PGPE (``GaussianSearchAlgorithm``): EvoTorch's ``step()`` is "update the distribution
  from the current population's evaluations, then sample the next population". ``init`` calls
  ``step()`` once (samples the first population); ``ask`` reads ``searcher.population`` (no side
  effect: asking twice gives the same population); ``tell`` writes the returns with
  ``SolutionBatch.set_evals`` and calls ``step()``, which updates the center / stdev (so
  ``solution`` reflects the tell) and samples the population of the next ``ask``.
* sep-CMA-ES: EvoTorch's ``CMAES.step()`` samples, evaluates and updates in one call. ``ask`` draws
  the population with ``searcher.sample_distribution()`` and then restores the generator's state;
  ``tell`` calls ``step()``, which -- from the same generator state and unchanged ``m``, ``sigma``,
  ``A`` -- draws the identical population and "evaluates" it with the told returns. The replay is
  exact (same ops, same generator state) and is checked element by element; ``ask`` is again free
  of side effects. Cost: the population is sampled twice (O(popsize n) each).

``tell`` checks that the population it is given is exactly the one asked for (in the problem's
dtype) and raises ``ValueError`` otherwise, leaving the state untouched: EvoTorch computes its update
from its own stored samples, so a modified population would silently misattribute the returns.
NaN returns are rejected.

State and determinism: ``state.searcher`` is the EvoTorch searcher; it holds the problem, whose own
``torch.Generator`` (seeded from the run seed via ``Problem(seed=...)``) is the only source of
randomness. numpy's global generator is not used. torch's global generator does not influence the
results, but EvoTorch draws a throw-away ``torch.randint(0, 1)`` from it (always 0, for ``vmap``
support) whenever it allocates a fresh random tensor (CMAES's sampling); ``init``/``ask``/``tell``
therefore run under ``torch.random.fork_rng`` (the CPU generator, plus ``device``'s CUDA one), so
the global streams are left exactly as they were. The state is
updated in place by ``tell`` (like ``TorchCMAES``). EvoTorch's ``Problem``, ``SolutionBatch`` and
``Distribution`` are ``Serializable`` and the searcher pickles as a whole (generator state included),
so ``pickle.dumps(state)`` is a complete checkpoint and an unpickled state continues bit for bit
(tested on CPU). Caveats: a state pickled with ``device="cuda"`` holds CUDA tensors and a CUDA
generator and can only be unpickled where CUDA is available; identical populations for the same
seed are guaranteed on CPU, and on one GPU model with the same torch version (CUDA sampling is
deterministic, but CPU and CUDA streams differ).

Precision: ``dtype`` ("float32", EvoTorch's default, or "float64") is the dtype of the
distribution and the population; the returns are kept in float64 (``eval_dtype``), so ranking never
sees float32 ties.
"""

from __future__ import annotations

import numpy as np

from .base import check_x0
from .evotorch_base import _PGPE_OPTIMIZERS, _RANKINGS, _EvoTorchAdapter, _is_pos

class SNES(_EvoTorchAdapter):
    """SNES (Schaul, Glasmachers & Schmidhuber 2011) via ``evotorch.algorithms.SNES``; maximises
    the returns; runs on ``device="cuda"`` when requested (``"auto"``: cuda when available).

    Hyper-parameters (EvoTorch's defaults): ``center_learning_rate`` (None: 1.0),
    ``stdev_learning_rate`` (None: 0.2 (3 + ln n) / sqrt(n); a given value is multiplied by that when
    ``scale_learning_rate``), ``scale_learning_rate`` (True), ``ranking_method`` ("nes": the
    paper's utilities), ``x0`` (initial center, default zeros), ``dtype`` ("float32"), ``device``.
    ``sigma0`` is the initial stdev of every coordinate. See the module doc for ask/tell and state.
    """

    name = "snes"

    def __init__(self, n_params: int, popsize: int, sigma0: float,
                 center_learning_rate: float | None = None, stdev_learning_rate: float | None = None,
                 scale_learning_rate: bool = True, ranking_method: str = "nes",
                 x0: np.ndarray | None = None, dtype: str = "float32", device: str = "cpu"):
        self._check_common(n_params, popsize, sigma0, dtype, device)
        for param, value in (("center_learning_rate", center_learning_rate),
                             ("stdev_learning_rate", stdev_learning_rate)):
            if value is not None and not _is_pos(value):
                raise ValueError(f"{param} must be None or a finite number > 0, got {value!r}")
        if not isinstance(scale_learning_rate, bool):
            raise ValueError(f"scale_learning_rate must be a bool, got {scale_learning_rate!r}")
        if ranking_method not in _RANKINGS:
            raise ValueError(f"ranking_method must be one of {', '.join(_RANKINGS)}, got {ranking_method!r}")
        self.center_learning_rate, self.stdev_learning_rate = center_learning_rate, stdev_learning_rate
        self.scale_learning_rate, self.ranking_method = scale_learning_rate, ranking_method
        self.x0 = x0  # validated in init(), since callers may set it afterwards
        check_x0(self.x0, self.n_params)

    def _make_searcher(self, problem, center_init):
        from evotorch.algorithms import SNES as _SNES

        return _SNES(problem, stdev_init=self.sigma0, popsize=self.popsize, center_init=center_init,
                     center_learning_rate=self.center_learning_rate,
                     stdev_learning_rate=self.stdev_learning_rate,
                     scale_learning_rate=self.scale_learning_rate, ranking_method=self.ranking_method)


class PGPE(_EvoTorchAdapter):
    """PGPE (Sehnke et al. 2010) with ClipUp (Toklu et al. 2020) via ``evotorch.algorithms.PGPE``;
    maximises the returns; runs on ``device="cuda"`` when requested (``"auto"``: cuda when available).

    Hyper-parameters: ``center_learning_rate`` (0.075) and ``stdev_learning_rate`` (0.1) -- EvoTorch
    has no defaults for these; ours are those of the ClipUp authors' PGPE example (pgpelib:
    center_learning_rate 0.075, max_speed 0.15 = 2 x it, stdev_learning_rate 0.1,
    stdev_max_change 0.2); ``optimizer`` ("clipup", "adam", "sgd" or None for plain
    ``center += lr * grad``); ``max_speed`` (ClipUp only; None: 2 x center_learning_rate, EvoTorch's
    default); ``momentum`` (ClipUp / SGD; None: the optimizer's default, 0.9 for ClipUp, none for
    SGD); ``ranking_method`` ("centered"); ``stdev_max_change`` (0.2: at most 20 % change of the stdev
    per generation; None: unlimited); ``symmetric`` (True: mirrored pairs, rows 2j, 2j+1 = center +/-
    delta_j; needs an even popsize); ``x0`` (initial center, default zeros); ``dtype`` ("float32");
    ``device``. ``sigma0`` is the initial stdev of every coordinate.
    """

    name = "pgpe"

    def __init__(self, n_params: int, popsize: int, sigma0: float,
                 center_learning_rate: float = 0.075, stdev_learning_rate: float = 0.1,
                 optimizer: str | None = "clipup", max_speed: float | None = None,
                 momentum: float | None = None, ranking_method: str | None = "centered",
                 stdev_max_change: float | None = 0.2, symmetric: bool = True,
                 x0: np.ndarray | None = None, dtype: str = "float32", device: str = "cpu"):
        self._check_common(n_params, popsize, sigma0, dtype, device)
        if not isinstance(symmetric, bool):
            raise ValueError(f"symmetric must be a bool, got {symmetric!r}")
        if symmetric and popsize % 2:
            raise ValueError(f"popsize must be even with symmetric=True (mirrored pairs), got {popsize!r}")
        if not _is_pos(center_learning_rate):
            raise ValueError(f"center_learning_rate must be a finite number > 0, got {center_learning_rate!r}")
        if not _is_pos(stdev_learning_rate, allow_zero=True):
            raise ValueError(f"stdev_learning_rate must be a finite number >= 0, got {stdev_learning_rate!r}")
        if optimizer not in _PGPE_OPTIMIZERS:
            raise ValueError(f"optimizer must be one of 'clipup', 'adam', 'sgd' or None, got {optimizer!r}")
        if max_speed is not None and (optimizer != "clipup" or not _is_pos(max_speed)):
            raise ValueError(f"max_speed must be None or (with optimizer='clipup') a finite number > 0, "
                             f"got {max_speed!r} with optimizer={optimizer!r}")
        if momentum is not None and (optimizer not in ("clipup", "sgd") or not _is_pos(momentum, True)
                                     or not float(momentum) < 1):
            raise ValueError(f"momentum must be None or (with optimizer 'clipup' or 'sgd') in [0, 1), "
                             f"got {momentum!r} with optimizer={optimizer!r}")
        if ranking_method is not None and ranking_method not in _RANKINGS:
            raise ValueError(f"ranking_method must be None or one of {', '.join(_RANKINGS)}, "
                             f"got {ranking_method!r}")
        if stdev_max_change is not None and not (_is_pos(stdev_max_change) and float(stdev_max_change) <= 1):
            raise ValueError(f"stdev_max_change must be None or in (0, 1], got {stdev_max_change!r}")
        self.center_learning_rate, self.stdev_learning_rate = float(center_learning_rate), float(stdev_learning_rate)
        self.optimizer, self.max_speed, self.momentum = optimizer, max_speed, momentum
        self.ranking_method, self.stdev_max_change, self.symmetric = ranking_method, stdev_max_change, symmetric
        self.x0 = x0
        check_x0(self.x0, self.n_params)

    def _make_searcher(self, problem, center_init):
        from evotorch.algorithms import PGPE as _PGPE

        config = {}
        if self.max_speed is not None:
            config["max_speed"] = float(self.max_speed)
        if self.momentum is not None:
            config["momentum"] = float(self.momentum)
        return _PGPE(problem, popsize=self.popsize, center_learning_rate=self.center_learning_rate,
                     stdev_learning_rate=self.stdev_learning_rate, stdev_init=self.sigma0,
                     optimizer=self.optimizer, optimizer_config=config or None,
                     ranking_method=self.ranking_method, center_init=center_init,
                     stdev_max_change=self.stdev_max_change, symmetric=self.symmetric)


class EvoTorchSepCMA(_EvoTorchAdapter):
    """sep-CMA-ES (Ros & Hansen 2008) as EvoTorch's ``CMAES(separable=True)``; maximises the
    returns; runs on ``device="cuda"`` when requested (``"auto"``: cuda when available).

    Hyper-parameters (EvoTorch's defaults): ``c_m`` (1.0, mean learning rate), multipliers of the
    default rates ``c_sigma_ratio``, ``damp_sigma_ratio``, ``c_c_ratio``, ``c_1_ratio``,
    ``c_mu_ratio`` (1.0 each; the defaults are EvoTorch's separable rules, Ros & Hansen's ``c_1``,
    ``c_mu`` and ``c_c``), ``active`` (True: active CMA's negative weights, EvoTorch's default),
    ``csa_squared`` (False), ``stdev_min`` / ``stdev_max`` (None: no limits on the per-coordinate
    stdev), ``x0`` (initial mean, default zeros), ``dtype`` ("float32"), ``device``. ``sigma0`` is
    the initial step size (C starts as the identity).
    """

    name = "sep_cmaes_torch"
    _SAMPLES_IN_STEP = True

    def __init__(self, n_params: int, popsize: int, sigma0: float, c_m: float = 1.0,
                 c_sigma_ratio: float = 1.0, damp_sigma_ratio: float = 1.0, c_c_ratio: float = 1.0,
                 c_1_ratio: float = 1.0, c_mu_ratio: float = 1.0, active: bool = True,
                 csa_squared: bool = False, stdev_min: float | None = None,
                 stdev_max: float | None = None, x0: np.ndarray | None = None,
                 dtype: str = "float32", device: str = "cpu"):
        self._check_common(n_params, popsize, sigma0, dtype, device)
        if n_params < 2:  # EvoTorch's CMAES squeezes a length-1 centre to a scalar, then rejects it
            raise ValueError(f"sep_cmaes_torch needs at least 2 parameters (EvoTorch's CMAES cannot hold a "
                             f"length-1 centre), got n_params={n_params}; use sepcmaes or cmaes")
        for param, value in (("c_m", c_m), ("c_sigma_ratio", c_sigma_ratio),
                             ("damp_sigma_ratio", damp_sigma_ratio), ("c_c_ratio", c_c_ratio),
                             ("c_1_ratio", c_1_ratio), ("c_mu_ratio", c_mu_ratio)):
            if not _is_pos(value):
                raise ValueError(f"{param} must be a finite number > 0, got {value!r}")
        for param, value in (("active", active), ("csa_squared", csa_squared)):
            if not isinstance(value, bool):
                raise ValueError(f"{param} must be a bool, got {value!r}")
        for param, value in (("stdev_min", stdev_min), ("stdev_max", stdev_max)):
            if value is not None and not _is_pos(value):
                raise ValueError(f"{param} must be None or a finite number > 0, got {value!r}")
        if stdev_min is not None and stdev_max is not None and not stdev_min < stdev_max:
            raise ValueError(f"stdev_max must be > stdev_min, got {stdev_max!r} <= {stdev_min!r}")
        self.c_m, self.c_sigma_ratio, self.damp_sigma_ratio = float(c_m), float(c_sigma_ratio), float(damp_sigma_ratio)
        self.c_c_ratio, self.c_1_ratio, self.c_mu_ratio = float(c_c_ratio), float(c_1_ratio), float(c_mu_ratio)
        self.active, self.csa_squared, self.stdev_min, self.stdev_max = active, csa_squared, stdev_min, stdev_max
        self.x0 = x0
        check_x0(self.x0, self.n_params)

    def _make_searcher(self, problem, center_init):
        from evotorch.algorithms import CMAES

        return CMAES(problem, stdev_init=self.sigma0, popsize=self.popsize, center_init=center_init,
                     c_m=self.c_m, c_sigma_ratio=self.c_sigma_ratio,
                     damp_sigma_ratio=self.damp_sigma_ratio, c_c_ratio=self.c_c_ratio,
                     c_1_ratio=self.c_1_ratio, c_mu_ratio=self.c_mu_ratio, active=self.active,
                     csa_squared=self.csa_squared, stdev_min=self.stdev_min, stdev_max=self.stdev_max,
                     separable=True)
