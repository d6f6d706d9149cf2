"""How runs end: :func:`plot_success_volume` and :func:`plot_failure_pareto`."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.ticker import FuncFormatter, MaxNLocator, PercentFormatter

from .. import analysis
from .axes import _axes, _bucket_widths, _no_data, _num, _plain, _resolve_freq, _time_axis, _tzinfo
from .style import (
    DEFAULT_FIGSIZE,
    FAILURE_COLOR,
    PALETTE,
    SUCCESS_COLOR,
    VOLUME_COLOR,
    _tidy,
    _titles,
)
from .text import _plural, _text, freq_label

TOP_CATEGORIES = 10
_PARTIAL_COLOR = "#D9E3EE"
_RATE_TEXT_COLOR = "#006B4F"


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
        The Axes with the bars, one per bucket (the line's Axes is its twin,
        one point per bucket at the bucket's middle).

    Raises:
        UsageError: a bad ``tz`` or ``freq``.

    Example:
        >>> import pandas as pd
        >>> from matplotlib.figure import Figure
        >>> runs = pd.DataFrame({
        ...     "status": ["completed", "failed", "completed", "canceled"],
        ...     "created_at": pd.to_datetime(["2026-01-05 09:00", "2026-01-05 10:00",
        ...                                   "2026-01-06 09:00", "2026-01-06 10:00"], utc=True)})
        >>> ax = plot_success_volume(runs, ax=Figure().add_subplot(), freq="D")
        >>> [int(p.get_height()) for p in ax.patches]  # runs created per day
        [2, 2]
        >>> twin = ax.figure.axes[1]
        >>> twin.lines[0].get_ydata().tolist()  # completed / finished, canceled left out
        [0.5, 1.0]
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
    ax.bar(x, runs, width=widths * 0.92, align="edge",
           color=list(np.where(partial, _PARTIAL_COLOR, VOLUME_COLOR)), linewidth=0)
    ax.set_ylabel("runs created (bars)")
    ax.yaxis.set_major_locator(MaxNLocator(integer=True, nbins=6))
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _pos: f"{v:,.0f}"))
    _draw_rate(ax, x + widths / 2, _plain(table["success_rate"]))
    _time_axis(ax, zone, start, end)
    ax.set_xlabel(f"created, per {freq_label(freq)} ({zone.key})")
    finished = int(table["n_finished"].sum())
    note = (f"; lighter bars: partial {_plural(freq_label(freq))}"
            if (partial & (runs > 0)).any() else "")
    _titles(ax, title, f"n = {int(runs.sum()):,} runs, {finished:,} finished "
                       f"(canceled not counted){note}")
    _tidy(ax)
    return ax


def _draw_rate(ax: Axes, centers: np.ndarray, rate: np.ndarray) -> None:
    """The success rate on a twin axis, from a round floor under its lowest point to 100 %."""
    twin = ax.twinx()
    marker = "o" if len(centers) <= 60 else None
    twin.plot(centers, rate, color=SUCCESS_COLOR, linewidth=2, marker=marker, markersize=4)
    finite = rate[np.isfinite(rate)]
    low = float(finite.min()) if len(finite) else 0.0
    floor = 0.0 if low < 0.5 else max(0.0, np.floor((low - 0.05) * 10) / 10)
    twin.set_ylim(floor, 1.04)
    twin.yaxis.set_major_locator(MaxNLocator(nbins=6, steps=[1, 2, 2.5, 5, 10]))
    twin.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    twin.set_ylabel("success rate, completed / finished (line)", color=_RATE_TEXT_COLOR)
    twin.tick_params(axis="y", colors=_RATE_TEXT_COLOR)
    twin.spines["top"].set_visible(False)


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
        The Axes drawn on: one bar per category, largest at the top;
        ``ax.texts`` holds each bar's label, top bar first, then the subtitle.

    Example:
        >>> import pandas as pd
        >>> from matplotlib.figure import Figure
        >>> runs = pd.DataFrame({
        ...     "status": ["failed", "failed", "timed_out", "completed"],
        ...     "primary_failure_category": ["PROXY_ERROR", "PROXY_ERROR", None, None]})
        >>> ax = plot_failure_pareto(runs, ax=Figure().add_subplot())
        >>> [int(p.get_width()) for p in ax.patches]
        [2, 1]
        >>> [label.get_text() for label in ax.get_yticklabels()]  # top bar first
        ['PROXY_ERROR', 'uncategorized']
        >>> [text.get_text().strip() for text in ax.texts[:2]]
        ['2 · 67% (cum. 67%)', '1 · 33% (cum. 100%)']
    """
    title = "Failure categories (primary cause of failed runs)"
    if ax is None:
        ax = _axes(None, (DEFAULT_FIGSIZE[0], 1.6 + 0.38 * min(top + 1, 12)))
    table = analysis.failure_breakdown(df)
    if table.empty:
        return _no_data(ax, title, "no failed runs in this period")
    names, counts, shares, colors = _pareto_bars(table, top)
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
    failures, runs = int(table["failures"].iloc[0]), int(table["runs"].iloc[0])
    _titles(ax, title, f"n = {failures:,} failed runs (failed, terminated, timed_out) of "
                       f"{runs:,} runs; share of failed runs, cumulative")
    _tidy(ax, "x")
    return ax


def _pareto_bars(table: pd.DataFrame, top: int
                 ) -> tuple[list[str], np.ndarray, np.ndarray, list[str]]:
    """Name, count, share and colour of each bar: the ``top`` largest, then "other"."""
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
    return names, counts, shares, colors
