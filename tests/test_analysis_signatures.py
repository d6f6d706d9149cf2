"""Failure signatures: normalisation of real-looking reasons, counts per period."""

from __future__ import annotations

import pandas as pd
import pytest

from runlytics.analysis import NO_REASON, failure_signature, failure_signatures, workflow_signatures
from runlytics.errors import UsageError

REASONS = [
    ("Failed to navigate to url https://portal.example.com. Error message: "
     "net::ERR_NAME_NOT_RESOLVED",
     "Failed to navigate to url <url>. Error message: net::ERR_NAME_NOT_RESOLVED"),
    ("Failed to log in: the site rejected the provided credentials",
     "Failed to log in: the site rejected the provided credentials"),
    ("Timeout 30000ms exceeded while waiting for selector '#submit-btn'",
     "Timeout <n>ms exceeded while waiting for selector '<value>'"),
    ('Element "Download invoice 2026-01" not found on page',
     'Element "<value>" not found on page'),
    ("Could not send OTP to jane.doe+billing@acme.co.uk",
     "Could not send OTP to <email>"),
    ("Proxy 10.0.3.17:8080 refused the connection",
     "Proxy <ip> refused the connection"),
    ("Workflow run wr_602374300000000123 exceeded max steps (25)",
     "Workflow run <id> exceeded max steps (<n>)"),
    ("Child run wr_sched_9f86d081884c7d659a2feaa0c55ad015 failed",
     "Child run <id> failed"),
    ("Browser session 3fa85f64-5717-4562-b3fc-2c963f66afa6 expired",
     "Browser session <hex> expired"),
    ("Page.goto: net::ERR_HTTP2_PROTOCOL_ERROR at https://x.example/a?b=1&c=2",
     "Page.goto: net::ERR_HTTP2_PROTOCOL_ERROR at <url>"),
    ("LLM returned invalid JSON at position 1,204: expected ','",
     "LLM returned invalid JSON at position <n>: expected '<value>'"),
    ("Exception 0x7ffd3a2b in renderer; trace id deadbeef42",
     "Exception <hex> in renderer; trace id <hex>"),
    ("Task failed after 3 retries:\n  the site's captcha wasn't solved",
     "Task failed after <n> retries: the site's captcha wasn't solved"),
    ("Budget exhausted: 1.5 of 1.5 credits used at 12:30:01",
     "Budget exhausted: <n> of <n> credits used at <n>"),
    ("Invalid parameter wpid_abc123 for <script>alert(1)</script>",
     "Invalid parameter <id> for <script>alert(<n>)</script>"),
]


@pytest.mark.parametrize(("text", "expected"), REASONS)
def test_failure_signature_masks_the_variable_parts(text: str, expected: str) -> None:
    assert failure_signature(text) == expected


def test_failure_signature_of_nothing() -> None:
    assert [failure_signature(v) for v in (None, pd.NA, float("nan"), "", "  ")] == \
        [None, None, None, "", ""]


def test_failure_signature_cuts_long_texts() -> None:
    got = failure_signature("x" * 400)
    assert got == "x" * 299 + "…"


def _runs() -> pd.DataFrame:
    rows = [  # run id, workflow, status, created, reason
        ("wr_1", "wpid_a", "failed", "2026-01-01 09:00", "Timeout 1000ms exceeded"),
        ("wr_2", "wpid_a", "failed", "2026-01-02 09:00", "Timeout 2000ms exceeded"),
        ("wr_3", "wpid_b", "timed_out", "2026-01-02 10:00", "Timeout 3000ms exceeded"),
        ("wr_4", "wpid_b", "terminated", "2026-01-02 11:00", "Login failed for a@b.io"),
        ("wr_5", "wpid_a", "completed", "2026-01-02 12:00", "Timeout 5ms exceeded"),
        ("wr_6", "wpid_a", "canceled", "2026-01-02 12:00", "Timeout 6ms exceeded"),
        ("wr_7", "wpid_a", "failed", "2026-01-02 13:00", None),
        ("wr_8", "wpid_b", "failed", "2026-01-03 00:00", "Timeout 8ms exceeded"),
        ("wr_9", "wpid_b", "failed", "2025-12-31 08:00", "Login failed for c@d.io"),
        ("wr_10", "wpid_b", "failed", "2025-12-31 09:00", "Login failed for e@f.io"),
        ("wr_11", "wpid_a", "failed", "2025-12-31 09:30", "Gone since"),
    ]
    return pd.DataFrame({
        "workflow_run_id": [r[0] for r in rows],
        "workflow_permanent_id": [r[1] for r in rows],
        "status": pd.Categorical([r[2] for r in rows]),
        "created_at": pd.to_datetime([r[3] for r in rows], utc=True).astype("datetime64[us, UTC]"),
        "failure_reason": pd.array([r[4] for r in rows], dtype="string[pyarrow]"),
    })


def _utc(*values: str) -> list[pd.Timestamp]:
    return [pd.Timestamp(v, tz="UTC") for v in values]


def test_failure_signatures_of_a_day() -> None:
    runs = _runs()
    before = runs.copy()
    got = failure_signatures(runs, period_start="2026-01-02", period_end="2026-01-03")
    pd.testing.assert_frame_equal(runs, before)
    expected = pd.DataFrame({
        "signature": pd.array(["Timeout <n>ms exceeded", NO_REASON, "Login failed for <email>"],
                              dtype="string[pyarrow]"),
        "runs": [2, 1, 1], "previous_runs": [1, 0, 0], "workflows": [2, 1, 1],
        "first_seen": pd.Series(_utc("2026-01-01 09:00", "2026-01-02 13:00",
                                     "2025-12-31 08:00")).astype("datetime64[us, UTC]"),
        "last_seen": pd.Series(_utc("2026-01-02 10:00", "2026-01-02 13:00",
                                    "2026-01-02 11:00")).astype("datetime64[us, UTC]"),
        "new": [False, True, False], "growing": [True, False, True],  # back after a gap
        "example_run_ids": pd.Series([["wr_3", "wr_2"], ["wr_7"], ["wr_4"]], dtype=object),
    })
    pd.testing.assert_frame_equal(got, expected)


def test_failure_signatures_examples_and_growth_options() -> None:
    got = failure_signatures(_runs(), period_start="2026-01-02", period_end="2026-01-03",
                             examples=1, min_growth=1.5)
    assert got["example_run_ids"].tolist() == [["wr_3"], ["wr_7"], ["wr_4"]]
    assert got["growing"].tolist() == [False, False, True]  # 2 < 1 * 2.5; 1 > 0


def test_failure_signatures_of_an_empty_period() -> None:
    got = failure_signatures(_runs(), period_start="2027-01-01", period_end="2027-01-02")
    assert list(got.columns) == ["signature", "runs", "previous_runs", "workflows", "first_seen",
                                 "last_seen", "new", "growing", "example_run_ids"]
    assert len(got) == 0
    assert str(got["first_seen"].dtype) == "datetime64[us, UTC]"


def test_failure_signatures_refuses_a_backward_period() -> None:
    with pytest.raises(UsageError, match="period_end"):
        failure_signatures(_runs(), period_start="2026-01-03", period_end="2026-01-02")


def test_workflow_signatures_top_per_workflow() -> None:
    got = workflow_signatures(_runs(), period_start="2026-01-02", period_end="2026-01-03", top=1)
    expected = pd.DataFrame({
        "workflow_permanent_id": pd.array(["wpid_a", "wpid_b"], dtype="string[pyarrow]"),
        "rank": [1, 1],
        "signature": pd.array([NO_REASON, "Login failed for <email>"], dtype="string[pyarrow]"),
        "runs": [1, 1], "failed_runs": [2, 2], "share": [0.5, 0.5],
        "example_run_ids": pd.Series([["wr_7"], ["wr_4"]], dtype=object),
    })
    pd.testing.assert_frame_equal(got, expected)
