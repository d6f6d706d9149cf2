"""The clock and the runs' lives (``runlytics.sim.clock``): advance, retries."""

from __future__ import annotations

import collections
from datetime import timedelta
from typing import Any

import pytest
from sim_support import NOW, RUNS, ids

from runlytics.simulator import Simulator

pytest_plugins = ["sim_fixtures"]


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
