"""Policies whose weights are one flat vector per individual, evaluated for a whole population at once:
the tanh MLP (``mlp``), the pixel CNN (``cnn``), the neuromodulated plastic MLP (``plastic``) and an
evolved GRU or Elman network (``recurrent``); the MLP also runs a population in factored form
(``lowrank``: a shared centre plus per-member low-rank factors). The MLP, Neuromod and the recurrent net share their
constructor's first fields (``PolicyShape``). ``make_policy`` builds the one a task and a method need."""

from __future__ import annotations

from .cnn import CNNPolicy, conv_shapes, im2col
from .lowrank import FactoredLayer, LowRankPopulation
from .mlp import Layers, MLPPolicy, PolicyShape, layer_sizes, param_count, to_actions
from .plastic import RULE_TERMS, RULES, NeuromodPolicy, NeuromodState, genome_layout
from .recurrent import CELLS, RecurrentPolicy, RecurrentState, recurrent_layout

POLICIES = {"mlp": MLPPolicy, "neuromod": NeuromodPolicy, "cnn": CNNPolicy, "recurrent": RecurrentPolicy}


def make_policy(spec, hidden: tuple[int, ...], device: str = "cpu", kind: str = "mlp", **policy_kw):
    """The policy network (``kind``: ``mlp``, ``neuromod`` or ``recurrent``) for the task ``spec`` (an
    ``envs.EnvSpec``: observation and action sizes, action kind, and the action box of a continuous task).

    Pixel tasks (``spec.network == "cnn"``) get the population-batched CNN (``policies.cnn``), with
    ``hidden`` as the widths of its dense layers after the conv trunk.
    """
    if kind not in POLICIES:
        raise ValueError(f"unknown policy kind {kind!r}; valid: {', '.join(POLICIES)}")
    if spec.network == "cnn":
        if kind not in ("mlp", "cnn") or policy_kw:
            raise ValueError(f"policy kind {kind!r} cannot read pixels; {spec.env_id} uses the CNN "
                             f"(use a method whose policy is 'mlp', e.g. {spec.default_method})")
        return CNNPolicy(spec.obs_shape, tuple(hidden), spec.act_dim, spec.discrete, device)
    return POLICIES[kind](spec.obs_dim, tuple(hidden), spec.act_dim, spec.discrete, spec.act_low, spec.act_high,
                          device, **policy_kw)


__all__ = ["CELLS", "CNNPolicy", "FactoredLayer", "Layers", "LowRankPopulation", "MLPPolicy", "NeuromodPolicy", "NeuromodState", "POLICIES", "PolicyShape",
           "RULES", "RULE_TERMS", "RecurrentPolicy", "RecurrentState", "conv_shapes", "genome_layout", "im2col",
           "layer_sizes", "make_policy", "param_count", "recurrent_layout", "to_actions"]
