"""The state file of a runs dataset: what the last complete sync saw.

``DIR/_runlytics_state.json`` is written last by every sync, atomically and
flushed to disk, so it always describes a complete sync. Re-exported by
:mod:`runlytics.dataset`, where the rest of the dataset lives.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
import pandas as pd

from ._version import __version__
from .errors import StoreError

__all__ = ["STATE_FILE", "DatasetState", "read_state", "write_atomic", "write_state"]

STATE_FILE = "_runlytics_state.json"
STATE_FORMAT = 1


@dataclass
class DatasetState:
    """What the last complete sync of a dataset saw (the ``_runlytics_state.json`` file).

    Attributes:
        base_url: the API the runs came from (no secrets).
        filters: the filters every sync of this dataset uses.
        redacted: whether secret-bearing values are redacted in the files.
        watermark_us: newest ``created_at`` seen (µs since the epoch, UTC).
        reference_us: newest ``modified_at`` seen: the server's clock as far
            as the data tells it.
        open_runs: ``workflow_run_id`` -> ``created_at`` (µs) of the runs
            that may still change (see :mod:`runlytics.sync`).
        syncs: complete syncs so far.
        synced_at: when the last one finished (ISO 8601, UTC).
        last_report: the last sync's report (with its fetch report).

    Example:
        >>> import tempfile
        >>> root = Path(tempfile.mkdtemp())
        >>> read_state(root) is None  # before the first sync
        True
        >>> _ = write_state(root, DatasetState("https://api.skyvern.com", {}, redacted=True,
        ...                                    watermark_us=1_768_906_800_000_000, syncs=1))
        >>> read_state(root).watermark_us
        1768906800000000
        >>> orjson.loads((root / STATE_FILE).read_bytes())["watermark"]
        '2026-01-20T11:00:00Z'
    """

    base_url: str
    filters: dict[str, Any]
    redacted: bool
    watermark_us: int | None = None
    reference_us: int | None = None
    open_runs: dict[str, int] = field(default_factory=dict)
    syncs: int = 0
    synced_at: str | None = None
    last_report: dict[str, Any] | None = None

    def to_json(self) -> bytes:

        return orjson.dumps({
            "format": STATE_FORMAT,
            "runlytics_version": __version__,
            "base_url": self.base_url,
            "filters": self.filters,
            "redacted": self.redacted,
            "watermark": _iso(self.watermark_us),
            "reference": _iso(self.reference_us),
            "open_runs": {run_id: _iso(us) for run_id, us in sorted(self.open_runs.items())},
            "syncs": self.syncs,
            "synced_at": self.synced_at,
            "last_report": self.last_report,
        }, option=orjson.OPT_INDENT_2 | orjson.OPT_APPEND_NEWLINE)

    @classmethod
    def from_json(cls, data: bytes, *, where: Path) -> DatasetState:
        try:
            raw = orjson.loads(data)
            if raw.get("format") != STATE_FORMAT:
                raise StoreError(f"{where} has state format {raw.get('format')!r}; this "
                                 f"runlytics reads format {STATE_FORMAT}: upgrade runlytics")
            return cls(base_url=raw["base_url"], filters=raw["filters"],
                       redacted=bool(raw["redacted"]), watermark_us=_us(raw["watermark"]),
                       reference_us=_us(raw["reference"]),
                       open_runs={k: int(pd.Timestamp(v).value // 1000)
                                  for k, v in raw["open_runs"].items()},
                       syncs=int(raw["syncs"]), synced_at=raw.get("synced_at"),
                       last_report=raw.get("last_report"))
        except (orjson.JSONDecodeError, AttributeError, KeyError, TypeError, ValueError) as exc:
            raise StoreError(f"{where} is not a runlytics state file ({exc}); delete it "
                             "to make the next sync a full one") from None


def _iso(us: int | None) -> str | None:
    if us is None:
        return None
    text: str = pd.Timestamp(us, unit="us", tz="UTC").isoformat()
    return text.replace("+00:00", "Z")


def _us(text: str | None) -> int | None:
    if text is None:
        return None
    return int(pd.Timestamp(text).value // 1000)


def read_state(root: Path) -> DatasetState | None:
    """The state of the last complete sync, or None before the first one."""
    path = root / STATE_FILE
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise StoreError(f"cannot read {path}: {exc.strerror or exc}") from None
    return DatasetState.from_json(data, where=path)


def write_state(root: Path, state: DatasetState) -> Path:
    """Write the state file atomically, flushed to disk; return its path."""
    path = root / STATE_FILE
    try:
        return write_atomic(path, state.to_json())
    except OSError as exc:
        raise StoreError(f"cannot write {path}: {exc.strerror or exc}") from None


def write_atomic(path: Path, data: bytes) -> Path:
    """Write ``data`` to ``path`` through a temporary file, fsynced, then renamed over it.

    A reader sees the old file or the new one, never half of one, even after
    a crash. Raises ``OSError`` (the temporary file is removed).
    """
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
        _fsync_dir(path.parent)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def _fsync_dir(folder: Path) -> None:
    with contextlib.suppress(OSError):  # not every platform can open a directory
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
