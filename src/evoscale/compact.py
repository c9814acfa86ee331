"""Checkpoints' pickles: ``dumps_compact`` writes large (nearly) symmetric float matrices (a CMA-ES
covariance) as their upper triangle plus the bitwise rest, zlib-compressed, about half the bytes and
exact bit for bit; ``pickle.loads`` reads them back. ``load_pickle`` reads a checkpoint and names a
truncated or corrupt one in a ValueError. Checkpoints written before this module existed name
``evoscale.store._unpack_square``, which ``store`` re-exports so they still load.
"""

from __future__ import annotations

import io
import os
import pickle

import numpy as np


def _square(obj) -> np.ndarray | None:
    """``obj`` as a numpy array if it is a large square float matrix (a covariance, an eigenbasis)."""
    if type(obj).__module__ == "torch" and type(obj).__name__ == "Tensor":
        import torch

        if obj.requires_grad or obj.layout is not torch.strided or obj._base is not None:
            return None  # views keep their usual pickling (it preserves the sharing)
        obj = obj.detach().cpu().numpy()
    elif type(obj) is not np.ndarray or obj.base is not None:
        return None
    if obj.ndim == 2 and obj.shape[0] == obj.shape[1] >= 32 and obj.dtype in (np.float32, np.float64):
        return obj
    return None


def _unpack_square(upper: np.ndarray, lower_xor: bytes, torch_device: str | None) -> object:
    """Inverse of ``_Compact.reducer_override``: bit for bit the matrix that was pickled."""
    import zlib

    n = int(round((np.sqrt(8 * len(upper) + 1) - 1) / 2))
    bits = np.uint64 if upper.dtype == np.float64 else np.uint32
    a = np.zeros((n, n), dtype=upper.dtype)
    iu = np.triu_indices(n)
    a[iu] = upper
    a.T[iu] = (upper.view(bits) ^ np.frombuffer(zlib.decompress(lower_xor), dtype=bits)).view(upper.dtype)
    if torch_device is None:
        return a
    import torch

    return torch.from_numpy(a).to(torch_device)


class _Compact(pickle.Pickler):
    """Pickles a large square float matrix as its upper triangle plus the bitwise difference (XOR) of
    the lower one, zlib-compressed: about half the bytes for a (nearly) symmetric covariance, exact
    for any matrix; others (e.g. an eigenbasis) as usual."""

    def reducer_override(self, obj):
        import zlib

        a = _square(obj)
        if a is None:
            return NotImplemented
        bits = np.uint64 if a.dtype == np.float64 else np.uint32
        iu = np.triu_indices(len(a))
        upper, lower = a[iu], a.T[iu]
        xor = zlib.compress((upper.view(bits) ^ lower.view(bits)).tobytes(), 1)
        if len(xor) > lower.nbytes // 2:
            return NotImplemented  # not symmetric enough to pay
        device = str(obj.device) if a is not obj else None
        return _unpack_square, (upper, xor, device)


def dumps_compact(obj) -> bytes:
    """``pickle.dumps(obj)``, with large (nearly) symmetric float matrices stored as described in
    ``_Compact``; ``pickle.loads`` reads it back exactly."""
    buf = io.BytesIO()
    _Compact(buf, protocol=pickle.HIGHEST_PROTOCOL).dump(obj)
    return buf.getvalue()


def load_pickle(path: str | os.PathLike):
    """``pickle.load`` of a checkpoint; a truncated or corrupt file is a ValueError naming it."""
    try:
        with open(path, "rb") as f:
            return pickle.load(f)
    except (pickle.UnpicklingError, EOFError, ValueError, AttributeError, ImportError, IndexError) as err:
        raise ValueError(f"checkpoint {path} is unreadable, truncated or corrupt ({type(err).__name__}: "
                         f"{err}); delete it to start the run over") from None
