"""The Markdown report: the HTML report's content for chat and issue trackers.

Images are separate PNG files in a folder beside the Markdown file, linked
relatively. Server text goes through :func:`runlytics.report.text.md`:
``& < >`` become entities (most renderers pass raw HTML through) and
``| ` * _ [ ] ~ # \\`` are backslash-escaped, so text can neither end a table
cell nor become a link, code or emphasis.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import pandas as pd

from .. import analysis
from .._version import __version__
from .build import Report, split_failures
from .text import fmt_change, fmt_int, fmt_pct, fmt_seconds, fmt_time, md

__all__ = ["render_markdown"]

MAX_WORKFLOW_ROWS = 50
MAX_STUCK_ROWS = 25
MAX_FAILURE_ROWS = 10


def _row(cells: list[str]) -> str:
    return "| " + " | ".join(cells) + " |"


def _table(headers: list[str], rows: list[list[str]], right: set[int] | None = None) -> str:
    right = right or set()
    rule = ["---:" if i in right else "---" for i in range(len(headers))]
    return "\n".join([_row(headers), _row(rule), *(_row(r) for r in rows)])


def _dig(doc: Any, *keys: str) -> Any:
    for key in keys:
        if not isinstance(doc, dict):
            return None
        doc = doc.get(key)
    return doc


def _change(kind: str, now: Any, before: Any) -> str:
    text, verdict = fmt_change(kind, now, before)
    if verdict == "none":
        return "–"
    return text + {"better": " (better)", "worse": " (worse)"}.get(verdict, "")


def _headline(report: Report) -> str:
    s, p = report.summary, report.previous_summary
    rows = []
    specs = [
        ("Runs", "count", ("runs",), fmt_int, "created in the period"),
        ("Success rate", "rate", ("success_rate",), fmt_pct,
         f"n = {fmt_int(s['success_rate_n'])} finished"),
        ("Queue latency p50", "latency", ("queue_seconds", "p50"), fmt_seconds,
         f"n = {fmt_int(s['queue_seconds']['n'])}"),
        ("Queue latency p90", "latency", ("queue_seconds", "p90"), fmt_seconds,
         f"n = {fmt_int(s['queue_seconds']['n'])}; "
         f"{fmt_int(s['queue_seconds']['unfinished'])} still queued"),
        ("Duration p50", "latency", ("duration_seconds", "p50"), fmt_seconds,
         f"n = {fmt_int(s['duration_seconds']['n'])}"),
        ("Duration p90", "latency", ("duration_seconds", "p90"), fmt_seconds,
         f"n = {fmt_int(s['duration_seconds']['n'])}; "
         f"{fmt_int(s['duration_seconds']['unfinished'])} still running"),
        ("Failed runs", "count", ("failed_runs",), fmt_int, "failed, terminated, timed out"),
    ]
    for label, kind, keys, fmt, note in specs:
        now, before = _dig(s, *keys), _dig(p, *keys) if p is not None else None
        rows.append([label, fmt(now), fmt(before) if p is not None else "–",
                     _change(kind, now, before), note])
    rows.append(["Stuck runs now", fmt_int(s["stuck_runs"]), "–", "–",
                 f"as of {fmt_time(report.now, report.tz)}"])
    return _table(["Figure", "This period", "Previous", "Change", "Sample"], rows, {1, 2})


def _workflows(report: Report) -> str:
    workflows = report.summary["workflows"]
    if not workflows:
        return "No runs in this period."
    # No code spans around ids: backslash escapes do not work inside them.
    rows = [[f"{md(w['workflow_title'], 80) or '–'} ({md(w['workflow_permanent_id'], 60)})",
             fmt_int(w["runs"]), f"{fmt_pct(w['success_rate'])} (n={fmt_int(w['success_rate_n'])})",
             fmt_seconds(w["queue_seconds_p50"]), fmt_seconds(w["queue_seconds_p90"]),
             fmt_seconds(w["duration_seconds_p50"]), fmt_seconds(w["duration_seconds_p90"])]
            for w in workflows[:MAX_WORKFLOW_ROWS]]
    text = _table(["Workflow", "Runs", "Success rate", "Queue p50", "Queue p90",
                   "Duration p50", "Duration p90"], rows, {1, 2, 3, 4, 5, 6})
    more = len(workflows) - MAX_WORKFLOW_ROWS
    return text + (f"\n\n{more:,} more workflows with fewer runs are in the JSON summary."
                   if more > 0 else "")


def _failures(report: Report) -> str:
    table = report.failures
    if table.empty:
        return "No failed runs in this period."
    shown, rest = split_failures(table, MAX_FAILURE_ROWS)
    rows = []
    for r in shown.itertuples(index=False):
        trend = "–" if r.trend is None or r.trend is pd.NA or pd.isna(r.trend) else str(r.trend)
        if trend == "new":
            trend = "**new**"
        rows.append([md(r.category, 60), fmt_int(r.count), fmt_pct(r.share_of_failures),
                     fmt_pct(r.share_of_runs), fmt_int(r.count_previous), trend])
    intro = (f"{int(report.summary['failed_runs']):,} failed runs (failed, terminated, timed "
             "out) by primary failure category.")
    if not report.previous_covered:
        intro += " Trends need the previous period, which the data does not cover."
    parts = [intro, "", _table(["Primary category", "Failed runs", "Share of failures",
                                "Share of runs", "Previous period", "Trend"], rows,
                               {1, 2, 3, 4})]
    if len(rest):
        parts += ["", f"{len(rest)} more categories with {int(rest['count'].sum()):,} failed "
                      "runs in all are in the JSON summary."]
    reasons = report.failure_reasons
    if len(reasons):
        rrows = [[md(r.reason, 160) if isinstance(r.reason, str) else "(no reason given)",
                  fmt_int(r.count)] for r in reasons.itertuples(index=False)]
        parts += ["", "### Most frequent failure reasons", "",
                  _table(["Failure reason", "Failed runs"], rrows, {1})]
    return "\n".join(parts)


def _stuck(report: Report) -> str:
    stuck = report.stuck
    when = fmt_time(report.now, report.tz)
    if stuck.empty:
        return f"No run is stuck as of {when} ({report.tz})."
    rows = [[md(r.workflow_run_id, 40), md(r.workflow_title, 60) or "–", str(r.status),
             str(r.stage), fmt_time(r.since, report.tz), fmt_seconds(r.age_seconds)]
            for r in stuck.head(MAX_STUCK_ROWS).itertuples(index=False)]
    queued = fmt_seconds(analysis.DEFAULT_QUEUED_THRESHOLD.total_seconds())
    running = fmt_seconds(analysis.DEFAULT_RUNNING_THRESHOLD.total_seconds())
    intro = (f"{len(stuck):,} runs waiting longer than {queued} or running longer than "
             f"{running} as of {when} ({report.tz}), newest first.")
    return intro + "\n\n" + _table(["Run", "Workflow", "Status", "Stuck while",
                                    f"Since ({report.tz})", "Age"], rows, {4, 5})


def _footer(report: Report) -> str:
    lines = ["## How the data was fetched", ""]
    if report.source:
        lines.append(f"- Data: {md(report.source, 300)}")
    fetch = report.fetch_report
    if fetch:
        if fetch.get("base_url"):
            lines.append(f"- API: {md(fetch['base_url'], 200)}")
        filters = fetch.get("filters") or {}
        if filters:
            lines.append("- Filters: " + md(", ".join(f"{k}={v}" for k, v in filters.items()),
                                            300))
        lines.append(f"- Fetched {fmt_int(fetch.get('runs'))} runs from "
                     f"{fmt_int(fetch.get('pages_requested'))} pages, "
                     f"{fmt_int(fetch.get('requests'))} requests, "
                     f"{fmt_int(fetch.get('retries'))} retries in "
                     f"{float(fetch.get('elapsed_seconds') or 0):.1f} s; stopped: "
                     f"{md(fetch.get('stopped_because') or '–')}")
        lines.append(f"- List moved while paging: {'yes' if fetch.get('drift_detected') else 'no'}"
                     f"; duplicates dropped: {fmt_int(fetch.get('duplicates_dropped'))}; "
                     f"tie groups re-read: {fmt_int(fetch.get('tie_groups_repaired'))}")
    else:
        lines.append("- Fetch report: none recorded with this data")

    lines.append(f"- Generated {fmt_time(report.generated_at, report.tz, seconds=True)} "
                 f"({report.tz}) by runlytics {__version__}")
    return "\n".join(lines)


def render_markdown(report: Report, assets: str) -> tuple[str, dict[str, bytes]]:
    """The report as Markdown, plus its images.

    Args:
        report: a built report.
        assets: the folder, relative to the Markdown file, the images go in.

    Returns:
        The Markdown text and ``{file name: PNG bytes}`` for the files to put
        in ``assets``.

    Example:
        >>> text, files = render_markdown(report, "report_files")  # doctest: +SKIP
    """
    tz, period = report.tz, report.period
    length = fmt_seconds(period.length.total_seconds())
    parts = [f"# {md(report.title)}", "",
             f"**{fmt_time(period.start, tz)} → {fmt_time(period.end, tz)} ({tz})** · {length}",
             ""]
    if report.previous_covered:
        parts += [f"Compared with the previous {length}: {fmt_time(report.previous.start, tz)}"
                  f" → {fmt_time(report.previous.end, tz)}.", ""]
    else:
        parts += [f"> {report.comparison_note}", ""]
    if report.thresholds:
        head = (f"**{len(report.breached)} of {len(report.thresholds)} thresholds broke**"
                if report.breached else "**No threshold broke**")
        parts += [head, "", *(f"- **{r.state}**: {md(r.describe(), 300)}"
                              for r in report.thresholds), ""]
    parts += [_headline(report), "", "## Workflows", "", _workflows(report), "",
              "## Failures", "", _failures(report), "", "## Plots", ""]
    files: dict[str, bytes] = {}
    for image in report.images():
        name = f"{image.name}.png"
        files[name] = image.png
        parts += [f"![{image.alt}]({quote(assets)}/{name})", ""]
    parts += ["## Stuck runs", "", _stuck(report), "", _footer(report), ""]
    return "\n".join(parts), files
