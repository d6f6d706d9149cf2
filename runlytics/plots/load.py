"""What the system carries: :func:`plot_runs_in_flight` and :func:`plot_trigger_mix`."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.ticker import MaxNLocator, PercentFormatter

from .. import analysis
from ..units import format_seconds
from .axes import _axes, _bucket_widths, _no_data, _num, _resolve_freq, _time_axis, _tzinfo
from .style import QUEUED_COLOR, RUNNING_COLOR, TRIGGER_COLORS, _color_for, _tidy, _titles
from .text import _plural, _text, freq_label

RUNS_IN_FLIGHT_POINTS = 400
_BARS_MAX = 60  # more buckets than this: a stacked area instead of bars


# -- runs in flight -------------------------------------------------------------------------

def plot_runs_in_flight(df: pd.DataFrame, *, ax: Axes | None = None, tz: Any = "UTC",
                        now: Any = None, start: Any = None, end: Any = None,
                        points: int = RUNS_IN_FLIGHT_POINTS) -> Axes:
    """Runs queued and running over time: the peak within each of ``points`` intervals.

    Figures from :func:`runlytics.analysis.runs_in_flight` sampled at ``points``
    equal intervals between ``start`` and ``end``: each step is the most runs
    queued (running) at any instant of its interval (``queued_max``,
    ``running_max``), so a run of a few seconds in a month-long plot still
    shows, and a million runs cost no more to draw than ten. (Formerly
    ``plot_concurrency``, which stays as a deprecated alias.)

    Args:
        df: a runs frame.
        ax: draw here (default: a new figure).
        tz: time zone of the axis.
        now: end of unfinished runs' intervals (None: the current time).
        start, end: time range (default: the first queued/started time to ``now``).
        points: number of intervals.

    Returns:
        The Axes drawn on: ``ax.lines`` are the queued and the running steps,
        ``points + 1`` points each (the last interval's value repeated at ``end``).

    Raises:
        UsageError: a bad ``tz``.

    Example:
        >>> import pandas as pd
        >>> from matplotlib.figure import Figure
        >>> t = lambda *s: pd.to_datetime(list(s), utc=True)
        >>> runs = pd.DataFrame({
        ...     "status": ["completed", "running"],
        ...     "queued_at": t("2026-01-05 10:00", "2026-01-05 10:20"),
        ...     "started_at": t("2026-01-05 10:10", "2026-01-05 10:30"),
        ...     "finished_at": t("2026-01-05 10:40", None)})
        >>> ax = plot_runs_in_flight(runs, ax=Figure().add_subplot(), points=4,
        ...                          start="2026-01-05 10:00", end="2026-01-05 11:00",
        ...                          now="2026-01-05 11:00")
        >>> [(line.get_label(), line.get_ydata().tolist()) for line in ax.lines]
        [('queued', [1.0, 1.0, 0.0, 0.0, 0.0]), ('running', [1.0, 1.0, 2.0, 1.0, 1.0])]
    """
    zone = _tzinfo(tz)
    ax = _axes(ax)
    title = "Runs queued and running"
    now_ts = pd.Timestamp.now(tz="UTC") if now is None else pd.Timestamp(now)
    if now_ts.tzinfo is None:
        now_ts = now_ts.tz_localize("UTC")
    first = pd.concat([df["queued_at"], df["started_at"]]).min() if len(df) else pd.NaT
    lo = pd.Timestamp(start) if start is not None else first
    hi = pd.Timestamp(end) if end is not None else now_ts
    if lo is pd.NaT or not hi > lo:
        return _no_data(ax, title, "no run was queued or running in this period")
    grid = pd.date_range(lo, hi, periods=max(int(points), 2) + 1)
    table = analysis.runs_in_flight(df, points=list(grid[:-1]), now=now_ts)
    queued = table["queued_max"].to_numpy(dtype=float)
    running = table["running_max"].to_numpy(dtype=float)
    if not (queued.any() or running.any()):
        return _no_data(ax, title, "no run was queued or running in this period")
    _draw_steps(ax, _num(grid), queued, running)
    _time_axis(ax, zone)
    ax.set_xlabel(f"time ({zone.key})")
    step = format_seconds((hi - lo).total_seconds() / max(int(points), 2))
    _titles(ax, title, f"peak per {step} interval: {int(running.max()):,} running, "
                       f"{int(queued.max()):,} queued at most (paused counts as running)")
    _tidy(ax)
    return ax


def _draw_steps(ax: Axes, x: np.ndarray, queued: np.ndarray, running: np.ndarray) -> None:
    """Queued and running as steps over the interval edges ``x``."""
    # The last interval's value is drawn up to the end of the range.
    q, r = np.append(queued, queued[-1]), np.append(running, running[-1])
    # queued drawn wider and below running: where both step together, both stay visible
    ax.fill_between(x, r, step="post", color=RUNNING_COLOR, alpha=0.22, linewidth=0)
    ax.plot(x, q, drawstyle="steps-post", color=QUEUED_COLOR, linewidth=2.2, label="queued",
            zorder=2)
    ax.plot(x, r, drawstyle="steps-post", color=RUNNING_COLOR, linewidth=1.2, label="running",
            zorder=3)
    ax.set_xlim(x[0], x[-1])
    ax.set_ylim(0, max(r.max(), q.max(), 1.0) * 1.12)
    ax.yaxis.set_major_locator(MaxNLocator(integer=True, nbins=6))
    ax.set_ylabel("runs (peak per interval)")
    ax.legend(loc="lower right", bbox_to_anchor=(1.0, 1.0), fontsize=8, frameon=False,
              ncols=2, borderaxespad=0.2)


# -- trigger mix -----------------------------------------------------------------------------

def plot_trigger_mix(df: pd.DataFrame, *, ax: Axes | None = None, freq: str | None = None,
                     tz: Any = "UTC", start: Any = None, end: Any = None) -> Axes:
    """Share of runs per trigger type over time: stacked bars (stacked area when long).

    Shares come from :func:`runlytics.analysis.trigger_mix`; a null trigger
    type (old runs) is ``unknown``, drawn grey. Each type keeps its colour
    from :data:`TRIGGER_COLORS`. Up to 60 buckets are bars, more a stacked area.

    Args:
        df: a runs frame.
        ax: draw here (default: a new figure).
        freq: bucket size (offset alias); None picks one with :func:`auto_freq`.
        tz: time zone of the buckets and the axis.
        start, end: x-axis range (default: the data's).

    Returns:
        The Axes drawn on: one bar per bucket and trigger type (the first
        type's bars first), legend labels the trigger types.

    Raises:
        UsageError: a bad ``tz`` or ``freq``.

    Example:
        >>> import pandas as pd
        >>> from matplotlib.figure import Figure
        >>> runs = pd.DataFrame({
        ...     "trigger_type": ["api", "api", "manual", "manual"],
        ...     "created_at": pd.to_datetime(["2026-01-05 09:00", "2026-01-05 10:00",
        ...                                   "2026-01-05 11:00", "2026-01-06 09:00"], utc=True)})
        >>> ax = plot_trigger_mix(runs, ax=Figure().add_subplot(), freq="D")
        >>> [round(float(p.get_height()), 3) for p in ax.patches]  # api per day, then manual
        [0.667, 0.0, 0.333, 1.0]
        >>> ax.get_legend_handles_labels()[1]
        ['api', 'manual']
    """
    zone = _tzinfo(tz)
    freq = _resolve_freq(df, freq, start, end)
    ax = _axes(ax)
    title = "Trigger types over time"
    mix = analysis.trigger_mix(df, freq=freq, tz=zone.key)
    if mix.empty or int(mix["count"].sum()) == 0:
        return _no_data(ax, title, "no runs in this period")
    shares = mix.pivot(index="bucket", columns="trigger_type", values="share")
    order = list(dict.fromkeys(mix["trigger_type"]))
    shares = shares[order].astype("float64").fillna(0.0)
    totals = mix.drop_duplicates("bucket").set_index("bucket")["runs"]
    x = _num(shares.index)
    _draw_shares(ax, x, _bucket_widths(x, freq), shares)
    _time_axis(ax, zone, start, end)
    ax.set_ylim(0, 1)
    ax.yaxis.set_major_formatter(PercentFormatter(1.0))
    ax.set_ylabel("share of runs created")
    ax.set_xlabel(f"created, per {freq_label(freq)} ({zone.key})")
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8, frameon=False,
              reverse=True)
    _titles(ax, title,
            f"n = {int(totals.sum()):,} runs; empty {_plural(freq_label(freq))} left blank")
    _tidy(ax)
    return ax


def _draw_shares(ax: Axes, x: np.ndarray, widths: np.ndarray, shares: pd.DataFrame) -> None:
    """One stacked layer per column of ``shares`` (a trigger type), in column order."""
    order = list(shares.columns)
    extra: list[str] = []
    colors = [_color_for(t, TRIGGER_COLORS, extra) for t in order]
    labels = [_text(t, 24) for t in order]
    if len(x) <= _BARS_MAX:
        bottom = np.zeros(len(x))
        for col, color, label in zip(order, colors, labels, strict=True):
            height = shares[col].to_numpy()
            ax.bar(x, height, width=widths * 0.92, bottom=bottom, align="edge", color=color,
                   label=label, linewidth=0)
            bottom += height
    else:
        edges = np.append(x, x[-1] + widths[-1])
        stacked = [np.append(shares[c].to_numpy(), shares[c].to_numpy()[-1]) for c in order]
        ax.stackplot(edges, *stacked, colors=colors, labels=labels, step="post", linewidth=0)
