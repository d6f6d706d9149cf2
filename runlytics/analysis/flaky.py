"""Retries and flakiness per workflow: :func:`flaky_workflows`."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ._common import FAILURE_STATUSES, _float, _ratio, _status_mask, _strings, _us, require_columns

#: Fewest finished runs for a workflow to be assessed.
DEFAULT_MIN_RUNS = 20
#: Flip rate at or above which a workflow is called flaky.
DEFAULT_FLAKY_FLIP_RATE = 0.2

#: Columns of :func:`flaky_workflows`, in order.
FLAKY_COLUMNS = ("workflow_permanent_id", "workflow_title", "runs", "n_finished",
                 "first_attempt_success_rate", "eventual_success_rate",
                 "succeeded_after_retry", "retry_pending", "flips", "flip_rate",
                 "current_failure_streak", "flaky")


def _rescued_roots(df: pd.DataFrame, completed: np.ndarray) -> set[str]:
    """Ids of runs a manual retry chain (``retried_from_workflow_run_id``) brought to success."""
    parent = df["retried_from_workflow_run_id"]
    child = parent.notna().to_numpy()
    if not child.any():
        return set()
    up = dict(zip(df["workflow_run_id"][child].tolist(), parent[child].tolist(), strict=True))
    rescued = set()
    for run_id in df["workflow_run_id"][child & completed].tolist():
        seen = {run_id}
        while run_id in up and up[run_id] not in seen:  # a cycle in bad data stops here
            run_id = up[run_id]
            seen.add(run_id)
        rescued.add(run_id)
    return rescued


def _outcomes(df: pd.DataFrame) -> dict[str, np.ndarray]:
    """Per run: finished, completed, first-attempt success, eventual success, origin flags."""
    completed = _status_mask(df, ["completed"])
    finished = completed | _status_mask(df, FAILURE_STATUSES)
    attempt = df["attempt"].to_numpy(dtype=np.float64, na_value=1.0)
    origin = df["retried_from_workflow_run_id"].isna().to_numpy()
    rescued = df["workflow_run_id"].isin(_rescued_roots(df, completed)).to_numpy()
    eventual = completed | rescued
    return {"completed": completed, "finished": finished, "origin": origin,
            "first_ok": completed & (attempt <= 1),
            "eventual": eventual,
            "after_retry": origin & finished & eventual & ~(completed & (attempt <= 1)),
            "pending": df["retry_pending"].fillna(False).to_numpy(dtype=bool)}


def _streaks(codes: np.ndarray, created: np.ndarray, ok: np.ndarray,
             ng: int) -> tuple[np.ndarray, np.ndarray]:
    """Per group of finished runs: pass/fail flips by created_at, trailing failure count."""
    order = np.lexsort((created, codes))
    c, o = codes[order], ok[order]
    same = c[1:] == c[:-1]
    flips = np.bincount(c[1:][same & (o[1:] != o[:-1])], minlength=ng)[:ng]
    starts = np.searchsorted(c, np.arange(ng), "left")
    ends = np.searchsorted(c, np.arange(ng), "right")
    last_ok = np.full(ng, -1, dtype=np.int64)
    present = ends > starts
    if present.any():
        marks = np.where(o, np.arange(len(o)), -1)
        last_ok[present] = np.maximum.reduceat(marks, starts[present])
    streak = np.where(last_ok >= starts, ends - 1 - last_ok, ends - starts)
    return flips.astype(np.int64), np.where(present, streak, 0).astype(np.int64)


def flaky_workflows(df: pd.DataFrame, *, min_runs: int = DEFAULT_MIN_RUNS,
                    flaky_flip_rate: float = DEFAULT_FLAKY_FLIP_RATE) -> pd.DataFrame:
    """First-attempt vs eventual success, flips and failure streaks per workflow.

    Finished runs are completed, failed, terminated and timed_out (canceled is
    a user action and left out). Origin runs are those that are not a manual
    retry (``retried_from_workflow_run_id`` null).

    * ``first_attempt_success_rate`` = finished origin runs that completed on
      ``attempt`` 1 (null attempt counts as 1) / finished origin runs.
    * ``eventual_success_rate`` = finished origin runs that completed on any
      attempt, or whose chain of manual retries ends in a completed run /
      finished origin runs. ``succeeded_after_retry`` counts the difference.
    * ``flips`` = pass/fail changes between consecutive finished runs of the
      workflow (all runs, retries included) ordered by ``created_at``;
      ``flip_rate = flips / (n_finished - 1)``.
    * ``current_failure_streak`` = failed runs since the newest completed one.
    * ``retry_pending`` = runs with an automatic retry scheduled.
    * ``flaky``: ``flip_rate >= flaky_flip_rate``.

    Only workflows with at least ``min_runs`` finished runs are listed.

    Args:
        df: a runs frame.
        min_runs: fewest finished runs for a workflow to be listed.
        flaky_flip_rate: the flip rate from which a workflow is flaky.

    Returns:
        ``FLAKY_COLUMNS``, flaky first, then by flip rate (highest first) and id.

    Raises:
        SchemaError: a needed column is missing.

    Example:
        >>> import pandas as pd
        >>> runs = pd.DataFrame({"workflow_permanent_id": "wpid_a", "workflow_title": "A",
        ...     "workflow_run_id": ["wr_1", "wr_2", "wr_3", "wr_4", "wr_5"],
        ...     "status": ["completed", "failed", "completed", "failed", "failed"],
        ...     "attempt": [1, 1, 2, 1, 1], "retry_pending": False,
        ...     "retried_from_workflow_run_id": [None, None, None, None, "wr_4"],
        ...     "created_at": pd.date_range("2026-01-05", periods=5, freq="h", tz="UTC")})
        >>> got = flaky_workflows(runs, min_runs=3)
        >>> got[["n_finished", "first_attempt_success_rate", "succeeded_after_retry",
        ...      "flips", "flip_rate", "current_failure_streak", "flaky"]].values.tolist()
        [[5, 0.25, 1, 3, 0.75, 2, True]]
    """
    require_columns(df, ["workflow_permanent_id", "workflow_run_id", "status", "created_at",
                         "attempt", "retry_pending", "retried_from_workflow_run_id"],
                    where="flaky_workflows")
    codes, ids = pd.factorize(df["workflow_permanent_id"], sort=True)
    ng, rows = len(ids), _outcomes(df)
    has = codes >= 0

    def count(mask: np.ndarray) -> np.ndarray:
        return np.bincount(codes[has & mask], minlength=ng)[:ng].astype(np.int64)

    done = rows["finished"]
    origin_done = count(rows["origin"] & done)
    keep = has & done
    flips, streak = _streaks(codes[keep], _us(df["created_at"])[keep],
                             rows["completed"][keep], ng)
    n_finished = count(done)
    out = pd.DataFrame({
        "workflow_permanent_id": _strings(np.asarray(ids, dtype=object)),
        "workflow_title": _strings(_titles(df, codes, ng)),
        "runs": count(np.ones(len(df), dtype=bool)), "n_finished": n_finished,
        "first_attempt_success_rate": _float(_ratio(count(rows["origin"] & rows["first_ok"]),
                                                    origin_done)),
        "eventual_success_rate": _float(_ratio(count(rows["origin"] & done & rows["eventual"]),
                                               origin_done)),
        "succeeded_after_retry": count(rows["after_retry"]),
        "retry_pending": count(rows["pending"]), "flips": flips,
        "flip_rate": _float(_ratio(flips, n_finished - 1)),
        "current_failure_streak": streak}, columns=list(FLAKY_COLUMNS[:-1]))
    out["flaky"] = (out["flip_rate"] >= flaky_flip_rate).fillna(False).to_numpy(dtype=bool)
    out = out[out["n_finished"] >= min_runs]
    out = out.sort_values(["flaky", "flip_rate", "workflow_permanent_id"],
                          ascending=[False, False, True], kind="stable")
    return out.reset_index(drop=True)


def _titles(df: pd.DataFrame, codes: np.ndarray, ng: int) -> np.ndarray:
    """Each workflow's title on its first row (runs frames are newest first)."""
    if "workflow_title" not in df.columns:
        return np.full(ng, None, dtype=object)
    first = np.full(ng, len(df), dtype=np.int64)
    rows = np.flatnonzero(codes >= 0)
    np.minimum.at(first, codes[rows], rows)
    return np.asarray(df["workflow_title"].iloc[np.minimum(first, len(df) - 1)], dtype=object)
