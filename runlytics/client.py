"""One page of ``GET /v1/workflows/runs``, with retries that share their backoff.

:class:`RunsClient` owns the HTTP connection pool, the API key and the retry
policy. :meth:`RunsClient.get_page` returns a :class:`Page` (the raw body and
the ids and timestamps the pager needs) or raises an error from
:mod:`runlytics.errors`. Paging itself lives in :mod:`runlytics.fetch`.

Two environment variables, for tests of the command line (no options, not in
the README), change the defaults when no ``retry``/``timeout`` is passed:
``RUNLYTICS_RETRY_BASE_SECONDS`` (the backoff base and cap; waits become that
short) and ``RUNLYTICS_TIMEOUT_SECONDS`` (the per-request timeout).
"""

from __future__ import annotations

import email.utils
import ipaddress
import logging
import os
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from .errors import APIError, RequestError, SchemaError, TransportError, UsageError, safe_url
from .pages import Page, page_index
from .query import DEFAULT_PAGE_SIZE

__all__ = [
    "DEFAULT_BASE_URL",
    "DEFAULT_CONCURRENCY",
    "DEFAULT_PAGE_SIZE",
    "RUNS_PATH",
    "Page",
    "RetryPolicy",
    "RunsClient",
    "default_retry",
    "mask_in_logs",
    "resolve_base_url",
    "retry_after_seconds",
    "url_policy_problem",
]

DEFAULT_BASE_URL = "https://api.skyvern.com"
DEFAULT_CONCURRENCY = 8
DEFAULT_TIMEOUT = httpx.Timeout(30.0, connect=10.0)
RUNS_PATH = "/v1/workflows/runs"
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
RETRY_BASE_ENV = "RUNLYTICS_RETRY_BASE_SECONDS"
TIMEOUT_ENV = "RUNLYTICS_TIMEOUT_SECONDS"


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how long to retry a request that may succeed later.

    Waits grow as ``base_seconds * 2**attempt`` with full jitter, capped at
    ``cap_seconds``; a ``Retry-After`` header is honoured when it asks for
    longer. A request gives up after ``max_attempts`` tries, after
    ``max_500_attempts`` answers of 500 (the server's unhandled error: a
    database hiccup passes, a bug does not, so it gets a smaller budget), or
    once the waits it has made would pass ``max_total_wait_seconds``.

    Example:
        >>> policy = RetryPolicy()
        >>> policy.gives_up(attempts=3, answers_500=3), policy.gives_up(attempts=3, answers_500=0)
        (True, False)
    """

    max_attempts: int = 6
    base_seconds: float = 0.25
    cap_seconds: float = 30.0
    max_total_wait_seconds: float = 120.0
    max_500_attempts: int = 3

    def delay(self, attempt: int, retry_after: float | None) -> float:
        backoff = random.uniform(0, min(self.cap_seconds, self.base_seconds * 2 ** attempt))
        return max(backoff, retry_after or 0.0)

    def gives_up(self, *, attempts: int, answers_500: int) -> bool:
        """Whether a request that failed ``attempts`` times (``answers_500`` of
        them with a 500) has spent its budget; the total wait is checked apart."""
        return attempts >= self.max_attempts or answers_500 >= self.max_500_attempts


@dataclass
class _Counters:
    requests: int = 0
    retries: int = 0
    waited_seconds: float = 0.0
    retry_reasons: dict[str, int] = field(default_factory=dict)


def resolve_base_url(base_url: str | None, *, allow_insecure: bool = False) -> str:
    """The base URL to use: the argument, else ``SKYVERN_BASE_URL``, else the cloud.

    Only ``https://`` URLs, or ``http://`` to a loopback address, are accepted
    unless ``allow_insecure`` is set: the API key travels in a header.

    Raises:
        UsageError: the URL is not absolute http(s), or is plain http to
            another host without ``allow_insecure``.
    """
    url = (base_url or os.environ.get("SKYVERN_BASE_URL") or DEFAULT_BASE_URL).rstrip("/")
    try:
        parsed = httpx.URL(url)
    except httpx.InvalidURL as exc:
        raise UsageError(f"base URL {url!r} is not a URL: {exc}") from None
    problem = url_policy_problem(parsed, allow_insecure=allow_insecure)
    if problem == "not-http":
        raise UsageError(f"base URL {safe_url(url)!r} must start with https:// (or http:// "
                         "for a server on this machine)")
    if problem == "plain-http":
        raise UsageError(f"base URL {safe_url(url)!r} is plain http to another host: the API "
                         "key would cross the network unencrypted; use https:// or pass "
                         "allow_insecure=True (--allow-insecure)")
    return url


def url_policy_problem(url: httpx.URL, *, allow_insecure: bool = False) -> str | None:
    """Why ``url`` may not carry a secret: ``None`` when it is fine.

    A secret (an API key, a webhook's token) travels only over ``https://``,
    or plain ``http://`` to this machine (``localhost``, ``127.0.0.1``, ``::1``).

    Returns:
        ``None``, ``"not-http"`` (not an absolute http(s) URL) or
        ``"plain-http"`` (http to another host, without ``allow_insecure``).

    Example:
        >>> url_policy_problem(httpx.URL("http://127.0.0.1:8000/hook"))
        >>> url_policy_problem(httpx.URL("http://example.com/hook"))
        'plain-http'
        >>> url_policy_problem(httpx.URL("ftp://example.com/"))
        'not-http'
    """
    if url.scheme not in ("http", "https") or not url.host:
        return "not-http"
    if url.scheme == "http" and not allow_insecure and not _is_loopback(url.host):
        return "plain-http"
    return None


def default_retry() -> RetryPolicy:
    """The retry policy when none is given (``RUNLYTICS_RETRY_BASE_SECONDS`` shortens it)."""
    base = _env_seconds(RETRY_BASE_ENV)
    return RetryPolicy() if base is None else RetryPolicy(base_seconds=base, cap_seconds=base * 8)


def _env_seconds(name: str) -> float | None:
    """A positive number of seconds from environment variable ``name``, if set."""
    text = os.environ.get(name)
    if not text:
        return None
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0 < value < float("inf"):
        raise UsageError(f"{name} must be a number of seconds > 0, got {text!r}")
    return value


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


class RunsClient:
    """HTTP access to the runs endpoint: key, pool, retries, shared backoff.

    Args:
        api_key: the Skyvern API key; default ``SKYVERN_API_KEY``.
        base_url: default ``SKYVERN_BASE_URL``, else ``https://api.skyvern.com``.
        client: an ``httpx.Client`` to use (its base URL and headers are left
            alone; the key is sent per request). Closed by the caller.
        transport: an ``httpx`` transport for a client made here (tests).
        retry: the :class:`RetryPolicy`.
        timeout: per-request timeout.
        allow_insecure: accept plain http to a non-loopback host.
        max_connections: size of the connection pool.
    """

    def __init__(self, *, api_key: str | None = None, base_url: str | None = None,
                 client: httpx.Client | None = None,
                 transport: httpx.BaseTransport | None = None,
                 retry: RetryPolicy | None = None, timeout: httpx.Timeout | float | None = None,
                 allow_insecure: bool = False, max_connections: int = 32) -> None:
        key = api_key if api_key is not None else os.environ.get("SKYVERN_API_KEY")
        if not key:
            raise UsageError("no API key: set SKYVERN_API_KEY or pass api_key= (--api-key)")
        self._key = key
        _LOG_MASK.secrets.add(key)
        self.base_url = resolve_base_url(base_url, allow_insecure=allow_insecure)
        # user:password@ in the base URL is sent as basic auth but kept out of the
        # URL, which httpx logs and reports, errors and file metadata show.
        parsed = httpx.URL(self.base_url)
        self._auth: httpx.Auth | Any = httpx.BasicAuth(parsed.username, parsed.password) \
            if parsed.userinfo else httpx.USE_CLIENT_DEFAULT
        if parsed.userinfo:
            self.base_url = str(parsed.copy_with(username=None, password=None)).rstrip("/")
        self.retry = retry or default_retry()
        self._owns_client = client is None
        self._http = client or httpx.Client(
            transport=transport,
            timeout=timeout if timeout is not None else (_env_seconds(TIMEOUT_ENV)
                                                         or DEFAULT_TIMEOUT),
            limits=httpx.Limits(max_connections=max_connections,
                                max_keepalive_connections=max_connections),
            follow_redirects=False,  # never hand the key to whatever a redirect names
            headers={"accept": "application/json", "user-agent": "runlytics"},
        )
        self.counters = _Counters()
        self._lock = threading.Lock()
        self._pause_until = 0.0
        self._cancelled = threading.Event()

    def __repr__(self) -> str:
        return f"RunsClient(base_url={self.base_url!r}, api_key='***')"

    def cancel(self) -> None:
        """Make waiting and retrying requests give up (used when a fetch fails)."""
        self._cancelled.set()

    def reset(self) -> None:
        """Clear a :meth:`cancel` and the counters, before a new fetch."""
        self._cancelled.clear()
        self.counters = _Counters()

    def close(self) -> None:
        if self._owns_client:
            self._http.close()

    def __enter__(self) -> RunsClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def get_page(self, number: int, page_size: int, params: list[tuple[str, str]], *,
                 path: str = RUNS_PATH) -> Page:
        """Fetch page ``number``, retrying what may pass; see :class:`RetryPolicy`.

        Raises:
            AuthError, NotFoundError, RequestError: at once (403/401, 404, 4xx).
            RateLimitError, ServerError, TransportError, SchemaError: once
                retries are spent (429, 5xx, connection trouble, bodies that
                are not a JSON array of runs).
        """
        query = [("page", str(number)), ("page_size", str(page_size)), *params]
        # built once for every attempt; its redacted form only when a message needs it
        url = httpx.URL(f"{self.base_url}{path}", params=query)
        waited = 0.0
        attempt = answers_500 = 0
        while True:
            self._wait_for_pause()
            sent = time.monotonic()
            result, retry_after = self._attempt(url)
            if isinstance(result, Page):
                result.number, result.page_size, result.sent_at = number, page_size, sent
                return result
            failure = result
            attempt += 1
            answers_500 += isinstance(failure, APIError) and failure.status_code == 500
            delay = self.retry.delay(attempt, retry_after)
            if self.retry.gives_up(attempts=attempt, answers_500=answers_500) or \
                    waited + delay > self.retry.max_total_wait_seconds:
                raise _final_error(failure, attempt, safe_url(url))
            with self._lock:
                self.counters.retries += 1
                reason = _reason(failure)
                self.counters.retry_reasons[reason] = self.counters.retry_reasons.get(reason, 0) + 1
                if retry_after:  # the server asked everyone to slow down, not just us
                    self._pause_until = max(self._pause_until, time.monotonic() + delay)
            if self._cancelled.wait(delay):
                raise TransportError(f"cancelled while waiting to retry {safe_url(url)}")
            waited += delay
            with self._lock:
                self.counters.waited_seconds += delay

    def _wait_for_pause(self) -> None:
        while (left := self._pause_until - time.monotonic()) > 0:
            if self._cancelled.wait(left):
                raise TransportError("cancelled while the server asked to slow down")

    def _attempt(self, url: httpx.URL) -> tuple[Page | Exception, float | None]:
        with self._lock:
            self.counters.requests += 1
        try:
            response = self._http.get(url, headers={"x-api-key": self._key}, auth=self._auth)
        except httpx.TimeoutException as exc:
            return TransportError(f"timed out ({type(exc).__name__}) on {safe_url(url)}"), None
        except httpx.TransportError as exc:
            return TransportError(f"connection failed ({type(exc).__name__}: "
                                  f"{_scrub(str(exc), self._key)}) on {safe_url(url)}"), None
        received = time.monotonic()
        if response.status_code == 200:
            try:
                index = page_index(response.content)
            except SchemaError as exc:  # truncated or not an array: a gateway glitch, or final
                return SchemaError(f"{_scrub(str(exc), self._key)} on {safe_url(url)}",
                                   run_id=exc.run_id, field=exc.field, value=exc.value), None
            return Page(0, 0, response.content, index, 0.0, received), None
        shown = safe_url(url)
        error = APIError.from_response(response, url=shown, secret=self._key)
        if response.status_code in RETRY_STATUSES:
            return error, retry_after_seconds(response.headers.get("retry-after"))
        if 300 <= response.status_code < 400:
            location = _scrub(safe_url(response.headers.get("location", "(none)")), self._key)
            raise RequestError(response.status_code, shown,
                               f"redirected to {location}; not followed, so the API key is "
                               "never sent elsewhere: use the final URL as --base-url")
        raise error


class _SecretMask(logging.Filter):
    """Masks API keys in the records of httpx's and httpcore's loggers.

    httpcore logs response headers at DEBUG as they came, so a server (or a
    proxy) that echoes the key in a header would put it in the user's logs.
    """

    def __init__(self) -> None:
        super().__init__()
        self.secrets: set[str] = set()

    def filter(self, record: logging.LogRecord) -> bool:
        if self.secrets:
            message = record.getMessage()
            if any(secret in message for secret in self.secrets):
                for secret in self.secrets:
                    message = message.replace(secret, "***")
                record.msg, record.args = message, None
        return True


_LOG_MASK = _SecretMask()
for _name in ("httpx", "httpcore.connection", "httpcore.http11", "httpcore.http2",
              "httpcore.proxy", "httpcore.socks"):
    logging.getLogger(_name).addFilter(_LOG_MASK)


def mask_in_logs(secret: str) -> None:
    """Mask ``secret`` (a key, a webhook URL's token) as ``***`` in httpx's and httpcore's logs.

    Example:
        >>> mask_in_logs("/services/T0/B0/s3cret")
    """
    if secret:
        _LOG_MASK.secrets.add(secret)


def _final_error(failure: Exception, attempts: int, shown: str) -> Exception:
    if isinstance(failure, APIError):
        return failure
    if isinstance(failure, SchemaError):
        return SchemaError(f"{failure} (gave up after {attempts} attempts)",
                           run_id=failure.run_id, field=failure.field, value=failure.value)
    return type(failure)(f"{failure} (gave up after {attempts} attempts)")


def _reason(failure: Exception) -> str:
    if isinstance(failure, APIError):
        return str(failure.status_code)
    if isinstance(failure, SchemaError):
        return "bad body"
    return "connection"


def _scrub(text: str, key: str) -> str:
    return text.replace(key, "***") if key else text


def retry_after_seconds(value: str | None) -> float | None:
    """``Retry-After`` in seconds, from delta-seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


Progress = Callable[[int], Any]
