"""Atomic result files: write to a temporary file in the same folder, then ``os.replace``.

A crash mid-write leaves the previous file (or none) in place, never a half file; the temporary file
is removed. ``save_run`` writes the config sidecar (``.json``) first and the records (``.csv``) last:
the CSV is the commit point, and only a CSV counts as a cached result.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

import pandas as pd


def atomic_write(path: str | os.PathLike, write, binary: bool = False) -> None:
    """Call ``write(file_object)`` on a temp file beside ``path``, then rename it over ``path``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with (os.fdopen(fd, "wb") if binary else os.fdopen(fd, "w", newline="")) as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o644)  # mkstemp makes 0600; results are meant to be shared
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


def save_run(csv_path: str | os.PathLike, records: pd.DataFrame, config: dict) -> None:
    csv_path = Path(csv_path)
    atomic_write(csv_path.with_suffix(".json"), lambda f: json.dump(config, f, indent=1, sort_keys=True))
    atomic_write(csv_path, lambda f: records.to_csv(f, index=False))


def load_run(csv_path: str | os.PathLike) -> pd.DataFrame | None:
    csv_path = Path(csv_path)
    return pd.read_csv(csv_path) if csv_path.exists() else None
