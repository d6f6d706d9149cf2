"""Pages of runs -> the typed table: pages grouped into batches, two batches at once.

Each batch of about :data:`BATCH_RUNS` runs goes through the fast path
(:mod:`runlytics.frame.fast`) when it is all bytes and the reader can take
it, else through the checked path (:mod:`runlytics.frame.checked`); both
end in :func:`runlytics.frame.finish.typed_table`.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import pandas as pd
import pyarrow as pa

from ..errors import SchemaError
from ..schema import arrow_schema
from . import checked, fast
from .convert import table_to_frame
from .finish import typed_table
from .objects import TextLost

__all__ = ["BATCH_RUNS", "runs_frame", "runs_table"]

BATCH_RUNS = 10_000
_BATCH_BYTES = 10 * 1024 * 1024  # about 10,000 runs of ~1 KB


def runs_frame(pages: Iterable[bytes | bytearray | Sequence[dict[str, Any]]]) -> pd.DataFrame:
    """Build the typed runs DataFrame from pages of runs.

    Args:
        pages: each page is the raw body of a ``GET /v1/workflows/runs`` answer
            (bytes of a JSON array) or an already decoded list of run dicts.

    Returns:
        One row per run, in page order, with the columns and dtypes of
        :mod:`runlytics.schema` (an empty frame with all of them for no runs).

    Raises:
        SchemaError: a page is not a JSON array of objects, or a run lacks a
            required field or holds a value of the wrong type.

    Example:
        >>> page = (b'[{"workflow_run_id": "wr_1", "workflow_id": "w_1",'
        ...         b' "workflow_permanent_id": "wpid_1", "organization_id": "o_1",'
        ...         b' "status": "completed", "created_at": "2026-01-20T11:52:29",'
        ...         b' "modified_at": "2026-01-20T11:53:02", "attempt": 1}]')
        >>> frame = runs_frame([page])
        >>> frame[["workflow_run_id", "status", "created_at", "attempt"]]
          workflow_run_id     status                created_at  attempt
        0            wr_1  completed 2026-01-20 11:52:29+00:00        1
        >>> frame.shape, str(frame["created_at"].dtype)
        ((1, 58), 'datetime64[us, UTC]')
    """
    return table_to_frame(runs_table(pages), consume=True)


def runs_table(pages: Iterable[bytes | bytearray | Sequence[dict[str, Any]]]) -> pa.Table:
    """Like :func:`runs_frame`, but the typed Arrow table (what Parquet stores).

    Example:
        >>> run = {"workflow_run_id": "wr_1", "workflow_id": "w_1",
        ...        "workflow_permanent_id": "wpid_1", "organization_id": "o_1",
        ...        "status": "completed", "created_at": "2026-01-20T11:52:29",
        ...        "modified_at": "2026-01-20T11:53:02"}
        >>> table = runs_table([[run], [dict(run, workflow_run_id="wr_2")]])
        >>> table.num_rows, table.schema.equals(arrow_schema())
        (2, True)
    """
    # Two batches at a time: the JSON reader releases the GIL, so one batch
    # parses while the other is finished in Python (and pages keep arriving).
    tables: list[pa.Table] = []
    with ThreadPoolExecutor(max_workers=2, thread_name_prefix="runlytics-frame") as pool:
        pending: deque[Future[pa.Table]] = deque()
        try:
            for batch in _batches(pages):
                pending.append(pool.submit(_convert, batch))
                if len(pending) >= 2:
                    tables.append(pending.popleft().result())
            tables.extend(future.result() for future in pending)
        finally:
            for future in pending:
                future.cancel()
    if not tables:
        return arrow_schema().empty_table()
    return pa.concat_tables(tables)


def _batches(pages: Iterable[Any]) -> Iterator[list[Any]]:
    """Group pages into batches of about BATCH_RUNS runs."""
    batch: list[Any] = []
    size = 0
    for page in pages:
        if isinstance(page, bytes | bytearray | memoryview):
            page = bytes(page)
            size += len(page)
        elif isinstance(page, list | tuple):
            size += len(page) * 1024
        else:
            raise SchemaError(f"a page must be the bytes of a JSON array or a list of runs, "
                              f"not {type(page).__name__}")
        batch.append(page)
        if size >= _BATCH_BYTES:
            yield batch
            batch, size = [], 0
    if batch:
        yield batch


def _convert(batch: list[Any]) -> pa.Table:
    return typed_table(_raw_batch(batch))


def _raw_batch(pages: list[Any]) -> pa.Table:
    if all(isinstance(p, bytes) for p in pages):
        try:
            return fast.raw_table(pages)
        except TextLost:
            pass  # such values are usually spread over the pages: check them all at once
        except (pa.ArrowException, ValueError):
            # Often only one page trips the reader (a nested value whose type it
            # guesses differently in two blocks): halve, so the rest stays fast.
            if len(pages) > 1:
                middle = len(pages) // 2
                return pa.concat_tables([_raw_batch(pages[:middle]),
                                         _raw_batch(pages[middle:])])
    # the checking path names what is wrong, or copes with what the reader cannot
    return checked.raw_table(pages)
