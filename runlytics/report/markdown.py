"""The Markdown report: the same sections as the HTML, for chat and issue trackers.

It lays out :func:`runlytics.report.sections.document`. Images are separate
PNG files in a folder beside the Markdown file, linked relatively. Server
text goes through :func:`runlytics.report.text.md`: ``& < >`` become
entities (most renderers pass raw HTML through) and ``| ` * _ [ ] ~ # \\``
are backslash-escaped, so text can neither end a table cell nor become a
link, code or emphasis. Our own text is escaped the same way.
"""

from __future__ import annotations

from urllib.parse import quote

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
from .text import md

__all__ = ["render_markdown"]


def _text(text: Text) -> str:
    if text.style == "badge" and text.value == "new":
        return "**new**"
    return md(text.value, text.limit if text.server else max(text.limit, 500)) or "–"


def _cell(cell: Cell) -> str:
    # No code spans around ids: backslash escapes do not work inside them.
    first, *rest = cell_texts(cell)
    return " ".join([_text(first), *(f"({_text(t)})" for t in rest)])


def _row(cells: list[str]) -> str:
    return "| " + " | ".join(cells) + " |"


def _table(table: Table) -> str:
    rule = ["---:" if c.numeric else "---" for c in table.columns]
    return "\n".join([_row([md(c.label) for c in table.columns]), _row(rule),
                      *(_row([_cell(cell) for cell in row]) for row in table.rows)])


def _facts(facts: Facts) -> str:
    rows = [[md(f.label), md(f.value), md(f.previous or "–"), md(f.change or "–"),
             md("; ".join(f.detail), 500)] for f in facts.items]
    return "\n".join([_row(["Figure", "This period", "Previous", "Change", "Sample"]),
                      _row(["---", "---:", "---:", "---", "---"]), *map(_row, rows)])


def _block(block: Block, assets: str, files: dict[str, bytes]) -> str:
    if isinstance(block, Paragraph):
        body = "".join(_text(t) for t in block.parts)
        return f"> {body}" if block.kind == "note" else body
    if isinstance(block, Heading):
        return f"### {md(block.text)}"
    if isinstance(block, Facts):
        return _facts(block)
    if isinstance(block, Table):
        return _table(block)
    if isinstance(block, Alert):
        return "\n".join([f"**{md(block.heading)}**", "",
                          *(f"- {_text(item)}" for item in block.items)])
    if isinstance(block, Figure):
        name = f"{block.name}.png"
        files[name] = block.png
        return f"![{md(block.alt, 500)}]({quote(assets)}/{name})"
    assert isinstance(block, Definitions)
    return "\n".join(f"- {md(term)}: {' '.join(_text(t) for t in value)}"
                     for term, value in block.items)


def _section(section: Section, title: str, assets: str, files: dict[str, bytes]) -> list[str]:
    if section.key == "period":
        head = [f"# {md(title)}", ""]
    else:
        head = [f"## {md(section.title)}", ""] if section.title else []
    body = [part for block in section.blocks for part in (_block(block, assets, files), "")]
    return [*head, *body]


def render_markdown(report: Report, assets: str) -> tuple[str, dict[str, bytes]]:
    """The report as Markdown, plus its images.

    Args:
        report: a built report.
        assets: the folder, relative to the Markdown file, the images go in.

    Returns:
        The Markdown text and ``{file name: PNG bytes}`` for the files to put
        in ``assets``.

    Example:
        >>> from runlytics.report import build_report
        >>> from runlytics.frame import empty_frame
        >>> text, files = render_markdown(build_report(empty_frame(), since="2026-01-01",
        ...                                            until="2026-01-08"), "report_files")
        >>> text.splitlines()[0], sorted(files)[0]
        ('# Skyvern runs report', 'concurrency.png')
    """
    doc = document(report)
    files: dict[str, bytes] = {}
    parts = [line for section in doc.sections
             for line in _section(section, doc.title, assets, files)]
    return "\n".join(parts), files
