"""POST an alert to a webhook, retrying what may succeed later, never showing the URL.

429 (with its ``Retry-After``, capped), 5xx and connection errors are
retried with the backoff of :class:`runlytics.client.RetryPolicy`, bounded in
attempts and total wait; other answers fail at once. Every failure is a
:class:`~runlytics.errors.NotifyError` that names the target by kind and host
(:class:`~runlytics.notify.targets.Target`); the URL's path and query (where
the token is) are masked in httpx's logs too.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

import httpx

from .._version import __version__
from ..client import RetryPolicy, mask_in_logs, retry_after_seconds
from ..errors import NotifyError, response_detail
from ..report.text import clean
from .targets import Target

__all__ = ["DEFAULT_NOTIFY_RETRY", "NOTIFY_TIMEOUT", "RETRY_AFTER_CAP_SECONDS", "open_client",
           "post_alert"]

DEFAULT_NOTIFY_RETRY = RetryPolicy(max_attempts=4, base_seconds=1.0, cap_seconds=10.0,
                                   max_total_wait_seconds=60.0)
RETRY_AFTER_CAP_SECONDS = 30.0  # a receiver asking for more must not stall a cron job
NOTIFY_TIMEOUT = httpx.Timeout(15.0, connect=10.0)

log = logging.getLogger(__name__)


def open_client(transport: httpx.BaseTransport | None = None) -> httpx.Client:
    """The HTTP client for webhooks: no redirects (they would take the body elsewhere)."""
    return httpx.Client(transport=transport, timeout=NOTIFY_TIMEOUT, follow_redirects=False,
                        headers={"user-agent": f"runlytics/{__version__}"})


def post_alert(client: httpx.Client, target: Target, body: dict[str, Any], *,
               retry: RetryPolicy = DEFAULT_NOTIFY_RETRY,
               sleep: Callable[[float], Any] | None = None) -> int:
    """POST ``body`` as JSON to ``target``; return the HTTP status of the answer that took it.

    Args:
        client: from :func:`open_client` (or any ``httpx.Client``).
        target: where to post.
        body: the JSON body (:func:`~runlytics.notify.slack.slack_body`, ...).
        retry: attempts and backoff.
        sleep: how to wait between attempts (default ``time.sleep``).

    Raises:
        NotifyError: a 3xx/4xx answer, or every attempt failed; the message
            names the target as ``kind:host/…`` only.

    Example:
        >>> def handler(request):
        ...     return httpx.Response(200, text="ok")
        >>> client = open_client(httpx.MockTransport(handler))
        >>> post_alert(client, Target("json", "https://example.com/hook?token=x"), {"a": 1})
        200
    """
    parsed = httpx.URL(target.url)
    mask_in_logs(parsed.raw_path.decode("ascii", "replace"))
    waited, reason = 0.0, ""
    for attempt in range(1, retry.max_attempts + 1):
        retry_after: float | None = None
        try:
            response = client.post(target.url, json=body)
        except httpx.TransportError as exc:
            reason = f"connection failed ({type(exc).__name__})"
        else:
            status = response.status_code
            if 200 <= status < 300:
                log.debug("alert delivered to %s (HTTP %d, attempt %d)", target, status, attempt)
                return status
            reason = f"HTTP {status}: {_detail(response, target)}"
            if status != 429 and status < 500:
                raise NotifyError(f"{target}: the webhook refused the alert ({reason}); check "
                                  "the --notify URL and that the webhook still exists")
            retry_after = retry_after_seconds(response.headers.get("retry-after"))
        delay = retry.delay(attempt - 1, None if retry_after is None
                            else min(retry_after, RETRY_AFTER_CAP_SECONDS))
        if attempt == retry.max_attempts or waited + delay > retry.max_total_wait_seconds:
            break
        log.debug("alert to %s: %s; retrying in %.1f s", target, reason, delay)
        (sleep or time.sleep)(delay)
        waited += delay
    raise NotifyError(f"{target}: could not deliver the alert after {attempt} attempt"
                      f"{'s' if attempt != 1 else ''} ({reason}); try again later")


def _detail(response: httpx.Response, target: Target) -> str:
    text = clean(response_detail(response), 100)
    path = httpx.URL(target.url).raw_path.decode("ascii", "replace")
    return text.replace(target.url, "***").replace(path, "***") if path != "/" else text
