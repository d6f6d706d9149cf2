"""Credit summary on literal frames: whole expected values, and "no credit data"."""

from __future__ import annotations

import pandas as pd
import pytest

from runlytics.analysis import credit_summary
from runlytics.errors import SchemaError


def _runs(**overrides: list) -> pd.DataFrame:
    columns = {
        "workflow_permanent_id": ["wpid_a", "wpid_a", "wpid_a", "wpid_b", "wpid_b", "wpid_b"],
        "status": pd.Categorical(["completed", "completed", "failed", "timed_out", "running",
                                  "canceled"]),
        "trigger_type": pd.Categorical(["api", "scheduled", "api", "scheduled", None, "api"]),
        "created_at": pd.to_datetime(["2026-01-05 10:00", "2026-01-05 23:00", "2026-01-07 01:00",
                                      "2026-01-07 02:00", "2026-01-07 03:00",
                                      "2026-01-07 04:00"], utc=True),
        "credits_used": pd.array([10, 6, 5, 3, 7, None], dtype="Int64"),
        "cached_credits_used": pd.array([2, 0, 1, 0, 0, 4], dtype="Int64"),
    }
    columns.update(overrides)
    return pd.DataFrame(columns)


def _figures(runs: int, ok: int, total: int, cached: int, failed: int, open_: int) -> dict:
    return {"runs": runs, "successful_runs": ok, "total": total, "cached": cached,
            "on_failed_runs": failed, "provisional": open_,
            "per_successful_run": total / ok if ok else None}


def test_credit_summary_whole() -> None:
    runs = _runs()
    before = runs.copy()
    got = credit_summary(runs)
    pd.testing.assert_frame_equal(runs, before)
    assert got == {
        **_figures(6, 2, 38, 7, 9, 7),
        "by_workflow": [{"workflow_permanent_id": "wpid_a", **_figures(3, 2, 24, 3, 6, 0)},
                        {"workflow_permanent_id": "wpid_b", **_figures(3, 0, 14, 4, 3, 7)}],
        "by_status": [{"status": "completed", **_figures(2, 2, 18, 2, 0, 0)},
                      {"status": "running", **_figures(1, 0, 7, 0, 0, 7)},
                      {"status": "failed", **_figures(1, 0, 6, 1, 6, 0)},
                      {"status": "canceled", **_figures(1, 0, 4, 4, 0, 0)},
                      {"status": "timed_out", **_figures(1, 0, 3, 0, 3, 0)}],
        "by_trigger": [{"trigger_type": "api", **_figures(3, 1, 22, 7, 6, 0)},
                       {"trigger_type": "scheduled", **_figures(2, 1, 9, 0, 3, 0)},
                       {"trigger_type": "unknown", **_figures(1, 0, 7, 0, 0, 7)}],
        "by_day": [{"day": "2026-01-05", "total": 18}, {"day": "2026-01-06", "total": 0},
                   {"day": "2026-01-07", "total": 20}],
    }
    assert got["per_successful_run"] == 19.0


@pytest.mark.parametrize("overrides", [
    {"credits_used": pd.array([0] * 6, dtype="Int64"),
     "cached_credits_used": pd.array([0] * 6, dtype="Int64")},
    {"credits_used": pd.array([None] * 6, dtype="Int64"),
     "cached_credits_used": pd.array([None, 0, 0, 0, 0, 0], dtype="Int64")},
])
def test_all_zero_or_null_credits_are_no_credit_data(overrides: dict) -> None:
    assert credit_summary(_runs(**overrides)) is None


def test_a_frame_without_the_buckets_has_no_credit_data() -> None:
    assert credit_summary(_runs().drop(columns=["cached_credits_used"])) is None


def test_credit_summary_needs_the_other_columns() -> None:
    with pytest.raises(SchemaError, match="trigger_type"):
        credit_summary(_runs().drop(columns=["trigger_type"]))
