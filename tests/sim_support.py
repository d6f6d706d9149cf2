"""Shared constants and helpers of the simulator tests (``tests/test_sim_*.py``).

Their fixtures are in ``sim_fixtures.py``, which the test modules load with
``pytest_plugins`` (a plugin module must not be imported before pytest loads it).

Bodies are compared with the responses recorded from a real server in
``tests/data``; everything else with the simulator's own ground truth
(``Simulator.runs``) or with properties stated in ``skyvern-api.md``.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from typing import Any

import httpx
from conftest import DATA, recorded

__all__ = ["DATA", "KEY", "NOW", "RUNS", "STAMP", "STAMPS", "fetch_all", "ids", "recorded_json"]

NOW = datetime(2026, 11, 28, 21, 5, tzinfo=UTC)
KEY = {"x-api-key": "sim-key"}
RUNS = "/v1/workflows/runs"
STAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{6})?")
STAMPS = ("queued_at", "started_at", "finished_at", "created_at", "modified_at",
          "next_attempt_at")


def recorded_json(name: str) -> Any:
    """A recorded response of the real server, decoded."""
    return json.loads(recorded(name))


def ids(runs: list[dict[str, Any]]) -> list[str]:
    return [r["workflow_run_id"] for r in runs]


def fetch_all(client: httpx.Client, path: str = RUNS, page_size: int = 100,
              **params: Any) -> list[dict[str, Any]]:
    """Every page of ``path`` until the first empty one, each one a 200."""
    out: list[dict[str, Any]] = []
    for page in range(1, 10_000):
        batch = client.get(path, params={**params, "page": page, "page_size": page_size})
        assert batch.status_code == 200, batch.text
        if not batch.json():
            return out
        out += batch.json()
    raise AssertionError("never reached an empty page")
