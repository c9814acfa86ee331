from dataclasses import replace

import numpy as np
import pytest

from evoscale.trainers.ga import GA
from trainer_helpers import neg_sphere, run_trainer


def test_default_truncation_is_a_fifth_of_the_population_at_least_two():
    assert GA(3, 100, 0.1).truncation == 20  # Such et al.'s T=20 (of 1,000) at P=100
    assert GA(3, 32, 0.1).truncation == 6
    assert GA(3, 8, 0.1).truncation == 2
    assert GA(3, 2, 0.1).truncation == 2


def test_selection_mutation_and_elitism_follow_the_algorithm():
    ga = GA(5, 10, 0.01, truncation=3, elites=1)
    state = ga.init(0)
    pop0, state = ga.ask(state)
    assert pop0.shape == (10, 5) and np.allclose(pop0.std(), 0.01, rtol=0.5)  # x0=0 + sigma0 N(0, I)
    r0 = np.arange(10.0)[::-1] * 1.0  # row 0 best, then 1, 2, ...
    state = ga.tell(state, pop0, r0)
    assert np.array_equal(state.parents, pop0[:3]) and np.array_equal(state.elites, pop0[:1])
    assert state.elite_fitness.tolist() == [9.0] and state.elite_evals.tolist() == [1]
    # offspring = a top-T parent + sigma0 N(0, I): make the parents far apart to see who begat whom
    parents = np.array([[0.0] * 5, [100.0] * 5, [200.0] * 5])
    state = replace(state, parents=parents)
    pop1, state = ga.ask(state)
    assert np.array_equal(pop1[0], pop0[0])  # the elite, unmutated, first
    k = np.abs(pop1[1:, :1] - parents[:, 0]).argmin(axis=1)
    deviation = (pop1[1:] - parents[k]) / 0.01
    assert np.abs(deviation).max() < 6 and 0.5 < deviation.std() < 1.5
    assert len(set(k.tolist())) > 1  # parents are drawn at random, not always the best
    # the elite's fitness is its running mean; newcomers are judged on their single evaluation
    r1 = np.full(10, -50.0)
    r1[0] = 5.0
    state = ga.tell(state, pop1, r1)
    assert np.array_equal(state.elites[0], pop0[0]) and state.elite_fitness.tolist() == [7.0]
    assert state.elite_evals.tolist() == [2] and np.array_equal(ga.solution(state), pop0[0])
    pop2, state = ga.ask(state)
    r2 = np.full(10, -50.0)
    r2[0], r2[4] = 1.0, 6.0  # elite mean (9+5+1)/3 = 5 < 6: the newcomer takes over
    state = ga.tell(state, pop2, r2)
    assert np.array_equal(ga.solution(state), pop2[4]) and state.elite_fitness.tolist() == [6.0]
    assert state.elite_evals.tolist() == [1]
    assert np.array_equal(state.parents, pop2[[4, 0, 1]])  # ranked by estimate: 6, 5, then ties by row


def test_without_elites_every_individual_is_mutated():
    ga = GA(4, 6, 0.1, elites=0, truncation=1)
    state = run_trainer(ga, neg_sphere, 1)
    pop, state = ga.ask(state)
    assert not np.any(np.all(pop == state.parents[0], axis=1))
    state = ga.tell(state, pop, np.array([neg_sphere(x) for x in pop]))
    assert np.array_equal(ga.solution(state), pop[np.argmax([neg_sphere(x) for x in pop])])


def test_improves_10d_sphere():
    ga = GA(10, 32, 0.2, x0=np.full(10, 3.0))
    state = run_trainer(ga, neg_sphere, 150)
    assert -neg_sphere(ga.solution(state)) < 0.01 * 90.0


@pytest.mark.parametrize("args, kwargs, name", [
    ((4, 8, 0.0), {}, "sigma0"),
    ((4, 8, -0.1), {}, "sigma0"),
    ((4, 8, 0.1), {"truncation": 0}, "truncation"),
    ((4, 8, 0.1), {"truncation": 9}, "truncation"),
    ((4, 8, 0.1), {"elites": -1}, "elites"),
    ((4, 8, 0.1), {"elites": 8}, "elites"),
    ((4, 1, 0.1), {}, "popsize"),
    ((4, 8, 0.1), {"x0": np.zeros(5)}, "x0"),
])
def test_bad_hyper_parameters_name_themselves(args, kwargs, name):
    with pytest.raises(ValueError, match=name):
        GA(*args, **kwargs)


def test_tell_rejects_a_population_that_ask_did_not_return():
    ga = GA(4, 8, 0.1)
    state = run_trainer(ga, neg_sphere, 1)
    pop, state = ga.ask(state)
    with pytest.raises(ValueError, match="elites"):
        ga.tell(state, pop[::-1], np.zeros(8))
