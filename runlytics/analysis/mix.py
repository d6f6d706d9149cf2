"""Runs per trigger type or status: :func:`trigger_mix` and :func:`status_mix`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from ._common import _by_list, _float, _labels, _ratio, _strings, require_columns
from ._groups import _count, _groups


def _mix(df: pd.DataFrame, column: str, by: str | Sequence[str] | None, freq: Any, tz: Any,
         where: str) -> pd.DataFrame:
    by_cols = _by_list(by)
    require_columns(df, [column, *by_cols] + (["created_at"] if freq is not None else []),
                    where=where)
    groups, _ = _groups(df, by_cols, freq, tz)
    codes, ng = groups.codes, groups.ngroups
    label_codes, labels = _labels(df[column])
    nl = len(labels)
    runs = _count(codes, ng)
    valid = codes >= 0
    counts = np.bincount(codes[valid] * nl + label_codes[valid], minlength=ng * nl)[: ng * nl]
    cell, label = np.repeat(np.arange(ng), nl), np.tile(np.arange(nl), ng)
    out = groups.keys.take(cell).reset_index(drop=True)
    out[column] = _strings(np.array(labels, dtype=object)[label] if nl else [])
    out["count"] = counts.astype(np.int64)
    out["runs"] = runs[cell]
    out["share"] = _float(_ratio(counts, runs[cell]))
    return out


def trigger_mix(df: pd.DataFrame, *, freq: Any = "D", tz: Any = "UTC",
                by: str | Sequence[str] | None = None) -> pd.DataFrame:
    """Runs per trigger type and their share, per time bucket.

    ``share = count / runs`` of the bucket (null for an empty bucket). Null
    trigger types (old runs) show as ``"unknown"``; trigger types runlytics does
    not know are kept under their own name.

    Args:
        df: a runs frame.
        freq: bucket ``created_at`` by this offset alias; None for one overall mix.
        tz: time zone of the bucket boundaries and labels.
        by: optional column(s) to split by as well.

    Returns:
        Columns: the ``by`` columns, ``bucket`` (with ``freq``),
        ``trigger_type`` (string), ``count``, ``runs`` (int64), ``share``
        (Float64). Every bucket has a row for every trigger type seen in
        ``df``, in category order with ``"unknown"`` last.

    Raises:
        SchemaError: a needed column is missing.
        UsageError: a bad ``freq`` or ``tz``.

    Example:
        >>> import pandas as pd
        >>> runs = pd.DataFrame({
        ...     "trigger_type": pd.Categorical(["api", "api", "manual", None],
        ...                                    categories=["api", "scheduled", "manual"]),
        ...     "created_at": pd.to_datetime(["2026-01-05 09:00", "2026-01-05 10:00",
        ...                                   "2026-01-05 11:00", "2026-01-06 09:00"], utc=True)})
        >>> got = runs.pipe(trigger_mix, freq="D")
        >>> got[["trigger_type", "count", "runs", "share"]].values.tolist()[:3]
        [['api', 2, 3, 0.6666666666666666], ['manual', 1, 3, 0.3333333333333333], \
['unknown', 0, 3, 0.0]]
        >>> got.pivot(index="bucket", columns="trigger_type", values="count").values.tolist()
        [[2, 1, 0], [0, 0, 1]]
    """
    return _mix(df, "trigger_type", by, freq, tz, "trigger_mix")


def status_mix(df: pd.DataFrame, *, freq: Any = "D", tz: Any = "UTC",
               by: str | Sequence[str] | None = None) -> pd.DataFrame:
    """Runs per status and their share, per time bucket.

    Same rules and layout as :func:`trigger_mix`, for the current ``status``
    (unknown statuses such as ``archived`` kept under their own name).

    Args:
        df: a runs frame.
        freq: bucket ``created_at`` by this offset alias; None for one overall mix.
        tz: time zone of the bucket boundaries and labels.
        by: optional column(s) to split by as well.

    Returns:
        Columns: the ``by`` columns, ``bucket`` (with ``freq``), ``status``
        (string), ``count``, ``runs`` (int64), ``share`` (Float64).

    Raises:
        SchemaError: a needed column is missing.
        UsageError: a bad ``freq`` or ``tz``.

    Example:
        >>> import pandas as pd
        >>> runs = pd.DataFrame({
        ...     "status": ["completed", "failed", "completed", "archived"],
        ...     "created_at": pd.to_datetime(["2026-01-05", "2026-01-06", "2026-01-12",
        ...                                   "2026-01-13"], utc=True)})
        >>> got = runs.pipe(status_mix, freq="W")
        >>> got["bucket"].dt.strftime("%Y-%m-%d").unique().tolist()
        ['2026-01-05', '2026-01-12']
        >>> got.pivot(index="bucket", columns="status", values="count").to_dict("list")
        {'archived': [0, 1], 'completed': [1, 1], 'failed': [1, 0]}
    """
    return _mix(df, "status", by, freq, tz, "status_mix")
