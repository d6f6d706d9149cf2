"""Table -> DataFrame: dtypes, categories with unknown values kept and named once."""

from __future__ import annotations

import warnings

import orjson
import pandas as pd
import pyarrow as pa
import pytest
from conftest import make_run

from runlytics.frame import UnknownValueWarning, runs_frame, runs_table, table_to_frame
from runlytics.schema import pandas_dtypes


def test_unknown_enum_values_are_kept_and_named_once():
    pages = [orjson.dumps([make_run(trigger_type="carrier_pigeon", status="archived"),
                           make_run(trigger_type="carrier_pigeon")])]
    with pytest.warns(UnknownValueWarning) as caught:
        df = runs_frame(pages)
    messages = [str(w.message) for w in caught]
    assert sum("carrier_pigeon" in m for m in messages) == 1
    assert sum("archived" in m for m in messages) == 1
    assert df["trigger_type"].tolist() == ["carrier_pigeon", "carrier_pigeon"]
    assert df["status"].tolist() == ["archived", "failed"]
    assert df["trigger_type"].cat.categories[-1] == "carrier_pigeon"


def test_the_warning_points_at_the_callers_line():
    pages = [[make_run(status="archived")]]
    with pytest.warns(UnknownValueWarning) as caught:
        runs_frame(pages)
    assert caught[0].filename == __file__


def test_warn_unknown_false_keeps_the_values_quietly():
    table = runs_table([[make_run(status="archived")]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        df = table_to_frame(table, warn_unknown=False)
    assert df["status"].tolist() == ["archived"]
    assert list(df["status"].cat.categories) == [*pandas_dtypes()["status"].categories,
                                                 "archived"]


def test_some_columns_convert_alone():
    table = runs_table([[make_run()]]).select(["workflow_run_id", "status", "attempt"])
    expected = pd.DataFrame({
        "workflow_run_id": pd.array(["wr_602374229359929842"], dtype="string[pyarrow]"),
        "status": pd.Categorical(["failed"], categories=pandas_dtypes()["status"].categories),
        "attempt": pd.array([1], dtype="Int64"),
    })
    pd.testing.assert_frame_equal(table_to_frame(table), expected)
    assert table_to_frame(pa.table({"n": pa.array([1.5])}))["n"].dtype == "float64"
