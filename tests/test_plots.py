"""Plots: each returns its Axes, states units and time zone, copes with 0, 10 and 200k runs."""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

import matplotlib.colors as mcolors
import numpy as np
import pandas as pd
import pytest
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from runlytics import analysis, empty_frame, plots
from runlytics.errors import UsageError
from runlytics.plots.text import _text
from runlytics.schema import column

NOW = pd.Timestamp("2026-01-15", tz="UTC")
PNG = b"\x89PNG\r\n\x1a\n"


def synthetic(n: int, *, seed: int = 0, titles: tuple[str, ...] = ("Alpha", "Beta", "Gamma"),
              queue_scale: float = 1.5) -> pd.DataFrame:
    """``n`` runs over the 14 days before NOW with the columns the plots read."""
    rng = np.random.default_rng(seed)
    created = NOW - pd.to_timedelta(np.sort(rng.uniform(0, 14 * 86400, n))[::-1], unit="s")
    queued = created + pd.to_timedelta(rng.uniform(0, 2, n), unit="s")
    started = queued + pd.to_timedelta(rng.lognormal(2, queue_scale, n), unit="s")
    finished = started + pd.to_timedelta(rng.lognormal(4, 1, n), unit="s")
    statuses = rng.choice(["completed", "failed", "timed_out", "canceled"], n,
                          p=[0.8, 0.12, 0.05, 0.03])
    wf = rng.integers(0, len(titles), n)
    failed = np.isin(statuses, analysis.FAILURE_STATUSES)
    categories = np.where(failed, rng.choice(["PROXY_ERROR", "AUTH_FAILURE", "LLM_ERROR"], n),
                          None)
    return pd.DataFrame({
        "workflow_run_id": pd.array([f"wr_{i}" for i in range(n)], dtype="string[pyarrow]"),
        "workflow_permanent_id": pd.array([f"wpid_{k}" for k in wf], dtype="string[pyarrow]"),
        "workflow_title": pd.array(np.array(titles, dtype=object)[wf], dtype="string[pyarrow]"),
        "status": pd.Categorical(statuses, dtype=column("status").dtype),
        "trigger_type": pd.Categorical(rng.choice(["api", "manual", "scheduled", None], n),
                                       dtype=column("trigger_type").dtype),
        "primary_failure_category": pd.Categorical(
            categories, dtype=column("primary_failure_category").dtype),
        "created_at": created, "queued_at": queued, "started_at": started,
        "finished_at": finished,
    })


@pytest.fixture(scope="module")
def ten() -> pd.DataFrame:
    return synthetic(10, seed=1)


@pytest.fixture(scope="module")
def large() -> pd.DataFrame:
    return synthetic(200_000, seed=2)


def _ax() -> Axes:
    return Figure(figsize=(9, 4.2), layout="constrained").add_subplot()


ALL: list[tuple[Callable[..., Axes], dict[str, Any]]] = [
    (plots.plot_queue_latency, {"now": NOW}),
    (plots.plot_duration_by_workflow, {}),
    (plots.plot_failure_pareto, {}),
    (plots.plot_trigger_mix, {"tz": "Europe/Paris"}),
    (plots.plot_success_volume, {"tz": "Europe/Paris"}),
    (plots.plot_runs_in_flight, {"tz": "Europe/Paris", "now": NOW}),
]
IDS = [f.__name__ for f, _ in ALL]


@pytest.mark.parametrize("plot, kwargs", ALL, ids=IDS)
def test_each_plot_returns_its_axes_with_title_and_labels(
        plot: Callable[..., Axes], kwargs: dict[str, Any], ten: pd.DataFrame) -> None:
    ax = _ax()
    assert plot(ten, ax=ax, **kwargs) is ax
    assert ax.get_title(loc="left").strip()
    assert ax.get_xlabel() and ax.get_ylabel()
    ax.figure.savefig(io.BytesIO(), format="png")  # draws without warnings


@pytest.mark.parametrize("plot, kwargs", ALL, ids=IDS)
def test_each_plot_says_so_when_there_is_nothing(plot: Callable[..., Axes],
                                                 kwargs: dict[str, Any]) -> None:
    ax = plot(empty_frame(), ax=_ax(), **kwargs)
    assert any(t.get_text().startswith("no ") for t in ax.texts)


@pytest.mark.parametrize("plot, kwargs", ALL, ids=IDS)
def test_each_plot_renders_a_png_of_200k_runs(plot: Callable[..., Axes], kwargs: dict[str, Any],
                                              large: pd.DataFrame) -> None:
    png = plots.render_png(plot, large, **kwargs)
    assert png.startswith(PNG) and len(png) > 10_000


def test_time_axes_state_the_time_zone(ten: pd.DataFrame) -> None:
    for plot in (plots.plot_trigger_mix, plots.plot_success_volume, plots.plot_runs_in_flight):
        assert "(Europe/Paris)" in plot(ten, ax=_ax(), tz="Europe/Paris").get_xlabel()
    assert plots.plot_trigger_mix(ten, ax=_ax()).get_xlabel() == "created, per day (UTC)"
    with pytest.raises(UsageError):
        plots.plot_trigger_mix(ten, ax=_ax(), tz="Mars/Olympus")


def test_queue_latency_uses_a_log_axis_across_decades(large: pd.DataFrame) -> None:
    ax = plots.plot_queue_latency(large, ax=_ax(), now=NOW)
    assert ax.get_xscale() == "log"
    assert ax.get_xlabel() == "queue seconds (log scale)"
    curve = ax.lines[0]
    assert len(curve.get_xdata()) <= plots.ECDF_POINTS + 1  # a million runs, a few k points
    stats = analysis.latency_summary(large, metrics=["queue_seconds"], now=NOW).iloc[0]
    labels = [line.get_label() for line in ax.lines[1:]]
    assert labels == [f"p50 {plots.format_seconds(stats['p50'])}",
                      f"p90 {plots.format_seconds(stats['p90'])}",
                      f"p99 {plots.format_seconds(stats['p99'])}"]
    narrow = synthetic(50, queue_scale=0.05)
    assert plots.plot_queue_latency(narrow, ax=_ax(), now=NOW).get_xscale() == "linear"


def test_duration_by_workflow_slowest_first_with_clean_labels() -> None:
    titles = ("Fast", "Price $5 \u202eevil\x1b[31m <b>", "Slow")
    df = synthetic(300, titles=titles)
    ax = plots.plot_duration_by_workflow(df, ax=_ax())
    labels = [t.get_text() for t in ax.get_yticklabels()]
    stats = analysis.latency_summary(df, by="workflow_permanent_id",
                                     metrics=["duration_seconds"], now=NOW)
    slowest = stats.sort_values("p50", ascending=False)["workflow_permanent_id"].iloc[0]
    top = titles[int(slowest.split("_")[1])]
    assert labels[-1].startswith(_text(top, 34))  # the top row is the slowest
    hostile = next(label for label in labels if "Price" in label)
    assert hostile.startswith(r"Price \$5 evil[31m <b>")  # no mathtext, bidi or ESC
    ax.figure.savefig(io.BytesIO(), format="png")


def test_failure_pareto_shares_from_the_helper(ten: pd.DataFrame, large: pd.DataFrame) -> None:
    table = analysis.failure_breakdown(large)
    ax = plots.plot_failure_pareto(large, ax=_ax(), top=2)
    names = [t.get_text() for t in ax.get_yticklabels()]
    assert names == [*table["category"].iloc[:2], "other (1 categories)"]
    first = table.iloc[0]
    assert ax.texts[0].get_text().strip() == (f"{first['count']:,} · "
                                             f"{first['share_of_failures']:.0%} (cum. "
                                             f"{first['share_of_failures']:.0%})")


def test_trigger_colours_are_stable(ten: pd.DataFrame) -> None:
    ax = plots.plot_trigger_mix(ten, ax=_ax())
    handles, labels = ax.get_legend_handles_labels()
    for handle, label in zip(handles, labels, strict=True):
        colour = mcolors.to_hex(handle.patches[0].get_facecolor())
        assert colour == plots.TRIGGER_COLORS[label].lower()


def test_ax_none_makes_a_pyplot_figure(ten: pd.DataFrame) -> None:
    import matplotlib.pyplot as plt

    ax = plots.plot_failure_pareto(ten)
    try:
        assert ax.figure in [plt.figure(n) for n in plt.get_fignums()]
    finally:
        plt.close("all")


def test_helpers() -> None:
    assert [plots.format_seconds(v) for v in (0.42, 7.44, 150, 6480, 181440, None)] == [
        "0.42 s", "7.44 s", "2.5 min", "1.8 h", "2.1 d", "–"]
    assert [plots.auto_freq("2026-01-01", end) for end in
            ("2026-01-02", "2026-01-04", "2026-01-08", "2026-06-01", "2028-01-01")] == [
        "h", "3h", "D", "W", "MS"]
    assert _text("a\tb\u202e$c\x00" + "x" * 60, 12) == r"a b\$cxxxxx…"
    with pytest.raises(UsageError):
        plots.plot_queue_latency(empty_frame(), ax=_ax(), metric="latency")
