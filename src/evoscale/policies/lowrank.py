"""A population in factored form: low-rank perturbations of one shared centre (EGGROLL: Sarkar et al. 2025,
"Evolution Strategies at the Hyperscale", arXiv:2511.16652).

The flat parameter vector follows ``layout``, the MLP's (``mlp``): layer by layer ``W[in, out]`` (row-major)
then ``b[out]``. Member p of the population is the centre theta plus, in every layer,

    W_p = W + sigma / sqrt(r) * A_p B_p^T        A_p [in, r], B_p [out, r]
    b_p = b + sigma * e_p                          e_p [out]

``LowRankPopulation`` holds the centre and the per-member factors (A, B, e), never P dense matrices. Where
code needs the dense population matrix ``[P, n]`` it behaves as one: ``len``, ``shape``, rows by
indexing (an integer: that member's dense vector; a slice, a list or an index array: the sub-population,
still factored), iteration over dense rows, and ``np.asarray`` builds the whole matrix (every backend
that does not know the factored form -- Ray, JAX, the other policies -- evaluates that).

The MLP's forward uses the factored form (``factored_layers``): for a batch of rows h[R, in], one matmul
with the shared centre weights for all rows, h W, plus each row's rank-r correction (h U_p) V_p^T with
U_p = sigma / sqrt(r) A_p, V_p = B_p -- (in + out) r multiply-adds a row instead of in x out.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import NamedTuple

import numpy as np


@dataclass(frozen=True, eq=False)
class LowRankPopulation:
    """The population ``centre + sigma * noise`` with each weight matrix's noise ``A_p B_p^T / sqrt(r)``
    (``A[l]``: [P, in, r], ``B[l]``: [P, out, r]) and each bias's noise ``e[l][p]`` ([P, out]), layer l
    of ``layout`` (pairs (in, out)). The signs of mirrored pairs live in the factors (A and e negated)."""

    centre: np.ndarray
    layout: tuple[tuple[int, int], ...]
    sigma: float
    A: tuple[np.ndarray, ...]
    B: tuple[np.ndarray, ...]
    e: tuple[np.ndarray, ...]

    ndim = 2
    dtype = np.dtype(np.float64)

    def __post_init__(self):
        if not self.layout or not (len(self.layout) == len(self.A) == len(self.B) == len(self.e)):
            raise ValueError("a LowRankPopulation needs one (A, B, e) per layer of a non-empty layout")
        P, r = self.A[0].shape[0], self.A[0].shape[2]
        for (i, o), A, B, e in zip(self.layout, self.A, self.B, self.e):
            if A.shape != (P, i, r) or B.shape != (P, o, r) or e.shape != (P, o):
                raise ValueError(f"layer ({i}, {o}): factors of shapes {A.shape}, {B.shape}, {e.shape} do not "
                                 f"match {P} members of rank {r}")
        if self.centre.shape != (sum(i * o + o for i, o in self.layout),):
            raise ValueError(f"the centre has shape {self.centre.shape}, the layout {self.layout} another size")

    @property
    def rank(self) -> int:
        return self.A[0].shape[2]

    @property
    def scale(self) -> float:
        """sigma / sqrt(r): the factor of each weight matrix's noise A_p B_p^T."""
        return self.sigma / math.sqrt(self.rank)

    def __len__(self) -> int:
        return self.A[0].shape[0]

    @property
    def shape(self) -> tuple[int, int]:
        return len(self), self.centre.size

    @property
    def row_bytes(self) -> int:
        """Bytes of one member's own state in the forward (its factors and bias; float64): the shared
        centre weights stream once per step for the whole batch."""
        return 8 * sum((i + o) * self.rank + o for i, o in self.layout)

    def _blocks(self):
        """Per layer: (start of W, start of b, end) in the flat vector."""
        k = 0
        for i, o in self.layout:
            yield k, k + i * o, k + i * o + o
            k += i * o + o

    def dense(self) -> np.ndarray:
        """The population matrix [P, n] (P x n float64: only where a caller needs it)."""
        P = len(self)
        out = np.empty(self.shape)
        out[:] = self.centre
        for (w, b, end), A, B, e in zip(self._blocks(), self.A, self.B, self.e):
            out[:, w:b] += self.scale * (A @ B.swapaxes(1, 2)).reshape(P, b - w)
            out[:, b:end] += self.sigma * e
        return out

    def __array__(self, dtype=None, copy=None):
        out = self.dense()
        return out if dtype is None else out.astype(dtype, copy=False)

    def rows(self, rows) -> LowRankPopulation:
        """The sub-population of members ``rows`` (an index array, a list, a slice or a mask), factored."""
        idx = np.arange(len(self))[rows]
        return replace(self, A=tuple(a[idx] for a in self.A), B=tuple(b[idx] for b in self.B),
                       e=tuple(e[idx] for e in self.e))

    def __getitem__(self, index):
        if isinstance(index, (int, np.integer)):
            return self.rows([index]).dense()[0]
        if isinstance(index, tuple):  # (rows, columns): as the dense matrix would answer
            return np.asarray(self)[index]
        return self.rows(index)

    def __iter__(self):
        for p in range(len(self)):
            yield self[p]

    def finite_rows(self) -> np.ndarray:
        """Whether each member's dense parameter vector is finite (NaN and inf both count), without
        building the dense matrix: the factors must be finite and a bound on every entry
        (|theta| + sigma / sqrt(r) r max|A_p| max|B_p|, |theta_b| + sigma max|e_p|) finite; only a member
        whose bound overflows is checked on its dense vector."""
        ok = np.full(len(self), bool(np.isfinite(self.centre).all()))
        doubt = np.zeros(len(self), dtype=bool)
        with np.errstate(over="ignore", invalid="ignore"):
            for (w, b, end), A, B, e in zip(self._blocks(), self.A, self.B, self.e):
                a_max, b_max, e_max = (np.abs(x).max(axis=tuple(range(1, x.ndim))) for x in (A, B, e))
                ok &= np.isfinite(a_max) & np.isfinite(b_max) & np.isfinite(e_max)
                bound_w = np.abs(self.centre[w:b]).max() + self.scale * self.rank * a_max * b_max
                bound_b = np.abs(self.centre[b:end]).max() + self.sigma * e_max
                doubt |= ~(np.isfinite(bound_w) & np.isfinite(bound_b))
            for p in np.flatnonzero(ok & doubt):
                ok[p] = bool(np.isfinite(self[int(p)]).all())
        return ok


class FactoredLayer(NamedTuple):
    """One layer of a factored batch: the shared centre weights ``W`` [in, out] and, per batch row,
    the full bias ``b`` [R, out] and the scaled factors ``U`` [R, in, r] (sigma / sqrt(r) A), ``V`` [R, out, r]."""

    W: object
    b: object
    U: object
    V: object


def factored_layers(population: LowRankPopulation) -> list[FactoredLayer]:
    """The MLP's per-layer factored stacks of ``population`` (numpy, float64)."""
    layers = []
    for (w, b, end), (i, o), A, B, e in zip(population._blocks(), population.layout, population.A,
                                            population.B, population.e):
        W = population.centre[w:b].reshape(i, o)
        bias = population.centre[b:end] + population.sigma * e
        layers.append(FactoredLayer(W, bias, population.scale * A, B))
    return layers


def factored_linear(layer: FactoredLayer, h):
    """h[R, in] -> h W + b + (h U) V^T [R, out]: one matmul with the shared weights for all rows, then
    each row's rank-r correction (numpy arrays or torch tensors alike)."""
    low = (h[:, None, :] @ layer.U) @ layer.V.swapaxes(-1, -2)
    return h @ layer.W + layer.b + low[:, 0, :]


def take_factored(layers: list[FactoredLayer], rows) -> list[FactoredLayer]:
    """The batch restricted to ``rows`` (the shared weights stay shared)."""
    return [FactoredLayer(L.W, L.b[rows], L.U[rows], L.V[rows]) for L in layers]


def put_factored(layers: list[FactoredLayer], slots, src: list[FactoredLayer], rows) -> None:
    """Overwrite batch rows ``slots`` of ``layers`` (in place) with rows ``rows`` of ``src``."""
    for L, S in zip(layers, src):
        L.b[slots], L.U[slots], L.V[slots] = S.b[rows], S.U[rows], S.V[rows]
