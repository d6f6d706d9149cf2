"""runlytics.plots.latency: the curve, percentiles and boxes drawn are the helpers' figures."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from matplotlib.axes import Axes
from plot_frames import NOW, drawn_labels, frame, new_ax, run, synthetic

from runlytics import analysis
from runlytics.errors import UsageError
from runlytics.plots import (
    ECDF_POINTS,
    STRIP_MAX,
    format_seconds,
    plot_duration_by_workflow,
    plot_queue_latency,
)

# -- queue latency ---------------------------------------------------------------------------

# Queue seconds 10, 20, 30, 40, 100; one run still queued since 10:00 (2 h before NOW);
# one started 60 s before it was queued (clock skew beyond tolerance: left out).
LINEAR = frame(
    run("a", queued="10:00:00", started="10:00:10", finished="10:01:00"),
    run("b", queued="10:00:00", started="10:00:20", finished="10:01:00"),
    run("c", queued="10:00:00", started="10:00:30", finished="10:01:00"),
    run("d", queued="10:00:00", started="10:00:40", finished="10:01:00"),
    run("e", queued="10:00:00", started="10:01:40", finished="10:02:00"),
    run("waiting", status="queued", queued="10:00:00"),
    run("skewed", queued="10:00:00", started="09:59:00", finished="10:01:00"),
)


def _percentile_lines(ax: Axes) -> list[tuple[str, float]]:
    return [(line.get_label(), float(line.get_xdata()[0])) for line in ax.lines[1:]]


def test_queue_latency_draws_the_ecdf_of_the_known_values() -> None:
    ax = plot_queue_latency(LINEAR, ax=new_ax(), now=NOW)
    assert ax.lines[0].get_xydata().tolist() == [
        [10.0, 0.2], [20.0, 0.4], [30.0, 0.6], [40.0, 0.8], [100.0, 1.0]]
    assert ax.get_xscale() == "linear"
    assert ax.get_xlabel() == "queue seconds"
    assert ax.get_ylabel() == "share of runs at or below"


def test_queue_latency_marks_the_helpers_percentiles() -> None:
    ax = plot_queue_latency(LINEAR, ax=new_ax(), now=NOW)
    # p90 = 40 + 0.6 * (100 - 40), p99 = 40 + 0.96 * (100 - 40)
    assert _percentile_lines(ax) == [("p50 30 s", 30.0), ("p90 1.27 min", 76.0),
                                     ("p99 1.63 min", pytest.approx(97.6))]
    stats = analysis.latency_summary(LINEAR, metrics=["queue_seconds"], now=NOW).iloc[0]
    assert [x for _, x in _percentile_lines(ax)] == pytest.approx(
        [stats["p50"], stats["p90"], stats["p99"]])
    assert ax.get_legend().get_title().get_text() == "percentiles"
    assert [t.get_text() for t in ax.get_legend().get_texts()] == [
        "p50 30 s", "p90 1.27 min", "p99 1.63 min"]


def test_queue_latency_says_what_it_left_out() -> None:
    ax = plot_queue_latency(LINEAR, ax=new_ax(), now=NOW)
    assert ax.get_title(loc="left") == "Queue latency (queued → started)\n"
    assert ax.texts[0].get_text() == ("n = 5 runs; 1 still queued (oldest 2 h), not included; "
                                      "1 negative values left out")


def test_queue_latency_on_a_log_axis_starts_at_the_share_of_zeros() -> None:
    # Queue seconds 0 (2 s of skew, clamped), 1, 10, 1000: three decades.
    df = frame(
        run("zero", queued="10:00:02", started="10:00:00", finished="10:30:00"),
        run("one", queued="10:00:00", started="10:00:01", finished="10:30:00"),
        run("ten", queued="10:00:00", started="10:00:10", finished="10:30:00"),
        run("slow", queued="10:00:00", started="10:16:40", finished="10:30:00"),
    )
    ax = plot_queue_latency(df, ax=new_ax(), now=NOW)
    assert ax.get_xscale() == "log"
    assert ax.get_xlabel() == "queue seconds (log scale)"
    # The zero cannot sit on a log axis: the curve starts at its share, at half of 1 s.
    assert ax.lines[0].get_xydata().tolist() == [
        [0.5, 0.25], [0.5, 0.25], [1.0, 0.5], [10.0, 0.75], [1000.0, 1.0]]
    assert ax.get_xlim() == pytest.approx((0.5, 1300.0))
    assert drawn_labels(ax) == ["1 s", "10 s", "1 min", "10 min"]
    # p50 = 5.5 s, p90 = 703 s, p99 = 970.3 s
    assert _percentile_lines(ax) == [("p50 5.5 s", 5.5), ("p90 11.7 min", pytest.approx(703)),
                                     ("p99 16.2 min", pytest.approx(970.3))]
    assert ax.texts[0].get_text() == "n = 4 runs; 1 at 0 s"


def test_queue_latency_of_another_metric() -> None:
    df = frame(run("a", queued="10:00", started="10:00", finished="10:02"),
               run("b", queued="10:00", started="10:00", finished="10:06"),
               run("c", status="running", queued="10:00", started="11:00"))
    ax = plot_queue_latency(df, ax=new_ax(), metric="duration_seconds", now=NOW)
    assert ax.lines[0].get_xydata().tolist() == [[120.0, 0.5], [360.0, 1.0]]
    assert ax.get_title(loc="left") == "Duration (started → finished)\n"
    assert ax.texts[0].get_text() == "n = 2 runs; 1 still running (oldest 1 h), not included"
    assert drawn_labels(ax) == ["0 s", "1 min", "2 min", "3 min", "4 min", "5 min", "6 min"]
    with pytest.raises(UsageError, match="metric must be one of"):
        plot_queue_latency(df, ax=new_ax(), metric="latency")


def test_queue_latency_of_many_runs_draws_a_few_thousand_points() -> None:
    large = synthetic(200_000, seed=2)
    ax = plot_queue_latency(large, ax=new_ax(), now=NOW)
    xs, ys = ax.lines[0].get_xdata(), ax.lines[0].get_ydata()
    assert len(xs) <= ECDF_POINTS + 1
    values = analysis.timings(large)["queue_seconds"].dropna().to_numpy(dtype=float)
    assert xs[-1] == values.max() and ys[-1] == 1.0
    # Each drawn point is on the ECDF: above the share of runs below its value, at
    # most the share at or below it (equal values make one step).
    sample = np.sort(values)
    below = np.searchsorted(sample, xs[1:], side="left") / len(sample)
    at_or_below = np.searchsorted(sample, xs[1:], side="right") / len(sample)
    assert (ys[1:] > below).all() and (ys[1:] <= at_or_below).all()
    stats = analysis.latency_summary(large, metrics=["queue_seconds"], now=NOW).iloc[0]
    assert [label for label, _ in _percentile_lines(ax)] == [
        f"p50 {format_seconds(stats['p50'])}", f"p90 {format_seconds(stats['p90'])}",
        f"p99 {format_seconds(stats['p99'])}"]


# -- duration by workflow ----------------------------------------------------------------

# Durations: Alpha 60, 120, 180 s (median 120); Beta 600, 900 s (median 750);
# Gamma 30 s. Slowest median at the top: Beta, Alpha, Gamma.
WORKFLOWS = frame(
    run("a1", workflow="wpid_a", title="Alpha", started="10:00", finished="10:01"),
    run("a2", workflow="wpid_a", title="Alpha", started="10:00", finished="10:02"),
    run("a3", workflow="wpid_a", title="Alpha", started="10:00", finished="10:03"),
    run("b1", workflow="wpid_b", title="Beta", started="10:00", finished="10:10"),
    run("b2", workflow="wpid_b", title="Beta", started="10:00", finished="10:15"),
    run("c1", workflow="wpid_c", title="Gamma", started="10:00", finished="10:00:30"),
    run("c2", status="running", workflow="wpid_c", title="Gamma", started="10:00"),
)


def _boxes(ax: Axes) -> list[tuple[float, float, float]]:
    """(25th percentile, median, 75th percentile) of each box, bottom to top."""
    medians = [float(line.get_xdata()[0]) for line in ax.lines[4::5]]
    spans = [p.get_path().get_extents() for p in ax.patches]
    return [(float(s.x0), m, float(s.x1)) for s, m in zip(spans, medians, strict=True)]


def test_duration_by_workflow_draws_each_workflows_quartiles_slowest_on_top() -> None:
    ax = plot_duration_by_workflow(WORKFLOWS, ax=new_ax())
    assert [t.get_text() for t in ax.get_yticklabels()] == [
        "Gamma  (n=1)", "Alpha  (n=3)", "Beta  (n=2)"]
    assert _boxes(ax) == [(30.0, 30.0, 30.0), (90.0, 120.0, 150.0), (675.0, 750.0, 825.0)]
    stats = analysis.latency_summary(WORKFLOWS, by="workflow_permanent_id",
                                     metrics=["duration_seconds"], now=NOW)
    slowest_first = stats["p50"].astype(float).sort_values(ascending=False).tolist()
    assert [m for _, m, _ in _boxes(ax)] == slowest_first[::-1]


def test_duration_by_workflow_shows_each_run_as_a_dot_when_few() -> None:
    ax = plot_duration_by_workflow(WORKFLOWS, ax=new_ax())
    assert [sorted(c.get_offsets()[:, 0].tolist()) for c in ax.collections] == [
        [30.0], [60.0, 120.0, 180.0], [600.0, 900.0]]
    rows = [np.round(c.get_offsets()[:, 1]).tolist() for c in ax.collections]
    assert rows == [[1.0], [2.0, 2.0, 2.0], [3.0, 3.0]]  # each on its workflow's box
    assert ax.texts[0].get_text() == ("3 workflows, slowest median first; box 25–75%, "
                                      "whiskers 5–95%, line median, dots = runs")
    many = frame(*[run(f"r{i}", started="10:00", finished="10:01")
                   for i in range(STRIP_MAX + 1)])
    assert len(plot_duration_by_workflow(many, ax=new_ax()).collections) == 0


def test_duration_by_workflow_shows_the_top_slowest() -> None:
    ax = plot_duration_by_workflow(WORKFLOWS, ax=new_ax(), top=2)
    assert [t.get_text() for t in ax.get_yticklabels()] == ["Alpha  (n=3)", "Beta  (n=2)"]
    assert ax.texts[0].get_text().startswith("2 slowest of 3 workflows, slowest median first")


def test_duration_by_workflow_names_workflows_by_their_latest_title() -> None:
    df = frame(
        run("old", workflow="wpid_a", title="Old name", created="09:00", started="10:00",
            finished="10:01"),
        run("new", workflow="wpid_a", title="New name", created="10:00", started="10:00",
            finished="10:02"),
        run("twin1", workflow="wpid_b", title="New name", created="10:00", started="10:00",
            finished="10:05"),
        run("twin2", workflow="wpid_b", title="New name", created="10:00", started="10:00",
            finished="10:05"),
        run("anon", workflow="wpid_c", title=None, created="10:00", started="10:00",
            finished="10:03"),
    )
    labels = [t.get_text() for t in plot_duration_by_workflow(df, ax=new_ax()).get_yticklabels()]
    # The same title twice: told apart by the workflow id; no title: the id.
    assert labels == ["New name  (n=2) [wpid_a]", "wpid_c  (n=1) [wpid_c]",
                      "New name  (n=2) [wpid_b]"]


def test_duration_by_workflow_on_a_log_axis() -> None:
    df = frame(run("quick", workflow="wpid_a", started="10:00:00", finished="10:00:01"),
               run("slow", workflow="wpid_b", title="Beta", started="10:00",
                   finished="10:16:40"))
    ax = plot_duration_by_workflow(df, ax=new_ax())
    assert ax.get_xscale() == "log"
    assert ax.get_xlabel() == "duration per run (log scale)"
    assert _boxes(ax) == [(1.0, 1.0, 1.0), (1000.0, 1000.0, 1000.0)]
    assert drawn_labels(ax) == ["1 s", "10 s", "1 min", "10 min"]


def test_duration_by_workflow_of_queue_seconds() -> None:
    ax = plot_duration_by_workflow(LINEAR, ax=new_ax(), metric="queue_seconds")
    assert ax.get_title(loc="left") == "Queue latency by workflow (queued → started)\n"
    assert _boxes(ax) == [(20.0, 30.0, 40.0)]
    assert ax.get_xlabel() == "queue latency per run"


def test_duration_by_workflow_with_no_finished_run() -> None:
    df = frame(run("r", status="running", started="10:00"))
    ax = plot_duration_by_workflow(df, ax=new_ax())
    assert [t.get_text() for t in ax.texts] == ["no finished runs in this period"]
    assert len(ax.patches) == 0
    assert pd.isna(analysis.latency_summary(df, metrics=["duration_seconds"],
                                            now=NOW)["p50"].iloc[0])
