"""Injected faults: what a gateway, an overloaded server or a bad network does.

Each kind turns the normal reply into a broken one:

================ ===============================================================
kind             what the client sees
================ ===============================================================
``429``          429 ``{"detail":"Too Many Requests"}`` with ``Retry-After``
                 (seconds, or an HTTP date when given a datetime)
``503``          503 ``{"detail":"Service Unavailable"}`` with ``Retry-After: 1``
``500``          500 ``{"error":"Unexpected error: OperationalError"}``
``502``          502 nginx HTML error page (``text/html``)
``504``          504 nginx HTML gateway time-out page (``text/html``)
``drop``         the connection closes without any response
``slow``         the normal reply, after ``Simulator.slow_seconds``
``truncate``     200, Content-Length of the cut body, JSON cut in the middle
``truncate_short`` Content-Length of the full body, half of it sent, then close
``object``       200 with ``{"items": [...]}`` instead of a bare array
================ ===============================================================
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

from .api import Reply

__all__ = ["FAULT_KINDS", "apply_fault", "check_kind", "retry_after_value"]

FAULT_KINDS: tuple[str, ...] = (
    "429", "503", "500", "502", "504", "drop", "slow", "truncate", "truncate_short", "object",
)

_NGINX = (
    "<html>\r\n<head><title>{code} {text}</title></head>\r\n<body>\r\n"
    "<center><h1>{code} {text}</h1></center>\r\n<hr><center>nginx</center>\r\n"
    "</body>\r\n</html>\r\n"
)


def check_kind(kind: str) -> str:
    """``kind`` if it is a known fault kind, else ValueError naming the known ones."""
    if kind not in FAULT_KINDS:
        raise ValueError(f"unknown fault kind {kind!r}; expected one of {', '.join(FAULT_KINDS)}")
    return kind


def retry_after_value(value: float | int | timedelta | datetime | None) -> str:
    """The ``Retry-After`` header text for ``value``.

    Args:
        value: seconds (int or float), a timedelta, an absolute datetime (sent
            as an HTTP date; naive means UTC), or None for the default of 1.

    Returns:
        Delta-seconds such as ``"1"`` or ``"0.2"``, or an IMF-fixdate.
    """
    if value is None:
        return "1"
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return format_datetime(value.astimezone(UTC), usegmt=True)
    if isinstance(value, timedelta):
        value = value.total_seconds()
    if float(value).is_integer():
        return str(int(value))
    return f"{value:g}"  # sub-second waits keep tests fast; HTTP itself wants an integer


def _html(code: int, text: str) -> Reply:
    body = _NGINX.format(code=code, text=text).encode()
    return Reply(code, body, content_type="text/html")


def apply_fault(kind: str, reply: Reply, *, retry_after: object = None,
                slow_seconds: float = 5.0) -> Reply:
    """The reply a client gets when fault ``kind`` hits a request answered by ``reply``.

    Args:
        kind: one of :data:`FAULT_KINDS`.
        reply: the normal answer (used by slow, truncate, truncate_short, object).
        retry_after: ``Retry-After`` for 429 and 503 (see :func:`retry_after_value`).
        slow_seconds: extra delay of ``"slow"``.

    Returns:
        A new reply; ``reply`` is not modified.
    """
    if kind == "429":
        return Reply(429, b'{"detail":"Too Many Requests"}',
                     (("retry-after", retry_after_value(retry_after)),))  # type: ignore[arg-type]
    if kind == "503":
        return Reply(503, b'{"detail":"Service Unavailable"}',
                     (("retry-after", retry_after_value(retry_after)),))  # type: ignore[arg-type]
    if kind == "500":
        return Reply(500, b'{"error":"Unexpected error: OperationalError"}')
    if kind == "502":
        return _html(502, "Bad Gateway")
    if kind == "504":
        return _html(504, "Gateway Time-out")
    if kind == "drop":
        return Reply(0, b"", action="drop")
    if kind == "slow":
        return replace(reply, delay=reply.delay + slow_seconds)
    if kind == "truncate":
        return replace(reply, body=reply.body[: max(1, len(reply.body) // 2)])
    if kind == "truncate_short":
        return replace(reply, action="truncate_short")
    if kind == "object":
        if reply.status == 200 and reply.body.startswith(b"["):
            return replace(reply, body=b'{"items":' + reply.body + b"}")
        return reply
    raise ValueError(check_kind(kind))
