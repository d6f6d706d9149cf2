"""Plots of a runs frame, drawn with matplotlib from the analysis helpers' figures.

Every plot is a function ``plot_*(df, *, ax=None, ...) -> Axes``: it draws on
``ax`` (a new pyplot figure when None, so notebooks show it inline), never
calls ``plt.show()`` and returns the Axes. The numbers come from
:mod:`runlytics.analysis`; only the drawing is done here. :func:`render_png`
draws one plot on a private :class:`matplotlib.figure.Figure` (no pyplot
state, no backend switch) and returns PNG bytes, for reports.

Conventions:

* Time axes are in the time zone ``tz`` (default UTC), stated in the axis label.
* Durations are in seconds; an axis switches to a log scale when the values
  span two decades or more, with ticks labelled 1 s, 1 min, 1 h, ...
* Colours are the Okabe-Ito palette (colour-blind safe); a trigger type or a
  status has the same colour in every plot (:data:`TRIGGER_COLORS`,
  :data:`STATUS_COLORS`).
* Text from the server (workflow titles, categories) is cleaned before it is
  drawn: control and bidi characters removed, ``$`` kept literal (no
  mathtext), glyphs the font lacks replaced by ``?``, long text shortened.
* Every plot handles an empty frame (a "no runs" note) and large ones (a
  million runs: curves are drawn from at most a few thousand points).

Example:
    >>> from runlytics.plots import plot_queue_latency
    >>> ax = plot_queue_latency(runs)  # doctest: +SKIP
    >>> ax.figure.savefig("queue.png")  # doctest: +SKIP
"""

from __future__ import annotations

import io
import unicodedata
import warnings
from collections.abc import Callable
from functools import lru_cache
from typing import Any, Literal
from zoneinfo import ZoneInfo

import matplotlib.dates as mdates
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import (
    FixedLocator,
    FuncFormatter,
    MaxNLocator,
    MultipleLocator,
    PercentFormatter,
)

from . import analysis
from .errors import UsageError
from .units import format_seconds

__all__ = [
    "PALETTE",
    "STATUS_COLORS",
    "TRIGGER_COLORS",
    "auto_freq",
    "format_seconds",
    "freq_label",
    "plot_concurrency",
    "plot_duration_by_workflow",
    "plot_failure_pareto",
    "plot_queue_latency",
    "plot_success_volume",
    "plot_trigger_mix",
    "render_png",
]

#: Okabe-Ito colours (Wong, Nature Methods 2011), safe for colour-blind readers.
PALETTE = {
    "orange": "#E69F00", "sky": "#56B4E9", "green": "#009E73", "yellow": "#F0E442",
    "blue": "#0072B2", "vermillion": "#D55E00", "purple": "#CC79A7", "black": "#000000",
    "grey": "#999999", "light": "#C8CDD2",
}
TRIGGER_COLORS = {
    "api": PALETTE["blue"], "scheduled": PALETTE["green"], "manual": PALETTE["orange"],
    "webhook": PALETTE["purple"], "mcp": PALETTE["sky"],
    "job_recipe_extract": PALETTE["vermillion"], "job_recipe_apply": PALETTE["yellow"],
    analysis.UNKNOWN: PALETTE["grey"],
}
STATUS_COLORS = {
    "completed": PALETTE["green"], "failed": PALETTE["vermillion"],
    "timed_out": PALETTE["orange"], "terminated": PALETTE["purple"],
    "canceled": PALETTE["grey"], "queued": PALETTE["orange"], "running": PALETTE["blue"],
    "created": PALETTE["light"], "paused": PALETTE["sky"],
}
_EXTRA_COLORS = ("#555555", "#7F7F7F", "#B0B0B0", "#3D3D3D")
QUEUED_COLOR, RUNNING_COLOR = PALETTE["orange"], PALETTE["blue"]
FAILURE_COLOR, SUCCESS_COLOR, VOLUME_COLOR = PALETTE["vermillion"], PALETTE["green"], "#A6BDD7"

DEFAULT_FIGSIZE = (9.0, 4.2)
LABEL_LIMIT = 42
TOP_WORKFLOWS = 12
TOP_CATEGORIES = 10
ECDF_POINTS = 4000
STRIP_MAX = 60
CONCURRENCY_POINTS = 400
_METRIC_NAMES = {
    "queue_seconds": ("Queue latency", "queued → started"),
    "duration_seconds": ("Duration", "started → finished"),
    "turnaround_seconds": ("Turnaround", "created → finished"),
    "pickup_seconds": ("Pickup", "created → queued"),
}


# -- text and numbers -------------------------------------------------------------

@lru_cache(maxsize=1)
def _font() -> Any:
    """The default font, to ask which glyphs it has (None if it cannot be loaded)."""
    try:
        from matplotlib import font_manager
        from matplotlib.ft2font import FT2Font
        return FT2Font(font_manager.findfont(font_manager.FontProperties()))
    except Exception:  # a font problem must never stop a plot
        return None


@lru_cache(maxsize=4096)
def _has_glyph(char: str) -> bool:
    font = _font()
    return font is None or font.get_char_index(ord(char)) != 0


def _text(value: Any, limit: int = LABEL_LIMIT) -> str:
    """Server text made safe to draw: one line, no control/bidi characters, short."""
    if value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value)):
        return "(none)"
    out = []
    for char in str(value)[: limit * 4]:
        kind = unicodedata.category(char)
        if kind[0] == "Z" or char in "\t\n\r":
            out.append(" ")
        elif kind[0] == "C":  # control, format (bidi overrides), surrogate, private, unassigned
            continue
        elif char == "$":
            out.append(r"\$")  # no mathtext
        else:
            out.append(char if _has_glyph(char) else "?")
    text = " ".join("".join(out).split())
    if len(text) > limit:
        text = text[: limit - 1].rstrip() + "…"
    return text or "(blank)"


_DURATION_TICKS = (
    (0.001, "1 ms"), (0.01, "10 ms"), (0.1, "0.1 s"), (1, "1 s"), (10, "10 s"), (60, "1 min"),
    (600, "10 min"), (3600, "1 h"), (6 * 3600, "6 h"), (86400, "1 d"), (7 * 86400, "1 w"),
    (30 * 86400, "30 d"), (365 * 86400, "1 y"),
)


def _duration_axis(axis: Any, lo: float, hi: float, log: bool) -> None:
    """Ticks in human units on a seconds axis (log: fixed 1 s / 1 min / 1 h ticks)."""
    if log:
        ticks = [(v, label) for v, label in _DURATION_TICKS if lo <= v <= hi]
        if len(ticks) >= 2:
            axis.set_major_locator(FixedLocator([v for v, _ in ticks]))
            axis.set_major_formatter(FuncFormatter(
                lambda v, _pos: dict(ticks).get(v, format_seconds(v))))
            axis.set_minor_formatter(FuncFormatter(lambda _v, _pos: ""))
            return
    # Linear: steps of 1, 2 or 5 x 10^k in the unit the range calls for (s, min, h, d).
    unit = next((u for u in (86400.0, 3600.0, 60.0) if hi >= 2 * u), 1.0)
    raw = max(hi - max(lo, 0.0), 1e-9) / 6 / unit
    power = 10.0 ** np.floor(np.log10(raw))
    step = next(m for m in (1, 2, 5, 10) if m * power >= raw) * power * unit
    axis.set_major_locator(MultipleLocator(step))
    axis.set_major_formatter(FuncFormatter(lambda v, _pos: format_seconds(v)))


def _spans_decades(lo: float, hi: float) -> bool:
    return lo > 0 and hi / lo >= 100


def _tzinfo(tz: Any) -> ZoneInfo:
    if isinstance(tz, ZoneInfo):
        return tz
    try:
        return ZoneInfo(str(tz))
    except Exception as exc:  # ZoneInfoNotFoundError, ValueError on odd keys
        raise UsageError(f"tz must be a time zone name such as 'UTC' or 'Europe/Paris', "
                         f"got {tz!r}") from exc


def auto_freq(start: Any, end: Any) -> str:
    """A bucket size giving a readable number of bars between ``start`` and ``end``.

    Up to 36 hours: ``"h"``; 4 days: ``"3h"``; 62 days: ``"D"``; 18 months:
    ``"W"``; longer: ``"MS"``.

    Example:
        >>> auto_freq("2026-01-01", "2026-01-08")
        'D'
    """
    span = (pd.Timestamp(end) - pd.Timestamp(start)).total_seconds()
    for limit, freq in ((36 * 3600, "h"), (4 * 86400, "3h"), (62 * 86400, "D"),
                        (548 * 86400, "W")):
        if span <= limit:
            return freq
    return "MS"


_FREQ_WORDS = {"h": "hour", "3h": "3 hours", "6h": "6 hours", "D": "day", "W": "week",
               "MS": "month", "ME": "month", "15min": "15 minutes", "min": "minute"}


def freq_label(freq: str) -> str:
    """A bucket size in words: ``"D"`` -> ``"day"``, ``"3h"`` -> ``"3 hours"``."""
    return _FREQ_WORDS.get(freq, freq)


def _plural(label: str) -> str:
    return label if label.endswith("s") else f"{label}s"


# -- axes helpers ---------------------------------------------------------------------

def _axes(ax: Axes | None, figsize: tuple[float, float] = DEFAULT_FIGSIZE) -> Axes:
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt  # only here: notebooks get an inline figure

    _, new = plt.subplots(figsize=figsize, layout="constrained")
    return new


def _titles(ax: Axes, title: str, subtitle: str = "") -> None:
    """A bold title on the left; the subtitle (sample sizes, how to read) under it."""
    ax.set_title(title + ("\n" if subtitle else ""), fontsize=12, fontweight="bold", loc="left")
    if subtitle:
        ax.text(0, 1.02, subtitle, transform=ax.transAxes, va="bottom", ha="left", fontsize=9,
                color="#444444")


def _no_data(ax: Axes, title: str, note: str) -> Axes:
    _titles(ax, title)
    ax.text(0.5, 0.5, note, transform=ax.transAxes, ha="center", va="center", fontsize=11,
            color="#666666")
    ax.set_xticks([])
    ax.set_yticks([])
    for side in ("top", "right", "bottom", "left"):
        ax.spines[side].set_visible(False)
    return ax


def _tidy(ax: Axes, grid: Literal["both", "x", "y"] = "y") -> None:
    ax.spines["top"].set_visible(False)
    ax.spines["right"].set_visible(False)
    ax.grid(True, axis=grid, color="#E3E3E3", linewidth=0.8)
    ax.set_axisbelow(True)


def _num(times: Any) -> np.ndarray:
    """Tz-aware datetimes -> matplotlib date numbers (days since the epoch, UTC)."""
    series = pd.Series(pd.to_datetime(pd.Series(times)))
    if isinstance(series.dtype, pd.DatetimeTZDtype):
        series = series.dt.tz_convert("UTC").dt.tz_localize(None)
    return mdates.date2num(series.to_numpy(dtype="datetime64[us]"))


def _time_axis(ax: Axes, tz: ZoneInfo) -> None:
    locator = mdates.AutoDateLocator(tz=tz, minticks=4, maxticks=10)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator, tz=tz))


def _xlim(ax: Axes, start: Any, end: Any) -> None:
    if start is not None and end is not None:
        lo, hi = _num([pd.Timestamp(start), pd.Timestamp(end)])
        if hi > lo:
            ax.set_xlim(lo, hi)


def _bucket_widths(starts: np.ndarray, freq: str) -> np.ndarray:
    """Width (days) of each bucket: the gap to the next start; the last like the one before."""
    if len(starts) > 1:
        gaps = np.diff(starts)
        return np.append(gaps, gaps[-1])
    try:
        nominal = pd.Timedelta(pd.tseries.frequencies.to_offset(freq)).total_seconds() / 86400
    except (TypeError, ValueError):
        nominal = {"W": 7.0, "MS": 30.0, "ME": 30.0}.get(freq, 1.0)
    return np.full(len(starts), nominal)


def _frame_span(df: pd.DataFrame) -> tuple[pd.Timestamp, pd.Timestamp] | None:
    created = df["created_at"].dropna()
    if created.empty:
        return None
    return created.min(), created.max()


def _resolve_freq(df: pd.DataFrame, freq: str | None, start: Any, end: Any) -> str:
    if freq is not None:
        return freq
    if start is not None and end is not None:
        return auto_freq(start, end)
    span = _frame_span(df)
    return auto_freq(*span) if span else "D"


def _plain(values: Any) -> np.ndarray:
    """A nullable numeric column as float64 with NaN."""
    return pd.array(values, dtype="Float64").to_numpy(dtype=np.float64, na_value=np.nan)


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
        The Axes drawn on.

    Example:
        >>> plot_queue_latency(runs, metric="duration_seconds")  # doctest: +SKIP
    """
    if metric not in _METRIC_NAMES:
        raise UsageError(f"metric must be one of {', '.join(_METRIC_NAMES)}, got {metric!r}")
    ax = _axes(ax)
    name, ends = _METRIC_NAMES[metric]
    title = f"{name} ({ends})"
    stats = analysis.latency_summary(df, metrics=[metric], now=now).iloc[0] if len(df) else None
    values = _plain(analysis.timings(df)[metric])
    values = np.sort(values[~np.isnan(values)])
    n = len(values)
    if stats is None or n == 0:
        return _no_data(ax, title, "no runs with both timestamps in this period")
    unfinished = int(stats["unfinished"])
    waiting = {"queue_seconds": "still queued", "duration_seconds": "still running"}.get(
        metric, "unfinished")
    subtitle = f"n = {n:,} runs"
    if unfinished:
        subtitle += (f"; {unfinished:,} {waiting} (oldest "
                     f"{format_seconds(stats['oldest_unfinished_age_seconds'])}), not included")
    if int(stats["suspect"]):
        subtitle += f"; {int(stats['suspect']):,} negative values left out"
    positive = values[values > 0]
    zeros = n - len(positive)
    log = len(positive) > 0 and _spans_decades(positive[0], positive[-1])
    # At most ECDF_POINTS points: the curve of a million runs looks the same.
    index = np.unique(np.linspace(0, n - 1, min(n, ECDF_POINTS)).round().astype(np.int64))
    xs, ys = values[index], (index + 1) / n
    if log:
        left = positive[0] / 2
        xs = np.concatenate([[left], np.maximum(xs, left)])
        ys = np.concatenate([[zeros / n], ys])
        ax.set_xscale("log")
    ax.plot(xs, ys, drawstyle="steps-post", color=PALETTE["blue"], linewidth=1.8)
    ax.fill_between(xs, ys, step="post", color=PALETTE["blue"], alpha=0.08)
    for q, style in (("p50", ":"), ("p90", "--"), ("p99", "-.")):
        value = stats[q]
        if value is pd.NA or value is None or (log and value <= 0):
            continue
        ax.axvline(float(value), color=PALETTE["vermillion"], linestyle=style, linewidth=1.2,
                   label=f"{q} {format_seconds(float(value))}")
    ax.legend(loc="lower right", fontsize=8.5, frameon=True, framealpha=0.9,
              edgecolor="#DDDDDD", title="percentiles", title_fontsize=8.5)
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
    if zeros:
        subtitle += f"; {zeros:,} at 0 s"
    _titles(ax, title, subtitle)
    _tidy(ax, "both")
    return ax


# -- duration by workflow -----------------------------------------------------------------

def _workflow_titles(df: pd.DataFrame) -> dict[Any, Any]:
    """Title of each workflow's most recently created run that has one."""
    titled = df.loc[df["workflow_title"].notna(), ["workflow_permanent_id", "workflow_title",
                                                    "created_at"]]
    latest = titled.sort_values("created_at", kind="stable").drop_duplicates(
        "workflow_permanent_id", keep="last")
    return dict(zip(latest["workflow_permanent_id"], latest["workflow_title"], strict=True))


def plot_duration_by_workflow(df: pd.DataFrame, *, ax: Axes | None = None,
                              metric: str = "duration_seconds",
                              top: int = TOP_WORKFLOWS) -> Axes:
    """Box plot of run duration per workflow, slowest median first (at the top).

    Boxes span the 25th to 75th percentile with the median marked, whiskers the
    5th to 95th; outliers are not drawn. Workflows are ordered by the median of
    :func:`runlytics.analysis.latency_summary` by ``workflow_permanent_id``;
    the ``top`` slowest are shown. Log scale when durations span two decades.

    Args:
        df: a runs frame.
        ax: draw here (default: a new figure).
        metric: a timing of :data:`runlytics.analysis.METRICS`.
        top: most workflows to show.

    Returns:
        The Axes drawn on.

    Example:
        >>> plot_duration_by_workflow(runs, top=5)  # doctest: +SKIP
    """
    if metric not in _METRIC_NAMES:
        raise UsageError(f"metric must be one of {', '.join(_METRIC_NAMES)}, got {metric!r}")
    name, ends = _METRIC_NAMES[metric]
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
    values = _plain(analysis.timings(df)[metric])
    codes, uniques = pd.factorize(df["workflow_permanent_id"])
    position = {key: i for i, key in enumerate(uniques)}
    titles = _workflow_titles(df)
    labels, data = [], []
    for key, n in zip(shown["workflow_permanent_id"], shown["n"], strict=True):
        sample = values[(codes == position[key]) & ~np.isnan(values)]
        data.append(sample)
        label = _text(titles.get(key, key), 34)
        labels.append(f"{label}  (n={int(n):,})")
    if len(set(labels)) < len(labels):  # same title twice: tell them apart by id
        labels = [f"{lab} [{_text(k, 12)}]" for lab, k in
                  zip(labels, shown["workflow_permanent_id"], strict=True)]
    lo = min(float(np.percentile(d, 5)) for d in data)
    hi = max(float(np.percentile(d, 95)) for d in data)
    positive = [float(np.min(d[d > 0])) for d in data if (d > 0).any()]
    log = bool(positive) and _spans_decades(max(min(positive), lo), hi)
    # Reversed so the slowest is drawn at the top.
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


# -- failure Pareto -------------------------------------------------------------------------

def plot_failure_pareto(df: pd.DataFrame, *, ax: Axes | None = None,
                        top: int = TOP_CATEGORIES) -> Axes:
    """Failed runs per primary failure category, largest first, with shares.

    A Pareto chart laid on its side: one bar per category (from
    :func:`runlytics.analysis.failure_breakdown`), each labelled with its
    count, its share of failed runs and the cumulative share. Categories past
    the ``top`` largest are drawn as one "other" bar.

    Args:
        df: a runs frame.
        ax: draw here (default: a new figure).
        top: most categories drawn separately.

    Returns:
        The Axes drawn on.

    Example:
        >>> plot_failure_pareto(runs)  # doctest: +SKIP
    """
    title = "Failure categories (primary cause of failed runs)"
    if ax is None:
        ax = _axes(None, (DEFAULT_FIGSIZE[0], 1.6 + 0.38 * min(top + 1, 12)))
    table = analysis.failure_breakdown(df)
    if table.empty:
        return _no_data(ax, title, "no failed runs in this period")
    failures = int(table["failures"].iloc[0])
    runs = int(table["runs"].iloc[0])
    names = [_text(c, 30) for c in table["category"]]
    counts = table["count"].to_numpy(dtype=np.int64)
    shares = _plain(table["share_of_failures"])
    colors = [PALETTE["grey"] if c == analysis.UNCATEGORIZED else FAILURE_COLOR
              for c in table["category"]]
    if len(names) > top:
        rest = len(names) - top
        names = names[:top] + [f"other ({rest} categories)"]
        counts = np.append(counts[:top], counts[top:].sum())
        shares = np.append(shares[:top], shares[top:].sum())
        colors = colors[:top] + [PALETTE["light"]]
    cumulative = np.cumsum(shares)
    y = np.arange(len(names))[::-1] + max(6 - len(names), 0)
    ax.barh(y, counts, color=colors, height=0.7)
    ax.set_yticks(y, names)
    ax.tick_params(axis="y", labelsize=8.5)
    for yi, count, share, cum in zip(y, counts, shares, cumulative, strict=True):
        ax.text(count, yi, f"  {count:,} · {share:.0%} (cum. {cum:.0%})", va="center",
                fontsize=8.5, color="#333333")
    ax.set_ylim(-0.6, max(len(names), 6) - 0.4)  # few categories: bars stay thin, at the top
    ax.set_xlim(0, counts.max() * 1.45)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True, nbins=6))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _pos: f"{v:,.0f}"))
    ax.set_xlabel("failed runs")
    ax.set_ylabel("primary failure category")
    _titles(ax, title, f"n = {failures:,} failed runs (failed, terminated, timed_out) of "
                       f"{runs:,} runs; share of failed runs, cumulative")
    _tidy(ax, "x")
    return ax


# -- trigger mix -----------------------------------------------------------------------------

def _color_for(label: str, colors: dict[str, str], extra: list[str]) -> str:
    if label in colors:
        return colors[label]
    extra.append(label)
    return _EXTRA_COLORS[(len(extra) - 1) % len(_EXTRA_COLORS)]


def plot_trigger_mix(df: pd.DataFrame, *, ax: Axes | None = None, freq: str | None = None,
                     tz: Any = "UTC", start: Any = None, end: Any = None) -> Axes:
    """Share of runs per trigger type over time: stacked bars (stacked area when long).

    Shares come from :func:`runlytics.analysis.trigger_mix`; a null trigger
    type (old runs) is ``unknown``, drawn grey. Each type keeps its colour
    from :data:`TRIGGER_COLORS`.

    Args:
        df: a runs frame.
        ax: draw here (default: a new figure).
        freq: bucket size (offset alias); None picks one with :func:`auto_freq`.
        tz: time zone of the buckets and the axis.
        start, end: x-axis range (default: the data's).

    Returns:
        The Axes drawn on.

    Example:
        >>> plot_trigger_mix(runs, freq="D", tz="Europe/Paris")  # doctest: +SKIP
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
    widths = _bucket_widths(x, freq)
    extra: list[str] = []
    colors = [_color_for(t, TRIGGER_COLORS, extra) for t in order]
    labels = [_text(t, 24) for t in order]
    if len(x) <= 60:
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
    _time_axis(ax, zone)
    if start is not None and end is not None:
        _xlim(ax, start, end)
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


# -- success rate and volume ------------------------------------------------------------

def plot_success_volume(df: pd.DataFrame, *, ax: Axes | None = None, freq: str | None = None,
                        tz: Any = "UTC", start: Any = None, end: Any = None) -> Axes:
    """Runs created per bucket (bars) and their success rate (line, right axis).

    Figures from :func:`runlytics.analysis.success_rate` (completed / finished,
    canceled excluded); a bucket without finished runs has no point. Buckets
    cut by ``start`` or ``end`` are drawn lighter: their volume is partial.

    Args:
        df: a runs frame.
        ax: draw here (default: a new figure); the rate is on ``ax.twinx()``.
        freq: bucket size (offset alias); None picks one with :func:`auto_freq`.
        tz: time zone of the buckets and the axis.
        start, end: x-axis range, and what makes a bucket partial.

    Returns:
        The Axes with the bars (the line's Axes is its twin).

    Example:
        >>> plot_success_volume(runs, freq="D")  # doctest: +SKIP
    """
    zone = _tzinfo(tz)
    freq = _resolve_freq(df, freq, start, end)
    ax = _axes(ax)
    title = "Volume and success rate"
    table = analysis.success_rate(df, freq=freq, tz=zone.key)
    if table.empty or int(table["runs"].sum()) == 0:
        return _no_data(ax, title, "no runs in this period")
    x = _num(table["bucket"])
    widths = _bucket_widths(x, freq)
    runs = table["runs"].to_numpy(dtype=np.int64)
    partial = np.zeros(len(x), dtype=bool)
    if start is not None and end is not None:
        lo, hi = _num([pd.Timestamp(start), pd.Timestamp(end)])
        partial = (x < lo) | (x + widths > hi + 1e-9)
    colors = np.where(partial, "#D9E3EE", VOLUME_COLOR)
    ax.bar(x, runs, width=widths * 0.92, align="edge", color=list(colors), linewidth=0)
    ax.set_ylabel("runs created (bars)")
    ax.yaxis.set_major_locator(MaxNLocator(integer=True, nbins=6))
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _pos: f"{v:,.0f}"))
    rate = _plain(table["success_rate"])
    twin = ax.twinx()
    centers = x + widths / 2
    marker = "o" if len(x) <= 60 else None
    twin.plot(centers, rate, color=SUCCESS_COLOR, linewidth=2, marker=marker, markersize=4)
    finite = rate[np.isfinite(rate)]
    low = float(finite.min()) if len(finite) else 0.0
    floor = 0.0 if low < 0.5 else max(0.0, np.floor((low - 0.05) * 10) / 10)
    twin.set_ylim(floor, 1.04)
    twin.yaxis.set_major_locator(MaxNLocator(nbins=6, steps=[1, 2, 2.5, 5, 10]))
    twin.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    twin.set_ylabel("success rate, completed / finished (line)", color="#006B4F")
    twin.tick_params(axis="y", colors="#006B4F")
    twin.spines["top"].set_visible(False)
    _time_axis(ax, zone)
    if start is not None and end is not None:
        _xlim(ax, start, end)
    ax.set_xlabel(f"created, per {freq_label(freq)} ({zone.key})")
    finished = int(table["n_finished"].sum())
    note = (f"; lighter bars: partial {_plural(freq_label(freq))}"
            if (partial & (runs > 0)).any() else "")
    _titles(ax, title, f"n = {int(runs.sum()):,} runs, {finished:,} finished "
                       f"(canceled not counted){note}")
    _tidy(ax)
    return ax


# -- concurrency ------------------------------------------------------------------------------

def plot_concurrency(df: pd.DataFrame, *, ax: Axes | None = None, tz: Any = "UTC",
                     now: Any = None, start: Any = None, end: Any = None,
                     points: int = CONCURRENCY_POINTS) -> Axes:
    """Runs queued and running over time: the peak within each of ``points`` intervals.

    Figures from :func:`runlytics.analysis.concurrency` sampled at ``points``
    equal intervals between ``start`` and ``end``: each step is the most runs
    queued (running) at any instant of its interval (``queued_max``,
    ``running_max``), so a run of a few seconds in a month-long plot still
    shows, and a million runs cost no more to draw than ten.

    Args:
        df: a runs frame.
        ax: draw here (default: a new figure).
        tz: time zone of the axis.
        now: end of unfinished runs' intervals (None: the current time).
        start, end: time range (default: the first queued/started time to ``now``).
        points: number of intervals.

    Returns:
        The Axes drawn on.

    Example:
        >>> plot_concurrency(runs, now=now, tz="UTC")  # doctest: +SKIP
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
    table = analysis.concurrency(df, points=list(grid[:-1]), now=now_ts)
    queued = table["queued_max"].to_numpy(dtype=float)
    running = table["running_max"].to_numpy(dtype=float)
    if not (queued.any() or running.any()):
        return _no_data(ax, title, "no run was queued or running in this period")
    # The last interval's value is drawn up to the end of the range.
    x = _num(grid)
    q, r = np.append(queued, queued[-1]), np.append(running, running[-1])
    # queued drawn wider and below running: where both step together, both stay visible
    ax.fill_between(x, r, step="post", color=RUNNING_COLOR, alpha=0.22, linewidth=0)
    ax.plot(x, q, drawstyle="steps-post", color=QUEUED_COLOR, linewidth=2.2, label="queued",
            zorder=2)
    ax.plot(x, r, drawstyle="steps-post", color=RUNNING_COLOR, linewidth=1.2, label="running",
            zorder=3)
    _time_axis(ax, zone)
    ax.set_xlim(x[0], x[-1])
    ax.set_ylim(0, max(r.max(), q.max(), 1.0) * 1.12)
    ax.yaxis.set_major_locator(MaxNLocator(integer=True, nbins=6))
    ax.set_ylabel("runs (peak per interval)")
    ax.set_xlabel(f"time ({zone.key})")
    ax.legend(loc="lower right", bbox_to_anchor=(1.0, 1.0), fontsize=8, frameon=False,
              ncols=2, borderaxespad=0.2)
    step = format_seconds((hi - lo).total_seconds() / max(int(points), 2))
    _titles(ax, title, f"peak per {step} interval: {int(running.max()):,} running, "
                       f"{int(queued.max()):,} queued at most (paused counts as running)")
    _tidy(ax)
    return ax


# -- rendering ------------------------------------------------------------------------------

def render_png(plot: Callable[..., Axes], df: pd.DataFrame, *,
               figsize: tuple[float, float] = DEFAULT_FIGSIZE, dpi: int = 110,
               **kwargs: Any) -> bytes:
    """Draw ``plot(df, ax=..., **kwargs)`` on a private figure and return PNG bytes.

    Uses :class:`matplotlib.figure.Figure` directly: no pyplot, no global
    state, no backend change, so it is safe inside Jupyter and threads.

    Example:
        >>> png = render_png(plot_failure_pareto, runs)  # doctest: +SKIP
    """
    fig = Figure(figsize=figsize, dpi=dpi, layout="constrained")
    ax = fig.add_subplot()
    plot(df, ax=ax, **kwargs)
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        # _text() replaces glyphs the font lacks; this only guards odd fonts.
        warnings.filterwarnings("ignore", message=r"Glyph \d+ .*missing from")
        fig.savefig(buffer, format="png", metadata={"Software": None})
    return buffer.getvalue()
