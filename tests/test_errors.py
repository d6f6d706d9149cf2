"""runlytics.errors: one exception tree, messages that say what to do, no secrets in them."""

from __future__ import annotations

import subprocess
import sys

import httpx
import pytest
from conftest import recorded

from runlytics import errors
from runlytics.errors import (
    APIError,
    SchemaError,
    bad_value,
    render_detail,
    response_detail,
    run_label,
    safe_url,
)

URL = "https://api.skyvern.com/v1/workflows/runs?page=1&page_size=100"


def answer(status: int, content: bytes | None = None, **kwargs) -> httpx.Response:
    return httpx.Response(status, content=content, request=httpx.Request("GET", URL), **kwargs)


def test_the_tree_is_the_one_drawn_in_the_docstring():
    tree = {name: [base.__name__ for base in getattr(errors, name).__bases__]
            for name in errors.__all__}
    assert tree == {
        "RunlyticsError": ["Exception"], "APIError": ["RunlyticsError"],
        "AuthError": ["APIError"], "NotFoundError": ["APIError"], "RequestError": ["APIError"],
        "RateLimitError": ["APIError"], "ServerError": ["APIError"],
        "TransportError": ["RunlyticsError"], "SchemaError": ["RunlyticsError", "ValueError"],
        "StoreError": ["RunlyticsError"], "UsageError": ["RunlyticsError", "ValueError"],
        "NotifyError": ["RunlyticsError"]}


KEY_HINT = "(check SKYVERN_API_KEY or --api-key)"
URL_HINT = "(check SKYVERN_BASE_URL and that the key's organisation still exists)"
OPTION_HINT = "(fix the option named above)"
LIMIT_HINT = "(the server kept rate limiting; try again later or lower --concurrency)"
SERVER_HINT = "(the server or a gateway failed; try again later)"
EXPIRED, UNKNOWN_ORG = "Auth token is expired", "Organization not found"


@pytest.mark.parametrize(("status", "fixture", "kind", "message"), [
    (403, "403_expired_key.json", errors.AuthError, f"{EXPIRED} {KEY_HINT}"),
    (401, "403_expired_key.json", errors.AuthError, f"{EXPIRED} {KEY_HINT}"),
    (404, "404_unknown_org.json", errors.NotFoundError, f"{UNKNOWN_ORG} {URL_HINT}"),
    (422, "422_page_0.json", errors.RequestError,
     f"query.page: Input should be greater than or equal to 1 (got '0') {OPTION_HINT}"),
    (400, "404_unknown_org.json", errors.RequestError, f"{UNKNOWN_ORG} {OPTION_HINT}"),
    (429, "403_expired_key.json", errors.RateLimitError, f"{EXPIRED} {LIMIT_HINT}"),
    (503, "404_unknown_org.json", errors.ServerError, f"{UNKNOWN_ORG} {SERVER_HINT}"),
])
def test_from_response_picks_the_error_by_status(status, fixture, kind, message):
    error = APIError.from_response(answer(status, recorded(fixture)))
    assert type(error) is kind
    assert str(error) == f"HTTP {status} from {URL}: {message}"
    assert (error.status_code, error.url) == (status, URL)


def test_from_response_keeps_the_servers_detail_and_masks_the_echoed_key():
    detail = [{"loc": ["header", "x-api-key"], "msg": "bad key sk-123", "input": "sk-123"}]
    error = APIError.from_response(answer(403, json={"detail": detail}), secret="sk-123",
                                   url="https://api.skyvern.com/v1/workflows/runs")
    assert error.detail == [{"loc": ["header", "x-api-key"], "msg": "bad key ***",
                             "input": "***"}]
    assert str(error) == ("HTTP 403 from https://api.skyvern.com/v1/workflows/runs: "
                          "header.x-api-key: bad key *** (got '***') (check SKYVERN_API_KEY "
                          "or --api-key)")


def test_from_response_shows_the_url_without_its_secrets():
    request = httpx.Request("GET", "https://me:pw@api.skyvern.com/v1/workflows/runs?token=t0k")
    error = APIError.from_response(httpx.Response(404, json={"detail": "no"}, request=request))
    assert error.url == "https://api.skyvern.com/v1/workflows/runs?token=%2A%2A%2A"
    assert "t0k" not in str(error) and "pw" not in str(error)


@pytest.mark.parametrize(("body", "detail"), [
    (b'{"detail": "Invalid API key"}', "Invalid API key"),
    (b'{"error": "quota"}', "quota"),
    (b'{"message": "down"}', "down"),
    (b'{"other": 1}', {"other": 1}),
    (b"[1, 2]", [1, 2]),
    (b"<html><title> 502 Bad Gateway </title><body>nginx</body></html>",
     "502 Bad Gateway (an HTML error page)"),
    (b"upstream\n  timed   out", "upstream timed out"),
    (b"x" * 250, "x" * 200 + "..."),
    (b"", "(empty body)"),
])
def test_response_detail(body, detail):
    assert response_detail(answer(500, body)) == detail


@pytest.mark.parametrize(("detail", "text"), [
    ("Invalid API key", "Invalid API key"),
    ([{"loc": ["query", "page"], "msg": "too small", "input": 0},
      {"loc": ["query", "status"], "msg": "unknown", "input": "x" * 100}],
     "query.page: too small (got 0); query.status: unknown (got '" + "x" * 79 + ")"),
    ([{"msg": "no location"}], "no location"),
    ([{"loc": [], "type": "missing"}], "{'loc': [], 'type': 'missing'}"),
    ({"detail": "nested"}, "{'detail': 'nested'}"),
])
def test_render_detail(detail, text):
    assert render_detail(detail) == text


@pytest.mark.parametrize(("url", "shown"), [
    ("https://api.skyvern.com/v1/workflows/runs", "https://api.skyvern.com/v1/workflows/runs"),
    ("https://u:p@api.skyvern.com/v1/runs?page=2", "https://api.skyvern.com/v1/runs?page=2"),
    ("https://api.skyvern.com/v1/runs?api_key=a&ApiKey=b&key=c&token=d&access_token=e"
     "&x-api-key=f&page=2",
     "https://api.skyvern.com/v1/runs?api_key=%2A%2A%2A&ApiKey=%2A%2A%2A&key=%2A%2A%2A"
     "&token=%2A%2A%2A&access_token=%2A%2A%2A&x-api-key=%2A%2A%2A&page=2"),
    (httpx.URL("http://127.0.0.1:8000/v1/runs?"), "http://127.0.0.1:8000/v1/runs"),
])
def test_safe_url(url, shown):
    assert safe_url(url) == shown


@pytest.mark.parametrize(("run_id", "label"), [
    ("wr_602374229359929842", "wr_602374229359929842"),
    ("two words", "two words"),
    (None, "(no workflow_run_id)"),
    ("", "(no workflow_run_id)"),
    (12, "12"),
    ("wr_1\nwr_2", "'wr_1\\nwr_2'"),
    ("wr_\x1b[31m", "'wr_\\x1b[31m'"),
    ("w" * 100, "w" * 100),
    ("w" * 101, "'" + "w" * 99),
])
def test_run_label(run_id, label):
    assert run_label(run_id) == label


def test_bad_value_names_run_field_and_value():
    error = bad_value("wr_1", "attempt", "two", "an integer")
    assert type(error) is SchemaError
    assert str(error) == "run wr_1: field 'attempt' should be an integer, got 'two'"
    assert (error.run_id, error.field, error.value) == ("wr_1", "attempt", "two")


def test_bad_value_cuts_a_long_value_and_quotes_a_strange_id():
    error = bad_value("wr\n1", "status", "x" * 100, "a known status")
    assert str(error) == ("run 'wr\\n1': field 'status' should be a known status, got '"
                          + "x" * 76 + "...")
    assert error.value == "x" * 100  # the whole value stays on the error


def test_schema_error_defaults():
    error = SchemaError("page 3 is not a list")
    assert (str(error), error.run_id, error.field, error.value) == (
        "page 3 is not a list", None, None, None)


def test_importing_errors_does_not_load_httpx():
    code = "import sys, runlytics.errors; print('httpx' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True, timeout=60)
    assert done.stdout == "False\n"
