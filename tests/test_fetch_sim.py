"""The fetcher against the simulated API over real HTTP on 127.0.0.1."""

from __future__ import annotations

import warnings
from datetime import UTC, datetime

import pandas as pd
import pytest

from runlytics import (
    AuthError,
    FetchReport,
    NotFoundError,
    RetryPolicy,
    ServerError,
    TransportError,
    UnknownValueWarning,
    runs_frame,
)
from runlytics.fetch import query_and_client
from runlytics.simulator import EXPIRED_KEY, UNKNOWN_ORG_KEY, Simulator, serve

NOW = datetime(2026, 11, 28, 12, tzinfo=UTC)
QUICK = RetryPolicy(max_attempts=5, base_seconds=0.01, cap_seconds=0.05)


def fetch(url: str, **kwargs) -> tuple[pd.DataFrame, FetchReport]:
    kwargs.setdefault("retry", QUICK)
    query, client = query_and_client(api_key=kwargs.pop("api_key", "sim-key"), base_url=url,
                                     progress=False, **kwargs)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UnknownValueWarning)
        fetched = client.fetch(query)
        return fetched.to_frame(), fetched.report


def truth_frame(sim: Simulator, **filters) -> pd.DataFrame:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UnknownValueWarning)
        df = runs_frame([sim.runs(**filters)])
    return df.sort_values(["created_at", "workflow_run_id"], ascending=False,
                          ignore_index=True)


@pytest.fixture(scope="module")
def sim_url():
    sim = Simulator(n_runs=3000, seed=11, now=NOW, hostile=True)
    with serve(sim) as url:
        yield sim, url


def test_fetch_equals_the_servers_runs_column_for_column(sim_url):
    sim, url = sim_url
    df, report = fetch(url, page_size=100)
    pd.testing.assert_frame_equal(df, truth_frame(sim))
    assert report.runs == 3000 and report.stopped_because == "empty page"
    assert not report.drift_detected and report.retries == 0


@pytest.mark.parametrize("filters", [
    {"status": ["failed", "timed_out"]},
    {"status": "completed", "search_key": "invoice"},
])
def test_filters_match_the_server(sim_url, filters):
    sim, url = sim_url
    df, _ = fetch(url, page_size=50, **filters)
    assert len(df) > 0
    pd.testing.assert_frame_equal(df, truth_frame(sim, **filters))


@pytest.mark.parametrize(("key", "error", "detail"), [
    ("wrong-key", AuthError, "Could not validate credentials"),
    (EXPIRED_KEY, AuthError, "Auth token is expired"),
    (UNKNOWN_ORG_KEY, NotFoundError, "Organization not found"),
])
def test_auth_errors_name_status_and_detail(sim_url, key, error, detail):
    _, url = sim_url
    with pytest.raises(error, match=detail) as info:
        fetch(url, api_key=key)
    assert str(info.value).startswith("HTTP 40")
    assert key not in str(info.value)


def assert_snapshot(df: pd.DataFrame, sim: Simulator, per_request: int,
                    report: FetchReport) -> None:
    """Every run is there once, except runs created by the final requests."""
    assert df["workflow_run_id"].is_unique
    newest_first = [r["workflow_run_id"] for r in sorted(
        sim.runs(), key=lambda r: (r["created_at"], r["workflow_run_id"]), reverse=True)]
    missing = set(newest_first) - set(df["workflow_run_id"])
    assert not set(df["workflow_run_id"]) - set(newest_first)
    ranks = sorted(newest_first.index(m) for m in missing)
    assert ranks == list(range(len(missing))), "a run older than the last head read is missing"
    assert len(missing) <= per_request * 10


@pytest.mark.parametrize(("per_request", "concurrency", "ties"), [
    (1, 1, 0), (1, 8, 0), (4, 8, 0), (2, 8, 25),
])
def test_runs_created_while_paging(per_request, concurrency, ties):
    sim = Simulator(n_runs=4000, seed=5, now=NOW, tie_groups=ties)
    sim.create_per_request = per_request
    with serve(sim) as url:
        df, report = fetch(url, page_size=100, concurrency=concurrency)
    assert report.drift_detected and report.runs_caught_up > 0
    assert_snapshot(df, sim, per_request, report)


def test_ties_in_created_at_lose_nothing():
    sim = Simulator(n_runs=4000, seed=9, now=NOW, tie_groups=40)
    with serve(sim) as url:
        df, report = fetch(url, page_size=50, concurrency=8)
    pd.testing.assert_frame_equal(df, truth_frame(sim))
    assert report.tie_groups_repaired > 0 and report.tie_groups_unverified == 0


def test_a_clamped_page_size_still_gets_everything():
    sim = Simulator(n_runs=1500, seed=2, now=NOW, tie_groups=10)
    sim.max_page_size = 37
    with serve(sim) as url:
        df, report = fetch(url, page_size=100)
    pd.testing.assert_frame_equal(df, truth_frame(sim))
    assert report.page_size_clamped_to == 37


@pytest.mark.parametrize("kind", ["429", "500", "503", "502", "504", "drop", "truncate",
                                  "truncate_short", "object", "slow"])
def test_transient_faults_are_retried_to_the_exact_answer(kind):
    sim = Simulator(n_runs=800, seed=4, now=NOW)
    sim.slow_seconds = 1.0
    with serve(sim) as url:
        sim.fail_next(kind, count=2, retry_after=0.05)
        df, report = fetch(url, page_size=100, concurrency=4, timeout=0.5)
    pd.testing.assert_frame_equal(df, truth_frame(sim))
    assert report.retries >= 2


@pytest.mark.parametrize(("kind", "error", "text"), [
    ("500", ServerError, "HTTP 500.*Unexpected error"),
    ("502", ServerError, "HTTP 502"),
    ("drop", TransportError, "gave up after 5 attempts"),
])
def test_lasting_faults_fail_clearly_after_bounded_retries(kind, error, text):
    sim = Simulator(n_runs=300, seed=4, now=NOW)
    with serve(sim) as url:
        sim.fail_next(kind, count=50, retry_after=0.01)
        with pytest.raises(error, match=text):
            fetch(url, page_size=100, concurrency=2)
        assert sim.request_count <= 2 * QUICK.max_attempts + 2
