from __future__ import annotations

import json
import warnings

import numpy as np
import orjson
import pandas as pd
import pyarrow as pa
import pytest
from conftest import make_run

from runlytics import SchemaError, UnknownValueWarning, empty_frame, runs_frame
from runlytics.frame import _finish, _read_checked, _read_fast, dedupe_runs, runs_table
from runlytics.pages import page_index
from runlytics.schema import COLUMNS, arrow_schema, pandas_dtypes

UTC = "UTC"


def ts(text: str) -> pd.Timestamp:
    return pd.Timestamp(text, tz=UTC)


def both_paths(pages: list[bytes]) -> pd.DataFrame:
    """Build through the fast and the checking path; they must agree."""
    from runlytics.frame import frame_from_table

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UnknownValueWarning)
        fast = frame_from_table(_finish(_read_fast(pages)))
        checked = frame_from_table(_finish(_read_checked(pages)))
    pd.testing.assert_frame_equal(fast, checked)
    return fast


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


def test_unknown_fields_are_kept_as_json():
    run = make_run(shiny_new_field={"b": 2, "a": [1, None]}, new_flag=True)
    df = both_paths([orjson.dumps([run, make_run()])])
    assert json.loads(df["extra_fields"].iloc[0]) == {"new_flag": True,
                                                      "shiny_new_field": {"a": [1, None], "b": 2}}
    assert df["extra_fields"].isna().iloc[1]


def test_proxy_objects_keep_detail_and_readable_label():
    pages = [orjson.dumps([
        make_run(proxy_location={"country": "US", "subdivision": "CA", "city": None}),
        make_run(proxy_location={"country": "DE", "subdivision": "BE", "city": "Berlin"}),
        make_run(proxy_location={"url": "http://user:pw@proxy.example:8080"}),
        make_run(proxy_location="RESIDENTIAL_GB"),
    ])]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # labels made from objects are expected values
        df = runs_frame(pages)
    assert df["proxy_location"].tolist() == ["US/CA", "DE/BE/Berlin", "custom", "RESIDENTIAL_GB"]
    assert df["proxy_location_detail"].tolist()[:3] == [
        '{"country":"US","subdivision":"CA"}',
        '{"city":"Berlin","country":"DE","subdivision":"BE"}',
        '{"url":"http://user:pw@proxy.example:8080"}']
    assert pd.isna(df["proxy_location_detail"].iloc[3])
    both_paths(pages)


def test_pretty_printed_pages_with_newlines_parse():
    body = json.dumps([make_run(proxy_location={"country": "US", "city": None})], indent=2)
    df = runs_frame([body.encode()])
    assert df["proxy_location"].tolist() == ["US"]


def test_objects_are_kept_as_canonical_json():
    run = make_run(browser_settings={"z": 1, "a": {"proxy_location": {"country": "FR"}}},
                   script_run={"ai_fallback_triggered": True, "script_id": "s_1",
                               "script_revision_id": None})
    df = both_paths([orjson.dumps([run, make_run()])])
    assert df["browser_settings"].iloc[0] == '{"a":{"proxy_location":{"country":"FR"}},"z":1}'
    assert df["script_run"].iloc[0] == {"ai_fallback_triggered": True, "script_id": "s_1",
                                        "script_revision_id": None}
    assert df["script_run"].struct.field("script_id").tolist() == ["s_1", pd.NA]


def test_object_text_is_what_the_server_wrote():
    """A whole number beside fractions stays whole (the JSON reader reads it as 1.0)."""
    runs = [make_run(browser_settings={"scale": 1, "note": "x"}),
            make_run(browser_settings={"scale": 1.5}),
            make_run(proxy_location={"country": "DE", "weight": 2, "share": 0.5})]
    df = runs_frame([orjson.dumps(runs[:2]), orjson.dumps(runs[2:])])
    assert df["browser_settings"].tolist()[:2] == [
        '{"note":"x","scale":1}', '{"scale":1.5}']
    assert df["proxy_location_detail"].iloc[2] == '{"country":"DE","share":0.5,"weight":2}'
    assert df["proxy_location"].iloc[2] == "DE"


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


def test_empty_input_gives_every_column_and_dtype():
    for pages in ([], [b"[]"], [[]]):
        df = runs_frame(pages)
        assert df.shape == (0, len(COLUMNS))
        pd.testing.assert_frame_equal(df, empty_frame())
    assert dict(empty_frame().dtypes) == {k: v for k, v in pandas_dtypes().items()}


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
    ("not bytes", "bytes of a JSON array"),
])
def test_bad_pages_raise_schema_error(page, message):
    with pytest.raises(SchemaError, match=message):
        runs_frame([page])


def test_batches_of_many_pages_concatenate():
    pages = [orjson.dumps([make_run(workflow_run_id=f"wr_{p}_{i}") for i in range(50)])
             for p in range(300)]
    table = runs_table(pages)
    assert table.num_rows == 15_000
    assert table.schema.equals(arrow_schema())
    assert table.column("workflow_run_id")[14_999].as_py() == "wr_299_49"


def test_page_index_reads_ids_and_times(page_bytes):
    index = page_index(page_bytes)
    assert index.ids[0] == "wr_602374229359929850"
    assert index.created_us[0] == ts("2026-11-28T21:04:00.407844").value // 1000
    assert len(page_index(b"[]").ids) == 0
    with pytest.raises(SchemaError, match="JSON array"):
        page_index(page_bytes[:300])


def test_dedupe_keeps_newest_modified_and_orders_newest_first():
    runs = [make_run(workflow_run_id="a", created_at="2026-01-01T00:00:01",
                     modified_at="2026-01-01T00:00:05", status="running"),
            make_run(workflow_run_id="b", created_at="2026-01-01T00:00:02",
                     modified_at="2026-01-01T00:00:02"),
            make_run(workflow_run_id="a", created_at="2026-01-01T00:00:01",
                     modified_at="2026-01-01T00:00:09", status="completed"),
            make_run(workflow_run_id="c", created_at="2026-01-01T00:00:02",
                     modified_at="2026-01-01T00:00:02")]
    table, dropped = dedupe_runs(runs_table([runs]))
    assert dropped == 1
    assert table.column("workflow_run_id").to_pylist() == ["c", "b", "a"]
    assert table.column("status").to_pylist()[2] == "completed"
    since = ts("2026-01-01T00:00:02").value // 1000
    table, _ = dedupe_runs(runs_table([runs]), since_us=since, max_runs=1)
    assert table.column("workflow_run_id").to_pylist() == ["c"]


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


def test_date_like_strings_in_objects_keep_their_text():
    run = make_run(new_deadline="2026-01-20T11:52:29Z",
                   extra_http_headers={"X-Since": "2026-01-20T11:52:29"},
                   browser_settings={"expires": "2026-01-20"})
    pages = [orjson.dumps([run, make_run()])]
    df = runs_frame(pages)
    from runlytics.frame import frame_from_table
    pd.testing.assert_frame_equal(df, frame_from_table(_finish(_read_checked(pages))))
    assert json.loads(df["extra_fields"].iloc[0]) == {"new_deadline": "2026-01-20T11:52:29Z"}
    assert df["extra_http_headers"].iloc[0] == '{"X-Since":"2026-01-20T11:52:29"}'
    assert df["browser_settings"].iloc[0] == '{"expires":"2026-01-20"}'
