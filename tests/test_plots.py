"""runlytics.plots as a whole: its names, and what every plot does (axes, PNG, no data)."""

from __future__ import annotations

import io
import types
import warnings
from collections.abc import Callable
from typing import Any

import matplotlib.image as mimage
import pandas as pd
import pytest
from matplotlib.axes import Axes
from plot_frames import NOW, new_ax, synthetic

from runlytics import empty_frame, plots, units
from runlytics.errors import UsageError

ALL: list[tuple[Callable[..., Axes], dict[str, Any], str]] = [
    (plots.plot_queue_latency, {"now": NOW}, "no runs with both timestamps in this period"),
    (plots.plot_duration_by_workflow, {}, "no finished runs in this period"),
    (plots.plot_failure_pareto, {}, "no failed runs in this period"),
    (plots.plot_trigger_mix, {"tz": "Europe/Paris"}, "no runs in this period"),
    (plots.plot_success_volume, {"tz": "Europe/Paris"}, "no runs in this period"),
    (plots.plot_runs_in_flight, {"tz": "Europe/Paris", "now": NOW},
     "no run was queued or running in this period"),
]
IDS = [f.__name__ for f, _, _ in ALL]


@pytest.fixture(scope="module")
def ten() -> pd.DataFrame:
    return synthetic(10, seed=1)


@pytest.fixture(scope="module")
def sized() -> dict[int, pd.DataFrame]:
    return {n: synthetic(n, seed=2) for n in (10, 200_000)}


def test_public_names_resolve_and_all_is_sorted() -> None:
    assert plots.__all__ == sorted(plots.__all__)
    for name in plots.__all__:
        assert getattr(plots, name) is not None
    public = {n for n in vars(plots) if not n.startswith("_")}
    modules = {n for n in public if isinstance(getattr(plots, n), types.ModuleType)}
    assert modules == {"axes", "latency", "load", "outcomes", "render", "style", "text",
                       "warnings"}
    assert public - modules - {"annotations", "Any"} == set(plots.__all__)
    assert {f.__name__ for f, _, _ in ALL} | {"render_png"} <= set(plots.__all__)


def test_format_seconds_is_the_units_one() -> None:
    assert plots.format_seconds is units.format_seconds
    assert [plots.format_seconds(v) for v in (0.42, 7.44, 150, 6480, 181440, None)] == [
        "0.42 s", "7.44 s", "2.5 min", "1.8 h", "2.1 d", "–"]


@pytest.mark.parametrize(("old", "new"), [("plot_concurrency", "plot_runs_in_flight"),
                                          ("CONCURRENCY_POINTS", "RUNS_IN_FLIGHT_POINTS")])
def test_renamed_names_are_deprecated_aliases(old: str, new: str) -> None:
    with pytest.warns(DeprecationWarning, match=f"runlytics.plots.{old} is deprecated; "
                                                f"use {new}"):
        value = getattr(plots, old)
    assert value is getattr(plots, new)
    assert old not in plots.__all__
    with pytest.raises(AttributeError, match="no attribute 'plot_nothing'"):
        plots.plot_nothing  # noqa: B018


@pytest.mark.parametrize(("plot", "kwargs", "_note"), ALL, ids=IDS)
def test_each_plot_draws_on_the_axes_given_and_returns_them(
        plot: Callable[..., Axes], kwargs: dict[str, Any], _note: str, ten: pd.DataFrame) -> None:
    ax = new_ax()
    assert plot(ten, ax=ax, **kwargs) is ax
    assert ax.get_xlabel() and ax.get_ylabel()


@pytest.mark.parametrize(("plot", "kwargs", "note"), ALL, ids=IDS)
def test_each_plot_says_so_when_there_is_nothing(plot: Callable[..., Axes],
                                                 kwargs: dict[str, Any], note: str) -> None:
    ax = plot(empty_frame(), ax=new_ax(), **kwargs)
    assert [t.get_text() for t in ax.texts] == [note]
    assert len(ax.lines) == len(ax.patches) == len(ax.collections) == 0
    assert not ax.get_xticks().size and not ax.get_yticks().size


@pytest.mark.parametrize(("plot", "kwargs", "_note"), ALL, ids=IDS)
@pytest.mark.parametrize("size", [10, 200_000])
def test_each_plot_renders_a_png(plot: Callable[..., Axes], kwargs: dict[str, Any], _note: str,
                                 size: int, sized: dict[int, pd.DataFrame]) -> None:
    df = sized[size]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # e.g. a layout that does not fit
        png = plots.render_png(plot, df, figsize=(6.0, 3.0), dpi=50, **kwargs)
    image = mimage.imread(io.BytesIO(png), format="png")
    assert image.shape[:2] == (150, 300)  # height, width: figsize x dpi
    assert image[..., :3].min() < 0.5  # something dark was drawn on the white
    assert png == plots.render_png(plot, df, figsize=(6.0, 3.0), dpi=50, **kwargs)


def test_time_axes_state_the_time_zone(ten: pd.DataFrame) -> None:
    for plot in (plots.plot_trigger_mix, plots.plot_success_volume, plots.plot_runs_in_flight):
        kwargs = {"now": NOW} if plot is plots.plot_runs_in_flight else {}
        assert "(Europe/Paris)" in plot(ten, ax=new_ax(), tz="Europe/Paris", **kwargs).get_xlabel()
        with pytest.raises(UsageError, match="tz must be a time zone name"):
            plot(ten, ax=new_ax(), tz="Mars/Olympus", **kwargs)
    # Ten runs over 14 days: daily buckets, in UTC unless told otherwise.
    assert plots.plot_trigger_mix(ten, ax=new_ax()).get_xlabel() == "created, per day (UTC)"
    assert plots.plot_success_volume(ten, ax=new_ax()).get_xlabel() == "created, per day (UTC)"


def test_ax_none_makes_a_pyplot_figure(ten: pd.DataFrame) -> None:
    import matplotlib.pyplot as plt

    try:
        for plot, kwargs, _ in ALL:
            ax = plot(ten, **kwargs)
            assert ax.figure in [plt.figure(n) for n in plt.get_fignums()]
    finally:
        plt.close("all")
