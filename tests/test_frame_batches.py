"""Pages grouped into batches, each through the fast or the checked path."""

from __future__ import annotations

import orjson
import pandas as pd
import pytest
from conftest import make_run

from runlytics import SchemaError
from runlytics.frame import runs_frame, runs_table
from runlytics.schema import arrow_schema


def test_batches_of_many_pages_concatenate():
    pages = [orjson.dumps([make_run(workflow_run_id=f"wr_{p}_{i}") for i in range(50)])
             for p in range(300)]
    table = runs_table(pages)
    assert table.num_rows == 15_000
    assert table.schema.equals(arrow_schema())
    assert table.column("workflow_run_id")[14_999].as_py() == "wr_299_49"


def test_a_page_the_reader_cannot_join_to_the_others_still_builds():
    """An object field in one page and text in another: the batch is halved, not refused."""
    pages = [orjson.dumps([make_run(workflow_run_id="wr_1", browser_settings={"a": 1})]),
             orjson.dumps([make_run(workflow_run_id="wr_2", browser_settings=[1, 2])])]
    df = runs_frame(pages)
    assert df["browser_settings"].tolist() == ['{"a":1}', "[1,2]"]
    pd.testing.assert_frame_equal(df, runs_frame([orjson.loads(page) for page in pages]))


def test_pages_of_bytes_and_of_runs_mix(page_bytes, real_runs):
    df = runs_frame([page_bytes, real_runs, bytearray(page_bytes), memoryview(page_bytes)])
    assert df["workflow_run_id"].tolist() == runs_frame([page_bytes])[
        "workflow_run_id"].tolist() * 4


def test_a_page_that_is_neither_bytes_nor_a_list_is_a_schema_error():
    with pytest.raises(SchemaError, match="bytes of a JSON array"):
        runs_frame(["not bytes"])
