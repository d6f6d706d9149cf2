"""Literal runs for the plot tests, built with the public ``runs_frame``, and what plots draw.

``run()`` writes one run the way the API sends it, with the timestamps a plot
reads given as times of day on ``DAY`` (``"10:00"``) or full ISO strings;
``frame()`` types a list of them. ``synthetic()`` makes many random runs for the
smoke and scale tests, where only the shape of the result is asserted.
"""

from __future__ import annotations

from typing import Any

import matplotlib.dates as mdates
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from runlytics import analysis, runs_frame
from runlytics.schema import column

DAY = "2026-01-05"
NOW = pd.Timestamp("2026-01-05T12:00:00", tz="UTC")


def _when(value: str | None) -> str | None:
    if value is None or "T" in value:
        return value
    return f"{DAY}T{value}:00" if len(value) == 5 else f"{DAY}T{value}"


def run(run_id: str, *, status: str = "completed", created: str = "10:00",
        queued: str | None = None, started: str | None = None, finished: str | None = None,
        workflow: str = "wpid_a", title: str | None = "Alpha", trigger: str | None = "api",
        category: str | None = None) -> dict[str, Any]:
    """A run dict as the API sends it; ``queued`` defaults to ``created``."""
    created_at = _when(created)
    return {
        "workflow_run_id": run_id, "workflow_id": "w_1", "workflow_permanent_id": workflow,
        "organization_id": "o_1", "status": status, "created_at": created_at,
        "modified_at": created_at, "queued_at": _when(queued) or created_at,
        "started_at": _when(started), "finished_at": _when(finished),
        "workflow_title": title, "trigger_type": trigger,
        "failure_category": ([{"category": category, "confidence_float": 0.9,
                               "reasoning": "Keywords matched"}] if category else None),
    }


def frame(*runs: dict[str, Any]) -> pd.DataFrame:
    return runs_frame([list(runs)])


def new_ax() -> Axes:
    return Figure(figsize=(9, 4.2), layout="constrained").add_subplot()


def dates(*stamps: Any) -> list[float]:
    """Matplotlib date numbers of timestamps (naive = UTC): the x of a time axis."""
    values = [pd.Timestamp(s).tz_localize("UTC") if pd.Timestamp(s).tzinfo is None
              else pd.Timestamp(s) for s in stamps]
    return [float(mdates.date2num(v.tz_convert("UTC").tz_localize(None).to_datetime64()))
            for v in values]


def drawn_labels(ax: Axes, axis: str = "x") -> list[str]:
    """Labels of the ticks in view, as drawn (formatters run only when the figure is drawn)."""
    ax.figure.draw_without_rendering()
    along = ax.xaxis if axis == "x" else ax.yaxis
    lo, hi = sorted(ax.get_xlim() if axis == "x" else ax.get_ylim())
    ticks = zip(along.get_majorticklocs(), along.get_majorticklabels(), strict=True)
    return [label.get_text() for loc, label in ticks if lo <= loc <= hi]


def synthetic(n: int, *, seed: int = 0, titles: tuple[str, ...] = ("Alpha", "Beta", "Gamma"),
              queue_scale: float = 1.5, end: pd.Timestamp = NOW) -> pd.DataFrame:
    """``n`` random runs over the 14 days before ``end``, with the columns the plots read."""
    rng = np.random.default_rng(seed)
    created = end - pd.to_timedelta(np.sort(rng.uniform(0, 14 * 86400, n))[::-1], unit="s")
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
