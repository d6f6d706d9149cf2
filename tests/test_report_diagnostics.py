"""Report sections on why runs fail and what it costs: signatures, credits, webhooks."""

from __future__ import annotations

import json
import warnings
from typing import Any

import pytest
from conftest import make_run

from runlytics import runs_frame
from runlytics.report import build_report, render_html, render_markdown

SINCE, UNTIL = "2026-01-08", "2026-01-15"


def _run(i: int, day: int, status: str, *, reason: str | None = None, credits: int = 0,
         cached: int = 0, hook: str | None = None, wf: str = "wpid_a") -> dict[str, Any]:
    created = f"2026-01-{day:02d}T09:00:00"
    return make_run(workflow_run_id=f"wr_{i:03d}", workflow_permanent_id=wf,
                    workflow_title=wf.upper(), status=status, created_at=created,
                    modified_at=created, queued_at=created, started_at=created,
                    finished_at=None if status == "running" else created,
                    failure_reason=reason, credits_used=credits, cached_credits_used=cached,
                    webhook_failure_reason=hook, failure_category=None)


@pytest.fixture(scope="module")
def report() -> Any:
    runs = [
        _run(1, 3, "failed", reason="Timeout 3000ms exceeded on https://a.example/x", credits=5),
        _run(2, 9, "failed", reason="Timeout 5000ms exceeded on https://b.example/y", credits=7,
             hook="HTTP 502 from https://hooks.example/cb"),
        _run(3, 10, "failed", reason="Element #123 not found", credits=3, cached=1, hook=""),
        _run(4, 11, "completed", credits=10, cached=2, hook="", wf="wpid_b"),
        _run(5, 12, "running", credits=4, wf="wpid_b"),
    ]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        frame = runs_frame([runs])
    return build_report(frame, since=SINCE, until=UNTIL, now=UNTIL, data_since="2026-01-01")


def test_signatures_group_the_same_failure_and_say_what_is_new(report: Any) -> None:
    got = {s["signature"]: s for s in report.summary["failure_signatures"]}
    timeout = got["Timeout <n>ms exceeded on <url>"]
    assert (timeout["runs"], timeout["previous_runs"], timeout["new"]) == (1, 1, False)
    assert timeout["example_run_ids"] == ["wr_002"]
    element = got["Element #<n> not found"]
    assert (element["runs"], element["new"]) == (1, True)
    assert len(got) == 2


def test_credits_split_failed_cached_and_provisional(report: Any) -> None:
    credits = report.summary["credits"]
    assert (credits["total"], credits["cached"], credits["on_failed_runs"],
            credits["provisional"]) == (27, 3, 11, 4)
    assert credits["per_successful_run"] == 27.0


def test_no_credit_data_is_null_not_zero() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        frame = runs_frame([[_run(1, 9, "completed")]])
    built = build_report(frame, since=SINCE, until=UNTIL, now=UNTIL)
    assert built.summary["credits"] is None and built.summary["webhooks"] is None
    markdown, _ = render_markdown(built, "f")
    assert "No credit data" in markdown and "No webhook delivery recorded" in markdown


def test_webhook_delivery_counts_only_recorded_callbacks(report: Any) -> None:
    hooks = report.summary["webhooks"]
    assert (hooks["recorded"], hooks["delivered"], hooks["failed"]) == (3, 2, 1)
    assert hooks["delivery_rate"] == pytest.approx(2 / 3)
    assert [f["workflow_run_id"] for f in hooks["failed_deliveries"]] == ["wr_002"]
    assert hooks["failed_deliveries"][0]["reason"] == "HTTP 502 from https://hooks.example/cb"


def test_the_sections_show_in_every_format(report: Any) -> None:
    markdown, _ = render_markdown(report, "f")
    page = render_html(report)
    for text in ("Failure signatures", "Timeout &lt;n&gt;ms exceeded on &lt;url&gt;",
                 "27 credits in the period (3 cached); 11 (40.7%)",
                 "2 of 3 recorded callbacks delivered (66.7%); 1 failed."):
        assert text in page, text
        assert text in markdown, text
    assert json.loads(report.to_json())["credits"]["total"] == 27
