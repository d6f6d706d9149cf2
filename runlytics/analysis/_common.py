"""Input checks, conversions and labels shared by the analysis helpers."""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import timedelta
from typing import Any, cast

import numpy as np
import pandas as pd

from .. import schema
from ..errors import SchemaError, UsageError
from ..units import to_timedelta

NON_FINAL_STATUSES = tuple(s for s in schema.STATUSES if s not in schema.FINAL_STATUSES)
FAILURE_STATUSES = ("failed", "terminated", "timed_out")
UNKNOWN = "unknown"
UNCATEGORIZED = "uncategorized"

_NAT = np.iinfo(np.int64).min
_US = 1_000_000
_STRING = pd.StringDtype("pyarrow")


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
        >>> import pandas as pd
        >>> runs = pd.DataFrame({"status": ["completed"],
        ...                      "created_at": pd.to_datetime(["2026-01-05"], utc=True)})
        >>> require_columns(runs, ["status", "created_at"])
        >>> require_columns(runs, ["status", "queued_at"], where="timings")
        Traceback (most recent call last):
        ...
        runlytics.errors.SchemaError: timings: the frame lacks column(s) queued_at; build it \
with runlytics.runs_frame()
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
    micros: np.ndarray = values.astype("datetime64[us]", copy=False).view(np.int64)
    return micros


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


#: What a duration option takes: a timedelta (``pandas.Timedelta`` is one) or a span
#: string such as ``"30m"``, ``"12h"``, ``"7d"`` (see :func:`runlytics.units.to_timedelta`).
#: A plain number, read as seconds, is still accepted for callers written before.
Duration = timedelta | str


def _seconds(value: Duration | float, what: str) -> float:
    """A duration option (see ``Duration``) in seconds; not negative, finite."""
    if isinstance(value, int | float | np.integer | np.floating) and not isinstance(value, bool):
        seconds = float(value)
        if not math.isfinite(seconds):
            raise UsageError(f"{what} must be a finite duration, got {value!r}")
        if seconds < 0:
            raise UsageError(f"{what}: {value!r} is negative")
        return seconds
    # Anything else (bools included) is refused by to_timedelta with the types it takes.
    return float(to_timedelta(cast(Duration, value), what).total_seconds())


def _check_tz(tz: Any) -> Any:
    """The tzinfo for ``tz`` (None means UTC)."""
    try:
        return pd.Timestamp(0, tz="UTC" if tz is None else tz).tz
    except Exception as exc:  # pytz/zoneinfo raise several types
        raise UsageError(f"tz must be a time zone name such as 'UTC' or 'Europe/Paris', "
                         f"got {tz!r}") from exc


def _status_mask(df: pd.DataFrame, statuses: Sequence[str]) -> np.ndarray:
    mask: np.ndarray = df["status"].isin(list(statuses)).to_numpy(dtype=bool)
    return mask


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


# -- labels ---------------------------------------------------------------------

def _labels(values: pd.Series, missing: str = UNKNOWN) -> tuple[np.ndarray, list[str]]:
    """Label code of each value (categories in order, sorted otherwise; null -> missing)."""
    codes, uniques = pd.factorize(values, sort=True)
    labels = [str(u) for u in uniques]
    codes = codes.astype(np.int64, copy=False)
    if (codes < 0).any():
        codes = _merge_label(codes, labels, missing)
    return codes, labels


def _merge_label(codes: np.ndarray, labels: list[str], label: str) -> np.ndarray:
    """Replace code -1 by the code of ``label`` (appended to ``labels`` when new)."""
    if label in labels:
        index = labels.index(label)
    else:
        index = len(labels)
        labels.append(label)
    return np.where(codes < 0, index, codes)


def _label_rank(labels: list[str]) -> np.ndarray:
    rank = np.empty(len(labels), dtype=np.int64)
    rank[np.argsort(np.array(labels, dtype=object), kind="stable")] = np.arange(len(labels))
    return rank
