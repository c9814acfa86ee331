"""Evolved recurrent networks (GRU or Elman), population-batched like ``policies.mlp.MLPPolicy``.

``RecurrentPolicy`` has one recurrent layer of ``H`` units (``hidden=(H,)``) and a linear read-out; its
hidden state starts at zero in every episode and is carried from step to step, so a network with fixed
weights can still adapt within an episode (the "learning in the activations" of recurrent meta-RL,
Wang et al. 2016). Same interface as ``MLPPolicy`` (``unflatten``/``forward``/``take``/``put``), so the
evaluators use it unchanged; ``forward`` updates the hidden state of every row in place.

Genome layout, in order (input width d, k outputs; G = 3 gates for ``cell="gru"``, 1 for ``"elman"``):
``Wx[d, G*H]`` (row-major), ``Wh[H, G*H]``, ``b[G*H]``, ``Wo[H, k]``, ``bo[k]``. The GRU's gate blocks
are PyTorch's order (reset r, update z, candidate n) and its step is ``torch.nn.GRUCell``'s with the
hidden-side biases at zero (tested against it)::

    r = sigmoid(x Wx_r + h Wh_r + b_r)     z = sigmoid(x Wx_z + h Wh_z + b_z)
    n = tanh(x Wx_n + b_n + r * (h Wh_n))  h <- (1 - z) * n + z * h

Elman: ``h <- tanh(x Wx + h Wh + b)`` (``torch.nn.RNNCell``). Output: ``h Wo + bo`` after the step;
discrete actions by argmax, continuous by tanh scaled to the box (``policies.mlp.to_actions``). numpy,
float64, CPU only.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .mlp import PolicyShape, to_actions

CELLS = {"gru": 3, "elman": 1}
"""Cell -> gate blocks per unit."""


def recurrent_layout(obs_dim: int, hidden: int, act_dim: int, cell: str = "gru") -> dict[str, tuple[slice, tuple]]:
    """``name -> (slice of the flat genome, shape)`` in genome order (see the module docstring)."""
    if cell not in CELLS:
        raise ValueError(f"cell must be one of {', '.join(CELLS)}, got {cell!r}")
    g = CELLS[cell] * hidden
    layout, k = {}, 0
    for name, shape in (("Wx", (obs_dim, g)), ("Wh", (hidden, g)), ("b", (g,)), ("Wo", (hidden, act_dim)),
                        ("bo", (act_dim,))):
        n = int(np.prod(shape))
        layout[name] = (slice(k, k + n), shape)
        k += n
    return layout


@dataclass
class RecurrentState:
    """Weights and hidden state of a batch of rows (individuals, or (individual, episode) jobs)."""

    Wx: np.ndarray
    Wh: np.ndarray
    b: np.ndarray
    Wo: np.ndarray
    bo: np.ndarray
    h: np.ndarray
    """Hidden state ``[P, H]``, updated in place by ``forward``."""

    FIELDS = ("Wx", "Wh", "b", "Wo", "bo", "h")


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * x))  # overflow-free


@dataclass(frozen=True)
class RecurrentPolicy(PolicyShape):
    """One GRU or Elman layer and a linear read-out; see the module docstring."""

    cell: str = "gru"

    def __post_init__(self):
        if len(self.hidden) != 1:
            raise ValueError(f"hidden must be one width (one recurrent layer), e.g. (8,), got {self.hidden!r}")
        if self.device != "cpu":
            raise ValueError(f"device must be 'cpu' (RecurrentPolicy runs on numpy), got {self.device!r}")
        recurrent_layout(self.obs_dim, self.hidden[0], self.act_dim, self.cell)  # validates ``cell``

    @property
    def layout(self) -> dict[str, tuple[slice, tuple]]:
        return recurrent_layout(self.obs_dim, self.hidden[0], self.act_dim, self.cell)

    @property
    def n_params(self) -> int:
        return self.layout["bo"][0].stop

    def unflatten(self, params: np.ndarray) -> RecurrentState:
        """Episode-start state (hidden state zero) for ``params[P, n]``; copies, never views of the genome."""
        params = np.atleast_2d(np.asarray(params, dtype=np.float64))
        if params.shape[1] != self.n_params:
            raise ValueError(f"expected {self.n_params} parameters per individual, got {params.shape[1]}")
        P = params.shape[0]
        parts = {name: params[:, s].reshape(P, *shape).copy() for name, (s, shape) in self.layout.items()}
        return RecurrentState(**parts, h=np.zeros((P, self.hidden[0])))

    def step(self, state: RecurrentState, obs: np.ndarray) -> np.ndarray:
        """The new hidden state ``[P, H]`` for ``obs[P, obs_dim]`` (``state`` is not changed)."""
        x = np.asarray(obs, dtype=np.float64)[:, None, :]
        h = state.h
        gx = (x @ state.Wx)[:, 0] + state.b
        gh = (h[:, None, :] @ state.Wh)[:, 0]
        if self.cell == "elman":
            return np.tanh(gx + gh)
        H = self.hidden[0]
        r = _sigmoid(gx[:, :H] + gh[:, :H])
        z = _sigmoid(gx[:, H : 2 * H] + gh[:, H : 2 * H])
        n = np.tanh(gx[:, 2 * H :] + r * gh[:, 2 * H :])
        return (1.0 - z) * n + z * h

    def forward(self, state: RecurrentState, obs: np.ndarray) -> np.ndarray:
        """Actions for ``obs[P, obs_dim]`` (row p uses state row p), after stepping every row's hidden state."""
        state.h[...] = self.step(state, obs)
        out = (state.h[:, None, :] @ state.Wo)[:, 0] + state.bo
        return to_actions(out, self.discrete, self.act_low, self.act_high)

    @property
    def row_bytes(self) -> int:
        """Memory one batch row's forward streams through (float64 weights and hidden state)."""
        return 8 * (self.n_params + self.hidden[0])

    @staticmethod
    def put(state: RecurrentState, slots, src: RecurrentState, rows: np.ndarray) -> None:
        """Overwrite batch rows ``slots`` of ``state`` (in place) with copies of rows ``rows`` of ``src``."""
        for name in RecurrentState.FIELDS:
            getattr(state, name)[slots] = getattr(src, name)[rows]

    @staticmethod
    def take(state: RecurrentState, rows: np.ndarray) -> RecurrentState:
        """The state restricted to ``rows``, as copies: repeated rows get independent hidden states."""
        rows = np.asarray(rows)
        rows = np.flatnonzero(rows) if rows.dtype == bool else rows.astype(np.intp)  # never a view
        return RecurrentState(*(getattr(state, name)[rows] for name in RecurrentState.FIELDS))
