"""The report's sections, built once from a :class:`Report` for every format.

Each function here turns one part of a report into blocks of
:mod:`runlytics.report.model`: the numbers formatted with
:mod:`runlytics.report.text`, server text marked as such. The HTML and
Markdown renderers lay the same sections out, so they cannot drift apart;
the JSON summary holds each section's figures under its ``json_keys``.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from .. import analysis
from .build import Report
from .change_sections import changes_section, flaky_section
from .diagnostic_sections import credits_section, signatures_section, webhooks_section
from .model import (
    Alert,
    Block,
    Column,
    Document,
    Fact,
    Facts,
    Figure,
    Heading,
    Paragraph,
    Section,
    Table,
    Text,
)
from .provenance import provenance
from .summary import split_failures
from .text import fmt_change, fmt_int, fmt_pct, fmt_seconds, fmt_time

__all__ = ["MAX_FAILURE_ROWS", "MAX_STUCK_ROWS", "MAX_WORKFLOW_ROWS", "document"]

MAX_WORKFLOW_ROWS = 50
MAX_STUCK_ROWS = 25
MAX_FAILURE_ROWS = 10
_WORDS = {"better": " (better)", "worse": " (worse)"}


def _dig(doc: Any, keys: tuple[str, ...]) -> Any:
    for key in keys:
        if not isinstance(doc, dict):
            return None
        doc = doc.get(key)
    return doc


def _minutes(delta: pd.Timedelta) -> str:
    return fmt_seconds(delta.total_seconds())


def _header(report: Report) -> Section:
    tz, period = report.tz, report.period
    length = fmt_seconds(period.length.total_seconds())
    span = f"{fmt_time(period.start, tz)} → {fmt_time(period.end, tz)} ({tz}) · {length}"
    if report.previous_covered:
        compared = Paragraph((Text(f"Compared with the previous {length}: "
                                   f"{fmt_time(report.previous.start, tz)} → "
                                   f"{fmt_time(report.previous.end, tz)}."),), "sub")
    else:
        compared = Paragraph((Text(report.comparison_note),), "note")
    return Section("period", None, (Paragraph((Text(span),), "sub"), compared),
                   ("period", "tz", "previous.period", "previous.covered", "previous.note"))


def _thresholds(report: Report) -> Section | None:
    if not report.thresholds:
        return None
    items = tuple(Text(f"{r.state}: {r.describe()}", limit=300) for r in report.thresholds)
    if report.breached:
        heading = f"{len(report.breached)} of {len(report.thresholds)} thresholds broke"
    else:
        heading = "No threshold broke"
    return Section("thresholds", None, (Alert(heading, items, not report.breached),),
                   ("thresholds",))


def _fact(label: str, kind: str, value: Any, before: Any, shown: Any, detail: tuple[str, ...],
          covered: bool) -> Fact:
    text, verdict = fmt_change(kind, value, before)
    change = None if verdict == "none" else text + _WORDS.get(verdict, "")
    return Fact(label, shown(value), detail, shown(before) if covered else None, change, verdict)


def _latency_detail(stats: dict[str, Any], waiting: str) -> tuple[str, ...]:
    parts = [f"p50 {fmt_seconds(stats['p50'])} · p99 {fmt_seconds(stats['p99'])}",
             f"n = {fmt_int(stats['n'])} runs"]
    if stats.get("unfinished"):
        parts.append(f"{fmt_int(stats['unfinished'])} {waiting} (oldest "
                     f"{fmt_seconds(stats['oldest_unfinished_age_seconds'])})")
    return tuple(parts)


def _censored(summary: dict[str, Any], metric: str) -> tuple[str, ...]:
    """The p90 counting runs still waiting, when it differs materially from the finished one."""
    row = (summary.get("censored_latency") or {}).get(metric) or {}
    if not row.get("p90_differs"):
        return ()
    value = row.get("p90")
    shown = fmt_seconds(value) if value is not None else "beyond every finished run"
    return (f"counting the {fmt_int(row.get('n_censored'))} still waiting: p90 {shown}",)


def _interval(ci: Any) -> tuple[str, ...]:
    return (f"95% CI {fmt_pct(ci[0])} – {fmt_pct(ci[1])} (Wilson)",) if ci else ()


def _headline(report: Report) -> Section:
    s, p = report.summary, report.previous_summary
    covered = p is not None

    def fact(label: str, kind: str, keys: tuple[str, ...], shown: Any,
             detail: tuple[str, ...]) -> Fact:
        before = _dig(p, keys) if covered else None
        return _fact(label, kind, _dig(s, keys), before, shown, detail, covered)

    queue, duration = s["queue_seconds"], s["duration_seconds"]
    stuck_rule = (f"queued > {_minutes(analysis.DEFAULT_QUEUED_THRESHOLD)} or running > "
                  f"{_minutes(analysis.DEFAULT_RUNNING_THRESHOLD)}, as of "
                  f"{fmt_time(report.now, report.tz)}")
    facts = (
        fact("Runs", "count", ("runs",), fmt_int,
             (f"created in the period; {fmt_int(s['failed_runs'])} failed",)),
        fact("Success rate", "rate", ("success_rate",), fmt_pct,
             (f"completed / finished, n = {fmt_int(s['success_rate_n'])} finished runs",
              *_interval(s.get("success_rate_ci")))),
        fact("Queue latency p90", "latency", ("queue_seconds", "p90"), fmt_seconds,
             (*_latency_detail(queue, "still queued"), *_censored(s, "queue_seconds"))),
        fact("Duration p90", "latency", ("duration_seconds", "p90"), fmt_seconds,
             (*_latency_detail(duration, "still running"), *_censored(s, "duration_seconds"))),
        fact("Queue latency p50", "latency", ("queue_seconds", "p50"), fmt_seconds,
             (f"n = {fmt_int(queue['n'])} runs",)),
        fact("Duration p50", "latency", ("duration_seconds", "p50"), fmt_seconds,
             (f"n = {fmt_int(duration['n'])} runs",)),
        fact("Failed runs", "count", ("failed_runs",), fmt_int,
             ("failed, terminated or timed out",)),
        Fact("Stuck runs now", fmt_int(s["stuck_runs"]), (stuck_rule,)),
    )
    return Section("headline", None, (Facts(facts),),
                   ("runs", "success_rate", "success_rate_n", "queue_seconds",
                    "duration_seconds", "failed_runs", "stuck_runs", "previous"))


def _workflow_rows(workflows: list[dict[str, Any]]) -> tuple[tuple[Any, ...], ...]:
    return tuple(
        ((Text(w["workflow_title"], True, 80), Text(w["workflow_permanent_id"], True, 60, "id")),
         Text(fmt_int(w["runs"])),
         Text(f"{fmt_pct(w['success_rate'])} (n={fmt_int(w['success_rate_n'])})"),
         Text(fmt_seconds(w["queue_seconds_p50"])), Text(fmt_seconds(w["queue_seconds_p90"])),
         Text(fmt_seconds(w["duration_seconds_p50"])),
         Text(fmt_seconds(w["duration_seconds_p90"])))
        for w in workflows[:MAX_WORKFLOW_ROWS])


def _workflows(report: Report) -> Section:
    workflows = report.summary["workflows"]
    blocks: list[Block] = []
    if not workflows:
        blocks.append(Paragraph((Text("No runs in this period."),), "note"))
    else:
        columns = (Column("Workflow"), *(Column(label, numeric=True) for label in (
            "Runs", "Success rate", "Queue p50", "Queue p90", "Duration p50", "Duration p90")))
        blocks.append(Table(columns, _workflow_rows(workflows)))
        more = len(workflows) - MAX_WORKFLOW_ROWS
        if more > 0:
            blocks.append(Paragraph((Text(f"{more:,} more workflows with fewer runs are in "
                                          "the JSON summary."),), "note"))
    return Section("workflows", "Workflows", tuple(blocks), ("workflows",))


def _trend(trend: Any) -> Text:
    if trend is None or trend is pd.NA or pd.isna(trend):
        return Text("–", style="missing")
    return Text(str(trend), style="badge")


def _failure_intro(report: Report) -> Paragraph:
    intro = (f"{int(report.summary['failed_runs']):,} failed runs (failed, terminated, timed "
             "out) by primary failure category.")
    new = report.summary["new_failure_categories"]
    if not report.previous_covered:
        intro += " Trends need the previous period, which the data does not cover."
    elif new:
        intro += f" New this period: {len(new)}."
    return Paragraph((Text(intro),))


def _reasons(report: Report) -> list[Block]:
    reasons = report.failure_reasons
    if not len(reasons):
        return []
    rows = tuple((Text(r.reason, True, 160) if isinstance(r.reason, str)
                  else Text("(no reason given)", style="missing"), Text(fmt_int(r.count)))
                 for r in reasons.itertuples(index=False))
    return [Heading("Most frequent failure reasons"),
            Table((Column("Failure reason"), Column("Failed runs", numeric=True)), rows)]


def _failures(report: Report) -> Section:
    keys = ("failed_runs", "failure_categories", "failure_trends", "new_failure_categories")
    table = report.failures
    if table.empty:
        return Section("failures", "Failures",
                       (Paragraph((Text("No failed runs in this period."),), "note"),), keys)
    shown, rest = split_failures(table, MAX_FAILURE_ROWS)
    rows = tuple((Text(r.category, True, 60), Text(fmt_int(r.count)),
                  Text(fmt_pct(r.share_of_failures)), Text(fmt_pct(r.share_of_runs)),
                  Text(fmt_int(r.count_previous)), _trend(r.trend))
                 for r in shown.itertuples(index=False))
    columns = (Column("Primary category"), Column("Failed runs", True),
               Column("Share of failures", True), Column("Share of runs", True),
               Column("Previous period", True), Column("Trend"))
    blocks: list[Block] = [_failure_intro(report), Table(columns, rows)]
    if len(rest):
        blocks.append(Paragraph((Text(f"{len(rest)} more categories with "
                                      f"{int(rest['count'].sum()):,} failed runs in all are "
                                      "in the JSON summary."),), "note"))
    return Section("failures", "Failures", (*blocks, *_reasons(report)), keys)


def _plots(report: Report) -> Section:
    figures = tuple(Figure(image.name, image.alt, image.png) for image in report.images())
    return Section("plots", "Plots", figures)


def _stuck(report: Report) -> Section:
    stuck, tz = report.stuck, report.tz
    when = fmt_time(report.now, tz)
    if stuck.empty:
        note = Paragraph((Text(f"No run is stuck as of {when} ({tz})."),), "note")
        return Section("stuck", "Stuck runs", (note,), ("stuck_runs", "now"))
    rows = tuple((Text(r.workflow_run_id, True, 40, "id"), Text(r.workflow_title, True, 60),
                  Text(str(r.status)), Text(str(r.stage)), Text(fmt_time(r.since, tz)),
                  Text(fmt_seconds(r.age_seconds)))
                 for r in stuck.head(MAX_STUCK_ROWS).itertuples(index=False))
    more = len(stuck) - MAX_STUCK_ROWS
    intro = (f"{len(stuck):,} runs waiting longer than "
             f"{_minutes(analysis.DEFAULT_QUEUED_THRESHOLD)} or running longer than "
             f"{_minutes(analysis.DEFAULT_RUNNING_THRESHOLD)} as of {when} ({tz}), newest first"
             + (f"; the {MAX_STUCK_ROWS} newest shown." if more > 0 else "."))
    columns = (Column("Run"), Column("Workflow"), Column("Status"), Column("Stuck while"),
               Column(f"Since ({tz})", True), Column("Age", True))
    return Section("stuck", "Stuck runs", (Paragraph((Text(intro),)), Table(columns, rows)),
                   ("stuck_runs", "now"))


def document(report: Report) -> Document:
    """The report's sections in reading order, for :mod:`~runlytics.report.html` and
    :mod:`~runlytics.report.markdown` to lay out.

    Example:
        >>> from runlytics.report import build_report
        >>> from runlytics.frame import empty_frame
        >>> built = build_report(empty_frame(), since="2026-01-01", until="2026-01-08")
        >>> " ".join(s.key for s in document(built).sections)
        'period headline changes workflows flaky failures signatures credits webhooks plots stuck \
provenance'
    """
    parts = [_header(report), _thresholds(report), _headline(report), changes_section(report),
             _workflows(report), flaky_section(report), _failures(report),
             signatures_section(report), credits_section(report),
             webhooks_section(report), _plots(report), _stuck(report), provenance(report)]
    return Document(report.title, tuple(part for part in parts if part is not None))
