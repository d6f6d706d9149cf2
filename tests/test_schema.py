"""runlytics.schema: the one table of run columns, and what is made from it."""

from __future__ import annotations

import json

import pandas as pd
import pyarrow as pa
import pytest
from conftest import recorded

from runlytics.schema import (
    COLUMNS,
    DERIVED,
    FAILURE_CATEGORIES,
    FINAL_STATUSES,
    STATUSES,
    TIMESTAMP_COLUMNS,
    TRIGGER_TYPES,
    Column,
    api_field_names,
    arrow_schema,
    column,
    column_reference,
    pandas_dtypes,
)

NAMES = [c.name for c in COLUMNS]


def test_names_are_unique_and_start_with_the_run_id():
    assert len(NAMES) == len(set(NAMES)) == 58
    assert NAMES[:2] == ["workflow_run_id", "workflow_id"]


def test_required_columns_are_the_ones_the_server_always_sends():
    assert [c.name for c in COLUMNS if c.required] == [
        "workflow_run_id", "workflow_id", "workflow_permanent_id", "organization_id", "status",
        "created_at", "modified_at"]


def test_the_schema_knows_every_field_of_a_recorded_page():
    sent = set(json.loads(recorded("runs_page1_size5.json"))[0])
    assert set(api_field_names()) == sent
    assert set(DERIVED).isdisjoint(sent)


def test_derived_and_timestamp_columns():
    assert DERIVED == ("primary_failure_category", "proxy_location_detail", "extra_fields")
    assert TIMESTAMP_COLUMNS == ("created_at", "modified_at", "queued_at", "started_at",
                                 "finished_at", "next_attempt_at")
    assert api_field_names() == tuple(n for n in NAMES if n not in DERIVED)


def test_statuses():
    assert set(FINAL_STATUSES) < set(STATUSES)
    assert [s for s in STATUSES if s not in FINAL_STATUSES] == [
        "created", "queued", "running", "paused"]
    assert column("status").categories == STATUSES
    assert column("trigger_type").categories == TRIGGER_TYPES
    assert column("primary_failure_category").categories == FAILURE_CATEGORIES


@pytest.mark.parametrize(("kind", "arrow", "dtype"), [
    ("string", pa.string(), pd.StringDtype("pyarrow")),
    ("json", pa.string(), pd.StringDtype("pyarrow")),
    ("timestamp", pa.timestamp("us", tz="UTC"), pd.DatetimeTZDtype("us", "UTC")),
    ("int", pa.int64(), pd.Int64Dtype()),
    ("bool", pa.bool_(), pd.BooleanDtype()),
    ("category", pa.dictionary(pa.int32(), pa.string()), pd.CategoricalDtype(["a", "b"])),
])
def test_a_kind_fixes_the_arrow_type_and_the_dtype(kind, arrow, dtype):
    col = Column("x", kind, False, "X.", categories=("a", "b") if kind == "category" else ())
    assert col.arrow_type == arrow
    assert col.dtype == dtype


def test_nested_kinds_are_arrow_dtypes():
    failures, script = column("failure_category"), column("script_run")
    assert failures.arrow_type == pa.list_(pa.struct([
        ("category", pa.string()), ("confidence_float", pa.float64()),
        ("reasoning", pa.string()), ("reason_code", pa.string()),
        ("evidence_source", pa.string())]))
    assert script.arrow_type == pa.struct([
        ("ai_fallback_triggered", pa.bool_()), ("script_id", pa.string()),
        ("script_revision_id", pa.string())])
    assert failures.dtype == pd.ArrowDtype(failures.arrow_type)
    assert script.dtype == pd.ArrowDtype(script.arrow_type)


def test_arrow_schema_follows_the_table():
    schema = arrow_schema()
    assert schema.names == NAMES
    assert [(f.type, f.nullable) for f in schema] == [
        (c.arrow_type, not c.required) for c in COLUMNS]


def test_pandas_dtypes_follow_the_table():
    dtypes = pandas_dtypes()
    assert list(dtypes) == NAMES
    assert dtypes["status"] == pd.CategoricalDtype(list(STATUSES))
    assert dtypes["browser_seed_source"] == pd.CategoricalDtype([])
    assert dtypes["created_at"] == pd.DatetimeTZDtype("us", "UTC")


def test_column_looks_a_name_up():
    assert column("attempt") == Column("attempt", "int", False,
                                       "Attempt number under a retry policy (1 = first).")
    with pytest.raises(KeyError, match="'latency'"):
        column("latency")


def test_columns_are_frozen():
    with pytest.raises(AttributeError):
        column("status").required = False  # type: ignore[misc]


def test_column_reference_is_a_markdown_table_of_every_column():
    lines = column_reference().splitlines()
    assert lines[:3] == [
        "| column | dtype | required | meaning |", "|---|---|---|---|",
        "| `workflow_run_id` | string | yes | Unique id of the run (`wr_...`). |"]
    assert len(lines) == 2 + len(COLUMNS)
    assert "| `extra_fields` | string (JSON) |  | Fields this version of runlytics does not " \
           "know, as a JSON object (null when there are none). *(derived)* |" in lines
    assert "| `failure_category` | list<struct> (Arrow) |  |" in " ".join(lines)
    assert column_reference().endswith("|\n")
