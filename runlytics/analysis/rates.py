"""Success rate and throughput per group: :func:`success_rate` and :func:`throughput`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from .. import schema
from ._common import _by_list, _float, _ratio, _status_mask, _us, require_columns
from ._groups import _count, _Groups, _groups


def success_rate(df: pd.DataFrame, *, by: str | Sequence[str] | None = None, freq: Any = None,
                 tz: Any = "UTC", include_canceled: bool = False) -> pd.DataFrame:
    """Share of finished runs that completed.

    ``success_rate = n_completed / n_finished`` where ``n_completed`` counts
    status ``completed`` and ``n_finished`` counts the final statuses
    (completed, failed, terminated, timed_out, and canceled only with
    ``include_canceled=True``). Runs still in flight and unknown statuses are
    excluded from both. Null when ``n_finished == 0``.

    Args:
        df: a runs frame.
        by: column(s) to group by, e.g. ``"workflow_permanent_id"``.
        freq: bucket ``created_at`` by this offset alias; None for no buckets.
        tz: time zone of the bucket boundaries and labels.
        include_canceled: count canceled runs as finished (and not successful).

    Returns:
        Columns: the ``by`` columns, ``bucket`` (with ``freq``), ``runs``
        (all runs in the group), ``n_completed``, ``n_finished`` (int64),
        ``success_rate`` (Float64).

    Raises:
        SchemaError: a needed column is missing.
        UsageError: a bad ``freq`` or ``tz``.

    Example:
        >>> import pandas as pd
        >>> runs = pd.DataFrame({
        ...     "workflow_permanent_id": ["wpid_a", "wpid_a", "wpid_a", "wpid_b"],
        ...     "status": ["completed", "failed", "canceled", "running"]})
        >>> got = runs.pipe(success_rate, by="workflow_permanent_id")
        >>> got.values.tolist()
        [['wpid_a', 3, 1, 2, 0.5], ['wpid_b', 1, 0, 0, <NA>]]
    """
    by_cols = _by_list(by)
    require_columns(df, ["status", *by_cols] + (["created_at"] if freq is not None else []),
                    where="success_rate")
    groups, _ = _groups(df, by_cols, freq, tz)
    out = groups.keys.copy()
    completed, finished = _success_counts(df, groups, include_canceled)
    out["runs"] = _count(groups.codes, groups.ngroups)
    out["n_completed"] = completed
    out["n_finished"] = finished
    out["success_rate"] = _float(_ratio(completed, finished))
    return out


def _success_counts(df: pd.DataFrame, groups: _Groups,
                    include_canceled: bool) -> tuple[np.ndarray, np.ndarray]:
    final = [s for s in schema.FINAL_STATUSES if include_canceled or s != "canceled"]
    completed = _count(groups.codes, groups.ngroups, _status_mask(df, ["completed"]))
    finished = _count(groups.codes, groups.ngroups, _status_mask(df, final))
    return completed, finished


def throughput(df: pd.DataFrame, *, freq: Any = "D", tz: Any = "UTC",
               by: str | Sequence[str] | None = None) -> pd.DataFrame:
    """Runs created, started and finished per time bucket.

    Each run counts in the bucket of each of its timestamps: ``created`` by
    ``created_at``, ``started`` by ``started_at``, ``finished`` by
    ``finished_at`` (a null timestamp is not counted). The buckets span every
    one of these timestamps.

    Args:
        df: a runs frame.
        freq: bucket size as an offset alias; None for totals.
        tz: time zone of the bucket boundaries and labels.
        by: optional column(s) to split by as well.

    Returns:
        Columns: the ``by`` columns, ``bucket`` (with ``freq``), ``created``,
        ``started``, ``finished`` (int64).

    Raises:
        SchemaError: a needed column is missing.
        UsageError: a bad ``freq`` or ``tz``.

    Example:
        >>> import pandas as pd
        >>> t = lambda *s: pd.to_datetime(list(s), utc=True)
        >>> runs = pd.DataFrame({
        ...     "created_at": t("2026-01-05 10:10", "2026-01-05 10:50"),
        ...     "started_at": t("2026-01-05 10:20", "2026-01-05 11:05"),
        ...     "finished_at": t("2026-01-05 11:30", None)})
        >>> got = runs.pipe(throughput, freq="h")
        >>> got["bucket"].dt.strftime("%H:%M").tolist()
        ['10:00', '11:00']
        >>> got[["created", "started", "finished"]].values.tolist()
        [[2, 1, 0], [0, 1, 1]]
    """
    by_cols = _by_list(by)
    require_columns(df, ["created_at", "started_at", "finished_at", *by_cols],
                    where="throughput")
    times = {"created": _us(df["created_at"]), "started": _us(df["started_at"]),
             "finished": _us(df["finished_at"])}
    groups, coded = _groups(df, by_cols, freq, tz, times=times)
    out = groups.keys.copy()
    for name in times:
        out[name] = _count(coded[name], groups.ngroups)
    return out
