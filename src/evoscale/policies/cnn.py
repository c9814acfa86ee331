"""A small convolutional policy for pixels, one flat weight vector per individual, population-batched.

The architecture follows the spirit of the networks evolved for Atari by Salimans et al. 2017 and
Such et al. 2017 (the DQN trunk of Mnih et al. 2015), shrunk so that a population fits one CPU core:

    uint8[4, 84, 84] / 255 -> conv 8 filters 8x8 stride 4, ReLU -> [8, 20, 20]
                           -> conv 16 filters 4x4 stride 2, ReLU -> [16, 9, 9] (1,296 features)
                           -> tanh dense layers ``hidden`` (may be empty) -> linear -> argmax

With ``hidden=()`` and Pong's 6 actions that is 2,056 + 2,064 + 7,782 = 11,902 parameters (Nature
DQN: 1.7M; Such et al.'s GA: 4M). Flat layout per individual, layer by layer: a conv layer's weight
``W[c_in, k, k, c_out]`` (row-major) then its bias ``b[c_out]``; a dense layer's ``W[in, out]`` then
``b[out]`` (as ``MLPPolicy``). The dense input is the conv output flattened channels-last
``[y, x, c]``.

CPU: numpy im2col (``im2col``) -- every individual's patches ``[P, positions, c_in*k*k]`` times its own weights
in one batched matmul per layer (float32). ``device="cuda"``: torch grouped convolution (one group
per individual, ``groups=P``) with the same weights and layout.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .mlp import MLPPolicy, to_actions

CONV = ((8, 8, 4), (16, 4, 2))
"""(filters, kernel, stride) of each conv layer."""


def conv_shapes(obs_shape: tuple[int, int, int]) -> list[tuple[int, int, int, int, int]]:
    """Per conv layer: (c_in, c_out, kernel, stride, output side)."""
    c, side = obs_shape[0], obs_shape[1]
    out = []
    for filters, k, s in CONV:
        side_out = (side - k) // s + 1
        out.append((c, filters, k, s, side_out))
        c, side = filters, side_out
    return out


def im2col(x: np.ndarray, k: int, s: int, side: int) -> np.ndarray:
    """``patches[p, y * side + x, (c, i, j)] = x[p, c, s * y + i, s * x + j]`` for ``x[P, c, H, W]``.

    Each patch row's ``k`` neighbouring pixels are contiguous in ``x``, so the gather moves them as
    one ``k``-pixel item (a void dtype), ``k`` times fewer items than an element-wise copy of the
    window view -- the same values, so the matmul that follows sees the same matrix.
    """
    x = np.ascontiguousarray(x)
    P, c = x.shape[:2]
    item = np.dtype((np.void, k * x.itemsize))
    sp, sc, sy, sx = x.strides
    rows = np.ndarray((P, side, side, c, k), dtype=item, buffer=x, strides=(sp, s * sy, s * sx, sc, sy))
    return rows.copy().view(x.dtype).reshape(P, side * side, c * k * k)


@dataclass(frozen=True)
class CNNPolicy:
    """Population-batched CNN (architecture in the module docstring); discrete actions by argmax."""

    obs_shape: tuple[int, int, int]
    hidden: tuple[int, ...]
    act_dim: int
    discrete: bool = True
    device: str = "cpu"

    def __post_init__(self):
        if len(self.obs_shape) != 3 or self.obs_shape[1] != self.obs_shape[2]:
            raise ValueError(f"obs_shape must be (channels, side, side), got {self.obs_shape!r}")
        if not self.discrete:
            raise ValueError("CNNPolicy supports discrete actions only (argmax of the outputs)")

    def _shapes(self) -> list[tuple[tuple[int, int], str]]:
        """((weight rows, weight cols), kind) per layer; conv rows are c_in*k*k."""
        convs = conv_shapes(self.obs_shape)
        layers = [((ci * k * k, co), "conv") for ci, co, k, _, _ in convs]
        dims = [convs[-1][4] ** 2 * convs[-1][1], *self.hidden, self.act_dim]
        return layers + [((i, o), "dense") for i, o in zip(dims[:-1], dims[1:])]

    @property
    def n_params(self) -> int:
        return sum(i * o + o for (i, o), _ in self._shapes())

    def unflatten(self, params: np.ndarray) -> list:
        """Per-layer stacks ``(W[P, in, out], b[P, out])`` (float32; torch tensors on a GPU)."""
        params = np.atleast_2d(np.asarray(params))
        if params.shape[1] != self.n_params:
            raise ValueError(f"expected {self.n_params} parameters per individual, got {params.shape[1]}")
        P, layers, k = params.shape[0], [], 0
        for (i, o), _ in self._shapes():
            W = np.ascontiguousarray(params[:, k : k + i * o].reshape(P, i, o), dtype=np.float32)
            b = np.ascontiguousarray(params[:, k + i * o : k + i * o + o], dtype=np.float32)
            layers.append((W, b))
            k += i * o + o
        if self.device != "cpu":
            import torch

            layers = [(torch.as_tensor(W, device=self.device), torch.as_tensor(b, device=self.device))
                      for W, b in layers]
        return layers

    def forward(self, layers: list, obs: np.ndarray) -> np.ndarray:
        """Actions for ``obs[P, c, side, side]`` (uint8 frames), individual p using stacks row p."""
        out = self._forward_numpy(layers, obs) if self.device == "cpu" else self._forward_torch(layers, obs)
        return to_actions(out, self.discrete)

    def _forward_numpy(self, layers: list, obs: np.ndarray) -> np.ndarray:
        x = np.asarray(obs)  # [P, c, y, x]
        if x.dtype != np.uint8:
            x = np.asarray(x, dtype=np.float32) * np.float32(1 / 255)
        P = x.shape[0]
        convs = conv_shapes(self.obs_shape)
        for n, ((W, b), (ci, co, k, s, side)) in enumerate(zip(layers, convs)):
            patches = im2col(x, k, s, side)  # [P, side * side, c * k * k]
            if patches.dtype == np.uint8:  # scaled after the gather: a quarter of the bytes to move
                patches = np.multiply(patches, np.float32(1 / 255), dtype=np.float32)
            x = np.maximum(patches @ W + b[:, None, :], 0)  # [P, side * side, c_out]
            if n < len(convs) - 1:
                x = np.ascontiguousarray(x.reshape(P, side, side, co).transpose(0, 3, 1, 2))
        h = x.reshape(P, 1, -1)  # channels-last [y, x, c]
        dense = layers[len(convs):]
        for j, (W, b) in enumerate(dense):
            h = h @ W + b[:, None, :]
            if j < len(dense) - 1:
                h = np.tanh(h)
        return h[:, 0, :].astype(np.float64)

    def _forward_torch(self, layers: list, obs: np.ndarray) -> np.ndarray:
        import torch
        import torch.nn.functional as F

        dev = layers[0][0].device
        x = torch.as_tensor(np.asarray(obs), device=dev).float() * (1 / 255)  # [P, c, y, x]
        P = x.shape[0]
        convs = conv_shapes(self.obs_shape)
        x = x.reshape(1, P * convs[0][0], *x.shape[2:])
        for (W, b), (ci, co, k, s, _) in zip(layers, convs):
            w = W.reshape(P, ci, k, k, co).permute(0, 4, 1, 2, 3).reshape(P * co, ci, k, k)
            x = torch.relu(F.conv2d(x, w, b.reshape(-1), stride=s, groups=P))
        side = convs[-1][4]
        h = x.reshape(P, convs[-1][1], side, side).permute(0, 2, 3, 1).reshape(P, 1, -1)  # channels-last
        dense = layers[len(convs):]
        for j, (W, b) in enumerate(dense):
            h = h @ W + b[:, None, :]
            if j < len(dense) - 1:
                h = torch.tanh(h)
        return h[:, 0, :].double().cpu().numpy()

    @property
    def row_bytes(self) -> int:
        """Memory one batch row's weights take (float32); 0 on a GPU (batch everything)."""
        return 4 * self.n_params if self.device == "cpu" else 0

    put = staticmethod(MLPPolicy.put)
    """Overwrite batch rows ``slots`` (in place) with rows ``rows`` of other stacks (as ``MLPPolicy``)."""

    take = staticmethod(MLPPolicy.take)
    """The stacks restricted to ``rows`` (finished episodes leave the batch; as ``MLPPolicy``)."""
