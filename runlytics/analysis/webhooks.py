"""Webhook delivery: did the completion callbacks arrive, and why not.

``webhook_failure_reason`` is ``""`` when the callback was delivered, the
error text when delivery failed (after the server's own retries), and null
when nothing was recorded (no webhook, or a run not finished): those runs are
left out of every figure here.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ._common import _ratio, _strings, _us, require_columns
from .signatures import DEFAULT_EXAMPLES, _signature_codes

_WORKFLOW = "workflow_permanent_id"
_REASON = "webhook_failure_reason"
_DT = pd.DatetimeTZDtype("us", "UTC")


def _outcomes(df: pd.DataFrame, where: str) -> tuple[np.ndarray, np.ndarray]:
    """(recorded, failed) masks."""
    require_columns(df, ["workflow_run_id", _WORKFLOW, "created_at", _REASON], where=where)
    reason = df[_REASON]
    recorded = reason.notna().to_numpy(dtype=bool)
    delivered = (reason == "").fillna(False).to_numpy(dtype=bool)
    return recorded, recorded & ~delivered


def webhook_delivery(df: pd.DataFrame) -> pd.DataFrame:
    """Delivery rate of webhook callbacks per workflow, runs with no record left out.

    Args:
        df: a runs frame with ``workflow_run_id``, ``workflow_permanent_id``,
            ``created_at`` and ``webhook_failure_reason``.

    Returns:
        One row per workflow with a recorded delivery, sorted by workflow:
        ``workflow_permanent_id``, ``recorded`` (the ``n``), ``delivered``,
        ``failed``, ``delivery_rate`` (``delivered / recorded``).

    Example:
        >>> import pandas as pd
        >>> runs = pd.DataFrame({
        ...     "workflow_run_id": ["wr_1", "wr_2", "wr_3", "wr_4"],
        ...     "workflow_permanent_id": ["wpid_a", "wpid_a", "wpid_a", "wpid_b"],
        ...     "created_at": pd.to_datetime(["2026-01-05"] * 4, utc=True),
        ...     "webhook_failure_reason": ["", "HTTP 500 from hook", "", None]})
        >>> webhook_delivery(runs).to_dict("records")
        [{'workflow_permanent_id': 'wpid_a', 'recorded': 3, 'delivered': 2, 'failed': 1, \
'delivery_rate': 0.6666666666666666}]
    """
    recorded, failed = _outcomes(df, "webhook_delivery")
    codes, keys = pd.factorize(df[_WORKFLOW][recorded], sort=True)
    n = np.bincount(codes, minlength=len(keys)).astype(np.int64)
    bad = np.bincount(codes, weights=failed[recorded], minlength=len(keys)).astype(np.int64)
    return pd.DataFrame({
        _WORKFLOW: _strings(np.asarray(keys, dtype=object)), "recorded": n,
        "delivered": n - bad, "failed": bad,
        "delivery_rate": _ratio(n - bad, n),
    })


def failed_deliveries(df: pd.DataFrame) -> pd.DataFrame:
    """Every run whose webhook callback could not be delivered, newest first.

    Args:
        df: a runs frame, as for :func:`webhook_delivery`.

    Returns:
        ``workflow_run_id``, ``workflow_permanent_id``, ``created_at``,
        ``reason`` (the server's text) and ``signature`` (see
        :func:`runlytics.analysis.failure_signature`); ties by run id.

    Example:
        >>> import pandas as pd
        >>> runs = pd.DataFrame({
        ...     "workflow_run_id": ["wr_1", "wr_2"],
        ...     "workflow_permanent_id": ["wpid_a", "wpid_b"],
        ...     "created_at": pd.to_datetime(["2026-01-05", "2026-01-06"], utc=True),
        ...     "webhook_failure_reason": ["", "Timeout after 10s"]})
        >>> failed_deliveries(runs)[["workflow_run_id", "reason", "signature"]].to_dict("records")
        [{'workflow_run_id': 'wr_2', 'reason': 'Timeout after 10s', \
'signature': 'Timeout after <n>s'}]
    """
    _, failed = _outcomes(df, "failed_deliveries")
    rows = df.loc[failed, ["workflow_run_id", _WORKFLOW, "created_at", _REASON]]
    codes, labels = _signature_codes(rows[_REASON], missing=None)
    out = pd.DataFrame({
        "workflow_run_id": _strings(rows["workflow_run_id"].to_numpy(dtype=object)),
        _WORKFLOW: _strings(rows[_WORKFLOW].to_numpy(dtype=object)),
        "created_at": pd.Series(rows["created_at"].to_numpy()).astype(_DT),
        "reason": _strings(rows[_REASON].to_numpy(dtype=object)),
        "signature": _strings(np.array(labels or [""], dtype=object)[codes]),
    })
    order = np.lexsort((out["workflow_run_id"].to_numpy(dtype=object),
                        -_us(out["created_at"])))
    return out.iloc[order].reset_index(drop=True)


def webhook_failure_signatures(df: pd.DataFrame, *, examples: int = DEFAULT_EXAMPLES
                               ) -> pd.DataFrame:
    """Failed webhook deliveries per reason signature, most first.

    Args:
        df: a runs frame, as for :func:`webhook_delivery`.
        examples: run ids given per signature (newest first).

    Returns:
        ``signature``, ``failed`` (deliveries), ``workflows`` (distinct),
        ``last_seen`` (newest ``created_at``), ``example_run_ids`` (a list);
        sorted by ``failed`` descending, then signature.

    Example:
        >>> import pandas as pd
        >>> runs = pd.DataFrame({
        ...     "workflow_run_id": ["wr_1", "wr_2", "wr_3"],
        ...     "workflow_permanent_id": ["wpid_a", "wpid_b", "wpid_b"],
        ...     "created_at": pd.to_datetime(["2026-01-05", "2026-01-06", "2026-01-07"], utc=True),
        ...     "webhook_failure_reason": ["HTTP 502 from https://h.example/a", "",
        ...                                "HTTP 504 from https://h.example/b"]})
        >>> got = webhook_failure_signatures(runs)
        >>> got[["signature", "failed", "workflows", "example_run_ids"]].to_dict("records")
        [{'signature': 'HTTP <n> from <url>', 'failed': 2, 'workflows': 2, \
'example_run_ids': ['wr_3', 'wr_1']}]
    """
    rows = failed_deliveries(df)  # newest first: the first ids of a group are its examples
    grouped = rows.groupby("signature", sort=False, observed=True)
    out = pd.DataFrame({
        "failed": grouped.size(), "workflows": grouped[_WORKFLOW].nunique(),
        "last_seen": grouped["created_at"].max(),
        "example_run_ids": grouped["workflow_run_id"].agg(lambda ids: list(ids[:examples])),
    }).reset_index()
    out = out.sort_values(["failed", "signature"], ascending=[False, True], kind="stable")
    return pd.DataFrame({
        "signature": _strings(out["signature"].to_numpy(dtype=object)),
        "failed": out["failed"].to_numpy(dtype=np.int64),
        "workflows": out["workflows"].to_numpy(dtype=np.int64),
        "last_seen": pd.Series(out["last_seen"].to_numpy()).astype(_DT),
        "example_run_ids": pd.Series(out["example_run_ids"].tolist(), dtype=object),
    })
