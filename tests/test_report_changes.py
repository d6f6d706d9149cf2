"""Report sections on what changed: significant changes, flaky workflows, intervals, censoring."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pytest
from test_analysis_changes import END, START, _steady

from runlytics import analysis
from runlytics.report import build_report, render_html, render_markdown


def _degraded() -> tuple[Any, str]:
    df = _steady(2)
    target = str(df["workflow_permanent_id"].value_counts().index[0])
    rng = np.random.default_rng(0)
    hit = (df["workflow_permanent_id"] == target) & (df["created_at"] >= START)
    df.loc[hit & (df["status"] == "completed") & (rng.random(len(df)) < 0.5), "status"] = "failed"
    return df, target


@pytest.fixture(scope="module")
def degraded() -> tuple[Any, str]:
    df, target = _degraded()
    built = build_report(df, since=START, until=END, now=END, data_since=START - (END - START))
    return built, target


def test_the_json_lists_each_change_with_its_test_and_samples(degraded: Any) -> None:
    report, target = degraded
    doc = json.loads(report.to_json())
    keys = {"workflow_permanent_id", "workflow_title", "metric", "previous", "current",
            "p_value", "significant", "n_previous", "n_current"}
    assert all(keys <= set(c) for c in doc["changes"])
    found = [c for c in doc["changes"] if c["significant"]]
    assert {c["workflow_permanent_id"] for c in found} - {None} == {target}
    rate = next(c for c in found if c["metric"] == "success_rate"
                and c["workflow_permanent_id"] == target)
    assert rate["current"] < rate["previous"]
    assert doc["significant_changes"]["success_rate_down"] >= 1
    assert doc["significant_changes"]["any"] == len(found)
    assert doc["changes"][: len(found)] == found  # significant first


def test_the_success_rate_has_its_wilson_interval(degraded: Any) -> None:
    report, _ = degraded
    doc = report.summary
    completed = doc["status"]["completed"]
    low, high = analysis.wilson_interval(completed, doc["success_rate_n"])
    assert doc["success_rate_ci"] == [low, high]
    assert low < doc["success_rate"] < high


def test_what_changed_reaches_html_and_markdown(degraded: Any) -> None:
    report, _ = degraded
    markdown, _ = render_markdown(report, "f")
    page = render_html(report)
    assert "## What changed" in markdown and 'id="changes"' in page
    found = report.summary["significant_changes"]["any"]
    assert f"{found:,} significant of " in markdown and f"{found:,} significant of " in page


def test_fail_on_a_significant_drop(degraded: Any) -> None:
    df, _ = _degraded()
    built = build_report(df, since=START, until=END, now=END, data_since=START - (END - START),
                         fail_on=["significant_changes.success_rate_down>0"])
    assert [r.breached for r in built.thresholds] == [True]


def test_steady_data_says_nothing_changed() -> None:
    df = _steady(3)
    built = build_report(df, since=START, until=END, now=END, data_since=START - (END - START))
    assert built.summary["significant_changes"]["any"] == 0
    markdown, _ = render_markdown(built, "f")
    assert "Nothing changed beyond what chance explains." in markdown
