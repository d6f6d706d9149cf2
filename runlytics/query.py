"""Which runs to fetch: :class:`RunQuery`, one frozen, validated object.

A query holds the server's filters (``status``, ``search_key``,
``error_code``), the ``created_at`` window (``since`` inclusive, ``until``
exclusive), the ``max_runs`` limit and the ``page_size`` of each request.
How to reach the server (key, base URL, retries, requests in flight) is the
other object, :class:`runlytics.Client`. Every fetch, sync and report takes
these two.

Values are checked when the query is made, so a typo fails before any
request. Spans such as ``"7d"`` are resolved then, against the current time
(or ``now=``); the query keeps the text it was given for reports and file
metadata, and the resolved bounds for paging.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from .errors import UsageError

__all__ = ["DEFAULT_PAGE_SIZE", "MAX_FILTER_LENGTH", "RunQuery", "check_statuses"]

DEFAULT_PAGE_SIZE = 100
MAX_FILTER_LENGTH = 500

When = datetime | str | None


def check_statuses(status: str | Sequence[str] | None) -> tuple[str, ...]:
    """``status`` as a tuple of known statuses.

    Raises:
        UsageError: a status the API does not know.

    Example:
        >>> check_statuses("failed")
        ('failed',)
    """
    from .schema import STATUSES

    statuses = (status,) if isinstance(status, str) else tuple(status or ())
    for value in statuses:
        if value not in STATUSES:
            raise UsageError(f"unknown status {value!r}; choose from {', '.join(STATUSES)}")
    return statuses


def _whole(value: Any, name: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise UsageError(f"{name} must be a whole number >= 1, got {value!r}")


def _bound_us(value: When, name: str, now: Any) -> int | None:
    """``since``/``until`` in µs since the epoch (UTC); out-of-range values are usage errors."""
    import pandas as pd

    from .units import to_utc

    try:
        stamp = to_utc(value, name, now=now)
        if stamp is None:
            return None
        if not 1 <= stamp.year <= 9999:  # pandas 3 reaches further: Arrow and Parquet do not
            raise OverflowError
        # not .value: nanoseconds overflow before year 1677
        return int(stamp.as_unit("us").asm8.view("i8"))
    except (OverflowError, pd.errors.OutOfBoundsDatetime, pd.errors.OutOfBoundsTimedelta):
        raise UsageError(f"{name}: {value!r} is out of range (years 1 to 9999)") from None


def _to_utc(value: Any, name: str) -> Any:
    from .units import to_utc

    return to_utc(value, name)


@dataclass(frozen=True)
class RunQuery:
    """The runs to fetch: filters, window, limit and page size.

    Args:
        status: one status or several (sent as repeated ``status`` keys).
        search_key, error_code: the endpoint's filters (at most 500 characters).
        since, until: ``created_at`` bounds, ``since`` inclusive and ``until``
            exclusive: datetimes (naive = UTC), ISO strings, or spans back
            from now such as ``7d`` (see :mod:`runlytics.units`).
        max_runs: stop once this many runs in range were seen (the newest).
        page_size: runs per request (default 100).
        now: the moment spans count back from (default: when the query is made).

    Raises:
        UsageError: naming the option and what is wrong with it.

    Example:
        >>> q = RunQuery(status="failed", since="2026-01-20", page_size=500)
        >>> q.status, q.since_us, q.params()
        (('failed',), 1768867200000000, [('status', 'failed')])
        >>> q.filters()
        {'status': ['failed'], 'since': '2026-01-20'}
    """

    status: tuple[str, ...] | str | Sequence[str] | None = ()
    search_key: str | None = None
    error_code: str | None = None
    since: When = None
    until: When = None
    max_runs: int | None = None
    page_size: int = DEFAULT_PAGE_SIZE
    now: Any = field(default=None, repr=False, compare=False)
    since_us: int | None = field(init=False, repr=False)
    until_us: int | None = field(init=False, repr=False)

    def __post_init__(self) -> None:
        set_ = object.__setattr__  # frozen: normalise once, here
        set_(self, "status", check_statuses(self.status))
        for name in ("search_key", "error_code"):
            text = getattr(self, name)
            if text is not None and not isinstance(text, str):
                raise UsageError(f"{name} must be text, got {text!r}")
            if text is not None and len(text) > MAX_FILTER_LENGTH:
                raise UsageError(f"{name} is {len(text)} characters long; the API allows at "
                                 f"most {MAX_FILTER_LENGTH}")
        _whole(self.page_size, "page_size")
        if self.max_runs is not None:
            _whole(self.max_runs, "max_runs")
        now = None if self.now is None else _to_utc(self.now, "now")
        set_(self, "since_us", _bound_us(self.since, "since", now))
        set_(self, "until_us", _bound_us(self.until, "until", now))

    @property
    def statuses(self) -> tuple[str, ...]:
        """``status`` as the tuple it is normalised to."""
        return self.status  # type: ignore[return-value]

    def replace(self, **changes: Any) -> RunQuery:
        """A copy with ``changes`` (checked again; spans resolved again)."""
        return dataclasses.replace(self, **changes)

    def params(self) -> list[tuple[str, str]]:
        """The query-string filters of every request (not ``page``/``page_size``)."""
        params = [("status", s) for s in self.statuses]
        if self.search_key:
            params.append(("search_key", self.search_key))
        if self.error_code:
            params.append(("error_code", self.error_code))
        return params

    def in_window(self, created_us: int) -> bool:
        """Whether a run created at ``created_us`` (µs, UTC) lies in ``[since, until)``."""
        return (self.since_us is None or created_us >= self.since_us) and (
            self.until_us is None or created_us < self.until_us)

    def filters(self) -> dict[str, Any]:
        """The options that were set, as given, for reports and file metadata."""
        values = {"status": list(self.statuses), "search_key": self.search_key,
                  "error_code": self.error_code, "since": self.since, "until": self.until,
                  "max_runs": self.max_runs}
        return {k: (str(v) if isinstance(v, datetime) else v) for k, v in values.items()
                if v not in (None, [], ())}
