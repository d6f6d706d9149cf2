"""Kaplan-Meier latency percentiles with runs still open censored at ``now``."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from runlytics.analysis import censored_latency, km_quantiles
from runlytics.errors import UsageError

t = lambda *s: pd.to_datetime(list(s), utc=True)  # noqa: E731


def _runs() -> pd.DataFrame:
    """Queue waits 60, 120, 180, 600 s; two runs queued since 11:00; one running since 11:40."""
    return pd.DataFrame({
        "status": ["completed", "failed", "completed", "queued", "queued", "running"],
        "created_at": t(*["2026-01-05 10:00"] * 3, "2026-01-05 11:00", "2026-01-05 11:00",
                        "2026-01-05 11:30"),
        "queued_at": t(*["2026-01-05 10:00"] * 3, "2026-01-05 11:00", "2026-01-05 11:00",
                       "2026-01-05 11:30"),
        "started_at": t("2026-01-05 10:01", "2026-01-05 10:02", "2026-01-05 10:03", None, None,
                        "2026-01-05 11:40"),
        "finished_at": t("2026-01-05 10:05", "2026-01-05 10:06", "2026-01-05 10:07", None,
                         None, None)})


def test_backlog_raises_the_percentile() -> None:
    got = censored_latency(_runs(), now="2026-01-05 12:00")
    expected = pd.DataFrame({
        "metric": pd.array(["queue_seconds", "duration_seconds"], dtype=pd.StringDtype("pyarrow")),
        "n": np.array([4, 3]), "n_censored": np.array([2, 1]),
        # queue, 6 at risk: S(60) = 5/6, S(120) = 4/6, S(180) = 3/6 -> p50 = 180 (finished
        # alone: 120); S(600) = 2/6 > 0.1 -> p90 never reached. Duration: S(240) = 1/4.
        "p50": pd.array([180.0, 240.0], dtype="Float64"),
        "p50_finished": pd.array([150.0, 240.0], dtype="Float64"),
        "p50_differs": np.array([True, False]),
        "p90": pd.array([None, None], dtype="Float64"),
        "p90_finished": pd.array([474.0, 240.0], dtype="Float64"),
        "p90_differs": np.array([True, True])})
    pd.testing.assert_frame_equal(got, expected)


def test_matches_scipy_kaplan_meier() -> None:
    rng = np.random.default_rng(3)
    events, censored = rng.exponential(60, 200).round(), rng.exponential(90, 50).round()
    sf = stats.ecdf(stats.CensoredData(uncensored=events, right=censored)).sf
    for q, got in zip((0.25, 0.5, 0.75), km_quantiles(events, censored, (0.25, 0.5, 0.75)),
                      strict=True):
        reached = sf.quantiles[sf.probabilities <= 1 - q + 1e-12]
        assert got == reached.min()


def test_nothing_open_nothing_differs() -> None:
    runs = _runs().iloc[:3]  # queue waits 60, 120, 180
    got = censored_latency(runs, now="2026-01-05 12:00", metrics=["queue_seconds"])
    assert got[["n_censored", "p50", "p50_finished", "p50_differs"]].values.tolist() == [
        [0, 120.0, 120.0, False]]


def test_refuses_bad_options() -> None:
    with pytest.raises(UsageError):
        censored_latency(_runs(), now="2026-01-05 12:00", quantiles=(1.0,))
    with pytest.raises(UsageError):
        censored_latency(_runs(), now="2026-01-05 12:00", metrics=["latency"])
