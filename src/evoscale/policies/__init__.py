"""Policies whose weights are one flat vector per individual, evaluated for a whole population at once:
the tanh MLP (``mlp``), the pixel CNN (``cnn``) and the neuromodulated plastic MLP (``plastic``).
``make_policy`` builds the one a task and a method need."""

from __future__ import annotations

from .cnn import CNNPolicy, conv_shapes, im2col
from .mlp import Layers, MLPPolicy, layer_sizes, param_count, to_actions
from .plastic import RULE_TERMS, RULES, NeuromodPolicy, NeuromodState, genome_layout

POLICIES = {"mlp": MLPPolicy, "neuromod": NeuromodPolicy, "cnn": CNNPolicy}


def make_policy(spec, hidden: tuple[int, ...], device: str = "cpu", kind: str = "mlp", **policy_kw):
    """The policy network (``kind``: ``mlp`` or ``neuromod``) for the task ``spec`` (an
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


__all__ = ["CNNPolicy", "Layers", "MLPPolicy", "NeuromodPolicy", "NeuromodState", "POLICIES", "RULES", "RULE_TERMS",
           "conv_shapes", "genome_layout", "im2col", "layer_sizes", "make_policy", "param_count", "to_actions"]
