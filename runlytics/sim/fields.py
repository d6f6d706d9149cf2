"""Wire-level constants of the simulated API: field order, statuses, time helpers.

The real server (Skyvern 1.0.56) writes every run object with the 55 keys of
:data:`API_FIELDS`, in that order, nulls included, and timestamps as naive UTC
ISO strings (``2026-01-20T11:52:29.276851``, fraction dropped when the
microseconds are zero). The simulator keeps every instant as an ``int`` of
microseconds since the Unix epoch and only turns it into text when a run is
serialized.

Example:
    >>> iso(to_us(datetime(2026, 1, 20, 11, 52, 29, 276851))), iso(1768909949 * US)
    ('2026-01-20T11:52:29.276851', '2026-01-20T11:52:29')
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

__all__ = [
    "API_FIELDS",
    "FINAL",
    "STATUSES",
    "STATUS_ENUM_TEXT",
    "US",
    "from_us",
    "iso",
    "now_us",
    "to_us",
]

# Order of the keys in a run object, as recorded from the real server
# (/work/shared/recorded/runs_page1_size5.json); the schema module lists the
# same 55 names in a different, documentation-friendly order.
API_FIELDS: tuple[str, ...] = (
    "workflow_run_id", "workflow_id", "workflow_permanent_id", "organization_id",
    "browser_session_id", "browser_profile_id", "browser_seed_source",
    "browser_sink_profile_id", "start_fresh_browser", "reuse_browser_session",
    "debug_session_id", "status", "attempt", "retry_pending", "next_attempt_at", "attempts",
    "extra_http_headers", "cdp_connect_headers", "proxy_location", "webhook_callback_url",
    "webhook_failure_reason", "totp_verification_url", "totp_identifier", "failure_reason",
    "failure_category", "retried_from_workflow_run_id", "fallback_attempt",
    "parent_workflow_run_id", "workflow_title", "max_screenshot_scrolls",
    "max_elapsed_time_minutes", "browser_address", "run_with", "browser_type",
    "browser_settings", "browser_settings_receipt", "script_run", "job_id",
    "depends_on_workflow_run_id", "sequential_key", "sequential_credential_id", "ai_fallback",
    "code_gen", "trigger_type", "workflow_schedule_id",
    "ignore_inherited_workflow_system_prompt", "copilot_session_id", "created_by",
    "credits_used", "cached_credits_used", "queued_at", "started_at", "finished_at",
    "created_at", "modified_at",
)

# The server's enum order: FastAPI's 422 message lists the values this way.
STATUSES: tuple[str, ...] = (
    "created", "queued", "running", "failed", "terminated", "canceled", "timed_out",
    "completed", "paused",
)
FINAL = frozenset({"completed", "failed", "terminated", "canceled", "timed_out"})
STATUS_ENUM_TEXT = (
    ", ".join(f"'{s}'" for s in STATUSES[:-1]) + f" or '{STATUSES[-1]}'"
)

US = 1_000_000  # microseconds per second
_EPOCH = datetime(1970, 1, 1)


def to_us(value: datetime) -> int:
    """Microseconds since the epoch of a datetime; naive values are taken as UTC.

    Args:
        value: an aware datetime, or a naive one meaning UTC.

    Returns:
        The instant as integer microseconds since 1970-01-01T00:00:00 UTC.

    Example:
        >>> to_us(datetime(1970, 1, 1, 0, 0, 1, 5)), to_us(datetime(1970, 1, 1, 1, tzinfo=UTC))
        (1000005, 3600000000)
    """
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    delta = value - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * US + delta.microseconds


def from_us(us: int) -> datetime:
    """The naive UTC datetime of ``us`` microseconds since the epoch.

    orjson writes a naive datetime exactly as the server does: no offset, and
    no fraction when the microseconds are zero.

    Args:
        us: microseconds since the epoch.

    Returns:
        A naive datetime in UTC.

    Example:
        >>> from_us(1_500_000)
        datetime.datetime(1970, 1, 1, 0, 0, 1, 500000)
    """
    return _EPOCH + timedelta(microseconds=us)


_DAYS: dict[int, str] = {}
# "HH:MM:SS" for every second of a day: formatting timestamps is the hot path
# of rendering runs, and a table lookup beats strftime by a wide margin.
_HMS = [f"{h:02d}:{m:02d}:{s:02d}" for h in range(24) for m in range(60) for s in range(60)]


def iso(us: int) -> str:
    """Naive UTC ISO text of ``us``, exactly as the server (and orjson) writes it.

    Args:
        us: microseconds since the epoch.

    Returns:
        ``YYYY-MM-DDTHH:MM:SS.ffffff``, without the fraction when it is zero.

    Example:
        >>> iso(86_400 * US + 7), iso(0)
        ('1970-01-02T00:00:00.000007', '1970-01-01T00:00:00')
    """
    sec, frac = divmod(us, US)
    day, sec = divmod(sec, 86_400)
    prefix = _DAYS.get(day)
    if prefix is None:
        prefix = _DAYS[day] = (_EPOCH + timedelta(days=day)).strftime("%Y-%m-%dT")
    if frac:
        return f"{prefix}{_HMS[sec]}.{frac:06d}"
    return prefix + _HMS[sec]


def now_us() -> int:
    """The current wall-clock time rounded to the second, in epoch microseconds.

    Example:
        >>> now_us() % US
        0
    """
    return round(datetime.now(UTC).timestamp()) * US
