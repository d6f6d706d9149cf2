"""How long runs wait and take: :func:`plot_queue_latency`, :func:`plot_duration_by_workflow`."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.ticker import PercentFormatter

from .. import analysis
from ..units import format_seconds
from .axes import _axes, _duration_axis, _no_data, _plain, _spans_decades
from .style import DEFAULT_FIGSIZE, PALETTE, _tidy, _titles
from .text import _metric_name, _text

TOP_WORKFLOWS = 12
ECDF_POINTS = 4000
STRIP_MAX = 60
_WAITING = {"queue_seconds": "still queued", "duration_seconds": "still running"}


# -- latency ECDF ---------------------------------------------------------------------------

def plot_queue_latency(df: pd.DataFrame, *, ax: Axes | None = None,
                       metric: str = "queue_seconds", now: Any = None) -> Axes:
    """Cumulative distribution (ECDF) of queue latency, with p50, p90 and p99 marked.

    The x axis is in seconds, on a log scale when the values span two decades
    or more; runs at exactly 0 s (clamped clock skew) show as the curve's
    height at the left edge. Statistics come from
    :func:`runlytics.analysis.latency_summary`; runs still waiting are counted
    in the subtitle, not in the curve.

    Args:
        df: a runs frame.
        ax: draw here (default: a new figure).
        metric: any of :data:`runlytics.analysis.METRICS`, e.g. ``duration_seconds``.
        now: the time ages of unfinished runs are measured to (None: now).

    Returns:
        The Axes drawn on: ``ax.lines[0]`` is the curve, then one vertical
        line per percentile, labelled like ``"p50 30 s"``.

    Raises:
        UsageError: an unknown ``metric``.

    Example:
        >>> import pandas as pd
        >>> from matplotlib.figure import Figure
        >>> t = lambda *s: pd.to_datetime(list(s), utc=True)
        >>> runs = pd.DataFrame({
        ...     "status": ["completed", "completed", "queued"],
        ...     "created_at": t("2026-01-05 10:00", "2026-01-05 11:00", "2026-01-05 12:00"),
        ...     "queued_at": t("2026-01-05 10:00", "2026-01-05 11:00", "2026-01-05 12:00"),
        ...     "started_at": t("2026-01-05 10:01", "2026-01-05 11:03", None),
        ...     "finished_at": t("2026-01-05 10:05", "2026-01-05 11:08", None)})
        >>> ax = plot_queue_latency(runs, ax=Figure().add_subplot(), now="2026-01-05 12:10")
        >>> ax.lines[0].get_xydata().tolist()  # seconds, share of runs at or below
        [[60.0, 0.5], [180.0, 1.0]]
        >>> [line.get_label() for line in ax.lines[1:]]
        ['p50 2 min', 'p90 2.8 min', 'p99 2.98 min']
        >>> ax.texts[0].get_text()
        'n = 2 runs; 1 still queued (oldest 10 min), not included'
    """
    name, ends = _metric_name(metric)
    ax = _axes(ax)
    title = f"{name} ({ends})"
    stats = analysis.latency_summary(df, metrics=[metric], now=now).iloc[0] if len(df) else None
    values = _plain(analysis.timings(df)[metric])
    values = np.sort(values[~np.isnan(values)])
    if stats is None or len(values) == 0:
        return _no_data(ax, title, "no runs with both timestamps in this period")
    positive = values[values > 0]
    log = len(positive) > 0 and _spans_decades(positive[0], positive[-1])
    xs, ys = _ecdf(values, positive, log)
    if log:
        ax.set_xscale("log")
    ax.plot(xs, ys, drawstyle="steps-post", color=PALETTE["blue"], linewidth=1.8)
    ax.fill_between(xs, ys, step="post", color=PALETTE["blue"], alpha=0.08)
    _mark_percentiles(ax, stats, log)
    lo, hi = (xs[0], xs[-1]) if len(xs) else (0.0, 1.0)
    if log:
        ax.set_xlim(lo, hi * 1.3)
    else:
        ax.set_xlim(0, max(hi, 1e-9) * 1.05)
    _duration_axis(ax.xaxis, lo, hi * 1.3, log)
    ax.set_ylim(0, 1.02)
    ax.yaxis.set_major_formatter(PercentFormatter(1.0))
    ax.set_xlabel(f"{metric.replace('_', ' ')}" + (" (log scale)" if log else ""))
    ax.set_ylabel("share of runs at or below")
    _titles(ax, title, _latency_note(stats, metric, len(values), len(values) - len(positive)))
    _tidy(ax, "both")
    return ax


def _ecdf(values: np.ndarray, positive: np.ndarray, log: bool) -> tuple[np.ndarray, np.ndarray]:
    """Step points of the ECDF of sorted ``values``: at most ECDF_POINTS (+1 on a log axis).

    A million runs draw the same curve from a few thousand points. On a log
    axis, runs at 0 s cannot be placed: the curve starts at their share, at
    half the smallest positive value.
    """
    n = len(values)
    index = np.unique(np.linspace(0, n - 1, min(n, ECDF_POINTS)).round().astype(np.int64))
    xs, ys = values[index], (index + 1) / n
    if log:
        left = positive[0] / 2
        xs = np.concatenate([[left], np.maximum(xs, left)])
        ys = np.concatenate([[(n - len(positive)) / n], ys])
    return xs, ys


def _mark_percentiles(ax: Axes, stats: pd.Series, log: bool) -> None:
    for q, style in (("p50", ":"), ("p90", "--"), ("p99", "-.")):
        value = stats[q]
        if value is pd.NA or value is None or (log and value <= 0):
            continue
        ax.axvline(float(value), color=PALETTE["vermillion"], linestyle=style, linewidth=1.2,
                   label=f"{q} {format_seconds(float(value))}")
    ax.legend(loc="lower right", fontsize=8.5, frameon=True, framealpha=0.9,
              edgecolor="#DDDDDD", title="percentiles", title_fontsize=8.5)


def _latency_note(stats: pd.Series, metric: str, n: int, zeros: int) -> str:
    """The subtitle: runs drawn, runs still waiting, values left out, runs at 0 s."""
    note = f"n = {n:,} runs"
    unfinished = int(stats["unfinished"])
    if unfinished:
        note += (f"; {unfinished:,} {_WAITING.get(metric, 'unfinished')} (oldest "
                 f"{format_seconds(stats['oldest_unfinished_age_seconds'])}), not included")
    if int(stats["suspect"]):
        note += f"; {int(stats['suspect']):,} negative values left out"
    if zeros:
        note += f"; {zeros:,} at 0 s"
    return note


# -- duration by workflow -----------------------------------------------------------------

def plot_duration_by_workflow(df: pd.DataFrame, *, ax: Axes | None = None,
                              metric: str = "duration_seconds",
                              top: int = TOP_WORKFLOWS) -> Axes:
    """Box plot of run duration per workflow, slowest median first (at the top).

    Boxes span the 25th to 75th percentile with the median marked, whiskers the
    5th to 95th; outliers are not drawn. Workflows are ordered by the median of
    :func:`runlytics.analysis.latency_summary` by ``workflow_permanent_id``;
    the ``top`` slowest are shown. Log scale when durations span two decades.
    With at most ``STRIP_MAX`` runs in every box, each run is drawn as a dot too.

    Args:
        df: a runs frame.
        ax: draw here (default: a new figure).
        metric: a timing of :data:`runlytics.analysis.METRICS`.
        top: most workflows to show.

    Returns:
        The Axes drawn on: one box per workflow, the slowest at the top; tick
        labels ``"<latest title>  (n=<runs with a value>)"``.

    Raises:
        UsageError: an unknown ``metric``.

    Example:
        >>> import pandas as pd
        >>> from matplotlib.figure import Figure
        >>> t = lambda *s: pd.to_datetime(list(s), utc=True)
        >>> runs = pd.DataFrame({
        ...     "workflow_permanent_id": ["wpid_a", "wpid_a", "wpid_b"],
        ...     "workflow_title": ["Alpha", "Alpha", "Beta"],
        ...     "status": ["completed"] * 3,
        ...     "created_at": t("2026-01-05 10:00", "2026-01-05 11:00", "2026-01-05 12:00"),
        ...     "queued_at": t("2026-01-05 10:00", "2026-01-05 11:00", "2026-01-05 12:00"),
        ...     "started_at": t("2026-01-05 10:00", "2026-01-05 11:00", "2026-01-05 12:00"),
        ...     "finished_at": t("2026-01-05 10:01", "2026-01-05 11:03", "2026-01-05 12:10")})
        >>> ax = plot_duration_by_workflow(runs, ax=Figure().add_subplot())
        >>> [label.get_text() for label in ax.get_yticklabels()]  # bottom to top
        ['Alpha  (n=2)', 'Beta  (n=1)']
        >>> [float(line.get_xdata()[0]) for line in ax.lines[4::5]]  # the medians
        [120.0, 600.0]
        >>> [dots.get_offsets()[:, 0].tolist() for dots in ax.collections]  # each run
        [[60.0, 180.0], [600.0]]
    """
    name, ends = _metric_name(metric)
    title = f"{name} by workflow ({ends})"
    if ax is None:
        ax = _axes(None, (DEFAULT_FIGSIZE[0], 1.6 + 0.42 * min(top, 12)))
    stats = analysis.latency_summary(df, by="workflow_permanent_id", metrics=[metric],
                                     now=pd.Timestamp.now(tz="UTC"))
    stats = stats[stats["n"] > 0]
    if stats.empty:
        return _no_data(ax, title, "no finished runs in this period")
    stats = stats.assign(_p50=_plain(stats["p50"])).sort_values(
        ["_p50", "workflow_permanent_id"], ascending=[False, True], kind="stable")
    shown = stats.head(top)
    labels, data = _workflow_samples(df, shown, metric)
    lo = min(float(np.percentile(d, 5)) for d in data)
    # Every value 0 (runs that finished the instant they started): a 1 s axis, not
    # an empty range that the seconds locator would fill with billions of ticks.
    hi = max(max(float(np.percentile(d, 95)) for d in data), 1e-3)
    positive = [float(np.min(d[d > 0])) for d in data if (d > 0).any()]
    log = bool(positive) and _spans_decades(max(min(positive), lo), hi)
    dots = _draw_boxes(ax, data, labels, lo, log)
    if log:
        ax.set_xscale("log", nonpositive="clip")
        lo = max(lo, min(positive) / 2)
    _duration_axis(ax.xaxis, max(lo, 1e-9), hi * 1.2, log)
    ax.tick_params(axis="y", labelsize=8.5)
    ax.set_ylabel("workflow (title, runs with a value)")
    ax.set_xlabel(f"{name.lower()} per run" + (" (log scale)" if log else ""))
    shown_note = (f"{len(shown)} slowest of {len(stats)} workflows"
                  if len(stats) > len(shown) else f"{len(stats)} workflows")
    _titles(ax, title, f"{shown_note}, slowest median first; box 25–75%, whiskers 5–95%, "
                       f"line median{', dots = runs' if dots else ''}")
    _tidy(ax, "x")
    return ax


def _workflow_titles(df: pd.DataFrame) -> dict[Any, Any]:
    """Title of each workflow's most recently created run that has one."""
    titled = df.loc[df["workflow_title"].notna(), ["workflow_permanent_id", "workflow_title",
                                                    "created_at"]]
    latest = titled.sort_values("created_at", kind="stable").drop_duplicates(
        "workflow_permanent_id", keep="last")
    return dict(zip(latest["workflow_permanent_id"], latest["workflow_title"], strict=True))


def _workflow_samples(df: pd.DataFrame, shown: pd.DataFrame,
                      metric: str) -> tuple[list[str], list[np.ndarray]]:
    """Tick label and known values of each workflow of ``shown``, in its order."""
    values = _plain(analysis.timings(df)[metric])
    codes, uniques = pd.factorize(df["workflow_permanent_id"])
    position = {key: i for i, key in enumerate(uniques)}
    titles = _workflow_titles(df)
    labels, data = [], []
    for key, n in zip(shown["workflow_permanent_id"], shown["n"], strict=True):
        data.append(values[(codes == position[key]) & ~np.isnan(values)])
        labels.append(f"{_text(titles.get(key, key), 34)}  (n={int(n):,})")
    if len(set(labels)) < len(labels):  # same title twice: tell them apart by id
        labels = [f"{lab} [{_text(k, 12)}]" for lab, k in
                  zip(labels, shown["workflow_permanent_id"], strict=True)]
    return labels, data


def _draw_boxes(ax: Axes, data: list[np.ndarray], labels: list[str], lo: float,
                log: bool) -> bool:
    """Boxes, the first workflow at the top; each run as a dot when boxes are small.

    Returns whether the dots were drawn.
    """
    parts = ax.boxplot(data[::-1], orientation="horizontal", whis=(5, 95), showfliers=False,
                       tick_labels=labels[::-1], patch_artist=True, widths=0.6,
                       medianprops={"color": PALETTE["black"], "linewidth": 1.5},
                       whiskerprops={"color": "#555555"}, capprops={"color": "#555555"})
    for box in parts["boxes"]:
        box.set_facecolor(PALETTE["sky"])
        box.set_edgecolor("#2F6F99")
        box.set_alpha(0.85)
    # Few runs everywhere: show each run too, as a box of 3 runs would hide that.
    dots = all(len(d) <= STRIP_MAX for d in data)
    jitter = np.random.default_rng(0)  # fixed: the same frame gives the same picture
    for row, sample in enumerate(data[::-1] if dots else [], start=1):
        ys = row + jitter.uniform(-0.18, 0.18, len(sample))
        ax.scatter(np.maximum(sample, lo / 2) if log else sample, ys, s=10,
                   color=PALETTE["black"], alpha=0.55, linewidths=0, zorder=3)
    return dots
