"""Routes and authentication (``runlytics.sim.routes``), over HTTP."""

from __future__ import annotations

import httpx
import pytest
from sim_support import DATA, RUNS

from runlytics.simulator import EXPIRED_KEY, UNKNOWN_ORG_KEY

pytest_plugins = ["sim_fixtures"]


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


def test_unknown_paths_and_methods(client):
    response = httpx.get(f"{client.base_url}/v1/nothing/here")
    assert (response.status_code, response.json()) == (404, {"detail": "Not Found"})
    response = client.post(RUNS)
    assert (response.status_code, response.headers["allow"]) == (405, "GET")


def test_aliases_answer_like_the_main_route(client, sim):
    expected = sim.runs()[:5]
    for path in ("/v1/agents/runs", "/api/v1/workflows/runs", "/v1/workflows/runs/"):
        assert client.get(path, params={"page_size": 5}).json() == expected, path


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
