"""Schedule adherence: the firings a schedule owed in a period against the runs it made.

A schedule is a dict as ``GET /v1/schedules`` sends it (``workflow_schedule_id``,
``workflow_permanent_id``, ``cron_expression``, ``interval_seconds``,
``first_fire_at``, ``run_at``, ``timezone``, ``enabled``, ``created_at``,
``modified_at``, ...; datetimes naive UTC text or timestamps). Expected firings:

* a cron schedule fires at the times of its expression in its ``timezone``
  (IANA name; UTC when null), computed by ``cronsim`` (so a daily 09:00
  Europe/Paris is 08:00 UTC in winter and 07:00 UTC in summer, and a local
  time skipped by a DST jump fires at the first instant after it);
* an interval schedule at ``first_fire_at + k * interval_seconds``;
* a one-time schedule once, at ``run_at``.

Only firings in ``[start, end)`` and not before the schedule's
``modified_at`` (or ``created_at``) count: the server skips fire times before
``modified_at``, and only the current cron is known. A disabled schedule owes
nothing.

**Matching.** A run of the schedule (same ``workflow_schedule_id``) belongs to
the latest firing ``f`` with ``f <= created_at + early`` when
``created_at - f < tolerance`` (defaults: ``early`` 1 minute, for clock skew
between hosts; ``tolerance`` 15 minutes). A firing's match is the earliest run
that belongs to it; its lateness is ``created_at - f`` in seconds (at least
``-early``). A firing without a match is missed (the self-hosted scheduler
drops fire times that fall in its downtime, so misses are real).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np
import pandas as pd
from cronsim import CronSim, CronSimError

from ..errors import UsageError
from ._common import (
    FAILURE_STATUSES,
    Duration,
    _float,
    _seconds,
    _status_mask,
    _strings,
    _to_datetime,
    _ts_us,
    _us,
    require_columns,
)

DEFAULT_TOLERANCE = timedelta(minutes=15)
DEFAULT_EARLY = timedelta(minutes=1)
DEFAULT_STOP_AFTER = 3
MAX_FIRINGS = 200_000

_US = 1_000_000
_DAY = 86_400 * _US
_NAT = np.iinfo(np.int64).min
_SCHEDULE = "workflow_schedule_id"
_INPUT = ("workflow_run_id", _SCHEDULE, "status", "created_at")


def _time(schedule: Mapping[str, Any], key: str) -> int | None:
    value = schedule.get(key)
    return None if value is None or value == "" else _ts_us(value, key)


def _too_many(schedule: Mapping[str, Any]) -> UsageError:
    return UsageError(f"schedule {schedule.get(_SCHEDULE)} fires more than {MAX_FIRINGS:,} "
                      "times in the period: choose a shorter one")


def _zone(schedule: Mapping[str, Any]) -> tzinfo:
    name = schedule.get("timezone") or "UTC"
    if name in ("UTC", "Etc/UTC"):
        return UTC  # cronsim steps 5x faster in a fixed zone than in ZoneInfo("UTC")
    try:
        return ZoneInfo(str(name))
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise UsageError(f"schedule {schedule.get(_SCHEDULE)}: unknown time zone {name!r}") from exc


def _cron_fires(schedule: Mapping[str, Any], lower: int, end: int) -> np.ndarray:
    zone = _zone(schedule)
    fields = str(schedule["cron_expression"]).split()
    if zone is UTC and len(fields) == 5 and fields[2:] == ["*", "*", "*"] \
            and end - lower > _DAY:
        # Every day alike in a zone without DST: evaluate one day, repeat it (cronsim
        # takes ~10 µs a firing; a */5 schedule fires 8,640 times in 30 days).
        day0 = lower - lower % _DAY
        offsets = np.array(_cron_walk(schedule, zone, day0, day0 + _DAY), dtype=np.int64) - day0
        fires = (np.arange(day0, end, _DAY, dtype=np.int64)[:, None] + offsets).ravel()
        fires = fires[(fires >= lower) & (fires < end)]
        if len(fires) > MAX_FIRINGS:
            raise _too_many(schedule)
        return fires
    return np.array(_cron_walk(schedule, zone, lower, end), dtype=np.int64)


def _cron_walk(schedule: Mapping[str, Any], zone: tzinfo, lower: int, end: int) -> list[int]:
    """Fire times in ``[lower, end)`` stepped one by one by cronsim."""
    begin = datetime.fromtimestamp(lower // _US - 60, UTC).astimezone(zone)
    try:
        times = CronSim(str(schedule["cron_expression"]), begin)
    except CronSimError as exc:
        raise UsageError(f"schedule {schedule.get(_SCHEDULE)}: bad cron expression "
                         f"{schedule['cron_expression']!r}: {exc}") from exc
    fires: list[int] = []
    for fire in times:
        us = int(fire.timestamp()) * _US
        if us >= end:
            break
        if us >= lower:
            fires.append(us)
        if len(fires) > MAX_FIRINGS:
            raise _too_many(schedule)
    return fires


def _interval_fires(schedule: Mapping[str, Any], lower: int, end: int) -> np.ndarray:
    step = int(float(schedule["interval_seconds"]) * _US)
    first = _time(schedule, "first_fire_at") or _time(schedule, "created_at")
    if step <= 0 or first is None:
        return np.empty(0, np.int64)
    k0 = max(0, -(-(lower - first) // step))
    k1 = max(k0, -(-(end - first) // step))
    if k1 - k0 > MAX_FIRINGS:
        raise _too_many(schedule)
    return first + step * np.arange(k0, k1, dtype=np.int64)


def expected_firings(schedule: Mapping[str, Any], *, start: Any, end: Any) -> np.ndarray:
    """The fire times a schedule owes in ``[start, end)``, int64 µs since the epoch (UTC).

    Args:
        schedule: one schedule dict (see the module docstring).
        start: start of the period (inclusive; naive values are UTC).
        end: end of the period (exclusive).

    Returns:
        The sorted fire times; empty for a disabled schedule.

    Raises:
        UsageError: a bad cron expression or time zone, or too many firings.

    Example:
        >>> import pandas as pd
        >>> daily = {"workflow_schedule_id": "wfs_1", "cron_expression": "0 9 * * *",
        ...          "timezone": "Europe/Paris", "enabled": True,
        ...          "modified_at": "2026-01-01T00:00:00"}
        >>> fires = expected_firings(daily, start="2026-03-28", end="2026-03-30")
        >>> [str(pd.Timestamp(us, unit="us")) for us in fires]
        ['2026-03-28 08:00:00', '2026-03-29 07:00:00']
    """
    return _firings(schedule, _ts_us(start, "start"), _ts_us(end, "end"), {})


def _firings(schedule: Mapping[str, Any], start_us: int, end_us: int,
             cron_cache: dict[tuple[str, str], np.ndarray]) -> np.ndarray:
    """:func:`expected_firings`; schedules sharing a cron and time zone share one evaluation."""
    if not schedule.get("enabled", True):
        return np.empty(0, np.int64)
    known = [t for t in (_time(schedule, "modified_at"), _time(schedule, "created_at"))
             if t is not None]
    lower = max([start_us, *known])
    if lower >= end_us:
        return np.empty(0, np.int64)
    if schedule.get("cron_expression"):
        key = (str(schedule["cron_expression"]), str(schedule.get("timezone") or "UTC"))
        if key not in cron_cache:
            cron_cache[key] = _cron_fires(schedule, start_us, end_us)
        fires = cron_cache[key]
        return fires[fires >= lower]
    if schedule.get("interval_seconds"):
        return _interval_fires(schedule, lower, end_us)
    run_at = _time(schedule, "run_at")
    return np.array([run_at] if run_at is not None and lower <= run_at < end_us else [],
                    dtype=np.int64)


def _runs_by_schedule(df: pd.DataFrame) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Schedule id -> (row positions, created µs) of its runs, oldest first."""
    ids = df[_SCHEDULE]
    rows = np.flatnonzero(ids.notna().to_numpy(dtype=bool))
    codes, uniques = pd.factorize(ids.iloc[rows])
    created = _us(df["created_at"])[rows]
    order = np.lexsort((rows, created, codes))
    codes, rows, created = codes[order], rows[order], created[order]
    bounds = np.searchsorted(codes, np.arange(len(uniques) + 1))
    return {str(u): (rows[bounds[i]:bounds[i + 1]], created[bounds[i]:bounds[i + 1]])
            for i, u in enumerate(uniques)}


def _match(fires: np.ndarray, created: np.ndarray, tolerance: int, early: int
           ) -> tuple[np.ndarray, np.ndarray]:
    """(index of each firing's matched run or -1, firing index of each run or -1)."""
    owner = np.searchsorted(fires, created + early, side="right") - 1
    ok = owner >= 0
    ok[ok] &= (created[ok] - fires[owner[ok]]) < tolerance
    owner = np.where(ok & (created != _NAT), owner, -1)
    first = np.full(len(fires), -1, dtype=np.int64)
    taken, at = np.unique(owner[owner >= 0], return_index=True)
    first[taken] = np.flatnonzero(owner >= 0)[at]
    return first, owner


def _options(tolerance: Duration | float, early: Duration | float) -> tuple[int, int]:
    return (int(_seconds(tolerance, "tolerance") * _US), int(_seconds(early, "early") * _US))


def schedule_firings(schedules: Sequence[Mapping[str, Any]], df: pd.DataFrame, *, start: Any,
                     end: Any, tolerance: Duration | float = DEFAULT_TOLERANCE,
                     early: Duration | float = DEFAULT_EARLY) -> pd.DataFrame:
    """Every firing the schedules owed in ``[start, end)`` and the run that answered it.

    Args:
        schedules: schedule dicts (see the module docstring).
        df: a runs frame with ``workflow_run_id``, ``workflow_schedule_id``,
            ``status`` and ``created_at``.
        start: start of the period (inclusive; naive values are UTC).
        end: end of the period (exclusive).
        tolerance: how long after a fire time a run still answers it.
        early: how long before a fire time a run may be created (clock skew).

    Returns:
        One row per firing, by schedule id then time: ``workflow_schedule_id``,
        ``fire_at`` (UTC), ``workflow_run_id`` and ``created_at`` of the
        matched run (null when missed), ``lateness_seconds``, ``missed``.

    Example:
        >>> import pandas as pd
        >>> hourly = {"workflow_schedule_id": "wfs_1", "cron_expression": "0 * * * *",
        ...           "timezone": "UTC", "enabled": True}
        >>> runs = pd.DataFrame({"workflow_run_id": ["wr_1"], "workflow_schedule_id": ["wfs_1"],
        ...                      "status": ["completed"],
        ...                      "created_at": pd.to_datetime(["2026-01-05 10:00:05"], utc=True)})
        >>> got = schedule_firings([hourly], runs, start="2026-01-05 10:00",
        ...                        end="2026-01-05 12:00")
        >>> got[["workflow_run_id", "lateness_seconds", "missed"]].to_dict("records")
        [{'workflow_run_id': 'wr_1', 'lateness_seconds': 5.0, 'missed': False}, \
{'workflow_run_id': None, 'lateness_seconds': None, 'missed': True}]
    """
    require_columns(df, _INPUT, where="schedule_firings")
    tol, ahead = _options(tolerance, early)
    by_schedule = _runs_by_schedule(df)
    start_us, end_us = _ts_us(start, "start"), _ts_us(end, "end")
    cron_cache: dict[tuple[str, str], np.ndarray] = {}
    ids, fires_all, rows_all, created_all = [], [], [], []
    for schedule in sorted(schedules, key=lambda s: str(s.get(_SCHEDULE))):
        fires = _firings(schedule, start_us, end_us, cron_cache)
        rows, created = by_schedule.get(str(schedule.get(_SCHEDULE)),
                                        (np.empty(0, np.int64), np.empty(0, np.int64)))
        first, _ = _match(fires, created, tol, ahead)
        ids.extend([str(schedule.get(_SCHEDULE))] * len(fires))
        fires_all.append(fires)
        rows_all.append(np.where(first >= 0, rows[np.maximum(first, 0)] if len(rows) else -1, -1))
        created_all.append(np.where(first >= 0, created[np.maximum(first, 0)]
                                    if len(created) else _NAT, _NAT))
    fires = np.concatenate(fires_all) if fires_all else np.empty(0, np.int64)
    rows = np.concatenate(rows_all) if rows_all else np.empty(0, np.int64)
    created = np.concatenate(created_all) if created_all else np.empty(0, np.int64)
    missed = rows < 0
    run_ids = np.full(len(rows), None, dtype=object)
    run_ids[~missed] = df["workflow_run_id"].iloc[rows[~missed]].to_numpy(dtype=object)
    late = np.where(missed, np.nan, (created - fires) / _US)
    return pd.DataFrame({
        _SCHEDULE: _strings(ids), "fire_at": _to_datetime(fires),
        "workflow_run_id": _strings(run_ids),
        "created_at": _to_datetime(created), "lateness_seconds": _float(late),
        "missed": missed,
    })


def _failure_streak(failed: np.ndarray, ended: np.ndarray) -> int:
    """Failed final runs in a row, newest first (open runs and unknown statuses skipped)."""
    streak = failed[failed | ended][::-1]
    return len(streak) if streak.all() else int(np.argmin(streak))


def _run_figures(outcome: tuple[np.ndarray, np.ndarray], runs: tuple[np.ndarray, np.ndarray],
                 start: int, end: int) -> dict[str, Any]:
    rows, created = runs
    before_end = created < end
    last = created[before_end].max() if before_end.any() else _NAT
    kept = rows[before_end]
    return {"runs": int((before_end & (created >= start)).sum()), "last_run_at": last,
            "consecutive_failures": _failure_streak(outcome[0][kept], outcome[1][kept])}


def _firing_figures(firings: pd.DataFrame) -> dict[str, Any]:
    missed = firings["missed"].to_numpy(dtype=bool)
    late = firings["lateness_seconds"].to_numpy(dtype=np.float64, na_value=np.nan)[~missed]
    hit = np.flatnonzero(~missed)
    return {"expected": len(missed), "matched": int((~missed).sum()),
            "missed": int(missed.sum()),
            "late_p50_seconds": float(np.median(late)) if len(late) else np.nan,
            "late_max_seconds": float(late.max()) if len(late) else np.nan,
            "trailing_missed": len(missed) - (int(hit[-1]) + 1 if len(hit) else 0)}


def schedule_adherence(schedules: Sequence[Mapping[str, Any]], df: pd.DataFrame, *,
                       start: Any, end: Any, tolerance: Duration | float = DEFAULT_TOLERANCE,
                       early: Duration | float = DEFAULT_EARLY,
                       stop_after: int = DEFAULT_STOP_AFTER) -> pd.DataFrame:
    """Per schedule: firings owed and missed, lateness, silent stops, failures in a row.

    Args:
        schedules: schedule dicts (see the module docstring).
        df: a runs frame, as for :func:`schedule_firings`.
        start: start of the period (inclusive; naive values are UTC).
        end: end of the period (exclusive).
        tolerance: how long after a fire time a run still answers it.
        early: how long before a fire time a run may be created (clock skew).
        stop_after: missed firings in a row, at the end of the period, that
            make an enabled schedule ``stopped``.

    Returns:
        One row per schedule, by id: ``workflow_schedule_id``,
        ``workflow_permanent_id``, ``enabled``, ``expected`` (firings owed),
        ``matched``, ``missed``, ``late_p50_seconds`` and ``late_max_seconds``
        (over the ``matched`` firings; null without one), ``unmatched_runs``
        (runs of the schedule created in the period that answered no firing
        or one already answered), ``trailing_missed`` (missed firings since
        the last answered one), ``stopped``, ``last_run_at`` (newest run
        created before ``end``), ``consecutive_failures`` (its newest final
        runs before ``end`` that failed, terminated or timed out, in a row).

    Example:
        >>> import pandas as pd
        >>> hourly = {"workflow_schedule_id": "wfs_1", "workflow_permanent_id": "wpid_a",
        ...           "cron_expression": "0 * * * *", "timezone": "UTC", "enabled": True}
        >>> runs = pd.DataFrame({"workflow_run_id": ["wr_1"], "workflow_schedule_id": ["wfs_1"],
        ...                      "status": ["failed"],
        ...                      "created_at": pd.to_datetime(["2026-01-05 10:00:30"], utc=True)})
        >>> got = schedule_adherence([hourly], runs, start="2026-01-05 10:00",
        ...                          end="2026-01-05 14:00")
        >>> got[["expected", "missed", "late_max_seconds", "stopped",
        ...      "consecutive_failures"]].to_dict("records")
        [{'expected': 4, 'missed': 3, 'late_max_seconds': 30.0, 'stopped': True, \
'consecutive_failures': 1}]
    """
    require_columns(df, _INPUT, where="schedule_adherence")
    if stop_after < 1:
        raise UsageError(f"stop_after must be at least 1, got {stop_after!r}")
    firings = schedule_firings(schedules, df, start=start, end=end, tolerance=tolerance,
                               early=early)
    start_us, end_us = _ts_us(start, "start"), _ts_us(end, "end")
    by_schedule = _runs_by_schedule(df)
    outcome = (_status_mask(df, FAILURE_STATUSES), _status_mask(df, ["completed", "canceled"]))
    fired = dict(tuple(firings.groupby(_SCHEDULE, sort=False, observed=True)))
    empty = firings.iloc[:0]
    records = []
    for schedule in sorted(schedules, key=lambda s: str(s.get(_SCHEDULE))):
        key = str(schedule.get(_SCHEDULE))
        runs = _run_figures(outcome, by_schedule.get(key, (np.empty(0, np.int64),) * 2),
                            start_us, end_us)
        figures = _firing_figures(fired.get(key, empty))
        enabled = bool(schedule.get("enabled", True))
        records.append({
            _SCHEDULE: key, "workflow_permanent_id": schedule.get("workflow_permanent_id"),
            "enabled": enabled, **figures,
            "unmatched_runs": runs["runs"] - figures["matched"],
            "stopped": enabled and figures["trailing_missed"] >= stop_after,
            "last_run_at": runs["last_run_at"],
            "consecutive_failures": runs["consecutive_failures"]})
    return _adherence_frame(records)


def _adherence_frame(records: list[dict[str, Any]]) -> pd.DataFrame:
    def col(name: str) -> list[Any]:
        return [r[name] for r in records]

    ints = ("expected", "matched", "missed", "unmatched_runs", "trailing_missed")
    return pd.DataFrame({
        _SCHEDULE: _strings(col(_SCHEDULE)),
        "workflow_permanent_id": _strings(col("workflow_permanent_id")),
        "enabled": np.array(col("enabled"), dtype=bool),
        **{name: np.array(col(name), dtype=np.int64) for name in ints[:3]},
        "late_p50_seconds": _float(np.array(col("late_p50_seconds"), dtype=np.float64)),
        "late_max_seconds": _float(np.array(col("late_max_seconds"), dtype=np.float64)),
        **{name: np.array(col(name), dtype=np.int64) for name in ints[3:]},
        "stopped": np.array(col("stopped"), dtype=bool),
        "last_run_at": _to_datetime(np.array(col("last_run_at"), dtype=np.int64)),
        "consecutive_failures": np.array(col("consecutive_failures"), dtype=np.int64),
    })
