"""Schedule adherence against hand-computed firings across the March 2026 DST change.

Europe/Paris moves from UTC+1 to UTC+2 at 02:00 local on Sunday 29 March 2026
(01:00 UTC): a daily 09:00 fires at 08:00 UTC before and 07:00 UTC after; a
daily 02:30 does not exist that night and fires at 03:00 local (01:00 UTC).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from cronsim import CronSim

from runlytics.analysis import expected_firings, schedule_adherence, schedule_firings
from runlytics.errors import UsageError

S = "string[pyarrow]"
DT = "datetime64[us, UTC]"
START, END = "2026-03-27", "2026-03-31"

NINE = {"workflow_schedule_id": "wfs_a", "workflow_permanent_id": "wpid_a",
        "cron_expression": "0 9 * * *", "timezone": "Europe/Paris", "enabled": True,
        "created_at": "2026-01-01T00:00:00", "modified_at": "2026-02-01T10:00:00.123456"}
HALF_TWO = {"workflow_schedule_id": "wfs_b", "workflow_permanent_id": "wpid_b",
            "cron_expression": "30 2 * * *", "timezone": "Europe/Paris", "enabled": True,
            "created_at": "2026-01-01T00:00:00", "modified_at": "2026-01-01T00:00:00"}
OFF = {"workflow_schedule_id": "wfs_c", "workflow_permanent_id": "wpid_c",
       "cron_expression": "*/5 * * * *", "timezone": "UTC", "enabled": False}
SIX_HOURS = {"workflow_schedule_id": "wfs_d", "workflow_permanent_id": "wpid_d",
             "cron_expression": None, "interval_seconds": 21600,
             "first_fire_at": "2026-03-27T03:00:00", "timezone": None, "enabled": True,
             "created_at": "2026-03-01T00:00:00", "modified_at": "2026-03-29T12:00:00"}


def _utc(*values: str) -> list[str]:
    return [str(pd.Timestamp(us, unit="us")) for us in values]


def _fires(schedule: dict, start: str = START, end: str = END) -> list[str]:
    return [str(pd.Timestamp(us, unit="us")) for us in expected_firings(schedule, start=start,
                                                                        end=end)]


def test_daily_nine_in_paris_follows_the_clock_change() -> None:
    assert _fires(NINE) == ["2026-03-27 08:00:00", "2026-03-28 08:00:00",
                            "2026-03-29 07:00:00", "2026-03-30 07:00:00"]


def test_a_local_time_skipped_by_the_jump_fires_just_after_it() -> None:
    assert _fires(HALF_TWO) == ["2026-03-27 01:30:00", "2026-03-28 01:30:00",
                                "2026-03-29 01:00:00", "2026-03-30 00:30:00"]


def test_hourly_in_paris_is_hourly_in_utc_across_the_jump() -> None:
    hourly = {**NINE, "cron_expression": "0 * * * *"}
    assert _fires(hourly, "2026-03-28 23:00", "2026-03-29 03:00") == [
        "2026-03-28 23:00:00", "2026-03-29 00:00:00", "2026-03-29 01:00:00",
        "2026-03-29 02:00:00"]


def test_start_and_end_bounds_and_modified_at() -> None:
    assert _fires(NINE, "2026-03-27 08:00", "2026-03-28 08:00") == ["2026-03-27 08:00:00"]
    assert _fires({**NINE, "modified_at": "2026-03-28T08:00:01"}) == [
        "2026-03-29 07:00:00", "2026-03-30 07:00:00"]
    assert _fires(OFF) == []
    assert _fires(SIX_HOURS) == ["2026-03-29 15:00:00", "2026-03-29 21:00:00",
                                 "2026-03-30 03:00:00", "2026-03-30 09:00:00",
                                 "2026-03-30 15:00:00", "2026-03-30 21:00:00"]
    once = {"workflow_schedule_id": "wfs_e", "run_at": "2026-03-28T12:00:00", "enabled": True}
    assert _fires(once) == ["2026-03-28 12:00:00"]


@pytest.mark.parametrize(("expression", "start", "end"), [
    ("*/7 * * * *", "2026-02-27 13:17:30", "2026-03-02 00:03"),
    ("5,50 */3 * * *", "2026-02-28", "2026-03-03"),
    ("0 9 * * 1-5", "2026-02-26", "2026-03-09"),
])
def test_utc_firings_equal_cronsim_step_by_step(expression: str, start: str, end: str) -> None:
    begin, stop = pd.Timestamp(start, tz="UTC"), pd.Timestamp(end, tz="UTC")
    direct = []
    for fire in CronSim(expression, (begin - pd.Timedelta(seconds=1)).to_pydatetime()):
        if fire >= stop:
            break
        if fire >= begin:
            direct.append(str(pd.Timestamp(fire).tz_convert(None)))
    schedule = {"workflow_schedule_id": "wfs_u", "cron_expression": expression, "timezone": "UTC"}
    assert _fires(schedule, start, end) == direct
    assert len(direct) > 5


@pytest.mark.parametrize(("change", "message"), [
    ({"cron_expression": "61 * * * *"}, "bad cron expression"),
    ({"timezone": "Mars/Olympus"}, "unknown time zone"),
    ({"cron_expression": "* * * * *"}, "more than 200,000"),
])
def test_bad_schedules_are_refused(change: dict, message: str) -> None:
    with pytest.raises(UsageError, match=message):
        expected_firings({**NINE, **change}, start="2026-01-01", end="2027-01-01")


def _runs() -> pd.DataFrame:
    rows = [  # run id, schedule, status, created (UTC)
        ("wr_a1", "wfs_a", "completed", "2026-03-27 08:00:20"),
        ("wr_a3", "wfs_a", "failed", "2026-03-29 07:02:00"),
        ("wr_a3x", "wfs_a", "failed", "2026-03-29 08:00:10"),  # the winter time: no firing
        ("wr_a4", "wfs_a", "timed_out", "2026-03-30 07:00:00"),
        ("wr_b1", "wfs_b", "failed", "2026-03-27 01:29:01"),  # 59 s early: clock skew
        ("wr_b3", "wfs_b", "running", "2026-03-29 01:00:00"),
        ("wr_m", None, "completed", "2026-03-28 08:00:00"),  # not scheduled
        ("wr_old", "wfs_b", "failed", "2026-03-20 01:30:00"),
    ]
    return pd.DataFrame({
        "workflow_run_id": pd.array([r[0] for r in rows], dtype=S),
        "workflow_schedule_id": pd.array([r[1] for r in rows], dtype=S),
        "status": pd.Categorical([r[2] for r in rows]),
        "created_at": pd.to_datetime([r[3] for r in rows], utc=True).astype(DT),
    })


def _stamps(*values: str | None) -> pd.Series:
    return pd.Series(pd.to_datetime(list(values), utc=True)).astype(DT)


def test_schedule_firings_match_runs() -> None:
    runs = _runs()
    before = runs.copy()
    got = schedule_firings([HALF_TWO, NINE], runs, start=START, end=END)
    pd.testing.assert_frame_equal(runs, before)
    expected = pd.DataFrame({
        "workflow_schedule_id": pd.array(["wfs_a"] * 4 + ["wfs_b"] * 4, dtype=S),
        "fire_at": _stamps("2026-03-27 08:00", "2026-03-28 08:00", "2026-03-29 07:00",
                           "2026-03-30 07:00", "2026-03-27 01:30", "2026-03-28 01:30",
                           "2026-03-29 01:00", "2026-03-30 00:30"),
        "workflow_run_id": pd.array(["wr_a1", None, "wr_a3", "wr_a4", "wr_b1", None, "wr_b3",
                                     None], dtype=S),
        "created_at": _stamps("2026-03-27 08:00:20", None, "2026-03-29 07:02:00",
                              "2026-03-30 07:00:00", "2026-03-27 01:29:01", None,
                              "2026-03-29 01:00:00", None),
        "lateness_seconds": pd.array([20.0, None, 120.0, 0.0, -59.0, None, 0.0, None],
                                     dtype="Float64"),
        "missed": [False, True, False, False, False, True, False, True],
    })
    pd.testing.assert_frame_equal(got, expected)


def test_a_shorter_tolerance_misses_the_late_run() -> None:
    got = schedule_firings([NINE], _runs(), start=START, end=END, tolerance="1m", early=0)
    assert got["missed"].tolist() == [False, True, True, False]


def test_schedule_adherence() -> None:
    got = schedule_adherence([SIX_HOURS, OFF, NINE, HALF_TWO], _runs(), start=START, end=END)
    expected = pd.DataFrame({
        "workflow_schedule_id": pd.array(["wfs_a", "wfs_b", "wfs_c", "wfs_d"], dtype=S),
        "workflow_permanent_id": pd.array(["wpid_a", "wpid_b", "wpid_c", "wpid_d"], dtype=S),
        "enabled": [True, True, False, True],
        "expected": [4, 4, 0, 6], "matched": [3, 2, 0, 0], "missed": [1, 2, 0, 6],
        "late_p50_seconds": pd.array([20.0, -29.5, None, None], dtype="Float64"),
        "late_max_seconds": pd.array([120.0, 0.0, None, None], dtype="Float64"),
        "unmatched_runs": [1, 0, 0, 0], "trailing_missed": [0, 1, 0, 6],
        "stopped": [False, False, False, True],
        "last_run_at": _stamps("2026-03-30 07:00:00", "2026-03-29 01:00:00", None, None),
        "consecutive_failures": [3, 2, 0, 0],  # wfs_b: the open run is skipped,
    })
    pd.testing.assert_frame_equal(got, expected)


def test_schedule_adherence_without_schedules_or_runs() -> None:
    got = schedule_adherence([], _runs().iloc[:0], start=START, end=END)
    assert len(got) == 0
    assert list(got.columns)[:4] == ["workflow_schedule_id", "workflow_permanent_id", "enabled",
                                     "expected"]
    assert np.array_equal(schedule_firings([NINE], _runs().iloc[:0], start=START,
                                           end=END)["missed"], [True] * 4)
