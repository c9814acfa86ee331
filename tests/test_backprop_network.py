"""Chapter 6's PPO on the ES's network beside the zoo's: both rows, censored seeds kept, the difference."""

import numpy as np
import pandas as pd

from evoscale.experiments import backprop, backprop_network


def _records(seed, hit, net=None):
    steps = (np.arange(10) + 1) * 100_000
    return pd.DataFrame(dict(method="ppo", env="LunarLander-v3", seed=seed, generation=np.arange(10), evals=0,
                             env_steps=steps, test_return=np.where(np.arange(10) >= hit, 250.0, 0.0) + seed,
                             wall_s=1.0, machine="test box"))


def test_both_networks_side_by_side(tmp_path, monkeypatch):
    monkeypatch.setenv("EVOSCALE_RESULTS", str(tmp_path))
    p = backprop.params({"profile": "book"})
    zoo = pd.concat([_records(s, 3) for s in range(10)])
    t = backprop_network.table(p, zoo, {env: 200.0 for env in p.tasks})
    assert list(t["PPO's network"]) == ["zoo (64-64)", "the ES's (64-32)"]
    assert t["Final return"].iloc[0].endswith("(n = 10)") and "no runs yet" in t["Final return"].iloc[1]
    assert "10 of 10 reached" in t["Env steps to the threshold"].iloc[0]

    mine = pd.concat([_records(s, 6 if s < 8 else 99) for s in range(10)])  # two seeds never reach it
    monkeypatch.setattr(backprop_network, "runs", lambda p: mine)
    t = backprop_network.table(p, zoo, {env: 200.0 for env in p.tasks})
    assert "8 of 10 reached" in t["Env steps to the threshold"].iloc[1]  # censored, never dropped
    diff = t["ES's network − zoo's, final return"].iloc[0]
    assert diff == t["ES's network − zoo's, final return"].iloc[1] and "P(ES net > zoo net)" in diff
