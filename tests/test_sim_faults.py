"""Injected faults (``runlytics.sim.faults``): what the client sees, and when."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import httpx
import orjson
import pytest
from sim_support import KEY, NOW, RUNS

from runlytics.simulator import FAULT_KINDS, Simulator

pytest_plugins = ["sim_fixtures"]


def test_fault_kinds_are_the_documented_ones():
    assert set(FAULT_KINDS) == {"429", "503", "500", "502", "504", "drop", "slow", "truncate",
                                "truncate_short", "object"}
    with pytest.raises(ValueError, match="unknown fault kind"):
        Simulator(n_runs=1, now=NOW).fail_next("404")


@pytest.mark.parametrize(("kind", "status", "body", "retry_after"), [
    ("429", 429, b'{"detail":"Too Many Requests"}', "1"),
    ("503", 503, b'{"detail":"Service Unavailable"}', "1"),
    ("500", 500, b'{"error":"Unexpected error: OperationalError"}', None),
])
def test_error_faults(served, kind, status, body, retry_after):
    sim, c = served
    sim.fail_next(kind)
    response = c.get(RUNS)
    assert (response.status_code, response.content) == (status, body)
    assert response.headers["content-type"] == "application/json"
    assert response.headers.get("retry-after") == retry_after
    assert c.get(RUNS).status_code == 200  # only the next request


def test_retry_after_in_seconds_or_as_an_http_date(served):
    sim, c = served
    sim.fail_next("429", retry_after=7)
    assert c.get(RUNS).headers["retry-after"] == "7"
    sim.fail_next("429", retry_after=0.05)
    assert c.get(RUNS).headers["retry-after"] == "0.05"
    when = datetime(2026, 11, 28, 21, 6, 30, tzinfo=UTC)
    sim.fail_next("503", retry_after=when)
    header = c.get(RUNS).headers["retry-after"]
    assert header == "Sat, 28 Nov 2026 21:06:30 GMT"
    assert parsedate_to_datetime(header) == when


@pytest.mark.parametrize(("kind", "title"), [("502", "502 Bad Gateway"),
                                             ("504", "504 Gateway Time-out")])
def test_gateway_faults_are_html(served, kind, title):
    sim, c = served
    sim.fail_next(kind)
    response = c.get(RUNS)
    assert response.status_code == int(kind)
    assert response.headers["content-type"] == "text/html"
    assert f"<title>{title}</title>" in response.text and "nginx" in response.text


@pytest.mark.parametrize("kind", ["drop", "truncate_short"])
def test_broken_connections(served, kind):
    sim, c = served
    sim.fail_next(kind)
    with pytest.raises(httpx.RemoteProtocolError):
        c.get(RUNS, params={"page_size": 50})
    assert c.get(RUNS, params={"page_size": 50}).json() == sim.runs()[:50]
    assert sim.requests[0][2] == (None if kind == "drop" else 200)


def test_truncate_sends_a_consistent_length_and_half_a_body(served):
    sim, c = served
    sim.fail_next("truncate")
    response = c.get(RUNS, params={"page_size": 20})
    full = orjson.dumps(sim.runs()[:20])
    assert response.status_code == 200
    assert int(response.headers["content-length"]) == len(response.content) == len(full) // 2
    assert full.startswith(response.content)
    with pytest.raises(json.JSONDecodeError):
        response.json()


def test_object_wraps_the_page(served):
    sim, c = served
    sim.fail_next("object")
    assert c.get(RUNS, params={"page_size": 4}).json() == {"items": sim.runs()[:4]}


def test_slow_answers_normally_but_late(served):
    sim, c = served
    sim.slow_seconds = 0.3
    sim.fail_next("slow")
    started = time.perf_counter()
    response = c.get(RUNS, params={"page_size": 3})
    assert time.perf_counter() - started >= 0.3
    assert response.json() == sim.runs()[:3]


def test_fail_next_counts_and_fault_rates_are_seeded(served):
    sim, c = served
    sim.fail_next("500", count=2)
    assert [c.get(RUNS).status_code for _ in range(3)] == [500, 500, 200]
    sim.fault_rates = {"503": 0.5}
    first = [c.get(RUNS).status_code for _ in range(30)]
    assert set(first) == {200, 503}
    twin = Simulator(n_runs=200, seed=3, now=NOW)
    twin.fault_rates = {"503": 0.5}
    replay = [twin.handle("GET", RUNS, "", KEY).status for _ in range(30)]
    assert replay == first
    with pytest.raises(ValueError):
        sim.fault_rates = {"418": 0.1}


def test_queued_faults_come_before_random_ones(served):
    sim, c = served
    sim.fault_rates = {"503": 1.0}
    sim.fail_next("500")
    assert [c.get(RUNS).status_code for _ in range(3)] == [500, 503, 503]
