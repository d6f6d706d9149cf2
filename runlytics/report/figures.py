"""The report's plots, drawn once per report with :mod:`runlytics.plots`."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from .. import plots
from .period import Period

__all__ = ["PLOT_DPI", "PlotImage", "render_images"]

PLOT_DPI = 110


@dataclass(frozen=True)
class PlotImage:
    """One rendered plot: a file-safe name, a title, alt text and the PNG bytes."""

    name: str
    title: str
    alt: str
    png: bytes = field(repr=False)



def render_images(runs: pd.DataFrame, context: pd.DataFrame, *, period: Period, tz: str,
                  now: pd.Timestamp, freq: str, n_failure_rows: int) -> list[PlotImage]:
    """The report's six plots as PNGs.

    Args:
        runs: the runs created in ``period``; ``context``: every run (for runs in flight).
        period: the report's period; ``tz`` its display time zone; ``now`` ages' end.
        freq: the calendar bucket of the time plots; ``n_failure_rows``: rows of the
            failure table (sizes the Pareto plot).
    """
    span = {"start": period.start, "end": period.end}
    n_workflows = min(runs["workflow_permanent_id"].nunique(), plots.TOP_WORKFLOWS)
    n_categories = min(n_failure_rows, plots.TOP_CATEGORIES + 1)
    concurrency_end = min(period.end, now)
    specs: list[tuple[str, str, str, Any, dict[str, Any], tuple[float, float]]] = [
        ("queue_latency", "Queue latency",
         "Cumulative distribution of queue latency (queued to started) with p50, p90 and p99",
         plots.plot_queue_latency, {"now": now}, plots.DEFAULT_FIGSIZE),
        ("duration_by_workflow", "Duration by workflow",
         "Box plot of run duration per workflow, slowest median first",
         plots.plot_duration_by_workflow, {},
         (plots.DEFAULT_FIGSIZE[0], 1.5 + 0.36 * max(n_workflows, 3))),
        ("failure_categories", "Failure categories",
         "Failed runs per primary failure category, largest first, with shares",
         plots.plot_failure_pareto, {},
         (plots.DEFAULT_FIGSIZE[0], 1.5 + 0.32 * max(n_categories, 6))),
        ("trigger_mix", "Trigger types over time",
         f"Share of runs per trigger type, per {plots.freq_label(freq)} ({tz})",
         plots.plot_trigger_mix, {"freq": freq, "tz": tz, **span},
         plots.DEFAULT_FIGSIZE),
        ("success_volume", "Volume and success rate",
         f"Runs created and success rate per {plots.freq_label(freq)} ({tz})",
         plots.plot_success_volume, {"freq": freq, "tz": tz, **span},
         plots.DEFAULT_FIGSIZE),
        ("concurrency", "Queued and running",
         f"Runs queued and running over the period ({tz})",
         plots.plot_runs_in_flight, {"tz": tz, "now": now, "start": period.start,
                                     "end": concurrency_end}, plots.DEFAULT_FIGSIZE),
    ]
    images = []
    for name, title, alt, plot, kwargs, size in specs:
        frame = context if plot is plots.plot_runs_in_flight else runs
        if plot is plots.plot_runs_in_flight and not concurrency_end > period.start:
            kwargs = {"tz": tz, "now": now}
        png = plots.render_png(plot, frame, figsize=size, dpi=PLOT_DPI, **kwargs)
        images.append(PlotImage(name, title, alt, png))
    return images
