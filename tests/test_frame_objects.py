"""Object fields as canonical JSON text, unknown fields in extra_fields, proxy labels."""

from __future__ import annotations

import json
import warnings

import orjson
import pandas as pd
from conftest import make_run
from frame_paths import both_paths, checked_frame

from runlytics.frame import runs_frame


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


def test_date_like_strings_in_objects_keep_their_text():
    run = make_run(new_deadline="2026-01-20T11:52:29Z",
                   extra_http_headers={"X-Since": "2026-01-20T11:52:29"},
                   browser_settings={"expires": "2026-01-20"})
    pages = [orjson.dumps([run, make_run()])]
    df = runs_frame(pages)
    pd.testing.assert_frame_equal(df, checked_frame(pages))
    assert json.loads(df["extra_fields"].iloc[0]) == {"new_deadline": "2026-01-20T11:52:29Z"}
    assert df["extra_http_headers"].iloc[0] == '{"X-Since":"2026-01-20T11:52:29"}'
    assert df["browser_settings"].iloc[0] == '{"expires":"2026-01-20"}'


def test_integers_beyond_64_bits_in_decoded_objects_stay_whole():
    df = runs_frame([[make_run(browser_settings={"big": 2**70})]])
    assert df["browser_settings"].tolist() == ['{"big":1180591620717411303424}']
