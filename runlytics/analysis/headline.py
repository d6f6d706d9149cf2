"""Headline figures of a runs frame as plain Python values: :func:`summary`."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from .. import schema
from ._common import (
    _NAT,
    FAILURE_STATUSES,
    UNKNOWN,
    Duration,
    _label_rank,
    _labels,
    _now_us,
    _ratio,
    _status_mask,
    _us,
    require_columns,
)
from ._groups import _count, _grouped_stats, _groups, _range
from .failures import _failure_labels
from .latency import _latency_frame
from .load import DEFAULT_QUEUED_THRESHOLD, DEFAULT_RUNNING_THRESHOLD, _stuck
from .rates import _success_counts
from .timing import DEFAULT_SKEW_TOLERANCE_SECONDS, _Timing, _timing_arrays


def _py(value: Any) -> Any:
    """numpy/pandas scalar -> plain Python; NaN and NA -> None."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, np.integer | int) and not isinstance(value, bool):
        return int(value)
    if isinstance(value, np.floating | float):
        return float(value) if math.isfinite(value) else None
    if isinstance(value, np.bool_ | bool):
        return bool(value)
    return value


def _iso(us: int | None) -> str | None:
    if us is None:
        return None
    return str(pd.Timestamp(us, unit="us", tz="UTC").isoformat())


def _value_counts(values: pd.Series, known: Sequence[str]) -> dict[str, int]:
    """Count per label: every known value (0 included), then others seen, then "unknown"."""
    codes, labels = _labels(values)
    counts = np.bincount(codes, minlength=len(labels))
    seen = dict(zip(labels, (int(c) for c in counts), strict=True))
    out = {k: seen.pop(k, 0) for k in known}
    extra = sorted(k for k in seen if k != UNKNOWN)
    out.update({k: seen[k] for k in extra})
    if UNKNOWN in seen:
        out[UNKNOWN] = seen[UNKNOWN]
    return out


def summary(df: pd.DataFrame, *, now: Any = None, include_canceled: bool = False,
            queued_threshold: Duration = DEFAULT_QUEUED_THRESHOLD,
            running_threshold: Duration = DEFAULT_RUNNING_THRESHOLD,
            skew_tolerance_seconds: Duration | float = DEFAULT_SKEW_TOLERANCE_SECONDS,
            ) -> dict[str, Any]:
    """Headline figures of a runs frame as plain, JSON-ready Python values.

    Figures follow the helpers' definitions: ``queue_seconds`` and
    ``duration_seconds`` as in :func:`latency_summary` over all runs,
    ``success_rate`` as in :func:`success_rate`, ``stuck_runs`` as in
    :func:`stuck_runs`, ``failure_categories`` as the primary categories of
    failed runs (:func:`failure_breakdown`).

    Args:
        df: a runs frame.
        now: the time ages are measured to; None for the current time.
        include_canceled: count canceled runs as finished in success rates.
        queued_threshold, running_threshold: as in :func:`stuck_runs`.
        skew_tolerance_seconds: as in :func:`timings`.

    Returns:
        A dict: ``now`` (ISO string), ``runs`` (int), ``period``
        {``start``, ``end``} (ISO strings of the first and last ``created_at``,
        None without runs), ``status`` {status: count; every known status,
        then others seen, null as "unknown"}, ``trigger_types`` {same, for
        trigger types}, ``failed_runs`` (int), ``failure_categories``
        {primary category: count, most frequent first, "uncategorized" for
        failed runs without one}, ``queue_seconds`` and ``duration_seconds``
        each {``n``, ``mean``, ``p50``, ``p90``, ``p95``, ``p99``, ``max``
        (None when n == 0), ``unfinished``, ``oldest_unfinished_age_seconds``,
        ``suspect``}, ``success_rate`` (float or None), ``success_rate_n``
        (finished runs), ``stuck_runs`` (int), ``workflows``: a list of dicts
        (most runs first) with ``workflow_permanent_id``, ``workflow_title``
        (of the workflow's latest run with a title), ``runs``,
        ``success_rate``, ``success_rate_n``, ``queue_seconds_n``,
        ``queue_seconds_p50``, ``queue_seconds_p90``, ``duration_seconds_n``,
        ``duration_seconds_p50``, ``duration_seconds_p90``.

    Raises:
        SchemaError: a needed column is missing.
        UsageError: a bad ``now`` or threshold.

    Example:
        >>> import pandas as pd
        >>> t = lambda *s: pd.to_datetime(list(s), utc=True)
        >>> runs = pd.DataFrame({
        ...     "workflow_permanent_id": ["wpid_a", "wpid_a"], "workflow_title": ["Alpha"] * 2,
        ...     "status": ["completed", "failed"], "trigger_type": ["api", "manual"],
        ...     "primary_failure_category": [None, "PROXY_ERROR"],
        ...     "created_at": t("2026-01-05 10:00", "2026-01-05 11:00"),
        ...     "queued_at": t("2026-01-05 10:00", "2026-01-05 11:00"),
        ...     "started_at": t("2026-01-05 10:01", "2026-01-05 11:03"),
        ...     "finished_at": t("2026-01-05 10:05", "2026-01-05 11:08")})
        >>> figures = summary(runs, now="2026-01-06")
        >>> figures["runs"], figures["success_rate"], figures["failure_categories"]
        (2, 0.5, {'PROXY_ERROR': 1})
        >>> figures["queue_seconds"]["p50"], figures["queue_seconds"]["max"]
        (120.0, 180.0)
    """
    require_columns(df, ["workflow_permanent_id", "workflow_title", "status", "trigger_type",
                         "primary_failure_category", "created_at", "queued_at", "started_at",
                         "finished_at"], where="summary")
    now_us = _now_us(now)
    metrics = ("queue_seconds", "duration_seconds")
    arrays = _timing_arrays(df, skew_tolerance_seconds, metrics)
    n = len(df)

    overall = _groups(df, [], None, "UTC")[0]
    # Sort each metric's values once for the overall and the per-workflow figures.
    orders = {m: np.argsort(arrays[m].values[~np.isnan(arrays[m].values)]) for m in metrics}
    latency = _latency_frame(df, overall, metrics, arrays, now_us, orders)
    figures: dict[str, dict[str, Any]] = {}
    for i, metric in enumerate(metrics):
        row = latency.iloc[i] if len(latency) else None
        figures[metric] = {
            key: (0 if key in ("n", "unfinished", "suspect") else None) if row is None
            else _py(row[key])
            for key in ("n", "mean", "p50", "p90", "p95", "p99", "max", "unfinished",
                        "oldest_unfinished_age_seconds", "suspect")
        }
    completed, finished = _success_counts(df, overall, include_canceled)
    failed = _status_mask(df, FAILURE_STATUSES)
    rows, label_codes, labels = _failure_labels(df, np.flatnonzero(failed), False)
    category_counts = np.bincount(label_codes, minlength=len(labels))
    by_count = np.lexsort((_label_rank(labels), -category_counts))
    created = _us(df["created_at"])
    span = _range(created)

    return {
        "now": _iso(now_us),
        "runs": n,
        "period": {"start": _iso(span[0]) if span else None,
                   "end": _iso(span[1]) if span else None},
        "status": _value_counts(df["status"], schema.STATUSES),
        "trigger_types": _value_counts(df["trigger_type"], schema.TRIGGER_TYPES),
        "failed_runs": int(failed.sum()),
        "failure_categories": {labels[i]: int(category_counts[i]) for i in by_count},
        "queue_seconds": figures["queue_seconds"],
        "duration_seconds": figures["duration_seconds"],
        "success_rate": _py(completed[0] / finished[0]) if n and finished[0] else None,
        "success_rate_n": int(finished[0]) if n else 0,
        "stuck_runs": int(_stuck(df, now_us, queued_threshold, running_threshold)[0].sum()),
        "workflows": _workflow_rows(df, arrays, orders, include_canceled, created),
    }


def _workflow_rows(df: pd.DataFrame, arrays: dict[str, _Timing], orders: dict[str, np.ndarray],
                   include_canceled: bool, created: np.ndarray) -> list[dict[str, Any]]:
    groups = _groups(df, ["workflow_permanent_id"], None, "UTC")[0]
    codes, ng = groups.codes, groups.ngroups
    if ng == 0:
        return []
    runs = _count(codes, ng)
    completed, finished = _success_counts(df, groups, include_canceled)
    # Latest title: the title of the workflow's most recently created run that has one.
    titles = df["workflow_title"]
    has_title = titles.notna().to_numpy(dtype=bool)
    latest = np.full(ng, _NAT, dtype=np.int64)
    np.maximum.at(latest, codes[has_title], created[has_title])
    candidates = np.flatnonzero(has_title & (created == latest[codes]))
    title_row = np.full(ng, -1, dtype=np.int64)
    title_row[codes[candidates]] = candidates
    title_values = pd.api.extensions.take(titles.array, title_row, allow_fill=True)
    order = np.lexsort((np.arange(ng), -runs))
    columns: dict[str, Any] = {
        "workflow_permanent_id": groups.keys["workflow_permanent_id"].array,
        "workflow_title": title_values,
        "runs": runs,
        "success_rate": _ratio(completed, finished),
        "success_rate_n": finished,
    }
    for metric in ("queue_seconds", "duration_seconds"):
        stats = _grouped_stats(codes, arrays[metric].values, ng, value_order=orders[metric])
        columns[f"{metric}_n"] = stats["n"]
        columns[f"{metric}_p50"] = stats["p50"]
        columns[f"{metric}_p90"] = stats["p90"]
    lists = [_plain_list(values[order]) for values in columns.values()]
    return [dict(zip(columns, row, strict=True)) for row in zip(*lists, strict=True)]


def _plain_list(values: Any) -> list[Any]:
    """Plain Python values; NaN and NA -> None."""
    if isinstance(values, np.ndarray) and values.dtype.kind == "f":
        return [None if v != v else v for v in values.tolist()]
    if isinstance(values, np.ndarray):
        return list(values.tolist())
    return [None if v is pd.NA or v is None else v for v in values.tolist()]
