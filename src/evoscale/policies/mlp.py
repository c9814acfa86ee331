"""Policies whose weights are one flat vector, evaluated for a whole population at once.

A population is a matrix ``params[P, n]``: row p is individual p's flat parameter vector. The layout
of one vector is, layer by layer, the weight matrix ``W[in, out]`` (row-major) followed by the bias
``b[out]``. ``unflatten`` turns the population into per-layer stacks ``W[P, in, out]``, ``b[P, out]``
once per generation, and ``forward`` runs all individuals in one batched matmul per layer:
numpy on the CPU (lowest call overhead for small nets), torch when ``device`` is a GPU.

A population in factored form (``lowrank.LowRankPopulation``: a shared centre plus per-member low-rank
factors, of this network's ``layout``) unflattens to factored stacks instead (``lowrank.FactoredLayer``):
``forward`` then multiplies all rows by the centre weights at once and adds each row's low-rank
correction; ``take`` and ``put`` keep the form. Any other population is unflattened densely.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .lowrank import FactoredLayer, LowRankPopulation, factored_layers, factored_linear, put_factored, take_factored

Layers = list[tuple[object, object]]
"""Per-layer (W[P, in, out], b[P, out]) stacks, numpy arrays or torch tensors."""


def layer_sizes(obs_dim: int, hidden: tuple[int, ...], act_dim: int) -> list[tuple[int, int]]:
    dims = [obs_dim, *hidden, act_dim]
    return list(zip(dims[:-1], dims[1:]))


def param_count(obs: int, hidden: tuple[int, ...], act: int) -> int:
    """Number of weights and biases of the MLP ``obs -> hidden... -> act``."""
    return sum(i * o + o for i, o in layer_sizes(obs, tuple(hidden), act))


def to_actions(out: np.ndarray, discrete: bool, act_low=None, act_high=None) -> np.ndarray:
    """Network outputs ``[P, act_dim]`` -> actions: argmax (discrete) or tanh scaled to the box."""
    if discrete:
        return out.argmax(-1)
    low, high = np.asarray(act_low), np.asarray(act_high)
    return low + (np.tanh(out) + 1.0) * 0.5 * (high - low)


@dataclass(frozen=True)
class PolicyShape:
    """What every flat-vector policy on a flat observation is built from (``make_policy`` passes these
    in this order, then the policy kind's own keyword arguments): the MLP, Neuromod and the recurrent net."""

    obs_dim: int
    hidden: tuple[int, ...]
    act_dim: int
    discrete: bool
    act_low: tuple[float, ...] | None = None
    act_high: tuple[float, ...] | None = None
    device: str = "cpu"


@dataclass(frozen=True)
class MLPPolicy(PolicyShape):
    """tanh MLP. Discrete actions: argmax of the outputs. Continuous: tanh output scaled to the box."""

    @property
    def n_params(self) -> int:
        return param_count(self.obs_dim, self.hidden, self.act_dim)

    @property
    def layout(self) -> tuple[tuple[int, int], ...]:
        """The (in, out) of each dense layer, in the flat vector's order (W[in, out], then b[out])."""
        return tuple(layer_sizes(self.obs_dim, self.hidden, self.act_dim))

    def unflatten(self, params: np.ndarray) -> Layers:
        """Split ``params[P, n]`` into per-layer stacks (on ``self.device``); a ``LowRankPopulation`` of
        this network's layout into factored stacks (``lowrank.FactoredLayer``)."""
        if isinstance(params, LowRankPopulation) and params.layout == self.layout:
            layers = factored_layers(params)
            if self.device != "cpu":
                import torch

                layers = [FactoredLayer(*(torch.as_tensor(x, dtype=torch.float32, device=self.device) for x in L))
                          for L in layers]
            return layers
        params = np.atleast_2d(np.asarray(params, dtype=np.float64))
        if params.shape[1] != self.n_params:
            raise ValueError(f"expected {self.n_params} parameters per individual, got {params.shape[1]}")
        P, layers, k = params.shape[0], [], 0
        for i, o in layer_sizes(self.obs_dim, self.hidden, self.act_dim):
            W = params[:, k : k + i * o].reshape(P, i, o)
            b = params[:, k + i * o : k + i * o + o]
            layers.append((W, np.ascontiguousarray(b)))
            k += i * o + o
        if self.device != "cpu":
            import torch

            layers = [
                (torch.as_tensor(W, dtype=torch.float32, device=self.device),
                 torch.as_tensor(b, dtype=torch.float32, device=self.device))
                for W, b in layers
            ]
        return layers

    def forward(self, layers: Layers, obs: np.ndarray) -> np.ndarray:
        """Actions for ``obs[P, obs_dim]``, individual p using layer stacks row p."""
        if self.device == "cpu":
            h, tanh = np.asarray(obs, dtype=np.float64)[:, None, :], np.tanh
        else:
            import torch

            h, tanh = torch.as_tensor(obs, dtype=torch.float32, device=self.device)[:, None, :], torch.tanh
        last = len(layers) - 1
        if _factored(layers):
            h = h[:, 0, :]
            for j, layer in enumerate(layers):
                h = factored_linear(layer, h)
                if j < last:
                    h = tanh(h)
            out = h
        else:
            for j, (W, b) in enumerate(layers):
                h = h @ W + b[:, None, :]
                if j < last:
                    h = tanh(h)
            out = h[:, 0, :]
        if self.device != "cpu":
            out = out.double().cpu().numpy()
        return to_actions(out, self.discrete, self.act_low, self.act_high)

    @property
    def row_bytes(self) -> int:
        """Memory one batch row's forward streams through (its weights); 0 on a GPU (batch everything)."""
        return 8 * self.n_params if self.device == "cpu" else 0

    @staticmethod
    def put(layers: Layers, slots, src: Layers, rows: np.ndarray) -> None:
        """Overwrite batch rows ``slots`` of ``layers`` (in place) with rows ``rows`` of ``src``."""
        if layers and not isinstance(layers[0][1], np.ndarray):
            import torch

            slots = torch.as_tensor(np.asarray(slots), device=layers[0][1].device)
            rows = torch.as_tensor(np.asarray(rows), device=layers[0][1].device)
        if _factored(layers):
            put_factored(layers, slots, src, rows)
            return
        for (W, b), (sW, sb) in zip(layers, src):
            W[slots], b[slots] = sW[rows], sb[rows]

    @staticmethod
    def take(layers: Layers, rows: np.ndarray) -> Layers:
        """The stacks restricted to ``rows`` (used when finished episodes drop out of the batch)."""
        if layers and not isinstance(layers[0][1], np.ndarray):
            import torch

            rows = torch.as_tensor(rows, device=layers[0][1].device)
        if _factored(layers):
            return take_factored(layers, rows)
        return [(W[rows], b[rows]) for W, b in layers]


def _factored(layers: Layers) -> bool:
    return bool(layers) and isinstance(layers[0], FactoredLayer)
