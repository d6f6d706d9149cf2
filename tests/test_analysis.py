"""Tests for runlytics.analysis: hand-computed expected frames on small literal runs."""

from __future__ import annotations

import datetime as dt
import json
import math
import warnings
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pandas.testing import assert_frame_equal

from runlytics import analysis, schema
from runlytics.analysis import (
    failure_breakdown,
    failure_trends,
    latency_summary,
    require_columns,
    runs_in_flight,
    status_mix,
    stuck_runs,
    success_rate,
    summary,
    throughput,
    timings,
    trigger_mix,
    with_timings,
)
from runlytics.errors import SchemaError, UsageError
from runlytics.frame import UnknownValueWarning, empty_frame, runs_frame

STRING = pd.StringDtype("pyarrow")
NA = pd.NA
NOW = pd.Timestamp("2026-01-06T12:00:00", tz="UTC")


# -- building literal frames ------------------------------------------------------------

def run(run_id: str, **fields: Any) -> dict[str, Any]:
    """A run dict as the API sends it (required fields filled in)."""
    body: dict[str, Any] = {
        "workflow_run_id": run_id,
        "workflow_id": "w_1",
        "workflow_permanent_id": "wpid_a",
        "organization_id": "o_1",
        "status": "completed",
        "created_at": "2026-01-05T10:00:00",
        "modified_at": "2026-01-05T10:00:00",
    }
    body.update(fields)
    return body


def frame(*runs: dict[str, Any]) -> pd.DataFrame:
    """A runs frame with the schema's dtypes, built column by column from run dicts.

    Categoricals get the known categories followed by unknown values, sorted,
    and ``primary_failure_category`` is derived, as ``runs_frame`` does.
    """
    columns = {}
    for name, dtype in empty_frame().dtypes.items():
        values = [r.get(name) for r in runs]
        if name == "primary_failure_category":
            values = [r["failure_category"][0]["category"] if r.get("failure_category")
                      else None for r in runs]
        if isinstance(dtype, pd.CategoricalDtype):
            known = list(dtype.categories)
            extra = sorted({v for v in values if v is not None} - set(known))
            columns[name] = pd.Series(pd.Categorical(values, categories=known + extra))
        elif isinstance(dtype, pd.DatetimeTZDtype):
            columns[name] = pd.Series(pd.to_datetime(pd.Series(values, dtype=object),
                                                     utc=True, format="ISO8601")).astype(dtype)
        else:
            columns[name] = pd.Series(values, dtype=dtype)
    return pd.DataFrame(columns)


def failures(*categories: str) -> list[dict[str, Any]]:
    return [{"category": c, "confidence_float": 0.9, "reasoning": "Keywords matched"}
            for c in categories]


D5, D6 = "2026-01-05T", "2026-01-06T"
RUNS = [
    # r1: a plain completed run. pickup 10, queue 30, duration 300, turnaround 340.
    run("r1", workflow_permanent_id="wpid_a", workflow_title="Alpha", status="completed",
        trigger_type="api", created_at=D5 + "10:00:00", queued_at=D5 + "10:00:10",
        started_at=D5 + "10:00:40", finished_at=D5 + "10:05:40"),
    # r2: failed with two categories. pickup 5, queue 60, duration 600, turnaround 665.
    run("r2", workflow_permanent_id="wpid_a", workflow_title="Alpha v2", status="failed",
        trigger_type="scheduled", created_at=D5 + "10:30:00", queued_at=D5 + "10:30:05",
        started_at=D5 + "10:31:05", finished_at=D5 + "10:41:05",
        failure_category=failures("ANTI_BOT_DETECTION", "PROXY_ERROR")),
    # r3: unknown trigger and category; queued 2 s before created (skew: pickup clamped to 0).
    # queue 22, duration 120, turnaround 140.
    run("r3", workflow_permanent_id="wpid_b", workflow_title="Beta", status="failed",
        trigger_type="carrier_pigeon", created_at=D5 + "11:00:00", queued_at=D5 + "10:59:58",
        started_at=D5 + "11:00:20", finished_at=D5 + "11:02:20",
        failure_category=failures("QUANTUM_FLUX", "ANTI_BOT_DETECTION")),
    # r4: timed out by the sweeper (no finished_at), null trigger, no category,
    # started 60 s before queued: queue_seconds suspect. pickup 0.
    run("r4", workflow_permanent_id="wpid_b", workflow_title="Beta", status="timed_out",
        trigger_type=None, created_at=D5 + "11:10:00", queued_at=D5 + "11:10:00",
        started_at=D5 + "11:09:00"),
    # r5: still running. pickup 1, queue 30, duration and turnaround open.
    run("r5", workflow_permanent_id="wpid_a", workflow_title="Alpha v2", status="running",
        trigger_type="manual", created_at=D5 + "12:00:00", queued_at=D5 + "12:00:01",
        started_at=D5 + "12:00:31"),
    # r6: still queued. pickup 0, queue open.
    run("r6", workflow_permanent_id="wpid_b", workflow_title="Beta", status="queued",
        trigger_type="api", created_at=D5 + "12:30:00", queued_at=D5 + "12:30:00"),
    # r7: canceled while queued, with a category (not a failure). pickup 0, turnaround 30.
    run("r7", workflow_permanent_id="wpid_c", workflow_title="Gamma", status="canceled",
        trigger_type="webhook", created_at=D6 + "09:00:00", queued_at=D6 + "09:00:00",
        finished_at=D6 + "09:00:30", failure_category=failures("BROWSER_ERROR")),
    # r8: a status runlytics does not know, no timestamps but created_at, no title.
    run("r8", workflow_permanent_id="wpid_c", workflow_title=None, status="archived",
        trigger_type="api", created_at=D6 + "10:00:00"),
]


@pytest.fixture
def runs() -> pd.DataFrame:
    return frame(*RUNS)


def utc(text: str) -> pd.Timestamp:
    return pd.Timestamp(text, tz="UTC")


def buckets(values: list[str], tz: str = "UTC") -> pd.arrays.DatetimeArray:
    return pd.DatetimeIndex([pd.Timestamp(v, tz=tz) for v in values]).as_unit("us").array


def floats(*values: Any) -> pd.arrays.FloatingArray:
    return pd.array([NA if v is None else v for v in values], dtype="Float64")


def strings(*values: Any) -> Any:
    return pd.array(list(values), dtype=STRING)


def ints(*values: int) -> np.ndarray:
    return np.array(values, dtype=np.int64)


def keys(df: pd.DataFrame, column: str, *values: Any) -> pd.Series:
    """``values`` with the dtype of ``df[column]`` (keeps categories)."""
    return pd.Series(list(values), dtype=df[column].dtype)


def test_frame_helper_matches_runs_frame() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UnknownValueWarning)
        built = runs_frame([RUNS])
    assert_frame_equal(frame(*RUNS), built)


# -- require_columns -------------------------------------------------------------------

def test_require_columns_names_the_missing_ones(runs: pd.DataFrame) -> None:
    with pytest.raises(SchemaError, match="lacks column.*queued_at, started_at"):
        require_columns(runs.drop(columns=["queued_at", "started_at"]),
                        ["status", "queued_at", "started_at"], where="test")
    with pytest.raises(SchemaError, match="created_at must be datetime64"):
        require_columns(runs.assign(created_at=runs["created_at"].astype(str)), ["created_at"])
    with pytest.raises(TypeError, match="DataFrame"):
        require_columns(RUNS, ["status"])  # type: ignore[arg-type]
    require_columns(runs, ["status", "created_at"])


def test_helpers_check_their_input(runs: pd.DataFrame) -> None:
    with pytest.raises(SchemaError, match="latency_summary: the frame lacks column.*nope"):
        latency_summary(runs, by="nope", now=NOW)
    with pytest.raises(SchemaError, match="timings"):
        timings(runs.drop(columns=["finished_at"]))
    with pytest.raises(UsageError, match="freq"):
        success_rate(runs, freq="fortnight")
    with pytest.raises(UsageError, match="tz"):
        trigger_mix(runs, tz="Mars/Olympus_Mons")
    with pytest.raises(UsageError, match="metrics"):
        latency_summary(runs, metrics=["latency"], now=NOW)
    with pytest.raises(UsageError, match="now"):
        stuck_runs(runs, now="yesterday-ish")
    with pytest.raises(UsageError, match="period"):
        failure_trends(runs, period="-1D", now=NOW)
    with pytest.raises(UsageError, match="freq or points"):
        runs_in_flight(runs, freq="h", points=[NOW], now=NOW)
    with pytest.raises(UsageError, match="buckets"):
        throughput(runs, freq="us")


# -- timings ------------------------------------------------------------------------

def test_timings(runs: pd.DataFrame) -> None:
    no = [False] * 8
    expected = pd.DataFrame({
        "queue_seconds": floats(30, 60, 22, None, 30, None, None, None),
        "duration_seconds": floats(300, 600, 120, None, None, None, None, None),
        "turnaround_seconds": floats(340, 665, 140, None, None, None, 30, None),
        "pickup_seconds": floats(10, 5, 0, 0, 1, 0, 0, None),
        "queue_seconds_clamped": no,
        "queue_seconds_suspect": [False, False, False, True, False, False, False, False],
        "duration_seconds_clamped": no,
        "duration_seconds_suspect": no,
        "turnaround_seconds_clamped": no,
        "turnaround_seconds_suspect": no,
        "pickup_seconds_clamped": [False, False, True, False, False, False, False, False],
        "pickup_seconds_suspect": no,
    })
    assert_frame_equal(timings(runs), expected)


def test_timings_skew_tolerance_edges() -> None:
    df = frame(
        run("a", created_at="2026-01-05T10:00:00", queued_at="2026-01-05T10:00:00",
            started_at="2026-01-05T09:59:55"),  # -5 s: clamped at the default
        run("b", created_at="2026-01-05T10:00:00", queued_at="2026-01-05T10:00:00",
            started_at="2026-01-05T09:59:54.999999"),  # just beyond: suspect
        run("c", created_at="2026-01-05T10:00:00", queued_at="2026-01-05T10:00:00",
            started_at="2026-01-05T10:00:00.5"),
    )
    got = timings(df)[["queue_seconds", "queue_seconds_clamped", "queue_seconds_suspect"]]
    expected = pd.DataFrame({"queue_seconds": floats(0, None, 0.5),
                             "queue_seconds_clamped": [True, False, False],
                             "queue_seconds_suspect": [False, True, False]})
    assert_frame_equal(got, expected)
    strict = timings(df, skew_tolerance_seconds=0)
    assert strict["queue_seconds_suspect"].tolist() == [True, True, False]
    assert strict["queue_seconds"].isna().tolist() == [True, True, False]


def test_timings_keeps_the_index_and_with_timings_appends(runs: pd.DataFrame) -> None:
    shifted = runs.set_axis(range(100, 108))
    assert list(timings(shifted).index) == list(range(100, 108))
    out = with_timings(shifted)
    assert list(out.columns) == list(runs.columns) + list(analysis.TIMING_COLUMNS)
    assert_frame_equal(out[list(runs.columns)], shifted)
    assert_frame_equal(out[list(analysis.TIMING_COLUMNS)], timings(shifted))
    again = with_timings(out)  # replaces, never duplicates
    assert list(again.columns) == list(out.columns)


def test_helpers_never_mutate_their_input(runs: pd.DataFrame) -> None:
    before = runs.copy(deep=True)
    for call in _all_calls(NOW):
        call(runs)
    assert_frame_equal(runs, before)


# -- latency ------------------------------------------------------------------------

QUEUE_ALL = [8, 4, 1, 1, 35.5, 30, 51, 55.5, 59.1, 60, 84600]
DURATION_ALL = [8, 3, 1, 0, 340, 300, 540, 570, 594, 600, 86369]


def latency_frame(keys_: dict[str, Any], rows: list[list[Any]],
                  metrics: tuple[str, ...] = ("queue_seconds", "duration_seconds")
                  ) -> pd.DataFrame:
    """Expected latency_summary frame; rows hold LATENCY_STATS in order."""
    data: dict[str, Any] = dict(keys_)
    data["metric"] = pd.Categorical([metrics[i % len(metrics)] for i in range(len(rows))],
                                    categories=list(metrics))
    for j, name in enumerate(analysis.LATENCY_STATS):
        column = [row[j] for row in rows]
        data[name] = ints(*column) if j < 4 else floats(*column)
    return pd.DataFrame(data)


def test_latency_summary_overall(runs: pd.DataFrame) -> None:
    # queue values 22, 30, 30, 60 (r4 suspect, r6 still queued for 23.5 h);
    # p90 at position 0.9 * 3 = 2.7: 30 + 0.7 * (60 - 30) = 51.
    # duration values 120, 300, 600 (r5 running for 24 h - 31 s); p90: 300 + 0.8 * 300.
    expected = latency_frame({}, [QUEUE_ALL, DURATION_ALL])
    assert_frame_equal(latency_summary(runs, now=NOW), expected)
    assert_frame_equal(runs.pipe(latency_summary, now="2026-01-06T12:00:00"), expected)


def test_latency_summary_by_workflow(runs: pd.DataFrame) -> None:
    wf = "workflow_permanent_id"
    expected = latency_frame({wf: keys(runs, wf, *["wpid_a"] * 2, *["wpid_b"] * 2,
                                       *["wpid_c"] * 2)}, [
        [3, 3, 0, 0, 40, 30, 54, 57, 59.4, 60, None],
        [3, 2, 1, 0, 450, 450, 570, 585, 597, 600, 86369],
        [3, 1, 1, 1, 22, 22, 22, 22, 22, 22, 84600],
        [3, 1, 0, 0, 120, 120, 120, 120, 120, 120, None],
        [2, 0, 0, 0, None, None, None, None, None, None, None],
        [2, 0, 0, 0, None, None, None, None, None, None, None],
    ])
    assert_frame_equal(latency_summary(runs, by=wf, now=NOW), expected)


def test_latency_summary_by_day_and_metric_choice(runs: pd.DataFrame) -> None:
    expected = latency_frame({"bucket": buckets([D5 + "00:00"] * 2 + [D6 + "00:00"] * 2)}, [
        [6, 4, 1, 1, 35.5, 30, 51, 55.5, 59.1, 60, 84600],
        [6, 3, 1, 0, 340, 300, 540, 570, 594, 600, 86369],
        [2, 0, 0, 0, None, None, None, None, None, None, None],
        [2, 0, 0, 0, None, None, None, None, None, None, None],
    ])
    assert_frame_equal(latency_summary(runs, freq="D", now=NOW), expected)
    # pickup: 10, 5, 0 (clamped), 0, 1, 0, 0; r8 (unknown status) is not open.
    # turnaround: 340, 665, 140, 30; open r5 (from 12:00:00), r6 (from 12:30).
    expected = latency_frame({}, [
        [8, 7, 0, 0, 16 / 7, 0, 7, 8.5, 9.7, 10, None],
        [8, 4, 2, 0, 293.75, 240, 567.5, 616.25, 655.25, 665, 86400],
    ], metrics=("pickup_seconds", "turnaround_seconds"))
    got = latency_summary(runs, now=NOW, metrics=["pickup_seconds", "turnaround_seconds"])
    assert_frame_equal(got, expected)


def test_latency_percentiles_match_numpy() -> None:
    rng = np.random.default_rng(7)
    values = rng.exponential(100, 997)
    codes = rng.integers(0, 5, 997)
    stats = analysis._grouped_stats(codes, values, 6)
    for g in range(5):
        sample = values[codes == g]
        got = [stats[f"p{q}"][g] for q in (50, 90, 95, 99)]
        assert got == list(np.percentile(sample, [50, 90, 95, 99]))
        assert stats["max"][g] == sample.max()
        assert stats["mean"][g] == pytest.approx(sample.mean(), rel=1e-12)
    assert stats["n"][5] == 0 and np.isnan(stats["p50"][5])


# -- failures -----------------------------------------------------------------------

def failure_frame(keys_: dict[str, Any], rows: list[tuple[Any, ...]]) -> pd.DataFrame:
    data = dict(keys_)
    data["category"] = strings(*(r[0] for r in rows))
    data["count"] = ints(*(r[1] for r in rows))
    data["failures"] = ints(*(r[2] for r in rows))
    data["runs"] = ints(*(r[3] for r in rows))
    data["share_of_failures"] = floats(*(r[4] for r in rows))
    data["share_of_runs"] = floats(*(r[5] for r in rows))
    return pd.DataFrame(data)


def test_failure_breakdown_primary(runs: pd.DataFrame) -> None:
    # Failed: r2 (ANTI_BOT_DETECTION), r3 (QUANTUM_FLUX), r4 (none); r7 is canceled.
    expected = failure_frame({}, [
        ("ANTI_BOT_DETECTION", 1, 3, 8, 1 / 3, 1 / 8),
        ("QUANTUM_FLUX", 1, 3, 8, 1 / 3, 1 / 8),
        ("uncategorized", 1, 3, 8, 1 / 3, 1 / 8),
    ])
    assert_frame_equal(failure_breakdown(runs), expected)


def test_failure_breakdown_all_categories(runs: pd.DataFrame) -> None:
    expected = failure_frame({}, [
        ("ANTI_BOT_DETECTION", 2, 3, 8, 2 / 3, 2 / 8),
        ("PROXY_ERROR", 1, 3, 8, 1 / 3, 1 / 8),
        ("QUANTUM_FLUX", 1, 3, 8, 1 / 3, 1 / 8),
        ("uncategorized", 1, 3, 8, 1 / 3, 1 / 8),
    ])
    assert_frame_equal(failure_breakdown(runs, all_categories=True), expected)


def test_failure_breakdown_by_workflow(runs: pd.DataFrame) -> None:
    wf = "workflow_permanent_id"
    expected = failure_frame({wf: keys(runs, wf, "wpid_a", "wpid_b", "wpid_b")}, [
        ("ANTI_BOT_DETECTION", 1, 1, 3, 1.0, 1 / 3),
        ("QUANTUM_FLUX", 1, 2, 3, 0.5, 1 / 3),
        ("uncategorized", 1, 2, 3, 0.5, 1 / 3),
    ])
    assert_frame_equal(failure_breakdown(runs, by=wf), expected)


def test_failure_breakdown_over_time(runs: pd.DataFrame) -> None:
    expected = failure_frame({"bucket": buckets([D5 + "00:00"] * 3 + [D6 + "00:00"] * 3)}, [
        ("ANTI_BOT_DETECTION", 1, 3, 6, 1 / 3, 1 / 6),
        ("QUANTUM_FLUX", 1, 3, 6, 1 / 3, 1 / 6),
        ("uncategorized", 1, 3, 6, 1 / 3, 1 / 6),
        ("ANTI_BOT_DETECTION", 0, 0, 2, None, 0.0),
        ("QUANTUM_FLUX", 0, 0, 2, None, 0.0),
        ("uncategorized", 0, 0, 2, None, 0.0),
    ])
    assert_frame_equal(failure_breakdown(runs, freq="D"), expected)


def test_failure_trends() -> None:
    def failed(i: str, day: str, category: str) -> dict[str, Any]:
        return run(i, status="failed", created_at=f"2026-01-0{day}T12:00:00",
                   failure_category=failures(category))

    def ok(i: str, day: str) -> dict[str, Any]:
        return run(i, created_at=f"2026-01-0{day}T12:00:00")

    df = frame(
        failed("old", "7", "PROXY_ERROR"),  # before both periods
        # previous period, Jan 8: 8 runs, 5 failed
        failed("p1", "8", "PROXY_ERROR"), failed("p2", "8", "LLM_ERROR"), ok("p3", "8"),
        ok("p4", "8"), failed("p5", "8", "AUTH_FAILURE"), ok("p6", "8"),
        failed("p7", "8", "ELEMENT_NOT_FOUND"), failed("p8", "8", "ELEMENT_NOT_FOUND"),
        # latest period, Jan 9: 7 runs, 5 failed
        failed("l1", "9", "PROXY_ERROR"), failed("l2", "9", "PROXY_ERROR"),
        failed("l3", "9", "LLM_ERROR"), ok("l4", "9"), failed("l5", "9", "BUDGET_EXHAUSTED"),
        ok("l6", "9"), failed("l7", "9", "ELEMENT_NOT_FOUND"),
        run("later", status="failed", created_at="2026-01-10T12:00:00"),  # at now: excluded
    )
    got = failure_trends(df, period="1D", now="2026-01-10T12:00:00")
    expected = pd.DataFrame({
        "category": strings("BUDGET_EXHAUSTED", "PROXY_ERROR", "LLM_ERROR",
                            "ELEMENT_NOT_FOUND", "AUTH_FAILURE"),
        "trend": strings("new", "growing", "stable", "shrinking", "gone"),
        "count_latest": ints(1, 2, 1, 1, 0),
        "count_previous": ints(0, 1, 1, 2, 1),
        "failures_latest": ints(5, 5, 5, 5, 5),
        "failures_previous": ints(5, 5, 5, 5, 5),
        "runs_latest": ints(7, 7, 7, 7, 7),
        "runs_previous": ints(8, 8, 8, 8, 8),
        "share_latest": floats(1 / 7, 2 / 7, 1 / 7, 1 / 7, 0.0),
        "share_previous": floats(0.0, 1 / 8, 1 / 8, 2 / 8, 1 / 8),
        "change": floats(1 / 7, 2 / 7 - 1 / 8, 1 / 7 - 1 / 8, 1 / 7 - 2 / 8, -1 / 8),
    })
    assert_frame_equal(got, expected)
    # LLM_ERROR grew by 14 %: growing only with a lower threshold.
    low = failure_trends(df, period="1D", now="2026-01-10T12:00:00", min_growth=0.1)
    assert low.set_index("category").loc["LLM_ERROR", "trend"] == "growing"


def test_failure_trends_all_categories(runs: pd.DataFrame) -> None:
    # latest [11:00, 12:00): r3 (QUANTUM_FLUX, ANTI_BOT_DETECTION), r4 (none);
    # previous [10:00, 11:00): r1, r2 (ANTI_BOT_DETECTION, PROXY_ERROR).
    got = failure_trends(runs, period="1h", now=D5 + "12:00:00", all_categories=True)
    expected = pd.DataFrame({
        "category": strings("QUANTUM_FLUX", "uncategorized", "ANTI_BOT_DETECTION",
                            "PROXY_ERROR"),
        "trend": strings("new", "new", "stable", "gone"),
        "count_latest": ints(1, 1, 1, 0),
        "count_previous": ints(0, 0, 1, 1),
        "failures_latest": ints(2, 2, 2, 2),
        "failures_previous": ints(1, 1, 1, 1),
        "runs_latest": ints(2, 2, 2, 2),
        "runs_previous": ints(2, 2, 2, 2),
        "share_latest": floats(0.5, 0.5, 0.5, 0.0),
        "share_previous": floats(0.0, 0.0, 0.5, 0.5),
        "change": floats(0.5, 0.5, 0.0, -0.5),
    })
    assert_frame_equal(got, expected)


# -- mixes, success rate, throughput -------------------------------------------------------

def test_trigger_mix_by_day(runs: pd.DataFrame) -> None:
    labels = ["manual", "api", "scheduled", "webhook", "carrier_pigeon", "unknown"]
    expected = pd.DataFrame({
        "bucket": buckets([D5 + "00:00"] * 6 + [D6 + "00:00"] * 6),
        "trigger_type": strings(*labels, *labels),
        "count": ints(1, 2, 1, 0, 1, 1, 0, 1, 0, 1, 0, 0),
        "runs": ints(*[6] * 6, *[2] * 6),
        "share": floats(1 / 6, 2 / 6, 1 / 6, 0, 1 / 6, 1 / 6, 0, 0.5, 0, 0.5, 0, 0),
    })
    assert_frame_equal(trigger_mix(runs), expected)


def test_status_mix_overall(runs: pd.DataFrame) -> None:
    expected = pd.DataFrame({
        "status": strings("queued", "running", "completed", "failed", "canceled",
                          "timed_out", "archived"),
        "count": ints(1, 1, 1, 2, 1, 1, 1),
        "runs": ints(*[8] * 7),
        "share": floats(1 / 8, 1 / 8, 1 / 8, 2 / 8, 1 / 8, 1 / 8, 1 / 8),
    })
    assert_frame_equal(status_mix(runs, freq=None), expected)


def test_mix_with_empty_bucket_in_range() -> None:
    df = frame(run("a", trigger_type="api", created_at="2026-01-01T08:00:00"),
               run("b", trigger_type=None, created_at="2026-01-03T08:00:00"))
    expected = pd.DataFrame({
        "bucket": buckets(["2026-01-01"] * 2 + ["2026-01-02"] * 2 + ["2026-01-03"] * 2),
        "trigger_type": strings(*["api", "unknown"] * 3),
        "count": ints(1, 0, 0, 0, 0, 1),
        "runs": ints(1, 1, 0, 0, 1, 1),
        "share": floats(1.0, 0.0, None, None, 0.0, 1.0),
    })
    assert_frame_equal(trigger_mix(df), expected)


def success_frame(keys_: dict[str, Any], rows: list[tuple[Any, ...]]) -> pd.DataFrame:
    data = dict(keys_)
    data["runs"] = ints(*(r[0] for r in rows))
    data["n_completed"] = ints(*(r[1] for r in rows))
    data["n_finished"] = ints(*(r[2] for r in rows))
    data["success_rate"] = floats(*(r[3] for r in rows))
    return pd.DataFrame(data)


def test_success_rate_overall(runs: pd.DataFrame) -> None:
    # finished: r1 (completed), r2, r3, r4; r7 canceled; r5, r6 open; r8 unknown.
    assert_frame_equal(success_rate(runs), success_frame({}, [(8, 1, 4, 0.25)]))
    assert_frame_equal(success_rate(runs, include_canceled=True),
                       success_frame({}, [(8, 1, 5, 0.2)]))


def test_success_rate_by_workflow(runs: pd.DataFrame) -> None:
    wf = "workflow_permanent_id"
    expected = success_frame({wf: keys(runs, wf, "wpid_a", "wpid_b", "wpid_c")},
                             [(3, 1, 2, 0.5), (3, 0, 2, 0.0), (2, 0, 0, None)])
    assert_frame_equal(success_rate(runs, by=wf), expected)


def test_success_rate_by_trigger_type_keeps_null_group(runs: pd.DataFrame) -> None:
    tt = "trigger_type"
    expected = success_frame(
        {tt: keys(runs, tt, "manual", "api", "scheduled", "webhook", "carrier_pigeon", None)},
        [(1, 0, 0, None), (3, 1, 1, 1.0), (1, 0, 1, 0.0), (1, 0, 0, None), (1, 0, 1, 0.0),
         (1, 0, 1, 0.0)])
    assert_frame_equal(success_rate(runs, by=tt), expected)


def test_success_rate_daily_in_a_time_zone(runs: pd.DataFrame) -> None:
    # Pago Pago is UTC-11: r1, r2 fall on Jan 4 local time, the rest on Jan 5.
    tz = "Pacific/Pago_Pago"
    expected = success_frame({"bucket": buckets(["2026-01-04", "2026-01-05"], tz=tz)},
                             [(2, 1, 2, 0.5), (6, 0, 2, 0.0)])
    assert_frame_equal(success_rate(runs, freq="D", tz=tz), expected)


def test_success_rate_by_workflow_and_status_columns(runs: pd.DataFrame) -> None:
    got = success_rate(runs, by=["workflow_permanent_id", "status"])
    assert got[["workflow_permanent_id", "status"]].astype(str).values.tolist() == [
        ["wpid_a", "running"], ["wpid_a", "completed"], ["wpid_a", "failed"],
        ["wpid_b", "queued"], ["wpid_b", "failed"], ["wpid_b", "timed_out"],
        ["wpid_c", "canceled"], ["wpid_c", "archived"]]
    assert got["runs"].tolist() == [1, 1, 1, 1, 1, 1, 1, 1]
    assert got["status"].dtype == runs["status"].dtype


def test_success_rate_by_workflow_and_day_has_every_cell(runs: pd.DataFrame) -> None:
    wf = "workflow_permanent_id"
    expected = success_frame(
        {wf: keys(runs, wf, "wpid_a", "wpid_a", "wpid_b", "wpid_b", "wpid_c", "wpid_c"),
         "bucket": buckets([D5 + "00:00", D6 + "00:00"] * 3)},
        [(3, 1, 2, 0.5), (0, 0, 0, None), (3, 0, 2, 0.0), (0, 0, 0, None),
         (0, 0, 0, None), (2, 0, 0, None)])
    assert_frame_equal(success_rate(runs, by=wf, freq="D"), expected)


def test_failure_breakdown_by_workflow_and_day(runs: pd.DataFrame) -> None:
    # Each workflow's own categories in every bucket; wpid_c has no failed run.
    wf = "workflow_permanent_id"
    expected = failure_frame(
        {wf: keys(runs, wf, "wpid_a", "wpid_a", "wpid_b", "wpid_b", "wpid_b", "wpid_b"),
         "bucket": buckets([D5 + "00:00", D6 + "00:00", D5 + "00:00", D5 + "00:00",
                            D6 + "00:00", D6 + "00:00"])},
        [("ANTI_BOT_DETECTION", 1, 1, 3, 1.0, 1 / 3),
         ("ANTI_BOT_DETECTION", 0, 0, 0, None, None),
         ("QUANTUM_FLUX", 1, 2, 3, 0.5, 1 / 3),
         ("uncategorized", 1, 2, 3, 0.5, 1 / 3),
         ("QUANTUM_FLUX", 0, 0, 0, None, None),
         ("uncategorized", 0, 0, 0, None, None)])
    assert_frame_equal(failure_breakdown(runs, by=wf, freq="D"), expected)


def test_throughput(runs: pd.DataFrame) -> None:
    expected = pd.DataFrame({
        "bucket": buckets([D5 + "00:00", D6 + "00:00"]),
        "created": ints(6, 2),
        "started": ints(5, 0),
        "finished": ints(3, 1),
    })
    assert_frame_equal(throughput(runs, freq="D"), expected)


def test_throughput_buckets_span_every_timestamp() -> None:
    df = frame(run("a", created_at="2026-01-05T23:00:00", queued_at="2026-01-05T23:00:00",
                   started_at="2026-01-06T01:00:00", finished_at="2026-01-07T02:00:00"))
    expected = pd.DataFrame({
        "bucket": buckets(["2026-01-05", "2026-01-06", "2026-01-07"]),
        "created": ints(1, 0, 0), "started": ints(0, 1, 0), "finished": ints(0, 0, 1),
    })
    assert_frame_equal(throughput(df, freq="D"), expected)


def test_weekly_and_monthly_buckets_are_labelled_by_their_start() -> None:
    # 2026-01-04 is a Sunday, 2026-01-05 a Monday.
    df = frame(run("a", created_at="2026-01-04T12:00:00"),
               run("b", created_at="2026-01-05T12:00:00"),
               run("c", created_at="2026-02-01T00:00:00"))
    weekly = success_rate(df, freq="W")
    assert list(weekly["bucket"]) == [utc("2025-12-29")] + [
        utc("2026-01-05") + pd.Timedelta(weeks=i) for i in range(4)]
    assert weekly["runs"].tolist() == [1, 1, 0, 0, 1]
    for alias in ("ME", "MS"):
        monthly = success_rate(df, freq=alias)
        assert list(monthly["bucket"]) == [utc("2026-01-01"), utc("2026-02-01")]
        assert monthly["runs"].tolist() == [2, 1]


def test_quarterly_and_yearly_buckets_are_labelled_by_their_start() -> None:
    df = frame(run("a", created_at="2025-12-31T23:00:00"),
               run("b", created_at="2026-05-01T00:00:00"))
    for alias in ("QE", "QS"):
        got = success_rate(df, freq=alias)
        assert list(got["bucket"]) == [utc("2025-10-01"), utc("2026-01-01"), utc("2026-04-01")]
        assert got["runs"].tolist() == [1, 0, 1]
    for alias in ("YE", "YS"):
        assert list(success_rate(df, freq=alias)["bucket"]) == [utc("2025-01-01"),
                                                               utc("2026-01-01")]


def test_daily_buckets_when_local_midnight_is_skipped_or_repeated() -> None:
    # Havana moves clocks at midnight: 2026-03-08 00:00 does not exist (the day
    # starts at 01:00), and on 2026-11-01 00:00-01:00 happens twice.
    tz = "America/Havana"
    df = frame(run("a", created_at="2026-03-08T05:30:00"),  # 01:30 CDT, Mar 8
               run("b", created_at="2026-11-01T04:30:00"),  # 00:30 CDT, Nov 1
               run("c", created_at="2026-11-01T05:30:00"))  # 00:30 CST, Nov 1 again
    got = throughput(df, freq="D", tz=tz).query("created > 0")
    assert list(got["bucket"]) == [pd.Timestamp("2026-03-08T01:00:00-04:00").tz_convert(tz),
                                   pd.Timestamp("2026-11-01T00:00:00-04:00").tz_convert(tz)]
    assert got["created"].tolist() == [1, 2]


def test_daily_buckets_follow_local_midnight_across_dst() -> None:
    tz = "Europe/Paris"  # clocks go forward on 2026-03-29
    df = frame(run("a", created_at="2026-03-28T22:30:00"),  # 23:30 local, Mar 28
               run("b", created_at="2026-03-29T22:30:00"))  # 00:30 local, Mar 30
    got = throughput(df, freq="D", tz=tz)
    assert list(got["bucket"]) == [pd.Timestamp(d, tz=tz) for d in
                                   ("2026-03-28", "2026-03-29", "2026-03-30")]
    assert got["created"].tolist() == [1, 0, 1]


# -- runs in flight and stuck runs ---------------------------------------------------------------

def test_runs_in_flight_every_change(runs: pd.DataFrame) -> None:
    steps = [  # time, queued, running
        (D5 + "10:00:10", 1, 0), (D5 + "10:00:40", 0, 1), (D5 + "10:05:40", 0, 0),
        (D5 + "10:30:05", 1, 0), (D5 + "10:31:05", 0, 1), (D5 + "10:41:05", 0, 0),
        (D5 + "10:59:58", 1, 0), (D5 + "11:00:20", 0, 1), (D5 + "11:02:20", 0, 0),
        # r4: timed out without finished_at and started before queued: never counted.
        (D5 + "12:00:01", 1, 0), (D5 + "12:00:31", 0, 1), (D5 + "12:30:00", 1, 1),
        (D6 + "09:00:00", 2, 1), (D6 + "09:00:30", 1, 1), (D6 + "12:00:00", 1, 1),
    ]
    expected = pd.DataFrame({
        "time": buckets([s[0] for s in steps]),
        "queued": ints(*(s[1] for s in steps)),
        "running": ints(*(s[2] for s in steps)),
        "queued_max": ints(*(s[1] for s in steps)),
        "running_max": ints(*(s[2] for s in steps)),
    })
    assert_frame_equal(runs_in_flight(runs, now=NOW), expected)


def test_runs_in_flight_sampled(runs: pd.DataFrame) -> None:
    expected = pd.DataFrame({
        "time": buckets([D5 + "00:00", D5 + "12:00", D6 + "00:00", D6 + "12:00"]),
        "queued": ints(0, 0, 1, 1),
        "running": ints(0, 0, 1, 1),
        "queued_max": ints(1, 1, 2, 1),
        "running_max": ints(1, 1, 1, 1),
    })
    assert_frame_equal(runs_in_flight(runs, freq="12h", now=NOW), expected)
    points = [D5 + "10:31:00", utc(D5 + "10:00:30"), D6 + "10:00"]
    expected = pd.DataFrame({
        "time": buckets([D5 + "10:00:30", D5 + "10:31:00", D6 + "10:00"]),
        "queued": ints(1, 1, 1),
        "running": ints(0, 0, 1),
        "queued_max": ints(1, 2, 1),
        "running_max": ints(1, 1, 1),
    })
    assert_frame_equal(runs_in_flight(runs, points=points, now=NOW), expected)


def test_stuck_runs(runs: pd.DataFrame) -> None:
    got = stuck_runs(runs, now=NOW)
    expected = runs.loc[[5, 4], ["workflow_run_id", "workflow_permanent_id", "workflow_title",
                                 "status", "created_at"]]
    expected["stage"] = strings("queued", "running")
    expected["since"] = buckets([D5 + "12:30:00", D5 + "12:00:31"])
    expected["age_seconds"] = floats(84600, 86369)
    assert_frame_equal(got, expected)
    assert stuck_runs(runs, now=NOW, queued_threshold=90_000)["workflow_run_id"].tolist() == [
        "r5"]
    # r5 has run for 86,369 s, r6 waited 84,600 s.
    assert stuck_runs(runs, now=NOW, running_threshold="1D")["workflow_run_id"].tolist() == [
        "r6"]
    assert stuck_runs(runs, now=NOW, running_threshold="86368s")["workflow_run_id"].tolist() == [
        "r6", "r5"]
    assert stuck_runs(runs, now=NOW, queued_threshold="84600s", running_threshold="1D").empty


def test_concurrency_is_a_deprecated_alias_of_runs_in_flight(runs: pd.DataFrame) -> None:
    with pytest.warns(DeprecationWarning, match="analysis.concurrency is deprecated; "
                                                "use runs_in_flight"):
        old = analysis.concurrency
    assert old is runs_in_flight
    assert "concurrency" not in analysis.__all__
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        analysis.nope  # noqa: B018


@pytest.mark.parametrize("threshold", [
    pd.Timedelta(hours=23, minutes=30), dt.timedelta(hours=23, minutes=30), "23.5h", "1410m",
    84_600.0, 84_600])
def test_durations_take_a_timedelta_a_span_or_seconds(runs: pd.DataFrame,
                                                      threshold: Any) -> None:
    # r6 has waited 84,600 s = 23.5 h: not more than the threshold, so not stuck.
    got = stuck_runs(runs, now=NOW, queued_threshold=threshold)
    assert got["workflow_run_id"].tolist() == ["r5"]
    one_second_less = stuck_runs(runs, now=NOW, queued_threshold="84599s")
    assert one_second_less["workflow_run_id"].tolist() == ["r6", "r5"]


@pytest.mark.parametrize(("call", "message"), [
    (lambda d: stuck_runs(d, now=NOW, queued_threshold="soon"),
     "queued_threshold: 'soon' is not a span"),
    (lambda d: stuck_runs(d, now=NOW, running_threshold=-1),
     "running_threshold: -1 is negative"),
    (lambda d: stuck_runs(d, now=NOW, running_threshold=-pd.Timedelta("1h")),
     "running_threshold: .* is negative"),
    (lambda d: failure_trends(d, period=True, now=NOW), "period: expected a timedelta"),
    (lambda d: failure_trends(d, period=float("inf"), now=NOW), "period must be a finite"),
    (lambda d: timings(d, skew_tolerance_seconds="-5s"), "skew_tolerance_seconds: '-5s'"),
])
def test_bad_durations_say_what_is_expected(runs: pd.DataFrame, call: Any,
                                            message: str) -> None:
    with pytest.raises(UsageError, match=message):
        call(runs)


def test_skew_tolerance_as_a_span() -> None:
    df = frame(run("a", created_at="2026-01-05T10:00:00", queued_at="2026-01-05T10:00:00",
                   started_at="2026-01-05T09:59:52"))  # -8 s
    assert timings(df)["queue_seconds_suspect"].tolist() == [True]
    for tolerance in ("10s", dt.timedelta(seconds=10), 10):
        got = timings(df, skew_tolerance_seconds=tolerance)
        assert got["queue_seconds"].tolist() == [0.0]
        assert got["queue_seconds_clamped"].tolist() == [True]


def test_stuck_runs_waits_for_a_pending_retry() -> None:
    df = frame(
        run("retry", status="queued", created_at="2026-01-06T08:00:00",
            queued_at="2026-01-06T08:00:00", retry_pending=True,
            next_attempt_at="2026-01-06T11:50:00"),
        run("new", status="created", created_at="2026-01-06T10:00:00"),
    )
    got = stuck_runs(df, now=NOW)
    assert got["workflow_run_id"].tolist() == ["new"]
    assert got["since"].tolist() == [utc("2026-01-06T10:00:00")]
    assert stuck_runs(df, now="2026-01-06T12:30:00")["workflow_run_id"].tolist() == [
        "new", "retry"]


# -- summary ----------------------------------------------------------------------------------

def _rounded(value: Any) -> Any:
    if isinstance(value, float):
        return round(value, 9)
    if isinstance(value, dict):
        return {k: _rounded(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_rounded(v) for v in value]
    return value


def test_summary(runs: pd.DataFrame) -> None:
    got = summary(runs, now=NOW)
    assert json.loads(json.dumps(got, allow_nan=False)) == got
    expected = {
        "now": "2026-01-06T12:00:00+00:00",
        "runs": 8,
        "period": {"start": "2026-01-05T10:00:00+00:00", "end": "2026-01-06T10:00:00+00:00"},
        "status": {"created": 0, "queued": 1, "running": 1, "paused": 0, "completed": 1,
                   "failed": 2, "terminated": 0, "canceled": 1, "timed_out": 1,
                   "archived": 1},
        "trigger_types": {"manual": 1, "api": 3, "scheduled": 1, "webhook": 1, "mcp": 0,
                          "job_recipe_extract": 0, "job_recipe_apply": 0,
                          "carrier_pigeon": 1, "unknown": 1},
        "failed_runs": 3,
        "failure_categories": {"ANTI_BOT_DETECTION": 1, "QUANTUM_FLUX": 1, "uncategorized": 1},
        "queue_seconds": {"n": 4, "mean": 35.5, "p50": 30.0, "p90": 51.0, "p95": 55.5,
                          "p99": 59.1, "max": 60.0, "unfinished": 1,
                          "oldest_unfinished_age_seconds": 84600.0, "suspect": 1},
        "duration_seconds": {"n": 3, "mean": 340.0, "p50": 300.0, "p90": 540.0, "p95": 570.0,
                             "p99": 594.0, "max": 600.0, "unfinished": 1,
                             "oldest_unfinished_age_seconds": 86369.0, "suspect": 0},
        "success_rate": 0.25,
        "success_rate_n": 4,
        "stuck_runs": 2,
        "workflows": [
            {"workflow_permanent_id": "wpid_a", "workflow_title": "Alpha v2", "runs": 3,
             "success_rate": 0.5, "success_rate_n": 2,
             "queue_seconds_n": 3, "queue_seconds_p50": 30.0, "queue_seconds_p90": 54.0,
             "duration_seconds_n": 2, "duration_seconds_p50": 450.0,
             "duration_seconds_p90": 570.0},
            {"workflow_permanent_id": "wpid_b", "workflow_title": "Beta", "runs": 3,
             "success_rate": 0.0, "success_rate_n": 2,
             "queue_seconds_n": 1, "queue_seconds_p50": 22.0, "queue_seconds_p90": 22.0,
             "duration_seconds_n": 1, "duration_seconds_p50": 120.0,
             "duration_seconds_p90": 120.0},
            {"workflow_permanent_id": "wpid_c", "workflow_title": "Gamma", "runs": 2,
             "success_rate": None, "success_rate_n": 0,
             "queue_seconds_n": 0, "queue_seconds_p50": None, "queue_seconds_p90": None,
             "duration_seconds_n": 0, "duration_seconds_p50": None,
             "duration_seconds_p90": None},
        ],
    }
    assert _rounded(got) == expected


def test_summary_of_the_recorded_page(page_bytes: bytes) -> None:
    # Two runs still "created" (never queued), three failed ones.
    got = summary(runs_frame([page_bytes]), now="2026-11-28T22:00:00")
    assert got["runs"] == 5
    assert got["period"] == {"start": "2026-11-28T15:20:12.414959+00:00",
                             "end": "2026-11-28T21:04:00.407844+00:00"}
    assert {k: v for k, v in got["status"].items() if v} == {"created": 2, "failed": 3}
    assert got["failure_categories"] == {"NAVIGATION_FAILURE": 2, "UNKNOWN": 1}
    # queue: 37.902012, 56.297214, 67.165285; the created runs wait since created_at.
    assert _rounded(got["queue_seconds"]) == {
        "n": 3, "mean": round((37.902012 + 56.297214 + 67.165285) / 3, 9),
        "p50": 56.297214, "p90": round(56.297214 + 0.8 * (67.165285 - 56.297214), 9),
        "p95": round(56.297214 + 0.9 * (67.165285 - 56.297214), 9),
        "p99": round(56.297214 + 0.98 * (67.165285 - 56.297214), 9), "max": 67.165285,
        "unfinished": 2, "oldest_unfinished_age_seconds": 13746.678267, "suspect": 0}
    assert got["duration_seconds"]["p50"] == pytest.approx(657.264495)
    assert got["success_rate"] == 0.0 and got["success_rate_n"] == 3
    assert got["stuck_runs"] == 2


def test_summary_of_no_runs() -> None:
    got = summary(empty_frame(), now=NOW)
    empty_stats = {"n": 0, "mean": None, "p50": None, "p90": None, "p95": None, "p99": None,
                   "max": None, "unfinished": 0, "oldest_unfinished_age_seconds": None,
                   "suspect": 0}
    assert got == {
        "now": "2026-01-06T12:00:00+00:00",
        "runs": 0,
        "period": {"start": None, "end": None},
        "status": dict.fromkeys(schema.STATUSES, 0),
        "trigger_types": dict.fromkeys(schema.TRIGGER_TYPES, 0),
        "failed_runs": 0,
        "failure_categories": {},
        "queue_seconds": empty_stats,
        "duration_seconds": empty_stats,
        "success_rate": None,
        "success_rate_n": 0,
        "stuck_runs": 0,
        "workflows": [],
    }


# -- empty input -------------------------------------------------------------------------------

F64, I64, BOOL = "Float64", "int64", "bool"
UTC_BUCKET = pd.DatetimeTZDtype("us", "UTC")
WF_DTYPE = STRING
METRIC = pd.CategoricalDtype(["queue_seconds", "duration_seconds"])
LATENCY = {"metric": METRIC, **{s: (I64 if i < 4 else F64)
                                for i, s in enumerate(analysis.LATENCY_STATS)}}
FAILURE = {"category": STRING, "count": I64, "failures": I64, "runs": I64,
           "share_of_failures": F64, "share_of_runs": F64}
SUCCESS = {"runs": I64, "n_completed": I64, "n_finished": I64, "success_rate": F64}

EMPTY_CASES = [
    ("timings", lambda d: timings(d),
     {**{m: F64 for m in analysis.METRICS},
      **{c: BOOL for c in analysis.TIMING_COLUMNS[4:]}}),
    ("latency_summary", lambda d: latency_summary(d, now=NOW), LATENCY),
    ("latency_summary by", lambda d: latency_summary(d, by="workflow_permanent_id", now=NOW),
     {"workflow_permanent_id": WF_DTYPE, **LATENCY}),
    ("latency_summary freq", lambda d: latency_summary(d, freq="D", now=NOW),
     {"bucket": UTC_BUCKET, **LATENCY}),
    ("failure_breakdown", lambda d: failure_breakdown(d, freq="h", all_categories=True),
     {"bucket": UTC_BUCKET, **FAILURE}),
    ("failure_trends", lambda d: failure_trends(d, now=NOW),
     {"category": STRING, "trend": STRING, "count_latest": I64, "count_previous": I64,
      "failures_latest": I64, "failures_previous": I64, "runs_latest": I64,
      "runs_previous": I64, "share_latest": F64, "share_previous": F64, "change": F64}),
    ("trigger_mix", lambda d: trigger_mix(d, tz="Europe/Paris"),
     {"bucket": pd.DatetimeTZDtype("us", "Europe/Paris"), "trigger_type": STRING,
      "count": I64, "runs": I64, "share": F64}),
    ("status_mix", lambda d: status_mix(d, freq=None),
     {"status": STRING, "count": I64, "runs": I64, "share": F64}),
    ("success_rate", lambda d: success_rate(d, by="trigger_type"),
     {"trigger_type": empty_frame()["trigger_type"].dtype, **SUCCESS}),
    ("throughput", lambda d: throughput(d, freq="h"),
     {"bucket": UTC_BUCKET, "created": I64, "started": I64, "finished": I64}),
    ("runs_in_flight", lambda d: runs_in_flight(d, now=NOW),
     {"time": UTC_BUCKET, "queued": I64, "running": I64, "queued_max": I64,
      "running_max": I64}),
    ("stuck_runs", lambda d: stuck_runs(d, now=NOW),
     {"workflow_run_id": STRING, "workflow_permanent_id": STRING, "workflow_title": STRING,
      "status": empty_frame()["status"].dtype, "created_at": UTC_BUCKET, "stage": STRING,
      "since": UTC_BUCKET, "age_seconds": F64}),
]


@pytest.mark.parametrize(("name", "call", "columns"), EMPTY_CASES,
                         ids=[c[0] for c in EMPTY_CASES])
def test_empty_input_gives_empty_frames_with_the_documented_columns(
        name: str, call: Any, columns: dict[str, Any]) -> None:
    got = call(empty_frame())
    assert len(got) == 0
    assert dict(got.dtypes) == columns


def test_with_timings_of_no_runs() -> None:
    got = with_timings(empty_frame())
    assert list(got.columns) == list(empty_frame().columns) + list(analysis.TIMING_COLUMNS)
    assert len(got) == 0


# -- property: no frame the builder can make makes a helper raise --------------------------------

def _all_calls(now: Any, freq: str = "D", tz: str = "UTC") -> list[Any]:
    wf = "workflow_permanent_id"
    return [
        lambda d: timings(d),
        lambda d: with_timings(d),
        lambda d: latency_summary(d, now=now),
        lambda d: latency_summary(d, by=[wf, "trigger_type"], freq=freq, tz=tz, now=now,
                                  metrics=analysis.METRICS),
        lambda d: failure_breakdown(d, by="status", freq=freq, tz=tz),
        lambda d: failure_breakdown(d, by=wf, all_categories=True),
        lambda d: failure_trends(d, period="6h", now=now),
        lambda d: failure_trends(d, period="1D", now=now, all_categories=True),
        lambda d: trigger_mix(d, freq=freq, tz=tz),
        lambda d: status_mix(d, freq=freq, tz=tz, by=wf),
        lambda d: success_rate(d, by="trigger_type", freq=freq, tz=tz, include_canceled=True),
        lambda d: throughput(d, freq=freq, tz=tz),
        lambda d: runs_in_flight(d, now=now),
        lambda d: runs_in_flight(d, freq=freq, tz=tz, now=now),
        lambda d: stuck_runs(d, now=now),
        lambda d: summary(d, now=now),
    ]


# Windows of two weeks, around New Year and around both DST changes of 2026 in
# Europe and the Americas, so buckets meet missing and repeated local hours.
_WINDOWS = [pd.Timestamp("2025-12-25"), pd.Timestamp("2026-03-01"),
            pd.Timestamp("2026-03-22"), pd.Timestamp("2026-10-22")]
_ENTRY = st.fixed_dictionaries(
    {"category": st.sampled_from(list(schema.FAILURE_CATEGORIES) + ["QUANTUM_FLUX"]),
     "confidence_float": st.floats(0, 1), "reasoning": st.just("r")},
    optional={"reason_code": st.text(max_size=3), "evidence_source": st.just("keyword_match")})


@st.composite
def run_dicts(draw: Any, index: int, start: pd.Timestamp) -> dict[str, Any]:
    moments = st.datetimes(min_value=start.to_pydatetime(),
                           max_value=(start + pd.Timedelta(days=14)).to_pydatetime())

    def stamp() -> Any:
        return draw(st.one_of(st.none(), moments.map(lambda d: d.isoformat())))

    return run(
        f"wr_{index}",
        workflow_permanent_id=draw(st.sampled_from(["wpid_a", "wpid_b", "wpid_c"])),
        workflow_title=draw(st.sampled_from([None, "A", "B"])),
        status=draw(st.sampled_from(list(schema.STATUSES) + ["archived"])),
        trigger_type=draw(st.sampled_from([None, *schema.TRIGGER_TYPES, "carrier_pigeon"])),
        created_at=draw(moments).isoformat(),
        queued_at=stamp(),
        started_at=stamp(),
        finished_at=stamp(),
        next_attempt_at=stamp(),
        retry_pending=draw(st.sampled_from([None, True, False])),
        attempt=draw(st.integers(1, 3)),
        failure_category=draw(st.one_of(st.none(), st.lists(_ENTRY, max_size=3))),
    )


@st.composite
def run_frames(draw: Any) -> tuple[pd.DataFrame, pd.Timestamp]:
    start = draw(st.sampled_from(_WINDOWS))
    size = draw(st.integers(0, 12))
    runs_ = [draw(run_dicts(i, start)) for i in range(size)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UnknownValueWarning)
        return runs_frame([runs_]), start


@settings(max_examples=80, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(frame_and_start=run_frames(), freq=st.sampled_from(["h", "6h", "D", "W", "MS", "ME"]),
       tz=st.sampled_from(["UTC", "Europe/Paris", "America/New_York", "Asia/Kolkata",
                           "America/Havana", "Australia/Lord_Howe"]),
       now_offset=st.integers(-2 * 86_400, 20 * 86_400))
def test_helpers_never_raise_on_frames_the_builder_makes(
        frame_and_start: tuple[pd.DataFrame, pd.Timestamp], freq: str, tz: str,
        now_offset: int) -> None:
    df, start = frame_and_start
    now = start + pd.Timedelta(seconds=now_offset)
    before = df.copy(deep=True)
    results = [call(df) for call in _all_calls(now, freq, tz)]
    assert_frame_equal(df, before)
    # A few invariants that hold for every frame.
    overall = results[2]
    assert ((overall["n"] + overall["unfinished"] + overall["suspect"])
            <= overall["runs"]).all()
    mix = results[8]
    per_bucket = mix.groupby("bucket")[["count", "runs"]].agg({"count": "sum", "runs": "max"})
    assert (per_bucket["count"] == per_bucket["runs"]).all()
    assert mix["runs"].sum() == len(df) * mix["trigger_type"].nunique()
    report = results[-1]
    assert json.loads(json.dumps(report, allow_nan=False)) == report
    assert sum(report["status"].values()) == len(df)
    assert report["stuck_runs"] == len(results[-2])
    for stats in (report["queue_seconds"], report["duration_seconds"]):
        assert (stats["p50"] is None) == (stats["n"] == 0)
        if stats["n"]:
            assert stats["p50"] <= stats["p90"] <= stats["p99"] <= stats["max"]
            assert not math.isnan(stats["mean"])
