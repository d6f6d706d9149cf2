"""The HTML report: one self-contained file, plots embedded, no script, no network.

Every piece of server text passes through :func:`runlytics.report.text.h`
(cleaned, then ``html.escape``), and is wrapped in ``<bdi>`` so right-to-left
text cannot reorder its neighbours. A Content-Security-Policy forbids
scripts and any load but the embedded ``data:`` images, as a second fence.
"""

from __future__ import annotations

import base64
import html
from typing import Any

import pandas as pd

from .. import analysis
from .._version import __version__
from .build import Report, split_failures
from .text import clean, fmt_change, fmt_int, fmt_pct, fmt_seconds, fmt_time, h

__all__ = ["render_html"]

MAX_WORKFLOW_ROWS = 50
MAX_STUCK_ROWS = 25
MAX_FAILURE_ROWS = 10

_CSS = """
:root { --ink:#1f2328; --muted:#5b636b; --line:#d8dee4; --soft:#f4f6f8;
        --better:#007a5a; --worse:#b34700; --accent:#0072B2; }
* { box-sizing:border-box; }
body { margin:0; color:var(--ink); background:#fff;
       font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif; }
main { max-width:1060px; margin:0 auto; padding:24px 28px 40px; }
h1 { font-size:24px; margin:0 0 4px; }
h2 { font-size:17px; margin:32px 0 10px; padding-bottom:4px;
     border-bottom:1px solid var(--line); }
.sub { color:var(--muted); margin:0; }
.note { background:var(--soft); border-left:4px solid var(--line); padding:8px 12px; margin:12px 0;
        color:var(--muted); }
.alert { border-left:4px solid var(--worse); background:#fff4ec; padding:8px 12px; margin:12px 0; }
.alert.ok { border-left-color:var(--better); background:#eefaf5; }
.alert ul { margin:4px 0 0 18px; padding:0; }
.cards { display:grid; grid-template-columns:repeat(4, 1fr); gap:12px; margin-top:16px; }
.card { border:1px solid var(--line); border-radius:8px; padding:10px 12px; }
.card .label { color:var(--muted); font-size:12px; text-transform:uppercase;
               letter-spacing:.03em; }
.card .value { font-size:24px; font-weight:650; margin:2px 0; font-variant-numeric:tabular-nums; }
.card .detail { color:var(--muted); font-size:12px; }
.card .change { font-size:12.5px; margin-top:4px; }
.better { color:var(--better); } .worse { color:var(--worse); }
.same, .neutral, .none { color:var(--muted); }
table { border-collapse:collapse; width:100%; font-size:13px; }
th, td { text-align:left; padding:5px 8px; border-bottom:1px solid var(--line);
         vertical-align:top; }
th { background:var(--soft); font-weight:600; white-space:nowrap; }
td.num, th.num { text-align:right; font-variant-numeric:tabular-nums; white-space:nowrap; }
td.text { overflow-wrap:anywhere; }
.id { color:var(--muted); font-size:11.5px; font-family:ui-monospace,Menlo,Consolas,monospace; }
.badge { display:inline-block; padding:0 6px; border-radius:9px; font-size:11.5px;
         font-weight:600; }
.badge.new { background:#b34700; color:#fff; } .badge.growing { background:#ffe0c7; color:#7a3000; }
.badge.shrinking, .badge.gone { background:#dff3ea; color:#00583f; }
.badge.stable { background:var(--soft); color:var(--muted); }
figure { margin:18px 0 26px; }
figure img { width:100%; max-width:990px; height:auto; border:1px solid var(--line);
             border-radius:6px; }
figcaption { color:var(--muted); font-size:12.5px; margin-top:4px; }
footer { margin-top:36px; padding-top:10px; border-top:1px solid var(--line); color:var(--muted);
         font-size:12.5px; }
footer dl { display:grid; grid-template-columns:max-content 1fr; gap:2px 14px; margin:6px 0; }
footer dt { font-weight:600; } footer dd { margin:0; overflow-wrap:anywhere; }
@media (max-width:800px) { .cards { grid-template-columns:repeat(2, 1fr); } }
"""
_CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'"


def _e(text: Any) -> str:
    """Our own text (numbers, labels): escaped too, so nothing can slip through."""
    return html.escape(str(text), quote=True)


def _server(value: Any, limit: int = 120, *, cls: str = "") -> str:
    """Server text: cleaned, escaped, isolated from the text around it."""
    text = h(value, limit)
    if not text:
        return '<span class="none">–</span>'
    full = clean(value, 500)
    title = f' title="{html.escape(full, quote=True)}"' if len(full) > len(clean(value, limit)) \
        else ""
    klass = f' class="{cls}"' if cls else ""
    return f"<bdi{klass}{title}>{text}</bdi>"


def _table(headers: list[tuple[str, str]], rows: list[list[tuple[str, str]]]) -> str:
    """headers: (label, css class); rows: (cell html, css class)."""
    head = "".join(f'<th class="{c}">{_e(label)}</th>' for label, c in headers)
    body = "".join("<tr>" + "".join(f'<td class="{c}">{cell}</td>' for cell, c in row)
                   + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _change_html(kind: str, now: Any, before: Any, shown_before: str) -> str:
    text, verdict = fmt_change(kind, now, before)
    if verdict == "none":
        return ""
    word = {"better": " (better)", "worse": " (worse)"}.get(verdict, "")
    return (f'<div class="change {verdict}">{_e(text)}{_e(word)} '
            f'<span class="none">vs {_e(shown_before)}</span></div>')


def _card(label: str, value: str, detail: str, change: str = "") -> str:
    return (f'<div class="card"><div class="label">{_e(label)}</div>'
            f'<div class="value">{_e(value)}</div><div class="detail">{detail}</div>'
            f"{change}</div>")


def _latency_detail(stats: dict[str, Any], waiting: str) -> str:
    parts = [f"p50 {fmt_seconds(stats['p50'])} · p99 {fmt_seconds(stats['p99'])}",
             f"n = {fmt_int(stats['n'])} runs"]
    if stats.get("unfinished"):
        parts.append(f"{fmt_int(stats['unfinished'])} {waiting} (oldest "
                     f"{fmt_seconds(stats['oldest_unfinished_age_seconds'])})")
    return "<br>".join(_e(p) for p in parts)


def _cards(report: Report) -> str:
    s, p = report.summary, report.previous_summary
    prev = (lambda *keys: _dig(p, keys)) if p is not None else (lambda *keys: None)
    cards = [
        _card("Runs", fmt_int(s["runs"]), _e(f"created in the period; {fmt_int(s['failed_runs'])} "
                                             "failed"),
              _change_html("count", s["runs"], prev("runs"), fmt_int(prev("runs")))),
        _card("Success rate", fmt_pct(s["success_rate"]),
              _e(f"completed / finished, n = {fmt_int(s['success_rate_n'])} finished runs"),
              _change_html("rate", s["success_rate"], prev("success_rate"),
                           fmt_pct(prev("success_rate")))),
        _card("Queue latency p90", fmt_seconds(s["queue_seconds"]["p90"]),
              _latency_detail(s["queue_seconds"], "still queued"),
              _change_html("latency", s["queue_seconds"]["p90"],
                           prev("queue_seconds", "p90"),
                           fmt_seconds(prev("queue_seconds", "p90")))),
        _card("Duration p90", fmt_seconds(s["duration_seconds"]["p90"]),
              _latency_detail(s["duration_seconds"], "still running"),
              _change_html("latency", s["duration_seconds"]["p90"],
                           prev("duration_seconds", "p90"),
                           fmt_seconds(prev("duration_seconds", "p90")))),
        _card("Queue latency p50", fmt_seconds(s["queue_seconds"]["p50"]),
              _e(f"n = {fmt_int(s['queue_seconds']['n'])} runs"),
              _change_html("latency", s["queue_seconds"]["p50"], prev("queue_seconds", "p50"),
                           fmt_seconds(prev("queue_seconds", "p50")))),
        _card("Duration p50", fmt_seconds(s["duration_seconds"]["p50"]),
              _e(f"n = {fmt_int(s['duration_seconds']['n'])} runs"),
              _change_html("latency", s["duration_seconds"]["p50"],
                           prev("duration_seconds", "p50"),
                           fmt_seconds(prev("duration_seconds", "p50")))),
        _card("Failed runs", fmt_int(s["failed_runs"]),
              _e("failed, terminated or timed out"),
              _change_html("count", s["failed_runs"], prev("failed_runs"),
                           fmt_int(prev("failed_runs")))),
        _card("Stuck runs now", fmt_int(s["stuck_runs"]),
              _e(f"queued > {_minutes(analysis.DEFAULT_QUEUED_THRESHOLD)} or running > "
                 f"{_minutes(analysis.DEFAULT_RUNNING_THRESHOLD)}, as of "
                 f"{fmt_time(report.now, report.tz)}")),
    ]
    return f'<div class="cards">{"".join(cards)}</div>'


def _minutes(delta: pd.Timedelta) -> str:
    return fmt_seconds(delta.total_seconds())


def _dig(doc: Any, keys: tuple[str, ...]) -> Any:
    for key in keys:
        if not isinstance(doc, dict):
            return None
        doc = doc.get(key)
    return doc


def _thresholds(report: Report) -> str:
    if not report.thresholds:
        return ""
    items = "".join(f"<li><strong>{_e(r.state)}</strong>: {_e(r.describe())}</li>"
                    for r in report.thresholds)
    if report.breached:
        head = f"{len(report.breached)} of {len(report.thresholds)} thresholds broke"
        return f'<div class="alert"><strong>{_e(head)}</strong><ul>{items}</ul></div>'
    return (f'<div class="alert ok"><strong>No threshold broke</strong><ul>{items}</ul>'
            "</div>")


def _workflows(report: Report) -> str:
    workflows = report.summary["workflows"]
    if not workflows:
        return '<p class="note">No runs in this period.</p>'
    rows = []
    for w in workflows[:MAX_WORKFLOW_ROWS]:
        name = (_server(w["workflow_title"], 80) + "<br>"
                + _server(w["workflow_permanent_id"], 60, cls="id"))
        rows.append([
            (name, "text"), (_e(fmt_int(w["runs"])), "num"),
            (_e(f"{fmt_pct(w['success_rate'])} (n={fmt_int(w['success_rate_n'])})"), "num"),
            (_e(fmt_seconds(w["queue_seconds_p50"])), "num"),
            (_e(fmt_seconds(w["queue_seconds_p90"])), "num"),
            (_e(fmt_seconds(w["duration_seconds_p50"])), "num"),
            (_e(fmt_seconds(w["duration_seconds_p90"])), "num"),
        ])
    headers = [("Workflow", ""), ("Runs", "num"), ("Success rate", "num"),
               ("Queue p50", "num"), ("Queue p90", "num"), ("Duration p50", "num"),
               ("Duration p90", "num")]
    more = len(workflows) - MAX_WORKFLOW_ROWS
    note = f"{more:,} more workflows with fewer runs are in the JSON summary."
    tail = f'<p class="note">{_e(note)}</p>' if more > 0 else ""
    return _table(headers, rows) + tail


def _trend_badge(trend: Any) -> str:
    if trend is None or trend is pd.NA or pd.isna(trend):
        return '<span class="none">–</span>'
    return f'<span class="badge {_e(trend)}">{_e(trend)}</span>'


def _failures(report: Report) -> str:
    table = report.failures
    if table.empty:
        return '<p class="note">No failed runs in this period.</p>'
    total = int(report.summary["failed_runs"])
    shown, rest = split_failures(table, MAX_FAILURE_ROWS)
    rows = []
    for row in shown.itertuples(index=False):
        rows.append([
            (_server(row.category, 60), "text"), (_e(fmt_int(row.count)), "num"),
            (_e(fmt_pct(row.share_of_failures)), "num"), (_e(fmt_pct(row.share_of_runs)), "num"),
            (_e(fmt_int(row.count_previous)), "num"), (_trend_badge(row.trend), ""),
        ])
    headers = [("Primary category", ""), ("Failed runs", "num"), ("Share of failures", "num"),
               ("Share of runs", "num"), ("Previous period", "num"), ("Trend", "")]
    new = report.summary["new_failure_categories"]
    intro = f"{total:,} failed runs (failed, terminated, timed out) by primary failure category."
    if not report.previous_covered:
        intro += " Trends need the previous period, which the data does not cover."
    elif new:
        intro += f" New this period: {len(new)}."
    parts = [f"<p>{_e(intro)}</p>", _table(headers, rows)]
    if len(rest):
        note = (f"{len(rest)} more categories with {int(rest['count'].sum()):,} failed runs "
                "in all are in the JSON summary.")
        parts.append(f'<p class="note">{_e(note)}</p>')
    reasons = report.failure_reasons
    if len(reasons):
        rrows = [[(_server(r.reason, 160) if isinstance(r.reason, str)
                   else '<span class="none">(no reason given)</span>', "text"),
                  (_e(fmt_int(r.count)), "num")] for r in reasons.itertuples(index=False)]
        parts += ["<h3>Most frequent failure reasons</h3>",
                  _table([("Failure reason", ""), ("Failed runs", "num")], rrows)]
    return "".join(parts)


def _stuck(report: Report) -> str:
    stuck = report.stuck
    if stuck.empty:
        note = f"No run is stuck as of {fmt_time(report.now, report.tz)} ({report.tz})."
        return f'<p class="note">{_e(note)}</p>'
    rows = []
    for r in stuck.head(MAX_STUCK_ROWS).itertuples(index=False):
        rows.append([
            (_server(r.workflow_run_id, 40, cls="id"), ""),
            (_server(r.workflow_title, 60), "text"), (_e(r.status), ""),
            (_e(r.stage), ""), (_e(fmt_time(r.since, report.tz)), "num"),
            (_e(fmt_seconds(r.age_seconds)), "num"),
        ])
    headers = [("Run", ""), ("Workflow", ""), ("Status", ""), ("Stuck while", ""),
               (f"Since ({report.tz})", "num"), ("Age", "num")]
    more = len(stuck) - MAX_STUCK_ROWS
    intro = (f"{len(stuck):,} runs waiting longer than "
             f"{_minutes(analysis.DEFAULT_QUEUED_THRESHOLD)} or running longer than "
             f"{_minutes(analysis.DEFAULT_RUNNING_THRESHOLD)} as of "
             f"{fmt_time(report.now, report.tz)}, newest first"
             + (f"; the {MAX_STUCK_ROWS} newest shown." if more > 0 else "."))
    return f"<p>{_e(intro)}</p>" + _table(headers, rows)


def _figures(report: Report) -> str:
    out = []
    for image in report.images():
        data = base64.b64encode(image.png).decode("ascii")
        out.append(f'<figure id="plot-{_e(image.name)}"><img src="data:image/png;base64,{data}" '
                   f'alt="{_e(image.alt)}"><figcaption>{_e(image.alt)}</figcaption></figure>')
    return "".join(out)


def _footer(report: Report) -> str:
    items: list[tuple[str, str]] = []
    if report.source:
        items.append(("Data", _server(report.source, 300)))
    fetch = report.fetch_report
    if fetch:
        if fetch.get("base_url"):
            items.append(("API", _server(fetch["base_url"], 200)))
        filters = fetch.get("filters") or {}
        if filters:
            items.append(("Filters", _server(", ".join(f"{k}={v}" for k, v in filters.items()),
                                             300)))
        runs = fetch.get("runs", 0)
        items.append(("Fetched", _e(
            f"{fmt_int(runs)} runs from {fmt_int(fetch.get('pages_requested'))} pages, "
            f"{fmt_int(fetch.get('requests'))} requests in "
            f"{float(fetch.get('elapsed_seconds') or 0):.1f} s; stopped: "
            f"{fetch.get('stopped_because') or '–'}")))
        retries = fetch.get("retries") or 0
        reasons = fetch.get("retry_reasons") or {}
        items.append(("Retries", _e(f"{retries:,}" + (" (" + ", ".join(
            f"{k}: {v}" for k, v in sorted(reasons.items())) + ")" if reasons else ""))))
        drift = (f"yes: {fmt_int(fetch.get('repeats_while_paging'))} repeated rows, "
                 f"{fmt_int(fetch.get('runs_caught_up'))} new runs caught up, "
                 f"{fmt_int(fetch.get('gap_refetches'))} pages re-read"
                 if fetch.get("drift_detected") else "no")
        items.append(("List moved while paging", _e(drift)))
        items.append(("Duplicates dropped", _e(fmt_int(fetch.get("duplicates_dropped")))))
        ties = (f"{fmt_int(fetch.get('tie_groups_repaired'))} re-read, "
                f"{fmt_int(fetch.get('tie_groups_unverified'))} unverified")
        items.append(("Tie groups", _e(ties)))
        if fetch.get("page_size_clamped_to"):
            items.append(("Page size", _e(f"clamped by the server to "
                                          f"{fetch['page_size_clamped_to']}")))
    else:
        items.append(("Fetch report", _e("none recorded with this data")))

    items.append(("Generated", _e(f"{fmt_time(report.generated_at, report.tz, seconds=True)} "
                                  f"({report.tz}) by runlytics {__version__}; ages measured to "
                                  f"{fmt_time(report.now, report.tz, seconds=True)}")))
    body = "".join(f"<dt>{_e(k)}</dt><dd>{v}</dd>" for k, v in items)
    return f"<footer><strong>How the data was fetched</strong><dl>{body}</dl></footer>"


def render_html(report: Report) -> str:
    """The report as one HTML document (UTF-8 text), plots embedded as data URIs.

    Example:
        >>> Path("report.html").write_text(render_html(report))  # doctest: +SKIP
    """
    tz = report.tz
    period = report.period
    span = (f"{fmt_time(period.start, tz)} → {fmt_time(period.end, tz)} ({tz})"
            f" · {fmt_seconds(period.length.total_seconds())}")
    if report.previous_covered:
        compared = (f"Compared with the previous {fmt_seconds(period.length.total_seconds())}: "
                    f"{fmt_time(report.previous.start, tz)} → "
                    f"{fmt_time(report.previous.end, tz)}.")
        comparison = f'<p class="sub">{_e(compared)}</p>'
    else:
        comparison = f'<p class="note">{_e(report.comparison_note)}</p>'
    sections = [
        f"<header><h1>{_e(report.title)}</h1><p class=\"sub\">{_e(span)}</p>{comparison}"
        f"</header>",
        _thresholds(report),
        _cards(report),
        "<h2>Workflows</h2>", _workflows(report),
        "<h2>Failures</h2>", _failures(report),
        "<h2>Plots</h2>", _figures(report),
        "<h2>Stuck runs</h2>", _stuck(report),
        _footer(report),
    ]
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f'<meta http-equiv="Content-Security-Policy" content="{_CSP}">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{_e(report.title)} · {_e(fmt_time(period.start, tz))} → "
            f"{_e(fmt_time(period.end, tz))}</title>"
            f"<style>{_CSS}</style></head><body><main>{''.join(sections)}</main></body>"
            "</html>\n")

