"""The HTML report: one self-contained file, plots embedded, no script, no network.

It lays out the sections of :func:`runlytics.report.sections.document`.
Every piece of server text passes through :func:`runlytics.report.text.h`
(cleaned, then ``html.escape``), and is wrapped in ``<bdi>`` so right-to-left
text cannot reorder its neighbours; our own text is escaped too. A
Content-Security-Policy forbids scripts and any load but the embedded
``data:`` images, as a second fence.
"""

from __future__ import annotations

import base64
import html

from .build import Report
from .model import (
    Alert,
    Block,
    Cell,
    Definitions,
    Facts,
    Figure,
    Heading,
    Paragraph,
    Section,
    Table,
    Text,
    cell_texts,
)
from .sections import document
from .text import clean, fmt_time, h

__all__ = ["render_html"]

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


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def _text(text: Text) -> str:
    """Server text cleaned, cut and isolated (full text in a tooltip); ours escaped."""
    if text.style == "missing":
        return f'<span class="none">{_e(text.value)}</span>'
    if text.style == "badge":
        return f'<span class="badge {_e(text.value)}">{_e(text.value)}</span>'
    if not text.server:
        return _e(text.value)
    shown = h(text.value, text.limit)
    if not shown:
        return '<span class="none">–</span>'
    full = clean(text.value, 500)
    tip = (f' title="{html.escape(full, quote=True)}"'
           if len(full) > len(clean(text.value, text.limit)) else "")
    klass = f' class="{text.style}"' if text.style else ""
    return f"<bdi{klass}{tip}>{shown}</bdi>"


def _cell(cell: Cell) -> str:
    return "<br>".join(_text(t) for t in cell_texts(cell))


def _table(table: Table) -> str:
    classes = ["num" if c.numeric else "" for c in table.columns]
    head = "".join(f'<th class="{k}">{_e(c.label)}</th>' for c, k in zip(table.columns, classes,
                                                                          strict=True))
    body = "".join("<tr>" + "".join(
        f'<td class="{k or ("text" if any(t.server for t in cell_texts(cell)) else "")}">'
        f"{_cell(cell)}</td>" for cell, k in zip(row, classes, strict=True)) + "</tr>"
        for row in table.rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _facts(facts: Facts) -> str:
    cards = []
    for fact in facts.items:
        change = ""
        if fact.change is not None:
            change = (f'<div class="change {_e(fact.verdict)}">{_e(fact.change)} '
                      f'<span class="none">vs {_e(fact.previous or "–")}</span></div>')
        detail = "<br>".join(_e(line) for line in fact.detail)
        cards.append(f'<div class="card"><div class="label">{_e(fact.label)}</div>'
                     f'<div class="value">{_e(fact.value)}</div>'
                     f'<div class="detail">{detail}</div>{change}</div>')
    return f'<div class="cards">{"".join(cards)}</div>'


def _alert(alert: Alert) -> str:
    items = "".join(f"<li>{_text(item)}</li>" for item in alert.items)
    klass = "alert ok" if alert.ok else "alert"
    return f'<div class="{klass}"><strong>{_e(alert.heading)}</strong><ul>{items}</ul></div>'


def _figure(figure: Figure) -> str:
    data = base64.b64encode(figure.png).decode("ascii")
    return (f'<figure id="plot-{_e(figure.name)}"><img src="data:image/png;base64,{data}" '
            f'alt="{_e(figure.alt)}"><figcaption>{_e(figure.alt)}</figcaption></figure>')


def _block(block: Block) -> str:
    if isinstance(block, Paragraph):
        body = "".join(_text(t) for t in block.parts)
        return f'<p class="{block.kind}">{body}</p>' if block.kind else f"<p>{body}</p>"
    if isinstance(block, Heading):
        return f"<h3>{_e(block.text)}</h3>"
    if isinstance(block, Facts):
        return _facts(block)
    if isinstance(block, Table):
        return _table(block)
    if isinstance(block, Alert):
        return _alert(block)
    if isinstance(block, Figure):
        return _figure(block)
    assert isinstance(block, Definitions)
    return "<dl>" + "".join(f"<dt>{_e(term)}</dt><dd>{''.join(_text(t) for t in value)}</dd>"
                            for term, value in block.items) + "</dl>"


def _section(section: Section, title: str) -> str:
    body = "".join(_block(block) for block in section.blocks)
    if section.key == "period":
        return f'<header id="period"><h1>{_e(title)}</h1>{body}</header>'
    if section.key == "provenance":
        return (f'<footer id="provenance"><strong>{_e(section.title)}</strong>{body}'
                "</footer>")
    heading = f"<h2>{_e(section.title)}</h2>" if section.title else ""
    return f'<section id="{_e(section.key)}">{heading}{body}</section>'


def render_html(report: Report) -> str:
    """The report as one HTML document (UTF-8 text), plots embedded as data URIs.

    Example:
        >>> from runlytics.report import build_report
        >>> from runlytics.frame import empty_frame
        >>> page = render_html(build_report(empty_frame(), since="2026-01-01",
        ...                                 until="2026-01-08"))
        >>> page.startswith("<!DOCTYPE html>"), page.count("<img ")
        (True, 6)
    """
    doc = document(report)
    tz, period = report.tz, report.period
    sections = "".join(_section(section, doc.title) for section in doc.sections)
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f'<meta http-equiv="Content-Security-Policy" content="{_CSP}">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{_e(doc.title)} · {_e(fmt_time(period.start, tz))} → "
            f"{_e(fmt_time(period.end, tz))}</title>"
            f"<style>{_CSS}</style></head><body><main>{sections}</main></body>"
            "</html>\n")
