"""Change detection: test statistics against scipy, no false alarms, a degraded workflow found."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from runlytics.analysis import CHANGE_COLUMNS, changes
from runlytics.frame import runs_frame
from runlytics.simulator import Simulator

NOW = datetime(2026, 11, 28, 21, 5, tzinfo=UTC)
END = pd.Timestamp("2026-11-28", tz="UTC")
START = END - pd.Timedelta("7D")
STAMPS = ["created_at", "queued_at", "started_at", "finished_at", "modified_at"]


def _literal() -> pd.DataFrame:
    """wpid_a: 40 completed runs, then 10 completed and 30 failed; 5-minute runs."""
    created = pd.date_range("2026-01-01", periods=80, freq="h", tz="UTC")
    return pd.DataFrame({"workflow_permanent_id": "wpid_a", "workflow_title": "A",
                         "status": ["completed"] * 40 + ["failed"] * 30 + ["completed"] * 10,
                         "created_at": created, "queued_at": created,
                         "started_at": created + pd.Timedelta("1min"),
                         "finished_at": created + pd.Timedelta("6min")})


def _row(got: pd.DataFrame, metric: str, wpid: str | None = "wpid_a") -> dict:
    ids = got["workflow_permanent_id"]
    mask = (ids.isna() if wpid is None else ids == wpid) & (got["metric"] == metric)
    rows = got[mask].to_dict("records")
    assert len(rows) == 1
    return rows[0]


def test_statistics_match_reference_values() -> None:
    got = changes(_literal(), period_start="2026-01-02 16:00", period_end="2026-01-04 08:00")
    assert list(got.columns) == list(CHANGE_COLUMNS)
    assert got["metric"].tolist()[:7] == ["success_rate", "failed_runs", "queue_seconds.p50",
                                         "queue_seconds.p90", "duration_seconds.p50",
                                         "duration_seconds.p90", "runs"]
    rate = _row(got, "success_rate")
    # pooled 50/80; se = sqrt(.625 * .375 * (1/40 + 1/40)); z = -.75 / se
    z = -0.75 / np.sqrt(0.625 * 0.375 * (2 / 40))
    assert rate["p_value"] == pytest.approx(2 * stats.norm.sf(abs(z)), rel=1e-12)
    assert (rate["previous"], rate["current"], rate["change"], rate["test"]) == (
        1.0, 0.25, -0.75, "two_proportion_z")
    assert rate["effect_size"] == pytest.approx(2 * np.arcsin(.5) - 2 * np.arcsin(1.0))
    failed = _row(got, "failed_runs")
    assert (failed["previous"], failed["current"], failed["n_previous"], failed["n_current"]) \
        == (0.0, 30.0, 40, 40)
    assert failed["p_value"] == pytest.approx(stats.binomtest(30, 30, 0.5).pvalue, rel=1e-12)
    runs = _row(got, "runs")
    assert (runs["p_value"], runs["significant"]) == (1.0, False)
    queue = _row(got, "queue_seconds.p50")
    assert (queue["previous"], queue["current"], queue["p_value"]) == (60.0, 60.0, 1.0)
    # the organisation holds the same runs
    assert _row(got, "success_rate", None)["p_value"] == rate["p_value"]


def test_fisher_for_small_counts_and_longer_baseline() -> None:
    got = changes(_literal(), period_start="2026-01-03 04:00", period_end="2026-01-04 08:00",
                  baseline="52h", min_n=10)
    rate = _row(got, "success_rate")  # previous 52 runs: 40 ok of 52; current 28: 10 of 28
    assert (rate["n_previous"], rate["n_current"]) == (52, 28)
    runs = _row(got, "runs")  # previous scaled to the current length: 52 * 28 / 52
    assert runs["previous"] == pytest.approx(28.0)
    assert runs["p_value"] == pytest.approx(
        stats.binomtest(28, 80, 28 / 80).pvalue, abs=0.02)
    assert _row(got, "duration_seconds.p90")["test"] == "mood_quantile_fisher"


def test_small_samples_never_flag_and_no_finished_runs_is_no_data() -> None:
    got = changes(_literal(), period_start="2026-01-02 16:00", period_end="2026-01-04 08:00",
                  min_n=41)  # 40 runs a period: rates and percentiles untested, counts (80) tested
    untested = got["metric"].isin(["runs", "failed_runs"])
    assert got.loc[~untested, "p_value"].isna().all() and not got["significant"][~untested].any()
    got = changes(_literal(), period_start="2026-01-02 16:00", period_end="2026-01-04 08:00",
                  min_n=81)
    assert got["p_value"].isna().all() and not got["significant"].any()
    open_runs = _literal().assign(status="running", finished_at=pd.NaT)
    got = changes(open_runs, period_start="2026-01-02 16:00", period_end="2026-01-04 08:00")
    rate = _row(got, "success_rate")
    assert (rate["previous"], rate["current"], rate["n_previous"]) == (None, None, 0)


def _steady(seed: int) -> pd.DataFrame:
    """Simulated runs spread evenly over the two weeks: nothing changes between them.

    (The simulator's history grows 0.8 -> 1.2 over its window, a real change in
    volume; re-drawing each run's creation time keeps every run and removes it.)
    """
    df = runs_frame([Simulator(n_runs=2500, seed=seed, now=NOW, days=14).runs()])
    rng = np.random.default_rng(seed)
    new = START - pd.Timedelta("7D") + pd.to_timedelta(rng.uniform(0, 14 * 86_400, len(df)),
                                                       unit="s")
    shift = new - df["created_at"]
    return df.assign(**{c: df[c] + shift for c in STAMPS})


@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5])
def test_no_false_alarms(seed: int) -> None:
    got = changes(_steady(seed), period_start=START, period_end=END)
    assert got["p_value"].notna().sum() > 50  # something was tested
    assert got[got["significant"]].empty


def test_degraded_workflow_found_and_nothing_else() -> None:
    df = _steady(2)
    target = df["workflow_permanent_id"].value_counts().index[0]
    rng = np.random.default_rng(0)
    hit = (df["workflow_permanent_id"] == target) & (df["created_at"] >= START)
    fail = hit & (df["status"] == "completed") & (rng.random(len(df)) < 0.5)
    df.loc[fail, "status"] = "failed"
    slow = hit & df["finished_at"].notna() & df["started_at"].notna()
    df.loc[slow, "finished_at"] = (df["started_at"] + 3 * (df["finished_at"]
                                                           - df["started_at"]))[slow]
    got = changes(df, period_start=START, period_end=END)
    flagged = got[got["significant"]]
    assert set(flagged["workflow_permanent_id"].dropna()) == {target}
    mine = set(flagged.loc[flagged["workflow_permanent_id"] == target, "metric"])
    assert {"success_rate", "failed_runs", "duration_seconds.p50",
            "duration_seconds.p90"} <= mine
    assert mine <= {"success_rate", "failed_runs", "duration_seconds.p50",
                    "duration_seconds.p90"}
