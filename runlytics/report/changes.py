"""What changed, and is it real: the figures of the report's change sections.

From :mod:`runlytics.analysis`: :func:`~runlytics.analysis.changes` (the
period against the one before, with a test per metric and Benjamini-Hochberg
across them), Wilson intervals beside success rates,
:func:`~runlytics.analysis.censored_latency` (percentiles that count runs still
waiting) and :func:`~runlytics.analysis.flaky_workflows`. As JSON-ready values:
the summary's ``changes``, ``significant_changes``, ``flaky_workflows``,
``success_rate_ci`` and ``censored_latency`` keys.
"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

from .. import analysis
from .diagnostics import plain_records
from .period import Periods

__all__ = ["CHANGE_INPUT_COLUMNS", "change_figures", "significant_counts"]

#: Columns the flaky-workflow figures read when the frame has them.
CHANGE_INPUT_COLUMNS = ("attempt", "retry_pending", "retried_from_workflow_run_id")


def _ci(successes: int, n: int | None) -> list[float] | None:
    got = analysis.wilson_interval(successes, n) if n else None
    return [float(got[0]), float(got[1])] if got else None


def significant_counts(changes: list[dict[str, Any]]) -> dict[str, int]:
    """Significant changes by metric and direction, for ``--fail-on``.

    Keys are ``any`` and ``<metric>_up`` / ``<metric>_down`` with dots as
    underscores (``success_rate_down``, ``queue_seconds_p90_up``); every key
    is present, 0 when nothing changed.

    Example:
        >>> significant_counts([{"metric": "success_rate", "previous": 0.9, "current": 0.7,
        ...                      "significant": True}])["success_rate_down"]
        1
    """
    counts = {"any": 0} | {f"{m.replace('.', '_')}_{way}": 0
                            for m in analysis.CHANGE_METRICS for way in ("up", "down")}
    for change in changes:
        if not change.get("significant"):
            continue
        way = "up" if (change["current"] or 0) > (change["previous"] or 0) else "down"
        counts["any"] += 1
        counts[f"{change['metric'].replace('.', '_')}_{way}"] += 1
    return counts


def _censored(runs: pd.DataFrame, now: pd.Timestamp) -> dict[str, Any]:
    table = analysis.censored_latency(runs, now=now)
    out: dict[str, Any] = {}
    for row in plain_records(table):
        metric = row.pop("metric")
        out[metric] = row
    return out


def change_figures(df: pd.DataFrame, runs: pd.DataFrame, periods: Periods, summary: dict[str, Any],
                   now: pd.Timestamp) -> dict[str, Any]:
    """The JSON parts of the change sections (see the module docstring).

    ``changes`` is empty when the data does not cover the previous period.
    """
    changes: list[dict[str, Any]] = []
    if periods.covered:
        table = analysis.changes(df, period_start=periods.period.start,
                                 period_end=periods.period.end)
        changes = plain_records(table)
        changes.sort(key=lambda c: (not c["significant"], -abs(c["effect_size"] or 0)
                                    if c["effect_size"] is not None
                                    and not math.isnan(c["effect_size"]) else 0))
    completed = int(summary["status"].get("completed", 0))
    flaky = (plain_records(analysis.flaky_workflows(runs))
             if set(CHANGE_INPUT_COLUMNS) <= set(runs.columns) else [])
    return {"changes": changes, "significant_changes": significant_counts(changes),
            "flaky_workflows": flaky,
            "success_rate_ci": _ci(completed, summary["success_rate_n"]),
            "censored_latency": _censored(runs, now)}
