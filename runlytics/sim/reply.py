"""An HTTP answer before it is written, and the request headers it answers.

The simulator never touches sockets: every route returns a :class:`Reply`
(status, body, headers, content type), plus how to misbehave while writing it
(a delay, a dropped connection, a body cut short). :mod:`.server` writes it on
HTTP/1.1 or as an ``httpx.Response``. Bodies are compact JSON, as FastAPI's
``JSONResponse`` writes them.

Example:
    >>> json_reply(404, {"detail": "Not Found"})
    Reply(status=404, body=b'{"detail":"Not Found"}', headers=(), content_type='application/json', delay=0.0, action=None, work=(0.0, 0.0))
"""  # noqa: E501

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

import orjson

__all__ = ["Headers", "Reply", "json_reply"]


class Headers(Protocol):
    """Request headers: ``get`` must ignore case (http.server's and httpx's do)."""

    def get(self, name: str, /) -> str | None: ...


@dataclass(slots=True)
class Reply:
    """An HTTP answer before it is written, plus how to misbehave while writing it.

    ``action`` is None (send normally), ``"drop"`` (close without a response) or
    ``"truncate_short"`` (announce the full Content-Length, send half, close).
    ``delay`` is slept before answering, outside the simulator's lock;
    ``work`` is the (database, row-building) seconds a cost model charges
    (:mod:`runlytics.sim.cost`), spent by the simulator in the same place.

    Example:
        >>> Reply(200, b"[]").content_type
        'application/json'
    """

    status: int
    body: bytes
    headers: tuple[tuple[str, str], ...] = ()
    content_type: str = "application/json"
    delay: float = 0.0
    action: str | None = None
    work: tuple[float, float] = (0.0, 0.0)


def json_reply(status: int, obj: Any, headers: tuple[tuple[str, str], ...] = ()) -> Reply:
    """A JSON reply, serialized compactly as FastAPI's JSON responses are.

    Args:
        status: HTTP status code.
        obj: anything orjson serializes.
        headers: extra response headers.

    Returns:
        The reply.

    Example:
        >>> json_reply(403, {"detail": "Invalid credentials"}).body
        b'{"detail":"Invalid credentials"}'
    """
    return Reply(status, orjson.dumps(obj), headers)
