"""EvoTorch adapters (SNES, PGPE, sep-CMA-ES): the ask/tell contract, determinism, pickling,
validation, and bit-for-bit equality with EvoTorch's own searchers driven by ``step()``."""

import pickle

import numpy as np
import pytest
import torch

from evoscale.trainers.evotorch_es import PGPE, SNES, EvoTorchSepCMA

CLASSES = [SNES, PGPE, EvoTorchSepCMA]
IDS = [c.name for c in CLASSES]


def neg_sphere(X):
    return -np.sum(X**2, axis=1)


def run(t, generations, seed=0, state=None, collect=None):
    state = t.init(seed) if state is None else state
    for _ in range(generations):
        pop, state = t.ask(state)
        if collect is not None:
            collect.append(pop)
        state = t.tell(state, pop, neg_sphere(pop))
    return state


def test_names():
    assert [c.name for c in CLASSES] == ["snes", "pgpe", "sep_cmaes_torch"]


# Sphere, n = 10, from x0 = 3 (||x0||^2 = 90), popsize 16, sigma0 1, 150 generations.
@pytest.mark.parametrize("cls, kw, target", [
    (SNES, {}, 1e-4),
    (PGPE, {}, 0.5),  # ClipUp moves at most max_speed = 0.15 per generation: slower, by design
    (PGPE, {"optimizer": "adam", "center_learning_rate": 0.3}, 0.5),
    (EvoTorchSepCMA, {}, 1e-8),
], ids=["snes", "pgpe", "pgpe-adam", "sep_cmaes_torch"])
def test_improves_10d_sphere(cls, kw, target):
    t = cls(10, 16, 1.0, x0=np.full(10, 3.0), **kw)
    state = t.init(0)
    assert np.sum(t.solution(state) ** 2) == pytest.approx(90.0)
    state = run(t, 150, state=state)
    assert np.sum(t.solution(state) ** 2) < target


@pytest.mark.parametrize("cls", CLASSES, ids=IDS)
def test_types_shapes_and_state(cls):
    t = cls(7, 6, 0.5)
    state = t.init(1)
    assert state.device == "cpu" and state.seed == 1 and state.generation == 0
    pop, state = t.ask(state)
    assert isinstance(pop, np.ndarray) and pop.dtype == np.float64 and pop.shape == (6, 7)
    again, state = t.ask(state)
    assert np.array_equal(pop, again)  # ask has no side effect
    pop[:] = 123.0  # the caller owns the returned array
    again, state = t.ask(state)
    assert not np.any(again == 123.0)
    state = t.tell(state, again, neg_sphere(again))
    assert state.generation == 1
    x = t.solution(state)
    assert isinstance(x, np.ndarray) and x.dtype == np.float64 and x.shape == (7,)


@pytest.mark.parametrize("cls", CLASSES, ids=IDS)
def test_same_seed_identical_other_seed_different(cls):
    t = cls(6, 8, 0.5)
    a, b, c = [], [], []
    sa, sb, sc = run(t, 5, 1, collect=a), run(t, 5, 1, collect=b), run(t, 5, 2, collect=c)
    assert all(np.array_equal(p, q) for p, q in zip(a, b))
    assert np.array_equal(t.solution(sa), t.solution(sb))
    assert not np.array_equal(a[0], c[0])
    assert not np.array_equal(t.solution(sa), t.solution(sc))


@pytest.mark.parametrize("cls", CLASSES, ids=IDS)
def test_global_rngs_neither_used_nor_disturbed(cls):
    t = cls(6, 8, 0.5)
    np.random.seed(123)
    torch.manual_seed(123)
    np_before, torch_before = np.random.get_state()[1].copy(), torch.get_rng_state().clone()
    s1 = run(t, 3)
    assert np.array_equal(np.random.get_state()[1], np_before)
    assert torch.equal(torch.get_rng_state(), torch_before)
    np.random.seed(999)
    torch.manual_seed(999)  # someone else reseeding the global RNGs must not change our run
    s2 = run(t, 3)
    assert np.array_equal(t.solution(s1), t.solution(s2))


@pytest.mark.parametrize("cls", CLASSES, ids=IDS)
def test_pickled_state_resumes_exactly(cls):
    t = cls(6, 8, 0.5, dtype="float64")
    straight = []
    s = run(t, 6, 3, collect=straight)
    resumed = []
    half = pickle.loads(pickle.dumps(run(t, 3, 3)))
    half = run(t, 3, state=half, collect=resumed)
    assert all(np.array_equal(p, q) for p, q in zip(straight[3:], resumed))
    assert np.array_equal(t.solution(s), t.solution(half))
    # the trainer pickles too (it is part of a run's checkpoint in the loop)
    t2 = pickle.loads(pickle.dumps(t))
    assert np.array_equal(t2.solution(run(t2, 6, 3)), t.solution(s))


@pytest.mark.parametrize("cls", CLASSES, ids=IDS)
def test_tell_rejects_other_population_and_state_stays_usable(cls):
    t = cls(6, 8, 0.5)
    ref = t.solution(run(t, 3, 4))
    s = run(t, 1, 4)
    pop, s = t.ask(s)
    with pytest.raises(ValueError, match="population"):
        t.tell(s, pop + 1e-3, neg_sphere(pop))
    with pytest.raises(ValueError, match="population"):
        t.tell(s, pop[:-1], neg_sphere(pop)[:-1])
    s = run(t, 2, state=s)
    assert np.array_equal(t.solution(s), ref)


@pytest.mark.parametrize("cls", CLASSES, ids=IDS)
def test_x0_and_attribute_x0(cls):
    t = cls(4, 8, 0.1, x0=np.arange(4.0))
    assert np.allclose(t.solution(t.init(0)), np.arange(4.0))
    t.x0 = np.full(4, 2.0)  # as tests/test_trainers.py does after make_trainer
    assert np.allclose(t.solution(t.init(0)), 2.0)
    t.x0 = np.zeros(3)
    with pytest.raises(ValueError, match="x0"):
        t.init(0)


@pytest.mark.parametrize("cls", CLASSES, ids=IDS)
def test_device(cls):
    if torch.cuda.is_available():
        assert cls(4, 8, 0.5, device="auto").init(0).device.startswith("cuda")
    else:
        assert cls(4, 8, 0.5, device="auto").init(0).device == "cpu"
        with pytest.raises(ValueError, match="device"):
            cls(4, 8, 0.5, device="cuda")
    with pytest.raises(ValueError, match="device"):
        cls(4, 8, 0.5, device="tpu")


def test_pgpe_symmetric_pairs():
    t = PGPE(5, 8, 0.5, x0=np.full(5, 1.0), dtype="float64")
    pop, _ = t.ask(t.init(0))
    assert np.allclose(pop[0::2] + pop[1::2], 2.0)


BAD = [
    (SNES, dict(popsize=1), "popsize"),
    (SNES, dict(n_params=0), "n_params"),
    (SNES, dict(sigma0=0.0), "sigma0"),
    (SNES, dict(center_learning_rate=-1.0), "center_learning_rate"),
    (SNES, dict(stdev_learning_rate=0.0), "stdev_learning_rate"),
    (SNES, dict(ranking_method="best"), "ranking_method"),
    (SNES, dict(scale_learning_rate="yes"), "scale_learning_rate"),
    (SNES, dict(dtype="float16"), "dtype"),
    (PGPE, dict(popsize=7), "popsize"),
    (PGPE, dict(center_learning_rate=0.0), "center_learning_rate"),
    (PGPE, dict(stdev_learning_rate=-0.1), "stdev_learning_rate"),
    (PGPE, dict(optimizer="rmsprop"), "optimizer"),
    (PGPE, dict(optimizer="adam", max_speed=0.1), "max_speed"),
    (PGPE, dict(max_speed=0.0), "max_speed"),
    (PGPE, dict(momentum=1.0), "momentum"),
    (PGPE, dict(optimizer="adam", momentum=0.9), "momentum"),
    (PGPE, dict(ranking_method="best"), "ranking_method"),
    (PGPE, dict(stdev_max_change=1.5), "stdev_max_change"),
    (PGPE, dict(symmetric=1), "symmetric"),
    (PGPE, dict(sigma0=float("nan")), "sigma0"),
    (EvoTorchSepCMA, dict(popsize=1), "popsize"),
    (EvoTorchSepCMA, dict(c_m=0.0), "c_m"),
    (EvoTorchSepCMA, dict(c_mu_ratio=-1.0), "c_mu_ratio"),
    (EvoTorchSepCMA, dict(active="no"), "active"),
    (EvoTorchSepCMA, dict(stdev_min=-1.0), "stdev_min"),
    (EvoTorchSepCMA, dict(stdev_min=2.0, stdev_max=1.0), "stdev_max"),
    (EvoTorchSepCMA, dict(x0=np.zeros(3)), "x0"),
]


@pytest.mark.parametrize("cls, kw, param", BAD, ids=[f"{c.name}-{p}" for c, _, p in BAD])
def test_bad_hyper_parameters(cls, kw, param):
    args = dict(n_params=4, popsize=8, sigma0=0.5)
    args.update(kw)
    with pytest.raises(ValueError, match=param):
        cls(**args)


# -- the adapters are EvoTorch: same seed, same numbers as driving EvoTorch's searcher directly --


def _reference(cls, n, popsize, sigma0, x0, seed, steps, **kw):
    import evotorch
    from evotorch import algorithms

    def f(x):  # float64 returns from float32 samples, exactly what tell() receives
        return -(x.double() ** 2).sum(-1)

    problem = evotorch.Problem("max", f, solution_length=n, initial_bounds=(-1, 1), dtype=torch.float32,
                               eval_dtype=torch.float64, vectorized=True, seed=seed)
    if cls is SNES:
        searcher = algorithms.SNES(problem, stdev_init=sigma0, popsize=popsize, center_init=x0)
    elif cls is PGPE:
        searcher = algorithms.PGPE(problem, stdev_init=sigma0, popsize=popsize, center_init=x0,
                                   center_learning_rate=kw.get("center_learning_rate", 0.075),
                                   stdev_learning_rate=0.1)
    else:
        searcher = algorithms.CMAES(problem, stdev_init=sigma0, popsize=popsize, center_init=x0, separable=True)
    for _ in range(steps):
        searcher.step()
    return searcher.status["center"].double().numpy()


@pytest.mark.parametrize("cls", CLASSES, ids=IDS)
def test_identical_to_evotorch_step(cls):
    n, popsize, sigma0, x0, seed, gens = 6, 8, 0.5, np.full(6, 2.0), 7, 10
    t = cls(n, popsize, sigma0, x0=x0)
    ours = t.solution(run(t, gens, seed))
    # Gaussian searchers: init() is EvoTorch's first step (sampling only), each tell() one more.
    steps = gens + (0 if cls is EvoTorchSepCMA else 1)
    ref = _reference(cls, n, popsize, sigma0, x0, seed, steps)
    assert np.array_equal(ours, ref)


def test_sep_cmaes_torch_refuses_one_parameter_clearly():
    """EvoTorch squeezes a length-1 centre to a scalar and fails in init with a shape message."""
    with pytest.raises(ValueError, match="sep_cmaes_torch needs at least 2 parameters"):
        EvoTorchSepCMA(1, 8, 0.1)
    EvoTorchSepCMA(2, 8, 0.1).init(0)
