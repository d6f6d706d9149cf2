"""The simulator object (``runlytics.sim.core``): what it ties together, as a whole."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import httpx
from sim_support import KEY, NOW, RUNS, ids

from runlytics.simulator import Simulator

pytest_plugins = ["sim_fixtures"]


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


def test_create_runs_at_a_fixed_instant_makes_a_tie(served):
    sim, c = served
    at = NOW - timedelta(days=2)
    new = sim.create_runs(5, at=at)
    assert {sim.get_run(i)["created_at"] for i in new} == {"2026-11-26T21:05:00"}
    position = [r["created_at"] for r in sim.runs()].index("2026-11-26T21:05:00")
    assert set(ids(sim.runs()[position:position + 5])) == set(new)
    assert sim.now == NOW


# Computed by running _transcript() on the simulator before it was split into
# modules (commit a07bfbd, sim/core.py in one piece); not derived from the code
# under test. A change here means the simulator answers differently for the
# same seed: fine only when that is the intent, and then say so in the commit.
# Changed once on purpose since: delivered webhooks are recorded as "" (issue 16).
GOLDEN_TRANSCRIPT = "34d12b310b26d8a1ac431ea7f0a0a92bfcf3d9f5d9306cfe3f5ed511da3f9c12"


def _transcript() -> str:
    """sha256 of every reply (status, headers, body) of a fixed session with a seeded simulator."""
    sim = Simulator(n_runs=300, seed=11, now=NOW, hostile=True, tie_groups=3)
    digest = hashlib.sha256()

    def get(path: str, query: str, headers: dict[str, str] = KEY) -> None:
        reply = sim.handle("GET", path, query, headers)
        digest.update(repr((reply.status, reply.headers, reply.content_type, reply.action,
                            round(reply.delay, 6))).encode())
        digest.update(reply.body)

    for page in range(1, 6):
        get(RUNS, f"page={page}&page_size=20")
    get(RUNS, "page_size=300")
    get(RUNS, "status=failed&status=timed_out&page_size=50")
    get(RUNS, "search_key=acme&page_size=50")
    wpid = sim.runs()[0]["workflow_permanent_id"]
    get(f"/v1/workflows/{wpid}/runs", "created_at_start=2026-11-20T00:00:00&page_size=50")
    get("/v1/workflows", "page_size=20")
    get(RUNS, "page=0&page_size=abc")
    get(RUNS, "", {"x-api-key": "wrong"})
    sim.advance(3600)
    sim.create_runs(5)
    sim.create_runs(3, at=NOW - timedelta(days=1))
    get(RUNS, "page_size=30")
    sim.fault_rates = {"503": 0.2, "truncate": 0.2, "object": 0.2}
    sim.create_per_request = 1
    for page in range(1, 11):
        get(RUNS, f"page={page}&page_size=10")
    return digest.hexdigest()


def test_the_same_seed_gives_the_same_bytes_as_before_the_split():
    """Golden-value regression test: the hash was computed from the OLD code.

    The session covers pages with ties (shuffled by the seeded order generator),
    filters, a created_at window, the workflows list, a 422 and a 403, the clock
    moving, runs created (one tie batch), and seeded random faults with runs
    arriving per request. The expected value is hard-coded from the simulator
    before its split into modules; it is not computed by the code under test.
    """
    assert _transcript() == GOLDEN_TRANSCRIPT
