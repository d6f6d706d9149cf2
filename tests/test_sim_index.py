"""Order, filters and LIMIT/OFFSET pages (``runlytics.sim.index``), over HTTP.

The real server orders by created_at DESC with no tie-breaker; runs created
while a client pages push rows down.
"""

from __future__ import annotations

import collections

import httpx
import pytest
from sim_support import DATA, KEY, NOW, RUNS, fetch_all, ids

from runlytics.simulator import Simulator, serve

pytest_plugins = ["sim_fixtures"]


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
