"""The checked path: every value checked, errors that name the run, field and value."""

from __future__ import annotations

import orjson
import pytest
from conftest import make_run

from runlytics import SchemaError
from runlytics.frame import runs_frame


@pytest.mark.parametrize(("run", "field", "value"), [
    (make_run(started_at="yesterday"), "started_at", "yesterday"),
    (make_run(attempt="two"), "attempt", "two"),
    (make_run(attempt=1.5), "attempt", 1.5),
    (make_run(retry_pending="no"), "retry_pending", "no"),
    (make_run(workflow_title=42), "workflow_title", 42),
    (make_run(failure_category="oops"), "failure_category", "oops"),
    (make_run(script_run=[1]), "script_run", [1]),
])
def test_wrong_types_name_run_field_and_value(run, field, value):
    with pytest.raises(SchemaError) as info:
        runs_frame([orjson.dumps([make_run(workflow_run_id="wr_ok"), run])])
    err = info.value
    assert (err.run_id, err.field, err.value) == ("wr_602374229359929842", field, value)
    assert "wr_602374229359929842" in str(err) and field in str(err)


def test_missing_required_field_is_named():
    run = make_run()
    del run["created_at"]
    with pytest.raises(SchemaError, match="wr_602374229359929842.*'created_at' is missing"):
        runs_frame([orjson.dumps([run])])
    with pytest.raises(SchemaError, match="'status' is null"):
        runs_frame([[make_run(status=None)]])


@pytest.mark.parametrize(("page", "message"), [
    (b'{"detail": "Invalid credentials"}', "JSON array"),
    (b"[1, 2]", "not an object"),
    (b'[{"workflow_run_id": "wr_1"', "not valid JSON"),
])
def test_bad_pages_raise_schema_error(page, message):
    with pytest.raises(SchemaError, match=message):
        runs_frame([page])


@pytest.mark.parametrize(("entry", "field", "expected"), [
    ({"category": 7}, "failure_category.category", "a string"),
    ({"category": "X", "confidence_float": True}, "failure_category.confidence_float",
     "a number"),
    ("PROXY_ERROR", "failure_category", "a list of objects"),
])
def test_wrong_failure_entries_name_the_member(entry, field, expected):
    with pytest.raises(SchemaError, match=f"should be {expected}") as info:
        runs_frame([[make_run(failure_category=[entry])]])
    assert (info.value.run_id, info.value.field) == ("wr_602374229359929842", field)


def test_text_that_is_not_unicode_is_named():
    with pytest.raises(SchemaError, match="'workflow_title' should be valid Unicode text"):
        runs_frame([[make_run(workflow_title="bad \ud800 text")]])
