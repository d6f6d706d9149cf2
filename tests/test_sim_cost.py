"""The simulator's model of the real server's cost: OFFSET, row building, slots, 503, 500.

Costs are checked through the simulator's own counters (what it charged, how
many requests held a slot at once), never by timing the client.
"""

from __future__ import annotations

import warnings
from datetime import UTC, datetime

import orjson
import pandas as pd
import pytest

from runlytics import RetryPolicy, ServerError, UnknownValueWarning, runs_frame
from runlytics.fetch import query_and_client
from runlytics.simulator import RealServerCost, Simulator, serve

NOW = datetime(2026, 11, 28, 12, tzinfo=UTC)
KEY = {"x-api-key": "sim-key"}
RUNS = "/v1/workflows/runs"
QUICK = RetryPolicy(max_attempts=5, base_seconds=0.01, cap_seconds=0.05)


def fetch(url: str, **kwargs):
    kwargs.setdefault("retry", QUICK)
    query, client = query_and_client(api_key="sim-key", base_url=url, progress=False, **kwargs)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UnknownValueWarning)
        fetched = client.fetch(query)
        return fetched.to_frame(), fetched.report


def truth(sim: Simulator) -> pd.DataFrame:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UnknownValueWarning)
        df = runs_frame([sim.runs()])
    return df.sort_values(["created_at", "workflow_run_id"], ascending=False,
                          ignore_index=True)


def test_the_model_holds_the_measured_figures():
    model = RealServerCost()
    assert (model.request_seconds, model.offset_seconds_per_row, model.build_seconds_per_row,
            model.slots, model.workers, model.max_rows, model.error_rate) == \
        (0.010, 0.82e-6, 54e-6, 4, 1, 65_000, 0.0)
    assert model.query_seconds(skipped=100_000) == pytest.approx(0.092)
    assert model.build_seconds(100) == pytest.approx(0.0054)
    assert RealServerCost(time_scale=0.1).query_seconds(skipped=0) == pytest.approx(0.001)


@pytest.mark.parametrize("kwargs", [{"slots": 0}, {"workers": 0}, {"max_rows": 0},
                                    {"error_rate": 1.5}, {"time_scale": -1}])
def test_a_bad_model_is_refused(kwargs):
    with pytest.raises(ValueError, match="need"):
        RealServerCost(**kwargs)


def test_off_by_default_answers_cost_nothing():
    sim = Simulator(n_runs=50, seed=1, now=NOW)
    assert sim.cost_model is None
    reply = sim.handle("GET", RUNS, "page_size=50", KEY)
    assert reply.status == 200 and reply.work == (0.0, 0.0)
    assert sim.database.slots.held_seconds == 0.0 and sim.database.workers.held_seconds == 0.0


def test_every_page_is_charged_its_offset_and_its_rows():
    """1,000 runs in pages of 300: page p skips min(300(p-1), 1000) rows, returns the rest."""
    sim = Simulator(n_runs=1000, seed=1, now=NOW, cost_model=RealServerCost(time_scale=0.01))
    answers = [sim.handle("GET", RUNS, f"page={p}&page_size=300", KEY) for p in (1, 2, 3, 4, 5)]
    assert [len(orjson.loads(a.body)) for a in answers] == [300, 300, 300, 100, 0]
    skipped = [0, 300, 600, 900, 1000]
    assert [a.work for a in answers] == [
        pytest.approx((0.01 * (0.010 + 0.82e-6 * s), 0.01 * 54e-6 * r))
        for s, r in zip(skipped, [300, 300, 300, 100, 0], strict=True)]
    assert sim.database.slots.held_seconds == pytest.approx(
        0.01 * (5 * 0.010 + 0.82e-6 * sum(skipped)))
    assert sim.database.workers.held_seconds == pytest.approx(0.01 * 54e-6 * 1000)


def test_requests_beyond_the_slots_wait_for_one():
    """Eight requests in flight against two database slots and one worker: never more
    than two queries at once, never more than one page built at once, others waited."""
    sim = Simulator(n_runs=2000, seed=3, now=NOW, cost_model=RealServerCost(slots=2))
    with serve(sim) as url:
        df, report = fetch(url, page_size=50, concurrency=8)
    pd.testing.assert_frame_equal(df, truth(sim))
    slots, workers = sim.database.slots, sim.database.workers
    assert slots.peak_busy == 2 and workers.peak_busy == 1
    assert slots.waited > 0
    assert report.retries == 0


def test_a_page_at_the_row_ceiling_answers_503():
    """Only the rows returned count: a huge page_size past the end is fine."""
    sim = Simulator(n_runs=300, seed=1, now=NOW, cost_model=RealServerCost(max_rows=100))
    refused = sim.handle("GET", RUNS, "page_size=100", KEY)
    assert (refused.status, refused.body, refused.headers) == \
        (503, b'{"error":"Database temporarily unavailable"}', (("retry-after", "1"),))
    assert sim.handle("GET", RUNS, "page_size=99", KEY).status == 200
    assert sim.handle("GET", RUNS, "page=2&page_size=250", KEY).status == 200  # 50 rows
    past_end = sim.handle("GET", RUNS, "page=2&page_size=100000", KEY)
    assert (past_end.status, past_end.body) == (200, b"[]")
    assert sim.database.ceiling_refusals == 1


def test_a_fetch_with_pages_above_the_ceiling_fails_with_the_servers_503():
    sim = Simulator(n_runs=300, seed=1, now=NOW, cost_model=RealServerCost(max_rows=100))
    with serve(sim) as url, pytest.raises(ServerError, match="HTTP 503.*Database temporarily"):
        fetch(url, page_size=200, concurrency=1,
              retry=RetryPolicy(max_attempts=2, base_seconds=0.01))
    assert sim.database.ceiling_refusals == 2


def test_server_errors_at_a_rate_are_retried_to_the_exact_answer():
    sim = Simulator(n_runs=1500, seed=5, now=NOW,
                    cost_model=RealServerCost(error_rate=0.15, time_scale=0.01))
    with serve(sim) as url:
        df, report = fetch(url, page_size=100, concurrency=1)
    pd.testing.assert_frame_equal(df, truth(sim))
    assert sim.database.hiccups > 0
    assert report.retry_reasons == {"500": sim.database.hiccups}


def test_setting_the_model_later_switches_it_on():
    sim = Simulator(n_runs=20, seed=1, now=NOW)
    sim.cost_model = RealServerCost(max_rows=5, time_scale=0)
    assert sim.handle("GET", RUNS, "page_size=10", KEY).status == 503
    sim.cost_model = None
    assert sim.handle("GET", RUNS, "page_size=10", KEY).status == 200
