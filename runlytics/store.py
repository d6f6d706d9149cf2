"""Parquet extracts of runs: typed, compressed, atomic, with what they are.

A file is written from Arrow with the schema of :mod:`runlytics.schema`
(zstd, dictionary-encoded categoricals, row groups of 128k runs) to a
temporary file beside the target, then renamed over it: a crash never leaves
a half file where the old one was. Its key-value metadata ``runlytics`` holds
a JSON object: the runlytics version, base URL, filters, ``fetched_at``,
whether secrets were redacted, and the fetch report. The API key is never in
it.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import orjson
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from .errors import StoreError
from .frame import frame_from_table
from .redact import redact_table
from .schema import COLUMNS, arrow_schema

__all__ = ["METADATA_KEY", "read_metadata", "read_parquet", "to_table", "write_parquet",
           "write_table_atomic"]

METADATA_KEY = b"runlytics"
ROW_GROUP_SIZE = 128 * 1024
COMPRESSION = "zstd"
COMPRESSION_LEVEL = 1


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
    """Write ``table`` to ``path`` through a temporary file and a rename."""
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
        os.replace(tmp_name, path)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise
    return path


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
    from . import __version__

    table = to_table(runs)
    if redact:
        table = redact_table(table)
    metadata = {
        "runlytics_version": __version__,
        "base_url": base_url,
        "filters": filters or {},
        "fetched_at": (fetched_at or datetime.now().astimezone()).isoformat(),
        "redacted": redact,
        "fetch_report": fetch_report,
    }
    target = Path(path)
    try:
        return write_table_atomic(table, target, metadata)
    except OSError as exc:
        raise StoreError(f"cannot write {target}: {exc.strerror or exc}") from None


def read_metadata(path: str | os.PathLike[str]) -> dict[str, Any]:
    """The ``runlytics`` metadata of a Parquet file ({} when it has none)."""
    try:
        meta = pq.read_schema(path).metadata or {}
    except (OSError, pa.ArrowInvalid) as exc:
        raise StoreError(f"cannot read {path}: {exc}") from None
    raw = meta.get(METADATA_KEY)
    return orjson.loads(raw) if raw else {}


def read_parquet(path: str | os.PathLike[str], *,
                 columns: Sequence[str] | None = None) -> pd.DataFrame:
    """Read a runs Parquet file back into the typed runs frame.

    Args:
        path: a file written by :func:`write_parquet`.
        columns: read only these columns (default all).

    Raises:
        StoreError: the file is missing, is not Parquet, or is not a runs file.
    """
    try:
        table = pq.read_table(path, columns=list(columns) if columns else None)
    except FileNotFoundError:
        raise StoreError(f"no such file: {path}") from None
    except (OSError, pa.ArrowInvalid) as exc:
        raise StoreError(f"cannot read {path} as Parquet: {exc}") from None
    return frame_from_table(_conform(table, columns), warn_unknown=False)


def _conform(table: pa.Table, columns: Sequence[str] | None) -> pa.Table:
    schema = arrow_schema()
    names = list(columns) if columns else [f.name for f in schema]
    arrays = []
    for name in names:
        if name not in schema.names:
            raise StoreError(f"{name!r} is not a runs column")
        field = schema.field(name)
        if name in table.column_names:
            arrays.append(table.column(name).cast(field.type))
        else:
            arrays.append(pa.nulls(table.num_rows, field.type))
    return pa.Table.from_arrays(arrays, schema=pa.schema([schema.field(n) for n in names]))
