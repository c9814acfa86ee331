"""Evolved neuromodulated Hebbian plasticity: a policy whose weights learn during the episode.

``NeuromodPolicy`` is a tanh MLP ``obs -> hidden... -> act`` (same interface as ``MLPPolicy``, so the
evaluators use it unchanged) whose *fast* weights ``W`` change after every forward step by a Hebbian
rule gated by one modulatory neuron (Soltoggio et al. 2008; Najarro & Risi 2020). For each layer l
with presynaptic activity ``pre`` (the layer's input) and postsynaptic activity ``post`` (its output
after tanh; for the output layer tanh of the logits)::

    dW[i, o] = eta * m * (A * pre[i] * post[o] + B * pre[i] + C * post[o] + D),   W <- clip(W + dW)

with ``m = tanh(mod_w . x + mod_b)``, ``x`` the last hidden layer's activity (the observation when
there is no hidden layer). The actions of a step use the weights *before* that step's update.

Design choices:

* The fast weights are clipped to ``[-w_max, w_max]`` (default 5; ``None`` disables) after every
  update *and* at the start of an episode, so they are bounded at all times. With ``eta = 0`` (or
  ``A = B = C = D = 0``) the policy is exactly an ``MLPPolicy`` with the same weights, as long as the
  evolved initial weights lie within the bound.
* Biases and the modulatory neuron are evolved but not plastic; one modulatory neuron gates all layers.
* ``evolve_init=True``: initial weights and biases are part of the genome. ``evolve_init=False``:
  every episode starts from all-zero weights and biases (deterministic; random per-episode initial
  weights as in Najarro & Risi are not supported). Learning then bootstraps via the B and D terms.
* numpy on the CPU only. ``forward`` mutates the state: call ``unflatten`` once per episode.

Genome layout (``genome_layout``), in order: if ``evolve_init``, for each layer ``W{l}[in, out]``
(row-major) then ``b{l}[out]`` -- exactly ``MLPPolicy``'s layout, so an MLP genome is a prefix --
then for each layer ``A{l}, B{l}, C{l}, D{l}, eta{l}``, each a scalar (``rule="per_layer"``) or an
``[in, out]`` matrix (``rule="per_synapse"``), then ``mod_w[last hidden]`` and the scalar ``mod_b``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .mlp import PolicyShape, layer_sizes, to_actions

RULE_TERMS = ("A", "B", "C", "D", "eta")
RULES = ("per_layer", "per_synapse")


def genome_layout(obs_dim: int, hidden: tuple[int, ...], act_dim: int, rule: str = "per_layer",
                  evolve_init: bool = True) -> dict[str, tuple[slice, tuple[int, ...]]]:
    """``name -> (slice of the flat genome, shape)``, in genome order (see the module docstring)."""
    if rule not in RULES:
        raise ValueError(f"unknown plasticity rule {rule!r}; valid: {', '.join(RULES)}")
    sizes, entries = layer_sizes(obs_dim, tuple(hidden), act_dim), []
    if evolve_init:
        for l, (i, o) in enumerate(sizes):
            entries += [(f"W{l}", (i, o)), (f"b{l}", (o,))]
    for l, (i, o) in enumerate(sizes):
        entries += [(f"{t}{l}", (i, o) if rule == "per_synapse" else ()) for t in RULE_TERMS]
    entries += [("mod_w", (hidden[-1] if hidden else obs_dim,)), ("mod_b", ())]
    layout, k = {}, 0
    for name, shape in entries:
        n = int(np.prod(shape, dtype=np.int64))
        layout[name] = (slice(k, k + n), shape)
        k += n
    return layout


@dataclass
class NeuromodState:
    """Plastic state of a batch of rows (individuals, or (individual, episode) jobs)."""

    W: list[np.ndarray]
    """Fast weights ``[P, in, out]`` per layer, updated in place by ``forward``."""
    b: list[np.ndarray]
    """Biases ``[P, out]`` per layer."""
    rule: list[np.ndarray]
    """Per layer, A, B, C, D, eta stacked: ``[5, P, 1, 1]`` (per layer) or ``[5, P, in, out]``."""
    mod_w: np.ndarray
    """Modulatory neuron weights ``[P, last hidden]``."""
    mod_b: np.ndarray
    """Modulatory neuron bias ``[P]``."""


@dataclass(frozen=True)
class NeuromodPolicy(PolicyShape):
    """tanh MLP with neuromodulated Hebbian fast weights. Discrete: argmax; continuous: tanh to the box."""

    rule: str = "per_layer"
    evolve_init: bool = True
    w_max: float | None = 5.0

    def __post_init__(self):
        if self.device != "cpu":
            raise NotImplementedError("NeuromodPolicy runs on numpy only (device='cpu')")
        genome_layout(self.obs_dim, self.hidden, self.act_dim, self.rule)  # validates ``rule``

    @property
    def layout(self) -> dict[str, tuple[slice, tuple[int, ...]]]:
        return genome_layout(self.obs_dim, self.hidden, self.act_dim, self.rule, self.evolve_init)

    @property
    def n_params(self) -> int:
        return list(self.layout.values())[-1][0].stop

    def unflatten(self, params: np.ndarray) -> NeuromodState:
        """Fresh episode-start state for ``params[P, n]``; all copies (the genome is never written)."""
        params = np.atleast_2d(np.asarray(params, dtype=np.float64))
        if params.shape[1] != self.n_params:
            raise ValueError(f"expected {self.n_params} parameters per individual, got {params.shape[1]}")
        P, layout = params.shape[0], self.layout

        def get(name: str, shape: tuple[int, ...] | None = None) -> np.ndarray:
            s, own = layout[name]
            return params[:, s].reshape(P, *(own if shape is None else shape)).copy()

        W, b, rule = [], [], []
        for l, (i, o) in enumerate(layer_sizes(self.obs_dim, self.hidden, self.act_dim)):
            W.append(get(f"W{l}") if self.evolve_init else np.zeros((P, i, o)))
            b.append(get(f"b{l}") if self.evolve_init else np.zeros((P, o)))
            if self.w_max is not None:
                np.clip(W[-1], -self.w_max, self.w_max, out=W[-1])
            shape = (i, o) if self.rule == "per_synapse" else (1, 1)
            rule.append(np.stack([get(f"{t}{l}", shape) for t in RULE_TERMS]))
        return NeuromodState(W, b, rule, get("mod_w"), get("mod_b"))

    def forward(self, state: NeuromodState, obs: np.ndarray) -> np.ndarray:
        """Actions for ``obs[P, obs_dim]`` (row p uses state row p), then the Hebbian update of every row."""
        h = np.asarray(obs, dtype=np.float64)[:, None, :]
        acts, last = [h], len(state.W) - 1  # acts[l] = input of layer l; acts[l + 1] = its tanh output
        for W, b in zip(state.W, state.b):
            out = h @ W + b[:, None, :]  # same expression as MLPPolicy: bitwise equal when not plastic
            h = np.tanh(out)
            acts.append(h)
        x = acts[last][:, 0, :]  # last hidden layer, or the observation without hidden layers
        m = np.tanh(np.einsum("pi,pi->p", x, state.mod_w) + state.mod_b)[:, None, None]
        for l, W in enumerate(state.W):
            A, B, C, D, eta = state.rule[l]
            pre, post = acts[l].transpose(0, 2, 1), acts[l + 1]  # [P, in, 1], [P, 1, out]
            W += (eta * m) * ((A * pre + C) * post + (B * pre + D))  # the rule, factored (fewer temporaries)
            if self.w_max is not None:
                np.clip(W, -self.w_max, self.w_max, out=W)
        return to_actions(out[:, 0, :], self.discrete, self.act_low, self.act_high)

    @property
    def row_bytes(self) -> int:
        """Memory one batch row's forward and Hebbian update stream through (float64 state)."""
        return 8 * (self.n_params + sum(i * o for i, o in layer_sizes(self.obs_dim, self.hidden, self.act_dim)))

    @staticmethod
    def put(state: NeuromodState, slots, src: NeuromodState, rows: np.ndarray) -> None:
        """Overwrite batch rows ``slots`` of ``state`` (in place) with copies of rows ``rows`` of ``src``."""
        for W, sW in zip(state.W, src.W):
            W[slots] = sW[rows]
        for b, sb in zip(state.b, src.b):
            b[slots] = sb[rows]
        for r, sr in zip(state.rule, src.rule):
            r[:, slots] = sr[:, rows]
        state.mod_w[slots], state.mod_b[slots] = src.mod_w[rows], src.mod_b[rows]

    @staticmethod
    def take(state: NeuromodState, rows: np.ndarray) -> NeuromodState:
        """The state restricted to ``rows``, as copies: repeated rows get independent fast weights."""
        rows = np.asarray(rows)
        rows = np.flatnonzero(rows) if rows.dtype == bool else rows.astype(np.intp)  # never a view
        return NeuromodState([W[rows] for W in state.W], [b[rows] for b in state.b],
                             [r[:, rows] for r in state.rule], state.mod_w[rows], state.mod_b[rows])
