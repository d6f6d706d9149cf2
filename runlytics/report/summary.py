"""The report's tables and JSON parts that are not the headline summary.

The previous period's figures (null, never zero, when the data does not
cover it), the fetch report as plain JSON (base URL redacted), the failure
table with :func:`runlytics.analysis.failure_trends`' verdicts, and the most
frequent failure reasons. Every figure comes from :mod:`runlytics.analysis`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, Protocol

import pandas as pd

from .. import analysis
from ..redact import redact_url
from .period import Period

__all__ = ["TOP_REASONS", "failure_reasons", "failure_table", "fetch_dict", "previous_doc",
           "split_failures"]

TOP_REASONS = 10


class _HasToDict(Protocol):
    def to_dict(self) -> dict[str, Any]: ...


def _nulls(value: Any) -> Any:
    """The same shape with every leaf None (a figure that could not be computed)."""
    if isinstance(value, Mapping):
        return {k: _nulls(v) for k, v in value.items()}
    return None


def previous_doc(period: Period, covered: bool, note: str,
                  figures: dict[str, Any]) -> dict[str, Any]:
    keys = ("runs", "success_rate", "success_rate_n", "failed_runs", "status",
            "queue_seconds", "duration_seconds")
    doc: dict[str, Any] = {"period": period.to_dict(), "covered": covered,
                           "note": note or None}
    for key in keys:
        doc[key] = figures[key] if covered else _nulls(figures[key])
    return doc


def fetch_dict(fetch_report: _HasToDict | Mapping[str, Any] | None) -> dict[str, Any] | None:
    """A fetch report (a :class:`~runlytics.FetchReport` or its dict) as plain JSON values.

    Example:
        >>> fetch_dict({"base_url": "https://u:p@api.example.com", "runs": 3})["runs"]
        3
    """
    if fetch_report is None:
        return None
    data = dict(fetch_report if isinstance(fetch_report, Mapping) else fetch_report.to_dict())
    if data.get("base_url"):
        data["base_url"] = redact_url(str(data["base_url"]))
    plain: dict[str, Any] = json.loads(json.dumps(data, default=str))
    return plain



def failure_table(runs: pd.DataFrame, df: pd.DataFrame, period: Period,
                   covered: bool) -> tuple[pd.DataFrame, list[dict[str, Any]]]:
    """failure_breakdown of the period, with failure_trends' verdicts when comparable."""
    table = analysis.failure_breakdown(runs)[["category", "count", "failures", "runs",
                                              "share_of_failures", "share_of_runs"]]
    if not covered:
        table = table.assign(trend=pd.Series([pd.NA] * len(table), dtype="string"),
                             count_previous=pd.array([pd.NA] * len(table), dtype="Int64"))
        return table.reset_index(drop=True), []
    trends = analysis.failure_trends(df, period=period.length, now=period.end)
    merged = table.merge(trends[["category", "trend", "count_previous"]], on="category",
                         how="left")
    gone = trends[trends["trend"] == "gone"]
    if len(gone):
        extra = pd.DataFrame({
            "category": gone["category"].to_numpy(), "count": 0,
            "failures": int(table["failures"].iloc[0]) if len(table) else 0,
            "runs": len(runs), "share_of_failures": 0.0, "share_of_runs": 0.0,
            "trend": gone["trend"].to_numpy(), "count_previous": gone["count_previous"]})
        merged = pd.concat([merged, extra.astype({"share_of_failures": "Float64",
                                                  "share_of_runs": "Float64"})],
                           ignore_index=True)
    records = [{"category": row.category, "trend": row.trend, "count": int(row.count_latest),
                "count_previous": int(row.count_previous),
                "share_of_runs": _num(row.share_latest),
                "share_of_runs_previous": _num(row.share_previous),
                "change": _num(row.change)}
               for row in trends.itertuples(index=False)]
    merged["count_previous"] = merged["count_previous"].astype("Int64")
    return merged.reset_index(drop=True), records


def split_failures(table: pd.DataFrame, top: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The largest ``top`` categories plus every new or growing one; and the rest."""
    flagged = table["trend"].isin(["new", "growing"]).fillna(False).to_numpy(dtype=bool)
    keep = (pd.Series(range(len(table))) < top).to_numpy() | flagged
    return table[keep], table[~keep]


def _num(value: Any) -> float | None:
    return None if value is None or value is pd.NA or pd.isna(value) else float(value)


def failure_reasons(runs: pd.DataFrame, limit: int = TOP_REASONS) -> pd.DataFrame:
    """The most frequent failure_reason texts of the period's failed runs."""
    failed = runs.loc[runs["status"].isin(analysis.FAILURE_STATUSES), "failure_reason"]
    counts = failed.value_counts(dropna=False).head(limit)
    return pd.DataFrame({"reason": list(counts.index), "count": counts.to_numpy(dtype="int64")})


