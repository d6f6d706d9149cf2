"""Where changes can be: the window a sync reads and the open runs it tracks.

See :mod:`runlytics.sync` for the rules; this module holds their arithmetic,
in µs since the epoch (UTC), so that each rule is one small function.
"""

from __future__ import annotations

import warnings
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from .. import dataset, store
from ..errors import UsageError
from ..schema import FINAL_STATUSES
from ..units import parse_span, to_timedelta
from .report import SyncReport

_FINAL = pa.array(FINAL_STATUSES)


def advance_state(state: dataset.DatasetState, fresh: pa.Table, lookback_us: int,
                   max_open_us: int, report: SyncReport) -> None:
    """New watermark, server clock and open runs from the runs just read."""
    state.syncs += 1
    state.synced_at = datetime.now(UTC).isoformat().replace("+00:00", "Z")
    if not fresh.num_rows:
        state.open_runs = {}
        return
    created = fresh.column("created_at").cast(pa.int64()).to_numpy()
    modified = fresh.column("modified_at").cast(pa.int64()).to_numpy()
    state.watermark_us = max(state.watermark_us or int(created.max()), int(created.max()))
    state.reference_us = max(state.reference_us or int(modified.max()), int(modified.max()))
    final = pc.is_in(fresh.column("status").cast(pa.string()), value_set=_FINAL).to_numpy(
        zero_copy_only=False)
    pending = fresh.column("retry_pending").fill_null(False).to_numpy(zero_copy_only=False)
    unfinished = ~final | pending
    settling = final & (modified > state.reference_us - lookback_us)
    alive = modified >= state.reference_us - max_open_us
    tracked = (unfinished | settling) & alive
    report.open_runs_given_up = int((unfinished & ~alive).sum())
    ids = np.asarray(fresh.column("workflow_run_id").to_pylist(), dtype=object)
    state.open_runs = dict(zip(ids[tracked].tolist(), created[tracked].tolist(), strict=True))


def window_start(state: dataset.DatasetState, lookback_us: int,
                  rescan_us: int | None) -> int | None:
    """Oldest ``created_at`` to read (µs), or None to read everything."""
    if state.watermark_us is None:
        return None
    start = min([state.watermark_us, *state.open_runs.values()]) - lookback_us
    if rescan_us is not None:
        start = min(start, state.watermark_us - rescan_us)
    return start


def incremental_concurrency(root: Path, lower_us: int, page_size: int, concurrency: int) -> int:
    """Requests in flight for an incremental read: few pages want few (no overshoot)."""
    known: int = store.read_table(root, since=pd.Timestamp(lower_us, unit="us", tz="UTC"),
                                  columns=["created_at"]).num_rows
    pages = known // page_size + 1
    return max(1, min(concurrency, pages // 4))


def span_us(value: timedelta | str | float, name: str) -> int:
    """A duration option in µs: a timedelta or a span (seconds as a number: deprecated)."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        warnings.warn(f"{name}: a number of seconds is deprecated; pass a timedelta or a "
                      f"span like '15m'", DeprecationWarning, stacklevel=4)
        if value < 0:
            raise UsageError(f"{name} must not be negative, got {value!r}")
        value = timedelta(seconds=value)
    if isinstance(value, str) and parse_span(value) is None:
        raise UsageError(f"{name}: {value!r} is not a span like 15m, 2h, 7d")
    if isinstance(value, timedelta) and value < timedelta(0):
        raise UsageError(f"{name} must not be negative, got {value!r}")
    return int(to_timedelta(value, name) / timedelta(microseconds=1))  # type: ignore[arg-type]


def rescan_us(rescan_days: float | None) -> int | None:
    if rescan_days is not None and (isinstance(rescan_days, bool) or not isinstance(
            rescan_days, int | float) or rescan_days < 0):
        raise UsageError(f"rescan_days must be a number of days >= 0, got {rescan_days!r}")
    return None if rescan_days is None else int(rescan_days * 86_400 * 1_000_000)


def iso(us: int | None) -> str | None:
    if us is None:
        return None
    text: str = pd.Timestamp(us, unit="us", tz="UTC").isoformat()
    return text.replace("+00:00", "Z")
