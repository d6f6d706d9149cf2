"""Query-string validation of the list endpoints, shaped like FastAPI's.

The real server declares ``page`` and ``page_size`` as ``int >= 1`` (no
maximum), ``status`` as a repeated enum (a comma-joined value is a 422),
``search_key`` and ``error_code`` as strings of at most 500 characters (empty
means no filter) and, on ``/v1/workflows/{id}/runs``, ``created_at_start``
(inclusive) and ``created_at_end`` (exclusive) as datetimes. Invalid values
give pydantic v2 error lists (type, loc, msg, input, ctx), all of them in
parameter order; the bodies here match the recordings in ``tests/data``
byte for byte. When a parameter is repeated, the last value wins, as in
Starlette's ``QueryParams.get``.

Example:
    >>> q = parse_list_query({"page": ["2"], "status": ["failed", "completed"]})
    >>> q.page, q.page_size, sorted(q.statuses)
    (2, 10, ['completed', 'failed'])
    >>> parse_list_query({"page": ["0"]}).status
    422
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from .fields import STATUS_ENUM_TEXT, STATUSES, US, to_us
from .reply import Reply, json_reply

__all__ = [
    "MAX_FILTER_LENGTH",
    "ListQuery",
    "capped_page_size",
    "parse_list_query",
    "parse_page_query",
]

MAX_FILTER_LENGTH = 500

# What pydantic accepts as an int in a query string: surrounding whitespace,
# a sign, digit groups joined by single underscores, and a fraction of zeros.
_INT = re.compile(r"[+-]?[0-9]+(?:_[0-9]+)*(?:\.0+)?")
_NUMBER = re.compile(r"[+-]?[0-9]+(?:\.[0-9]+)?")

_Errors = list[dict[str, Any]]
_Query = Mapping[str, list[str]]


@dataclass(frozen=True, slots=True)
class ListQuery:
    """A validated run-list query.

    Example:
        >>> ListQuery(page=3).page_size
        10
    """

    page: int = 1
    page_size: int = 10
    statuses: frozenset[str] | None = None
    search: str | None = None       # lower-cased; None = no filter
    error_code: str | None = None
    created_start: int | None = None  # inclusive, epoch microseconds
    created_end: int | None = None    # exclusive


def capped_page_size(size: int, cap: int | None) -> int:
    """``size`` after a gateway's silent page-size cap (None: no cap).

    Example:
        >>> capped_page_size(100, 25), capped_page_size(100, None)
        (25, 100)
    """
    return size if cap is None else min(size, cap)


def _error(type_: str, loc: list[Any], msg: str, value: str,
           ctx: dict[str, Any] | None = None) -> dict[str, Any]:
    err: dict[str, Any] = {"type": type_, "loc": loc, "msg": msg, "input": value}
    if ctx is not None:
        err["ctx"] = ctx
    return err


def _int_param(query: _Query, name: str, default: int, errors: _Errors) -> int:
    values = query.get(name)
    if not values:
        return default
    raw = values[-1]  # Starlette's QueryParams.get: the last value wins
    text = raw.strip()
    if not _INT.fullmatch(text):
        errors.append(_error("int_parsing", ["query", name],
                             "Input should be a valid integer, unable to parse string as an "
                             "integer", raw))
        return default
    value = int(text.split(".")[0].replace("_", ""))
    if value < 1:
        errors.append(_error("greater_than_equal", ["query", name],
                             "Input should be greater than or equal to 1", raw, {"ge": 1}))
        return default
    return value


def _str_param(query: _Query, name: str, errors: _Errors) -> str | None:
    values = query.get(name)
    if not values:
        return None
    raw = values[-1]
    if len(raw) > MAX_FILTER_LENGTH:
        errors.append(_error("string_too_long", ["query", name],
                             f"String should have at most {MAX_FILTER_LENGTH} characters", raw,
                             {"max_length": MAX_FILTER_LENGTH}))
        return None
    return raw or None  # the server treats an empty string as "no filter"


def _status_param(query: _Query, errors: _Errors) -> frozenset[str] | None:
    values = query.get("status")
    if not values:
        return None
    for i, value in enumerate(values):
        if value not in STATUSES:
            errors.append(_error("enum", ["query", "status", i],
                                 f"Input should be {STATUS_ENUM_TEXT}", value,
                                 {"expected": STATUS_ENUM_TEXT}))
    return frozenset(values)


def _datetime_param(query: _Query, name: str, errors: _Errors) -> int | None:
    values = query.get(name)
    if not values:
        return None
    raw = values[-1]
    text = raw.strip()
    if _NUMBER.fullmatch(text):
        seconds = float(text)
        if abs(seconds) > 2e10:  # pydantic reads large numbers as milliseconds
            seconds /= 1000
        return round(seconds * US)
    try:
        return to_us(datetime.fromisoformat(text))
    except ValueError:
        pass
    if len(text) < 10:
        why = "input is too short"
    elif not text[:4].isdigit():
        why = "invalid character in year"
    else:
        why = "unexpected extra characters at the end of the input"
    errors.append(_error("datetime_from_date_parsing", ["query", name],
                         f"Input should be a valid datetime or date, {why}", raw,
                         {"error": why}))
    return None


def parse_page_query(query: _Query) -> tuple[int, int] | Reply:
    """``page`` and ``page_size`` of a query, or the 422 reply for them.

    Args:
        query: parsed query string, every key mapped to all its values.

    Returns:
        ``(page, page_size)``, or the 422 reply listing the invalid ones.

    Example:
        >>> parse_page_query({"page_size": [" 5 "]})
        (1, 5)
        >>> parse_page_query({"page": ["abc"], "page_size": ["0"]}).status
        422
    """
    errors: _Errors = []
    page = _int_param(query, "page", 1, errors)
    size = _int_param(query, "page_size", 10, errors)
    if errors:
        return json_reply(422, {"detail": errors})
    return page, size


def parse_list_query(query: _Query, *, windowed: bool = False) -> ListQuery | Reply:
    """Validate a run-list query the way FastAPI validates the real endpoint.

    Args:
        query: parsed query string, every key mapped to all its values.
        windowed: also read ``created_at_start`` / ``created_at_end`` (the
            per-workflow endpoint).

    Returns:
        The :class:`ListQuery`, or a 422 reply listing every invalid parameter.

    Example:
        >>> q = parse_list_query({"created_at_start": ["2026-01-20T11:52:29Z"]}, windowed=True)
        >>> q.created_start
        1768909949000000
    """
    errors: _Errors = []
    page = _int_param(query, "page", 1, errors)
    size = _int_param(query, "page_size", 10, errors)
    statuses = _status_param(query, errors)
    search = _str_param(query, "search_key", errors)
    error_code = _str_param(query, "error_code", errors)
    start = end = None
    if windowed:
        start = _datetime_param(query, "created_at_start", errors)
        end = _datetime_param(query, "created_at_end", errors)
    if errors:
        return json_reply(422, {"detail": errors})
    return ListQuery(page, size, statuses, search.lower() if search else None, error_code,
                     start, end)
