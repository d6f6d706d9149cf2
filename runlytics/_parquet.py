"""Parquet files on disk: atomic writes, the ``runlytics`` metadata, the partition layout.

The layer under :mod:`runlytics.store` (one file, read and written by users)
and :mod:`runlytics.dataset` (the partitioned directory that
:mod:`runlytics.sync` keeps): both write files the same way and both find
partitions the same way, so that code lives here once.

A dataset is partitioned Hive style by the UTC date of ``created_at``::

    DIR/created_date=2026-01-20/part-0.parquet
"""

from __future__ import annotations

import os
import re
import tempfile
from datetime import date, datetime
from pathlib import Path
from typing import Any

import orjson
import pyarrow as pa
import pyarrow.parquet as pq

from ._version import __version__
from .errors import StoreError

__all__ = [
    "DAY_US",
    "EPOCH",
    "METADATA_KEY",
    "PARTITION_FILE",
    "PARTITION_KEY",
    "day_in_range",
    "extract_metadata",
    "list_partitions",
    "partition_path",
    "write_table_atomic",
]

METADATA_KEY = b"runlytics"
ROW_GROUP_SIZE = 128 * 1024
COMPRESSION = "zstd"
COMPRESSION_LEVEL = 1
PARTITION_KEY = "created_date"
PARTITION_FILE = "part-0.parquet"
_PARTITION_NAME = re.compile(rf"^{PARTITION_KEY}=(\d{{4}}-\d{{2}}-\d{{2}})$")
EPOCH = date(1970, 1, 1)
DAY_US = 86_400 * 1_000_000


def write_table_atomic(table: pa.Table, path: Path, metadata: dict[str, Any] | None) -> Path:
    """Write ``table`` to ``path`` through a temporary file and a rename.

    The file is flushed to disk before the rename, so that after a power cut
    the name holds the old file or the whole new one, never an empty one.

    Args:
        table: what to write (zstd, dictionaries, row groups of 128k rows).
        path: the file; its folder is created.
        metadata: stored as JSON under the key ``runlytics``; None stores none.

    Returns:
        ``path``.

    Raises:
        OSError: the file cannot be written (the temporary file is removed).

    Example:
        >>> import tempfile
        >>> folder = Path(tempfile.mkdtemp())
        >>> written = write_table_atomic(pa.table({"n": [1, 2]}), folder / "n.parquet",
        ...                              {"what": "two numbers"})
        >>> pq.read_table(written).column("n").to_pylist()
        [1, 2]
        >>> pq.read_schema(written).metadata[METADATA_KEY]
        b'{"what":"two numbers"}'
        >>> sorted(p.name for p in folder.iterdir())  # no temporary file left
        ['n.parquet']
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


def extract_metadata(*, redacted: bool, base_url: str | None,
                     filters: dict[str, Any] | None, fetched_at: datetime | None,
                     fetch_report: dict[str, Any] | None, **more: Any) -> dict[str, Any]:
    """The ``runlytics`` metadata object of a file: what the extract is (no secrets).

    Args:
        redacted: whether secret-bearing values were replaced by ``***``.
        base_url: the API the runs came from.
        filters: the filters of the fetch (default none).
        fetched_at: when the runs were fetched (default now, local time zone).
        fetch_report: the fetch report as a dict.
        more: further keys (a dataset partition adds ``partition``).

    Returns:
        A JSON-ready dict, with the runlytics version.

    Example:
        >>> from datetime import UTC
        >>> meta = extract_metadata(redacted=True, base_url="https://api.skyvern.com",
        ...                         filters={"status": ["failed"]},
        ...                         fetched_at=datetime(2026, 1, 20, 12, tzinfo=UTC),
        ...                         fetch_report=None, partition="2026-01-20")
        >>> {k: v for k, v in meta.items() if k != "runlytics_version"}
        ... # doctest: +NORMALIZE_WHITESPACE
        {'base_url': 'https://api.skyvern.com', 'filters': {'status': ['failed']},
         'fetched_at': '2026-01-20T12:00:00+00:00', 'redacted': True, 'fetch_report': None,
         'partition': '2026-01-20'}
        >>> meta["runlytics_version"] == __version__
        True
    """
    return {
        "runlytics_version": __version__,
        "base_url": base_url,
        "filters": filters or {},
        "fetched_at": (fetched_at or datetime.now().astimezone()).isoformat(),
        "redacted": redacted,
        "fetch_report": fetch_report,
        **more,
    }


def partition_path(root: str | os.PathLike[str], day: str) -> Path:
    """The file that holds the runs created on ``day`` (``YYYY-MM-DD``, UTC) in a dataset.

    Example:
        >>> partition_path("runs", "2026-01-20").as_posix()
        'runs/created_date=2026-01-20/part-0.parquet'
    """
    return Path(root) / f"{PARTITION_KEY}={day}" / PARTITION_FILE


def list_partitions(root: str | os.PathLike[str]) -> list[tuple[str, Path]]:
    """``(day, folder)`` of every partition folder of a dataset, oldest day first.

    Raises:
        StoreError: ``root`` cannot be listed.

    Example:
        >>> import tempfile
        >>> root = Path(tempfile.mkdtemp())
        >>> for name in ("created_date=2026-01-20", "created_date=2026-01-19", "notes"):
        ...     (root / name).mkdir()
        >>> [(day, folder.name) for day, folder in list_partitions(root)]
        [('2026-01-19', 'created_date=2026-01-19'), ('2026-01-20', 'created_date=2026-01-20')]
    """
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


def day_in_range(day: str, since_us: int | None, until_us: int | None) -> bool:
    """Whether any moment of ``day`` (UTC) is in ``[since_us, until_us)`` (µs since the epoch).

    Example:
        >>> noon = (DAY_US * 20_473) + DAY_US // 2  # 2026-01-20T12:00Z
        >>> day_in_range("2026-01-20", noon, None), day_in_range("2026-01-21", None, noon)
        (True, False)
    """
    start = (date.fromisoformat(day) - EPOCH).days * DAY_US
    return (since_us is None or start + DAY_US > since_us) and (
        until_us is None or start < until_us)
