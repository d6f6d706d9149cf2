"""Build a :class:`Report` from a runs frame: figures from the analysis helpers only.

Every number in a report comes from :mod:`runlytics.analysis`: the JSON
summary is :func:`runlytics.analysis.summary` of the runs created in the
period, with the report's own ``period``, the stuck-run count of
:func:`runlytics.analysis.stuck_runs` and the extra keys below. Nothing is
recomputed here, so a report and a notebook always agree.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd

from .. import analysis, plots
from ..errors import UsageError
from ..fetch_report import FetchReport
from ..redact import redact_url
from ..units import to_utc
from .thresholds import Threshold, ThresholdResult, evaluate_thresholds, parse_threshold

__all__ = ["DEFAULT_TITLE", "OPTIONAL_COLUMNS", "REPORT_COLUMNS", "Period", "PlotImage", "Report",
           "build_report", "check_tz", "split_failures", "summary_template"]

DEFAULT_TITLE = "Skyvern runs report"
TOP_REASONS = 10
PLOT_DPI = 110
#: Columns a report reads (the helpers' inputs and the tables' text).
REPORT_COLUMNS = ("workflow_run_id", "workflow_permanent_id", "workflow_title", "status",
                  "trigger_type", "primary_failure_category", "failure_reason", "created_at",
                  "queued_at", "started_at", "finished_at")
OPTIONAL_COLUMNS = ("next_attempt_at",)


def check_tz(tz: Any) -> str:
    """The IANA name of time zone ``tz``; :class:`UsageError` when it is not one.

    Example:
        >>> check_tz("Europe/Paris")
        'Europe/Paris'
    """
    if isinstance(tz, ZoneInfo):
        return tz.key
    try:
        return ZoneInfo(str(tz)).key
    except Exception as exc:  # ZoneInfoNotFoundError, ValueError, IsADirectoryError...
        raise UsageError(f"--tz {tz!r} is not a time zone; use an IANA name such as UTC, "
                         "Europe/Paris or America/New_York") from exc


@dataclass(frozen=True)
class Period:
    """A half-open time range ``[start, end)`` of ``created_at``, in UTC."""

    start: pd.Timestamp
    end: pd.Timestamp

    @property
    def length(self) -> pd.Timedelta:
        return self.end - self.start

    def contains(self, created: pd.Series) -> pd.Series:
        return (created >= self.start) & (created < self.end)

    def to_dict(self) -> dict[str, str]:
        return {"start": self.start.isoformat(), "end": self.end.isoformat()}


@dataclass(frozen=True)
class PlotImage:
    """One rendered plot: a file-safe name, a title, alt text and the PNG bytes."""

    name: str
    title: str
    alt: str
    png: bytes = field(repr=False)


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
            self._images = _render_images(self)
        return self._images


# -- building -------------------------------------------------------------------------------

def _utc(value: Any, name: str, now: pd.Timestamp) -> pd.Timestamp | None:
    if value is None:
        return None
    if isinstance(value, pd.Timestamp | datetime | str):
        return to_utc(value, name, now=now)
    raise UsageError(f"{name} must be a date/time or a span like '7d', got {value!r}")


def _nulls(value: Any) -> Any:
    """The same shape with every leaf None (a figure that could not be computed)."""
    if isinstance(value, Mapping):
        return {k: _nulls(v) for k, v in value.items()}
    return None


def _previous_doc(period: Period, covered: bool, note: str,
                  figures: dict[str, Any]) -> dict[str, Any]:
    keys = ("runs", "success_rate", "success_rate_n", "failed_runs", "status",
            "queue_seconds", "duration_seconds")
    doc: dict[str, Any] = {"period": period.to_dict(), "covered": covered,
                           "note": note or None}
    for key in keys:
        doc[key] = figures[key] if covered else _nulls(figures[key])
    return doc


def _fetch_dict(fetch_report: FetchReport | Mapping[str, Any] | None) -> dict[str, Any] | None:
    if fetch_report is None:
        return None
    data = dict(fetch_report.to_dict() if isinstance(fetch_report, FetchReport)
                else fetch_report)
    if data.get("base_url"):
        data["base_url"] = redact_url(str(data["base_url"]))
    return json.loads(json.dumps(data, default=str))  # plain JSON values only


def _fetch_since(fetch: Mapping[str, Any], now: pd.Timestamp) -> pd.Timestamp | None:
    """From when a fetch holds every run: its ``since`` filter (spans: back from ``now``).

    None when it had no ``since`` or stopped at ``max_runs`` (then only the data knows).
    """
    filters = fetch.get("filters") or {}
    if not filters.get("since") or filters.get("max_runs"):
        return None
    try:
        return to_utc(str(filters["since"]), "since", now=now)
    except UsageError:
        return None


def _failure_table(runs: pd.DataFrame, df: pd.DataFrame, period: Period,
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


def _failure_reasons(runs: pd.DataFrame, limit: int = TOP_REASONS) -> pd.DataFrame:
    """The most frequent failure_reason texts of the period's failed runs."""
    failed = runs.loc[runs["status"].isin(analysis.FAILURE_STATUSES), "failure_reason"]
    counts = failed.value_counts(dropna=False).head(limit)
    return pd.DataFrame({"reason": list(counts.index), "count": counts.to_numpy(dtype="int64")})


def build_report(df: pd.DataFrame, *, since: Any = None, until: Any = None, tz: Any = "UTC",
                 now: Any = None, fetch_report: FetchReport | Mapping[str, Any] | None = None,
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
        ``new_failure_categories``, ``thresholds``, ``source`` and ``fetch``.

    Raises:
        UsageError: a bad ``tz``, ``since``/``until``, an empty period, or a
            ``fail_on`` expression that does not parse or names no number.
        SchemaError: ``df`` is not a runs frame.

    Example:
        >>> report = build_report(runs, since="7d", tz="Europe/Paris")  # doctest: +SKIP
        >>> report.summary["success_rate"]  # doctest: +SKIP
    """
    analysis.require_columns(df, REPORT_COLUMNS, where="report")
    # Only the columns a report reads: taking rows of all 58 (nested lists, long
    # strings) would cost most of the time on a million runs.
    df = df[[*REPORT_COLUMNS, *(c for c in OPTIONAL_COLUMNS if c in df.columns)]]
    tz_name = check_tz(tz)
    thresholds = [t if isinstance(t, Threshold) else parse_threshold(t) for t in fail_on]
    generated = pd.Timestamp.now(tz="UTC")
    now_ts = _utc(now, "now", generated) if now is not None else generated
    assert now_ts is not None
    since_ts, until_ts = _utc(since, "since", now_ts), _utc(until, "until", now_ts)
    created = df["created_at"]
    first, last = (created.min(), created.max()) if len(df) else (pd.NaT, pd.NaT)
    from_data = since_ts is None and until_ts is None
    if from_data:
        start = first if len(df) else now_ts
        end = last + pd.Timedelta(microseconds=1) if len(df) else now_ts
    else:
        start = since_ts if since_ts is not None else (first if len(df) else until_ts)
        end = until_ts if until_ts is not None else now_ts
    if not end >= start:
        raise UsageError(f"the period is empty: --since {start.isoformat()} is not before "
                         f"--until {end.isoformat()}")
    period = Period(pd.Timestamp(start), pd.Timestamp(end))
    previous = Period(period.start - period.length, period.start)
    fetch = _fetch_dict(fetch_report)
    if data_since is None and fetch:
        data_since = _fetch_since(fetch, now_ts)
    known_from = _utc(data_since, "data_since", now_ts) if data_since is not None else first
    covered = (period.length > pd.Timedelta(0) and known_from is not pd.NaT
               and known_from is not None and known_from <= previous.start)
    if covered:
        note = ""
    elif from_data:
        note = ("The period is the whole data set, so there is no earlier period to compare "
                "with; give --since to compare.")
    elif not len(df):
        note = "No runs in the data: nothing to compare."
    else:
        note = (f"No comparison: the data starts at {pd.Timestamp(known_from).isoformat()}, "
                f"after the previous period's start {previous.start.isoformat()}.")

    runs = df.loc[period.contains(created)]
    figures = analysis.summary(runs, now=now_ts)
    previous_figures = analysis.summary(df.loc[previous.contains(created)], now=now_ts)
    stuck = analysis.stuck_runs(df, now=now_ts)
    failures, trends = _failure_table(runs, df, period, covered)

    doc: dict[str, Any] = dict(figures)
    doc["period"] = period.to_dict()
    doc["stuck_runs"] = len(stuck)
    doc["tz"] = tz_name
    doc["generated_at"] = generated.isoformat()
    doc["previous"] = _previous_doc(previous, covered, note, previous_figures)
    doc["failure_trends"] = trends
    doc["new_failure_categories"] = [t["category"] for t in trends if t["trend"] == "new"]
    doc["source"] = source
    doc["fetch"] = fetch
    results = evaluate_thresholds(thresholds, doc)
    doc["thresholds"] = [r.to_dict() for r in results]

    return Report(
        summary=doc, title=title, period=period, previous=previous, previous_covered=covered,
        comparison_note=note, period_from_data=from_data, tz=tz_name, now=now_ts,
        generated_at=generated,
        freq=plots.auto_freq(period.start, period.end),
        previous_summary=previous_figures if covered else None,
        failures=failures, failure_reasons=_failure_reasons(runs), stuck=stuck,
        thresholds=results, source=source, fetch_report=doc["fetch"], runs=runs, context=df,
    )


def summary_template() -> dict[str, Any]:
    """The JSON summary of a report on no runs: every fixed key, for checking ``--fail-on``.

    Example:
        >>> summary_template()["queue_seconds"]["p90"] is None
        True
    """
    from ..frame import empty_frame

    return build_report(empty_frame(), since="2000-01-08", until="2000-01-15",
                        now="2000-01-15", fetch_report=FetchReport()).summary


# -- plots -------------------------------------------------------------------------------------

def _render_images(report: Report) -> list[PlotImage]:
    runs, period, tz = report.runs, report.period, report.tz
    span = {"start": period.start, "end": period.end}
    n_workflows = min(runs["workflow_permanent_id"].nunique(), plots.TOP_WORKFLOWS)
    n_categories = min(len(report.failures), plots.TOP_CATEGORIES + 1)
    concurrency_end = min(period.end, report.now)
    specs: list[tuple[str, str, str, Any, dict[str, Any], tuple[float, float]]] = [
        ("queue_latency", "Queue latency",
         "Cumulative distribution of queue latency (queued to started) with p50, p90 and p99",
         plots.plot_queue_latency, {"now": report.now}, plots.DEFAULT_FIGSIZE),
        ("duration_by_workflow", "Duration by workflow",
         "Box plot of run duration per workflow, slowest median first",
         plots.plot_duration_by_workflow, {},
         (plots.DEFAULT_FIGSIZE[0], 1.5 + 0.36 * max(n_workflows, 3))),
        ("failure_categories", "Failure categories",
         "Failed runs per primary failure category, largest first, with shares",
         plots.plot_failure_pareto, {},
         (plots.DEFAULT_FIGSIZE[0], 1.5 + 0.32 * max(n_categories, 6))),
        ("trigger_mix", "Trigger types over time",
         f"Share of runs per trigger type, per {plots.freq_label(report.freq)} ({tz})",
         plots.plot_trigger_mix, {"freq": report.freq, "tz": tz, **span},
         plots.DEFAULT_FIGSIZE),
        ("success_volume", "Volume and success rate",
         f"Runs created and success rate per {plots.freq_label(report.freq)} ({tz})",
         plots.plot_success_volume, {"freq": report.freq, "tz": tz, **span},
         plots.DEFAULT_FIGSIZE),
        ("concurrency", "Queued and running",
         f"Runs queued and running over the period ({tz})",
         plots.plot_runs_in_flight, {"tz": tz, "now": report.now, "start": period.start,
                                     "end": concurrency_end}, plots.DEFAULT_FIGSIZE),
    ]
    images = []
    for name, title, alt, plot, kwargs, size in specs:
        frame = report.context if plot is plots.plot_runs_in_flight else runs
        if plot is plots.plot_runs_in_flight and not concurrency_end > period.start:
            kwargs = {"tz": tz, "now": report.now}
        png = plots.render_png(plot, frame, figsize=size, dpi=PLOT_DPI, **kwargs)
        images.append(PlotImage(name, title, alt, png))
    return images
