"""``WHEN`` values: ISO dates and times, relative spans like ``7d``, datetimes.

Naive values are UTC, like the API's own timestamps.
"""

from __future__ import annotations

import re
from datetime import datetime

import pandas as pd

from .errors import UsageError

__all__ = ["parse_span", "to_utc"]

_SPAN = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|m|min|h|d|w)\s*$", re.IGNORECASE)
_UNIT_SECONDS = {"s": 1, "m": 60, "min": 60, "h": 3600, "d": 86400, "w": 7 * 86400}


def parse_span(text: str) -> pd.Timedelta | None:
    """``"7d"`` -> 7 days; None when ``text`` is not a span (s, m, h, d, w)."""
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
