"""Alerts where operators look: Slack, Microsoft Teams and JSON webhooks, posted once.

:func:`notify` takes a report's JSON summary (``report.summary``) and the
targets (:func:`parse_target` of each ``--notify TARGET``), decides per target
whether to post (a breach, again only after ``renotify_after``; one
"resolved" message when it clears), posts, records what it posted in the
alert state file and returns a :class:`NotifyResult` per target.

Modules: :mod:`.targets` (parse, URL policy), :mod:`.message` (the neutral
:class:`Alert`), :mod:`.slack`, :mod:`.teams`, :mod:`.jsonbody` (the bodies),
:mod:`.state` (the state file), :mod:`.deliver` (POST with retries).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx
import pandas as pd

from ..client import RetryPolicy
from ..errors import NotifyError, UsageError
from ..units import to_timedelta, to_utc
from .deliver import DEFAULT_NOTIFY_RETRY, open_client, post_alert
from .jsonbody import json_body
from .message import Alert, alert_key, build_alert
from .slack import render_text, slack_body
from .state import AlertState, decide, locked_state
from .targets import Target, parse_target
from .teams import teams_body

__all__ = [
    "DEFAULT_RENOTIFY_AFTER",
    "NOTIFY_ON",
    "Alert",
    "NotifyError",
    "NotifyResult",
    "Target",
    "alert_key",
    "build_alert",
    "notify",
    "parse_target",
    "render_text",
]

DEFAULT_RENOTIFY_AFTER = "6h"
NOTIFY_ON = ("breach", "always", "change")
_ACTION_DONE = {"send": "sent", "resolve": "resolved", "suppress": "suppressed", "quiet": "quiet"}

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class NotifyResult:
    """What happened at one target.

    Attributes:
        target: the target (shown as ``kind:host/…``).
        action: ``sent``, ``resolved`` (a "resolved" message was sent),
            ``suppressed`` (the same breach was posted within
            ``renotify_after``), ``quiet`` (nothing broke, nothing to say) or
            ``failed`` (see ``error``).
        key: the breach key (empty when nothing broke).
        status_code: the HTTP status of the answer that took the message.
        error: why delivery failed (no URL in it).
    """

    target: Target
    action: str
    key: str
    status_code: int | None = None
    error: str | None = None


def notify(summary: dict[str, Any], targets: list[Target], *, on: str = "breach",
           state_path: str | None = None, renotify_after: str | timedelta = DEFAULT_RENOTIFY_AFTER,
           report_url: str | None = None, now: Any = None,
           transport: httpx.BaseTransport | None = None,
           retry: RetryPolicy = DEFAULT_NOTIFY_RETRY) -> list[NotifyResult]:
    """Post the report's alert to each target that should hear it; return what happened.

    Args:
        summary: ``report.summary`` (the JSON summary).
        targets: from :func:`parse_target`.
        on: ``breach`` (default: post when a threshold broke or a significant
            change was found, the same breach again after ``renotify_after``),
            ``change`` (post only when what broke differs from the last post)
            or ``always`` (every report; the way to test a target).
        state_path: the alert state file (``--alert-state``); without it
            every breach is posted and no "resolved" message can be sent.
        renotify_after: a span (``30m``, ``6h``, ``1d``) or a timedelta.
        report_url: where the HTML report is served, linked from the message.
        now: the moment of the report (default: now).
        transport: an ``httpx`` transport (tests).
        retry: attempts and backoff per target.

    Returns:
        One :class:`NotifyResult` per target, in order.

    Raises:
        UsageError: a bad ``on`` or ``renotify_after``.
        NotifyError: a target could not be reached after every retry; the
            others were still tried and recorded, ``error.results`` holds all.
        StoreError: the state file cannot be read or written.

    Example:
        >>> notify({"runs": 3, "thresholds": []}, [])
        []
    """
    if on not in NOTIFY_ON:
        raise UsageError(f"notify on: expected one of {', '.join(NOTIFY_ON)}, got {on!r}")
    interval = to_timedelta(renotify_after, "renotify_after")
    moment = to_utc(now, "now") if now is not None else pd.Timestamp.now(tz="UTC")
    if not targets:
        return []
    with open_client(transport) as client:
        if state_path is None:
            results = _notify_all(summary, targets, AlertState(path=None),
                                  client, on, interval, report_url, moment, retry)
        else:
            with locked_state(state_path) as state:
                results = _notify_all(summary, targets, state, client, on, interval,
                                      report_url, moment, retry)
                state.save()
    failed = [r for r in results if r.action == "failed"]
    if failed:
        raise NotifyError("; ".join(str(r.error) for r in failed), results=results)
    return results


def _notify_all(summary: dict[str, Any], targets: list[Target], state: AlertState,
                client: httpx.Client, on: str, interval: pd.Timedelta,
                report_url: str | None, now: pd.Timestamp,
                retry: RetryPolicy) -> list[NotifyResult]:
    key = alert_key(summary)
    results = []
    for target in targets:
        previous = state.targets.get(target.fingerprint)
        action = decide(previous, key, on=on, now=now, renotify_after=interval)
        result = NotifyResult(target, _ACTION_DONE[action], key)
        if action in ("send", "resolve"):
            alert = build_alert(summary, state="resolved" if action == "resolve" else None,
                                report_url=report_url)
            try:
                status = post_alert(client, target, _body(target, alert, summary), retry=retry)
            except NotifyError as exc:
                result = NotifyResult(target, "failed", key, error=str(exc))
            else:
                result = NotifyResult(target, result.action, key, status_code=status)
                state.record(target.fingerprint, key, now)
        log.info("alert %s: %s", target, result.action)
        results.append(result)
    return results


def _body(target: Target, alert: Alert, summary: dict[str, Any]) -> dict[str, Any]:
    if target.kind == "slack":
        return slack_body(alert)
    if target.kind == "teams":
        return teams_body(alert)
    return json_body(alert, summary)
