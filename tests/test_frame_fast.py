"""The JSON reader path: NDJSON lines, proxy objects renamed in place."""

from __future__ import annotations

import json

import orjson
from conftest import make_run
from frame_paths import both_paths

from runlytics.frame import runs_frame


def test_pretty_printed_pages_with_newlines_parse():
    body = json.dumps([make_run(proxy_location={"country": "US", "city": None})], indent=2)
    df = runs_frame([body.encode()])
    assert df["proxy_location"].tolist() == ["US"]


def test_compact_and_spaced_pages_in_one_batch_rename_every_proxy_object():
    compact = orjson.dumps([make_run(workflow_run_id="wr_1", proxy_location={"country": "FR"})])
    spaced = json.dumps([make_run(workflow_run_id="wr_2",
                                  proxy_location={"country": "DE"})]).encode()
    df = both_paths([compact, spaced])
    assert df["proxy_location"].tolist() == ["FR", "DE"]
    assert df["proxy_location_detail"].tolist() == ['{"country":"FR"}', '{"country":"DE"}']
