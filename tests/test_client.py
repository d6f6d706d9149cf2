from __future__ import annotations

import email.utils
import threading
import time

import httpx
import orjson
import pytest
from conftest import make_run, recorded

from runlytics import (
    AuthError,
    Client,
    NotFoundError,
    RateLimitError,
    RequestError,
    RetryPolicy,
    RunQuery,
    SchemaError,
    ServerError,
    TransportError,
    UsageError,
    fetch_frame,
    iter_pages,
)
from runlytics.client import RunsClient, resolve_base_url, retry_after_seconds
from runlytics.fetch import query_and_client
from runlytics.frame import table_to_frame

KEY = "sk-canary-7f3e9b1c"
BASE = "http://127.0.0.1:9"
FAST = RetryPolicy(max_attempts=4, base_seconds=0.001, cap_seconds=0.01)


def runs(n: int) -> list[dict]:
    return [make_run(workflow_run_id=f"wr_{i:05d}",
                     created_at=f"2026-11-01T00:{i // 60 % 60:02d}:{i % 60:02d}.{i + 1:06d}")
            for i in range(n)][::-1]


class FakeAPI:
    """A handler over a fixed run list, with a script of answers to give first."""

    def __init__(self, items: list[dict], script: list[httpx.Response] | None = None) -> None:
        self.items = items
        self.script = list(script or [])
        self.calls: list[httpx.Request] = []
        self.lock = threading.Lock()

    def __call__(self, request: httpx.Request) -> httpx.Response:
        with self.lock:
            self.calls.append(request)
            if self.script:
                answer = self.script.pop(0)
                if isinstance(answer, Exception):
                    raise answer
                return answer
        page = int(request.url.params["page"])
        size = int(request.url.params["page_size"])
        return httpx.Response(200, content=orjson.dumps(self.items[(page - 1) * size:page * size]))


def fetch(api: FakeAPI, **kwargs):
    kwargs.setdefault("retry", FAST)
    query, client = query_and_client(api_key=KEY, base_url=BASE,
                                     transport=httpx.MockTransport(api), progress=False,
                                     **kwargs)
    fetched = client.fetch(query)
    return fetched.to_frame(), fetched.report


def test_fetches_every_page_until_an_empty_one():
    api = FakeAPI(runs(250))
    df, report = fetch(api, page_size=100)
    assert df["workflow_run_id"].tolist() == [r["workflow_run_id"] for r in runs(250)]
    assert report.stopped_because == "empty page"
    assert report.runs == 250 and not report.drift_detected
    first = api.calls[0]
    assert first.headers["x-api-key"] == KEY
    assert first.url.path == "/v1/workflows/runs"


def test_filters_are_sent_as_the_api_expects():
    api = FakeAPI([])
    fetch(api, status=["failed", "timed_out"], search_key="login", error_code="E1",
          page_size=7)
    params = api.calls[0].url.params
    assert params.get_list("status") == ["failed", "timed_out"]
    assert (params["search_key"], params["error_code"], params["page_size"]) == ("login", "E1",
                                                                                  "7")


def test_a_short_page_is_not_trusted_alone():
    items = runs(30)
    api = FakeAPI(items)
    # a gateway clamps page_size to 10: every page is "short"
    api_clamped = lambda request: api(httpx.Request(  # noqa: E731
        "GET", request.url.copy_set_param("page_size", "10")))
    client = Client(api_key=KEY, base_url=BASE, transport=httpx.MockTransport(api_clamped),
                    progress=False, concurrency=2)
    table, report = client.fetch(RunQuery(page_size=100))
    df = table_to_frame(table)
    assert len(df) == 30
    assert report.page_size_clamped_to == 10


def test_since_stops_paging_and_until_filters():
    items = runs(300)
    api = FakeAPI(items)
    since, until = items[149]["created_at"], items[9]["created_at"]
    df, report = fetch(api, page_size=50, since=since, until=until, concurrency=1)
    assert df["workflow_run_id"].tolist() == [r["workflow_run_id"] for r in items[10:150]]
    assert report.stopped_because == "reached since"
    assert report.pages_requested < 8


def test_max_runs_gives_the_newest():
    api = FakeAPI(runs(300))
    df, report = fetch(api, page_size=50, max_runs=120, concurrency=2)
    assert df["workflow_run_id"].tolist() == [r["workflow_run_id"] for r in runs(300)[:120]]
    assert report.stopped_because == "max_runs"


@pytest.mark.parametrize("status", [429, 500, 502, 503, 504])
def test_retryable_statuses_are_retried(status):
    page = httpx.Response(status, headers={"retry-after": "0"},
                          text="<html><body>Bad Gateway</body></html>")
    api = FakeAPI(runs(5), script=[page, page])
    df, report = fetch(api)
    assert len(df) == 5
    assert report.retries == 2 and report.retry_reasons == {str(status): 2}


def test_connection_errors_and_bad_bodies_are_retried():
    api = FakeAPI(runs(5), script=[httpx.ConnectError("refused"),
                                   httpx.ReadTimeout("slow"),
                                   httpx.Response(200, content=b'[{"workflow_run_id": "wr_'),
                                   httpx.Response(200, json={"items": []})])
    df, report = fetch(api, concurrency=1, retry=RetryPolicy(max_attempts=6, base_seconds=0.001))
    assert len(df) == 5
    assert report.retry_reasons == {"connection": 2, "bad body": 2}


@pytest.mark.parametrize(("status", "fixture", "error", "text"), [
    (403, "403_no_api_key.json", AuthError, "HTTP 403 .*Invalid credentials.*SKYVERN_API_KEY"),
    (403, "403_expired_key.json", AuthError, "Auth token is expired"),
    (404, "404_unknown_org.json", NotFoundError, "Organization not found"),
    (422, "422_page_0.json", RequestError,
     r"query\.page: Input should be greater than or equal to 1 \(got '0'\)"),
])
def test_client_errors_are_not_retried(status, fixture, error, text):
    api = FakeAPI([], script=[httpx.Response(status, content=recorded(fixture))])
    with pytest.raises(error, match=text) as info:
        fetch(api, concurrency=1)
    assert len(api.calls) == 1
    assert info.value.status_code == status
    assert KEY not in str(info.value) and KEY not in repr(info.value)


def test_retries_are_bounded_and_the_error_is_clear():
    api = FakeAPI([], script=[httpx.Response(503, json={"detail": "db down"})] * 10)
    with pytest.raises(ServerError, match="HTTP 503.*db down.*try again later"):
        fetch(api, concurrency=1)
    assert len(api.calls) == FAST.max_attempts
    api = FakeAPI([], script=[httpx.Response(429, headers={"retry-after": "0"})] * 10)
    with pytest.raises(RateLimitError):
        fetch(api, concurrency=1)
    api = FakeAPI([], script=[httpx.ConnectError(f"refused {KEY}")] * 10)
    with pytest.raises(TransportError, match="gave up after 4 attempts") as info:
        fetch(api, concurrency=1)
    assert KEY not in str(info.value)


def test_a_lasting_500_gets_a_smaller_budget_than_503():
    """A 500 is retried (a database hiccup passes) but gives up after
    ``max_500_attempts``, before the ``max_attempts`` a 503 gets."""
    body = {"error": "Unexpected error: OperationalError"}
    api = FakeAPI([], script=[httpx.Response(500, json=body)] * 10)
    policy = RetryPolicy(max_attempts=6, base_seconds=0.001, max_500_attempts=3)
    with pytest.raises(ServerError, match="HTTP 500.*Unexpected error: OperationalError") as info:
        fetch(api, concurrency=1, retry=policy)
    assert len(api.calls) == 3
    assert info.value.status_code == 500
    api = FakeAPI([], script=[httpx.Response(503, json={"detail": "db down"})] * 10)
    with pytest.raises(ServerError, match="HTTP 503"):
        fetch(api, concurrency=1, retry=policy)
    assert len(api.calls) == 6


def test_500_budget_counts_only_500s():
    """Other failures before the 500s do not use up the 500 budget."""
    script = [httpx.ConnectError("refused")] * 2 + [httpx.Response(500, json={})] * 2
    api = FakeAPI(runs(5), script=script)
    df, report = fetch(api, concurrency=1, retry=RetryPolicy(max_attempts=6, base_seconds=0.001))
    assert len(df) == 5
    assert report.retry_reasons == {"connection": 2, "500": 2}


def test_total_wait_is_bounded():
    api = FakeAPI([], script=[httpx.Response(429, headers={"retry-after": "3600"})])
    started = time.monotonic()
    with pytest.raises(RateLimitError):
        fetch(api, concurrency=1, retry=RetryPolicy(max_total_wait_seconds=1.0))
    assert time.monotonic() - started < 1.0


def test_retry_after_pauses_every_request():
    hits: list[float] = []
    items = runs(400)

    def handler(request: httpx.Request) -> httpx.Response:
        hits.append(time.monotonic())
        if len(hits) == 1:
            return httpx.Response(429, headers={"retry-after": "0.3"})
        page, size = int(request.url.params["page"]), int(request.url.params["page_size"])
        return httpx.Response(200, content=orjson.dumps(items[(page - 1) * size:page * size]))

    started = time.monotonic()
    df = fetch_frame(api_key=KEY, base_url=BASE, transport=httpx.MockTransport(handler),
                    page_size=50, concurrency=4, progress=False,
                    retry=RetryPolicy(base_seconds=0.001))
    assert len(df) == 400
    late = [t - started for t in hits[5:]]
    assert min(late) >= 0.25  # requests after the 429 waited for the pause


def test_retry_after_accepts_seconds_and_http_dates():
    assert retry_after_seconds("7") == 7.0
    assert retry_after_seconds(None) is None and retry_after_seconds("soon") is None
    future = email.utils.formatdate(time.time() + 30, usegmt=True)
    assert 25 < retry_after_seconds(future) <= 30


def test_redirects_are_not_followed():
    api = FakeAPI([], script=[httpx.Response(
        301, headers={"location": "https://evil.example/v1/workflows/runs"})])
    with pytest.raises(RequestError, match="redirected to https://evil.example"):
        fetch(api, concurrency=1)
    assert len(api.calls) == 1


@pytest.mark.parametrize(("url", "ok"), [
    ("https://api.skyvern.com", True), ("http://127.0.0.1:8000", True),
    ("http://localhost:8000/", True), ("http://[::1]:8000", True),
    ("http://skyvern.internal", False), ("ftp://x", False), ("not a url", False),
])
def test_base_url_must_be_https_or_loopback(url, ok):
    if ok:
        assert resolve_base_url(url).startswith(url.rstrip("/"))
    else:
        with pytest.raises(UsageError):
            resolve_base_url(url)
    assert resolve_base_url("http://skyvern.internal", allow_insecure=True)


@pytest.mark.parametrize(("kwargs", "text"), [
    ({"status": "archived"}, "unknown status 'archived'"),
    ({"search_key": "x" * 501}, "search_key is 501 characters"),
    ({"page_size": 0}, "page_size must be"),
    ({"concurrency": 0}, "concurrency must be"),
    ({"since": "last tuesday"}, "since: 'last tuesday' is not a date"),
    ({"max_runs": 0}, "max_runs must be"),
])
def test_bad_options_fail_before_any_request(kwargs, text):
    api = FakeAPI([])
    with pytest.raises(UsageError, match=text):
        fetch(api, **kwargs)
    assert api.calls == []


def test_missing_key_is_a_usage_error(monkeypatch):
    monkeypatch.delenv("SKYVERN_API_KEY", raising=False)
    with pytest.raises(UsageError, match="SKYVERN_API_KEY"):
        RunsClient(base_url=BASE)
    assert KEY not in repr(RunsClient(api_key=KEY, base_url=BASE))


def test_iter_pages_yields_each_run_once_in_order():
    items = runs(120)
    api = FakeAPI(items)
    pages = list(iter_pages(api_key=KEY, base_url=BASE, transport=httpx.MockTransport(api),
                            page_size=50, progress=False))
    assert [len(p) for p in pages] == [50, 50, 20]
    assert [r["workflow_run_id"] for p in pages for r in p] == [r["workflow_run_id"]
                                                                  for r in items]


def test_a_bad_run_is_named():
    api = FakeAPI([make_run(attempt="two")])
    with pytest.raises(SchemaError, match="wr_602374229359929842.*'attempt'.*'two'"):
        fetch(api)
