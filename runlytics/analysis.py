"""Analysis helpers for a runs frame: timings, latency, failures, mixes, throughput.

Every helper is a plain function ``f(df, *, option=...) -> DataFrame`` that works
with :meth:`pandas.DataFrame.pipe`, checks its input with :func:`require_columns`,
never mutates the input and returns a frame with a fixed, documented set of
columns (an empty frame with those columns for empty input). :func:`summary`
returns the headline figures as plain JSON-ready Python values.

Conventions shared by all helpers:

* **Timings** (:func:`timings`), in seconds, from the current attempt's
  timestamps: ``pickup_seconds = queued_at - created_at``,
  ``queue_seconds = started_at - queued_at``,
  ``duration_seconds = finished_at - started_at``,
  ``turnaround_seconds = finished_at - created_at``. Null when either end is
  null. (Under a retry policy the server clears ``started_at`` and
  ``finished_at`` when it queues a run again: timings describe the current
  attempt.) A negative value no further below 0 than ``skew_tolerance_seconds`` is
  clock skew between the database and the app hosts: it is clamped to 0 and
  flagged ``<metric>_clamped``. A value further below 0 is flagged
  ``<metric>_suspect``, set to null and never used in a statistic.
* **Statuses.** Final: ``schema.FINAL_STATUSES``. Open (still in flight):
  ``NON_FINAL_STATUSES`` (created, queued, running, paused). Failed:
  ``FAILURE_STATUSES`` (failed, terminated, timed_out; canceled is a user action,
  not a failure). A status runlytics does not know (e.g. ``archived``) is
  neither open, final nor failed: such runs count in ``runs`` only.
* **Percentiles** are numpy's default method (``linear``: the value at
  position ``q * (n - 1)`` of the sorted sample, interpolated linearly
  between neighbours), computed per group over the non-null values.
  ``mean`` is the arithmetic mean. With ``n == 0`` every statistic is null.
* **Groups.** ``by`` names one column or a list of columns; groups are sorted
  by their keys (categoricals in category order), a null key is a group of
  its own, sorted last, and key columns keep their input dtype. Only key
  combinations present in the data appear (``observed=True``).
* **Time buckets.** ``freq`` is a pandas offset alias (``"h"``, ``"D"``,
  ``"W"``, ``"MS"``, ``"15min"``, ...). A run belongs to the bucket holding its
  ``created_at`` seen in time zone ``tz``; the ``bucket`` column holds the
  bucket's start, tz-aware in ``tz``. Calendar buckets (days, weeks, months)
  follow the local calendar in ``tz`` (a day is midnight to midnight local
  time). Aliases anchored on a period's end select the same periods as in
  :meth:`pandas.DataFrame.resample` but are labelled by the period's start:
  ``"W"`` (= ``"W-SUN"``) is Monday to Sunday labelled by the Monday, ``"ME"``
  is a calendar month labelled by its first day. Fixed-length aliases (``"h"``,
  ``"15min"``) step in absolute time from the first bucket's local start. A
  local midnight that does not exist (a DST jump) starts its day at the first
  instant after it; a repeated one starts it at its first occurrence. Every
  bucket from the first to the last run's is present, with zero counts when
  no run falls in it; at most ``MAX_BUCKETS`` of them.
  Runs without ``created_at`` are left out of bucketed results.
* **now.** Ages of unfinished runs are measured up to ``now``: a timestamp
  (naive values are UTC), or None for the current time. Pass it explicitly
  when analysing a stored frame.
* **Labels.** Where a helper turns a categorical column into labels (mixes,
  failure categories), nulls become ``"unknown"`` (``"uncategorized"`` for a
  failed run without a failure category, since ``UNKNOWN`` is a real category).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, NamedTuple

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from pandas.tseries.frequencies import to_offset

from . import schema
from .errors import SchemaError, UsageError

__all__ = [
    "DEFAULT_MIN_GROWTH",
    "DEFAULT_QUEUED_THRESHOLD",
    "DEFAULT_RUNNING_THRESHOLD",
    "DEFAULT_SKEW_TOLERANCE_SECONDS",
    "DEFAULT_TREND_PERIOD",
    "FAILURE_STATUSES",
    "LATENCY_STATS",
    "MAX_BUCKETS",
    "METRICS",
    "NON_FINAL_STATUSES",
    "TIMING_COLUMNS",
    "UNCATEGORIZED",
    "UNKNOWN",
    "concurrency",
    "failure_breakdown",
    "failure_trends",
    "latency_summary",
    "require_columns",
    "status_mix",
    "stuck_runs",
    "success_rate",
    "summary",
    "throughput",
    "timings",
    "trigger_mix",
    "with_timings",
]

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
#: Statistic columns of :func:`latency_summary`, in order.
LATENCY_STATS = ("runs", "n", "unfinished", "suspect", "mean", "p50", "p90", "p95", "p99",
                 "max", "oldest_unfinished_age_seconds")

NON_FINAL_STATUSES = tuple(s for s in schema.STATUSES if s not in schema.FINAL_STATUSES)
FAILURE_STATUSES = ("failed", "terminated", "timed_out")
UNKNOWN = "unknown"
UNCATEGORIZED = "uncategorized"

DEFAULT_SKEW_TOLERANCE_SECONDS = 5.0
DEFAULT_QUEUED_THRESHOLD = pd.Timedelta(minutes=30)
DEFAULT_RUNNING_THRESHOLD = pd.Timedelta(hours=2)
DEFAULT_TREND_PERIOD = pd.Timedelta(days=7)
DEFAULT_MIN_GROWTH = 0.5
#: Most buckets one call may make (a guard against ``freq="s"`` over a year).
MAX_BUCKETS = 1_000_000

_QUANTILES = (0.5, 0.9, 0.95, 0.99)
_NAT = np.iinfo(np.int64).min
_US = 1_000_000
_STRING = pd.StringDtype("pyarrow")
_TREND_ORDER = ("new", "growing", "stable", "shrinking", "gone")


# -- input checks and conversions ----------------------------------------------

def require_columns(df: pd.DataFrame, columns: Sequence[str], *, where: str = "analysis") -> None:
    """Check that ``df`` is a DataFrame holding ``columns``, timestamps as datetimes.

    Args:
        df: the frame to check.
        columns: names that must be present. Those that are timestamp columns
            of :mod:`runlytics.schema` must have a ``datetime64`` dtype
            (tz-aware; naive values are read as UTC).
        where: the caller's name, used in the message.

    Returns:
        None.

    Raises:
        TypeError: ``df`` is not a DataFrame.
        SchemaError: a column is missing or a timestamp column is not a datetime.

    Example:
        >>> require_columns(empty_frame(), ["status", "created_at"])
    """
    if not isinstance(df, pd.DataFrame):
        raise TypeError(f"{where}: expected a pandas DataFrame, got {type(df).__name__}")
    missing = [c for c in dict.fromkeys(columns) if c not in df.columns]
    if missing:
        raise SchemaError(f"{where}: the frame lacks column(s) {', '.join(missing)}; "
                          f"build it with runlytics.runs_frame()", field=missing[0])
    for name in columns:
        if name in schema.TIMESTAMP_COLUMNS:
            dtype = df[name].dtype
            if not (isinstance(dtype, pd.DatetimeTZDtype)
                    or (isinstance(dtype, np.dtype) and dtype.kind == "M")):
                raise SchemaError(f"{where}: column {name} must be datetime64[us, UTC], "
                                  f"not {dtype}; build the frame with runlytics.runs_frame()",
                                  field=name)


def _by_list(by: str | Sequence[str] | None) -> list[str]:
    if by is None:
        return []
    if isinstance(by, str):
        return [by]
    cols = list(by)
    if not all(isinstance(c, str) for c in cols):
        raise UsageError(f"by must name columns (a string or a list of strings), got {by!r}")
    return cols


def _us(s: pd.Series) -> np.ndarray:
    """Timestamps as int64 microseconds since the epoch, UTC; NaT is _NAT."""
    if isinstance(s.dtype, pd.DatetimeTZDtype):
        s = s.dt.tz_convert(None)  # naive UTC, same values
    values = s.to_numpy()
    return values.astype("datetime64[us]", copy=False).view(np.int64)


def _ts_us(value: Any, what: str) -> int:
    try:
        ts = pd.Timestamp(value)
    except (TypeError, ValueError) as exc:
        raise UsageError(f"{what} must be a timestamp, got {value!r}") from exc
    if ts is pd.NaT:
        raise UsageError(f"{what} must be a timestamp, got {value!r}")
    if ts.tzinfo is None:
        ts = ts.tz_localize("UTC")
    return int(ts.value // 1000)


def _now_us(now: Any) -> int:
    return _ts_us(pd.Timestamp.now(tz="UTC") if now is None else now, "now")


def _seconds(value: Any, what: str) -> float:
    """A duration (Timedelta, timedelta, string or number of seconds) in seconds."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        seconds = float(value)
    else:
        try:
            seconds = pd.Timedelta(value).total_seconds()
        except (TypeError, ValueError) as exc:
            raise UsageError(f"{what} must be a duration such as '30min', got {value!r}") from exc
    if not math.isfinite(seconds):
        raise UsageError(f"{what} must be a finite duration, got {value!r}")
    return seconds


def _check_tz(tz: Any) -> Any:
    """The tzinfo for ``tz`` (None means UTC)."""
    try:
        return pd.Timestamp(0, tz="UTC" if tz is None else tz).tz
    except Exception as exc:  # pytz/zoneinfo raise several types
        raise UsageError(f"tz must be a time zone name such as 'UTC' or 'Europe/Paris', "
                         f"got {tz!r}") from exc


def _status_mask(df: pd.DataFrame, statuses: Sequence[str]) -> np.ndarray:
    return df["status"].isin(list(statuses)).to_numpy(dtype=bool)


def _to_datetime(us: np.ndarray, tz: Any = "UTC") -> pd.Series:
    values = pd.Series(np.asarray(us, dtype=np.int64).view("datetime64[us]"))
    return values.dt.tz_localize("UTC").dt.tz_convert(tz)


def _float(values: np.ndarray) -> pd.api.extensions.ExtensionArray:
    """float64 with NaN -> nullable Float64 with NA."""
    return pd.array(np.asarray(values, dtype=np.float64), dtype="Float64")


def _ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    out = np.full(np.shape(num), np.nan)
    np.divide(num, den, out=out, where=np.asarray(den) > 0)
    return out


def _strings(values: Sequence[Any] | np.ndarray) -> pd.api.extensions.ExtensionArray:
    return pd.array(np.asarray(values, dtype=object), dtype=_STRING)


# -- timings ----------------------------------------------------------------------

class _Timing(NamedTuple):
    values: np.ndarray  # float64 seconds, NaN where missing or suspect
    clamped: np.ndarray  # bool
    suspect: np.ndarray  # bool


def _timing_arrays(df: pd.DataFrame, tolerance: Any,
                   metrics: Sequence[str] = METRICS) -> dict[str, _Timing]:
    try:
        limit = float(tolerance)
    except (TypeError, ValueError):
        limit = math.nan
    if not (math.isfinite(limit) and limit >= 0):
        raise UsageError(f"skew_tolerance_seconds must be a number >= 0, got {tolerance!r}")
    tolerance_us = round(limit * _US)
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
            skew_tolerance_seconds: float = DEFAULT_SKEW_TOLERANCE_SECONDS) -> pd.DataFrame:
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
        skew_tolerance_seconds: largest negative amount, in seconds, taken as
            clock skew.

    Returns:
        A frame with ``df``'s index and the columns of ``TIMING_COLUMNS``:
        ``queue_seconds, duration_seconds, turnaround_seconds, pickup_seconds``
        (Float64), then ``<metric>_clamped, <metric>_suspect`` for each metric
        in that order (bool).

    Raises:
        SchemaError: a timestamp column is missing or not a datetime.
        UsageError: a negative or non-finite tolerance.

    Example:
        >>> runs.pipe(timings)["queue_seconds"].median()
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
                 skew_tolerance_seconds: float = DEFAULT_SKEW_TOLERANCE_SECONDS) -> pd.DataFrame:
    """A copy of ``df`` with the :func:`timings` columns appended (replaced if present).

    Args:
        df: a runs frame.
        skew_tolerance_seconds: as in :func:`timings`.

    Returns:
        ``df``'s columns (minus any old timing columns), then ``TIMING_COLUMNS``.

    Raises:
        SchemaError: a timestamp column is missing or not a datetime.

    Example:
        >>> runs.pipe(with_timings).query("queue_seconds > 60")
    """
    added = timings(df, skew_tolerance_seconds=skew_tolerance_seconds)
    kept = df.drop(columns=[c for c in TIMING_COLUMNS if c in df.columns])
    return pd.concat([kept, added], axis=1)


# -- grouping machinery -------------------------------------------------------------

class _Groups(NamedTuple):
    codes: np.ndarray  # int64 group of each row, -1 = in no group
    ngroups: int
    keys: pd.DataFrame  # one row per group: the by columns, then "bucket" if bucketed
    buckets: int  # buckets per key (1 without freq); group = key * buckets + bucket


def _key_groups(df: pd.DataFrame, by: list[str]) -> tuple[np.ndarray, int, pd.DataFrame]:
    """Codes of the observed combinations of ``by`` (sorted, nulls last) and their keys."""
    n = len(df)
    if not by:
        count = 1 if n else 0
        return np.zeros(n, dtype=np.int64), count, pd.DataFrame(index=range(count))
    if len(by) == 1:
        codes, uniques = pd.factorize(df[by[0]], sort=True)
        codes = codes.astype(np.int64, copy=False)
        take = np.arange(len(uniques))
        if (codes < 0).any():
            codes = np.where(codes < 0, len(uniques), codes)
            take = np.append(take, -1)
        values = pd.api.extensions.take(uniques.array, take, allow_fill=True)
        keys = pd.DataFrame({by[0]: pd.Series(values, dtype=df[by[0]].dtype)})
        return codes, len(take), keys
    combined = np.zeros(n, dtype=np.int64)
    for col in by:
        codes, uniques = pd.factorize(df[col], sort=True)
        cardinality = len(uniques) + 1
        if n and (int(combined.max()) + 1) * cardinality >= 2**62:
            combined = np.unique(combined, return_inverse=True)[1].astype(np.int64)
        combined = combined * cardinality + np.where(codes < 0, len(uniques), codes)
    uniq, first, inverse = np.unique(combined, return_index=True, return_inverse=True)
    keys = df[by].iloc[first].reset_index(drop=True)
    return inverse.astype(np.int64).reshape(-1), len(uniq), keys


def _start_offset(freq: Any) -> pd.DateOffset:
    """The offset whose dates are bucket starts (end-anchored aliases moved to starts)."""
    try:
        offset = to_offset(freq)
    except (TypeError, ValueError) as exc:
        raise UsageError(f"freq must be a pandas offset alias such as 'h', 'D', 'W' or 'MS', "
                         f"got {freq!r}") from exc
    if offset.n <= 0:
        raise UsageError(f"freq must be a positive period, got {freq!r}")
    if isinstance(offset, pd.offsets.Week) and offset.weekday is not None:
        return pd.offsets.Week(n=offset.n, weekday=(offset.weekday + 1) % 7)
    if type(offset) is pd.offsets.MonthEnd:
        return pd.offsets.MonthBegin(offset.n)
    if type(offset) is pd.offsets.QuarterEnd:
        return pd.offsets.QuarterBegin(offset.n, startingMonth=offset.startingMonth % 12 + 1)
    if type(offset) is pd.offsets.YearEnd:
        return pd.offsets.YearBegin(offset.n, month=offset.month % 12 + 1)
    return offset


def _edges(lo_us: int, hi_us: int, freq: Any, tz: Any) -> np.ndarray:
    """Bucket starts (int64 us, UTC) covering [lo, hi] for ``freq`` in time zone ``tz``."""
    offset = _start_offset(freq)
    lo = pd.Timestamp(lo_us, unit="us", tz="UTC").tz_convert(tz)
    hi = pd.Timestamp(hi_us, unit="us", tz="UTC").tz_convert(tz)
    if isinstance(offset, pd.offsets.Tick):
        step_us = pd.Timedelta(offset).value // 1000
        if step_us <= 0 or (hi_us - lo_us) // step_us + 2 > MAX_BUCKETS:
            raise UsageError(f"freq={freq!r} makes more than {MAX_BUCKETS:,} buckets over "
                             f"{lo} .. {hi}; choose a coarser freq")
        start = lo.floor(offset, ambiguous=bool(lo.dst()), nonexistent="shift_backward")
        index = pd.date_range(start=start, end=hi, freq=offset)
    else:
        # Calendar offsets: walk the local wall-clock calendar, then localize.
        if (hi_us - lo_us) / (86_400 * _US) / offset.n + 2 > MAX_BUCKETS:
            raise UsageError(f"freq={freq!r} makes more than {MAX_BUCKETS:,} buckets; "
                             f"choose a coarser freq")
        lo_wall = lo.tz_localize(None).normalize()
        if not isinstance(offset, pd.offsets.Day):
            lo_wall = offset.rollback(lo_wall)
        wall = pd.date_range(start=lo_wall, end=hi.tz_localize(None), freq=offset)
        # An ambiguous start (clocks going back) is its first occurrence, so the
        # bucket holds all of its wall-clock time; a missing one moves forward.
        index = wall.tz_localize(tz, ambiguous=np.ones(len(wall), dtype=bool),
                                 nonexistent="shift_forward")
    edges = np.unique(index.as_unit("us").asi8)
    if len(edges) == 0 or edges[0] > lo_us:  # a shifted first edge must still cover lo
        edges = np.concatenate([[lo_us], edges[edges > lo_us]])
    return edges


def _bucket(ts_us: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Index of each timestamp's bucket; -1 for NaT."""
    codes = np.searchsorted(edges, ts_us, side="right").astype(np.int64) - 1
    codes[ts_us == _NAT] = -1
    return codes


def _range(*arrays: np.ndarray) -> tuple[int, int] | None:
    lows, highs = [], []
    for a in arrays:
        valid = a[a != _NAT]
        if valid.size:
            lows.append(int(valid.min()))
            highs.append(int(valid.max()))
    return (min(lows), max(highs)) if lows else None


def _bucket_dtype(tz: Any) -> pd.DatetimeTZDtype:
    return pd.DatetimeTZDtype("us", _check_tz(tz))


def _groups(df: pd.DataFrame, by: list[str], freq: Any, tz: Any,
            times: dict[str, np.ndarray] | None = None) -> tuple[_Groups, dict[str, np.ndarray]]:
    """Groups of rows by ``by`` x bucket of ``created_at`` (full product of keys and buckets).

    With ``times`` (name -> int64 us arrays), the bucket range covers all of
    them and each is returned as group codes, so events other than creation
    can be counted in the same cells.
    """
    key_codes, key_count, keys = _key_groups(df, by)
    if freq is None:
        coded = {name: np.where(ts != _NAT, key_codes, -1) for name, ts in (times or {}).items()}
        return _Groups(key_codes, key_count, keys, 1), coded
    tz = _check_tz(tz)
    times = times if times is not None else {"created_at": _us(df["created_at"])}
    dtype = _bucket_dtype(tz)
    span = _range(*times.values())
    if span is None or key_count == 0:
        keys = keys.iloc[:0].reset_index(drop=True)
        keys["bucket"] = pd.Series([], dtype=dtype)
        empty = np.full(len(df), -1, dtype=np.int64)
        return _Groups(empty, 0, keys, 1), {name: empty for name in times}
    edges = _edges(span[0], span[1], freq, tz)
    nb = len(edges)
    if key_count * nb > 20 * MAX_BUCKETS:
        raise UsageError(f"{key_count:,} groups x {nb:,} buckets is too many cells; "
                         f"choose a coarser freq or fewer by columns")
    coded = {}
    for name, ts in times.items():
        b = _bucket(ts, edges)
        coded[name] = np.where(b >= 0, key_codes * nb + b, -1)
    keys = keys.take(np.repeat(np.arange(key_count), nb)).reset_index(drop=True)
    keys["bucket"] = _to_datetime(np.tile(edges, key_count), tz).astype(dtype).array
    first = next(iter(coded.values()))
    return _Groups(first, key_count * nb, keys, nb), coded


def _count(codes: np.ndarray, ngroups: int, mask: np.ndarray | None = None) -> np.ndarray:
    selected = codes if mask is None else codes[mask]
    return np.bincount(selected[selected >= 0], minlength=ngroups)[:ngroups].astype(np.int64)


def _grouped_stats(codes: np.ndarray, values: np.ndarray, ngroups: int, *,
                   value_order: np.ndarray | None = None) -> dict[str, np.ndarray]:
    """n, mean, p50, p90, p95, p99, max of ``values`` per group (NaN and code -1 skipped).

    ``value_order``, when given, is ``np.argsort`` of the kept values (a cache
    for callers that group the same values several ways).
    """
    keep = (codes >= 0) & ~np.isnan(values)
    g, v = codes[keep], values[keep]
    n = np.bincount(g, minlength=ngroups).astype(np.int64)
    out: dict[str, np.ndarray] = {"n": n}
    has = n > 0
    out["mean"] = _ratio(np.bincount(g, weights=v, minlength=ngroups), n)
    order = np.argsort(v) if value_order is None else value_order
    if ngroups > 1:
        small = g[order].astype(np.int16 if ngroups < 2**15 else np.int64)
        order = order[np.argsort(small, kind="stable")]
    ordered = v[order]
    end = np.cumsum(n)
    start = end - n
    size = n[has]
    for q in _QUANTILES:
        # numpy's "linear" method, step by step, so results match np.percentile.
        virtual = (size - 1) * q
        below = np.floor(virtual)
        gamma = virtual - below
        lo = np.clip(below.astype(np.int64), 0, size - 1)
        hi = np.clip(lo + 1, 0, size - 1)
        a, b = ordered[start[has] + lo], ordered[start[has] + hi]
        diff = b - a
        value = np.where(gamma >= 0.5, b - diff * (1 - gamma), a + diff * gamma)
        col = np.full(ngroups, np.nan)
        col[has] = value
        out[f"p{round(q * 100)}"] = col
    top = np.full(ngroups, np.nan)
    top[has] = ordered[end[has] - 1]
    out["max"] = top
    return out


def _group_max(codes: np.ndarray, values: np.ndarray, ngroups: int,
               mask: np.ndarray) -> np.ndarray:
    out = np.full(ngroups, -np.inf)
    keep = mask & (codes >= 0)
    np.maximum.at(out, codes[keep], values[keep])
    out[np.isinf(out)] = np.nan
    return out


# -- latency --------------------------------------------------------------------------

def _open_intervals(df: pd.DataFrame, metric: str, stamps: dict[str, np.ndarray],
                    open_status: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Rows whose ``metric`` interval has started but not ended, and its start (us)."""
    queued, started = stamps["queued_at"], stamps["started_at"]
    finished, created = stamps["finished_at"], stamps["created_at"]
    if metric == "queue_seconds":
        mask = open_status & (started == _NAT)
        anchor = np.where(queued != _NAT, queued, created)
    elif metric == "duration_seconds":
        mask = open_status & (started != _NAT) & (finished == _NAT)
        anchor = started
    elif metric == "turnaround_seconds":
        mask = open_status & (finished == _NAT)
        anchor = created
    else:
        mask = open_status & (queued == _NAT) & (started == _NAT)
        anchor = created
    return mask & (anchor != _NAT), anchor


def _latency_frame(df: pd.DataFrame, groups: _Groups, metrics: Sequence[str],
                   arrays: dict[str, _Timing], now_us: int,
                   orders: dict[str, np.ndarray] | None = None) -> pd.DataFrame:
    stamps = {c: _us(df[c]) for c in ("created_at", "queued_at", "started_at", "finished_at")}
    open_status = _status_mask(df, NON_FINAL_STATUSES)
    codes, ng = groups.codes, groups.ngroups
    runs = _count(codes, ng)
    table: dict[str, list[np.ndarray]] = {name: [] for name in LATENCY_STATS}
    for metric in metrics:
        stats = _grouped_stats(codes, arrays[metric].values, ng,
                               value_order=(orders or {}).get(metric))
        mask, anchor = _open_intervals(df, metric, stamps, open_status)
        ages = np.maximum(now_us - np.where(mask, anchor, now_us), 0) / _US
        table["runs"].append(runs)
        table["unfinished"].append(_count(codes, ng, mask))
        table["suspect"].append(_count(codes, ng, arrays[metric].suspect))
        table["oldest_unfinished_age_seconds"].append(_group_max(codes, ages, ng, mask))
        for name, values in stats.items():
            table[name].append(values)
    nm = len(metrics)
    keys = groups.keys.take(np.repeat(np.arange(ng), nm)).reset_index(drop=True)
    keys["metric"] = pd.Categorical.from_codes(np.tile(np.arange(nm), ng),
                                               categories=list(metrics))
    for name in LATENCY_STATS:
        stacked = np.stack(table[name], axis=1).reshape(-1)  # group-major, metric-minor
        if name in ("runs", "n", "unfinished", "suspect"):
            keys[name] = stacked.astype(np.int64)
        else:
            keys[name] = _float(stacked)
    return keys


def latency_summary(df: pd.DataFrame, *, by: str | Sequence[str] | None = None,
                    freq: Any = None, tz: Any = "UTC", now: Any = None,
                    metrics: Sequence[str] = ("queue_seconds", "duration_seconds"),
                    skew_tolerance_seconds: float = DEFAULT_SKEW_TOLERANCE_SECONDS,
                    ) -> pd.DataFrame:
    """Latency statistics per group (long layout: one row per group and metric).

    Statistics are over the runs whose metric is known (see :func:`timings`;
    suspect values excluded, clamped ones counted as 0): ``mean`` is the
    arithmetic mean, ``pXX`` the XXth percentile by linear interpolation
    (numpy's default: position ``q * (n - 1)`` of the sorted values), ``max``
    the largest value. Runs whose interval
    has started but not ended are not in the statistics; they are counted in
    ``unfinished`` with the age of the oldest one as of ``now``, so a backlog
    shows even when every finished run was quick. Unfinished, per metric, for
    a run with an open status (created, queued, running, paused):
    ``queue_seconds``: not started yet, age from ``queued_at`` (from
    ``created_at`` when not queued yet); ``duration_seconds``: started, not
    finished, age from ``started_at``; ``turnaround_seconds``: not finished,
    age from ``created_at``; ``pickup_seconds``: neither queued nor started,
    age from ``created_at``.

    Args:
        df: a runs frame.
        by: column(s) to group by, e.g. ``"workflow_permanent_id"``,
            ``"trigger_type"``, ``"status"``; None for all runs together.
        freq: bucket ``created_at`` by this offset alias; None for no buckets.
        tz: time zone of the bucket boundaries and labels.
        now: the time ages are measured to; None for the current time.
        metrics: which timings to summarise, any of ``METRICS``.
        skew_tolerance_seconds: as in :func:`timings`.

    Returns:
        Columns: the ``by`` columns, ``bucket`` (with ``freq``), ``metric``
        (category of ``metrics``), then ``LATENCY_STATS``: ``runs`` (runs in
        the group), ``n`` (values used), ``unfinished``, ``suspect`` (values
        excluded as clock skew), ``mean, p50, p90, p95, p99, max`` (seconds,
        Float64, null when n == 0), ``oldest_unfinished_age_seconds`` (null
        when none). Sorted by group, then metric in the order given.

    Raises:
        SchemaError: a needed column is missing.
        UsageError: an unknown metric, a bad ``freq``, ``tz`` or ``now``.

    Example:
        >>> runs.pipe(latency_summary, by="workflow_permanent_id", now=now)
    """
    by_cols = _by_list(by)
    metrics = list(dict.fromkeys([metrics] if isinstance(metrics, str) else metrics))
    unknown = [m for m in metrics if m not in METRICS]
    if unknown or not metrics:
        raise UsageError(f"metrics must be some of {', '.join(METRICS)}, got {metrics!r}")
    require_columns(df, ["status", "created_at", "queued_at", "started_at", "finished_at",
                         *by_cols], where="latency_summary")
    now_us = _now_us(now)
    arrays = _timing_arrays(df, skew_tolerance_seconds, metrics)
    groups, _ = _groups(df, by_cols, freq, tz)
    return _latency_frame(df, groups, metrics, arrays, now_us)


# -- failures ---------------------------------------------------------------------------

def _failure_labels(df: pd.DataFrame, rows: np.ndarray,
                    all_categories: bool) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """(row, label) pairs for the failed ``rows``: primary or every distinct category.

    Rows with no category get ``UNCATEGORIZED``. Returns the pair rows, the
    pair label codes and the labels.
    """
    if not all_categories:
        values = df["primary_failure_category"].take(rows)
        codes, uniques = pd.factorize(values, sort=True)
        labels = [str(u) for u in uniques]
        codes = codes.astype(np.int64, copy=False)
        if (codes < 0).any():
            codes = _merge_label(codes, labels, UNCATEGORIZED)
        return rows, codes, labels
    column = df["failure_category"]
    if isinstance(column.dtype, pd.ArrowDtype):
        lists = pa.array(column.array)
    else:
        lists = pa.array(column.tolist(), type=pa.list_(schema.FAILURE_ENTRY), from_pandas=True)
    if isinstance(lists, pa.ChunkedArray):
        lists = lists.combine_chunks()
    lists = lists.take(pa.array(rows))
    parents = pc.list_parent_indices(lists).to_numpy(zero_copy_only=False).astype(np.int64)
    flat = pc.list_flatten(lists)
    cats = pc.struct_field(flat, "category") if len(flat) else pa.array([], pa.string())
    valid = cats.is_valid().to_numpy(zero_copy_only=False)
    parents = parents[valid]
    codes, uniques = pd.factorize(pd.Series(cats.filter(pa.array(valid)),
                                            dtype=_STRING), sort=True)
    labels = [str(u) for u in uniques]
    codes = codes.astype(np.int64, copy=False)
    # A run counts once per distinct category. Parents come sorted, so sorting
    # the pair keys only reorders within a run and is cheap.
    width = max(len(labels), 1)
    pair = np.sort(parents * width + codes)
    if len(pair):
        pair = pair[np.append(True, pair[1:] != pair[:-1])]
    parents, codes = pair // width, pair % width
    has_category = np.zeros(len(rows), dtype=bool)
    has_category[parents] = True
    bare = np.flatnonzero(~has_category)
    if bare.size:
        parents = np.concatenate([parents, bare])
        codes = _merge_label(np.concatenate([codes, np.full(bare.size, -1)]), labels,
                             UNCATEGORIZED)
    return rows[parents], codes, labels


def _merge_label(codes: np.ndarray, labels: list[str], label: str) -> np.ndarray:
    """Replace code -1 by the code of ``label`` (appended to ``labels`` when new)."""
    if label in labels:
        index = labels.index(label)
    else:
        index = len(labels)
        labels.append(label)
    return np.where(codes < 0, index, codes)


def _pair_counts(a: np.ndarray, na: int, b: np.ndarray, nb: int
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Non-zero counts of the pairs (a, b): (a values, b values, counts)."""
    key = a.astype(np.int64) * nb + b
    if na * nb <= 1 << 22:
        counts = np.bincount(key, minlength=na * nb)
        nonzero = np.flatnonzero(counts)
        return nonzero // nb, nonzero % nb, counts[nonzero].astype(np.int64)
    uniq, counts = np.unique(key, return_counts=True)
    return uniq // nb, uniq % nb, counts.astype(np.int64)


def _lookup(keys: np.ndarray, values: np.ndarray, wanted: np.ndarray) -> np.ndarray:
    """values[keys == w] for each w of ``wanted`` (0 when absent); ``keys`` sorted."""
    if not len(keys):
        return np.zeros(len(wanted), dtype=values.dtype)
    pos = np.clip(np.searchsorted(keys, wanted), 0, len(keys) - 1)
    return np.where(keys[pos] == wanted, values[pos], 0)


def _label_rank(labels: list[str]) -> np.ndarray:
    rank = np.empty(len(labels), dtype=np.int64)
    rank[np.argsort(np.array(labels, dtype=object), kind="stable")] = np.arange(len(labels))
    return rank


def failure_breakdown(df: pd.DataFrame, *, by: str | Sequence[str] | None = None,
                      freq: Any = None, tz: Any = "UTC",
                      all_categories: bool = False) -> pd.DataFrame:
    """Failed runs per failure category: counts and shares.

    A failed run is one whose status is in ``FAILURE_STATUSES`` (failed,
    terminated, timed_out; canceled and completed runs are not counted even
    when they carry a category). With ``all_categories=False`` a failed run
    counts once, under its primary (first) category; with True it counts once
    under each distinct category of its ``failure_category`` list, so shares
    can add up to more than 1. A failed run without a category counts under
    ``"uncategorized"``. ``share_of_failures = count / failures`` and
    ``share_of_runs = count / runs`` (null when the denominator is 0).

    Args:
        df: a runs frame.
        by: column(s) to group by, e.g. ``"workflow_permanent_id"``.
        freq: bucket ``created_at`` by this offset alias; None for no buckets.
        tz: time zone of the bucket boundaries and labels.
        all_categories: count every category of a run, not only the primary one.

    Returns:
        Columns: the ``by`` columns, ``bucket`` (with ``freq``), ``category``
        (string), ``count``, ``failures`` (failed runs in the group),
        ``runs`` (all runs in the group), ``share_of_failures``,
        ``share_of_runs`` (Float64). One row per group and category seen in
        it; with ``freq`` each category seen in a ``by`` group has a row in
        every bucket (zero counts included). Groups without failed runs have
        no rows. Sorted by group, bucket, count descending, then category.

    Raises:
        SchemaError: a needed column is missing.
        UsageError: a bad ``freq`` or ``tz``.

    Example:
        >>> runs.pipe(failure_breakdown, by="workflow_permanent_id")
    """
    by_cols = _by_list(by)
    needed = ["status", "failure_category" if all_categories else "primary_failure_category",
              *by_cols]
    require_columns(df, needed + (["created_at"] if freq is not None else []),
                    where="failure_breakdown")
    groups, _ = _groups(df, by_cols, freq, tz)
    codes, ng = groups.codes, groups.ngroups
    failed = _status_mask(df, FAILURE_STATUSES) & (codes >= 0)
    runs = _count(codes, ng)
    failures = _count(codes, ng, failed)
    rows, label_codes, labels = _failure_labels(df, np.flatnonzero(failed), all_categories)
    nl = max(len(labels), 1)
    cell, label, count = _pair_counts(codes[rows], ng, label_codes, nl)
    if freq is not None and len(cell):
        # Every (by group, category) seen gets a row in each bucket of the range.
        nb = groups.buckets
        seen = np.unique((cell // nb) * nl + label)
        full_cell = ((seen // nl)[:, None] * nb + np.arange(nb)[None, :]).reshape(-1)
        full_label = np.repeat(seen % nl, nb)
        count = _lookup(cell * nl + label, count, full_cell * nl + full_label)
        cell, label = full_cell, full_label
    order = np.lexsort((_label_rank(labels)[label] if labels else label, -count, cell))
    cell, label, count = cell[order], label[order], count[order]
    out = groups.keys.take(cell).reset_index(drop=True)
    out["category"] = _strings(np.array(labels, dtype=object)[label] if labels else [])
    out["count"] = count
    out["failures"] = failures[cell]
    out["runs"] = runs[cell]
    out["share_of_failures"] = _float(_ratio(count, failures[cell]))
    out["share_of_runs"] = _float(_ratio(count, runs[cell]))
    return out


def failure_trends(df: pd.DataFrame, *, period: Any = DEFAULT_TREND_PERIOD, now: Any = None,
                   all_categories: bool = False,
                   min_growth: float = DEFAULT_MIN_GROWTH) -> pd.DataFrame:
    """Failure categories in the latest period against the previous one.

    The latest period is ``[now - period, now)``, the previous one
    ``[now - 2 * period, now - period)``, by ``created_at``. Failed runs and
    categories are counted as in :func:`failure_breakdown`. ``share_* = count /
    runs`` of the period, so a category does not "grow" only because traffic
    did; ``change = share_latest - share_previous``. ``trend`` is ``new`` (none
    in the previous period, some in the latest), ``gone`` (the reverse),
    ``growing`` when ``share_latest >= share_previous * (1 + min_growth)``,
    ``shrinking`` when ``share_latest * (1 + min_growth) <= share_previous``,
    else ``stable``. A previous period without any run makes every category
    ``new``: check ``runs_previous``.

    Args:
        df: a runs frame.
        period: length of each period (Timedelta, string like ``"7D"``, or seconds).
        now: end of the latest period; None for the current time.
        all_categories: count every category of a run, not only the primary one.
        min_growth: relative change in share that counts as growing or shrinking.

    Returns:
        Columns: ``category`` (string), ``trend`` (string), ``count_latest``,
        ``count_previous``, ``failures_latest``, ``failures_previous``,
        ``runs_latest``, ``runs_previous`` (int64), ``share_latest``,
        ``share_previous``, ``change`` (Float64). One row per category seen
        in either period, sorted new, growing, stable, shrinking, gone, then
        by count_latest descending and category. Filter with
        ``trend.isin(["new", "growing"])`` for what needs attention.

    Raises:
        SchemaError: a needed column is missing.
        UsageError: a period that is not a positive duration, a bad ``now``.

    Example:
        >>> runs.pipe(failure_trends, period="1D", now=now).query("trend == 'new'")
    """
    require_columns(df, ["status", "created_at",
                         "failure_category" if all_categories else "primary_failure_category"],
                    where="failure_trends")
    period_us = round(_seconds(period, "period") * _US)
    if period_us <= 0:
        raise UsageError(f"period must be a positive duration, got {period!r}")
    growth = float(min_growth)
    if not (math.isfinite(growth) and growth >= 0):
        raise UsageError(f"min_growth must be a number >= 0, got {min_growth!r}")
    now_us = _now_us(now)
    created = _us(df["created_at"])
    window = np.full(len(df), -1, dtype=np.int64)
    window[(created >= now_us - 2 * period_us) & (created < now_us - period_us)] = 0
    window[(created >= now_us - period_us) & (created < now_us)] = 1
    window[created == _NAT] = -1
    runs = _count(window, 2)
    failed = _status_mask(df, FAILURE_STATUSES) & (window >= 0)
    failures = _count(window, 2, failed)
    rows, label_codes, labels = _failure_labels(df, np.flatnonzero(failed), all_categories)
    nl = len(labels)
    counts = np.bincount(label_codes * 2 + window[rows], minlength=2 * nl).reshape(nl, 2)
    latest, previous = counts[:, 1].astype(np.int64), counts[:, 0].astype(np.int64)
    share_latest, share_previous = _ratio(latest, np.full(nl, runs[1])), _ratio(
        previous, np.full(nl, runs[0]))
    trend = np.full(nl, 2, dtype=np.int64)  # stable
    both = (latest > 0) & (previous > 0)
    with np.errstate(invalid="ignore"):
        trend[both & (share_latest >= share_previous * (1 + growth))] = 1
        trend[both & (share_latest * (1 + growth) <= share_previous)] = 3
    trend[(previous == 0) & (latest > 0)] = 0
    trend[(latest == 0) & (previous > 0)] = 4
    order = np.lexsort((_label_rank(labels), -latest, trend))
    names: Any = np.array(labels, dtype=object)[order] if nl else []
    return pd.DataFrame({
        "category": _strings(names),
        "trend": _strings(np.array(_TREND_ORDER, dtype=object)[trend[order]]),
        "count_latest": latest[order],
        "count_previous": previous[order],
        "failures_latest": np.full(nl, failures[1], dtype=np.int64),
        "failures_previous": np.full(nl, failures[0], dtype=np.int64),
        "runs_latest": np.full(nl, runs[1], dtype=np.int64),
        "runs_previous": np.full(nl, runs[0], dtype=np.int64),
        "share_latest": _float(share_latest[order]),
        "share_previous": _float(share_previous[order]),
        "change": _float((share_latest - share_previous)[order]),
    })


# -- mixes, success rate, throughput ---------------------------------------------------

def _labels(values: pd.Series, missing: str = UNKNOWN) -> tuple[np.ndarray, list[str]]:
    """Label code of each value (categories in order, sorted otherwise; null -> missing)."""
    codes, uniques = pd.factorize(values, sort=True)
    labels = [str(u) for u in uniques]
    codes = codes.astype(np.int64, copy=False)
    if (codes < 0).any():
        codes = _merge_label(codes, labels, missing)
    return codes, labels


def _mix(df: pd.DataFrame, column: str, by: str | Sequence[str] | None, freq: Any, tz: Any,
         where: str) -> pd.DataFrame:
    by_cols = _by_list(by)
    require_columns(df, [column, *by_cols] + (["created_at"] if freq is not None else []),
                    where=where)
    groups, _ = _groups(df, by_cols, freq, tz)
    codes, ng = groups.codes, groups.ngroups
    label_codes, labels = _labels(df[column])
    nl = len(labels)
    runs = _count(codes, ng)
    valid = codes >= 0
    counts = np.bincount(codes[valid] * nl + label_codes[valid], minlength=ng * nl)[: ng * nl]
    cell, label = np.repeat(np.arange(ng), nl), np.tile(np.arange(nl), ng)
    out = groups.keys.take(cell).reset_index(drop=True)
    out[column] = _strings(np.array(labels, dtype=object)[label] if nl else [])
    out["count"] = counts.astype(np.int64)
    out["runs"] = runs[cell]
    out["share"] = _float(_ratio(counts, runs[cell]))
    return out


def trigger_mix(df: pd.DataFrame, *, freq: Any = "D", tz: Any = "UTC",
                by: str | Sequence[str] | None = None) -> pd.DataFrame:
    """Runs per trigger type and their share, per time bucket.

    ``share = count / runs`` of the bucket (null for an empty bucket). Null
    trigger types (old runs) show as ``"unknown"``; trigger types runlytics does
    not know are kept under their own name.

    Args:
        df: a runs frame.
        freq: bucket ``created_at`` by this offset alias; None for one overall mix.
        tz: time zone of the bucket boundaries and labels.
        by: optional column(s) to split by as well.

    Returns:
        Columns: the ``by`` columns, ``bucket`` (with ``freq``),
        ``trigger_type`` (string), ``count``, ``runs`` (int64), ``share``
        (Float64). Every bucket has a row for every trigger type seen in
        ``df``, in category order with ``"unknown"`` last.

    Raises:
        SchemaError: a needed column is missing.
        UsageError: a bad ``freq`` or ``tz``.

    Example:
        >>> runs.pipe(trigger_mix, freq="D").pivot(index="bucket", columns="trigger_type",
        ...                                         values="share")
    """
    return _mix(df, "trigger_type", by, freq, tz, "trigger_mix")


def status_mix(df: pd.DataFrame, *, freq: Any = "D", tz: Any = "UTC",
               by: str | Sequence[str] | None = None) -> pd.DataFrame:
    """Runs per status and their share, per time bucket.

    Same rules and layout as :func:`trigger_mix`, for the current ``status``
    (unknown statuses such as ``archived`` kept under their own name).

    Args:
        df: a runs frame.
        freq: bucket ``created_at`` by this offset alias; None for one overall mix.
        tz: time zone of the bucket boundaries and labels.
        by: optional column(s) to split by as well.

    Returns:
        Columns: the ``by`` columns, ``bucket`` (with ``freq``), ``status``
        (string), ``count``, ``runs`` (int64), ``share`` (Float64).

    Raises:
        SchemaError: a needed column is missing.
        UsageError: a bad ``freq`` or ``tz``.

    Example:
        >>> runs.pipe(status_mix, freq="W")
    """
    return _mix(df, "status", by, freq, tz, "status_mix")


def success_rate(df: pd.DataFrame, *, by: str | Sequence[str] | None = None, freq: Any = None,
                 tz: Any = "UTC", include_canceled: bool = False) -> pd.DataFrame:
    """Share of finished runs that completed.

    ``success_rate = n_completed / n_finished`` where ``n_completed`` counts
    status ``completed`` and ``n_finished`` counts the final statuses
    (completed, failed, terminated, timed_out, and canceled only with
    ``include_canceled=True``). Runs still in flight and unknown statuses are
    excluded from both. Null when ``n_finished == 0``.

    Args:
        df: a runs frame.
        by: column(s) to group by, e.g. ``"workflow_permanent_id"``.
        freq: bucket ``created_at`` by this offset alias; None for no buckets.
        tz: time zone of the bucket boundaries and labels.
        include_canceled: count canceled runs as finished (and not successful).

    Returns:
        Columns: the ``by`` columns, ``bucket`` (with ``freq``), ``runs``
        (all runs in the group), ``n_completed``, ``n_finished`` (int64),
        ``success_rate`` (Float64).

    Raises:
        SchemaError: a needed column is missing.
        UsageError: a bad ``freq`` or ``tz``.

    Example:
        >>> runs.pipe(success_rate, by="workflow_permanent_id", freq="D")
    """
    by_cols = _by_list(by)
    require_columns(df, ["status", *by_cols] + (["created_at"] if freq is not None else []),
                    where="success_rate")
    groups, _ = _groups(df, by_cols, freq, tz)
    out = groups.keys.copy()
    completed, finished = _success_counts(df, groups, include_canceled)
    out["runs"] = _count(groups.codes, groups.ngroups)
    out["n_completed"] = completed
    out["n_finished"] = finished
    out["success_rate"] = _float(_ratio(completed, finished))
    return out


def _success_counts(df: pd.DataFrame, groups: _Groups,
                    include_canceled: bool) -> tuple[np.ndarray, np.ndarray]:
    final = [s for s in schema.FINAL_STATUSES if include_canceled or s != "canceled"]
    completed = _count(groups.codes, groups.ngroups, _status_mask(df, ["completed"]))
    finished = _count(groups.codes, groups.ngroups, _status_mask(df, final))
    return completed, finished


def throughput(df: pd.DataFrame, *, freq: Any = "D", tz: Any = "UTC",
               by: str | Sequence[str] | None = None) -> pd.DataFrame:
    """Runs created, started and finished per time bucket.

    Each run counts in the bucket of each of its timestamps: ``created`` by
    ``created_at``, ``started`` by ``started_at``, ``finished`` by
    ``finished_at`` (a null timestamp is not counted). The buckets span every
    one of these timestamps.

    Args:
        df: a runs frame.
        freq: bucket size as an offset alias; None for totals.
        tz: time zone of the bucket boundaries and labels.
        by: optional column(s) to split by as well.

    Returns:
        Columns: the ``by`` columns, ``bucket`` (with ``freq``), ``created``,
        ``started``, ``finished`` (int64).

    Raises:
        SchemaError: a needed column is missing.
        UsageError: a bad ``freq`` or ``tz``.

    Example:
        >>> runs.pipe(throughput, freq="h")
    """
    by_cols = _by_list(by)
    require_columns(df, ["created_at", "started_at", "finished_at", *by_cols],
                    where="throughput")
    times = {"created": _us(df["created_at"]), "started": _us(df["started_at"]),
             "finished": _us(df["finished_at"])}
    groups, coded = _groups(df, by_cols, freq, tz, times=times)
    out = groups.keys.copy()
    for name in times:
        out[name] = _count(coded[name], groups.ngroups)
    return out


# -- concurrency and stuck runs -------------------------------------------------------------

def _step_series(df: pd.DataFrame, now_us: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Times of change (<= now) and the queued and running counts just after each."""
    stamps = {c: _us(df[c]) for c in ("queued_at", "started_at", "finished_at")}
    queued, started, finished = stamps["queued_at"], stamps["started_at"], stamps["finished_at"]
    open_status = _status_mask(df, NON_FINAL_STATUSES)
    q_end = np.where(started != _NAT, started, finished)
    q_ok = (queued != _NAT) & ((q_end != _NAT) | open_status)
    r_ok = (started != _NAT) & ((finished != _NAT) | open_status)
    # Intervals of no time (or negative, from clock skew) never count; open ones never end.
    q_ok &= (q_end == _NAT) | (q_end > queued)
    r_ok &= (finished == _NAT) | (finished > started)
    q_start, q_end = queued[q_ok], q_end[q_ok]
    r_start, r_end = started[r_ok], finished[r_ok]
    q_end, r_end = q_end[q_end != _NAT], r_end[r_end != _NAT]
    # Sort times and event kinds together: kind in the two low bits.
    events = np.concatenate([q_start * 4, q_end * 4 + 1, r_start * 4 + 2, r_end * 4 + 3])
    events.sort()
    kinds = events & 3
    times = events >> 2
    dq = np.array([1, -1, 0, 0], dtype=np.int64)[kinds]
    dr = np.array([0, 0, 1, -1], dtype=np.int64)[kinds]
    queued_n, running_n = np.cumsum(dq), np.cumsum(dr)
    last = np.ones(len(times), dtype=bool)
    last[:-1] = times[1:] != times[:-1]
    keep = last & (times <= now_us)
    times, queued_n, running_n = times[keep], queued_n[keep], running_n[keep]
    # Keep only instants where a count changes (a run leaving as another arrives does not).
    changed = np.ones(len(times), dtype=bool)
    changed[1:] = (queued_n[1:] != queued_n[:-1]) | (running_n[1:] != running_n[:-1])
    if len(times):
        changed[0] = queued_n[0] != 0 or running_n[0] != 0
    return times[changed], queued_n[changed], running_n[changed]


def _value_at(times: np.ndarray, values: np.ndarray, at: np.ndarray) -> np.ndarray:
    idx = np.searchsorted(times, at, side="right") - 1
    return np.where(idx >= 0, values[np.clip(idx, 0, None)] if len(values) else 0, 0)


def _window_max(times: np.ndarray, values: np.ndarray, at: np.ndarray) -> np.ndarray:
    """Max of the step function over [at[i], at[i+1]) (the last: to the end)."""
    result = _value_at(times, values, at)
    starts = np.searchsorted(times, at, side="left")
    ends = np.append(starts[1:], len(times))
    nonempty = ends > starts
    if nonempty.any():
        bounds = np.append(starts[nonempty], ends[nonempty][-1])
        padded = np.append(values, 0)
        segment = np.maximum.reduceat(padded, bounds)[:-1]
        result[nonempty] = np.maximum(result[nonempty], segment)
    return result


def concurrency(df: pd.DataFrame, *, freq: Any = None, points: Any = None, tz: Any = "UTC",
                now: Any = None) -> pd.DataFrame:
    """Runs queued and running over time, rebuilt from the timestamps.

    A run is queued from ``queued_at`` until ``started_at`` (or ``finished_at``
    when canceled or failed while queued) and running from ``started_at``
    until ``finished_at`` (paused runs count as running). An interval whose
    end is null counts until ``now`` when the run's status is open (created,
    queued, running, paused); a final run with a null end (the stuck-run
    sweeper's ``timed_out``) is left out, as its end is unknown. A run without
    ``queued_at`` (old servers) is never counted as queued. Intervals are
    half-open ``[start, end)``; an end before its start (clock skew) counts
    as no time.

    Args:
        df: a runs frame.
        freq: sample at the start of each bucket of this offset alias, from
            the first event's bucket to ``now``'s.
        points: sample at these instants instead (naive values are UTC).
        tz: time zone of the ``time`` column and of ``freq`` buckets.
        now: end of open intervals; None for the current time.

    Returns:
        Columns: ``time`` (datetime in ``tz``), ``queued``, ``running`` (runs
        in each state at that instant, events at the instant included),
        ``queued_max``, ``running_max`` (the most at any instant from this
        row's time until the next row's, or until ``now`` for the last row).
        Without ``freq`` and ``points``: one row at every instant where a
        count changes, plus ``now``.

    Raises:
        SchemaError: a needed column is missing.
        UsageError: both ``freq`` and ``points``, or a bad ``freq``, ``tz`` or ``now``.

    Example:
        >>> runs.pipe(concurrency, freq="h", now=now)["running_max"].max()
    """
    require_columns(df, ["status", "queued_at", "started_at", "finished_at"],
                    where="concurrency")
    if freq is not None and points is not None:
        raise UsageError("give freq or points, not both")
    tz = _check_tz(tz)
    dtype = _bucket_dtype(tz)
    now_us = _now_us(now)
    if len(df):
        times, queued_n, running_n = _step_series(df, now_us)
    else:
        times = queued_n = running_n = np.zeros(0, dtype=np.int64)
    if points is None and freq is None:
        # Every change: the step function itself (constant until the next row), plus now.
        if len(df) and (not len(times) or times[-1] != now_us):
            last_q, last_r = (queued_n[-1], running_n[-1]) if len(times) else (0, 0)
            times = np.append(times, now_us)
            queued_n, running_n = np.append(queued_n, last_q), np.append(running_n, last_r)
        return pd.DataFrame({
            "time": _to_datetime(times, tz).astype(dtype).array,
            "queued": queued_n, "running": running_n,
            "queued_max": queued_n.copy(), "running_max": running_n.copy(),
        })
    if points is not None:
        at = np.unique(np.array([_ts_us(p, "points") for p in points], dtype=np.int64))
    elif len(df):
        at = _edges(int(times[0]) if len(times) else now_us, now_us, freq, tz)
    else:
        at = np.zeros(0, dtype=np.int64)
    return pd.DataFrame({
        "time": _to_datetime(at, tz).astype(dtype).array,
        "queued": _value_at(times, queued_n, at).astype(np.int64),
        "running": _value_at(times, running_n, at).astype(np.int64),
        "queued_max": _window_max(times, queued_n, at).astype(np.int64),
        "running_max": _window_max(times, running_n, at).astype(np.int64),
    })


def _stuck(df: pd.DataFrame, now_us: int, queued_threshold: Any,
           running_threshold: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Stuck mask, stage (0 queued, 1 running) and since (us) of every row."""
    q_limit = _seconds(queued_threshold, "queued_threshold")
    r_limit = _seconds(running_threshold, "running_threshold")
    created, queued, started = (_us(df[c]) for c in ("created_at", "queued_at", "started_at"))
    open_status = _status_mask(df, NON_FINAL_STATUSES)
    waiting = open_status & (started == _NAT)
    since = np.where(waiting, np.where(queued != _NAT, queued, created), started)
    if "next_attempt_at" in df.columns:
        # A retry that is not due yet is waiting on purpose: count from when it is due.
        due = _us(df["next_attempt_at"])
        since = np.where(waiting & (due != _NAT), np.maximum(since, due), since)
    age = np.where(since != _NAT, (now_us - np.where(since != _NAT, since, now_us)) / _US, np.nan)
    with np.errstate(invalid="ignore"):
        stuck = open_status & (since != _NAT) & (
            (waiting & (age > q_limit)) | (~waiting & (age > r_limit)))
    return stuck, np.where(waiting, 0, 1), since


def stuck_runs(df: pd.DataFrame, *, now: Any,
               queued_threshold: Any = DEFAULT_QUEUED_THRESHOLD,
               running_threshold: Any = DEFAULT_RUNNING_THRESHOLD) -> pd.DataFrame:
    """Runs waiting or running for longer than a threshold as of ``now``, newest first.

    A run with an open status (created, queued, running, paused) that has not
    started is stuck when ``now - since > queued_threshold`` with ``since`` =
    ``queued_at`` (``created_at`` when not queued yet; a pending retry's
    ``next_attempt_at`` when that is later). One that has started (running or
    paused) is stuck when ``now - started_at > running_threshold``. Final and
    unknown statuses are never stuck.

    Args:
        df: a runs frame.
        now: the time ages are measured to (naive values are UTC).
        queued_threshold: longest normal wait (Timedelta, string or seconds).
        running_threshold: longest normal run (Timedelta, string or seconds).

    Returns:
        Columns: ``workflow_run_id``, ``workflow_permanent_id``,
        ``workflow_title``, ``status``, ``created_at`` (as in ``df``),
        ``stage`` (``"queued"`` or ``"running"``), ``since`` (datetime UTC),
        ``age_seconds`` (Float64). The index holds the rows' labels in ``df``;
        sorted by ``created_at`` descending.

    Raises:
        SchemaError: a needed column is missing.
        UsageError: a bad ``now`` or threshold.

    Example:
        >>> runs.pipe(stuck_runs, now=pd.Timestamp.now(tz="UTC"), queued_threshold="10min")
    """
    columns = ["workflow_run_id", "workflow_permanent_id", "workflow_title", "status",
               "created_at"]
    require_columns(df, [*columns, "queued_at", "started_at"], where="stuck_runs")
    now_us = _ts_us(now, "now")
    stuck, stage, since = _stuck(df, now_us, queued_threshold, running_threshold)
    rows = np.flatnonzero(stuck)
    rows = rows[np.argsort(-_us(df["created_at"])[rows], kind="stable")]
    out = df[columns].iloc[rows].copy()
    out["stage"] = _strings(np.array(["queued", "running"], dtype=object)[stage[rows]])
    out["since"] = _to_datetime(since[rows]).array
    out["age_seconds"] = _float((now_us - since[rows]) / _US)
    return out


# -- summary --------------------------------------------------------------------------------

def _py(value: Any) -> Any:
    """numpy/pandas scalar -> plain Python; NaN and NA -> None."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, np.integer | int) and not isinstance(value, bool):
        return int(value)
    if isinstance(value, np.floating | float):
        return float(value) if math.isfinite(value) else None
    if isinstance(value, np.bool_ | bool):
        return bool(value)
    return value


def _iso(us: int | None) -> str | None:
    if us is None:
        return None
    return pd.Timestamp(us, unit="us", tz="UTC").isoformat()


def _value_counts(values: pd.Series, known: Sequence[str]) -> dict[str, int]:
    """Count per label: every known value (0 included), then others seen, then "unknown"."""
    codes, labels = _labels(values)
    counts = np.bincount(codes, minlength=len(labels))
    seen = dict(zip(labels, (int(c) for c in counts), strict=True))
    out = {k: seen.pop(k, 0) for k in known}
    extra = sorted(k for k in seen if k != UNKNOWN)
    out.update({k: seen[k] for k in extra})
    if UNKNOWN in seen:
        out[UNKNOWN] = seen[UNKNOWN]
    return out


def summary(df: pd.DataFrame, *, now: Any = None, include_canceled: bool = False,
            queued_threshold: Any = DEFAULT_QUEUED_THRESHOLD,
            running_threshold: Any = DEFAULT_RUNNING_THRESHOLD,
            skew_tolerance_seconds: float = DEFAULT_SKEW_TOLERANCE_SECONDS) -> dict[str, Any]:
    """Headline figures of a runs frame as plain, JSON-ready Python values.

    Figures follow the helpers' definitions: ``queue_seconds`` and
    ``duration_seconds`` as in :func:`latency_summary` over all runs,
    ``success_rate`` as in :func:`success_rate`, ``stuck_runs`` as in
    :func:`stuck_runs`, ``failure_categories`` as the primary categories of
    failed runs (:func:`failure_breakdown`).

    Args:
        df: a runs frame.
        now: the time ages are measured to; None for the current time.
        include_canceled: count canceled runs as finished in success rates.
        queued_threshold, running_threshold: as in :func:`stuck_runs`.
        skew_tolerance_seconds: as in :func:`timings`.

    Returns:
        A dict: ``now`` (ISO string), ``runs`` (int), ``period``
        {``start``, ``end``} (ISO strings of the first and last ``created_at``,
        None without runs), ``status`` {status: count; every known status,
        then others seen, null as "unknown"}, ``trigger_types`` {same, for
        trigger types}, ``failed_runs`` (int), ``failure_categories``
        {primary category: count, most frequent first, "uncategorized" for
        failed runs without one}, ``queue_seconds`` and ``duration_seconds``
        each {``n``, ``mean``, ``p50``, ``p90``, ``p95``, ``p99``, ``max``
        (None when n == 0), ``unfinished``, ``oldest_unfinished_age_seconds``,
        ``suspect``}, ``success_rate`` (float or None), ``success_rate_n``
        (finished runs), ``stuck_runs`` (int), ``workflows``: a list of dicts
        (most runs first) with ``workflow_permanent_id``, ``workflow_title``
        (of the workflow's latest run with a title), ``runs``,
        ``success_rate``, ``success_rate_n``, ``queue_seconds_n``,
        ``queue_seconds_p50``, ``queue_seconds_p90``, ``duration_seconds_n``,
        ``duration_seconds_p50``, ``duration_seconds_p90``.

    Raises:
        SchemaError: a needed column is missing.
        UsageError: a bad ``now`` or threshold.

    Example:
        >>> summary(runs, now=now)["queue_seconds"]["p90"]
    """
    require_columns(df, ["workflow_permanent_id", "workflow_title", "status", "trigger_type",
                         "primary_failure_category", "created_at", "queued_at", "started_at",
                         "finished_at"], where="summary")
    now_us = _now_us(now)
    metrics = ("queue_seconds", "duration_seconds")
    arrays = _timing_arrays(df, skew_tolerance_seconds, metrics)
    n = len(df)

    overall = _groups(df, [], None, "UTC")[0]
    # Sort each metric's values once for the overall and the per-workflow figures.
    orders = {m: np.argsort(arrays[m].values[~np.isnan(arrays[m].values)]) for m in metrics}
    latency = _latency_frame(df, overall, metrics, arrays, now_us, orders)
    figures: dict[str, dict[str, Any]] = {}
    for i, metric in enumerate(metrics):
        row = latency.iloc[i] if len(latency) else None
        figures[metric] = {
            key: (0 if key in ("n", "unfinished", "suspect") else None) if row is None
            else _py(row[key])
            for key in ("n", "mean", "p50", "p90", "p95", "p99", "max", "unfinished",
                        "oldest_unfinished_age_seconds", "suspect")
        }
    completed, finished = _success_counts(df, overall, include_canceled)
    failed = _status_mask(df, FAILURE_STATUSES)
    rows, label_codes, labels = _failure_labels(df, np.flatnonzero(failed), False)
    category_counts = np.bincount(label_codes, minlength=len(labels))
    by_count = np.lexsort((_label_rank(labels), -category_counts))
    created = _us(df["created_at"])
    span = _range(created)

    return {
        "now": _iso(now_us),
        "runs": n,
        "period": {"start": _iso(span[0]) if span else None,
                   "end": _iso(span[1]) if span else None},
        "status": _value_counts(df["status"], schema.STATUSES),
        "trigger_types": _value_counts(df["trigger_type"], schema.TRIGGER_TYPES),
        "failed_runs": int(failed.sum()),
        "failure_categories": {labels[i]: int(category_counts[i]) for i in by_count},
        "queue_seconds": figures["queue_seconds"],
        "duration_seconds": figures["duration_seconds"],
        "success_rate": _py(completed[0] / finished[0]) if n and finished[0] else None,
        "success_rate_n": int(finished[0]) if n else 0,
        "stuck_runs": int(_stuck(df, now_us, queued_threshold, running_threshold)[0].sum()),
        "workflows": _workflow_rows(df, arrays, orders, include_canceled, created),
    }


def _workflow_rows(df: pd.DataFrame, arrays: dict[str, _Timing], orders: dict[str, np.ndarray],
                   include_canceled: bool, created: np.ndarray) -> list[dict[str, Any]]:
    groups = _groups(df, ["workflow_permanent_id"], None, "UTC")[0]
    codes, ng = groups.codes, groups.ngroups
    if ng == 0:
        return []
    runs = _count(codes, ng)
    completed, finished = _success_counts(df, groups, include_canceled)
    # Latest title: the title of the workflow's most recently created run that has one.
    titles = df["workflow_title"]
    has_title = titles.notna().to_numpy(dtype=bool)
    latest = np.full(ng, _NAT, dtype=np.int64)
    np.maximum.at(latest, codes[has_title], created[has_title])
    candidates = np.flatnonzero(has_title & (created == latest[codes]))
    title_row = np.full(ng, -1, dtype=np.int64)
    title_row[codes[candidates]] = candidates
    title_values = pd.api.extensions.take(titles.array, title_row, allow_fill=True)
    order = np.lexsort((np.arange(ng), -runs))
    columns: dict[str, Any] = {
        "workflow_permanent_id": groups.keys["workflow_permanent_id"].array,
        "workflow_title": title_values,
        "runs": runs,
        "success_rate": _ratio(completed, finished),
        "success_rate_n": finished,
    }
    for metric in ("queue_seconds", "duration_seconds"):
        stats = _grouped_stats(codes, arrays[metric].values, ng, value_order=orders[metric])
        columns[f"{metric}_n"] = stats["n"]
        columns[f"{metric}_p50"] = stats["p50"]
        columns[f"{metric}_p90"] = stats["p90"]
    lists = [_plain_list(values[order]) for values in columns.values()]
    return [dict(zip(columns, row, strict=True)) for row in zip(*lists, strict=True)]


def _plain_list(values: Any) -> list[Any]:
    """Plain Python values; NaN and NA -> None."""
    if isinstance(values, np.ndarray) and values.dtype.kind == "f":
        return [None if v != v else v for v in values.tolist()]
    if isinstance(values, np.ndarray):
        return values.tolist()
    return [None if v is pd.NA or v is None else v for v in values.tolist()]
