"""runlytics.plots.outcomes: the bars, rates and shares drawn are the helpers' figures."""

from __future__ import annotations

import matplotlib.colors as mcolors
import numpy as np
import pandas as pd
import pytest
from matplotlib.axes import Axes
from plot_frames import dates, frame, new_ax, run

from runlytics import analysis
from runlytics.plots import (
    FAILURE_COLOR,
    PALETTE,
    VOLUME_COLOR,
    plot_failure_pareto,
    plot_success_volume,
)

# -- success rate and volume -------------------------------------------------------------

# 5 Jan: 2 completed, 1 failed (rate 2/3); 6 Jan: no run; 7 Jan: 1 completed and
# 1 canceled (canceled is not finished: rate 1/1); 8 Jan: 1 still running (no rate).
DAILY = frame(
    run("a", created="2026-01-05T09:00:00"), run("b", created="2026-01-05T10:00:00"),
    run("c", status="failed", created="2026-01-05T11:00:00"),
    run("d", created="2026-01-07T09:00:00"),
    run("e", status="canceled", created="2026-01-07T23:30:00"),
    run("f", status="running", created="2026-01-08T09:00:00"),
)


def _rate_line(ax: Axes) -> np.ndarray:
    (twin,) = [other for other in ax.figure.axes if other is not ax]
    return twin.lines[0].get_xydata()


def test_success_volume_bars_are_runs_created_per_bucket() -> None:
    ax = plot_success_volume(DAILY, ax=new_ax(), freq="D")
    assert [p.get_height() for p in ax.patches] == [3, 0, 2, 1]
    assert [p.get_x() for p in ax.patches] == dates(
        "2026-01-05", "2026-01-06", "2026-01-07", "2026-01-08")
    assert [p.get_width() for p in ax.patches] == pytest.approx([0.92] * 4)  # of a day
    table = analysis.success_rate(DAILY, freq="D")
    assert [p.get_height() for p in ax.patches] == table["runs"].tolist()


def test_success_volume_line_is_the_helpers_success_rate() -> None:
    ax = plot_success_volume(DAILY, ax=new_ax(), freq="D")
    points = _rate_line(ax)
    assert points[:, 0].tolist() == dates("2026-01-05T12:00", "2026-01-06T12:00",
                                          "2026-01-07T12:00", "2026-01-08T12:00")
    np.testing.assert_array_equal(points[:, 1], [2 / 3, np.nan, 1.0, np.nan])
    rate = analysis.success_rate(DAILY, freq="D")["success_rate"]
    np.testing.assert_array_equal(points[:, 1], rate.to_numpy(dtype=float, na_value=np.nan))
    assert ax.texts[0].get_text() == "n = 6 runs, 4 finished (canceled not counted)"
    assert ax.get_xlabel() == "created, per day (UTC)"


def test_success_volume_buckets_in_the_time_zone() -> None:
    # 23:30 UTC on 7 Jan is 00:30 on 8 Jan in Paris.
    ax = plot_success_volume(DAILY, ax=new_ax(), freq="D", tz="Europe/Paris")
    assert [p.get_height() for p in ax.patches] == [3, 0, 1, 2]
    assert [p.get_x() for p in ax.patches] == dates(
        *(pd.Timestamp(d, tz="Europe/Paris") for d in
          ("2026-01-05", "2026-01-06", "2026-01-07", "2026-01-08")))
    np.testing.assert_array_equal(_rate_line(ax)[:, 1], [2 / 3, np.nan, 1.0, np.nan])
    assert ax.get_xlabel() == "created, per day (Europe/Paris)"


def test_success_volume_draws_partial_buckets_lighter() -> None:
    ax = plot_success_volume(DAILY, ax=new_ax(), freq="D", start="2026-01-05T08:00",
                             end="2026-01-08T12:00")
    colours = [mcolors.to_hex(p.get_facecolor()) for p in ax.patches]
    light, full = "#d9e3ee", VOLUME_COLOR.lower()
    assert colours == [light, full, full, light]
    assert ax.get_xlim() == tuple(dates("2026-01-05T08:00", "2026-01-08T12:00"))
    assert ax.texts[0].get_text() == ("n = 6 runs, 4 finished (canceled not counted); "
                                      "lighter bars: partial days")


def test_success_volume_rate_axis_starts_under_the_lowest_rate() -> None:
    def rate_limits(df: pd.DataFrame) -> tuple[list[float], tuple[float, float]]:
        ax = plot_success_volume(df, ax=new_ax(), freq="D")
        return _rate_line(ax)[:, 1].tolist(), ax.figure.axes[1].get_ylim()

    good = frame(*[run(f"ok{i}") for i in range(9)], run("bad", status="failed"))
    assert rate_limits(good) == ([0.9], (0.8, 1.04))  # a round floor below 90 %
    poor = frame(run("ok"), run("bad1", status="failed"), run("bad2", status="failed"))
    assert rate_limits(poor) == ([1 / 3], (0.0, 1.04))  # under 50 %: from 0


# -- failure Pareto ------------------------------------------------------------------------

# Failed runs: 3 PROXY_ERROR, 1 LLM_ERROR, 1 timed out without a category; a canceled
# run with a category and a completed one are not failures: 5 failed of 7 runs.
FAILURES = frame(
    *[run(f"p{i}", status="failed", category="PROXY_ERROR") for i in range(3)],
    run("l", status="failed", category="LLM_ERROR"),
    run("t", status="timed_out"),
    run("c", status="canceled", category="BROWSER_ERROR"),
    run("ok"),
)


def _bars(ax: Axes) -> list[tuple[str, int]]:
    """(label, count) of each bar, top bar first."""
    names = {round(float(loc)): label.get_text()
             for loc, label in zip(ax.get_yticks(), ax.get_yticklabels(), strict=True)}
    bars = sorted(ax.patches, key=lambda p: -(p.get_y() + p.get_height() / 2))
    return [(names[round(p.get_y() + p.get_height() / 2)], int(p.get_width())) for p in bars]


def test_failure_pareto_bars_are_the_helpers_counts_largest_on_top() -> None:
    ax = plot_failure_pareto(FAILURES, ax=new_ax())
    assert _bars(ax) == [("PROXY_ERROR", 3), ("LLM_ERROR", 1), ("uncategorized", 1)]
    table = analysis.failure_breakdown(FAILURES)
    assert _bars(ax) == list(zip(table["category"], table["count"], strict=True))
    colours = [mcolors.to_hex(p.get_facecolor()) for p in ax.patches]
    assert colours == [FAILURE_COLOR.lower(), FAILURE_COLOR.lower(), PALETTE["grey"].lower()]


def test_failure_pareto_labels_each_bar_with_its_share_and_the_cumulative_share() -> None:
    ax = plot_failure_pareto(FAILURES, ax=new_ax())
    assert [t.get_text().strip() for t in ax.texts[:-1]] == [
        "3 · 60% (cum. 60%)", "1 · 20% (cum. 80%)", "1 · 20% (cum. 100%)"]
    assert [t.get_position()[0] for t in ax.texts[:-1]] == [3, 1, 1]  # at each bar's end
    assert ax.texts[-1].get_text() == ("n = 5 failed runs (failed, terminated, timed_out) of "
                                       "7 runs; share of failed runs, cumulative")


def test_failure_pareto_groups_the_rest_as_other() -> None:
    ax = plot_failure_pareto(FAILURES, ax=new_ax(), top=1)
    assert _bars(ax) == [("PROXY_ERROR", 3), ("other (2 categories)", 2)]
    assert [t.get_text().strip() for t in ax.texts[:-1]] == [
        "3 · 60% (cum. 60%)", "2 · 40% (cum. 100%)"]
    assert mcolors.to_hex(ax.patches[1].get_facecolor()) == PALETTE["light"].lower()


def test_failure_pareto_without_failures() -> None:
    ax = plot_failure_pareto(frame(run("ok"), run("c", status="canceled",
                                                  category="PROXY_ERROR")), ax=new_ax())
    assert [t.get_text() for t in ax.texts] == ["no failed runs in this period"]
    assert len(ax.patches) == 0
