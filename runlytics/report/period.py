"""The report's period, the one before it, and whether the data covers that one.

:func:`resolve_period` turns ``since``/``until`` (datetimes, ISO text or
spans counted back from ``now``) into a half-open :class:`Period` of
``created_at`` and decides whether the previous period of the same length can
be compared: only when the data is known to hold every run from its start.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd

from ..errors import UsageError
from ..units import to_utc

__all__ = ["Period", "Periods", "check_tz", "complete_since", "resolve_period", "when"]


def check_tz(tz: Any) -> str:
    """The IANA name of time zone ``tz``; :class:`UsageError` when it is not one.

    Example:
        >>> check_tz("Europe/Paris")
        'Europe/Paris'
    """
    if isinstance(tz, ZoneInfo):
        return tz.key
    try:
        return ZoneInfo(str(tz)).key
    except Exception as exc:  # ZoneInfoNotFoundError, ValueError, IsADirectoryError...
        raise UsageError(f"--tz {tz!r} is not a time zone; use an IANA name such as UTC, "
                         "Europe/Paris or America/New_York") from exc


@dataclass(frozen=True)
class Period:
    """A half-open time range ``[start, end)`` of ``created_at``, in UTC."""

    start: pd.Timestamp
    end: pd.Timestamp

    @property
    def length(self) -> pd.Timedelta:
        return self.end - self.start

    def contains(self, created: pd.Series) -> pd.Series:
        return (created >= self.start) & (created < self.end)

    def to_dict(self) -> dict[str, str]:
        return {"start": self.start.isoformat(), "end": self.end.isoformat()}


def when(value: Any, name: str, now: pd.Timestamp) -> pd.Timestamp | None:
    """``value`` as a UTC timestamp (spans count back from ``now``); None stays None.

    Example:
        >>> when("7d", "since", pd.Timestamp("2026-01-15", tz="UTC")).isoformat()
        '2026-01-08T00:00:00+00:00'
    """
    if value is None:
        return None
    if isinstance(value, pd.Timestamp | datetime | str):
        return to_utc(value, name, now=now)
    raise UsageError(f"{name} must be a date/time or a span like '7d', got {value!r}")


def complete_since(filters: Mapping[str, Any], now: pd.Timestamp | None
                   ) -> pd.Timestamp | None:
    """From when a fetch with ``filters`` holds every run: its ``since``, spans back from ``now``.

    None when it had no ``since`` or stopped at ``max_runs`` (then only the data knows).

    Example:
        >>> complete_since({"since": "2026-01-01"}, None).isoformat()
        '2026-01-01T00:00:00+00:00'
        >>> complete_since({"since": "2026-01-01", "max_runs": 10}, None) is None
        True
    """
    since = filters.get("since")
    if not since or filters.get("max_runs"):
        return None
    try:
        return to_utc(str(since), "since", now=now)
    except ValueError:  # UsageError is one
        return None


@dataclass(frozen=True)
class Periods:
    """The report's period, the one before it, and whether (and why not) they compare."""

    period: Period
    previous: Period
    covered: bool
    note: str
    from_data: bool


def _bounds(created: pd.Series, since: pd.Timestamp | None, until: pd.Timestamp | None,
            now: pd.Timestamp) -> tuple[pd.Timestamp, pd.Timestamp]:
    first, last = (created.min(), created.max()) if len(created) else (pd.NaT, pd.NaT)
    if since is None and until is None:
        if not len(created):
            return now, now
        return first, last + pd.Timedelta(microseconds=1)
    start = since if since is not None else (first if len(created) else until)
    end = until if until is not None else now
    assert start is not None  # one bound at least is given here
    if not end >= start:
        raise UsageError(f"the period is empty: --since {start.isoformat()} is not before "
                         f"--until {end.isoformat()}")
    return pd.Timestamp(start), pd.Timestamp(end)


def _note(covered: bool, from_data: bool, n_runs: int, known_from: Any,
          previous: Period) -> str:
    if covered:
        return ""
    if from_data:
        return ("The period is the whole data set, so there is no earlier period to compare "
                "with; give --since to compare.")
    if not n_runs:
        return "No runs in the data: nothing to compare."
    return (f"No comparison: the data starts at {pd.Timestamp(known_from).isoformat()}, "
            f"after the previous period's start {previous.start.isoformat()}.")


def resolve_period(created: pd.Series, *, since: Any, until: Any, now: pd.Timestamp,
                   data_since: Any) -> Periods:
    """The period ``[since, until)`` of ``created_at`` values and the one before it.

    With neither bound, the period is the span of the data (and nothing is
    compared). The previous period is covered when ``data_since`` (default:
    the earliest ``created_at``) is at or before its start.

    Raises:
        UsageError: a bound that is not a time or a span, or an empty period.

    Example:
        >>> created = pd.Series(pd.to_datetime(["2026-01-01", "2026-01-10"], utc=True))
        >>> p = resolve_period(created, since="2026-01-08", until="2026-01-15",
        ...                    now=pd.Timestamp("2026-01-15", tz="UTC"), data_since=None)
        >>> p.previous.start.isoformat(), p.covered
        ('2026-01-01T00:00:00+00:00', True)
    """
    since_ts, until_ts = when(since, "since", now), when(until, "until", now)
    from_data = since_ts is None and until_ts is None
    start, end = _bounds(created, since_ts, until_ts, now)
    period = Period(start, end)
    previous = Period(period.start - period.length, period.start)
    known_from = (when(data_since, "data_since", now) if data_since is not None
                  else created.min() if len(created) else pd.NaT)
    covered = bool(period.length > pd.Timedelta(0) and known_from is not pd.NaT
                   and known_from is not None and known_from <= previous.start)
    return Periods(period, previous, covered,
                   _note(covered, from_data, len(created), known_from, previous), from_data)
