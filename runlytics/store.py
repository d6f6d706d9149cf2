"""Parquet extracts of runs: typed, compressed, atomic, with what they are.

A file is written from Arrow with the schema of :mod:`runlytics.schema`
(zstd, dictionary-encoded categoricals, row groups of 128k runs) to a
temporary file beside the target, then renamed over it: a crash never leaves
a half file where the old one was. Its key-value metadata ``runlytics`` holds
a JSON object: the runlytics version, base URL, filters, ``fetched_at``,
whether secrets were redacted, and the fetch report. The API key is never in
it.

:func:`read_parquet` also reads a *dataset*: a directory partitioned Hive
style by the UTC date of ``created_at`` (``created_date=2026-01-20/``), one
file per partition, as :mod:`runlytics.dataset` keeps it. Only the partitions
within ``since``/``until`` and only the columns asked for are read; names
starting with ``_`` or ``.`` (the state file, temporary files) are skipped,
as pyarrow, pandas, DuckDB and Spark skip them. The partition key is in the
directory names only, never a column of the files or of the frame.
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any

import numpy as np
import orjson
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds
import pyarrow.parquet as pq

from ._version import __version__
from .errors import StoreError
from .frame import table_to_frame
from .redact import redact_table
from .schema import COLUMNS, arrow_schema
from .units import to_utc

__all__ = ["METADATA_KEY", "PARTITION_FILE", "PARTITION_KEY", "extract_metadata",
           "list_partitions", "partition_path", "read_metadata", "read_parquet", "read_table",
           "to_table", "write_parquet", "write_table_atomic"]

METADATA_KEY = b"runlytics"
ROW_GROUP_SIZE = 128 * 1024
COMPRESSION = "zstd"
COMPRESSION_LEVEL = 1
PARTITION_KEY = "created_date"
PARTITION_FILE = "part-0.parquet"
_PARTITION_NAME = re.compile(rf"^{PARTITION_KEY}=(\d{{4}}-\d{{2}}-\d{{2}})$")
EPOCH = date(1970, 1, 1)
DAY_US = 86_400 * 1_000_000


def to_table(runs: pd.DataFrame | pa.Table) -> pa.Table:
    """A runs frame (or table) as an Arrow table with exactly the runs schema.

    Raises:
        StoreError: a schema column is missing or cannot take the schema's type.
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


def write_table_atomic(table: pa.Table, path: Path, metadata: dict[str, Any] | None) -> Path:
    """Write ``table`` to ``path`` through a temporary file and a rename.

    The file is flushed to disk before the rename, so that after a power cut
    the name holds the old file or the whole new one, never an empty one.
    """
    if metadata is not None:
        existing = table.schema.metadata or {}
        table = table.replace_schema_metadata(
            {**existing, METADATA_KEY: orjson.dumps(metadata, default=str)})
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        pq.write_table(table, tmp_name, compression=COMPRESSION,
                       compression_level=COMPRESSION_LEVEL, row_group_size=ROW_GROUP_SIZE,
                       use_dictionary=True)
        _fsync(tmp_name)
        os.replace(tmp_name, path)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise
    return path


def _fsync(name: str) -> None:
    fd = os.open(name, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


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

    Raises:
        StoreError: the runs do not fit the schema, or the file cannot be written.

    Example:
        >>> write_parquet(runs, "runs.parquet")  # doctest: +SKIP
        PosixPath('runs.parquet')
    """
    table = to_table(runs)
    if redact:
        table = redact_table(table)
    metadata = extract_metadata(redacted=redact, base_url=base_url, filters=filters,
                                fetched_at=fetched_at, fetch_report=fetch_report)
    target = Path(path)
    try:
        return write_table_atomic(table, target, metadata)
    except OSError as exc:
        raise StoreError(f"cannot write {target}: {exc.strerror or exc}") from None


def extract_metadata(*, redacted: bool, base_url: str | None,
                     filters: dict[str, Any] | None, fetched_at: datetime | None,
                     fetch_report: dict[str, Any] | None, **more: Any) -> dict[str, Any]:
    """The ``runlytics`` metadata object of a file: what the extract is (no secrets)."""

    return {
        "runlytics_version": __version__,
        "base_url": base_url,
        "filters": filters or {},
        "fetched_at": (fetched_at or datetime.now().astimezone()).isoformat(),
        "redacted": redacted,
        "fetch_report": fetch_report,
        **more,
    }


def read_metadata(path: str | os.PathLike[str]) -> dict[str, Any]:
    """The ``runlytics`` metadata of a Parquet file ({} when it has none)."""
    try:
        meta = pq.read_schema(path).metadata or {}
    except (OSError, pa.ArrowInvalid) as exc:
        raise StoreError(f"cannot read {path}: {exc}") from None
    raw = meta.get(METADATA_KEY)
    return orjson.loads(raw) if raw else {}


def read_parquet(path: str | os.PathLike[str], *, since: datetime | str | None = None,
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

    Raises:
        StoreError: the path is missing, is not Parquet, or is not runs data.
        UsageError: ``since``/``until`` is not a date/time.

    Example:
        >>> recent = read_parquet("runs/", since="7d", columns=["status"])  # doctest: +SKIP
    """
    return table_to_frame(read_table(path, since=since, until=until, columns=columns),
                            consume=True,
                            warn_unknown=False)


def read_table(path: str | os.PathLike[str], *, since: datetime | str | None = None,
               until: datetime | str | None = None,
               columns: Sequence[str] | None = None) -> pa.Table:
    """Like :func:`read_parquet`, but the typed Arrow table."""
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
                 if _day_in_range(day, since_us, until_us)
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


def partition_path(root: str | os.PathLike[str], day: str) -> Path:
    """The file that holds the runs created on ``day`` (``YYYY-MM-DD``, UTC) in a dataset."""
    return Path(root) / f"{PARTITION_KEY}={day}" / PARTITION_FILE


def list_partitions(root: str | os.PathLike[str]) -> list[tuple[str, Path]]:
    """``(day, folder)`` of every partition folder of a dataset, oldest day first."""
    try:
        entries = list(os.scandir(root))
    except OSError as exc:
        raise StoreError(f"cannot list {root}: {exc.strerror or exc}") from None
    found = []
    for entry in entries:
        match = _PARTITION_NAME.match(entry.name)
        if match and entry.is_dir():
            found.append((match.group(1), Path(entry.path)))
    return sorted(found)


def _day_in_range(day: str, since_us: int | None, until_us: int | None) -> bool:
    start = (date.fromisoformat(day) - EPOCH).days * DAY_US
    return (since_us is None or start + DAY_US > since_us) and (
        until_us is None or start < until_us)


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
