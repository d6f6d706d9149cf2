"""Routing, authentication and query validation, shaped like the real server.

The real server is FastAPI: authentication is a dependency resolved before the
query is validated, and validation errors are pydantic v2 error lists (type,
loc, msg, input, ctx). The functions here reproduce those bodies byte for
byte for the cases recorded in ``/work/shared/recorded/``; see
``tests/test_simulator.py``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol
from urllib.parse import unquote

import orjson

from .fields import STATUS_ENUM_TEXT, STATUSES, US, to_us

__all__ = [
    "EXPIRED_KEY",
    "MAX_FILTER_LENGTH",
    "Headers",
    "UNKNOWN_ORG_KEY",
    "ListQuery",
    "Reply",
    "check_auth",
    "json_reply",
    "match_route",
    "method_not_allowed",
    "not_found",
    "parse_list_query",
    "parse_page_query",
]

EXPIRED_KEY = "sim-expired"          # x-api-key that answers "Auth token is expired"
UNKNOWN_ORG_KEY = "sim-unknown-org"  # x-api-key of an organisation that no longer exists
MAX_FILTER_LENGTH = 500

# What pydantic accepts as an int in a query string: surrounding whitespace,
# a sign, digit groups joined by single underscores, and a fraction of zeros.
_INT = re.compile(r"[+-]?[0-9]+(?:_[0-9]+)*(?:\.0+)?")
_NUMBER = re.compile(r"[+-]?[0-9]+(?:\.[0-9]+)?")


class Headers(Protocol):
    """Request headers: ``get`` must ignore case (http.server's and httpx's do)."""

    def get(self, name: str, /) -> str | None: ...


@dataclass(slots=True)
class Reply:
    """An HTTP answer before it is written, plus how to misbehave while writing it.

    ``action`` is None (send normally), ``"drop"`` (close without a response) or
    ``"truncate_short"`` (announce the full Content-Length, send half, close).
    ``delay`` is slept before answering, outside the simulator's lock.
    """

    status: int
    body: bytes
    headers: tuple[tuple[str, str], ...] = ()
    content_type: str = "application/json"
    delay: float = 0.0
    action: str | None = None


def json_reply(status: int, obj: Any, headers: tuple[tuple[str, str], ...] = ()) -> Reply:
    """A JSON reply, serialized compactly as FastAPI's JSON responses are."""
    return Reply(status, orjson.dumps(obj), headers)


def not_found() -> Reply:
    """FastAPI's answer for a path no route matches (no authentication needed)."""
    return json_reply(404, {"detail": "Not Found"})


def method_not_allowed() -> Reply:
    """FastAPI's answer for a known path with a method other than GET."""
    return json_reply(405, {"detail": "Method Not Allowed"}, (("allow", "GET"),))


def match_route(path: str) -> tuple[str, str | None] | None:
    """Which endpoint a raw (percent-encoded) path names.

    ``/v1`` and ``/api/v1`` prefixes are equivalent, ``workflows`` and ``agents``
    too (the official SDK uses ``/v1/agents/runs``), and a trailing slash is
    accepted, as the real server registers both spellings.

    Args:
        path: the request path without the query string.

    Returns:
        ``("runs", None)``, ``("workflows", None)``, ``("workflow_runs", wpid)``
        or None for anything else.
    """
    if path.endswith("/") and len(path) > 1:
        path = path[:-1]
    parts = path.split("/")
    if parts[:2] == ["", "v1"]:
        rest = parts[2:]
    elif parts[:3] == ["", "api", "v1"]:
        rest = parts[3:]
    else:
        return None
    if not rest or rest[0] not in ("workflows", "agents"):
        return None
    if len(rest) == 1:
        return ("workflows", None)
    if len(rest) == 2 and rest[1] == "runs":
        return ("runs", None)
    if len(rest) == 3 and rest[2] == "runs" and rest[1]:
        return ("workflow_runs", unquote(rest[1]))
    return None


def check_auth(expected: str | None, given: str | None) -> Reply | None:
    """The 403/404 the server sends for ``x-api-key`` = ``given``, or None if accepted.

    Args:
        expected: the simulator's key; None accepts every request.
        given: the header value, None when absent.

    Returns:
        None when authenticated, else the error reply.
    """
    if expected is None:
        return None
    if not given:
        return json_reply(403, {"detail": "Invalid credentials"})
    if given == EXPIRED_KEY:
        return json_reply(403, {"detail": "Auth token is expired"})
    if given == UNKNOWN_ORG_KEY:
        return json_reply(404, {"detail": "Organization not found"})
    if given != expected:
        return json_reply(403, {"detail": "Could not validate credentials"})
    return None


@dataclass(frozen=True, slots=True)
class ListQuery:
    """A validated run-list query."""

    page: int = 1
    page_size: int = 10
    statuses: frozenset[str] | None = None
    search: str | None = None       # lower-cased; None = no filter
    error_code: str | None = None
    created_start: int | None = None  # inclusive, epoch microseconds
    created_end: int | None = None    # exclusive


def _error(type_: str, loc: list[Any], msg: str, value: str,
           ctx: dict[str, Any] | None = None) -> dict[str, Any]:
    err: dict[str, Any] = {"type": type_, "loc": loc, "msg": msg, "input": value}
    if ctx is not None:
        err["ctx"] = ctx
    return err


def _int_param(query: Mapping[str, list[str]], name: str, default: int,
               errors: list[dict[str, Any]]) -> int:
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


def _str_param(query: Mapping[str, list[str]], name: str,
               errors: list[dict[str, Any]]) -> str | None:
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


def _datetime_param(query: Mapping[str, list[str]], name: str,
                    errors: list[dict[str, Any]]) -> int | None:
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


def parse_page_query(query: Mapping[str, list[str]]) -> tuple[int, int] | Reply:
    """``page`` and ``page_size`` of a query, or the 422 reply for them."""
    errors: list[dict[str, Any]] = []
    page = _int_param(query, "page", 1, errors)
    size = _int_param(query, "page_size", 10, errors)
    if errors:
        return json_reply(422, {"detail": errors})
    return page, size


def parse_list_query(query: Mapping[str, list[str]], *,
                     windowed: bool = False) -> ListQuery | Reply:
    """Validate a run-list query the way FastAPI validates the real endpoint.

    Args:
        query: parsed query string, every key mapped to all its values.
        windowed: also read ``created_at_start`` / ``created_at_end`` (the
            per-workflow endpoint).

    Returns:
        The :class:`ListQuery`, or a 422 reply listing every invalid parameter.
    """
    errors: list[dict[str, Any]] = []
    page = _int_param(query, "page", 1, errors)
    size = _int_param(query, "page_size", 10, errors)
    statuses = None
    if query.get("status"):
        for i, value in enumerate(query["status"]):
            if value not in STATUSES:
                errors.append(_error("enum", ["query", "status", i],
                                     f"Input should be {STATUS_ENUM_TEXT}", value,
                                     {"expected": STATUS_ENUM_TEXT}))
        statuses = frozenset(query["status"])
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
