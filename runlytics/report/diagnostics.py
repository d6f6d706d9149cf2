"""Why runs fail and what it costs: failure signatures, credits and webhook delivery.

The figures of the report's "Failure signatures", "Credits" and "Webhook
delivery" sections, all from :mod:`runlytics.analysis`, as JSON-ready values
(the summary's ``failure_signatures``, ``credits`` and ``webhooks`` keys) and
the frames the tables show. A runs frame without the credit or webhook
columns gets ``None`` there ("no data"), never zeros.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from .. import analysis
from .period import Period

__all__ = ["DIAGNOSTIC_COLUMNS", "MAX_FAILED_DELIVERIES", "Diagnostics", "diagnose",
           "plain_records", "signature_records"]

#: Columns these figures read when the frame has them.
DIAGNOSTIC_COLUMNS = ("credits_used", "cached_credits_used", "webhook_failure_reason")
MAX_FAILED_DELIVERIES = 50


@dataclass(frozen=True)
class Diagnostics:
    """The JSON parts and the tables of the diagnostic sections."""

    signatures: pd.DataFrame = field(repr=False)
    credits: dict[str, Any] | None
    webhooks: dict[str, Any] | None
    failed_deliveries: pd.DataFrame = field(repr=False)


def plain_records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows as plain JSON values: timestamps as ISO text, NA as None, lists as lists."""
    rows = []
    for record in frame.to_dict("records"):
        row: dict[str, Any] = {}
        for key, value in record.items():
            if isinstance(value, pd.Timestamp):
                row[key] = value.isoformat()
            elif isinstance(value, list | tuple):
                row[key] = [str(v) for v in value]
            elif hasattr(value, "tolist") and not isinstance(value, str):
                row[key] = value.tolist()
            elif value is None or value is pd.NA or value is pd.NaT or (
                    isinstance(value, float) and value != value):
                row[key] = None
            else:
                row[key] = value.item() if hasattr(value, "item") else value
        rows.append(row)
    return rows


def _webhooks(runs: pd.DataFrame) -> tuple[dict[str, Any] | None, pd.DataFrame]:
    if "webhook_failure_reason" not in runs.columns:
        return None, pd.DataFrame()
    by_workflow = analysis.webhook_delivery(runs)
    failed = analysis.failed_deliveries(runs)
    recorded = int(by_workflow["recorded"].sum()) if len(by_workflow) else 0
    if not recorded:
        return None, failed
    delivered = int(by_workflow["delivered"].sum())
    doc = {"recorded": recorded, "delivered": delivered, "failed": recorded - delivered,
           "delivery_rate": delivered / recorded, "by_workflow": plain_records(by_workflow),
           "failures_by_signature": plain_records(analysis.webhook_failure_signatures(runs)),
           "failed_deliveries": plain_records(failed.head(MAX_FAILED_DELIVERIES))}
    return doc, failed


def diagnose(df: pd.DataFrame, runs: pd.DataFrame, period: Period) -> Diagnostics:
    """Failure signatures of the period (history from ``df``), credits and webhooks of ``runs``.

    Example:
        >>> from runlytics.report.period import Period
        >>> runs = pd.DataFrame({
        ...     "workflow_run_id": ["wr_1", "wr_2"], "workflow_permanent_id": ["wpid_a"] * 2,
        ...     "status": ["failed", "failed"], "trigger_type": ["api", "api"],
        ...     "created_at": pd.to_datetime(["2026-01-05 10:00", "2026-01-05 11:00"], utc=True),
        ...     "failure_reason": ["Timeout 3000ms exceeded", "Timeout 5000ms exceeded"]})
        >>> got = diagnose(runs, runs, Period(pd.Timestamp("2026-01-05", tz="UTC"),
        ...                                   pd.Timestamp("2026-01-06", tz="UTC")))
        >>> got.signatures[["signature", "runs"]].to_dict("records"), got.credits, got.webhooks
        ([{'signature': 'Timeout <n>ms exceeded', 'runs': 2}], None, None)
    """
    signatures = analysis.failure_signatures(df, period_start=period.start,
                                             period_end=period.end)
    credits = (analysis.credit_summary(runs)
               if {"credits_used", "cached_credits_used"} <= set(runs.columns) else None)
    webhooks, failed = _webhooks(runs)
    return Diagnostics(signatures, credits, webhooks, failed)


def signature_records(signatures: pd.DataFrame) -> list[dict[str, Any]]:
    """The summary's ``failure_signatures``: one plain object per signature."""
    return plain_records(signatures)
