import pickle

import numpy as np
import pytest

from evoscale.trainers import REGISTRY, make_trainer
from trainer_helpers import neg_sphere, run_trainer

LAYOUT6 = ((2, 2),)
"""6 parameters as one 2x2 weight matrix and its bias: what ``lowrank_es`` perturbs in factored form
(``make_trainer`` hands a layout only to the trainers that take one)."""


@pytest.mark.parametrize("method", ["cmaes", "sepcmaes"])
def test_minimises_10d_sphere_to_1e_8(method):
    trainer = make_trainer(method, 10, 10, 1.0)
    trainer.x0 = np.full(10, 3.0)
    state = run_trainer(trainer, neg_sphere, 300)
    assert -neg_sphere(trainer.solution(state)) < 1e-8


@pytest.mark.parametrize("method", sorted(REGISTRY))
def test_same_seed_same_populations_other_seed_different(method):
    t = make_trainer(method, 6, 8, 0.5, layout=LAYOUT6)
    a, b, c = run_trainer(t, neg_sphere, 5, 1), run_trainer(t, neg_sphere, 5, 1), run_trainer(t, neg_sphere, 5, 2)
    assert np.array_equal(t.solution(a), t.solution(b))
    assert not np.array_equal(t.solution(a), t.solution(c))


@pytest.mark.parametrize("method", sorted(REGISTRY))
def test_global_numpy_rng_is_neither_used_nor_disturbed(method):
    t = make_trainer(method, 6, 8, 0.5, layout=LAYOUT6)
    np.random.seed(123)
    before = np.random.get_state()[1].copy()
    s1 = run_trainer(t, neg_sphere, 3, 0)
    assert np.array_equal(np.random.get_state()[1], before)
    np.random.seed(999)  # someone else reseeding the global RNG must not change our run
    s2 = run_trainer(t, neg_sphere, 3, 0)
    assert np.array_equal(t.solution(s1), t.solution(s2))


@pytest.mark.parametrize("method", sorted(REGISTRY))
def test_pickled_state_resumes_exactly(method):
    t = make_trainer(method, 6, 8, 0.5, layout=LAYOUT6)
    straight = run_trainer(t, neg_sphere, 6, 3)
    half = pickle.loads(pickle.dumps(run_trainer(t, neg_sphere, 3, 3)))
    for _ in range(3):
        pop, half = t.ask(half)
        half = t.tell(half, pop, np.array([neg_sphere(x) for x in pop]))
    assert np.array_equal(t.solution(straight), t.solution(half))


def test_unknown_method():
    with pytest.raises(ValueError, match="valid methods: cmaes, sepcmaes, openai_es, ga, neuromod, torch_cmaes, snes, pgpe, sep_cmaes_torch"):
        make_trainer("cma", 4, 4, 1.0)


@pytest.mark.parametrize("method", sorted(REGISTRY))
def test_registry_names_match_the_classes(method):
    assert REGISTRY[method].name == method


@pytest.mark.parametrize("method,n,popsize", [("torch_cmaes", 30, 8), ("torch_cmaes", 60, 6), ("cmaes", 30, 8),
                                              ("cmaes", 60, 6)])
def test_serial_period_is_the_spacing_of_the_eigendecompositions(method, n, popsize):
    """A timing of ask + tell must span whole periods of the lazy eigendecomposition (chapter 4's
    and 6's sequential part); the period must be the one the trainer actually keeps."""
    from evoscale.trainers import serial_period

    trainer = REGISTRY[method](n, popsize, 0.5)
    state, rng = trainer.init(0), np.random.default_rng(0)

    def marker(s):
        return s.eigen_eval if method == "torch_cmaes" else s.es.sm.last_update

    at, last = [], marker(state)
    for g in range(60):
        population, state = trainer.ask(state)
        state = trainer.tell(state, population, rng.normal(size=len(population)))
        if marker(state) != last:
            at.append(g)
            last = marker(state)
    gaps = set(np.diff(at).tolist())
    assert len(at) >= 3 and gaps == {serial_period(trainer)}, (at, serial_period(trainer))
    assert serial_period(REGISTRY["sepcmaes"](n, popsize, 0.5)) == 1
    assert serial_period(REGISTRY["openai_es"](n, popsize, 0.5)) == 1
