"""Latency statistics per group: :func:`latency_summary`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from ..errors import UsageError
from ._common import (
    _NAT,
    _US,
    NON_FINAL_STATUSES,
    Duration,
    _by_list,
    _float,
    _now_us,
    _status_mask,
    _us,
    require_columns,
)
from ._groups import _count, _group_max, _grouped_stats, _Groups, _groups
from .timing import DEFAULT_SKEW_TOLERANCE_SECONDS, METRICS, _Timing, _timing_arrays

#: Statistic columns of :func:`latency_summary`, in order.
LATENCY_STATS = ("runs", "n", "unfinished", "suspect", "mean", "p50", "p90", "p95", "p99",
                 "max", "oldest_unfinished_age_seconds")


def _open_intervals(df: pd.DataFrame, metric: str, stamps: dict[str, np.ndarray],
                    open_status: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Rows whose ``metric`` interval has started but not ended, and its start (us)."""
    queued, started = stamps["queued_at"], stamps["started_at"]
    finished, created = stamps["finished_at"], stamps["created_at"]
    if metric == "queue_seconds":
        mask = open_status & (started == _NAT)
        anchor = np.where(queued != _NAT, queued, created)
    elif metric == "duration_seconds":
        mask = open_status & (started != _NAT) & (finished == _NAT)
        anchor = started
    elif metric == "turnaround_seconds":
        mask = open_status & (finished == _NAT)
        anchor = created
    else:
        mask = open_status & (queued == _NAT) & (started == _NAT)
        anchor = created
    return mask & (anchor != _NAT), anchor


def _latency_frame(df: pd.DataFrame, groups: _Groups, metrics: Sequence[str],
                   arrays: dict[str, _Timing], now_us: int,
                   orders: dict[str, np.ndarray] | None = None) -> pd.DataFrame:
    stamps = {c: _us(df[c]) for c in ("created_at", "queued_at", "started_at", "finished_at")}
    open_status = _status_mask(df, NON_FINAL_STATUSES)
    codes, ng = groups.codes, groups.ngroups
    runs = _count(codes, ng)
    table: dict[str, list[np.ndarray]] = {name: [] for name in LATENCY_STATS}
    for metric in metrics:
        stats = _grouped_stats(codes, arrays[metric].values, ng,
                               value_order=(orders or {}).get(metric))
        mask, anchor = _open_intervals(df, metric, stamps, open_status)
        ages = np.maximum(now_us - np.where(mask, anchor, now_us), 0) / _US
        table["runs"].append(runs)
        table["unfinished"].append(_count(codes, ng, mask))
        table["suspect"].append(_count(codes, ng, arrays[metric].suspect))
        table["oldest_unfinished_age_seconds"].append(_group_max(codes, ages, ng, mask))
        for name, values in stats.items():
            table[name].append(values)
    nm = len(metrics)
    keys = groups.keys.take(np.repeat(np.arange(ng), nm)).reset_index(drop=True)
    keys["metric"] = pd.Categorical.from_codes(np.tile(np.arange(nm), ng),
                                               categories=list(metrics))
    for name in LATENCY_STATS:
        stacked = np.stack(table[name], axis=1).reshape(-1)  # group-major, metric-minor
        if name in ("runs", "n", "unfinished", "suspect"):
            keys[name] = stacked.astype(np.int64)
        else:
            keys[name] = _float(stacked)
    return keys


def latency_summary(df: pd.DataFrame, *, by: str | Sequence[str] | None = None,
                    freq: Any = None, tz: Any = "UTC", now: Any = None,
                    metrics: Sequence[str] = ("queue_seconds", "duration_seconds"),
                    skew_tolerance_seconds: Duration | float = DEFAULT_SKEW_TOLERANCE_SECONDS,
                    ) -> pd.DataFrame:
    """Latency statistics per group (long layout: one row per group and metric).

    Statistics are over the runs whose metric is known (see :func:`timings`;
    suspect values excluded, clamped ones counted as 0): ``mean`` is the
    arithmetic mean, ``pXX`` the XXth percentile by linear interpolation
    (numpy's default: position ``q * (n - 1)`` of the sorted values), ``max``
    the largest value. Runs whose interval
    has started but not ended are not in the statistics; they are counted in
    ``unfinished`` with the age of the oldest one as of ``now``, so a backlog
    shows even when every finished run was quick. Unfinished, per metric, for
    a run with an open status (created, queued, running, paused):
    ``queue_seconds``: not started yet, age from ``queued_at`` (from
    ``created_at`` when not queued yet); ``duration_seconds``: started, not
    finished, age from ``started_at``; ``turnaround_seconds``: not finished,
    age from ``created_at``; ``pickup_seconds``: neither queued nor started,
    age from ``created_at``.

    Args:
        df: a runs frame.
        by: column(s) to group by, e.g. ``"workflow_permanent_id"``,
            ``"trigger_type"``, ``"status"``; None for all runs together.
        freq: bucket ``created_at`` by this offset alias; None for no buckets.
        tz: time zone of the bucket boundaries and labels.
        now: the time ages are measured to; None for the current time.
        metrics: which timings to summarise, any of ``METRICS``.
        skew_tolerance_seconds: as in :func:`timings`.

    Returns:
        Columns: the ``by`` columns, ``bucket`` (with ``freq``), ``metric``
        (category of ``metrics``), then ``LATENCY_STATS``: ``runs`` (runs in
        the group), ``n`` (values used), ``unfinished``, ``suspect`` (values
        excluded as clock skew), ``mean, p50, p90, p95, p99, max`` (seconds,
        Float64, null when n == 0), ``oldest_unfinished_age_seconds`` (null
        when none). Sorted by group, then metric in the order given.

    Raises:
        SchemaError: a needed column is missing.
        UsageError: an unknown metric, a bad ``freq``, ``tz`` or ``now``.

    Example:
        >>> import pandas as pd
        >>> t = lambda *s: pd.to_datetime(list(s), utc=True)
        >>> runs = pd.DataFrame({
        ...     "workflow_permanent_id": ["wpid_a", "wpid_a", "wpid_b"],
        ...     "status": ["completed", "completed", "queued"],
        ...     "created_at": t("2026-01-05 10:00", "2026-01-05 11:00", "2026-01-05 12:00"),
        ...     "queued_at": t("2026-01-05 10:00", "2026-01-05 11:00", "2026-01-05 12:00"),
        ...     "started_at": t("2026-01-05 10:01", "2026-01-05 11:03", None),
        ...     "finished_at": t("2026-01-05 10:05", "2026-01-05 11:08", None)})
        >>> got = runs.pipe(latency_summary, by="workflow_permanent_id",
        ...                 metrics=["queue_seconds"], now="2026-01-05 12:10")
        >>> got[["workflow_permanent_id", "n", "p50", "max", "unfinished",
        ...      "oldest_unfinished_age_seconds"]].values.tolist()
        [['wpid_a', 2, 120.0, 180.0, 0, <NA>], ['wpid_b', 0, <NA>, <NA>, 1, 600.0]]
    """
    by_cols = _by_list(by)
    metrics = list(dict.fromkeys([metrics] if isinstance(metrics, str) else metrics))
    unknown = [m for m in metrics if m not in METRICS]
    if unknown or not metrics:
        raise UsageError(f"metrics must be some of {', '.join(METRICS)}, got {metrics!r}")
    require_columns(df, ["status", "created_at", "queued_at", "started_at", "finished_at",
                         *by_cols], where="latency_summary")
    now_us = _now_us(now)
    arrays = _timing_arrays(df, skew_tolerance_seconds, metrics)
    groups, _ = _groups(df, by_cols, freq, tz)
    return _latency_frame(df, groups, metrics, arrays, now_us)
