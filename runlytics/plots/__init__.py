"""Plots of a runs frame, drawn with matplotlib from the analysis helpers' figures.

Every plot is a function ``plot_*(df, *, ax=None, ...) -> Axes``: it draws on
``ax`` (a new pyplot figure when None, so notebooks show it inline), never
calls ``plt.show()`` and returns the Axes. The numbers come from
:mod:`runlytics.analysis`; only the drawing is done here. :func:`render_png`
draws one plot on a private :class:`matplotlib.figure.Figure` (no pyplot
state, no backend switch) and returns PNG bytes, for reports.

Modules, by what they draw:

* :mod:`.latency`: how long runs wait and take (:func:`plot_queue_latency`,
  :func:`plot_duration_by_workflow`).
* :mod:`.outcomes`: how runs end (:func:`plot_success_volume`,
  :func:`plot_failure_pareto`).
* :mod:`.load`: what the system carries (:func:`plot_runs_in_flight`,
  :func:`plot_trigger_mix`).
* :mod:`.render`: :func:`render_png`. Beneath them: :mod:`.style` (colours,
  titles), :mod:`.axes` (seconds and time axes, "no data" notes),
  :mod:`.text` (server text made safe, words for bucket sizes).

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

Renamed (the old names work for one release, with a ``DeprecationWarning``):
``plot_concurrency`` -> :func:`plot_runs_in_flight`, ``CONCURRENCY_POINTS`` ->
``RUNS_IN_FLIGHT_POINTS``.

Example:
    >>> import io
    >>> import pandas as pd
    >>> from runlytics.plots import plot_failure_pareto
    >>> runs = pd.DataFrame({"status": ["failed", "failed", "completed"],
    ...                      "primary_failure_category": ["LLM_ERROR", "PROXY_ERROR", None]})
    >>> ax = plot_failure_pareto(runs)
    >>> ax.figure.savefig(io.BytesIO(), format="png")  # or a file name
    >>> import matplotlib.pyplot as plt; plt.close(ax.figure)
"""

from __future__ import annotations

import warnings
from typing import Any

from ..units import format_seconds
from .axes import auto_freq
from .latency import (
    ECDF_POINTS,
    STRIP_MAX,
    TOP_WORKFLOWS,
    plot_duration_by_workflow,
    plot_queue_latency,
)
from .load import RUNS_IN_FLIGHT_POINTS, plot_runs_in_flight, plot_trigger_mix
from .outcomes import TOP_CATEGORIES, plot_failure_pareto, plot_success_volume
from .render import render_png
from .style import (
    DEFAULT_FIGSIZE,
    FAILURE_COLOR,
    PALETTE,
    QUEUED_COLOR,
    RUNNING_COLOR,
    STATUS_COLORS,
    SUCCESS_COLOR,
    TRIGGER_COLORS,
    VOLUME_COLOR,
)
from .text import LABEL_LIMIT, freq_label

__all__ = [
    "DEFAULT_FIGSIZE",
    "ECDF_POINTS",
    "FAILURE_COLOR",
    "LABEL_LIMIT",
    "PALETTE",
    "QUEUED_COLOR",
    "RUNNING_COLOR",
    "RUNS_IN_FLIGHT_POINTS",
    "STATUS_COLORS",
    "STRIP_MAX",
    "SUCCESS_COLOR",
    "TOP_CATEGORIES",
    "TOP_WORKFLOWS",
    "TRIGGER_COLORS",
    "VOLUME_COLOR",
    "auto_freq",
    "format_seconds",
    "freq_label",
    "plot_duration_by_workflow",
    "plot_failure_pareto",
    "plot_queue_latency",
    "plot_runs_in_flight",
    "plot_success_volume",
    "plot_trigger_mix",
    "render_png",
]

#: Old public names, kept for one release: old name -> new name.
_RENAMED = {"plot_concurrency": "plot_runs_in_flight",
            "CONCURRENCY_POINTS": "RUNS_IN_FLIGHT_POINTS"}


def __getattr__(name: str) -> Any:
    if name in _RENAMED:
        new = _RENAMED[name]
        warnings.warn(f"runlytics.plots.{name} is deprecated; use {new}", DeprecationWarning,
                      stacklevel=2)
        return globals()[new]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
