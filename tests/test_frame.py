"""runlytics.frame as a whole: the public names and a recorded page end to end."""

from __future__ import annotations

import re

import pandas as pd
import pytest

import runlytics.frame
from runlytics import empty_frame, runs_frame
from runlytics.frame import table_to_frame
from runlytics.schema import COLUMNS, pandas_dtypes


def ts(text: str) -> pd.Timestamp:
    return pd.Timestamp(text, tz="UTC")


def test_public_names_are_sorted_and_resolve():
    names = runlytics.frame.__all__
    assert names == sorted(names)
    assert names == ["BATCH_RUNS", "UnknownValueWarning", "dedupe_runs", "empty_frame",
                     "runs_frame", "runs_table", "table_to_frame"]
    for name in names:
        assert getattr(runlytics.frame, name) is not None, name
    public = {n for n in dir(runlytics.frame) if not n.startswith("_")}
    modules = {n for n in public if type(getattr(runlytics.frame, n)).__name__ == "module"}
    assert public - modules - {"annotations"} == set(names)


def test_frame_from_table_is_a_deprecated_alias_of_table_to_frame():
    old, new = "runlytics.frame.frame_from_table", "runlytics.frame.table_to_frame"
    message = f"^{re.escape(old)} is deprecated; use {re.escape(new)}$"
    with pytest.warns(DeprecationWarning, match=message):
        from runlytics.frame import frame_from_table
    assert frame_from_table is table_to_frame
    with pytest.warns(DeprecationWarning, match=re.escape(f"{old} is deprecated; use {new}")):
        assert runlytics.frame.frame_from_table is table_to_frame


def test_unknown_names_are_attribute_errors():
    with pytest.raises(AttributeError, match="'runlytics.frame' has no attribute 'frame_from'"):
        runlytics.frame.frame_from  # noqa: B018


def test_recorded_page_has_every_column_with_schema_dtypes(page_bytes):
    df = runs_frame([page_bytes])
    assert list(df.columns) == [c.name for c in COLUMNS]
    expected = pandas_dtypes()
    for name, dtype in expected.items():
        if isinstance(dtype, pd.CategoricalDtype):
            assert isinstance(df[name].dtype, pd.CategoricalDtype), name
            assert list(df[name].cat.categories[: len(dtype.categories)]) == list(
                dtype.categories), name
        else:
            assert df[name].dtype == dtype, name


def test_recorded_page_values(page_bytes):
    df = runs_frame([page_bytes])
    got = df[["workflow_run_id", "status", "trigger_type", "queued_at", "started_at",
              "primary_failure_category", "attempt", "proxy_location", "extra_http_headers"]]
    expected = pd.DataFrame({
        "workflow_run_id": pd.array(["wr_602374229359929850", "wr_602374229359929848",
                                     "wr_602374229359929842", "wr_602374229359929836",
                                     "wr_602374229359929830"], dtype="string[pyarrow]"),
        "status": pd.Categorical(["created", "created", "failed", "failed", "failed"],
                                 categories=pandas_dtypes()["status"].categories),
        "trigger_type": pd.Categorical(["api", "api", "api", "webhook", "manual"],
                                       categories=pandas_dtypes()["trigger_type"].categories),
        "queued_at": pd.array([pd.NaT, pd.NaT, ts("2026-11-28T17:45:51.694709"),
                               ts("2026-11-28T17:19:03.145557"),
                               ts("2026-11-28T15:20:16.204389")], dtype="datetime64[us, UTC]"),
        "started_at": pd.array([pd.NaT, pd.NaT, ts("2026-11-28T17:46:29.596721"),
                                ts("2026-11-28T17:20:10.310842"),
                                ts("2026-11-28T15:21:12.501603")], dtype="datetime64[us, UTC]"),
        "primary_failure_category": pd.Categorical(
            [None, None, "NAVIGATION_FAILURE", "UNKNOWN", "NAVIGATION_FAILURE"],
            categories=pandas_dtypes()["primary_failure_category"].categories),
        "attempt": pd.array([1, 1, 1, 1, 1], dtype="Int64"),
        "proxy_location": pd.Categorical(
            ["RESIDENTIAL_ISP", "RESIDENTIAL", "RESIDENTIAL_ISP", None, None],
            categories=pandas_dtypes()["proxy_location"].categories),
        "extra_http_headers": pd.array(
            [None, None, '{"X-Request-Source":"crm-sync","X-Tenant":"acme-staging"}', None,
             None], dtype="string[pyarrow]"),
    })
    pd.testing.assert_frame_equal(got, expected)
    entries = df["failure_category"].iloc[2]
    assert entries == [{"category": "NAVIGATION_FAILURE", "confidence_float": 0.9,
                        "reasoning": "Keywords matched", "reason_code": None,
                        "evidence_source": "keyword_match"}]
    assert df["attempts"].tolist() == ["[]"] * 5


def test_decoded_pages_give_the_same_frame(page_bytes, real_runs):
    pd.testing.assert_frame_equal(runs_frame([page_bytes]), runs_frame([real_runs]))


def test_empty_input_gives_every_column_and_dtype():
    for pages in ([], [b"[]"], [[]]):
        df = runs_frame(pages)
        assert df.shape == (0, len(COLUMNS))
        pd.testing.assert_frame_equal(df, empty_frame())
    assert dict(empty_frame().dtypes) == {k: v for k, v in pandas_dtypes().items()}
