"""Client: how to reach the server, made once and used for every fetch."""

from __future__ import annotations

import warnings

import httpx
import orjson
import pytest
from conftest import make_run

import runlytics
from runlytics import Client, RunQuery, UsageError
from runlytics.fetch import query_and_client

KEY = "sk-test-client"


def _api(runs):
    def handler(request: httpx.Request) -> httpx.Response:
        page, size = int(request.url.params["page"]), int(request.url.params["page_size"])
        statuses = request.url.params.get_list("status")
        rows = [r for r in runs if not statuses or r["status"] in statuses]
        return httpx.Response(200, content=orjson.dumps(rows[(page - 1) * size:page * size]))
    return httpx.MockTransport(handler)


RUNS = [make_run(workflow_run_id=f"wr_{i:03d}", created_at=f"2026-01-20T10:{59 - i:02d}:00",
                 modified_at=f"2026-01-20T10:{59 - i:02d}:00",
                 status="failed" if i % 3 == 0 else "completed") for i in range(25)]


def test_one_client_serves_many_queries_and_returns_the_report():
    client = Client(api_key=KEY, base_url="https://skyvern.example", transport=_api(RUNS),
                    concurrency=2, progress=False)
    table, report = client.fetch(RunQuery(page_size=10))
    assert table.column("workflow_run_id").to_pylist() == [r["workflow_run_id"] for r in RUNS]
    assert (report.runs, report.pages_requested, report.base_url, report.filters) == (
        25, 5, "https://skyvern.example", {})  # 3 pages, the empty 4th, page 1 again
    failed = client.fetch(RunQuery(status="failed", page_size=10))
    assert failed.report.filters == {"status": ["failed"]}
    assert list(failed.to_frame()["workflow_run_id"]) == [f"wr_{i:03d}" for i in range(0, 25, 3)]


def test_pages_are_lazy_and_fill_their_report():
    client = Client(api_key=KEY, base_url="https://skyvern.example", transport=_api(RUNS),
                    progress=False)
    stream = client.pages(RunQuery(page_size=10, max_runs=12))
    assert stream.report.pages_requested == 0  # nothing asked yet
    sizes = [len(runs) for runs in stream]
    assert sizes == [10, 2]
    assert stream.report.requests >= 2


def test_the_client_never_shows_its_key_and_checks_what_it_is_given(monkeypatch):
    client = Client(api_key=KEY, base_url="https://skyvern.example/")
    assert KEY not in repr(client) and KEY not in str(vars(client).get("base_url"))
    assert repr(client) == ("Client(base_url='https://skyvern.example', api_key='***', "
                            "concurrency=8)")
    assert client.replace(concurrency=3).concurrency == 3
    monkeypatch.delenv("SKYVERN_API_KEY", raising=False)
    with pytest.raises(UsageError, match="no API key"):
        Client()
    with pytest.raises(UsageError, match="concurrency must be a whole number >= 1, got 0"):
        Client(api_key=KEY, concurrency=0)
    with pytest.raises(UsageError, match="plain http to another host"):
        Client(api_key=KEY, base_url="http://skyvern.example")


def test_the_keyword_wrappers_are_the_two_objects():
    query, client = query_and_client(status="failed", page_size=10, api_key=KEY,
                                     base_url="https://skyvern.example",
                                     transport=_api(RUNS), progress=False, concurrency=1)
    frame = runlytics.fetch_frame(status="failed", page_size=10, api_key=KEY,
                                  base_url="https://skyvern.example", transport=_api(RUNS),
                                  progress=False, concurrency=1)
    assert list(frame["workflow_run_id"]) == list(client.fetch(query).to_frame()[
        "workflow_run_id"])


def test_old_names_and_report_argument_still_work_with_a_warning():
    with pytest.warns(DeprecationWarning,
                      match="runlytics.fetch_runs is deprecated; use runlytics.fetch_frame"):
        old = runlytics.fetch_runs
    assert old is runlytics.fetch_frame
    report = runlytics.FetchReport()
    with pytest.warns(DeprecationWarning, match="report= is deprecated"):
        table = runlytics.fetch_table(api_key=KEY, base_url="https://skyvern.example",
                                      transport=_api(RUNS), progress=False, report=report)
    assert report.runs == table.num_rows == 25
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        runlytics.fetch_table(api_key=KEY, base_url="https://skyvern.example",
                              transport=_api(RUNS), progress=False)


def test_a_misspelt_option_names_itself_and_the_options():
    with pytest.raises(TypeError, match=r"unexpected keyword argument 'page_sise'; the options "
                                        r"are allow_insecure, api_key, base_url, client"):
        runlytics.fetch_table(page_sise=10, api_key=KEY)  # type: ignore[call-arg]
