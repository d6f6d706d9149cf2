"""Where alerts go: ``slack:URL``, ``teams:URL``, ``json:URL`` or a bare Slack webhook URL.

A webhook URL is a secret (its path or query carries the token), so a
:class:`Target` shows only its kind and host, and no error names the URL.
The base-URL policy of the API client applies: ``https://``, or plain
``http://`` to this machine only.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

import httpx

from ..client import url_policy_problem
from ..errors import UsageError

__all__ = ["KINDS", "Target", "parse_target"]

KINDS = ("slack", "teams", "json")
SLACK_HOST = "hooks.slack.com"


@dataclass(frozen=True)
class Target:
    """One webhook: its kind (``slack``, ``teams``, ``json``) and its URL (a secret).

    Example:
        >>> target = Target("slack", "https://hooks.slack.com/services/T0/B0/s3cret")
        >>> str(target), "s3cret" in repr(target)
        ('slack:hooks.slack.com/…', False)
    """

    kind: str
    url: str = field(repr=False)

    @property
    def host(self) -> str:
        """The URL's host (and port, when one is given), safe to show."""
        parsed = httpx.URL(self.url)
        return f"{parsed.host}:{parsed.port}" if parsed.port else parsed.host

    @property
    def fingerprint(self) -> str:
        """A stable id for the alert state that does not reveal the URL (a hash)."""
        return f"{self.kind}:{hashlib.sha256(self.url.encode()).hexdigest()[:16]}"

    def __str__(self) -> str:
        return f"{self.kind}:{self.host}/…"

    def __repr__(self) -> str:
        return f"Target({str(self)!r})"


def parse_target(text: str, *, allow_insecure: bool = False) -> Target:
    """The :class:`Target` that ``--notify TEXT`` names.

    Args:
        text: ``slack:URL``, ``teams:URL``, ``json:URL``, or a bare
            ``https://hooks.slack.com/...`` URL (Slack).
        allow_insecure: accept plain http to another host (the token would
            cross the network unencrypted).

    Returns:
        A :class:`Target`.

    Raises:
        UsageError: an unknown kind, not a URL, or a URL the policy refuses;
            the message never holds the URL.

    Example:
        >>> parse_target("teams:https://example.webhook.office.com/workflows/abc?sig=x")
        Target('teams:example.webhook.office.com/…')
        >>> parse_target("https://hooks.slack.com/services/T0/B0/x").kind
        'slack'
        >>> parse_target("http://127.0.0.1:8080/hook")
        Traceback (most recent call last):
        ...
        runlytics.errors.UsageError: --notify target 'http:…' has no kind: write slack:URL, \
teams:URL or json:URL (a bare URL is taken as Slack only on hooks.slack.com)
    """
    kind, _, url = text.partition(":")
    if kind not in KINDS:
        kind, url = "slack", text
        if _host(url) != SLACK_HOST:
            raise UsageError(f"--notify target {text.partition(':')[0] + ':…'!r} has no kind: "
                             "write slack:URL, teams:URL or json:URL (a bare URL is taken as "
                             f"Slack only on {SLACK_HOST})")
    try:
        parsed = httpx.URL(url)
    except httpx.InvalidURL:
        raise UsageError(f"--notify target {kind}:… is not a URL") from None
    problem = url_policy_problem(parsed, allow_insecure=allow_insecure)
    if problem == "not-http":
        raise UsageError(f"--notify target {kind}:… must be an https:// URL (or http:// "
                         "for a receiver on this machine)")
    target = Target(kind, url)
    if problem == "plain-http":
        raise UsageError(f"--notify target {target} is plain http to another host: its token "
                         "would cross the network unencrypted; use https://")
    return target


def _host(url: str) -> str | None:
    try:
        parsed = httpx.URL(url)
    except httpx.InvalidURL:
        return None
    return parsed.host if parsed.scheme == "https" else None
