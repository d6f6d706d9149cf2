"""Which endpoint a request names, who may call it, and what each endpoint answers.

Shaped like the real server (FastAPI): the same handler answers
``/v1/workflows/runs``, ``/v1/agents/runs`` (the official SDK's path) and
``/api/v1/workflows/runs``, with or without a trailing slash; authentication
is a dependency resolved before the query is validated, so a bad key gives
403 even for an invalid query. Every auth failure is 403, never 401; an
unknown organisation is 404. A path no route matches is 404 without
authentication, another method than GET is 405.

Example:
    >>> route("GET", "/api/v1/agents/runs/")
    ('runs', None)
    >>> route("POST", "/v1/workflows/runs").status
    405
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from urllib.parse import unquote

import orjson

from .cost import Database
from .index import RunIndex
from .params import capped_page_size, parse_list_query, parse_page_query
from .reply import Reply, json_reply
from .workflows import Workflow, workflow_objects

__all__ = [
    "EXPIRED_KEY",
    "UNKNOWN_ORG_KEY",
    "check_auth",
    "match_route",
    "method_not_allowed",
    "not_found",
    "route",
    "runs_reply",
    "workflows_reply",
]

EXPIRED_KEY = "sim-expired"          # x-api-key that answers "Auth token is expired"
UNKNOWN_ORG_KEY = "sim-unknown-org"  # x-api-key of an organisation that no longer exists


def not_found() -> Reply:
    """FastAPI's answer for a path no route matches (no authentication needed).

    Example:
        >>> not_found().body
        b'{"detail":"Not Found"}'
    """
    return json_reply(404, {"detail": "Not Found"})


def method_not_allowed() -> Reply:
    """FastAPI's answer for a known path with a method other than GET.

    Example:
        >>> method_not_allowed().headers
        (('allow', 'GET'),)
    """
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

    Example:
        >>> match_route("/v1/workflows/wpid%5F1/runs"), match_route("/v2/runs")
        (('workflow_runs', 'wpid_1'), None)
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


def route(method: str, path: str) -> tuple[str, str | None] | Reply:
    """The endpoint of a request, or the 404/405 reply when there is none.

    Args:
        method: HTTP method; GET and HEAD are answered.
        path: the request path without the query string.

    Returns:
        What :func:`match_route` returns, or the error reply.

    Example:
        >>> route("GET", "/v1/nothing").status
        404
    """
    found = match_route(path)
    if found is None:
        return not_found()
    if method not in ("GET", "HEAD"):
        return method_not_allowed()
    return found


def check_auth(expected: str | None, given: str | None) -> Reply | None:
    """The 403/404 the server sends for ``x-api-key`` = ``given``, or None if accepted.

    Args:
        expected: the simulator's key; None accepts every request.
        given: the header value, None when absent.

    Returns:
        None when authenticated, else the error reply.

    Example:
        >>> check_auth("sim-key", "sim-key") is None
        True
        >>> check_auth("sim-key", EXPIRED_KEY).body
        b'{"detail":"Auth token is expired"}'
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


def runs_reply(index: RunIndex, query: Mapping[str, list[str]], wpid: str | None, *,
               max_page_size: int | None = None, database: Database | None = None) -> Reply:
    """Answer an authenticated run-list request: one page, or the 422.

    Args:
        index: the listed runs.
        query: parsed query string, every key mapped to all its values.
        wpid: the workflow of ``/v1/workflows/{wpid}/runs`` (which also takes
            the created_at window), None for the organisation-wide list.
        max_page_size: a gateway's silent page-size cap.
        database: the cost model to price the page with (its 500s, the 503
            above the row ceiling, the seconds in ``reply.work``).

    Returns:
        200 with a bare JSON array, or 422 (or the cost model's 500/503).

    Example:
        >>> import random
        >>> runs_reply(RunIndex(random.Random(1)), {"page": ["9"]}, None).body
        b'[]'
    """
    parsed = parse_list_query(query, windowed=wpid is not None)
    if isinstance(parsed, Reply):
        return parsed

    def answer() -> Reply:
        return Reply(200, index.page(parsed, wpid, max_page_size=max_page_size))

    if database is None:
        return answer()
    skipped, rows = index.span(parsed, wpid, max_page_size=max_page_size)
    return database.price(skipped=skipped, rows=rows, answer=answer)


def workflows_reply(workflows: Sequence[Workflow], query: Mapping[str, list[str]], *,
                    max_page_size: int | None = None) -> Reply:
    """Answer an authenticated ``GET /v1/workflows``: a page of workflows, newest first.

    Args:
        workflows: the organisation's workflows.
        query: parsed query string (``page``, ``page_size``).
        max_page_size: a gateway's silent page-size cap.
        database: the cost model to price the page with (its 500s, the 503
            above the row ceiling, the seconds in ``reply.work``).

    Returns:
        200 with a bare JSON array, or 422 (or the cost model's 500/503).

    Example:
        >>> workflows_reply([], {"page_size": ["0"]}).status
        422
    """
    parsed = parse_page_query(query)
    if isinstance(parsed, Reply):
        return parsed
    page, size = parsed
    size = capped_page_size(size, max_page_size)
    objs = workflow_objects(workflows)
    return Reply(200, orjson.dumps(objs[(page - 1) * size: page * size]))
