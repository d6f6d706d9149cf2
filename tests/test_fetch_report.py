"""FetchReport: the figures of a fetch, and the lines people read."""

from __future__ import annotations

import pytest

from runlytics.fetch import FetchReport


def test_describe_gives_the_headline_and_what_was_repaired():
    report = FetchReport(runs=12_345, pages_requested=130, elapsed_seconds=2.5,
                         stopped_because="empty page", retries=3,
                         retry_reasons={"HTTP 503": 2, "timeout": 1}, drift_detected=True,
                         repeats_while_paging=1_200, runs_caught_up=40, gap_refetches=2,
                         tie_groups_repaired=4, tie_groups_unverified=1,
                         page_size_clamped_to=50)
    assert report.describe() == (
        "12,345 runs from 130 pages in 2.5 s (4,938 runs/s); stopped: empty page\n"
        "3 retries (HTTP 503: 2, timeout: 1); list moved while paging: 1,200 repeated rows, "
        "40 new runs caught up, 2 pages re-read; 4 tie groups re-read, 1 could not be "
        "verified; server clamped page_size to 50")


def test_describe_of_a_plain_fetch_is_one_line():
    report = FetchReport(runs=10, pages_requested=2, stopped_because="max_runs")
    assert report.describe() == "10 runs from 2 pages in 0.0 s (0 runs/s); stopped: max_runs"


def test_summary_is_a_deprecated_alias_of_describe():
    report = FetchReport(runs=10, pages_requested=2, elapsed_seconds=1.0,
                         stopped_because="empty page")
    with pytest.warns(DeprecationWarning, match=r"use FetchReport\.describe\(\)"):
        assert report.summary() == report.describe()


def test_to_dict_holds_every_figure():
    assert FetchReport(base_url="http://x", runs=3).to_dict() == {
        "base_url": "http://x", "filters": {}, "pages_requested": 0, "requests": 0,
        "retries": 0, "retry_reasons": {}, "runs": 3, "rows_received": 0,
        "duplicates_dropped": 0, "drift_detected": False, "repeats_while_paging": 0,
        "runs_caught_up": 0, "gap_refetches": 0, "tie_groups_repaired": 0,
        "tie_groups_unverified": 0, "page_size_clamped_to": None, "stopped_because": "",
        "elapsed_seconds": 0.0}
