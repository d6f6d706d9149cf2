"""RunQuery: the one frozen, validated object that says which runs to fetch."""

from __future__ import annotations

import dataclasses
from datetime import datetime

import pandas as pd
import pytest

from runlytics import RunQuery, UsageError


def test_a_query_normalises_and_resolves_once():
    q = RunQuery(status="failed", search_key="invoice", since="7d", until="2026-01-20",
                 max_runs=50, page_size=500, now="2026-01-20T00:00:00Z")
    assert q.statuses == ("failed",)
    assert q.since_us == pd.Timestamp("2026-01-13", tz="UTC").value // 1000
    assert q.until_us == pd.Timestamp("2026-01-20", tz="UTC").value // 1000
    assert q.params() == [("status", "failed"), ("search_key", "invoice")]
    # reports and file metadata keep what the user said
    assert q.filters() == {"status": ["failed"], "search_key": "invoice", "since": "7d",
                           "until": "2026-01-20", "max_runs": 50}


def test_the_default_query_selects_everything():
    q = RunQuery()
    assert (q.statuses, q.params(), q.filters(), q.since_us, q.until_us, q.page_size) == (
        (), [], {}, None, None, 100)


def test_several_statuses_are_repeated_keys_and_datetimes_are_utc():
    q = RunQuery(status=["failed", "timed_out"], error_code="E1",
                 since=datetime(2026, 1, 20, 11, 52, 29))
    assert q.params() == [("status", "failed"), ("status", "timed_out"), ("error_code", "E1")]
    assert q.since_us == pd.Timestamp("2026-01-20T11:52:29", tz="UTC").value // 1000
    assert q.filters()["since"] == "2026-01-20 11:52:29"


def test_the_window_is_since_inclusive_until_exclusive():
    q = RunQuery(since="2026-01-20T00:00:00", until="2026-01-21T00:00:00")
    assert [q.in_window(q.since_us), q.in_window(q.until_us - 1), q.in_window(q.until_us),
            q.in_window(q.since_us - 1)] == [True, True, False, False]


def test_a_query_is_frozen_and_replace_checks_again():
    q = RunQuery(status="failed")
    with pytest.raises(dataclasses.FrozenInstanceError):
        q.page_size = 5  # type: ignore[misc]
    assert q.replace(page_size=5).page_size == 5
    with pytest.raises(UsageError, match="page_size must be a whole number >= 1, got 0"):
        q.replace(page_size=0)
    assert RunQuery(status="failed") == RunQuery(status=("failed",))


@pytest.mark.parametrize(("options", "message"), [
    ({"status": "done"}, "unknown status 'done'; choose from created, queued, running, "
     "paused, completed, failed, terminated, canceled, timed_out"),
    ({"search_key": "x" * 501}, "search_key is 501 characters long; the API allows at most 500"),
    ({"error_code": 7}, "error_code must be text, got 7"),
    ({"page_size": True}, "page_size must be a whole number >= 1, got True"),
    ({"max_runs": 0}, "max_runs must be a whole number >= 1, got 0"),
    ({"since": "yesterday"}, "since: 'yesterday' is not a date/time"),
    ({"until": "999999d"}, "until: '999999d' is out of range (years 1 to 9999)"),
])
def test_bad_values_name_the_option(options, message):
    with pytest.raises(UsageError) as info:
        RunQuery(**options)
    assert str(info.value).startswith(message)
