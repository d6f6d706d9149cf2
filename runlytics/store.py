"""Parquet extracts of runs: typed, compressed, atomic, with what they are.

The user's side of files: :func:`write_parquet` writes a runs frame (or
table), :func:`read_frame` and :func:`read_table` read it back as the typed
frame or Arrow table, :func:`read_metadata` says what a file holds, and
:func:`frame_to_table` gives the Arrow table a frame would be stored as.

A file is written from Arrow with the schema of :mod:`runlytics.schema`
(zstd, dictionary-encoded categoricals, row groups of 128k runs) to a
temporary file beside the target, then renamed over it: a crash never leaves
a half file where the old one was. Its key-value metadata ``runlytics``
(:data:`METADATA_KEY`) holds a JSON object: the runlytics version, base URL,
filters, ``fetched_at``, whether secrets were redacted, and the fetch report.
The API key is never in it.

:func:`read_frame` also reads a *dataset*: a directory partitioned Hive
style by the UTC date of ``created_at`` (``created_date=2026-01-20/``), one
file per partition, as :mod:`runlytics.dataset` keeps it. Only the partitions
within ``since``/``until`` and only the columns asked for are read; names
starting with ``_`` or ``.`` (the state file, temporary files) are skipped,
as pyarrow, pandas, DuckDB and Spark skip them. The partition key is in the
directory names only, never a column of the files or of the frame.

Renamed (the old names work for one more release, with a
``DeprecationWarning``): ``read_parquet`` -> :func:`read_frame`, ``to_table``
-> :func:`frame_to_table`; ``partition_path``, ``PARTITION_KEY`` and
``PARTITION_FILE`` moved to :mod:`runlytics.dataset`.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import orjson
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds
import pyarrow.parquet as pq

from . import _parquet
from ._deprecation import deprecated
from ._parquet import METADATA_KEY, day_in_range, list_partitions, write_table_atomic

# sync.py reads ``store.extract_metadata``; it belongs to runlytics.dataset now.
from ._parquet import extract_metadata as extract_metadata
from .errors import StoreError
from .frame import table_to_frame
from .redact import redact_table
from .schema import COLUMNS, arrow_schema
from .units import to_utc

__all__ = ["METADATA_KEY", "frame_to_table", "read_frame", "read_metadata", "read_table",
           "write_parquet"]

_RENAMED = {"read_parquet": "read_frame", "to_table": "frame_to_table"}
_MOVED = ("PARTITION_FILE", "PARTITION_KEY", "partition_path")  # to runlytics.dataset


def __getattr__(name: str) -> Any:
    if name in _RENAMED:
        new = _RENAMED[name]
        return deprecated(f"{__name__}.{name}", f"{__name__}.{new}", globals()[new])
    if name in _MOVED:
        return deprecated(f"{__name__}.{name}", f"runlytics.dataset.{name}",
                          getattr(_parquet, name))
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def frame_to_table(runs: pd.DataFrame | pa.Table) -> pa.Table:
    """A runs frame (or table) as an Arrow table with exactly the runs schema.

    Args:
        runs: a typed runs frame, or an Arrow table with the schema's columns
            (extra columns are left out, columns come in schema order).

    Returns:
        The table :func:`write_parquet` stores.

    Raises:
        StoreError: a schema column is missing or cannot take the schema's type.

    Example:
        >>> from runlytics.frame import runs_frame
        >>> run = {"workflow_run_id": "wr_1", "workflow_id": "w_1",
        ...        "workflow_permanent_id": "wpid_1", "organization_id": "o_1",
        ...        "status": "failed", "created_at": "2026-01-20T10:00:00",
        ...        "modified_at": "2026-01-20T10:05:00"}
        >>> table = frame_to_table(runs_frame([[run]]))
        >>> table.schema == arrow_schema(), table.column("status").to_pylist()
        (True, ['failed'])
        >>> frame_to_table(runs_frame([[run]]).drop(columns=["status"]))
        Traceback (most recent call last):
        ...
        runlytics.errors.StoreError: not a runs frame: missing columns status
    """
    schema = arrow_schema()
    if isinstance(runs, pa.Table):
        table = runs
    else:
        missing = [c.name for c in COLUMNS if c.name not in runs.columns]
        if missing:
            raise StoreError(f"not a runs frame: missing columns {', '.join(missing)}")
        table = pa.Table.from_pandas(runs[[c.name for c in COLUMNS]], preserve_index=False)
    try:
        return pa.Table.from_arrays(
            [table.column(f.name).cast(f.type) for f in schema], schema=schema)
    except (KeyError, pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError) as exc:
        raise StoreError(f"runs do not fit the runs schema: {exc}") from None


def write_parquet(runs: pd.DataFrame | pa.Table, path: str | os.PathLike[str], *,
                  redact: bool = True, base_url: str | None = None,
                  filters: dict[str, Any] | None = None,
                  fetched_at: datetime | None = None,
                  fetch_report: dict[str, Any] | None = None) -> Path:
    """Write runs to one Parquet file, atomically; return its path.

    Args:
        runs: the typed runs frame (or table).
        path: the file to write (its folder is created).
        redact: replace header values and URL credentials by ``***`` (see
            :mod:`runlytics.redact`); ``False`` keeps them.
        base_url, filters, fetched_at, fetch_report: recorded in the metadata.

    Returns:
        The path written, as a :class:`~pathlib.Path`.

    Raises:
        StoreError: the runs do not fit the schema, or the file cannot be written.

    Example:
        >>> import tempfile
        >>> from runlytics.frame import runs_frame
        >>> run = {"workflow_run_id": "wr_1", "workflow_id": "w_1",
        ...        "workflow_permanent_id": "wpid_1", "organization_id": "o_1",
        ...        "status": "failed", "created_at": "2026-01-20T10:00:00",
        ...        "modified_at": "2026-01-20T10:05:00",
        ...        "webhook_callback_url": "https://hooks.example/cb?token=s3cret"}
        >>> path = write_parquet(runs_frame([[run]]), Path(tempfile.mkdtemp()) / "runs.parquet")
        >>> path.name
        'runs.parquet'
        >>> read_frame(path).webhook_callback_url.tolist()  # redacted by default
        ['https://hooks.example/cb?token=***']
    """
    table = frame_to_table(runs)
    if redact:
        table = redact_table(table)
    metadata = extract_metadata(redacted=redact, base_url=base_url, filters=filters,
                                fetched_at=fetched_at, fetch_report=fetch_report)
    target = Path(path)
    try:
        return write_table_atomic(table, target, metadata)
    except OSError as exc:
        raise StoreError(f"cannot write {target}: {exc.strerror or exc}") from None


def read_metadata(path: str | os.PathLike[str]) -> dict[str, Any]:
    """The ``runlytics`` metadata of a Parquet file ({} when it has none).

    Raises:
        StoreError: the file is missing or is not Parquet.

    Example:
        >>> import tempfile
        >>> from runlytics.frame import empty_frame
        >>> path = write_parquet(empty_frame(), Path(tempfile.mkdtemp()) / "none.parquet",
        ...                      base_url="https://api.skyvern.com")
        >>> meta = read_metadata(path)
        >>> meta["base_url"], meta["redacted"], meta["filters"]
        ('https://api.skyvern.com', True, {})
    """
    try:
        meta = pq.read_schema(path).metadata or {}
    except (OSError, pa.ArrowInvalid) as exc:
        raise StoreError(f"cannot read {path}: {exc}") from None
    raw = meta.get(METADATA_KEY)
    found: dict[str, Any] = orjson.loads(raw) if raw else {}
    return found


def read_frame(path: str | os.PathLike[str], *, since: datetime | str | None = None,
               until: datetime | str | None = None,
               columns: Sequence[str] | None = None) -> pd.DataFrame:
    """Read a runs Parquet file, or a runs dataset directory, into the typed runs frame.

    Args:
        path: a file written by :func:`write_parquet` (rows come back in file
            order), or a dataset directory kept by :func:`runlytics.sync.sync`
            (rows come back newest ``created_at`` first, ties by id descending).
        since, until: only runs created at or after ``since`` and before
            ``until``: datetimes (naive = UTC), ISO strings or spans like
            ``7d``. In a dataset only the partitions of those dates are opened.
        columns: read only these columns (default all), in this order.

    Returns:
        The typed runs frame (:func:`runlytics.frame.runs_frame`'s dtypes).

    Raises:
        StoreError: the path is missing, is not Parquet, or is not runs data.
        UsageError: ``since``/``until`` is not a date/time.

    Example:
        >>> import tempfile
        >>> from runlytics.frame import runs_frame
        >>> run = {"workflow_run_id": "wr_1", "workflow_id": "w_1",
        ...        "workflow_permanent_id": "wpid_1", "organization_id": "o_1",
        ...        "status": "failed", "created_at": "2026-01-20T10:00:00",
        ...        "modified_at": "2026-01-20T10:05:00"}
        >>> runs = runs_frame([[run, {**run, "workflow_run_id": "wr_2", "status": "completed",
        ...                           "created_at": "2026-01-18T09:00:00"}]])
        >>> path = write_parquet(runs, Path(tempfile.mkdtemp()) / "runs.parquet")
        >>> read_frame(path, since="2026-01-19", columns=["workflow_run_id", "status"])
          workflow_run_id  status
        0            wr_1  failed
    """
    return table_to_frame(read_table(path, since=since, until=until, columns=columns),
                            consume=True,
                            warn_unknown=False)


def read_table(path: str | os.PathLike[str], *, since: datetime | str | None = None,
               until: datetime | str | None = None,
               columns: Sequence[str] | None = None) -> pa.Table:
    """Like :func:`read_frame`, but the typed Arrow table.

    Args:
        path, since, until, columns: as for :func:`read_frame`.

    Returns:
        A table with the runs schema's fields for ``columns``.

    Raises:
        StoreError, UsageError: as :func:`read_frame` does.

    Example:
        >>> import tempfile
        >>> from runlytics.frame import empty_frame
        >>> path = write_parquet(empty_frame(), Path(tempfile.mkdtemp()) / "none.parquet")
        >>> read_table(path, columns=["workflow_run_id", "created_at"]).schema
        workflow_run_id: string not null
        created_at: timestamp[us, tz=UTC] not null
        >>> read_table(path, columns=["latency"])
        Traceback (most recent call last):
        ...
        runlytics.errors.StoreError: 'latency' is not a runs column
    """
    target = Path(path)
    since_ts, until_ts = to_utc(since, "since"), to_utc(until, "until")
    since_us = None if since_ts is None else since_ts.value // 1000
    until_us = None if until_ts is None else until_ts.value // 1000
    names = list(columns) if columns else [c.name for c in COLUMNS]
    schema = arrow_schema()
    for name in names:
        if name not in schema.names:
            raise StoreError(f"{name!r} is not a runs column")
    if target.is_dir():
        # Newest day first: files written by runlytics are sorted inside, so
        # the rows usually come out in order and need no sort (see _scan).
        files = [f for day, folder in reversed(list_partitions(target))
                 if day_in_range(day, since_us, until_us)
                 for f in sorted(folder.glob("*.parquet")) if not f.name.startswith((".", "_"))]
        table = _scan(files, names, since_us, until_us, sort=True, where=target)
    elif target.exists():
        table = _scan([target], names, since_us, until_us, sort=False, where=target)
    else:
        raise StoreError(f"no such file or directory: {target}")
    return _conform(table, names)


def _scan(files: list[Path], names: list[str], since_us: int | None, until_us: int | None,
          *, sort: bool, where: Path) -> pa.Table:
    """Read ``names`` (plus what sorting needs) from ``files`` under the runs schema."""
    schema = arrow_schema()
    sort_keys = ["created_at", "workflow_run_id"] if sort else []
    wanted = names + [k for k in sort_keys if k not in names]
    if not files:
        return pa.schema([schema.field(n) for n in names]).empty_table()
    stamp = schema.field("created_at").type
    condition = None
    if since_us is not None:
        condition = ds.field("created_at") >= pa.scalar(since_us, stamp)
    if until_us is not None:
        upper = ds.field("created_at") < pa.scalar(until_us, stamp)
        condition = upper if condition is None else condition & upper
    try:
        for f in files[:1]:
            found = pq.read_schema(f).names
            if "workflow_run_id" not in found or "created_at" not in found:
                raise StoreError(f"{f} is not a runs file: it has no workflow_run_id "
                                 "or created_at column")
        # An explicit schema: files from an older runlytics lack newer columns
        # (read as nulls); columns runlytics does not know are left out.
        dataset = ds.dataset([str(f) for f in files], schema=schema, format="parquet")
        table = dataset.to_table(columns=wanted, filter=condition)
    except FileNotFoundError as exc:
        raise StoreError(f"no such file: {exc.filename or where}") from None
    except (OSError, pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError) as exc:
        raise StoreError(f"cannot read {where} as runs Parquet: {exc}") from None
    if sort and not _newest_first(table):
        table = table.take(pc.sort_indices(table, [("created_at", "descending"),
                                                   ("workflow_run_id", "descending")]))
    return table.select(names)


def _newest_first(table: pa.Table) -> bool:
    """Whether rows are already in created_at descending, id descending order."""
    if table.num_rows < 2:
        return True
    created = table.column("created_at").cast(pa.int64()).to_numpy()
    step = np.diff(created)
    if (step > 0).any():
        return False
    ties = np.flatnonzero(step == 0)
    if not ties.size:
        return True
    ids = table.column("workflow_run_id")
    return bool(pc.all(pc.greater(ids.take(pa.array(ties)),
                                  ids.take(pa.array(ties + 1)))).as_py())


def _conform(table: pa.Table, columns: Sequence[str] | None) -> pa.Table:
    schema = arrow_schema()
    names = list(columns) if columns else [f.name for f in schema]
    arrays = []
    for name in names:
        if name not in schema.names:
            raise StoreError(f"{name!r} is not a runs column")
        field = schema.field(name)
        if name in table.column_names:
            values = table.column(name)
            arrays.append(values if values.type == field.type else values.cast(field.type))
        else:
            arrays.append(pa.nulls(table.num_rows, field.type))
    return pa.Table.from_arrays(arrays, schema=pa.schema([schema.field(n) for n in names]))
