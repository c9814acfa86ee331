"""Result files that prove themselves: atomic writes, verified reads.

Writes go to a temporary file beside the target, then ``os.replace``: a crash mid-write leaves the
previous file (or none) in place, never a half file. The writer holds a lock on its temporary file,
so a temporary file nobody holds (its writer was killed) is stale and the next write of the same
target removes it (``remove_stale_temps``).

A stored result is a CSV plus a JSON sidecar. ``save_run`` records in the sidecar the result-format
version, the CSV's row count and its SHA-256 (``"csv": {"format", "rows", "sha256"}``) beside the
caller's fields. ``load_run`` counts a CSV only if all three match, the sidecar holds the fields the
caller expects (e.g. the run's key), and the caller's completeness check passes; otherwise it logs
the file and the reason and returns None (the caller recomputes) -- or, in CI (``CI=true``) without
``FRESH``, raises ``UnverifiedResultError`` with that message. A lock on the folder keeps a writer's
sidecar and CSV together: readers and other writers wait until both are in place.

Sidecars written before these checks (no ``"csv"`` entry) do not count until migrated, once:

    python -m evoscale.runs migrate RESULTS_DIR

adds version, row count and checksum to every sidecar whose CSV parses completely and, for a run,
reaches its budget (``evoscale.runs.incomplete``); it lists the files it leaves as they are.
"""

from __future__ import annotations

import contextlib
import csv
import fcntl
import hashlib
import io
import json
import logging
import os
import socket
import tempfile
import time
from pathlib import Path

import pandas as pd

from .compact import _unpack_square  # noqa: F401 (checkpoints pickled before compact.py name it here)


RESULT_FORMAT_VERSION = 1
"""Bump it when the records' meaning changes: every stored result is then recomputed (it is part of
every cache key, ``config.content_key``, and of every sidecar)."""

log = logging.getLogger("evoscale.store")
STARTED = time.time()
"""When this process started (about): temporary files older than it and unlocked are stale."""


class UnverifiedResultError(RuntimeError):
    """A stored result failed its checks where recomputing is not allowed (CI with FRESH=0)."""


def fresh_requested() -> bool:
    return os.environ.get("FRESH", "0") not in ("", "0", "false", "False")


def strict_reads() -> bool:
    """CI without FRESH: a stored result that fails its checks is an error, not a recomputation."""
    return os.environ.get("CI", "").lower() == "true" and not fresh_requested()


# ---------------------------------------------------------------- writing
def remove_stale_temps(path: str | os.PathLike) -> list[Path]:
    """Remove ``.<name>.*.tmp`` beside ``path`` left by killed writers (unlocked and older than this
    process); returns what was removed."""
    path = Path(path)
    removed = []
    for tmp in path.parent.glob(f".{path.name}.*.tmp"):
        try:
            if tmp.stat().st_mtime >= STARTED:
                continue
            with open(tmp, "rb") as f:
                fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)  # held by a live writer: OSError
                tmp.unlink()
            removed.append(tmp)
        except OSError:
            continue
    if removed:
        log.warning("removed %d stale temporary file(s) of %s: %s", len(removed), path,
                    ", ".join(p.name for p in removed))
    return removed


def atomic_write(path: str | os.PathLike, write, binary: bool = False) -> None:
    """Call ``write(file_object)`` on a temp file beside ``path``, then rename it over ``path``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_temps(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    lock = os.dup(fd)  # the lock lives until the rename, after the file object is closed
    try:
        fcntl.flock(lock, fcntl.LOCK_EX)
        with (os.fdopen(fd, "wb") if binary else os.fdopen(fd, "w", newline="")) as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o644)  # mkstemp makes 0600; results are meant to be shared
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    finally:
        os.close(lock)


def check_writable(path: str | os.PathLike, what: str, folder: bool = False) -> None:
    """ValueError naming ``what`` unless ``path`` (a file, or a folder if ``folder``) can be written:
    its nearest existing ancestor is a folder in which a file -- for a file, one named like the
    temporary file ``atomic_write`` will use (a long name fails here, not after the work) -- can be
    created. Leaves nothing behind."""
    path = Path(path)
    if path.is_dir() and not folder:
        raise ValueError(f"{what} {path} is a folder, not a file")
    target = path if folder else path.parent
    existing = next(p for p in (target, *target.parents) if p.exists())
    if not existing.is_dir():
        raise ValueError(f"{what} {path} cannot be written: {existing} is a file, not a folder")
    try:
        if folder:
            tempfile.TemporaryFile(dir=existing).close()
        else:
            fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=existing)
            os.close(fd)
            os.unlink(tmp)
    except OSError as err:
        raise ValueError(f"{what} {path} cannot be written ({err.strerror or err} in {existing})") from None


def rescue(data: bytes, name: str, folders) -> Path | None:
    """Keep ``data`` that could not be written where asked: ``rescued-<time>-<name>`` (the name cut
    to 100 characters) in the first of ``folders`` (None entries skipped) that takes it; its path,
    or None if none does."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    for folder in folders:
        if folder is None:
            continue
        path = Path(folder) / f"rescued-{stamp}-{os.getpid()}-{name[-100:]}"
        try:
            atomic_write(path, lambda f: f.write(data), binary=True)
            return path
        except OSError:
            continue
    return None


# ---------------------------------------------------------------- claims: one trainer per result
def claim(path: str | os.PathLike) -> Path | None:
    """Claim the work that will write ``path``: a lock file ``.<name>.claim`` beside it, created
    atomically (O_CREAT | O_EXCL), holding this process's pid, host, boot and start time. Returns the
    lock (``release`` it when done), or None if a live process holds it. A claim whose process is gone
    (on this host: its pid absent, or since reused by another process -- another boot, another start
    time --, or an empty claim over a minute old) is stale: it is taken over."""
    path = Path(path)
    lock = path.parent / f".{path.name}.claim"
    lock.parent.mkdir(parents=True, exist_ok=True)
    for _ in range(2):
        try:
            fd = os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            if not _stale(lock):
                return None
            log.warning("taking over the stale claim %s", lock)
            lock.unlink(missing_ok=True)
            continue
        with os.fdopen(fd, "w") as f:
            json.dump({"pid": os.getpid(), "host": socket.gethostname(), **_process_identity(os.getpid())}, f)
        return lock
    return None


def _process_identity(pid: int) -> dict:
    """What tells process ``pid`` from a later one with the same pid: the boot (Linux's boot id) and
    the process's start time (clock ticks since boot); {} where /proc does not say."""
    try:
        boot = Path("/proc/sys/kernel/random/boot_id").read_text().strip()
        start = int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[19])
    except (OSError, ValueError, IndexError):
        return {}
    return {"boot": boot, "start": start}


def _stale(lock: Path) -> bool:
    """Whether the process that wrote ``lock`` is gone."""
    try:
        owner = json.loads(lock.read_text())
        pid, host = int(owner["pid"]), owner["host"]
    except FileNotFoundError:
        return True
    except (OSError, ValueError, KeyError, TypeError):  # being written, or garbage: stale once old
        with contextlib.suppress(OSError):
            return time.time() - lock.stat().st_mtime > 60
        return True
    if host != socket.gethostname():
        return False  # another machine's process: it cannot be checked from here
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        pass
    now = _process_identity(pid)  # the pid is in use: by the claimer, or (after a reboot) by another process
    return any(k in owner and k in now and owner[k] != now[k] for k in ("boot", "start"))


def release(lock: Path | None) -> None:
    """Remove a claim this process made (``claim``)."""
    if lock is not None:
        lock.unlink(missing_ok=True)


@contextlib.contextmanager
def _folder_lock(folder: Path, exclusive: bool):
    """flock on the folder: a reader never sees one writer's sidecar with another's CSV."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH)
        yield
    finally:
        os.close(fd)


def _integrity(data: bytes, rows: int) -> dict:
    return {"format": RESULT_FORMAT_VERSION, "rows": rows, "sha256": hashlib.sha256(data).hexdigest()}


def _write_sidecar(side: Path, meta: dict) -> None:
    atomic_write(side, lambda f: json.dump(meta, f, indent=1, sort_keys=True))


def save_run(csv_path: str | os.PathLike, records: pd.DataFrame, config: dict) -> None:
    """The records and their sidecar: ``config`` plus the CSV's format version, rows and SHA-256."""
    csv_path = Path(csv_path)
    data = records.to_csv(index=False).encode()
    meta = {**{k: v for k, v in config.items() if k != "csv"}, "csv": _integrity(data, len(records))}
    csv_path.parent.mkdir(parents=True, exist_ok=True)
    with _folder_lock(csv_path.parent, exclusive=True):
        _write_sidecar(csv_path.with_suffix(".json"), meta)
        atomic_write(csv_path, lambda f: f.write(data), binary=True)


# ---------------------------------------------------------------- reading
RENAMED_COLUMNS = {  # records' columns renamed by issue 35: stored name -> name
    "eval_return": "test_return",  # stored name
    "eval_std": "test_std",  # stored name
    "eval_wall_s": "test_wall_s",  # stored name
    "eval_return_stochastic": "test_return_stochastic",  # stored name
    "eval_std_stochastic": "test_std_stochastic",  # stored name
}
"""Records written before issue 35 (and by a campaign still on older code) name the solved test's
columns ``eval_*``; every reader sees them under their names (``current_names``)."""


def current_names(records):
    """A records DataFrame, or a list of record dicts (a checkpoint's), with ``RENAMED_COLUMNS``
    renamed: what was stored under the old names reads as if written today."""
    if isinstance(records, pd.DataFrame):
        return records.rename(columns=RENAMED_COLUMNS)
    return [{RENAMED_COLUMNS.get(k, k): v for k, v in r.items()} for r in records]


def _json(value):
    return json.loads(json.dumps(value))  # tuples -> lists, as in a sidecar


def _problem(csv_path: Path, expect: dict | None) -> tuple[str | None, pd.DataFrame | None]:
    """(why ``csv_path`` does not count, None) or (None, its records)."""
    side = csv_path.with_suffix(".json")
    try:
        meta = json.loads(side.read_text())
    except FileNotFoundError:
        return f"its sidecar {side.name} is missing", None
    except (OSError, ValueError) as err:
        return f"its sidecar {side.name} is unreadable ({err})", None
    info = meta.get("csv") if isinstance(meta, dict) else None
    if not isinstance(info, dict):
        return (f"its sidecar {side.name} records no row count or checksum (written before they were "
                f"checked: python -m evoscale.runs migrate {csv_path.parent})"), None
    if info.get("format") != RESULT_FORMAT_VERSION:
        return f"result format {info.get('format')!r}, expected {RESULT_FORMAT_VERSION}", None
    for k, v in (expect or {}).items():
        if meta.get(k) != _json(v):
            return f"its sidecar belongs to another configuration ({k} {meta.get(k)!r}, expected {_json(v)!r})", None
    data = csv_path.read_bytes()
    if hashlib.sha256(data).hexdigest() != info.get("sha256"):
        return f"its checksum does not match the sidecar's ({len(data)} bytes: truncated or altered)", None
    try:
        df = pd.read_csv(io.BytesIO(data))
    except ValueError as err:
        return f"it does not parse ({err})", None
    if len(df) != info.get("rows"):
        return f"it has {len(df)} rows, its sidecar says {info.get('rows')}", None
    return None, current_names(df)


def load_run(csv_path: str | os.PathLike, expect: dict | None = None, check=None) -> pd.DataFrame | None:
    """The records of ``csv_path`` if they prove complete, else None (absent, or logged as ignored).

    ``expect``: fields the sidecar must hold with these values; ``check(df)``: None if the records
    are complete, else the reason. In CI without FRESH a file that fails raises instead."""
    csv_path = Path(csv_path)
    if not csv_path.exists():
        return None
    with _folder_lock(csv_path.parent, exclusive=False):
        reason, df = _problem(csv_path, expect)
    if reason is None and check is not None:
        reason = check(df)
    if reason is None:
        return df
    return _ignored(csv_path, reason, "recomputing it (it counts as missing)")


def _ignored(path: Path, reason: str, then: str) -> None:
    """A stored file that does not count: named in one warning (once per file and reason, however often
    a process reads it), or in CI without FRESH an ``UnverifiedResultError``."""
    if strict_reads():
        raise UnverifiedResultError(f"stored result {path} does not count: {reason} "
                                    f"(CI=true without FRESH=1: not recomputing)")
    if (path, reason) not in _WARNED:
        _WARNED.add((path, reason))
        log.warning("ignoring stored result %s: %s; %s", path, reason, then)
    return None


_WARNED: set = set()

MEASURED = "it counts as not measured (measure it again)"


def read_table(path: str | os.PathLike, text_columns=("method", "env", "machine", "part")) -> pd.DataFrame | None:
    """A measured table without a sidecar (the benches' CSVs: unit costs, speedups): None if absent,
    or if it does not parse or holds a non-number in a column other than ``text_columns`` -- then
    named in one warning and read as not measured, so one bad file stops no chapter."""
    path = Path(path)
    if not path.exists():
        return None
    try:
        df = pd.read_csv(path)
    except (OSError, ValueError) as err:
        return _ignored(path, f"it does not parse ({err})", MEASURED)
    for col in df.columns:
        if col not in text_columns and not pd.api.types.is_numeric_dtype(df[col]):
            bad = df[col][pd.to_numeric(df[col], errors="coerce").isna() & df[col].notna()]
            if len(bad):
                return _ignored(path, f"its column {col} holds a non-number ({bad.iloc[0]!r} in row {bad.index[0]})",
                                MEASURED)
    return df


def read_json(path: str | os.PathLike):
    """A measured JSON (the benches' results): None if absent, or if it does not parse -- then named in
    one warning and read as not measured."""
    path = Path(path)
    if not path.exists():
        return None
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError) as err:
        return _ignored(path, f"it does not parse ({err})", MEASURED)


# ---------------------------------------------------------------- migration of older sidecars
def _parse_problem(data: bytes) -> tuple[str | None, pd.DataFrame | None]:
    """Whether a CSV without a checksum parses completely: a final newline, every line as many
    fields as the header, at least one record."""
    if not data.endswith(b"\n"):
        return "it does not end with a newline (cut mid-line)", None
    try:
        rows = list(csv.reader(io.StringIO(data.decode())))
        df = pd.read_csv(io.BytesIO(data))
    except ValueError as err:
        return f"it does not parse ({err})", None
    if len(rows) < 2 or any(len(r) != len(rows[0]) for r in rows):
        return "it has no records or a line with a wrong number of fields", None
    return None, df


def migrate(root: str | os.PathLike, problem=None, log=print) -> tuple[int, int, list[str]]:
    """Add format version, rows and SHA-256 to the older sidecars under ``root`` whose CSV parses
    completely and for which ``problem(meta, csv_path, df)`` finds nothing (``runs.sidecar_problem``:
    a run's key and budget; ``python -m evoscale.runs migrate`` passes it). Returns (migrated,
    already current, left as is)."""
    migrated, current, left = 0, 0, []
    for side in sorted(Path(root).rglob("*.json")):
        csv_path = side.with_suffix(".csv")
        if not csv_path.exists():
            continue  # not a result sidecar (e.g. a benchmark's JSON)
        with _folder_lock(side.parent, exclusive=True):
            try:
                meta = json.loads(side.read_text())
            except (OSError, ValueError) as err:
                left.append(f"{side}: unreadable ({err})")
                continue
            if "csv" in meta:
                current += 1
                continue
            data = csv_path.read_bytes()
            reason, df = _parse_problem(data)
            reason = reason or (problem(meta, csv_path, df) if problem else None)
            if reason:
                left.append(f"{csv_path}: {reason}")
                continue
            _write_sidecar(side, {**meta, "csv": _integrity(data, len(df))})
            migrated += 1
    for line in left:
        log(f"left as is (does not count): {line}")
    log(f"migrate {root}: {migrated} sidecars migrated, {current} already current, {len(left)} left as is")
    return migrated, current, left
