"""Injected faults: what a gateway, an overloaded server or a bad network does, and when.

Each kind turns the normal reply into a broken one:

================== =============================================================
kind               what the client sees
================== =============================================================
``429``            429 ``{"detail":"Too Many Requests"}`` with ``Retry-After``
                   (seconds, or an HTTP date when given a datetime)
``503``            503 ``{"detail":"Service Unavailable"}`` with ``Retry-After: 1``
``500``            500 ``{"error":"Unexpected error: OperationalError"}``
``502``            502 nginx HTML error page (``text/html``)
``504``            504 nginx HTML gateway time-out page (``text/html``)
``drop``           the connection closes without any response
``slow``           the normal reply, after ``Simulator.slow_seconds``
``truncate``       200, Content-Length of the cut body, JSON cut in the middle
``truncate_short`` Content-Length of the full body, half of it sent, then close
``object``         200 with ``{"items": [...]}`` instead of a bare array
================== =============================================================

The first six replace the answer: they hit before authentication, as a
gateway or a database outage does. The others bend the answer the server
gives (including a 403 or 422). The real server's own failures look like
these: a database hiccup is 500 ``OperationalError``, an outage 503 with
``Retry-After: 1``; a gateway adds 429, 502, 504 and HTML bodies.

A :class:`FaultPlan` decides which list request gets which fault: first the
queued ones (``fail_next``), then a seeded draw from ``rates``.

Example:
    >>> plan = FaultPlan(random.Random(1))
    >>> plan.fail_next("503")
    >>> fault = plan.next()
    >>> fault.apply(Reply(200, b"[]")).headers
    (('retry-after', '1'),)
    >>> plan.next() is None
    True
"""

from __future__ import annotations

import random
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

from .reply import Reply

__all__ = ["FAULT_KINDS", "Fault", "FaultPlan", "apply_fault", "check_kind",
           "retry_after_value"]

FAULT_KINDS: tuple[str, ...] = (
    "429", "503", "500", "502", "504", "drop", "slow", "truncate", "truncate_short", "object",
)
# Kinds that answer instead of the server, before it authenticates the request.
_REPLACING = frozenset({"429", "503", "500", "502", "504", "drop"})

_NGINX = (
    "<html>\r\n<head><title>{code} {text}</title></head>\r\n<body>\r\n"
    "<center><h1>{code} {text}</h1></center>\r\n<hr><center>nginx</center>\r\n"
    "</body>\r\n</html>\r\n"
)


def check_kind(kind: str) -> str:
    """``kind`` if it is a known fault kind, else ValueError naming the known ones.

    Example:
        >>> check_kind("drop")
        'drop'
    """
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

    Example:
        >>> retry_after_value(None), retry_after_value(timedelta(seconds=0.2))
        ('1', '0.2')
        >>> retry_after_value(datetime(2026, 11, 28, 21, 6, 30))
        'Sat, 28 Nov 2026 21:06:30 GMT'
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


def _busy(status: int, body: bytes) -> Callable[[Reply, object, float], Reply]:
    def fault(reply: Reply, retry_after: object, slow_seconds: float) -> Reply:
        header = retry_after_value(retry_after)  # type: ignore[arg-type]
        return Reply(status, body, (("retry-after", header),))
    return fault


def _wrap_in_object(reply: Reply) -> Reply:
    if reply.status == 200 and reply.body.startswith(b"["):
        return replace(reply, body=b'{"items":' + reply.body + b"}")
    return reply


# kind -> (normal reply, retry_after, slow_seconds) -> broken reply
_FAULTS: dict[str, Callable[[Reply, object, float], Reply]] = {
    "429": _busy(429, b'{"detail":"Too Many Requests"}'),
    "503": _busy(503, b'{"detail":"Service Unavailable"}'),
    "500": lambda r, a, s: Reply(500, b'{"error":"Unexpected error: OperationalError"}'),
    "502": lambda r, a, s: _html(502, "Bad Gateway"),
    "504": lambda r, a, s: _html(504, "Gateway Time-out"),
    "drop": lambda r, a, s: Reply(0, b"", action="drop"),
    "slow": lambda r, a, s: replace(r, delay=r.delay + s),
    "truncate": lambda r, a, s: replace(r, body=r.body[: max(1, len(r.body) // 2)]),
    "truncate_short": lambda r, a, s: replace(r, action="truncate_short"),
    "object": lambda r, a, s: _wrap_in_object(r),
}


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

    Raises:
        ValueError: ``kind`` is not a fault kind.

    Example:
        >>> apply_fault("object", Reply(200, b"[1]")).body
        b'{"items":[1]}'
        >>> apply_fault("truncate", Reply(200, b"[1,2,3]")).body
        b'[1,'
    """
    return _FAULTS[check_kind(kind)](reply, retry_after, slow_seconds)


@dataclass(frozen=True, slots=True)
class Fault:
    """One planned fault: its kind and, for 429/503, the ``Retry-After`` to send.

    Example:
        >>> Fault("500").replaces_answer, Fault("slow").replaces_answer
        (True, False)
    """

    kind: str
    retry_after: object = None

    @property
    def replaces_answer(self) -> bool:
        """Whether it answers instead of the server (before authentication)."""
        return self.kind in _REPLACING

    def apply(self, reply: Reply, *, slow_seconds: float = 5.0) -> Reply:
        """The broken version of ``reply`` (see :func:`apply_fault`)."""
        return apply_fault(self.kind, reply, retry_after=self.retry_after,
                           slow_seconds=slow_seconds)


class FaultPlan:
    """Which list request fails how: queued faults first, then seeded random ones.

    Not thread-safe: the simulator holds its lock around :meth:`next` and
    :meth:`fail_next`.

    Args:
        rng: seeded generator for the random faults.

    Example:
        >>> plan = FaultPlan(random.Random(1))
        >>> plan.rates = {"429": 1.0}
        >>> plan.next()
        Fault(kind='429', retry_after=None)
    """

    def __init__(self, rng: random.Random) -> None:
        self._rng = rng
        self._rates: dict[str, float] = {}
        self._queued: deque[Fault] = deque()

    @property
    def rates(self) -> dict[str, float]:
        """``{kind: probability}`` of a random fault on each list request (seeded)."""
        return self._rates

    @rates.setter
    def rates(self, rates: Mapping[str, float]) -> None:
        for kind, prob in rates.items():
            check_kind(kind)
            if not 0 <= prob <= 1:
                raise ValueError(f"probability of {kind!r} must be within 0..1")
        self._rates = dict(rates)

    def fail_next(self, kind: str, count: int = 1, *, retry_after: object = None) -> None:
        """Queue ``count`` faults of ``kind`` for the next list requests.

        Raises:
            ValueError: unknown kind or negative count.
        """
        check_kind(kind)
        if count < 0:
            raise ValueError("count must be >= 0")
        self._queued.extend([Fault(kind, retry_after)] * count)

    def next(self) -> Fault | None:
        """The fault of the next list request, or None for a normal answer."""
        if self._queued:
            return self._queued.popleft()
        if self._rates:
            u = self._rng.random()
            acc = 0.0
            for kind, prob in self._rates.items():
                acc += prob
                if u < acc:
                    return Fault(check_kind(kind))
        return None
