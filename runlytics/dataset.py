"""The runs dataset on disk: one Parquet file per created date, and a state file.

Layout (Hive partitioning by the UTC date of ``created_at``)::

    DIR/
      _runlytics_state.json                    what the last complete sync saw
      _runlytics.lock                          held while a sync runs
      created_date=2026-01-19/part-0.parquet
      created_date=2026-01-20/part-0.parquet

Each partition file holds the runs created on that date, newest first, with
the runs schema and the ``runlytics`` metadata of :mod:`runlytics.store`.
Files are replaced whole (a temporary file, then a rename), so a reader, or a
sync killed at any moment, sees every partition either as it was or as it is
now; ``created_at`` never changes, so a run lives in exactly one partition.
Names starting with ``_`` or ``.`` (the state, the lock, temporary files) are
skipped by pyarrow.dataset, pandas, DuckDB and Spark.

This module only stores; :mod:`runlytics.sync` decides what to store.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import numpy as np
import orjson
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from . import store
from ._version import __version__
from .errors import StoreError, UsageError
from .schema import arrow_schema

try:  # POSIX; elsewhere concurrent syncs are not detected
    import fcntl
except ImportError:  # pragma: no cover
    fcntl = None  # type: ignore[assignment]

__all__ = [
    "LOCK_FILE",
    "STATE_FILE",
    "DatasetState",
    "check_directory",
    "clean_leftovers",
    "count_runs",
    "day_label",
    "locked",
    "read_partition",
    "read_state",
    "remove_partition",
    "same_runs",
    "split_by_day",
    "write_partition",
    "write_state",
]

STATE_FILE = "_runlytics_state.json"
LOCK_FILE = "_runlytics.lock"
STATE_FORMAT = 1
_OWN_NAMES = (STATE_FILE, LOCK_FILE)


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
    return pd.Timestamp(us, unit="us", tz="UTC").isoformat().replace("+00:00", "Z")


def _us(text: str | None) -> int | None:
    if text is None:
        return None
    return int(pd.Timestamp(text).value // 1000)


# -- the directory ----------------------------------------------------------------

def check_directory(root: Path) -> bool:
    """Check that ``root`` is a dataset directory or may become one; create it.

    Returns:
        Whether it already holds a state file.

    Raises:
        UsageError: ``root`` is a file, or a folder with other things in it.
        StoreError: it cannot be created.
    """
    if root.exists() and not root.is_dir():
        raise UsageError(f"{root} is a file; sync needs a directory")
    try:
        root.mkdir(parents=True, exist_ok=True)
        names = os.listdir(root)
    except OSError as exc:
        raise StoreError(f"cannot use {root}: {exc.strerror or exc}") from None
    foreign = sorted(n for n in names if not (
        n in _OWN_NAMES or n.startswith(f"{store.PARTITION_KEY}=") or n.startswith(".")))
    if foreign:
        shown = ", ".join(foreign[:3]) + (", ..." if len(foreign) > 3 else "")
        raise UsageError(f"{root} is not a runlytics dataset (it holds {shown}); name an "
                         "empty or new directory")
    return STATE_FILE in names


@contextlib.contextmanager
def locked(root: Path) -> Iterator[None]:
    """Hold the dataset's lock for the block; StoreError if another sync holds it."""
    if fcntl is None:  # pragma: no cover
        yield
        return
    try:
        handle = open(root / LOCK_FILE, "a+b")  # held for the whole block
    except OSError as exc:
        raise StoreError(f"cannot lock {root}: {exc.strerror or exc}") from None
    try:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise StoreError(f"another sync of {root} is running; try again when it "
                             "has finished") from None
        yield
    finally:
        handle.close()  # releases the lock


def clean_leftovers(root: Path) -> int:
    """Remove temporary files of killed writes and empty partition folders; return how many."""
    removed = 0
    for path in root.glob(".*.tmp"):
        path.unlink(missing_ok=True)
        removed += 1
    for _, folder in store.list_partitions(root):
        for path in folder.glob(".*.tmp"):
            path.unlink(missing_ok=True)
            removed += 1
        with contextlib.suppress(OSError):  # not empty: fine
            folder.rmdir()
    return removed


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
    fd, tmp = tempfile.mkstemp(prefix=f".{STATE_FILE}.", suffix=".tmp", dir=root)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(state.to_json())
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
        _fsync_dir(root)
    except BaseException as exc:
        Path(tmp).unlink(missing_ok=True)
        if isinstance(exc, OSError):
            raise StoreError(f"cannot write {path}: {exc.strerror or exc}") from None
        raise
    return path


def _fsync_dir(folder: Path) -> None:
    with contextlib.suppress(OSError):  # not every platform can open a directory
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


# -- partitions -----------------------------------------------------------------

def day_label(day_number: int) -> str:
    """``YYYY-MM-DD`` of a day counted from 1970-01-01."""
    return (store.EPOCH + timedelta(days=int(day_number))).isoformat()


def split_by_day(table: pa.Table) -> dict[str, pa.Table]:
    """Rows of a runs table grouped by partition day (UTC date of ``created_at``).

    The order of rows within a day is kept. A table sorted by ``created_at``
    (as :func:`runlytics.fetch.fetch_table` returns it) is cut into slices,
    without copying.
    """
    if not table.num_rows:
        return {}
    days = table.column("created_at").cast(pa.int64()).to_numpy() // store.DAY_US
    if (np.diff(days) <= 0).all():
        order = None
        sorted_days = days
    else:
        order = np.argsort(days, kind="stable")
        sorted_days = days[order]
    starts = np.flatnonzero(np.r_[True, sorted_days[1:] != sorted_days[:-1]])
    ends = np.r_[starts[1:], len(sorted_days)]
    return {day_label(sorted_days[a]): (table.slice(a, b - a) if order is None
                                        else table.take(pa.array(order[a:b])))
            for a, b in zip(starts.tolist(), ends.tolist(), strict=True)}


def read_partition(root: Path, day: str) -> pa.Table:
    """Every run of one partition as a typed table (empty when there is none)."""
    folder = store.partition_path(root, day).parent
    if not folder.is_dir():
        return arrow_schema().empty_table()
    return store.read_table(folder.parent, since=f"{day}T00:00:00Z",
                            until=pd.Timestamp(day, tz="UTC") + pd.Timedelta(days=1))


def write_partition(root: Path, day: str, table: pa.Table, metadata: dict[str, Any]) -> Path:
    """Replace one partition by ``table`` (one file, written atomically); return its path.

    Other files in the partition folder (a dataset written by another tool)
    are removed after the new file is in place.
    """
    path = store.partition_path(root, day)
    try:
        store.write_table_atomic(store.to_table(table), path, metadata)
        for other in path.parent.glob("*.parquet"):
            if other.name != path.name:
                other.unlink()
    except OSError as exc:
        raise StoreError(f"cannot write {path}: {exc.strerror or exc}") from None
    return path


def remove_partition(root: Path, day: str) -> None:
    """Delete one partition (it holds no runs any more)."""
    folder = store.partition_path(root, day).parent
    try:
        for path in folder.glob("*.parquet"):
            path.unlink()
        folder.rmdir()
    except FileNotFoundError:
        pass
    except OSError as exc:
        raise StoreError(f"cannot remove {folder}: {exc.strerror or exc}") from None


def count_runs(root: Path) -> int:
    """Runs in the dataset, from the file footers."""
    total = 0
    for _, folder in store.list_partitions(root):
        for path in folder.glob("*.parquet"):
            if not path.name.startswith((".", "_")):
                try:
                    total += pq.read_metadata(path).num_rows
                except (OSError, pa.ArrowInvalid) as exc:
                    raise StoreError(f"cannot read {path}: {exc}") from None
    return total


def same_runs(a: pa.Table, b: pa.Table) -> bool:
    """Whether two runs tables hold the same rows in the same order (dictionaries decoded)."""
    if a.num_rows != b.num_rows:
        return False
    for name in a.column_names:
        left, right = a.column(name), b.column(name)
        if pa.types.is_dictionary(left.type):
            left, right = pc.cast(left, pa.string()), pc.cast(right, pa.string())
        if not left.equals(right):
            return False
    return True
