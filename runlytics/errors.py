"""The one exception tree of runlytics.

::

    RunlyticsError
    ├── APIError(status_code, url, detail)     an HTTP answer we cannot use
    │   ├── AuthError                          403/401: bad, missing or expired key
    │   ├── NotFoundError                      404: unknown organisation or path
    │   ├── RequestError                       422 (and other 4xx): the server's field errors
    │   ├── RateLimitError                     429 after every retry
    │   └── ServerError                        5xx after every retry
    ├── TransportError                         connection, timeout, truncated body (after retries)
    ├── SchemaError(ValueError)                a run or page that does not fit the schema
    ├── StoreError                             a Parquet file or dataset we cannot read or write
    ├── NotifyError                            an alert no target took, after every retry
    └── UsageError(ValueError)                 a bad option value (dates, page size, ...)

Every message says what happened and what to do next. No message ever holds
the API key: URLs are shown without their query string's secrets and headers
are never shown.

Example:
    >>> try:
    ...     raise AuthError(403, "https://api.skyvern.com/v1/workflows/runs", "Invalid API key")
    ... except RunlyticsError as exc:
    ...     print(exc)  # doctest: +NORMALIZE_WHITESPACE
    HTTP 403 from https://api.skyvern.com/v1/workflows/runs: Invalid API key
    (check SKYVERN_API_KEY or --api-key)
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # httpx loads only where HTTP is spoken
    import httpx

__all__ = [
    "APIError",
    "AuthError",
    "NotFoundError",
    "NotifyError",
    "RateLimitError",
    "RequestError",
    "RunlyticsError",
    "SchemaError",
    "ServerError",
    "StoreError",
    "TransportError",
    "UsageError",
]


class RunlyticsError(Exception):
    """Base of every error runlytics raises on purpose."""


class UsageError(RunlyticsError, ValueError):
    """An option value runlytics cannot use (say which option and why)."""


class StoreError(RunlyticsError):
    """A Parquet file or dataset that cannot be read or written."""


class NotifyError(RunlyticsError):
    """An alert that could not be delivered, after every retry.

    The message names the target by kind and host only: a webhook URL carries
    its token. ``results`` holds what happened at every target, delivered or not.
    """

    def __init__(self, message: str, *, results: Any = ()) -> None:
        super().__init__(message)
        self.results = list(results)


class TransportError(RunlyticsError):
    """The connection failed, timed out or cut a body short, after every retry."""


class SchemaError(RunlyticsError, ValueError):
    """A run or page that does not fit the runs schema.

    Attributes:
        run_id: the ``workflow_run_id`` of the offending run, when known.
        field: the field at fault, when known.
        value: the offending value, when known.
    """

    def __init__(self, message: str, *, run_id: str | None = None, field: str | None = None,
                 value: Any = None) -> None:
        super().__init__(message)
        self.run_id = run_id
        self.field = field
        self.value = value


class APIError(RunlyticsError):
    """The API answered with an HTTP status runlytics cannot use.

    Attributes:
        status_code: the HTTP status.
        url: the request URL, safe to show (no secrets).
        detail: the server's ``detail`` (a string, or FastAPI's list of field errors).
    """

    hint = ""

    def __init__(self, status_code: int, url: str, detail: Any) -> None:
        self.status_code = status_code
        self.url = url
        self.detail = detail
        text = f"HTTP {status_code} from {url}: {render_detail(detail)}"
        if self.hint:
            text += f" ({self.hint})"
        super().__init__(text)

    @classmethod
    def from_response(cls, response: httpx.Response, *, url: str | None = None,
                      secret: str | None = None) -> APIError:
        """The error that fits ``response``'s status, with the server's detail.

        Args:
            response: the HTTP answer (401/403, 404, 422 and other 4xx, 429, 5xx).
            url: the URL to show (default: the request's, made safe by :func:`safe_url`).
            secret: the API key, masked wherever the server echoed it back.

        Returns:
            An :class:`AuthError`, :class:`NotFoundError`, :class:`RateLimitError`,
            :class:`ServerError` or :class:`RequestError`.

        Example:
            >>> import httpx
            >>> request = httpx.Request("GET", "https://api.skyvern.com/v1/workflows/runs?page=0")
            >>> error = APIError.from_response(httpx.Response(422, request=request, json={
            ...     "detail": [{"loc": ["query", "page"], "input": "0",
            ...                 "msg": "Input should be greater than or equal to 1"}]}))
            >>> type(error).__name__, error.status_code
            ('RequestError', 422)
            >>> print(error)  # doctest: +NORMALIZE_WHITESPACE
            HTTP 422 from https://api.skyvern.com/v1/workflows/runs?page=0: query.page: Input
            should be greater than or equal to 1 (got '0') (fix the option named above)
        """
        status = response.status_code
        kind: type[APIError]
        if status in (401, 403):
            kind = AuthError
        elif status == 404:
            kind = NotFoundError
        elif status == 429:
            kind = RateLimitError
        elif status >= 500:
            kind = ServerError
        else:
            kind = RequestError
        detail = response_detail(response)
        return kind(status, url or safe_url(response.request.url),
                    _masked(detail, secret) if secret else detail)


class AuthError(APIError):
    """403/401: the API key is missing, wrong or expired."""

    hint = "check SKYVERN_API_KEY or --api-key"


class NotFoundError(APIError):
    """404: the organisation or the path does not exist."""

    hint = "check SKYVERN_BASE_URL and that the key's organisation still exists"


class RequestError(APIError):
    """422 and other 4xx: the server rejected the request's parameters."""

    hint = "fix the option named above"


class RateLimitError(APIError):
    """429 that outlasted every retry."""

    hint = "the server kept rate limiting; try again later or lower --concurrency"


class ServerError(APIError):
    """5xx that outlasted every retry."""

    hint = "the server or a gateway failed; try again later"


def response_detail(response: httpx.Response) -> Any:
    """The server's ``detail`` (or ``error``) from a JSON body, else a short text excerpt.

    Example:
        >>> import httpx
        >>> response_detail(httpx.Response(403, json={"detail": "Invalid API key"}))
        'Invalid API key'
        >>> response_detail(httpx.Response(502, text="<title>502 Bad Gateway</title>"))
        '502 Bad Gateway (an HTML error page)'
    """
    try:
        body = response.json()
    except ValueError:
        text = " ".join(response.text.split())
        title = re.search(r"<title>(.*?)</title>", text, re.IGNORECASE)
        if title and title.group(1).strip():  # a gateway's HTML error page: its title says it
            return f"{title.group(1).strip()[:200]} (an HTML error page)"
        return text[:200] + ("..." if len(text) > 200 else "") if text else "(empty body)"
    if isinstance(body, dict):
        for key in ("detail", "error", "message"):
            if key in body:
                return body[key]
    return body


def _masked(value: Any, secret: str) -> Any:
    if isinstance(value, str):
        return value.replace(secret, "***")
    if isinstance(value, list):
        return [_masked(v, secret) for v in value]
    if isinstance(value, dict):
        return {_masked(k, secret): _masked(v, secret) for k, v in value.items()}
    return value


def render_detail(detail: Any) -> str:
    """FastAPI's field errors as ``query.page: Input should be ... (got '0')``.

    Example:
        >>> render_detail([{"loc": ["query", "page_size"], "msg": "too big", "input": 10_000}])
        'query.page_size: too big (got 10000)'
        >>> render_detail("Invalid API key")
        'Invalid API key'
    """
    if isinstance(detail, list) and all(isinstance(e, dict) for e in detail):
        parts = []
        for err in detail:
            loc = ".".join(str(p) for p in err.get("loc", ()))
            part = f"{loc}: {err.get('msg', err)}" if loc else str(err.get("msg", err))
            if "input" in err:
                shown = repr(err["input"])
                part += f" (got {shown[:80]})"
            parts.append(part)
        return "; ".join(parts)
    return str(detail)


_SECRET_PARAMS = frozenset({"api_key", "apikey", "key", "token", "access_token", "x-api-key"})


def safe_url(url: httpx.URL | str) -> str:
    """``url`` without user info and with secret-looking query values replaced by ``***``.

    Example:
        >>> safe_url("https://me:pw@api.skyvern.com/v1/workflows/runs?api_key=s3cret&page=2")
        'https://api.skyvern.com/v1/workflows/runs?api_key=%2A%2A%2A&page=2'
    """
    import httpx

    url = httpx.URL(str(url))
    if url.userinfo:
        url = url.copy_with(username=None, password=None)
    params = [(k, "***" if k.lower() in _SECRET_PARAMS else v)
              for k, v in url.params.multi_items()]
    return str(url.copy_with(params=params)) if params else str(url.copy_with(query=None))


def run_label(run_id: Any) -> str:
    """A run's id as messages show it: quoted when it is not plain one-line text.

    Example:
        >>> run_label("wr_1"), run_label(None)
        ('wr_1', '(no workflow_run_id)')
        >>> print(run_label(chr(10).join(["wr_1", "wr_2"])))  # two lines: quoted
        'wr_1\\nwr_2'
    """
    if not run_id:
        return "(no workflow_run_id)"
    text = str(run_id)
    return text if text.isprintable() and len(text) <= 100 else repr(run_id)[:100]


def bad_value(run_id: Any, field: str, value: Any, expected: str) -> SchemaError:
    """The :class:`SchemaError` for a run's field that holds the wrong kind of value.

    Args:
        run_id: the run's ``workflow_run_id`` (shown by :func:`run_label`).
        field: the field at fault.
        value: what it holds (shown as its repr, cut to 80 characters).
        expected: what it should hold, as words (``"an integer"``).

    Example:
        >>> error = bad_value("wr_1", "attempt", "two", "an integer")
        >>> print(error)
        run wr_1: field 'attempt' should be an integer, got 'two'
        >>> error.run_id, error.field, error.value
        ('wr_1', 'attempt', 'two')
    """
    shown = repr(value)
    shown = shown if len(shown) <= 80 else shown[:77] + "..."
    return SchemaError(f"run {run_label(run_id)}: field {field!r} should be "
                       f"{expected}, got {shown}", run_id=run_id, field=field, value=value)
