"""runlytics.timestamps: ISO 8601 text to UTC microseconds, with errors that name the run."""

from __future__ import annotations

from datetime import UTC, datetime

import pyarrow as pa
import pytest

from runlytics.errors import SchemaError
from runlytics.timestamps import UTC_MICROS, has_zone, parse_timestamps

IDS = pa.chunked_array([["wr_1", "wr_2", "wr_3", "wr_4"]])


def stamps(*texts: str | None) -> pa.ChunkedArray:
    return pa.chunked_array([list(texts)], pa.string())


def utc(*texts: str | None) -> pa.ChunkedArray:
    """The expected column: each text read by the standard library as UTC."""
    moments = [None if t is None else datetime.fromisoformat(t).replace(tzinfo=UTC)
               for t in texts]
    return pa.chunked_array([pa.array(moments, UTC_MICROS)])


def test_naive_text_is_utc():
    got = parse_timestamps(stamps("2026-01-20T11:52:29.123456", "2026-01-20T11:52:29", None,
                                  "2026-01-20 00:00:00"), IDS, "created_at")
    assert got.type == pa.timestamp("us", tz="UTC")
    assert got.equals(utc("2026-01-20T11:52:29.123456", "2026-01-20T11:52:29", None,
                          "2026-01-20T00:00:00"))


def test_zones_and_offsets_are_converted_to_utc():
    got = parse_timestamps(stamps("2026-01-20T11:52:29Z", "2026-01-20T13:52:29+02:00",
                                  "2026-01-20T11:52:29.5-05:30", "2026-01-20T11:52:29"),
                           IDS, "created_at")
    assert got.equals(utc("2026-01-20T11:52:29", "2026-01-20T11:52:29",
                          "2026-01-20T17:22:29.5", "2026-01-20T11:52:29"))


def test_digits_beyond_microseconds_are_dropped():
    got = parse_timestamps(stamps("2026-01-20T11:52:29.1234567Z"), IDS, "finished_at")
    assert got.equals(utc("2026-01-20T11:52:29.123456"))


@pytest.mark.parametrize(("values", "run_id", "value"), [
    (("2026-01-20T11:52:29", "yesterday", "x", None), "wr_2", "yesterday"),
    (("2026-01-20T11:52:29Z", "2026-01-20T11:52:29", "2026-13-01T00:00:00", None), "wr_3",
     "2026-13-01T00:00:00"),
])
def test_the_first_bad_value_is_named_with_its_run(values, run_id, value):
    with pytest.raises(SchemaError) as caught:
        parse_timestamps(stamps(*values), IDS, "created_at")
    assert str(caught.value) == (f"run {run_id}: field 'created_at' should be an ISO 8601 "
                                 f"date-time, got {value!r}")
    assert (caught.value.run_id, caught.value.field, caught.value.value) == (
        run_id, "created_at", value)


@pytest.mark.parametrize(("text", "zoned"), [
    (None, True), ("2026-01-20T11:52:29", False), ("2026-01-20T11:52:29Z", True),
    ("2026-01-20T11:52:29+02:00", True), ("2026-01-20T11:52:29+0200", True),
    ("2026-01-20T11:52:29-05:30", True), ("2026-01-20", False),
])
def test_has_zone(text, zoned):
    assert has_zone(text) is zoned
