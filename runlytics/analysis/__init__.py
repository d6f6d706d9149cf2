"""Analysis helpers for a runs frame: timings, latency, failures, mixes, throughput.

Every helper is a plain function ``f(df, *, option=...) -> DataFrame`` that works
with :meth:`pandas.DataFrame.pipe`, checks its input with :func:`require_columns`,
never mutates the input and returns a frame with a fixed, documented set of
columns (an empty frame with those columns for empty input). :func:`summary`
returns the headline figures as plain JSON-ready Python values.

Conventions shared by all helpers:

* **Timings** (:func:`timings`), in seconds, from the current attempt's
  timestamps: ``pickup_seconds = queued_at - created_at``,
  ``queue_seconds = started_at - queued_at``,
  ``duration_seconds = finished_at - started_at``,
  ``turnaround_seconds = finished_at - created_at``. Null when either end is
  null. (Under a retry policy the server clears ``started_at`` and
  ``finished_at`` when it queues a run again: timings describe the current
  attempt.) A negative value no further below 0 than ``skew_tolerance_seconds`` is
  clock skew between the database and the app hosts: it is clamped to 0 and
  flagged ``<metric>_clamped``. A value further below 0 is flagged
  ``<metric>_suspect``, set to null and never used in a statistic.
* **Statuses.** Final: ``schema.FINAL_STATUSES``. Open (still in flight):
  ``NON_FINAL_STATUSES`` (created, queued, running, paused). Failed:
  ``FAILURE_STATUSES`` (failed, terminated, timed_out; canceled is a user action,
  not a failure). A status runlytics does not know (e.g. ``archived``) is
  neither open, final nor failed: such runs count in ``runs`` only.
* **Percentiles** are numpy's default method (``linear``: the value at
  position ``q * (n - 1)`` of the sorted sample, interpolated linearly
  between neighbours), computed per group over the non-null values.
  ``mean`` is the arithmetic mean. With ``n == 0`` every statistic is null.
* **Groups.** ``by`` names one column or a list of columns; groups are sorted
  by their keys (categoricals in category order), a null key is a group of
  its own, sorted last, and key columns keep their input dtype. Only key
  combinations present in the data appear (``observed=True``).
* **Time buckets.** ``freq`` is a pandas offset alias (``"h"``, ``"D"``,
  ``"W"``, ``"MS"``, ``"15min"``, ...). A run belongs to the bucket holding its
  ``created_at`` seen in time zone ``tz``; the ``bucket`` column holds the
  bucket's start, tz-aware in ``tz``. Calendar buckets (days, weeks, months)
  follow the local calendar in ``tz`` (a day is midnight to midnight local
  time). Aliases anchored on a period's end select the same periods as in
  :meth:`pandas.DataFrame.resample` but are labelled by the period's start:
  ``"W"`` (= ``"W-SUN"``) is Monday to Sunday labelled by the Monday, ``"ME"``
  is a calendar month labelled by its first day. Fixed-length aliases (``"h"``,
  ``"15min"``) step in absolute time from the first bucket's local start. A
  local midnight that does not exist (a DST jump) starts its day at the first
  instant after it; a repeated one starts it at its first occurrence. Every
  bucket from the first to the last run's is present, with zero counts when
  no run falls in it; at most ``MAX_BUCKETS`` of them.
  Runs without ``created_at`` are left out of bucketed results.
* **Durations.** An option that is a length of time (``skew_tolerance_seconds``,
  ``queued_threshold``, ``running_threshold``, ``period``) takes a
  :class:`datetime.timedelta` (``pandas.Timedelta`` is one) or a span string
  such as ``"30m"``, ``"12h"``, ``"7d"`` (:func:`runlytics.units.to_timedelta`);
  a plain number is read as seconds, as before. Negative durations are refused.
* **now.** Ages of unfinished runs are measured up to ``now``: a timestamp
  (naive values are UTC), or None for the current time. Pass it explicitly
  when analysing a stored frame.
* **Labels.** Where a helper turns a categorical column into labels (mixes,
  failure categories), nulls become ``"unknown"`` (``"uncategorized"`` for a
  failed run without a failure category, since ``UNKNOWN`` is a real category).
"""

from __future__ import annotations

import warnings
from typing import Any

from ._common import (
    FAILURE_STATUSES,
    NON_FINAL_STATUSES,
    UNCATEGORIZED,
    UNKNOWN,
    require_columns,
)
from ._groups import MAX_BUCKETS
from ._groups import _grouped_stats as _grouped_stats  # used by tests/test_analysis.py
from .censored import MATERIAL_SECONDS, MATERIAL_SHARE, censored_latency, km_quantiles
from .changes import CHANGE_COLUMNS, CHANGE_METRICS, DEFAULT_ALPHA, DEFAULT_MIN_N, changes
from .credits import CREDIT_COLUMNS, credit_summary
from .failures import (
    DEFAULT_MIN_GROWTH,
    DEFAULT_TREND_PERIOD,
    failure_breakdown,
    failure_trends,
)
from .flaky import (
    DEFAULT_FLAKY_FLIP_RATE,
    DEFAULT_MIN_RUNS,
    FLAKY_COLUMNS,
    flaky_workflows,
)
from .headline import summary
from .intervals import DEFAULT_CONFIDENCE, wilson_interval, wilson_intervals
from .latency import LATENCY_STATS, latency_summary
from .load import (
    DEFAULT_QUEUED_THRESHOLD,
    DEFAULT_RUNNING_THRESHOLD,
    runs_in_flight,
    stuck_runs,
)
from .mix import status_mix, trigger_mix
from .rates import success_rate, throughput
from .schedules import (
    DEFAULT_EARLY,
    DEFAULT_STOP_AFTER,
    DEFAULT_TOLERANCE,
    MAX_FIRINGS,
    expected_firings,
    schedule_adherence,
    schedule_firings,
)
from .signatures import (
    MAX_SIGNATURE_CHARS,
    NO_REASON,
    failure_signature,
    failure_signatures,
    workflow_signatures,
)
from .timing import (
    DEFAULT_SKEW_TOLERANCE_SECONDS,
    METRICS,
    TIMING_COLUMNS,
    timings,
    with_timings,
)
from .webhooks import failed_deliveries, webhook_delivery, webhook_failure_signatures

__all__ = [
    "CHANGE_COLUMNS",
    "CHANGE_METRICS",
    "CREDIT_COLUMNS",
    "DEFAULT_ALPHA",
    "DEFAULT_CONFIDENCE",
    "DEFAULT_EARLY",
    "DEFAULT_FLAKY_FLIP_RATE",
    "DEFAULT_MIN_GROWTH",
    "DEFAULT_MIN_N",
    "DEFAULT_MIN_RUNS",
    "DEFAULT_QUEUED_THRESHOLD",
    "DEFAULT_RUNNING_THRESHOLD",
    "DEFAULT_SKEW_TOLERANCE_SECONDS",
    "DEFAULT_STOP_AFTER",
    "DEFAULT_TOLERANCE",
    "DEFAULT_TREND_PERIOD",
    "FAILURE_STATUSES",
    "FLAKY_COLUMNS",
    "LATENCY_STATS",
    "MATERIAL_SECONDS",
    "MATERIAL_SHARE",
    "MAX_BUCKETS",
    "MAX_FIRINGS",
    "MAX_SIGNATURE_CHARS",
    "METRICS",
    "NON_FINAL_STATUSES",
    "NO_REASON",
    "TIMING_COLUMNS",
    "UNCATEGORIZED",
    "UNKNOWN",
    "censored_latency",
    "changes",
    "credit_summary",
    "expected_firings",
    "failed_deliveries",
    "failure_breakdown",
    "failure_signature",
    "failure_signatures",
    "failure_trends",
    "flaky_workflows",
    "km_quantiles",
    "latency_summary",
    "require_columns",
    "runs_in_flight",
    "schedule_adherence",
    "schedule_firings",
    "status_mix",
    "stuck_runs",
    "success_rate",
    "summary",
    "throughput",
    "timings",
    "trigger_mix",
    "webhook_delivery",
    "webhook_failure_signatures",
    "wilson_interval",
    "wilson_intervals",
    "with_timings",
    "workflow_signatures",
]

#: Old public names, kept for one release: old name -> new name.
_RENAMED = {"concurrency": "runs_in_flight"}


def __getattr__(name: str) -> Any:
    if name in _RENAMED:
        new = _RENAMED[name]
        warnings.warn(f"runlytics.analysis.{name} is deprecated; use {new}", DeprecationWarning,
                      stacklevel=2)
        return globals()[new]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
