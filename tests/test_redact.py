"""runlytics.redact: values that may hold secrets become ``***``, names stay readable."""

from __future__ import annotations

import json
from urllib.parse import quote

import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from runlytics.redact import (
    MASK,
    REDACTED_COLUMNS,
    has_secrets,
    redact_headers,
    redact_table,
    redact_url,
)


@pytest.mark.parametrize(("url", "shown"), [
    ("https://u:pw@hooks.example/cb?token=abc&tenant=x",
     "https://u:***@hooks.example/cb?token=***&tenant=***"),
    ("https://tok@hooks.example/cb", "https://***@hooks.example/cb"),
    ("https://hooks.example/cb?abc", "https://hooks.example/cb?***"),
    ("https://hooks.example/cb?a=1&&b", "https://hooks.example/cb?a=***&***"),
    ("https://hooks.example/cb#access_token=x", "https://hooks.example/cb#***"),
    ("https://hooks.example/cb", "https://hooks.example/cb"),
    ("ws://127.0.0.1:9222/devtools/browser/abc?t=1",
     "ws://127.0.0.1:9222/devtools/browser/abc?t=***"),
    ("http://[::1", MASK),  # not a URL: all of it
    ("", ""),
])
def test_redact_url(url, shown):
    assert redact_url(url) == shown


@pytest.mark.parametrize(("text", "shown"), [
    ('{"Authorization": "Bearer s3cret", "X-Tenant": "acme"}',
     '{"Authorization":"***","X-Tenant":"***"}'),
    ('{"nested": {"token": "s3cret"}}', '{"nested":"***"}'),
    ("{}", "{}"),
    ("[1, 2]", MASK),
    ("Bearer s3cret", MASK),
])
def test_redact_headers(text, shown):
    assert redact_headers(text) == shown


def test_every_secret_bearing_column_is_listed():
    assert list(REDACTED_COLUMNS) == [
        "extra_http_headers", "cdp_connect_headers", "webhook_callback_url",
        "totp_verification_url", "browser_address", "proxy_location_detail"]


def test_redact_table_redacts_each_column_and_keeps_the_rest():
    table = pa.table({
        "workflow_run_id": ["wr_1", "wr_2", "wr_3"],
        "extra_http_headers": ['{"Authorization": "Bearer s3cret"}', None, "not json"],
        "cdp_connect_headers": pa.nulls(3, pa.string()),
        "webhook_callback_url": ["https://hooks.example/cb?token=abc"] * 3,
        "proxy_location_detail": ['{"url": "http://user:pw@proxy.example:8080"}',
                                  '{"country": "US"}', None],
        "browser_address": pa.array(["ws://127.0.0.1:9222?t=1"] * 3).dictionary_encode(),
    })
    got = redact_table(table)
    assert got.schema == table.schema
    assert got.to_pydict() == {
        "workflow_run_id": ["wr_1", "wr_2", "wr_3"],
        "extra_http_headers": ['{"Authorization":"***"}', None, MASK],
        "cdp_connect_headers": [None, None, None],
        "webhook_callback_url": ["https://hooks.example/cb?token=***"] * 3,
        "proxy_location_detail": ['{"url":"http://user:***@proxy.example:8080"}',
                                  '{"country":"US"}', None],
        "browser_address": ["ws://127.0.0.1:9222?t=***"] * 3,
    }
    assert table.column("extra_http_headers")[0].as_py() == '{"Authorization": "Bearer s3cret"}'


def test_redact_table_leaves_a_table_without_those_columns_alone():
    table = pa.table({"workflow_run_id": ["wr_1"], "status": ["failed"]})
    assert redact_table(table).equals(table)


def test_has_secrets():
    assert has_secrets(pa.table({"totp_verification_url": [None, "https://t.example/?k=1"]}))
    assert not has_secrets(pa.table({"totp_verification_url": pa.nulls(2, pa.string())}))
    assert not has_secrets(pa.table({"workflow_run_id": ["wr_1"]}))


# -- whatever the secret looks like (moved from test_secrets.py) ------------------------

SECRET = st.text("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.~",
                 min_size=6, max_size=30).map(lambda t: f"S3CR3T{t}")
NAME = st.text("abcdefghijklmnopqrstuvwxyz_", min_size=1, max_size=10)


@settings(max_examples=200, deadline=None, database=None, derandomize=True)
@given(user=NAME, password=SECRET, names=st.lists(NAME, max_size=3), values=st.lists(SECRET,
       min_size=3, max_size=3), bare=SECRET, fragment=SECRET,
       shape=st.sampled_from(["full", "no-password", "token-as-user", "bare-only"]))
def test_redacted_urls_hold_no_credential(user, password, names, values, bare, fragment, shape):
    userinfo = {"full": f"{user}:{password}@", "no-password": "",
                "token-as-user": f"{password}@", "bare-only": ""}[shape]
    query = "&".join([f"{n}={quote(v)}" for n, v in zip(names, values, strict=False)]
                     + [quote(bare)])
    url = f"https://{userinfo}hooks.example.com/cb/{user}?{query}#{fragment}"
    shown = redact_url(url)
    assert "S3CR3T" not in shown, (url, shown)
    assert shown.startswith("https://") and "hooks.example.com/cb/" in shown


@settings(max_examples=100, deadline=None, database=None, derandomize=True)
@given(st.dictionaries(st.text(max_size=20), st.one_of(SECRET, st.lists(SECRET, max_size=2),
                                                       st.dictionaries(NAME, SECRET)),
                       min_size=1, max_size=4))
def test_redacted_headers_hold_no_value(headers):
    shown = redact_headers(json.dumps(headers))
    assert "S3CR3T" not in shown
    assert json.loads(shown) == dict.fromkeys(headers, "***")
