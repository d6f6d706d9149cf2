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
    └── UsageError(ValueError)                 a bad option value (dates, page size, ...)

Every message says what happened and what to do next. No message ever holds
the API key: URLs are shown without their query string's secrets and headers
are never shown.
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

        ``secret`` (the API key) is masked wherever the server echoed it back.
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
    """The server's ``detail`` (or ``error``) from a JSON body, else a short text excerpt."""
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
    """FastAPI's field errors as ``query.page: Input should be ... (got '0')``."""
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
    """``url`` without user info and with secret-looking query values replaced by ``***``."""
    import httpx

    url = httpx.URL(str(url))
    if url.userinfo:
        url = url.copy_with(username=None, password=None)
    params = [(k, "***" if k.lower() in _SECRET_PARAMS else v)
              for k, v in url.params.multi_items()]
    return str(url.copy_with(params=params)) if params else str(url.copy_with(query=None))


def run_label(run_id: Any) -> str:
    """A run's id as messages show it: quoted when it is not plain one-line text."""
    if not run_id:
        return "(no workflow_run_id)"
    text = str(run_id)
    return text if text.isprintable() and len(text) <= 100 else repr(run_id)[:100]


def bad_value(run_id: Any, field: str, value: Any, expected: str) -> SchemaError:
    shown = repr(value)
    shown = shown if len(shown) <= 80 else shown[:77] + "..."
    return SchemaError(f"run {run_label(run_id)}: field {field!r} should be "
                       f"{expected}, got {shown}", run_id=run_id, field=field, value=value)
