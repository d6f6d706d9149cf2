"""Runs in flight: :func:`runs_in_flight` over time and :func:`stuck_runs`."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ..errors import UsageError
from ._common import (
    _NAT,
    _US,
    NON_FINAL_STATUSES,
    Duration,
    _check_tz,
    _float,
    _now_us,
    _seconds,
    _status_mask,
    _strings,
    _to_datetime,
    _ts_us,
    _us,
    require_columns,
)
from ._groups import _bucket_dtype, _edges

DEFAULT_QUEUED_THRESHOLD = pd.Timedelta(minutes=30)
DEFAULT_RUNNING_THRESHOLD = pd.Timedelta(hours=2)


def _step_series(df: pd.DataFrame, now_us: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Times of change (<= now) and the queued and running counts just after each."""
    stamps = {c: _us(df[c]) for c in ("queued_at", "started_at", "finished_at")}
    queued, started, finished = stamps["queued_at"], stamps["started_at"], stamps["finished_at"]
    open_status = _status_mask(df, NON_FINAL_STATUSES)
    q_end = np.where(started != _NAT, started, finished)
    q_ok = (queued != _NAT) & ((q_end != _NAT) | open_status)
    r_ok = (started != _NAT) & ((finished != _NAT) | open_status)
    # Intervals of no time (or negative, from clock skew) never count; open ones never end.
    q_ok &= (q_end == _NAT) | (q_end > queued)
    r_ok &= (finished == _NAT) | (finished > started)
    q_start, q_end = queued[q_ok], q_end[q_ok]
    r_start, r_end = started[r_ok], finished[r_ok]
    q_end, r_end = q_end[q_end != _NAT], r_end[r_end != _NAT]
    # Sort times and event kinds together: kind in the two low bits.
    events = np.concatenate([q_start * 4, q_end * 4 + 1, r_start * 4 + 2, r_end * 4 + 3])
    events.sort()
    kinds = events & 3
    times = events >> 2
    dq = np.array([1, -1, 0, 0], dtype=np.int64)[kinds]
    dr = np.array([0, 0, 1, -1], dtype=np.int64)[kinds]
    queued_n, running_n = np.cumsum(dq), np.cumsum(dr)
    last = np.ones(len(times), dtype=bool)
    last[:-1] = times[1:] != times[:-1]
    keep = last & (times <= now_us)
    times, queued_n, running_n = times[keep], queued_n[keep], running_n[keep]
    # Keep only instants where a count changes (a run leaving as another arrives does not).
    changed = np.ones(len(times), dtype=bool)
    changed[1:] = (queued_n[1:] != queued_n[:-1]) | (running_n[1:] != running_n[:-1])
    if len(times):
        changed[0] = queued_n[0] != 0 or running_n[0] != 0
    return times[changed], queued_n[changed], running_n[changed]


def _value_at(times: np.ndarray, values: np.ndarray, at: np.ndarray) -> np.ndarray:
    idx = np.searchsorted(times, at, side="right") - 1
    return np.where(idx >= 0, values[np.clip(idx, 0, None)] if len(values) else 0, 0)


def _window_max(times: np.ndarray, values: np.ndarray, at: np.ndarray) -> np.ndarray:
    """Max of the step function over [at[i], at[i+1]) (the last: to the end)."""
    result = _value_at(times, values, at)
    starts = np.searchsorted(times, at, side="left")
    ends = np.append(starts[1:], len(times))
    nonempty = ends > starts
    if nonempty.any():
        bounds = np.append(starts[nonempty], ends[nonempty][-1])
        padded = np.append(values, 0)
        segment = np.maximum.reduceat(padded, bounds)[:-1]
        result[nonempty] = np.maximum(result[nonempty], segment)
    return result


def runs_in_flight(df: pd.DataFrame, *, freq: Any = None, points: Any = None, tz: Any = "UTC",
                   now: Any = None) -> pd.DataFrame:
    """Runs queued and running over time, rebuilt from the timestamps.

    A run is queued from ``queued_at`` until ``started_at`` (or ``finished_at``
    when canceled or failed while queued) and running from ``started_at``
    until ``finished_at`` (paused runs count as running). An interval whose
    end is null counts until ``now`` when the run's status is open (created,
    queued, running, paused); a final run with a null end (the stuck-run
    sweeper's ``timed_out``) is left out, as its end is unknown. A run without
    ``queued_at`` (old servers) is never counted as queued. Intervals are
    half-open ``[start, end)``; an end before its start (clock skew) counts
    as no time. (Formerly ``concurrency``, a name the fetcher uses for
    requests in flight; that name is a deprecated alias.)

    Args:
        df: a runs frame.
        freq: sample at the start of each bucket of this offset alias, from
            the first event's bucket to ``now``'s.
        points: sample at these instants instead (naive values are UTC).
        tz: time zone of the ``time`` column and of ``freq`` buckets.
        now: end of open intervals; None for the current time.

    Returns:
        Columns: ``time`` (datetime in ``tz``), ``queued``, ``running`` (runs
        in each state at that instant, events at the instant included),
        ``queued_max``, ``running_max`` (the most at any instant from this
        row's time until the next row's, or until ``now`` for the last row).
        Without ``freq`` and ``points``: one row at every instant where a
        count changes, plus ``now``.

    Raises:
        SchemaError: a needed column is missing.
        UsageError: both ``freq`` and ``points``, or a bad ``freq``, ``tz`` or ``now``.

    Example:
        >>> import pandas as pd
        >>> t = lambda *s: pd.to_datetime(list(s), utc=True)
        >>> runs = pd.DataFrame({
        ...     "status": ["completed", "running"],
        ...     "queued_at": t("2026-01-05 10:00", "2026-01-05 10:20"),
        ...     "started_at": t("2026-01-05 10:10", "2026-01-05 10:30"),
        ...     "finished_at": t("2026-01-05 10:40", None)})
        >>> flight = runs_in_flight(runs, freq="h", now="2026-01-05 12:00")
        >>> flight["time"].dt.strftime("%H:%M").tolist(), flight["running_max"].tolist()
        (['10:00', '11:00', '12:00'], [2, 1, 1])
    """
    require_columns(df, ["status", "queued_at", "started_at", "finished_at"],
                    where="runs_in_flight")
    if freq is not None and points is not None:
        raise UsageError("give freq or points, not both")
    tz = _check_tz(tz)
    now_us = _now_us(now)
    if len(df):
        times, queued_n, running_n = _step_series(df, now_us)
    else:
        times = queued_n = running_n = np.zeros(0, dtype=np.int64)
    if points is None and freq is None:
        return _every_change(times, queued_n, running_n, now_us, tz, bool(len(df)))
    if points is not None:
        at = np.unique(np.array([_ts_us(p, "points") for p in points], dtype=np.int64))
    elif len(df):
        at = _edges(int(times[0]) if len(times) else now_us, now_us, freq, tz)
    else:
        at = np.zeros(0, dtype=np.int64)
    return pd.DataFrame({
        "time": _to_datetime(at, tz).astype(_bucket_dtype(tz)).array,
        "queued": _value_at(times, queued_n, at).astype(np.int64),
        "running": _value_at(times, running_n, at).astype(np.int64),
        "queued_max": _window_max(times, queued_n, at).astype(np.int64),
        "running_max": _window_max(times, running_n, at).astype(np.int64),
    })


def _every_change(times: np.ndarray, queued_n: np.ndarray, running_n: np.ndarray, now_us: int,
                  tz: Any, any_runs: bool) -> pd.DataFrame:
    """The step function itself (each row holds until the next), plus a row at ``now``."""
    if any_runs and (not len(times) or times[-1] != now_us):
        last_q, last_r = (queued_n[-1], running_n[-1]) if len(times) else (0, 0)
        times = np.append(times, now_us)
        queued_n, running_n = np.append(queued_n, last_q), np.append(running_n, last_r)
    return pd.DataFrame({
        "time": _to_datetime(times, tz).astype(_bucket_dtype(tz)).array,
        "queued": queued_n, "running": running_n,
        "queued_max": queued_n.copy(), "running_max": running_n.copy(),
    })


def _stuck(df: pd.DataFrame, now_us: int, queued_threshold: Duration | float,
           running_threshold: Duration | float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Stuck mask, stage (0 queued, 1 running) and since (us) of every row."""
    q_limit = _seconds(queued_threshold, "queued_threshold")
    r_limit = _seconds(running_threshold, "running_threshold")
    created, queued, started = (_us(df[c]) for c in ("created_at", "queued_at", "started_at"))
    open_status = _status_mask(df, NON_FINAL_STATUSES)
    waiting = open_status & (started == _NAT)
    since = np.where(waiting, np.where(queued != _NAT, queued, created), started)
    if "next_attempt_at" in df.columns:
        # A retry that is not due yet is waiting on purpose: count from when it is due.
        due = _us(df["next_attempt_at"])
        since = np.where(waiting & (due != _NAT), np.maximum(since, due), since)
    age = np.where(since != _NAT, (now_us - np.where(since != _NAT, since, now_us)) / _US, np.nan)
    with np.errstate(invalid="ignore"):
        stuck = open_status & (since != _NAT) & (
            (waiting & (age > q_limit)) | (~waiting & (age > r_limit)))
    return stuck, np.where(waiting, 0, 1), since


def stuck_runs(df: pd.DataFrame, *, now: Any,
               queued_threshold: Duration = DEFAULT_QUEUED_THRESHOLD,
               running_threshold: Duration = DEFAULT_RUNNING_THRESHOLD) -> pd.DataFrame:
    """Runs waiting or running for longer than a threshold as of ``now``, newest first.

    A run with an open status (created, queued, running, paused) that has not
    started is stuck when ``now - since > queued_threshold`` with ``since`` =
    ``queued_at`` (``created_at`` when not queued yet; a pending retry's
    ``next_attempt_at`` when that is later). One that has started (running or
    paused) is stuck when ``now - started_at > running_threshold``. Final and
    unknown statuses are never stuck.

    Args:
        df: a runs frame.
        now: the time ages are measured to (naive values are UTC).
        queued_threshold: longest normal wait: a timedelta or a span such as
            ``"30m"`` (a number is seconds).
        running_threshold: longest normal run, the same way.

    Returns:
        Columns: ``workflow_run_id``, ``workflow_permanent_id``,
        ``workflow_title``, ``status``, ``created_at`` (as in ``df``),
        ``stage`` (``"queued"`` or ``"running"``), ``since`` (datetime UTC),
        ``age_seconds`` (Float64). The index holds the rows' labels in ``df``;
        sorted by ``created_at`` descending.

    Raises:
        SchemaError: a needed column is missing.
        UsageError: a bad ``now`` or threshold.

    Example:
        >>> import pandas as pd
        >>> t = lambda *s: pd.to_datetime(list(s), utc=True)
        >>> runs = pd.DataFrame({
        ...     "workflow_run_id": ["wr_1", "wr_2"], "workflow_permanent_id": ["wpid_a"] * 2,
        ...     "workflow_title": ["Alpha"] * 2, "status": ["queued", "running"],
        ...     "created_at": t("2026-01-05 10:00", "2026-01-05 11:00"),
        ...     "queued_at": t("2026-01-05 10:00", "2026-01-05 11:00"),
        ...     "started_at": t(None, "2026-01-05 11:00")})
        >>> stuck = runs.pipe(stuck_runs, now="2026-01-05 11:30", queued_threshold="1h")
        >>> stuck[["workflow_run_id", "stage", "age_seconds"]].to_dict("records")
        [{'workflow_run_id': 'wr_1', 'stage': 'queued', 'age_seconds': 5400.0}]
    """
    columns = ["workflow_run_id", "workflow_permanent_id", "workflow_title", "status",
               "created_at"]
    require_columns(df, [*columns, "queued_at", "started_at"], where="stuck_runs")
    now_us = _ts_us(now, "now")
    stuck, stage, since = _stuck(df, now_us, queued_threshold, running_threshold)
    rows = np.flatnonzero(stuck)
    rows = rows[np.argsort(-_us(df["created_at"])[rows], kind="stable")]
    out = df[columns].iloc[rows].copy()
    out["stage"] = _strings(np.array(["queued", "running"], dtype=object)[stage[rows]])
    out["since"] = _to_datetime(since[rows]).array
    out["age_seconds"] = _float((now_us - since[rows]) / _US)
    return out
