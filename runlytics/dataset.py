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

This module only stores; :mod:`runlytics.sync` decides what to store. The
layout names (:data:`PARTITION_KEY`, :data:`PARTITION_FILE`,
:func:`partition_path`, :func:`list_partitions`) and the metadata object
(:func:`extract_metadata`) are shared with :mod:`runlytics.store`, which reads
datasets, and live in ``runlytics._parquet``.

Example:
    >>> import tempfile
    >>> from runlytics.frame import runs_frame
    >>> from runlytics.store import frame_to_table
    >>> run = {"workflow_run_id": "wr_1", "workflow_id": "w_1",
    ...        "workflow_permanent_id": "wpid_1", "organization_id": "o_1",
    ...        "status": "failed", "created_at": "2026-01-20T10:00:00",
    ...        "modified_at": "2026-01-20T10:05:00"}
    >>> table = frame_to_table(runs_frame([[run, {**run, "workflow_run_id": "wr_0",
    ...                                           "created_at": "2026-01-19T23:59:59"}]]))
    >>> root = Path(tempfile.mkdtemp())
    >>> for day, rows in split_by_day(table).items():
    ...     _ = write_partition(root, day, rows, {"partition": day})
    >>> sorted(p.relative_to(root).as_posix() for p in root.rglob("*.parquet"))
    ['created_date=2026-01-19/part-0.parquet', 'created_date=2026-01-20/part-0.parquet']
    >>> count_runs(root), read_partition(root, "2026-01-19").column("workflow_run_id").to_pylist()
    (2, ['wr_0'])
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from ._dataset_state import STATE_FILE, DatasetState, read_state, write_state
from ._parquet import (
    DAY_US,
    EPOCH,
    PARTITION_FILE,
    PARTITION_KEY,
    extract_metadata,
    list_partitions,
    partition_path,
    write_table_atomic,
)
from .errors import StoreError, UsageError
from .schema import arrow_schema
from .store import frame_to_table, read_table

try:  # POSIX; elsewhere concurrent syncs are not detected
    import fcntl
except ImportError:  # pragma: no cover
    fcntl = None  # type: ignore[assignment]

__all__ = [
    "LOCK_FILE",
    "PARTITION_FILE",
    "PARTITION_KEY",
    "STATE_FILE",
    "DatasetState",
    "check_directory",
    "clean_leftovers",
    "count_runs",
    "day_label",
    "extract_metadata",
    "list_partitions",
    "locked",
    "partition_path",
    "read_partition",
    "read_state",
    "remove_partition",
    "same_runs",
    "split_by_day",
    "write_partition",
    "write_state",
]

LOCK_FILE = "_runlytics.lock"
_OWN_NAMES = (STATE_FILE, LOCK_FILE)


# -- the directory ----------------------------------------------------------------

def check_directory(root: Path) -> bool:
    """Check that ``root`` is a dataset directory or may become one; create it.

    Returns:
        Whether it already holds a state file.

    Raises:
        UsageError: ``root`` is a file, or a folder with other things in it.
        StoreError: it cannot be created.

    Example:
        >>> import tempfile
        >>> root = Path(tempfile.mkdtemp())
        >>> check_directory(root / "new"), (root / "new").is_dir()
        (False, True)
        >>> try:
        ...     check_directory(root)
        ... except UsageError as exc:
        ...     print(str(exc).replace(str(root), "ROOT"))
        ROOT is not a runlytics dataset (it holds new); name an empty or new directory
    """
    if root.exists() and not root.is_dir():
        raise UsageError(f"{root} is a file; sync needs a directory")
    try:
        root.mkdir(parents=True, exist_ok=True)
        names = os.listdir(root)
    except OSError as exc:
        raise StoreError(f"cannot use {root}: {exc.strerror or exc}") from None
    foreign = sorted(n for n in names if not (
        n in _OWN_NAMES or n.startswith(f"{PARTITION_KEY}=") or n.startswith(".")))
    if foreign:
        shown = ", ".join(foreign[:3]) + (", ..." if len(foreign) > 3 else "")
        raise UsageError(f"{root} is not a runlytics dataset (it holds {shown}); name an "
                         "empty or new directory")
    return STATE_FILE in names


@contextlib.contextmanager
def locked(root: Path) -> Iterator[None]:
    """Hold the dataset's lock for the block; StoreError if another sync holds it.

    Example:
        >>> import tempfile
        >>> root = Path(tempfile.mkdtemp())
        >>> with locked(root), locked(root):
        ...     pass
        Traceback (most recent call last):
        ...
        runlytics.errors.StoreError: another sync of ... is running; try again when it has finished
    """
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
    for _, folder in list_partitions(root):
        for path in folder.glob(".*.tmp"):
            path.unlink(missing_ok=True)
            removed += 1
        with contextlib.suppress(OSError):  # not empty: fine
            folder.rmdir()
    return removed


# -- partitions -----------------------------------------------------------------

def day_label(day_number: int) -> str:
    """``YYYY-MM-DD`` of a day counted from 1970-01-01.

    Example:
        >>> day_label(20_473)
        '2026-01-20'
    """
    return (EPOCH + timedelta(days=int(day_number))).isoformat()


def split_by_day(table: pa.Table) -> dict[str, pa.Table]:
    """Rows of a runs table grouped by partition day (UTC date of ``created_at``).

    The order of rows within a day is kept. A table sorted by ``created_at``
    (as :func:`runlytics.fetch.fetch_table` returns it) is cut into slices,
    without copying.
    """
    if not table.num_rows:
        return {}
    days = table.column("created_at").cast(pa.int64()).to_numpy() // DAY_US
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
    folder = partition_path(root, day).parent
    if not folder.is_dir():
        return arrow_schema().empty_table()
    return read_table(folder.parent, since=f"{day}T00:00:00Z",
                            until=pd.Timestamp(day, tz="UTC") + pd.Timedelta(days=1))


def write_partition(root: Path, day: str, table: pa.Table, metadata: dict[str, Any]) -> Path:
    """Replace one partition by ``table`` (one file, written atomically); return its path.

    Other files in the partition folder (a dataset written by another tool)
    are removed after the new file is in place.
    """
    path = partition_path(root, day)
    try:
        write_table_atomic(frame_to_table(table), path, metadata)
        for other in path.parent.glob("*.parquet"):
            if other.name != path.name:
                other.unlink()
    except OSError as exc:
        raise StoreError(f"cannot write {path}: {exc.strerror or exc}") from None
    return path


def remove_partition(root: Path, day: str) -> None:
    """Delete one partition (it holds no runs any more)."""
    folder = partition_path(root, day).parent
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
    for _, folder in list_partitions(root):
        for path in folder.glob("*.parquet"):
            if not path.name.startswith((".", "_")):
                try:
                    total += pq.read_metadata(path).num_rows
                except (OSError, pa.ArrowInvalid) as exc:
                    raise StoreError(f"cannot read {path}: {exc}") from None
    return total


def same_runs(a: pa.Table, b: pa.Table) -> bool:
    """Whether two runs tables hold the same rows in the same order (dictionaries decoded).

    Example:
        >>> coded = pa.table({"status": pa.array(["failed"]).dictionary_encode()})
        >>> same_runs(coded, pa.table({"status": pa.array(["failed"]).dictionary_encode()}))
        True
        >>> same_runs(coded, pa.table({"status": pa.array(["completed"]).dictionary_encode()}))
        False
    """
    if a.num_rows != b.num_rows:
        return False
    for name in a.column_names:
        left, right = a.column(name), b.column(name)
        if pa.types.is_dictionary(left.type):
            left, right = pc.cast(left, pa.string()), pc.cast(right, pa.string())
        if not left.equals(right):
            return False
    return True
