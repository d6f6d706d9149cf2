"""Build a :class:`Report` from a runs frame: figures from the analysis helpers only.

Every number in a report comes from :mod:`runlytics.analysis`: the JSON
summary is :func:`runlytics.analysis.summary` of the runs created in the
period, with the report's own ``period``, the stuck-run count of
:func:`runlytics.analysis.stuck_runs` and the extra keys below. Nothing is
recomputed here, so a report and a notebook always agree. The period logic
is :mod:`~runlytics.report.period`, the other tables
:mod:`~runlytics.report.summary`, the plots :mod:`~runlytics.report.figures`;
:mod:`~runlytics.report.sections` lays the result out for every format.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from .. import analysis, plots
from .changes import CHANGE_INPUT_COLUMNS, change_figures
from .diagnostics import DIAGNOSTIC_COLUMNS, Diagnostics, diagnose, signature_records
from .figures import PlotImage, render_images
from .period import Period, Periods, check_tz, complete_since, resolve_period, when
from .summary import failure_reasons, failure_table, fetch_dict, previous_doc
from .thresholds import Threshold, ThresholdResult, evaluate_thresholds, parse_threshold

__all__ = ["DEFAULT_TITLE", "OPTIONAL_COLUMNS", "REPORT_COLUMNS", "Report", "build_report"]

DEFAULT_TITLE = "Skyvern runs report"
#: Columns a report reads (the helpers' inputs and the tables' text).
REPORT_COLUMNS = ("workflow_run_id", "workflow_permanent_id", "workflow_title", "status",
                  "trigger_type", "primary_failure_category", "failure_reason", "created_at",
                  "queued_at", "started_at", "finished_at")
OPTIONAL_COLUMNS = ("next_attempt_at", *DIAGNOSTIC_COLUMNS, *CHANGE_INPUT_COLUMNS)


@dataclass
class Report:
    """Everything a report shows; render it with :func:`runlytics.report.write_report`.

    ``summary`` is the JSON document (see :func:`build_report`); the frames
    hold the tables the HTML and Markdown show; :meth:`images` draws the plots.
    """

    summary: dict[str, Any]
    title: str
    period: Period
    previous: Period
    previous_covered: bool
    comparison_note: str
    period_from_data: bool
    tz: str
    now: pd.Timestamp
    generated_at: pd.Timestamp
    freq: str
    previous_summary: dict[str, Any] | None
    failures: pd.DataFrame = field(repr=False)
    failure_reasons: pd.DataFrame = field(repr=False)
    stuck: pd.DataFrame = field(repr=False)
    thresholds: list[ThresholdResult]
    source: str | None
    fetch_report: dict[str, Any] | None
    runs: pd.DataFrame = field(repr=False)
    context: pd.DataFrame = field(repr=False)
    diagnostics: Diagnostics | None = field(default=None, repr=False)
    _images: list[PlotImage] | None = field(default=None, repr=False)

    @property
    def breached(self) -> list[ThresholdResult]:
        """The thresholds that broke."""
        return [r for r in self.thresholds if r.breached]

    def to_json(self) -> str:
        """The summary as JSON text (ASCII only: safe to print to any terminal)."""
        return json.dumps(self.summary, indent=2, ensure_ascii=True, allow_nan=False) + "\n"

    def images(self) -> list[PlotImage]:
        """The report's plots as PNGs, drawn once and kept."""
        if self._images is None:
            self._images = render_images(
                self.runs, self.context, period=self.period, tz=self.tz, now=self.now,
                freq=self.freq, n_failure_rows=len(self.failures))
        return self._images


def build_report(df: pd.DataFrame, *, since: Any = None, until: Any = None, tz: Any = "UTC",
                 now: Any = None, fetch_report: Any = None,
                 source: str | None = None, data_since: Any = None,
                 fail_on: Iterable[str | Threshold] = (),
                 title: str = DEFAULT_TITLE) -> Report:
    """Build the report of the runs created in ``[since, until)``, compared with the period before.

    The period is ``[since, until)`` (``until`` defaults to ``now``); with
    neither, it is the span of the data (first to last ``created_at``). The
    previous period is ``[since - (until - since), since)``, taken from the
    same frame, and compared only when the frame covers it: when
    ``data_since`` (default: the earliest ``created_at`` in ``df``) is at or
    before its start. Otherwise the report says so and the previous figures
    are null: never zeros shown as if real.

    Args:
        df: a runs frame (:func:`runlytics.fetch_frame`, :func:`runlytics.read_frame`).
        since, until: period bounds: datetimes (naive = UTC), ISO strings, or
            spans such as ``"7d"`` counted back from ``now``.
        tz: time zone for display and calendar buckets (the JSON stays UTC).
        now: the moment ages and stuck runs are measured to, and spans count
            back from (default: the current time). For a stored file, pass
            its fetch time.
        fetch_report: how the data was fetched (a :class:`~runlytics.FetchReport`
            or its ``to_dict()``); shown in the footer, base URL redacted.
        source: one line saying where the data came from.
        data_since: from when ``df`` is known to hold every run; decides
            whether the previous period is covered. Default: the ``since``
            filter of ``fetch_report`` (a span counted back from ``now``) when
            it has one and no ``max_runs``, else the earliest ``created_at``.
        fail_on: ``--fail-on`` expressions (see :mod:`runlytics.report.thresholds`).
        title: the report's heading.

    Returns:
        A :class:`Report`. Its ``summary`` (the JSON) has the keys of
        :func:`runlytics.analysis.summary` for the period (``runs``,
        ``status``, ``trigger_types``, ``failed_runs``, ``failure_categories``,
        ``queue_seconds``, ``duration_seconds``, ``success_rate``,
        ``success_rate_n``, ``workflows``, ``now``) with ``period``
        {``start``, ``end``} set to the report's period and ``stuck_runs``
        counting every run of ``df`` stuck as of ``now``, plus ``tz``,
        ``generated_at``, ``previous`` (``period``, ``covered``, ``note``,
        ``runs``, ``success_rate``, ``success_rate_n``, ``failed_runs``,
        ``status``, ``queue_seconds``, ``duration_seconds``; null figures when
        not covered), ``failure_trends`` (list, empty when not covered),
        ``new_failure_categories``, ``failure_signatures`` (a list: ``signature``,
        ``runs``, ``previous_runs``, ``workflows``, ``first_seen``, ``last_seen``,
        ``new``, ``growing``, ``example_run_ids``), ``credits`` (null without
        credit data, else :func:`runlytics.analysis.credit_summary`),
        ``webhooks`` (null when no delivery was recorded, else ``recorded``,
        ``delivered``, ``failed``, ``delivery_rate``, ``by_workflow``,
        ``failures_by_signature``, ``failed_deliveries``), ``thresholds``,
        ``source`` and ``fetch``.

    Raises:
        UsageError: a bad ``tz``, ``since``/``until``, an empty period, or a
            ``fail_on`` expression that does not parse or names no number.
        SchemaError: ``df`` is not a runs frame.

    Example:
        >>> t = lambda *s: pd.to_datetime(list(s), utc=True)
        >>> runs = pd.DataFrame({
        ...     "workflow_run_id": ["wr_1", "wr_2"], "workflow_permanent_id": ["wpid_a"] * 2,
        ...     "workflow_title": ["Alpha"] * 2, "status": ["completed", "failed"],
        ...     "trigger_type": ["api", "manual"], "primary_failure_category": [None, "X"],
        ...     "failure_reason": [None, "page timed out"],
        ...     "created_at": t("2026-01-10 09:00", "2026-01-11 09:00"),
        ...     "queued_at": t("2026-01-10 09:00", "2026-01-11 09:00"),
        ...     "started_at": t("2026-01-10 09:01", "2026-01-11 09:03"),
        ...     "finished_at": t("2026-01-10 09:05", "2026-01-11 09:08")})
        >>> report = build_report(runs, since="2026-01-08", until="2026-01-15",
        ...                       now="2026-01-15")
        >>> report.summary["runs"], report.summary["success_rate"], report.previous_covered
        (2, 0.5, False)
    """
    analysis.require_columns(df, REPORT_COLUMNS, where="report")
    # Only the columns a report reads: taking rows of all 58 (nested lists, long
    # strings) would cost most of the time on a million runs.
    df = df[[*REPORT_COLUMNS, *(c for c in OPTIONAL_COLUMNS if c in df.columns)]]
    tz_name = check_tz(tz)
    thresholds = [t if isinstance(t, Threshold) else parse_threshold(t) for t in fail_on]
    generated = pd.Timestamp.now(tz="UTC")
    now_ts = generated if now is None else when(now, "now", generated)
    assert now_ts is not None
    fetch = fetch_dict(fetch_report)
    if data_since is None and fetch:
        data_since = complete_since(fetch.get("filters") or {}, now_ts)
    periods = resolve_period(df["created_at"], since=since, until=until, now=now_ts,
                             data_since=data_since)
    runs = df.loc[periods.period.contains(df["created_at"])]
    figures = analysis.summary(runs, now=now_ts)
    previous_figures = analysis.summary(df.loc[periods.previous.contains(df["created_at"])],
                                        now=now_ts)
    stuck = analysis.stuck_runs(df, now=now_ts)
    failures, trends = failure_table(runs, df, periods.period, periods.covered)
    doc = _summary_doc(figures, previous_figures, periods, trends, len(stuck),
                       tz=tz_name, generated_at=generated.isoformat())
    diagnostics = diagnose(df, runs, periods.period)
    doc.update(change_figures(df, runs, periods, figures, now_ts))
    doc.update(failure_signatures=signature_records(diagnostics.signatures),
               credits=diagnostics.credits, webhooks=diagnostics.webhooks,
               source=source, fetch=fetch)
    results = evaluate_thresholds(thresholds, doc)
    doc["thresholds"] = [r.to_dict() for r in results]
    return Report(
        summary=doc, title=title, period=periods.period, previous=periods.previous,
        previous_covered=periods.covered, comparison_note=periods.note,
        period_from_data=periods.from_data, tz=tz_name, now=now_ts, generated_at=generated,
        freq=plots.auto_freq(periods.period.start, periods.period.end),
        previous_summary=previous_figures if periods.covered else None,
        failures=failures, failure_reasons=failure_reasons(runs), stuck=stuck,
        thresholds=results, source=source, fetch_report=fetch, runs=runs, context=df,
        diagnostics=diagnostics,
    )


def _summary_doc(figures: dict[str, Any], previous_figures: dict[str, Any], periods: Periods,
                 trends: list[dict[str, Any]], stuck_runs: int, **about: str) -> dict[str, Any]:
    """The JSON summary's figures: the period's, the previous period's and the trends."""
    doc: dict[str, Any] = dict(figures)
    doc["period"] = periods.period.to_dict()
    doc["stuck_runs"] = stuck_runs
    doc.update(about)
    doc["previous"] = previous_doc(periods.previous, periods.covered, periods.note,
                                   previous_figures)
    doc["failure_trends"] = trends
    doc["new_failure_categories"] = [t["category"] for t in trends if t["trend"] == "new"]
    return doc
