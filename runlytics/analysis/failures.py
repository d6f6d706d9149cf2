"""Failed runs per category: :func:`failure_breakdown` and :func:`failure_trends`."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from .. import schema
from ..errors import UsageError
from ._common import (
    _NAT,
    _STRING,
    _US,
    FAILURE_STATUSES,
    UNCATEGORIZED,
    Duration,
    _by_list,
    _float,
    _label_rank,
    _merge_label,
    _now_us,
    _ratio,
    _seconds,
    _status_mask,
    _strings,
    _us,
    require_columns,
)
from ._groups import _count, _groups

DEFAULT_TREND_PERIOD = pd.Timedelta(days=7)
DEFAULT_MIN_GROWTH = 0.5
_TREND_ORDER = ("new", "growing", "stable", "shrinking", "gone")


def _failure_labels(df: pd.DataFrame, rows: np.ndarray,
                    all_categories: bool) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """(row, label) pairs for the failed ``rows``: primary or every distinct category.

    Rows with no category get ``UNCATEGORIZED``. Returns the pair rows, the
    pair label codes and the labels.
    """
    if not all_categories:
        values = df["primary_failure_category"].take(rows)
        codes, uniques = pd.factorize(values, sort=True)
        labels = [str(u) for u in uniques]
        codes = codes.astype(np.int64, copy=False)
        if (codes < 0).any():
            codes = _merge_label(codes, labels, UNCATEGORIZED)
        return rows, codes, labels
    column = df["failure_category"]
    if isinstance(column.dtype, pd.ArrowDtype):
        lists = pa.array(column.array)
    else:
        lists = pa.array(column.tolist(), type=pa.list_(schema.FAILURE_ENTRY), from_pandas=True)
    if isinstance(lists, pa.ChunkedArray):
        lists = lists.combine_chunks()
    lists = lists.take(pa.array(rows))
    parents = pc.list_parent_indices(lists).to_numpy(zero_copy_only=False).astype(np.int64)
    flat = pc.list_flatten(lists)
    cats = pc.struct_field(flat, "category") if len(flat) else pa.array([], pa.string())
    valid = cats.is_valid().to_numpy(zero_copy_only=False)
    parents = parents[valid]
    codes, uniques = pd.factorize(pd.Series(cats.filter(pa.array(valid)),
                                            dtype=_STRING), sort=True)
    labels = [str(u) for u in uniques]
    codes = codes.astype(np.int64, copy=False)
    # A run counts once per distinct category. Parents come sorted, so sorting
    # the pair keys only reorders within a run and is cheap.
    width = max(len(labels), 1)
    pair = np.sort(parents * width + codes)
    if len(pair):
        pair = pair[np.append(True, pair[1:] != pair[:-1])]
    parents, codes = pair // width, pair % width
    has_category = np.zeros(len(rows), dtype=bool)
    has_category[parents] = True
    bare = np.flatnonzero(~has_category)
    if bare.size:
        parents = np.concatenate([parents, bare])
        codes = _merge_label(np.concatenate([codes, np.full(bare.size, -1)]), labels,
                             UNCATEGORIZED)
    return rows[parents], codes, labels


def _pair_counts(a: np.ndarray, na: int, b: np.ndarray, nb: int
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Non-zero counts of the pairs (a, b): (a values, b values, counts)."""
    key = a.astype(np.int64) * nb + b
    if na * nb <= 1 << 22:
        counts = np.bincount(key, minlength=na * nb)
        nonzero = np.flatnonzero(counts)
        return nonzero // nb, nonzero % nb, counts[nonzero].astype(np.int64)
    uniq, counts = np.unique(key, return_counts=True)
    return uniq // nb, uniq % nb, counts.astype(np.int64)


def _lookup(keys: np.ndarray, values: np.ndarray, wanted: np.ndarray) -> np.ndarray:
    """values[keys == w] for each w of ``wanted`` (0 when absent); ``keys`` sorted."""
    if not len(keys):
        return np.zeros(len(wanted), dtype=values.dtype)
    pos = np.clip(np.searchsorted(keys, wanted), 0, len(keys) - 1)
    return np.where(keys[pos] == wanted, values[pos], 0)


def failure_breakdown(df: pd.DataFrame, *, by: str | Sequence[str] | None = None,
                      freq: Any = None, tz: Any = "UTC",
                      all_categories: bool = False) -> pd.DataFrame:
    """Failed runs per failure category: counts and shares.

    A failed run is one whose status is in ``FAILURE_STATUSES`` (failed,
    terminated, timed_out; canceled and completed runs are not counted even
    when they carry a category). With ``all_categories=False`` a failed run
    counts once, under its primary (first) category; with True it counts once
    under each distinct category of its ``failure_category`` list, so shares
    can add up to more than 1. A failed run without a category counts under
    ``"uncategorized"``. ``share_of_failures = count / failures`` and
    ``share_of_runs = count / runs`` (null when the denominator is 0).

    Args:
        df: a runs frame.
        by: column(s) to group by, e.g. ``"workflow_permanent_id"``.
        freq: bucket ``created_at`` by this offset alias; None for no buckets.
        tz: time zone of the bucket boundaries and labels.
        all_categories: count every category of a run, not only the primary one.

    Returns:
        Columns: the ``by`` columns, ``bucket`` (with ``freq``), ``category``
        (string), ``count``, ``failures`` (failed runs in the group),
        ``runs`` (all runs in the group), ``share_of_failures``,
        ``share_of_runs`` (Float64). One row per group and category seen in
        it; with ``freq`` each category seen in a ``by`` group has a row in
        every bucket (zero counts included). Groups without failed runs have
        no rows. Sorted by group, bucket, count descending, then category.

    Raises:
        SchemaError: a needed column is missing.
        UsageError: a bad ``freq`` or ``tz``.

    Example:
        >>> import pandas as pd
        >>> runs = pd.DataFrame({
        ...     "workflow_permanent_id": ["wpid_a", "wpid_a", "wpid_a", "wpid_b"],
        ...     "status": ["failed", "failed", "completed", "timed_out"],
        ...     "primary_failure_category": ["PROXY_ERROR", "PROXY_ERROR", None, None]})
        >>> got = runs.pipe(failure_breakdown, by="workflow_permanent_id")
        >>> got[["workflow_permanent_id", "category", "count", "share_of_runs"]].values.tolist()
        [['wpid_a', 'PROXY_ERROR', 2, 0.6666666666666666], ['wpid_b', 'uncategorized', 1, 1.0]]
    """
    by_cols = _by_list(by)
    needed = ["status", "failure_category" if all_categories else "primary_failure_category",
              *by_cols]
    require_columns(df, needed + (["created_at"] if freq is not None else []),
                    where="failure_breakdown")
    groups, _ = _groups(df, by_cols, freq, tz)
    codes, ng = groups.codes, groups.ngroups
    failed = _status_mask(df, FAILURE_STATUSES) & (codes >= 0)
    runs = _count(codes, ng)
    failures = _count(codes, ng, failed)
    rows, label_codes, labels = _failure_labels(df, np.flatnonzero(failed), all_categories)
    nl = max(len(labels), 1)
    cell, label, count = _pair_counts(codes[rows], ng, label_codes, nl)
    if freq is not None and len(cell):
        # Every (by group, category) seen gets a row in each bucket of the range.
        nb = groups.buckets
        seen = np.unique((cell // nb) * nl + label)
        full_cell = ((seen // nl)[:, None] * nb + np.arange(nb)[None, :]).reshape(-1)
        full_label = np.repeat(seen % nl, nb)
        count = _lookup(cell * nl + label, count, full_cell * nl + full_label)
        cell, label = full_cell, full_label
    order = np.lexsort((_label_rank(labels)[label] if labels else label, -count, cell))
    cell, label, count = cell[order], label[order], count[order]
    out = groups.keys.take(cell).reset_index(drop=True)
    out["category"] = _strings(np.array(labels, dtype=object)[label] if labels else [])
    out["count"] = count
    out["failures"] = failures[cell]
    out["runs"] = runs[cell]
    out["share_of_failures"] = _float(_ratio(count, failures[cell]))
    out["share_of_runs"] = _float(_ratio(count, runs[cell]))
    return out


def failure_trends(df: pd.DataFrame, *, period: Duration = DEFAULT_TREND_PERIOD, now: Any = None,
                   all_categories: bool = False,
                   min_growth: float = DEFAULT_MIN_GROWTH) -> pd.DataFrame:
    """Failure categories in the latest period against the previous one.

    The latest period is ``[now - period, now)``, the previous one
    ``[now - 2 * period, now - period)``, by ``created_at``. Failed runs and
    categories are counted as in :func:`failure_breakdown`. ``share_* = count /
    runs`` of the period, so a category does not "grow" only because traffic
    did; ``change = share_latest - share_previous``. ``trend`` is ``new`` (none
    in the previous period, some in the latest), ``gone`` (the reverse),
    ``growing`` when ``share_latest >= share_previous * (1 + min_growth)``,
    ``shrinking`` when ``share_latest * (1 + min_growth) <= share_previous``,
    else ``stable``. A previous period without any run makes every category
    ``new``: check ``runs_previous``.

    Args:
        df: a runs frame.
        period: length of each period: a timedelta or a span such as ``"7d"``
            (a number is seconds).
        now: end of the latest period; None for the current time.
        all_categories: count every category of a run, not only the primary one.
        min_growth: relative change in share that counts as growing or shrinking.

    Returns:
        Columns: ``category`` (string), ``trend`` (string), ``count_latest``,
        ``count_previous``, ``failures_latest``, ``failures_previous``,
        ``runs_latest``, ``runs_previous`` (int64), ``share_latest``,
        ``share_previous``, ``change`` (Float64). One row per category seen
        in either period, sorted new, growing, stable, shrinking, gone, then
        by count_latest descending and category. Filter with
        ``trend.isin(["new", "growing"])`` for what needs attention.

    Raises:
        SchemaError: a needed column is missing.
        UsageError: a period that is not a positive duration, a bad ``now``.

    Example:
        >>> import pandas as pd
        >>> days = [(4, 9), (4, 10), (5, 9), (5, 10), (5, 11), (5, 12)]
        >>> created = pd.to_datetime([f"2026-01-0{d} {h}:00" for d, h in days], utc=True)
        >>> runs = pd.DataFrame({
        ...     "status": ["failed", "completed", "failed", "failed", "completed", "failed"],
        ...     "created_at": created,
        ...     "primary_failure_category": ["LLM_ERROR", None, "LLM_ERROR", "LLM_ERROR", None,
        ...                                  "PROXY_ERROR"]})
        >>> got = runs.pipe(failure_trends, period="1d", now="2026-01-06")
        >>> got[["category", "trend", "count_latest", "count_previous"]].values.tolist()
        [['PROXY_ERROR', 'new', 1, 0], ['LLM_ERROR', 'stable', 2, 1]]
        >>> got["share_latest"].tolist()  # half the runs of each day: not growing
        [0.25, 0.5]
    """
    require_columns(df, ["status", "created_at",
                         "failure_category" if all_categories else "primary_failure_category"],
                    where="failure_trends")
    period_us = round(_seconds(period, "period") * _US)
    if period_us <= 0:
        raise UsageError(f"period must be a positive duration, got {period!r}")
    growth = float(min_growth)
    if not (math.isfinite(growth) and growth >= 0):
        raise UsageError(f"min_growth must be a number >= 0, got {min_growth!r}")
    now_us = _now_us(now)
    created = _us(df["created_at"])
    window = np.full(len(df), -1, dtype=np.int64)
    window[(created >= now_us - 2 * period_us) & (created < now_us - period_us)] = 0
    window[(created >= now_us - period_us) & (created < now_us)] = 1
    window[created == _NAT] = -1
    runs = _count(window, 2)
    failed = _status_mask(df, FAILURE_STATUSES) & (window >= 0)
    failures = _count(window, 2, failed)
    rows, label_codes, labels = _failure_labels(df, np.flatnonzero(failed), all_categories)
    nl = len(labels)
    counts = np.bincount(label_codes * 2 + window[rows], minlength=2 * nl).reshape(nl, 2)
    latest, previous = counts[:, 1].astype(np.int64), counts[:, 0].astype(np.int64)
    share_latest, share_previous = _ratio(latest, np.full(nl, runs[1])), _ratio(
        previous, np.full(nl, runs[0]))
    trend = np.full(nl, 2, dtype=np.int64)  # stable
    both = (latest > 0) & (previous > 0)
    with np.errstate(invalid="ignore"):
        trend[both & (share_latest >= share_previous * (1 + growth))] = 1
        trend[both & (share_latest * (1 + growth) <= share_previous)] = 3
    trend[(previous == 0) & (latest > 0)] = 0
    trend[(latest == 0) & (previous > 0)] = 4
    order = np.lexsort((_label_rank(labels), -latest, trend))
    names: Any = np.array(labels, dtype=object)[order] if nl else []
    return pd.DataFrame({
        "category": _strings(names),
        "trend": _strings(np.array(_TREND_ORDER, dtype=object)[trend[order]]),
        "count_latest": latest[order],
        "count_previous": previous[order],
        "failures_latest": np.full(nl, failures[1], dtype=np.int64),
        "failures_previous": np.full(nl, failures[0], dtype=np.int64),
        "runs_latest": np.full(nl, runs[1], dtype=np.int64),
        "runs_previous": np.full(nl, runs[0], dtype=np.int64),
        "share_latest": _float(share_latest[order]),
        "share_previous": _float(share_previous[order]),
        "change": _float((share_latest - share_previous)[order]),
    })
