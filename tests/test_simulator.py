"""The simulated Skyvern API, mostly over real HTTP on 127.0.0.1.

Bodies are compared with the responses recorded from a real server in
``tests/data``; everything else with the simulator's own ground truth
(``Simulator.runs``) or with properties stated in ``skyvern-api.md``.
"""

from __future__ import annotations

import collections
import json
import re
import socket
import threading
import time
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

from runlytics.schema import api_field_names
from runlytics.simulator import (
    API_FIELDS,
    EXPIRED_KEY,
    FAULT_KINDS,
    UNKNOWN_ORG_KEY,
    Simulator,
    mock_transport,
    run_forever,
    serve,
)

DATA = Path(__file__).parent / "data"
NOW = datetime(2026, 11, 28, 21, 5, tzinfo=UTC)
KEY = {"x-api-key": "sim-key"}
RUNS = "/v1/workflows/runs"
STAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{6})?")
STAMPS = ("queued_at", "started_at", "finished_at", "created_at", "modified_at",
          "next_attempt_at")


def recorded(name: str) -> Any:
    return json.loads((DATA / name).read_bytes())


def ids(runs: list[dict[str, Any]]) -> list[str]:
    return [r["workflow_run_id"] for r in runs]


def fetch_all(client: httpx.Client, path: str = RUNS, page_size: int = 100,
              **params: Any) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for page in range(1, 10_000):
        batch = client.get(path, params={**params, "page": page, "page_size": page_size})
        assert batch.status_code == 200, batch.text
        if not batch.json():
            return out
        out += batch.json()
    raise AssertionError("never reached an empty page")


@pytest.fixture(scope="module")
def sim() -> Simulator:
    """A read-only history without ties: its order is deterministic."""
    return Simulator(n_runs=1200, n_workflows=12, seed=7, now=NOW)


@pytest.fixture(scope="module")
def client(sim: Simulator):
    with serve(sim) as url, httpx.Client(base_url=url, headers=KEY) as c:
        yield c


@pytest.fixture(scope="module")
def history() -> list[dict[str, Any]]:
    """A larger history, for checks on its shape."""
    return Simulator(n_runs=3000, seed=7, now=NOW).runs()


@pytest.fixture
def served():
    """A fresh small simulator and a client for tests that change it."""
    sim = Simulator(n_runs=200, seed=3, now=NOW)
    with serve(sim) as url, httpx.Client(base_url=url, headers=KEY, timeout=5) as c:
        yield sim, c


# -- run objects ----------------------------------------------------------------
def test_every_run_has_the_recorded_keys_in_the_recorded_order(client, sim):
    recorded_keys = list(recorded("runs_page1_size5.json")[0])
    assert list(API_FIELDS) == recorded_keys
    assert set(recorded_keys) == set(api_field_names())
    runs = fetch_all(client)
    assert len(runs) == len(sim) == 1200
    assert all(list(run) == recorded_keys for run in runs)
    assert all(run["attempts"] == [] for run in runs)


def test_responses_are_json_with_a_content_length(client):
    response = client.get(RUNS, params={"page_size": 7})
    assert response.headers["content-type"] == "application/json"
    assert int(response.headers["content-length"]) == len(response.content)
    assert len(response.json()) == 7


def test_timestamps_are_naive_utc_with_and_without_fraction(sim):
    values = [run[k] for run in sim.runs() for k in STAMPS if run[k] is not None]
    assert all(STAMP.fullmatch(v) for v in values)
    assert all(datetime.fromisoformat(v).tzinfo is None for v in values)
    whole = [v for v in values if "." not in v]
    assert 0 < len(whole) < len(values) / 10


def test_list_is_newest_first_and_equals_the_ground_truth(client, sim):
    runs = fetch_all(client, page_size=37)
    created = [r["created_at"] for r in runs]
    assert created == sorted(created, reverse=True)
    assert runs == sim.runs()
    assert len(set(ids(runs))) == len(runs)


def test_defaults_are_page_1_of_10(client, sim):
    assert client.get(RUNS).json() == sim.runs()[:10]


def test_a_page_past_the_end_is_an_empty_array(client):
    response = client.get(RUNS, params={"page": 1000, "page_size": 10})
    assert response.status_code == 200
    assert response.content == (DATA / "runs_page_past_end.json").read_bytes()


def test_the_same_seed_and_now_give_the_same_history(sim):
    again = Simulator(n_runs=1200, n_workflows=12, seed=7, now=NOW)
    other = Simulator(n_runs=1200, n_workflows=12, seed=8, now=NOW)
    assert again.runs() == sim.runs()
    assert again.workflows() == sim.workflows()
    assert ids(other.runs()) != ids(sim.runs())


def test_template_rendering_equals_orjson_of_the_full_object():
    sim = Simulator(n_runs=1000, seed=5, now=NOW, hostile=True, tie_groups=2)
    sim.advance(3600)  # re-rendered runs too
    for run in sim._index:
        assert run.render() == orjson.dumps(run.to_dict())


# -- the history ----------------------------------------------------------------
def test_history_covers_what_the_real_server_sends(history):
    runs = history

    def count(pred: Any) -> int:
        return sum(1 for r in runs if pred(r))

    statuses = collections.Counter(r["status"] for r in runs)
    assert set(statuses) == {"created", "queued", "running", "paused", "completed", "failed",
                             "timed_out", "canceled", "terminated"}
    assert statuses["completed"] + statuses["failed"] > 0.85 * len(runs)
    assert {r["status"] for r in runs[:8]} >= {"created", "queued", "running", "paused"}
    triggers = {r["trigger_type"] for r in runs}
    assert triggers >= {"manual", "api", "scheduled", "webhook", "mcp", "job_recipe_extract",
                        None}
    assert all(r["trigger_type"] is None for r in runs[-len(runs) // 20:])
    assert {r["run_with"] for r in runs} == {"agent", "code", None}
    proxies = [r["proxy_location"] for r in runs]
    assert {"country": "US", "subdivision": "CA", "city": None} in proxies
    assert count(lambda r: isinstance(r["proxy_location"], dict)
                 and r["proxy_location"].get("url", "").startswith("http://user:pass@")) > 0
    assert count(lambda r: isinstance(r["proxy_location"], str)) > len(runs) / 2
    assert count(lambda r: (r["extra_http_headers"] or {}).get("Authorization", "")
                 .startswith("Bearer sk-live-")) > 0
    assert count(lambda r: "?token=" in (r["webhook_callback_url"] or "")) > 0
    assert count(lambda r: "token=" in (r["totp_verification_url"] or "")) > 0
    assert all((r["script_run"] is not None) <= (r["run_with"] == "code") for r in runs)
    assert count(lambda r: r["script_run"] is not None) > 0
    assert all((r["workflow_schedule_id"] is not None) == (r["trigger_type"] == "scheduled")
               for r in runs)
    assert count(lambda r: r["retried_from_workflow_run_id"] is not None) > 0
    assert count(lambda r: r["attempt"] > 1) > 0
    assert all(isinstance(r["credits_used"], int) for r in runs)
    categories = [r["failure_category"] for r in runs if r["failure_category"]]
    assert {len(c) for c in categories} == {1, 2, 3}
    for entries in categories:
        confidences = [e["confidence_float"] for e in entries]
        assert confidences == sorted(confidences, reverse=True)
    keys = {tuple(e) for c in categories for e in c}
    assert ("category", "confidence_float", "reasoning", "reason_code", "evidence_source") in keys
    assert ("category", "confidence_float", "reasoning") in keys


def test_history_has_the_nulls_and_oddities_of_the_real_server(history):
    runs = history
    oldest = runs[-150:]
    assert all(r["queued_at"] is r["started_at"] is r["finished_at"] is None for r in oldest)
    skewed = [r for r in runs if r["queued_at"] and r["started_at"]
              and r["queued_at"] > r["started_at"]]
    assert skewed
    for r in skewed:
        gap = datetime.fromisoformat(r["queued_at"]) - datetime.fromisoformat(r["started_at"])
        assert gap <= timedelta(milliseconds=300)
    assert any(r["status"] == "canceled" and r["finished_at"] and not r["started_at"]
               for r in runs)
    swept = [r for r in runs
             if r["status"] == "timed_out" and r["started_at"] and not r["finished_at"]]
    assert 1 <= len(swept) <= 3
    stuck = [r for r in runs if r["status"] in ("queued", "running")
             and datetime.fromisoformat(r["created_at"]) < NOW.replace(tzinfo=None)
             - timedelta(hours=2)]
    assert stuck
    for r in runs:
        stamps = [datetime.fromisoformat(r[k]) for k in ("created_at", "modified_at")]
        assert stamps[0] <= stamps[1] <= NOW.replace(tzinfo=None) + timedelta(seconds=1)
        if r["started_at"] and r["finished_at"]:
            assert r["started_at"] <= r["finished_at"]


def test_workflows_differ_in_speed_and_failure_rate(history):
    runs = history
    by_title: dict[str, list[dict[str, Any]]] = collections.defaultdict(list)
    for r in runs:
        by_title[r["workflow_title"]].append(r)
    assert len(by_title) == 12
    rates = [sum(r["status"] == "failed" for r in rs) / len(rs) for rs in by_title.values()]
    assert min(rates) < 0.05 < 0.2 < max(rates)
    medians = []
    for rs in by_title.values():
        durations = sorted((datetime.fromisoformat(r["finished_at"])
                            - datetime.fromisoformat(r["started_at"])).total_seconds()
                           for r in rs if r["status"] == "completed" and r["started_at"])
        medians.append(durations[len(durations) // 2])
    assert min(medians) < 120 and max(medians) > 200
    assert all(30 <= m <= 1800 for m in medians)


HOSTILE_MARKERS = ("<script>alert(1)</script>", "&amp;", "\u202e", "\x00", "\x07", '"', "\\")


def test_hostile_text_survives_json_and_http():
    sim = Simulator(n_runs=2000, seed=1, now=NOW, hostile=True)
    with serve(sim) as url, httpx.Client(base_url=url, headers=KEY) as c:
        runs = fetch_all(c)
    assert runs == sim.runs()
    families = {
        "title": {r["workflow_title"] for r in runs},
        "failure_reason": {r["failure_reason"] for r in runs if r["failure_reason"]},
        "header value": {v for r in runs for v in (r["extra_http_headers"] or {}).values()},
        "reasoning": {e["reasoning"] for r in runs for e in r["failure_category"] or []},
    }
    for family, texts in families.items():
        assert any(m in t for t in texts for m in HOSTILE_MARKERS), family
    everything = "".join(t for texts in families.values() for t in texts)
    for marker in HOSTILE_MARKERS:
        assert marker in everything, marker
    assert max(len(t) for t in families["title"]) >= 10_000
    assert any(len(t) >= 10_000 for t in families["failure_reason"])


def test_ties_share_created_at_only_when_asked(sim):
    assert max(collections.Counter(r["created_at"] for r in sim.runs()).values()) == 1
    tied = Simulator(n_runs=2000, seed=3, now=NOW, tie_groups=4)
    sizes = sorted(collections.Counter(r["created_at"] for r in tied.runs()).values())
    assert len([s for s in sizes if s > 1]) == 4 and sizes[-1] >= 3


# -- ordering without a tie-breaker ---------------------------------------------
def test_tie_groups_come_back_in_a_new_order_on_each_request():
    sim = Simulator(n_runs=1000, seed=2, now=NOW, tie_groups=3)
    truth = sim.runs()
    created = collections.Counter(r["created_at"] for r in truth)
    tie_at, size = created.most_common(1)[0]
    assert size >= 10
    with serve(sim) as url, httpx.Client(base_url=url, headers=KEY) as c:
        orders = [c.get(RUNS, params={"page_size": len(truth)}).json() for _ in range(3)]
    for got in orders:
        assert sorted(ids(got)) == sorted(ids(truth))
        assert [r["created_at"] for r in got] == [r["created_at"] for r in truth]
        untied = [r for r in got if created[r["created_at"]] == 1]
        assert untied == [r for r in truth if created[r["created_at"]] == 1]
    groups = [[r["workflow_run_id"] for r in got if r["created_at"] == tie_at] for got in orders]
    assert groups[0] != groups[1] or groups[1] != groups[2]


def test_paging_through_ties_keeps_every_position_in_order():
    sim = Simulator(n_runs=600, seed=4, now=NOW, tie_groups=2)
    with serve(sim) as url, httpx.Client(base_url=url, headers=KEY) as c:
        pages = fetch_all(c, page_size=7)
    # A tie group cut by a page boundary may repeat or skip rows across pages,
    # but every position still holds a run with the right created_at.
    assert len(pages) == 600
    assert [r["created_at"] for r in pages] == [r["created_at"] for r in sim.runs()]


# -- errors ---------------------------------------------------------------------
@pytest.mark.parametrize(("headers", "fixture", "status"), [
    ({}, "403_no_api_key.json", 403),
    ({"x-api-key": ""}, "403_no_api_key.json", 403),
    ({"x-api-key": "not-the-key"}, "403_bad_api_key.json", 403),
    ({"x-api-key": EXPIRED_KEY}, "403_expired_key.json", 403),
    ({"x-api-key": UNKNOWN_ORG_KEY}, "404_unknown_org.json", 404),
])
def test_auth_failures_match_the_recordings(client, headers, fixture, status):
    for path in (RUNS, "/v1/workflows", "/v1/workflows/wpid_1/runs"):
        response = httpx.get(f"{client.base_url}{path}", params={"page": 0}, headers=headers)
        assert response.status_code == status
        assert response.content == (DATA / fixture).read_bytes()


def test_validation_errors_match_the_recordings(client):
    response = client.get(RUNS, params={"page": 0, "page_size": 5})
    assert response.status_code == 422
    assert response.content == (DATA / "422_page_0.json").read_bytes()
    response = client.get(RUNS, params={"status": "failed,completed"})
    assert response.content == (DATA / "422_status_comma_joined.json").read_bytes()


def test_every_invalid_parameter_is_reported_in_order(client):
    long = "k" * 501
    response = client.get(RUNS, params=[("page", "abc"), ("page_size", "0"), ("status", "failed"),
                                        ("status", "FAILED"), ("search_key", long),
                                        ("error_code", long)])
    assert response.status_code == 422
    assert response.json() == {"detail": [
        {"type": "int_parsing", "loc": ["query", "page"],
         "msg": "Input should be a valid integer, unable to parse string as an integer",
         "input": "abc"},
        {"type": "greater_than_equal", "loc": ["query", "page_size"],
         "msg": "Input should be greater than or equal to 1", "input": "0", "ctx": {"ge": 1}},
        {**recorded("422_status_comma_joined.json")["detail"][0],
         "loc": ["query", "status", 1], "input": "FAILED"},
        {"type": "string_too_long", "loc": ["query", "search_key"],
         "msg": "String should have at most 500 characters", "input": long,
         "ctx": {"max_length": 500}},
        {"type": "string_too_long", "loc": ["query", "error_code"],
         "msg": "String should have at most 500 characters", "input": long,
         "ctx": {"max_length": 500}},
    ]}


def test_integers_are_parsed_like_pydantic(client, sim):
    first = sim.runs()[:3]
    for text in ("3", " 3 ", "+3", "3.0", "0_3"):
        assert client.get(RUNS, params={"page_size": text}).json() == first, text
    for text in ("3.5", "1e3", "", "0x3", "three"):
        assert client.get(RUNS, params={"page_size": text}).status_code == 422, text
    huge = client.get(RUNS, params={"page_size": 10**6})
    assert huge.json() == sim.runs()  # no maximum page size


def test_unknown_paths_and_methods(client):
    response = httpx.get(f"{client.base_url}/v1/nothing/here")
    assert (response.status_code, response.json()) == (404, {"detail": "Not Found"})
    response = client.post(RUNS)
    assert (response.status_code, response.headers["allow"]) == (405, "GET")


def test_aliases_answer_like_the_main_route(client, sim):
    expected = sim.runs()[:5]
    for path in ("/v1/agents/runs", "/api/v1/workflows/runs", "/v1/workflows/runs/"):
        assert client.get(path, params={"page_size": 5}).json() == expected, path


# -- filters --------------------------------------------------------------------
def test_status_is_repeated_for_several_values(client, sim):
    got = fetch_all(client, status=["failed", "timed_out"])
    assert got == sim.runs(status=["failed", "timed_out"])
    assert {r["status"] for r in got} == {"failed", "timed_out"}
    assert len(got) == sum(r["status"] in ("failed", "timed_out") for r in sim.runs())


@pytest.mark.parametrize("field", ["title", "run_id", "webhook_token", "header_secret",
                                   "param_value", "param_key", "wpid"])
def test_search_key_matches_the_documented_fields(client, sim, field):
    runs = sim.runs()
    if field == "title":
        needle, owner = runs[0]["workflow_title"].upper(), runs[0]
    elif field == "run_id":
        needle, owner = runs[100]["workflow_run_id"][-9:], runs[100]
    elif field == "wpid":
        needle, owner = runs[7]["workflow_permanent_id"], runs[7]
    elif field == "webhook_token":
        owner = next(r for r in runs if "token=" in (r["webhook_callback_url"] or ""))
        needle = owner["webhook_callback_url"].split("token=")[1]
    elif field == "header_secret":
        owner = next(r for r in runs if "Authorization" in (r["extra_http_headers"] or {}))
        needle = owner["extra_http_headers"]["Authorization"][-12:]
    else:
        owner = runs[50]
        param = sim.parameters(owner["workflow_run_id"])[0]
        needle = param["value"] if field == "param_value" else param["key"]
    got = fetch_all(client, search_key=needle)
    assert got == sim.runs(search_key=needle)
    assert owner["workflow_run_id"] in ids(got)
    assert len(got) < len(runs)


def test_search_key_skips_soft_deleted_parameter_keys(client, sim):
    deleted = {p["key"]: p for r in sim.runs() for p in sim.parameters(r["workflow_run_id"])
               if p["deleted"]}
    assert deleted
    key, param = next(iter(deleted.items()))
    assert client.get(RUNS, params={"search_key": key}).json() == []
    assert client.get(RUNS, params={"search_key": param["value"]}).json()


def test_error_code_matches_task_error_codes_exactly(client, sim):
    failed = next(r for r in sim.runs(status="failed") if sim.error_codes(r["workflow_run_id"]))
    code = sim.error_codes(failed["workflow_run_id"])[0]
    got = fetch_all(client, error_code=code)
    assert got == sim.runs(error_code=code)
    assert failed["workflow_run_id"] in ids(got)
    assert all(code in sim.error_codes(r["workflow_run_id"]) for r in got)
    assert client.get(RUNS, params={"error_code": code.lower()}).json() == []


def test_empty_filters_mean_no_filter(client, sim):
    got = client.get(RUNS, params={"search_key": "", "error_code": "", "page_size": 20})
    assert got.json() == sim.runs()[:20]


def test_workflow_runs_with_a_created_at_window(client, sim):
    wpid = collections.Counter(r["workflow_permanent_id"] for r in sim.runs()).most_common()[0][0]
    mine = sim.runs(workflow_permanent_id=wpid)
    assert len(mine) > 60
    start, end = mine[-40]["created_at"], mine[5]["created_at"]
    got = fetch_all(client, f"/v1/workflows/{wpid}/runs", page_size=9,
                    created_at_start=start, created_at_end=end)
    assert got == mine[6:-39]  # start inclusive, end exclusive
    utc = fetch_all(client, f"/v1/workflows/{wpid}/runs", created_at_start=start + "Z",
                    created_at_end=end + "+00:00")
    assert utc == got
    bad = client.get(f"/v1/workflows/{wpid}/runs", params={"created_at_start": "yesterday"})
    assert bad.status_code == 422
    assert bad.json()["detail"][0]["type"] == "datetime_from_date_parsing"
    assert client.get("/v1/workflows/wpid_unknown/runs").json() == []


def test_workflows_endpoint_lists_titles_newest_first(client, sim):
    everything = client.get("/v1/workflows", params={"page_size": 100}).json()
    assert everything == sim.workflows()
    assert len({w["title"] for w in everything}) == 12
    created = [w["created_at"] for w in everything]
    assert created == sorted(created, reverse=True)
    assert client.get("/v1/workflows", params={"page": 2, "page_size": 5}).json() == \
        everything[5:10]
    assert {r["workflow_permanent_id"] for r in sim.runs()} <= \
        {w["workflow_permanent_id"] for w in everything}


# -- switches -------------------------------------------------------------------
def test_runs_created_while_paging_repeat_rows_on_later_pages(served):
    sim, c = served
    sim.create_per_request = 3
    seen = [run for page in (1, 2, 3) for run in
            c.get(RUNS, params={"page": page, "page_size": 10}).json()]
    counts = collections.Counter(ids(seen))
    assert len(sim) == 209
    # each request pushed the rows down by 3: 3 repeats on page 2, 3 on page 3
    assert collections.Counter(counts.values()) == {1: 18, 2: 6}
    assert [r["created_at"] for r in sim.runs()[:9]] == sorted(
        [r["created_at"] for r in sim.runs()[:9]], reverse=True)
    assert {r["status"] for r in sim.runs()[:9]} == {"created"}


def test_a_gateway_page_size_cap_is_silent(served):
    sim, c = served
    sim.max_page_size = 7
    truth = sim.runs()
    assert c.get(RUNS, params={"page": 1, "page_size": 20}).json() == truth[:7]
    assert c.get(RUNS, params={"page": 2, "page_size": 20}).json() == truth[7:14]


def test_latency_delays_each_answer(served):
    sim, c = served
    sim.latency = 0.2
    started = time.perf_counter()
    c.get(RUNS)
    assert time.perf_counter() - started >= 0.2


def test_request_log_counts_list_requests(served):
    sim, c = served
    c.get(RUNS, params=[("status", "failed"), ("status", "completed")])
    c.get(RUNS, params={"page": 0})
    c.get("/v1/workflows")
    httpx.get(f"{c.base_url}{RUNS}")
    assert sim.request_count == 3
    assert sim.requests == [
        (RUNS, {"status": ["failed", "completed"]}, 200),
        (RUNS, {"page": ["0"]}, 422),
        ("/v1/workflows", {}, 200),
        (RUNS, {}, 403),
    ]
    sim.reset_log()
    assert (sim.request_count, sim.requests) == (0, [])


# -- faults ---------------------------------------------------------------------
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


def test_mock_transport_behaves_like_http():
    sim = Simulator(n_runs=50, seed=1, now=NOW)
    with httpx.Client(transport=mock_transport(sim), base_url="http://sim", headers=KEY) as c:
        assert c.get(RUNS, params={"page_size": 50}).json() == sim.runs()
        assert c.get(RUNS, params={"page": 0}).status_code == 422
        sim.fail_next("drop")
        with pytest.raises(httpx.RemoteProtocolError):
            c.get(RUNS)


# -- lifecycle ------------------------------------------------------------------
def test_new_runs_progress_to_final_statuses(served):
    sim, c = served
    new = sim.create_runs(30)
    assert len(sim) == 230 and len(set(new)) == 30
    assert ids(c.get(RUNS, params={"page_size": 30}).json()) == new[::-1]
    before = {i: sim.get_run(i) for i in new}
    assert {r["status"] for r in before.values()} == {"created"}
    assert all(r["queued_at"] is None and r["modified_at"] == r["created_at"]
               for r in before.values())
    changed = sim.advance(4)
    assert set(new) <= set(changed)
    moved = collections.Counter(sim.get_run(i)["status"] for i in new)
    assert "created" not in moved and moved["queued"] > 0
    sim.advance(3 * 86_400)
    after = {i: sim.get_run(i) for i in new}
    final = {"completed", "failed", "timed_out", "canceled", "terminated"}
    assert {r["status"] for r in after.values()} <= final
    for i, run in after.items():
        assert run["modified_at"] > before[i]["modified_at"]
        assert run["created_at"] == before[i]["created_at"]
        assert run["queued_at"] is not None
        assert run["finished_at"] is not None and run["modified_at"] >= run["finished_at"]
    assert sim.now == NOW + timedelta(seconds=4 + 3 * 86_400, milliseconds=29)
    assert sim.advance(0) == []
    with pytest.raises(ValueError):
        sim.advance(-1)


def test_retry_policy_reopens_failed_runs():
    sim = Simulator(n_runs=0, n_workflows=6, seed=21, now=NOW)
    new = sim.create_runs(400)
    history: dict[str, list[dict[str, Any]]] = {i: [sim.get_run(i)] for i in new}
    for _ in range(800):
        for i in sim.advance(30):
            history[i].append(sim.get_run(i))
    reopened = []
    for states in history.values():
        for a, b in zip(states, states[1:], strict=False):
            if a["status"] == "failed" and b["status"] == "queued":
                reopened.append((a, b))
    assert reopened
    for failed, queued in reopened:
        assert failed["retry_pending"] and failed["next_attempt_at"] == queued["modified_at"]
        assert failed["finished_at"] is not None
        assert queued["attempt"] == failed["attempt"] + 1 and not queued["retry_pending"]
        assert queued["started_at"] is queued["finished_at"] is None
        assert queued["queued_at"] == failed["queued_at"]  # set once, on the first queueing
        assert queued["failure_reason"] is queued["failure_category"] is None
    assert all(states[-1]["status"] not in ("created", "queued", "running", "paused")
               for states in history.values())


def test_create_runs_at_a_fixed_instant_makes_a_tie(served):
    sim, c = served
    at = NOW - timedelta(days=2)
    new = sim.create_runs(5, at=at)
    assert {sim.get_run(i)["created_at"] for i in new} == {"2026-11-26T21:05:00"}
    position = [r["created_at"] for r in sim.runs()].index("2026-11-26T21:05:00")
    assert set(ids(sim.runs()[position:position + 5])) == set(new)
    assert sim.now == NOW


# -- the server -----------------------------------------------------------------
def test_keep_alive_serves_several_requests_on_one_connection(client, sim):
    host, port = client.base_url.host, client.base_url.port
    request = (f"GET {RUNS}?page_size=2 HTTP/1.1\r\nHost: x\r\nx-api-key: sim-key\r\n\r\n"
               ).encode()
    with socket.create_connection((host, port), timeout=5) as sock:
        stream = sock.makefile("rb")
        for _ in range(3):
            sock.sendall(request)
            status = stream.readline()
            headers = {}
            while (line := stream.readline()) != b"\r\n":
                name, _, value = line.decode().partition(":")
                headers[name.lower()] = value.strip()
            body = stream.read(int(headers["content-length"]))
            assert status.startswith(b"HTTP/1.1 200")
            assert orjson.loads(body) == sim.runs()[:2]
        stream.close()


def test_concurrent_readers_while_the_history_changes():
    sim = Simulator(n_runs=500, seed=9, now=NOW)
    errors: list[str] = []
    with serve(sim) as url:
        def read() -> None:
            with httpx.Client(base_url=url, headers=KEY) as c:
                for page in range(1, 30):
                    response = c.get(RUNS, params={"page": page, "page_size": 25})
                    if response.status_code != 200 or not isinstance(response.json(), list):
                        errors.append(response.text)

        threads = [threading.Thread(target=read) for _ in range(6)]
        for t in threads:
            t.start()
        for _ in range(20):
            sim.create_runs(3)
            sim.advance(60)
        for t in threads:
            t.join()
    assert errors == [] and len(sim) == 560


def test_run_forever_serves_until_stopped():
    stop = threading.Event()
    urls: list[str] = []
    done: list[Simulator] = []
    thread = threading.Thread(target=lambda: done.append(run_forever(
        "127.0.0.1", 0, on_ready=urls.append, live=False, stop=stop, n_runs=30, now=NOW)))
    thread.start()
    try:
        deadline = time.monotonic() + 10
        while not urls and time.monotonic() < deadline:
            time.sleep(0.01)
        response = httpx.get(f"{urls[0]}{RUNS}", params={"page_size": 100}, headers=KEY)
        assert len(response.json()) == 30
    finally:
        stop.set()
        thread.join(timeout=10)
    assert not thread.is_alive() and len(done[0]) == 30
