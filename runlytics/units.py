"""Times and durations: ``WHEN`` values, spans, and seconds for people.

``WHEN`` values are ISO dates and times (naive = UTC, like the API's own
timestamps), datetimes, or spans back from now. A **duration** option takes a
:class:`datetime.timedelta` (or ``pandas.Timedelta``) or a span string:
``30s``, ``30m``, ``12h``, ``7d``, ``2w`` (s, m/min, h, d, w; fractions
allowed). This module is the one place that parses and formats them.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import numpy as np
import pandas as pd

from .errors import UsageError

__all__ = ["format_seconds", "parse_span", "to_timedelta", "to_utc"]

_SPAN = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|m|min|h|d|w)\s*$", re.IGNORECASE)
_UNIT_SECONDS = {"s": 1, "m": 60, "min": 60, "h": 3600, "d": 86400, "w": 7 * 86400}


def parse_span(text: str) -> pd.Timedelta | None:
    """``"7d"`` -> 7 days; None when ``text`` is not a span (s, m, h, d, w).

    Raises:
        UsageError: the span is longer than a ``pandas.Timedelta`` can hold.

    Example:
        >>> parse_span("1.5h"), parse_span("2 w"), parse_span("soon")
        (Timedelta('0 days 01:30:00'), Timedelta('14 days 00:00:00'), None)
    """
    match = _SPAN.match(text)
    if not match:
        return None
    try:
        return pd.Timedelta(seconds=float(match.group(1)) * _UNIT_SECONDS[match.group(2).lower()])
    except (OverflowError, ValueError):  # pandas' OutOfBoundsTimedelta is a ValueError
        raise UsageError(f"{text!r} is too long a span (at most about 290 years)") from None


def to_utc(value: datetime | pd.Timestamp | str | None, name: str, *,
           now: pd.Timestamp | None = None) -> pd.Timestamp | None:
    """A tz-aware UTC timestamp from ``value``; spans count back from ``now``.

    Args:
        value: a datetime (naive = UTC), an ISO 8601 string (naive = UTC), or a
            span such as ``7d``, ``12h``, ``30m`` meaning that long before now.
        name: the option's name, for the error message.
        now: the moment spans count back from (default: the current time).

    Raises:
        UsageError: ``value`` is neither a date/time nor a span.

    Example:
        >>> to_utc("2026-01-20T11:52:29", "since")
        Timestamp('2026-01-20 11:52:29+0000', tz='UTC')
    """
    if value is None or value == "":
        return None
    if isinstance(value, str):
        try:
            span = parse_span(value)
        except UsageError as exc:
            raise UsageError(f"{name}: {exc}") from None
        if span is not None:
            try:
                return (now if now is not None else pd.Timestamp.now(tz="UTC")) - span
            except (OverflowError, ValueError):
                raise UsageError(f"{name}: {value!r} reaches before the year 1677") from None
        try:
            stamp = pd.Timestamp(value.strip())
        except (ValueError, TypeError):
            raise UsageError(f"{name}: {value!r} is not a date/time (like 2026-01-20 or "
                             "2026-01-20T11:52:29Z) or a span (like 7d, 12h, 30m)") from None
    elif isinstance(value, datetime):
        stamp = pd.Timestamp(value)
    else:
        raise UsageError(f"{name}: expected a date/time or a span, got {type(value).__name__}")
    if stamp is pd.NaT:
        raise UsageError(f"{name}: {value!r} is not a date/time")
    return stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")


def to_timedelta(value: timedelta | str, name: str) -> pd.Timedelta:
    """A duration option as a ``pandas.Timedelta``: a timedelta or a span like ``6h``.

    Args:
        value: a :class:`datetime.timedelta` (``pandas.Timedelta`` is one) or
            a span string (``30s``, ``30m``, ``12h``, ``7d``, ``2w``).
        name: the option's name, for the error message.

    Raises:
        UsageError: ``value`` is neither, or is negative.

    Example:
        >>> to_timedelta("90m", "lookback"), to_timedelta(timedelta(days=2), "max_open_age")
        (Timedelta('0 days 01:30:00'), Timedelta('2 days 00:00:00'))
        >>> to_timedelta("-1h", "lookback")
        Traceback (most recent call last):
        ...
        runlytics.errors.UsageError: lookback: '-1h' is not a span (like 30m, 12h, 7d, 2w)
    """
    if isinstance(value, str):
        span = parse_span(value)
        if span is None:
            raise UsageError(f"{name}: {value!r} is not a span (like 30m, 12h, 7d, 2w)")
    elif isinstance(value, timedelta):  # pandas.Timedelta is a timedelta
        span = pd.Timedelta(value)
    else:
        raise UsageError(f"{name}: expected a timedelta or a span like '7d', "
                         f"got {type(value).__name__} {value!r}")
    if span < pd.Timedelta(0):
        raise UsageError(f"{name}: {value!r} is negative")
    return span


def format_seconds(seconds: float | None) -> str:
    """A duration for people: ``0.42 s``, ``7.4 s``, ``2.5 min``, ``1.8 h``, ``2.1 d``.

    Example:
        >>> format_seconds(150)
        '2.5 min'
    """
    if seconds is None or seconds is pd.NA or not np.isfinite(seconds):
        return "–"
    value = float(seconds)
    for unit, size in (("d", 86400.0), ("h", 3600.0), ("min", 60.0)):
        if abs(value) >= size:
            return f"{_sig(value / size)} {unit}"
    return f"{_sig(value)} s"


def _sig(value: float) -> str:
    if value == 0:
        return "0"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}".rstrip("0").rstrip(".")
    return f"{value:.2f}".rstrip("0").rstrip(".")
