"""Credits: what runs cost, by workflow, status, trigger and day, in the server's units.

``credits_used`` and ``cached_credits_used`` are two separate buckets a run
fills while it executes: the credits of a run here are their sum, ``cached``
the second bucket alone. Values of runs not yet final are provisional. A
self-hosted server never fills them, so a frame whose buckets are absent,
null or all zero has *no credit data*: :func:`credit_summary` returns None,
never a cost of 0. Credits are opaque units (no money, no actions).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from .. import schema
from ._common import FAILURE_STATUSES, UNKNOWN, _merge_label, _status_mask, _us, require_columns

CREDIT_COLUMNS = ("credits_used", "cached_credits_used")
_WORKFLOW = "workflow_permanent_id"
_SUMS = ("total", "cached", "on_failed_runs", "provisional")


def _bucket(df: pd.DataFrame, name: str) -> np.ndarray:
    values = pd.to_numeric(df[name], errors="coerce")
    counts: np.ndarray = values.fillna(0).to_numpy(dtype=np.int64)
    return counts


def _work(df: pd.DataFrame) -> pd.DataFrame | None:
    """Per-run credit figures, or None when there is no credit data."""
    if any(name not in df.columns for name in CREDIT_COLUMNS):
        return None
    used, cached = _bucket(df, "credits_used"), _bucket(df, "cached_credits_used")
    total = used + cached
    if not total.any():
        return None
    failed = _status_mask(df, FAILURE_STATUSES)
    final = _status_mask(df, schema.FINAL_STATUSES)
    return pd.DataFrame({
        "total": total, "cached": cached,
        "on_failed_runs": np.where(failed, total, 0),
        "provisional": np.where(final, 0, total),
        "successful_runs": _status_mask(df, ["completed"]).astype(np.int64),
    })


def _figures(runs: int, sums: dict[str, Any]) -> dict[str, Any]:
    successful = int(sums["successful_runs"])
    figures: dict[str, Any] = {"runs": runs, "successful_runs": successful}
    figures.update({name: int(sums[name]) for name in _SUMS})
    figures["per_successful_run"] = (figures["total"] / successful) if successful else None
    return figures


def _grouped(work: pd.DataFrame, values: pd.Series, name: str) -> list[dict[str, Any]]:
    """The figures per value (null as ``"unknown"``), most credits first (then by value)."""
    codes, uniques = pd.factorize(values)
    labels = [str(u) for u in uniques]
    codes = _merge_label(codes.astype(np.int64), labels, UNKNOWN) if (codes < 0).any() \
        else codes.astype(np.int64)
    k = len(labels)
    sums = {c: np.bincount(codes, weights=work[c].to_numpy(), minlength=k) for c in work}
    runs = np.bincount(codes, minlength=k)
    order = sorted(range(k), key=lambda i: (-sums["total"][i], labels[i]))
    return [{name: labels[i], **_figures(int(runs[i]), {c: sums[c][i] for c in sums})}
            for i in order]


def _days(df: pd.DataFrame, work: pd.DataFrame) -> list[dict[str, Any]]:
    created = _us(df["created_at"])
    known = created != np.iinfo(np.int64).min
    day = created[known] // (86_400 * 1_000_000)
    totals = np.bincount(day - day.min(), weights=work["total"].to_numpy()[known]) \
        if known.any() else np.array([])
    first = int(day.min()) if known.any() else 0
    return [{"day": str(np.datetime64(first + i, "D")), "total": int(v)}
            for i, v in enumerate(totals)]


def credit_summary(df: pd.DataFrame) -> dict[str, Any] | None:
    """Credits spent: total, cached, on runs that did not succeed, per successful run.

    Args:
        df: a runs frame with ``workflow_permanent_id``, ``status``,
            ``trigger_type``, ``created_at`` and the two credit buckets
            (``credits_used``, ``cached_credits_used``; nulls count 0).

    Returns:
        None when there is no credit data (a bucket column absent, or every
        run's credits 0 or null). Otherwise plain JSON-ready values: ``runs``,
        ``successful_runs`` (completed; the ``n`` of ``per_successful_run``),
        ``total`` (both buckets), ``cached`` (the cached bucket),
        ``on_failed_runs`` (credits of failed, terminated and timed_out runs),
        ``provisional`` (credits of runs not final yet), ``per_successful_run``
        (``total / successful_runs``; None without a successful run), and the
        same figures as lists of dicts ``by_workflow`` (key
        ``workflow_permanent_id``), ``by_status`` (``status``) and
        ``by_trigger`` (``trigger_type``, null as ``"unknown"``), each most
        credits first, plus ``by_day``: ``{"day", "total"}`` per UTC day of
        ``created_at``, every day from the first to the last.

    Raises:
        SchemaError: a column other than the credit buckets is missing.

    Example:
        >>> import pandas as pd
        >>> runs = pd.DataFrame({
        ...     "workflow_permanent_id": ["wpid_a", "wpid_a", "wpid_b"],
        ...     "status": ["completed", "failed", "running"],
        ...     "trigger_type": ["api", "api", None],
        ...     "created_at": pd.to_datetime(["2026-01-05"] * 3, utc=True),
        ...     "credits_used": [10, 4, 2], "cached_credits_used": [2, 0, 0]})
        >>> got = credit_summary(runs)
        >>> {k: got[k] for k in ("total", "cached", "on_failed_runs", "provisional",
        ...                      "per_successful_run")}
        {'total': 18, 'cached': 2, 'on_failed_runs': 4, 'provisional': 2, \
'per_successful_run': 18.0}
        >>> credit_summary(runs.assign(credits_used=0, cached_credits_used=0)) is None
        True
    """
    require_columns(df, [_WORKFLOW, "status", "trigger_type", "created_at"],
                    where="credit_summary")
    work = _work(df)
    if work is None:
        return None
    summary = _figures(len(work), work.sum().to_dict())
    for key, name in (("by_workflow", _WORKFLOW), ("by_status", "status"),
                      ("by_trigger", "trigger_type")):
        summary[key] = _grouped(work, df[name], name)
    summary["by_day"] = _days(df, work)
    return summary
