"""The page index (ids and times of a page, for the fetcher) agrees with the frame."""

from __future__ import annotations

import json

import numpy as np
import orjson
import pandas as pd
import pyarrow as pa
import pytest
from conftest import make_run

from runlytics import SchemaError
from runlytics.frame import runs_frame, runs_table
from runlytics.pages import page_index


def ts(text: str) -> pd.Timestamp:
    return pd.Timestamp(text, tz="UTC")


def test_page_index_reads_ids_and_times(page_bytes):
    index = page_index(page_bytes)
    assert index.ids[0] == "wr_602374229359929850"
    assert index.created_us[0] == ts("2026-11-28T21:04:00.407844").value // 1000
    assert len(page_index(b"[]").ids) == 0
    with pytest.raises(SchemaError, match="JSON array"):
        page_index(page_bytes[:300])


def test_numpy_timestamps_match_pandas(page_bytes):
    df = runs_frame([page_bytes])
    index = page_index(page_bytes)
    np.testing.assert_array_equal(
        df["created_at"].dt.tz_localize(None).to_numpy().astype(np.int64), index.created_us)
    assert pa.types.is_timestamp(runs_table([page_bytes]).schema.field("created_at").type)


def test_page_index_scan_agrees_with_the_json_reader(page_bytes):
    from runlytics.pages import _scan_index

    scanned = _scan_index(page_bytes)
    pretty = json.dumps(json.loads(page_bytes), indent=1).encode()
    assert _scan_index(pretty) is None  # not compact: left to the JSON reader
    read = page_index(pretty)
    assert scanned.ids == read.ids
    np.testing.assert_array_equal(scanned.created_us, read.created_us)
    np.testing.assert_array_equal(scanned.modified_us, read.modified_us)


@pytest.mark.parametrize("cut", [100, 1000, 4000, 8000])
def test_page_index_never_accepts_a_cut_body(page_bytes, cut):
    with pytest.raises(SchemaError):
        page_index(page_bytes[:cut])


def test_page_index_leaves_escapes_to_the_json_reader():
    from runlytics.pages import _scan_index

    body = orjson.dumps([make_run(workflow_run_id='wr_"quoted"')])
    assert _scan_index(body) is None
    assert page_index(body).ids == ['wr_"quoted"']
