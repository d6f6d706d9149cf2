"""runlytics.plots.axes: bucket sizes for a range, and seconds axes labelled for people."""

from __future__ import annotations

import pytest
from plot_frames import NOW, drawn_labels, frame, new_ax, run

from runlytics.plots import auto_freq, plot_queue_latency


@pytest.mark.parametrize(("end", "freq"), [
    ("2026-01-02", "h"), ("2026-01-02T12:00", "h"), ("2026-01-02T12:00:01", "3h"),
    ("2026-01-04", "3h"), ("2026-01-08", "D"), ("2026-03-04", "D"), ("2026-06-01", "W"),
    ("2028-01-01", "MS"),
])
def test_auto_freq(end: str, freq: str) -> None:
    assert auto_freq("2026-01-01", end) == freq


def _axis_of(*queue_seconds: int) -> list[str]:
    runs = [run(f"r{i}", queued="10:00:00", started=f"10:{s // 60:02d}:{s % 60:02d}",
                finished="11:00:00") for i, s in enumerate(queue_seconds)]
    return drawn_labels(plot_queue_latency(frame(*runs), ax=new_ax(), now=NOW))


def test_linear_seconds_axes_step_in_the_unit_of_their_range() -> None:
    assert _axis_of(2, 9) == ["0 s", "2 s", "4 s", "6 s", "8 s"]
    assert _axis_of(20, 50) == ["0 s", "10 s", "20 s", "30 s", "40 s", "50 s"]
    assert _axis_of(200, 500) == ["0 s", "2 min", "4 min", "6 min", "8 min"]


def test_log_seconds_axes_tick_at_round_units() -> None:
    assert _axis_of(1, 59 * 60) == ["1 s", "10 s", "1 min", "10 min", "1 h"]
