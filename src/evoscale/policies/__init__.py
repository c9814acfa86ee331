"""Policies whose weights are one flat vector per individual, evaluated for a whole population at once:
the tanh MLP (``mlp``), the pixel CNN (``cnn``) and the neuromodulated plastic MLP (``plastic``)."""

from .cnn import CNNPolicy, conv_shapes, im2col
from .mlp import Layers, MLPPolicy, layer_sizes, param_count, to_actions
from .plastic import RULE_TERMS, RULES, NeuromodPolicy, NeuromodState, genome_layout

__all__ = ["CNNPolicy", "Layers", "MLPPolicy", "NeuromodPolicy", "NeuromodState", "RULES", "RULE_TERMS",
           "conv_shapes", "genome_layout", "im2col", "layer_sizes", "param_count", "to_actions"]
