"""Axes helpers: new axes, "no data" notes, seconds axes (linear or log), time axes.

Durations are in seconds; an axis switches to a log scale when the values span
two decades or more, with ticks labelled 1 s, 1 min, 1 h, ... Time axes are in
the time zone ``tz`` (default UTC), stated in the axis label by each plot.
"""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

import matplotlib.dates as mdates
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.ticker import FixedLocator, FuncFormatter, MultipleLocator

from ..errors import UsageError
from ..units import format_seconds
from .style import DEFAULT_FIGSIZE, _titles

# -- new axes and empty plots ------------------------------------------------------------

def _axes(ax: Axes | None, figsize: tuple[float, float] = DEFAULT_FIGSIZE) -> Axes:
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt  # only here: notebooks get an inline figure

    _, new = plt.subplots(figsize=figsize, layout="constrained")
    return new


def _no_data(ax: Axes, title: str, note: str) -> Axes:
    _titles(ax, title)
    ax.text(0.5, 0.5, note, transform=ax.transAxes, ha="center", va="center", fontsize=11,
            color="#666666")
    ax.set_xticks([])
    ax.set_yticks([])
    for side in ("top", "right", "bottom", "left"):
        ax.spines[side].set_visible(False)
    return ax


def _plain(values: Any) -> np.ndarray:
    """A nullable numeric column as float64 with NaN."""
    floats: np.ndarray = pd.array(values, dtype="Float64").to_numpy(dtype=np.float64,
                                                                  na_value=np.nan)
    return floats


# -- seconds axes -------------------------------------------------------------------------

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


# -- time axes and buckets ----------------------------------------------------------------

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


def _resolve_freq(df: pd.DataFrame, freq: str | None, start: Any, end: Any) -> str:
    """``freq``, or one :func:`auto_freq` picks for the range (else the data's span)."""
    if freq is not None:
        return freq
    if start is not None and end is not None:
        return auto_freq(start, end)
    created = df["created_at"].dropna()
    return auto_freq(created.min(), created.max()) if len(created) else "D"


def _num(times: Any) -> np.ndarray:
    """Tz-aware datetimes -> matplotlib date numbers (days since the epoch, UTC)."""
    series = pd.Series(pd.to_datetime(pd.Series(times)))
    if isinstance(series.dtype, pd.DatetimeTZDtype):
        series = series.dt.tz_convert("UTC").dt.tz_localize(None)
    numbers: np.ndarray = mdates.date2num(series.to_numpy(dtype="datetime64[us]"))
    return numbers


def _time_axis(ax: Axes, tz: ZoneInfo, start: Any = None, end: Any = None) -> None:
    """Concise date ticks in ``tz``; the x range ``start``..``end`` when both are given."""
    locator = mdates.AutoDateLocator(tz=tz, minticks=4, maxticks=10)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator, tz=tz))
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
