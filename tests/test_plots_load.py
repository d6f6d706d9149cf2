"""runlytics.plots.load: the steps and shares drawn are the helpers' figures."""

from __future__ import annotations

import matplotlib.colors as mcolors
import numpy as np
import pandas as pd
import pytest
from matplotlib.axes import Axes
from matplotlib.collections import PolyCollection
from plot_frames import DAY, dates, frame, new_ax, run

from runlytics import UnknownValueWarning, analysis
from runlytics.plots import (
    QUEUED_COLOR,
    RUNNING_COLOR,
    TRIGGER_COLORS,
    plot_runs_in_flight,
    plot_trigger_mix,
)

# -- runs in flight --------------------------------------------------------------------------

# a: queued 10:00, running 10:10-10:40. b: queued 10:20, running from 10:30 (open).
# c: queued from 10:50 (open). In 10-minute intervals from 10:00 to 11:00:
#   queued at most   1 0 1 0 0 1      running at most   0 1 1 2 1 1
START, END = (pd.Timestamp(f"{DAY}T{t}", tz="UTC") for t in ("10:00", "11:00"))
FLIGHT = frame(
    run("a", queued="10:00", started="10:10", finished="10:40"),
    run("b", status="running", queued="10:20", started="10:30"),
    run("c", status="queued", queued="10:50"),
)
EDGES = [f"{DAY}T10:{m}0" for m in range(6)] + [f"{DAY}T11:00"]


def _steps(ax: Axes) -> dict[str, list[float]]:
    return {line.get_label(): line.get_ydata().tolist() for line in ax.lines}


def test_runs_in_flight_draws_the_peak_of_each_interval() -> None:
    ax = plot_runs_in_flight(FLIGHT, ax=new_ax(), start=START, end=END, now=END,
                             points=6)
    # The last interval's value is repeated at the end of the range.
    assert _steps(ax) == {"queued": [1, 0, 1, 0, 0, 1, 1], "running": [0, 1, 1, 2, 1, 1, 1]}
    for line in ax.lines:
        assert line.get_xdata().tolist() == dates(*EDGES)
        assert line.get_drawstyle() == "steps-post"
    assert [mcolors.to_hex(line.get_color()) for line in ax.lines] == [
        QUEUED_COLOR.lower(), RUNNING_COLOR.lower()]
    assert ax.get_xlim() == tuple(dates(EDGES[0], EDGES[-1]))


def test_runs_in_flight_steps_are_the_helpers_figures() -> None:
    ax = plot_runs_in_flight(FLIGHT, ax=new_ax(), start=START, end=END, now=END,
                             points=6)
    table = analysis.runs_in_flight(FLIGHT, points=EDGES[:-1], now=END)
    steps = _steps(ax)
    assert steps["queued"][:-1] == table["queued_max"].tolist()
    assert steps["running"][:-1] == table["running_max"].tolist()


def test_runs_in_flight_says_the_interval_and_the_peaks() -> None:
    ax = plot_runs_in_flight(FLIGHT, ax=new_ax(), start=START, end=END, now=END,
                             points=6)
    assert ax.texts[0].get_text() == ("peak per 10 min interval: 2 running, 1 queued at most "
                                      "(paused counts as running)")
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["queued", "running"]
    assert ax.get_ylim() == pytest.approx((0, 2 * 1.12))
    assert ax.get_xlabel() == "time (UTC)"


def test_runs_in_flight_spans_the_first_queued_run_to_now_by_default() -> None:
    ax = plot_runs_in_flight(FLIGHT, ax=new_ax(), now=END, points=3)
    # From 10:00 (a was queued) to 11:00 in three 20-minute intervals.
    assert ax.lines[0].get_xdata().tolist() == dates(f"{DAY}T10:00", f"{DAY}T10:20",
                                                     f"{DAY}T10:40", f"{DAY}T11:00")
    assert _steps(ax) == {"queued": [1, 1, 1, 1], "running": [1, 2, 1, 1]}
    assert ax.texts[0].get_text().startswith("peak per 20 min interval:")


def test_runs_in_flight_with_nothing_in_flight() -> None:
    done = frame(run("a", queued="10:00", started="10:10", finished="10:40"))
    ax = plot_runs_in_flight(done, ax=new_ax(), start=END, end=END.replace(hour=12), now=END)
    assert [t.get_text() for t in ax.texts] == ["no run was queued or running in this period"]
    assert len(ax.lines) == 0


# -- trigger mix -----------------------------------------------------------------------------

# 5 Jan: api, api, manual. 6 Jan: scheduled and a run without a trigger type.
# 7 Jan: none. 8 Jan: api. Layers in the schema's order (manual, api, scheduled),
# "unknown" last.
MIX_RUNS = (
    run("a1", trigger="api", created="2026-01-05T09:00:00"),
    run("a2", trigger="api", created="2026-01-05T10:00:00"),
    run("m1", trigger="manual", created="2026-01-05T11:00:00"),
    run("s1", trigger="scheduled", created="2026-01-06T09:00:00"),
    run("u1", trigger=None, created="2026-01-06T10:00:00"),
    run("a3", trigger="api", created="2026-01-08T09:00:00"),
)
MIX = frame(*MIX_RUNS)
MIX_DAYS = ("2026-01-05", "2026-01-06", "2026-01-07", "2026-01-08")


def _layers(ax: Axes) -> dict[str, list[tuple[float, float]]]:
    """(bottom, height) of each bar, per legend label, in bucket order."""
    layers: dict[str, list[tuple[float, float]]] = {}
    for container in ax.containers:
        layers[container.get_label()] = [(round(p.get_y(), 6), round(p.get_height(), 6))
                                         for p in container]
    return layers


def test_trigger_mix_stacks_the_helpers_shares() -> None:
    ax = plot_trigger_mix(MIX, ax=new_ax(), freq="D")
    third = round(1 / 3, 6)
    assert _layers(ax) == {
        "manual": [(0, third), (0, 0), (0, 0), (0, 0)],
        "api": [(third, 1 - third), (0, 0), (0, 0), (0, 1)],
        "scheduled": [(1, 0), (0, 0.5), (0, 0), (1, 0)],
        "unknown": [(1, 0), (0.5, 0.5), (0, 0), (1, 0)],
    }
    shares = analysis.trigger_mix(MIX, freq="D").pivot(
        index="bucket", columns="trigger_type", values="share").fillna(0.0)
    for label, bars in _layers(ax).items():
        assert [h for _, h in bars] == pytest.approx(shares[label].astype(float).tolist())
    for container in ax.containers:
        assert [p.get_x() for p in container] == dates(*MIX_DAYS)


def test_trigger_mix_keeps_each_types_colour_and_labels_the_legend() -> None:
    with pytest.warns(UnknownValueWarning, match="carrier_pigeon"):
        df = frame(*MIX_RUNS, run("x", trigger="carrier_pigeon", created="2026-01-06T11:00:00"))
    ax = plot_trigger_mix(df, ax=new_ax(), freq="D")
    colours = {c.get_label(): mcolors.to_hex(c[0].get_facecolor()) for c in ax.containers}
    assert colours == {"manual": TRIGGER_COLORS["manual"].lower(),
                       "api": TRIGGER_COLORS["api"].lower(),
                       "scheduled": TRIGGER_COLORS["scheduled"].lower(),
                       "carrier_pigeon": "#555555",  # a type without a colour: a grey
                       "unknown": TRIGGER_COLORS["unknown"].lower()}
    # The legend lists the top layer first.
    assert [t.get_text() for t in ax.get_legend().get_texts()] == [
        "unknown", "carrier_pigeon", "scheduled", "api", "manual"]


def test_trigger_mix_states_its_sample_and_buckets() -> None:
    ax = plot_trigger_mix(MIX, ax=new_ax(), freq="D", tz="Europe/Paris")
    assert ax.texts[0].get_text() == "n = 6 runs; empty days left blank"
    assert ax.get_xlabel() == "created, per day (Europe/Paris)"
    assert ax.get_ylabel() == "share of runs created"
    assert [p.get_x() for p in ax.containers[0]] == dates(
        *(pd.Timestamp(d, tz="Europe/Paris") for d in MIX_DAYS))


def test_trigger_mix_of_many_buckets_is_a_stacked_area_of_the_same_shares() -> None:
    # 3 days in hours: 72 buckets, more than bars can show.
    df = frame(run("a", trigger="api", created="2026-01-05T00:30:00"),
               run("m", trigger="manual", created="2026-01-05T00:40:00"),
               run("b", trigger="api", created="2026-01-07T23:30:00"))
    ax = plot_trigger_mix(df, ax=new_ax(), freq="h")
    assert len(ax.patches) == 0
    manual, api = ax.collections  # stacked from the bottom, in layer order
    # Each layer's upper edge, sampled at the start of the first and the last hour:
    assert _upper_edge(manual, 0) == 0.5 and _upper_edge(api, 0) == 1.0
    assert _upper_edge(manual, 71) == 0.0 and _upper_edge(api, 71) == 1.0
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["api", "manual"]


def _upper_edge(layer: PolyCollection, bucket: int) -> float:
    """Height of a stackplot layer's top at the start of the ``bucket``-th hour."""
    vertices = layer.get_paths()[0].vertices
    x0 = vertices[:, 0].min()
    at = x0 + bucket / 24
    tops = vertices[np.isclose(vertices[:, 0], at), 1]
    return float(tops.max())
