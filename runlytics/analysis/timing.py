"""Per-run timings in seconds: :func:`timings` and :func:`with_timings`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from ._common import _NAT, _US, Duration, _float, _seconds, _us, require_columns

#: The four timings, with the (start, end) timestamp columns of each.
METRICS = ("queue_seconds", "duration_seconds", "turnaround_seconds", "pickup_seconds")
_ENDS = {
    "queue_seconds": ("queued_at", "started_at"),
    "duration_seconds": ("started_at", "finished_at"),
    "turnaround_seconds": ("created_at", "finished_at"),
    "pickup_seconds": ("created_at", "queued_at"),
}
#: Columns of :func:`timings`: the four metrics, then a clamped and a suspect flag for each.
TIMING_COLUMNS = METRICS + tuple(
    f"{m}_{flag}" for m in METRICS for flag in ("clamped", "suspect"))

DEFAULT_SKEW_TOLERANCE_SECONDS = 5.0


class _Timing(NamedTuple):
    values: np.ndarray  # float64 seconds, NaN where missing or suspect
    clamped: np.ndarray  # bool
    suspect: np.ndarray  # bool


def _timing_arrays(df: pd.DataFrame, tolerance: Duration | float,
                   metrics: Sequence[str] = METRICS) -> dict[str, _Timing]:
    tolerance_us = round(_seconds(tolerance, "skew_tolerance_seconds") * _US)
    stamps: dict[str, np.ndarray] = {}
    out = {}
    for metric in metrics:
        start_col, end_col = _ENDS[metric]
        for col in (start_col, end_col):
            if col not in stamps:
                stamps[col] = _us(df[col])
        start, end = stamps[start_col], stamps[end_col]
        valid = (start != _NAT) & (end != _NAT)
        delta = np.zeros(len(df), dtype=np.int64)
        np.subtract(end, start, out=delta, where=valid)
        negative = delta < 0
        clamped = negative & (delta >= -tolerance_us)
        suspect = negative & ~clamped
        seconds = delta / _US
        seconds[clamped] = 0.0
        seconds[~valid | suspect] = np.nan
        out[metric] = _Timing(seconds, clamped, suspect)
    return out


def timings(df: pd.DataFrame, *,
            skew_tolerance_seconds: Duration | float = DEFAULT_SKEW_TOLERANCE_SECONDS
            ) -> pd.DataFrame:
    """Per-run timings in seconds, with clock-skew flags.

    Formulas (current attempt's timestamps): ``queue_seconds = started_at -
    queued_at``, ``duration_seconds = finished_at - started_at``,
    ``turnaround_seconds = finished_at - created_at``, ``pickup_seconds =
    queued_at - created_at``. A metric is null when either timestamp is null
    (old runs, servers that never set ``queued_at``, a run canceled while
    queued has no ``started_at``, a run still in flight no ``finished_at``).
    A negative value within ``skew_tolerance_seconds`` of 0 is set to 0 and
    ``<metric>_clamped`` is True; a value further below 0 is set to null and
    ``<metric>_suspect`` is True.

    Args:
        df: a runs frame.
        skew_tolerance_seconds: largest negative amount taken as clock skew:
            a timedelta or a span such as ``"5s"`` (a number is seconds).

    Returns:
        A frame with ``df``'s index and the columns of ``TIMING_COLUMNS``:
        ``queue_seconds, duration_seconds, turnaround_seconds, pickup_seconds``
        (Float64), then ``<metric>_clamped, <metric>_suspect`` for each metric
        in that order (bool).

    Raises:
        SchemaError: a timestamp column is missing or not a datetime.
        UsageError: a negative or non-finite tolerance.

    Example:
        >>> import pandas as pd
        >>> t = lambda *s: pd.to_datetime(list(s), utc=True)
        >>> runs = pd.DataFrame({
        ...     "created_at": t("2026-01-05 10:00:00", "2026-01-05 11:00:00"),
        ...     "queued_at": t("2026-01-05 10:00:05", "2026-01-05 11:00:00"),
        ...     "started_at": t("2026-01-05 10:00:35", "2026-01-05 10:59:58"),
        ...     "finished_at": t("2026-01-05 10:05:35", None)})
        >>> got = runs.pipe(timings)
        >>> got["queue_seconds"].tolist(), got["queue_seconds_clamped"].tolist()
        ([30.0, 0.0], [False, True])
        >>> got["duration_seconds"].tolist()
        [300.0, <NA>]
    """
    require_columns(df, ["created_at", "queued_at", "started_at", "finished_at"],
                    where="timings")
    arrays = _timing_arrays(df, skew_tolerance_seconds)
    data: dict[str, Any] = {m: _float(arrays[m].values) for m in METRICS}
    for m in METRICS:
        data[f"{m}_clamped"] = arrays[m].clamped
        data[f"{m}_suspect"] = arrays[m].suspect
    return pd.DataFrame(data, index=df.index, columns=list(TIMING_COLUMNS))


def with_timings(df: pd.DataFrame, *,
                 skew_tolerance_seconds: Duration | float = DEFAULT_SKEW_TOLERANCE_SECONDS
                 ) -> pd.DataFrame:
    """A copy of ``df`` with the :func:`timings` columns appended (replaced if present).

    Args:
        df: a runs frame.
        skew_tolerance_seconds: as in :func:`timings`.

    Returns:
        ``df``'s columns (minus any old timing columns), then ``TIMING_COLUMNS``.

    Raises:
        SchemaError: a timestamp column is missing or not a datetime.

    Example:
        >>> import pandas as pd
        >>> t = lambda *s: pd.to_datetime(list(s), utc=True)
        >>> runs = pd.DataFrame({
        ...     "workflow_run_id": ["wr_1", "wr_2"],
        ...     "created_at": t("2026-01-05 10:00:00", "2026-01-05 11:00:00"),
        ...     "queued_at": t("2026-01-05 10:00:00", "2026-01-05 11:00:00"),
        ...     "started_at": t("2026-01-05 10:00:30", "2026-01-05 11:05:00"),
        ...     "finished_at": t("2026-01-05 10:05:00", "2026-01-05 11:06:00")})
        >>> runs.pipe(with_timings).query("queue_seconds > 60")["workflow_run_id"].tolist()
        ['wr_2']
    """
    added = timings(df, skew_tolerance_seconds=skew_tolerance_seconds)
    kept = df.drop(columns=[c for c in TIMING_COLUMNS if c in df.columns])
    return pd.concat([kept, added], axis=1)
