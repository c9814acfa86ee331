"""Shared by the policy tests: a population-batched policy must act for every row as it does alone."""

import numpy as np


def assert_batched_equals_single(policy, pop: np.ndarray, rng, steps: int = 20):
    """Step all rows of ``pop`` together and each row alone on the same random observations; the
    actions must agree. Returns the batched state and the single-row states after the last step."""
    P = len(pop)
    batch, singles = policy.unflatten(pop), [policy.unflatten(pop[p : p + 1]) for p in range(P)]
    for _ in range(steps):
        obs = rng.normal(size=(P, policy.obs_dim))
        actions = policy.forward(batch, obs)
        for p in range(P):
            np.testing.assert_allclose(actions[p], policy.forward(singles[p], obs[p : p + 1])[0], rtol=1e-12)
    return batch, singles
