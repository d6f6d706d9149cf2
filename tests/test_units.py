"""runlytics.units: spans, WHEN values, duration options and seconds for people."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import numpy as np
import pandas as pd
import pytest

from runlytics.errors import UsageError
from runlytics.units import format_seconds, parse_span, to_timedelta, to_utc

NOW = pd.Timestamp("2026-01-20T12:00:00Z")


@pytest.mark.parametrize(("text", "expected"), [
    ("30s", pd.Timedelta(seconds=30)), ("30m", pd.Timedelta(minutes=30)),
    ("30min", pd.Timedelta(minutes=30)), ("90m", pd.Timedelta(minutes=90)),
    ("12h", pd.Timedelta(hours=12)), ("7d", pd.Timedelta(days=7)),
    ("2w", pd.Timedelta(days=14)), ("1.5h", pd.Timedelta(minutes=90)),
    (" 2 W ", pd.Timedelta(days=14)), ("0s", pd.Timedelta(0)),
])
def test_to_timedelta_takes_spans(text, expected):
    got = to_timedelta(text, "lookback")
    assert type(got) is pd.Timedelta
    assert got == expected


@pytest.mark.parametrize("value", [timedelta(minutes=5), pd.Timedelta(minutes=5)])
def test_to_timedelta_takes_a_timedelta_or_a_pandas_timedelta(value):
    got = to_timedelta(value, "lookback")
    assert type(got) is pd.Timedelta
    assert got == pd.Timedelta(minutes=5)


@pytest.mark.parametrize(("value", "message"), [
    (timedelta(hours=-1), "lookback: datetime.timedelta(days=-1, seconds=82800) is negative"),
    (pd.Timedelta(hours=-1), "lookback: Timedelta('-1 days +23:00:00') is negative"),
    ("-1h", "lookback: '-1h' is not a span (like 30m, 12h, 7d, 2w)"),
])
def test_to_timedelta_refuses_negative_durations(value, message):
    with pytest.raises(UsageError) as caught:
        to_timedelta(value, "lookback")
    assert str(caught.value) == message


@pytest.mark.parametrize(("value", "message"), [
    (3600, "lookback: expected a timedelta or a span like '7d', got int 3600"),
    (None, "lookback: expected a timedelta or a span like '7d', got NoneType None"),
    (np.timedelta64(1, "h"),
     "lookback: expected a timedelta or a span like '7d', got timedelta64 "
     "np.timedelta64(1,'h')"),
    ("soon", "lookback: 'soon' is not a span (like 30m, 12h, 7d, 2w)"),
    ("7 days", "lookback: '7 days' is not a span (like 30m, 12h, 7d, 2w)"),
    ("9999999999w", "'9999999999w' is too long a span (at most about 290 years)"),
])
def test_to_timedelta_refuses_other_types_and_text(value, message):
    with pytest.raises(UsageError) as caught:
        to_timedelta(value, "lookback")
    assert str(caught.value) == message


def test_usage_errors_are_value_errors():
    with pytest.raises(ValueError, match="^max_open_age: 'x' is not a span"):
        to_timedelta("x", "max_open_age")


def test_parse_span_says_none_for_text_that_is_no_span():
    assert parse_span("7d") == pd.Timedelta(days=7)
    assert [parse_span(t) for t in ("", "7", "d", "7 days", "-7d", "7y")] == [None] * 6


@pytest.mark.parametrize(("value", "expected"), [
    ("2026-01-20T11:52:29", "2026-01-20T11:52:29Z"),  # naive = UTC
    (" 2026-01-20T11:52:29Z ", "2026-01-20T11:52:29Z"),
    ("2026-01-20T13:52:29+02:00", "2026-01-20T11:52:29Z"),
    ("2026-01-20", "2026-01-20T00:00:00Z"),
    (datetime(2026, 1, 20, 11), "2026-01-20T11:00:00Z"),
    (datetime(2026, 1, 20, 11, tzinfo=timezone(timedelta(hours=1))), "2026-01-20T10:00:00Z"),
    (pd.Timestamp("2026-01-20T11:00:00-05:00"), "2026-01-20T16:00:00Z"),
    ("7d", "2026-01-13T12:00:00Z"),  # back from now
    ("90m", "2026-01-20T10:30:00Z"),
])
def test_to_utc_gives_a_utc_timestamp(value, expected):
    got = to_utc(value, "since", now=NOW)
    assert got == pd.Timestamp(expected)
    assert str(got.tz) == "UTC"


def test_to_utc_leaves_no_value_as_none():
    assert to_utc(None, "since") is None
    assert to_utc("", "since") is None


def test_to_utc_counts_spans_back_from_the_current_time_by_default():
    before = pd.Timestamp.now(tz="UTC")
    got = to_utc("1h", "since")
    after = pd.Timestamp.now(tz="UTC")
    assert before - pd.Timedelta(hours=1) <= got <= after - pd.Timedelta(hours=1)


@pytest.mark.parametrize(("value", "message"), [
    ("last tuesday", "since: 'last tuesday' is not a date/time (like 2026-01-20 or "
     "2026-01-20T11:52:29Z) or a span (like 7d, 12h, 30m)"),
    ("NaT", "since: 'NaT' is not a date/time"),
    (3, "since: expected a date/time or a span, got int"),
    ("9999999999w", "since: '9999999999w' is too long a span (at most about 290 years)"),
])
def test_to_utc_refuses_what_is_not_a_date(value, message):
    with pytest.raises(UsageError) as caught:
        to_utc(value, "since", now=NOW)
    assert str(caught.value) == message


@pytest.mark.parametrize(("seconds", "text"), [
    (None, "–"), (float("nan"), "–"), (pd.NA, "–"), (float("inf"), "–"),
    (0, "0 s"), (0.42, "0.42 s"), (7.4, "7.4 s"), (42.25, "42.2 s"), (150, "2.5 min"),
    (250, "4.17 min"), (6480, "1.8 h"), (12345, "3.43 h"), (2.1 * 86400, "2.1 d"),
    (100 * 86400, "100 d"), (1234 * 86400, "1,234 d"), (-90, "-1.5 min"),
])
def test_format_seconds_for_people(seconds, text):
    assert format_seconds(seconds) == text
