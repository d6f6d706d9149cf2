"""Time every runlytics.analysis helper on a synthetic frame of 1,000,000 runs.

The frame is made directly with numpy and pyarrow (no JSON), with the dtypes
of :func:`runlytics.runs_frame`: 3,000 workflows over 30 days, the status and
trigger mixes of a busy organisation, null timestamps, clock skew, unknown
categories, runs still queued and running.

Usage::

    python benchmarks/bench_analysis.py            # 1,000,000 runs
    python benchmarks/bench_analysis.py --quick    # 100,000 runs, a few seconds
    python benchmarks/bench_analysis.py --runs 250000 --repeat 5
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from runlytics import analysis, schema  # noqa: E402
from runlytics.frame import table_to_frame  # noqa: E402

NOW = pd.Timestamp("2026-01-31T00:00:00", tz="UTC")
DAYS = 30
US = 1_000_000


def _timestamps(us: np.ndarray, valid: np.ndarray) -> pa.Array:
    return pa.array(np.where(valid, us, 0).view("datetime64[us]"), mask=~valid).cast(
        pa.timestamp("us", tz="UTC"))


def _dictionary(labels: list[str], codes: np.ndarray, valid: np.ndarray) -> pa.Array:
    return pa.DictionaryArray.from_arrays(
        pa.array(codes.astype(np.int32), mask=~valid), pa.array(labels, pa.string()))


def _ids(prefix: str, numbers: np.ndarray) -> pa.Array:
    return pa.compute.binary_join_element_wise(prefix, pa.array(numbers).cast(pa.string()), "")


def make_runs(n: int, *, workflows: int = 3_000, seed: int = 0) -> pd.DataFrame:
    """A runs frame of ``n`` synthetic runs with the schema's dtypes, newest first."""
    rng = np.random.default_rng(seed)
    now_us = NOW.value // 1000
    # Final runs end before NOW: create them at least 6 hours earlier.
    created = np.sort(now_us - 6 * 3600 * US - rng.integers(0, DAYS * 86_400 * US, n))[::-1]
    statuses = list(schema.STATUSES) + ["archived"]
    weights = {"created": .004, "queued": .01, "running": .02, "paused": .002, "completed": .74,
               "failed": .14, "terminated": .02, "canceled": .03, "timed_out": .033,
               "archived": .001}
    status = rng.choice(len(statuses), n, p=[weights[s] for s in statuses])
    name = np.array(statuses)[status]
    is_final = np.isin(name, schema.FINAL_STATUSES)

    pickup = rng.exponential(2.0, n)
    queue = rng.exponential(30.0, n)
    skew = rng.random(n)
    queue[skew < 0.005] = -rng.uniform(0, 4, (skew < 0.005).sum())  # small skew: clamped
    queue[skew > 0.9995] = -rng.uniform(10, 600, (skew > 0.9995).sum())  # suspect
    duration = rng.exponential(600.0, n)
    queued = created + (pickup * US).astype(np.int64)
    started = queued + (queue * US).astype(np.int64)
    finished = started + (duration * US).astype(np.int64)

    has_queued = (name != "created") & (rng.random(n) > 0.05)  # old servers: no queued_at
    canceled_early = (name == "canceled") & (rng.random(n) < 0.5)
    has_started = ~np.isin(name, ["created", "queued"]) & ~canceled_early & (name != "archived")
    has_finished = is_final & (rng.random(n) > 0.002)
    finished = np.where(canceled_early, queued + 5 * US, finished)
    # Open runs created in the last hours, so the backlog looks recent.
    recent = ~is_final & (name != "archived")
    created = np.where(recent, now_us - rng.integers(0, 6 * 3600 * US, n), created)
    queued = np.where(recent, created + US, queued)
    started = np.where(recent, queued + 10 * US, started)

    workflow = rng.zipf(1.3, n) % workflows
    triggers = list(schema.TRIGGER_TYPES) + ["carrier_pigeon"]
    trigger = rng.choice(len(triggers), n, p=[.1, .5, .25, .05, .07, .015, .014, .001])
    trigger_known = rng.random(n) > 0.08

    failed = np.isin(name, analysis.FAILURE_STATUSES) & (rng.random(n) > 0.05)
    lengths = np.where(failed, rng.integers(1, 4, n), 0)
    offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int32)
    categories = list(schema.FAILURE_CATEGORIES) + ["QUANTUM_FLUX"]
    entry_cats = rng.integers(0, len(categories), offsets[-1])
    entries = pa.StructArray.from_arrays(
        [_dictionary(categories, entry_cats, np.ones(len(entry_cats), bool)).cast(pa.string()),
         pa.array(rng.random(offsets[-1])),
         pa.array(np.full(offsets[-1], "Keywords matched"), pa.string()),
         pa.nulls(offsets[-1], pa.string()), pa.nulls(offsets[-1], pa.string())],
        fields=list(schema.FAILURE_ENTRY))
    failure = pa.ListArray.from_arrays(pa.array(offsets), entries, mask=pa.array(~failed))
    first = np.where(failed, entry_cats[np.minimum(offsets[:-1], max(len(entry_cats) - 1, 0))]
                     if len(entry_cats) else 0, 0)

    titles = np.array([f"Workflow {i}" for i in range(workflows)], dtype=object)
    columns: dict[str, pa.Array] = {
        "workflow_run_id": _ids("wr_", np.arange(n)),
        "workflow_id": _ids("w_", workflow),
        "workflow_permanent_id": _ids("wpid_", workflow),
        "organization_id": pa.array(np.full(n, "o_1"), pa.string()),
        "status": _dictionary(statuses, status, np.ones(n, bool)),
        "workflow_title": pa.array(titles[workflow], pa.string()),
        "trigger_type": _dictionary(triggers, trigger, trigger_known),
        "created_at": _timestamps(created, np.ones(n, bool)),
        "modified_at": _timestamps(np.where(has_finished, finished, created), np.ones(n, bool)),
        "queued_at": _timestamps(queued, has_queued),
        "started_at": _timestamps(started, has_started),
        "finished_at": _timestamps(finished, has_finished),
        "attempt": pa.array(np.ones(n, np.int64)),
        "failure_category": failure,
        "primary_failure_category": _dictionary(categories, first, failed),
    }
    columns.update(_issue16_columns(n, name, np.array(triggers)[trigger], workflow, seed))
    arrow_schema = schema.arrow_schema()
    arrays = [columns[f.name].cast(f.type) if f.name in columns else pa.nulls(n, f.type)
              for f in arrow_schema]
    table = pa.Table.from_arrays(arrays, schema=arrow_schema)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # unknown categories are on purpose
        return table_to_frame(table)


#: Failure texts as the server writes them: a variable URL, id, number or address in each.
FAILURE_TEMPLATES = (
    "Failed to navigate to url https://portal{k}.example.com/login. Error message: "
    "net::ERR_NAME_NOT_RESOLVED",
    "Timeout {k}000ms exceeded while waiting for selector '#item-{k}'",
    "Workflow run wr_{run} exceeded max steps ({k})",
    "Failed to log in as user{k}@example.com: the site rejected the provided credentials",
    "Proxy 10.0.{k}.7:8080 refused the connection",
    "Element \"Invoice {k}\" not found on page",
)
WEBHOOK_TEMPLATES = ("HTTP 50{k} from https://hooks.example.com/h/{k}",
                     "Connection refused: 10.1.0.{k}:8443", "Read timeout after {k}s")
#: Schedules of the synthetic organisation: (cron, time zone); schedule i uses CRONS[i % 6].
CRONS = (("*/15 * * * *", "UTC"), ("0 * * * *", "Europe/Paris"),
         ("30 6 * * *", "America/New_York"), ("0 9 * * 1-5", "Europe/Paris"),
         ("*/5 * * * *", "UTC"), ("0 */2 * * *", "Asia/Tokyo"))
SCHEDULES = 60


def _texts(templates: tuple[str, ...], pick: np.ndarray, k: np.ndarray, runs: np.ndarray
           ) -> np.ndarray:
    """Template ``pick`` filled in with ``k`` (and the run number): unique texts computed once."""
    keys, inverse = np.unique(np.stack([pick, k, np.where(pick == 2, runs, 0)]), axis=1,
                              return_inverse=True)
    texts = np.array([templates[t].format(k=v, run=r) for t, v, r in keys.T], dtype=object)
    return texts[inverse.ravel()]


def _issue16_columns(n: int, status: np.ndarray, trigger: np.ndarray, workflow: np.ndarray,
                     seed: int) -> dict[str, pa.Array]:
    """failure_reason, webhook_failure_reason, credits, workflow_schedule_id (own generator,
    so the other columns stay as they were)."""
    rng = np.random.default_rng(seed + 16)
    runs = np.arange(n)
    failed = np.isin(status, analysis.FAILURE_STATUSES) & (rng.random(n) > 0.03)
    pick = rng.integers(0, len(FAILURE_TEMPLATES), n)
    reason = _texts(FAILURE_TEMPLATES, pick, rng.integers(1, 60, n), runs)
    hook = np.isin(status, schema.FINAL_STATUSES) & (rng.random(n) < 0.4)
    hook_failed = hook & (rng.random(n) < 0.05)
    hook_text = _texts(WEBHOOK_TEMPLATES, rng.integers(0, len(WEBHOOK_TEMPLATES), n),
                       rng.integers(1, 10, n), runs)
    credits = np.where(status == "created", 0, rng.integers(0, 60, n))
    scheduled = trigger == "scheduled"
    return {
        "failure_reason": pa.array(reason, pa.string(), mask=~failed),
        "webhook_failure_reason": pa.array(np.where(hook_failed, hook_text, ""), pa.string(),
                                           mask=~hook),
        "credits_used": pa.array(credits.astype(np.int64)),
        "cached_credits_used": pa.array(rng.integers(0, 6, n) * (credits > 0)),
        "workflow_schedule_id": pa.array(
            np.char.add("wfs_", (workflow % SCHEDULES).astype(str)), pa.string(),
            mask=~scheduled),
    }


def make_schedules(count: int = SCHEDULES) -> list[dict[str, Any]]:
    """The schedules of the synthetic runs, as ``GET /v1/schedules`` lists them."""
    return [{"workflow_schedule_id": f"wfs_{i}", "workflow_permanent_id": f"wpid_{i}",
             "cron_expression": CRONS[i % len(CRONS)][0], "timezone": CRONS[i % len(CRONS)][1],
             "enabled": i % 10 != 9, "created_at": "2025-06-01T00:00:00",
             "modified_at": "2025-12-01T00:00:00"} for i in range(count)]


def _size(result: Any) -> int:
    """Rows of a result: a frame's length, or the length of a summary's per-workflow list."""
    if isinstance(result, pd.DataFrame):
        return len(result)
    if result is None:
        return 0
    return len(result["workflows"] if "workflows" in result else result["by_workflow"])


def cases(now: pd.Timestamp) -> list[tuple[str, Callable[[pd.DataFrame], Any], bool]]:
    """(label, call, primary): one primary call per helper, plus common variants."""
    wf = "workflow_permanent_id"
    week, month = now - pd.Timedelta(days=7), pd.Timedelta(days=DAYS)
    schedules = make_schedules()
    return [
        ("timings", analysis.timings, True),
        ("with_timings", analysis.with_timings, True),
        ("latency_summary", lambda d: analysis.latency_summary(d, now=now), True),
        ("latency_summary by workflow",
         lambda d: analysis.latency_summary(d, by=wf, now=now), False),
        ("latency_summary freq=h", lambda d: analysis.latency_summary(d, freq="h", now=now),
         False),
        ("failure_breakdown", analysis.failure_breakdown, True),
        ("failure_breakdown by workflow", lambda d: analysis.failure_breakdown(d, by=wf), False),
        ("failure_breakdown all, freq=D",
         lambda d: analysis.failure_breakdown(d, freq="D", all_categories=True), False),
        ("failure_trends", lambda d: analysis.failure_trends(d, now=now), True),
        ("trigger_mix freq=D", analysis.trigger_mix, True),
        ("status_mix freq=D", analysis.status_mix, True),
        ("success_rate by workflow", lambda d: analysis.success_rate(d, by=wf), True),
        ("success_rate freq=D", lambda d: analysis.success_rate(d, freq="D"), False),
        ("throughput freq=h", lambda d: analysis.throughput(d, freq="h"), True),
        ("runs in flight freq=h", lambda d: analysis.runs_in_flight(d, freq="h", now=now), True),
        ("runs in flight every change", lambda d: analysis.runs_in_flight(d, now=now), False),
        ("stuck_runs", lambda d: analysis.stuck_runs(d, now=now), True),
        ("summary", lambda d: analysis.summary(d, now=now), True),
        ("failure_signatures",
         lambda d: analysis.failure_signatures(d, period_start=week, period_end=now), True),
        ("workflow_signatures",
         lambda d: analysis.workflow_signatures(d, period_start=week, period_end=now), True),
        ("credit_summary", analysis.credit_summary, True),
        ("webhook_delivery", analysis.webhook_delivery, True),
        ("webhook_failure_signatures", analysis.webhook_failure_signatures, True),
        ("failed_deliveries", analysis.failed_deliveries, False),
        ("schedule_adherence",
         lambda d: analysis.schedule_adherence(schedules, d, start=now - month, end=now), True),
        ("success_rate + wilson by workflow", _wilson_by_workflow, True),
        ("censored_latency", lambda d: analysis.censored_latency(d, now=now), True),
        ("changes last 7 days", lambda d: analysis.changes(
            d, period_start=now - pd.Timedelta("7D"), period_end=now), True),
        ("changes 7 days vs 21", lambda d: analysis.changes(
            d, period_start=now - pd.Timedelta("7D"), period_end=now, baseline="21d"), False),
        ("flaky_workflows", analysis.flaky_workflows, True),
    ]


def _wilson_by_workflow(df: pd.DataFrame) -> pd.DataFrame:
    """Success rates by workflow with their Wilson intervals (both timed together)."""
    rates = analysis.success_rate(df, by="workflow_permanent_id")
    return analysis.wilson_intervals(rates["n_completed"], rates["n_finished"])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="100,000 runs instead of 1,000,000")
    parser.add_argument("--runs", type=int, default=None, help="number of runs")
    parser.add_argument("--repeat", type=int, default=3, help="timings per helper (median)")
    args = parser.parse_args(argv)
    n = args.runs or (100_000 if args.quick else 1_000_000)

    start = time.perf_counter()
    df = make_runs(n)
    print(f"made {n:,} runs, {df['workflow_permanent_id'].nunique():,} workflows, "
          f"in {time.perf_counter() - start:.2f} s", flush=True)

    rows = []
    for label, call, primary in cases(NOW):
        seconds = []
        for _ in range(args.repeat):
            start = time.perf_counter()
            result = call(df)
            seconds.append(time.perf_counter() - start)
        size = _size(result)
        rows.append((label, statistics.median(seconds), size, primary))
        print(f"{label:<34} {rows[-1][1] * 1000:9.1f} ms  {size:>9,} rows"
              f"{'' if primary else '  (variant)'}", flush=True)
    total_primary = sum(s for _, s, _, p in rows if p)
    total_all = sum(s for _, s, _, _ in rows)
    print("-" * 62)
    print(f"{'total, one call per helper':<34} {total_primary * 1000:9.1f} ms")
    print(f"{'total, every case above':<34} {total_all * 1000:9.1f} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
