"""Retries and flakiness per workflow."""

from __future__ import annotations

import numpy as np
import pandas as pd

from runlytics.analysis import FLAKY_COLUMNS, flaky_workflows


def _runs() -> pd.DataFrame:
    """wpid_a alternates; wpid_b fails on attempt 1, a manual retry chain rescues wr_b2."""
    return pd.DataFrame({
        "workflow_permanent_id": ["wpid_a"] * 5 + ["wpid_b"] * 5 + ["wpid_c"],
        "workflow_title": ["A"] * 5 + ["B"] * 5 + ["C"],
        "workflow_run_id": [f"wr_a{i}" for i in range(5)] + [f"wr_b{i}" for i in range(5)]
        + ["wr_c0"],
        "status": ["completed", "failed", "completed", "failed", "failed",
                   "completed", "failed", "failed", "completed", "canceled", "failed"],
        "attempt": [1, 1, 2, 1, 1, 2, 1, 1, 1, 1, None],
        "retry_pending": [False] * 4 + [True] + [False] * 6,
        "retried_from_workflow_run_id": [None, None, None, None, "wr_a3", None, None, "wr_b1",
                                         "wr_b2", None, None],
        "created_at": pd.date_range("2026-01-05", periods=11, freq="h", tz="UTC")})


def test_whole_frame() -> None:
    got = flaky_workflows(_runs(), min_runs=3)
    expected = pd.DataFrame({
        "workflow_permanent_id": pd.array(["wpid_a", "wpid_b"], dtype=pd.StringDtype("pyarrow")),
        "workflow_title": pd.array(["A", "B"], dtype=pd.StringDtype("pyarrow")),
        "runs": np.array([5, 5]), "n_finished": np.array([5, 4]),
        # a: origins a0-a3, only a0 on attempt 1; a2 completed on attempt 2
        # b: origins b0, b1 (b2, b3 retry b1); b0 completed on attempt 2, b1 rescued by b3
        "first_attempt_success_rate": pd.array([0.25, 0.0], dtype="Float64"),
        "eventual_success_rate": pd.array([0.5, 1.0], dtype="Float64"),
        "succeeded_after_retry": np.array([1, 2]),
        "retry_pending": np.array([1, 0]),
        "flips": np.array([3, 2]),  # a: C F C F F; b: C F F C
        "flip_rate": pd.array([0.75, 2 / 3], dtype="Float64"),
        "current_failure_streak": np.array([2, 0]),
        "flaky": np.array([True, True])})
    assert list(got.columns) == list(FLAKY_COLUMNS)
    pd.testing.assert_frame_equal(got, expected)


def test_minimum_sample_and_threshold() -> None:
    assert flaky_workflows(_runs(), min_runs=5)["workflow_permanent_id"].tolist() == ["wpid_a"]
    got = flaky_workflows(_runs(), min_runs=1, flaky_flip_rate=0.7)
    assert got[["workflow_permanent_id", "flaky"]].values.tolist() == [
        ["wpid_a", True], ["wpid_b", False], ["wpid_c", False]]
    assert got["current_failure_streak"].tolist() == [2, 0, 1]
