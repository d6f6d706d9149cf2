"""Finishing: strings -> UTC timestamps, null columns keep dtypes, primary failure category."""

from __future__ import annotations

import orjson
import pandas as pd
import pytest
from conftest import make_run
from frame_paths import both_paths

from runlytics.frame import runs_frame
from runlytics.schema import COLUMNS


def ts(text: str) -> pd.Timestamp:
    return pd.Timestamp(text, tz="UTC")


@pytest.mark.parametrize(("text", "expected"), [
    ("2026-01-20T11:52:29.276851", "2026-01-20T11:52:29.276851"),
    ("2026-01-20T11:52:29", "2026-01-20T11:52:29"),
    ("2026-01-20T11:52:29Z", "2026-01-20T11:52:29"),
    ("2026-01-20T11:52:29.5+02:00", "2026-01-20T09:52:29.5"),
    ("2026-01-20T11:52:29.123456789-01:30", "2026-01-20T13:22:29.123456"),
])
def test_timestamps_are_utc(text, expected):
    df = both_paths([orjson.dumps([make_run(started_at=text), make_run(started_at=None)])])
    assert df["started_at"].iloc[0] == ts(expected)
    assert df["started_at"].isna().iloc[1]
    assert str(df["started_at"].dtype) == "datetime64[us, UTC]"


def test_nulls_everywhere_keep_dtypes():
    nullable = {c.name: None for c in COLUMNS if not c.required and not c.derived}
    df = both_paths([orjson.dumps([make_run(**nullable)])])
    optional = [c.name for c in COLUMNS if not c.required]
    assert df[optional].isna().all().all()
    assert df["attempt"].dtype == "Int64" and df["retry_pending"].dtype == "boolean"


def test_failure_category_list_keeps_every_entry():
    entries = [{"category": "PROXY_ERROR", "confidence_float": 0.8, "reasoning": "r1",
                "reason_code": "P1", "evidence_source": "llm"},
               {"category": "BRAND_NEW", "confidence_float": 1, "reasoning": "r2"}]
    df = both_paths([orjson.dumps([make_run(failure_category=entries),
                                   make_run(failure_category=[])])])
    assert df["failure_category"].iloc[0] == [
        entries[0], {"category": "BRAND_NEW", "confidence_float": 1.0, "reasoning": "r2",
                     "reason_code": None, "evidence_source": None}]
    assert df["primary_failure_category"].tolist()[0] == "PROXY_ERROR"
    assert pd.isna(df["primary_failure_category"].iloc[1])
    flat = df["failure_category"].list.flatten()
    assert flat.struct.field("category").tolist() == ["PROXY_ERROR", "BRAND_NEW"]


def test_a_null_first_failure_entry_has_no_primary_category():
    # [null, {...}] is what the reader builds a broken list from: the batch is checked
    df = runs_frame([orjson.dumps([make_run(failure_category=[None, {"category": "UNKNOWN"}]),
                                   make_run(failure_category=None)])])
    assert df["primary_failure_category"].isna().tolist() == [True, True]
