"""Webhook delivery on literal frames: rates, failure signatures, the failed list."""

from __future__ import annotations

import pandas as pd

from runlytics.analysis import failed_deliveries, webhook_delivery, webhook_failure_signatures

S = "string[pyarrow]"
DT = "datetime64[us, UTC]"


def _runs() -> pd.DataFrame:
    rows = [
        ("wr_1", "wpid_a", "2026-01-05 10:00", ""),
        ("wr_2", "wpid_a", "2026-01-05 11:00", "Connection refused: 10.0.0.5:8443"),
        ("wr_3", "wpid_a", "2026-01-05 12:00", None),
        ("wr_4", "wpid_b", "2026-01-05 13:00", "HTTP 500 from https://hooks.example/x?t=1"),
        ("wr_5", "wpid_b", "2026-01-05 14:00", "HTTP 503 from https://hooks.example/y"),
        ("wr_6", "wpid_b", "2026-01-05 14:00", "Connection refused: 10.0.0.6:8443"),
        ("wr_7", "wpid_c", "2026-01-05 15:00", None),
        ("wr_8", "wpid_b", "2026-01-05 16:00", ""),
    ]
    return pd.DataFrame({
        "workflow_run_id": pd.array([r[0] for r in rows], dtype=S),
        "workflow_permanent_id": pd.array([r[1] for r in rows], dtype=S),
        "created_at": pd.to_datetime([r[2] for r in rows], utc=True).astype(DT),
        "webhook_failure_reason": pd.array([r[3] for r in rows], dtype=S),
    })


def test_webhook_delivery_per_workflow() -> None:
    runs = _runs()
    before = runs.copy()
    got = webhook_delivery(runs)
    pd.testing.assert_frame_equal(runs, before)
    expected = pd.DataFrame({
        "workflow_permanent_id": pd.array(["wpid_a", "wpid_b"], dtype=S),
        "recorded": [2, 4], "delivered": [1, 1], "failed": [1, 3], "delivery_rate": [0.5, 0.25],
    })
    pd.testing.assert_frame_equal(got, expected)


def test_failed_deliveries_newest_first() -> None:
    expected = pd.DataFrame({
        "workflow_run_id": pd.array(["wr_5", "wr_6", "wr_4", "wr_2"], dtype=S),
        "workflow_permanent_id": pd.array(["wpid_b", "wpid_b", "wpid_b", "wpid_a"], dtype=S),
        "created_at": pd.to_datetime(["2026-01-05 14:00", "2026-01-05 14:00",
                                      "2026-01-05 13:00", "2026-01-05 11:00"],
                                     utc=True).astype(DT),
        "reason": pd.array(["HTTP 503 from https://hooks.example/y",
                            "Connection refused: 10.0.0.6:8443",
                            "HTTP 500 from https://hooks.example/x?t=1",
                            "Connection refused: 10.0.0.5:8443"], dtype=S),
        "signature": pd.array(["HTTP <n> from <url>", "Connection refused: <ip>",
                               "HTTP <n> from <url>", "Connection refused: <ip>"], dtype=S),
    })
    pd.testing.assert_frame_equal(failed_deliveries(_runs()), expected)


def test_webhook_failure_signatures() -> None:
    expected = pd.DataFrame({
        "signature": pd.array(["Connection refused: <ip>", "HTTP <n> from <url>"], dtype=S),
        "failed": [2, 2], "workflows": [2, 1],
        "last_seen": pd.to_datetime(["2026-01-05 14:00", "2026-01-05 14:00"],
                                    utc=True).astype(DT),
        "example_run_ids": pd.Series([["wr_6"], ["wr_5"]], dtype=object),
    })
    pd.testing.assert_frame_equal(webhook_failure_signatures(_runs(), examples=1), expected)


def test_nothing_recorded() -> None:
    runs = _runs().assign(webhook_failure_reason=pd.array([None] * 8, dtype=S))
    assert len(webhook_delivery(runs)) == 0
    assert len(failed_deliveries(runs)) == 0
    got = webhook_failure_signatures(runs)
    assert list(got.columns) == ["signature", "failed", "workflows", "last_seen",
                                 "example_run_ids"]
    assert len(got) == 0
