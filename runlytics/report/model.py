"""The format-neutral report: sections of paragraphs, facts, tables and figures.

:func:`runlytics.report.sections.document` builds a :class:`Document` from a
:class:`~runlytics.report.build.Report` once; the HTML and Markdown renderers
only lay it out and escape it, so every fact reaches every format. Numbers
are already formatted here (one wording for all formats); :class:`Text`
marks what came from the server, which renderers clean, cut to ``limit`` and
isolate.

Example:
    >>> table = Table((Column("Workflow"), Column("Runs", numeric=True)),
    ...               ((Text("Alpha", server=True), Text("12")),))
    >>> [t.value for t in texts(Section("workflows", "Workflows", (table,)))]
    ['Workflow', 'Runs', 'Alpha', '12']
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

__all__ = ["Alert", "Block", "Cell", "Column", "Definitions", "Document", "Fact", "Facts",
           "Figure", "Heading", "Paragraph", "Section", "Table", "Text", "cell_texts", "texts"]


@dataclass(frozen=True)
class Text:
    """A piece of text: ours (``server=False``) or the server's (cleaned, cut, isolated).

    ``style`` is a hint the renderers may show: ``id`` (a run or workflow id),
    ``badge`` (a trend word), ``missing`` (a dash for no value).
    """

    value: Any
    server: bool = False
    limit: int = 120
    style: str = ""


#: A table cell: one text, or several shown together (a title and its id).
Cell = Text | tuple[Text, ...]


@dataclass(frozen=True)
class Column:
    """A table column: its label and whether it holds numbers (right-aligned)."""

    label: str
    numeric: bool = False


@dataclass(frozen=True)
class Table:
    """Rows of cells under labelled columns."""

    columns: tuple[Column, ...]
    rows: tuple[tuple[Cell, ...], ...]

    def texts(self) -> tuple[Text, ...]:
        cells = tuple(t for row in self.rows for cell in row for t in cell_texts(cell))
        return (*(Text(c.label) for c in self.columns), *cells)


@dataclass(frozen=True)
class Paragraph:
    """A line of text; ``kind`` is ``""`` (plain), ``note`` (aside) or ``sub`` (subtitle)."""

    parts: tuple[Text, ...]
    kind: str = ""

    def texts(self) -> tuple[Text, ...]:
        return self.parts


@dataclass(frozen=True)
class Heading:
    """A sub-heading inside a section."""

    text: str

    def texts(self) -> tuple[Text, ...]:
        return (Text(self.text),)


@dataclass(frozen=True)
class Fact:
    """One headline figure: its value now, before, the change and the sample it rests on.

    ``verdict`` is ``better``, ``worse``, ``same``, ``neutral`` or ``none`` (no comparison).
    """

    label: str
    value: str
    detail: tuple[str, ...]
    previous: str | None = None
    change: str | None = None
    verdict: str = "none"


@dataclass(frozen=True)
class Facts:
    """The headline figures, in order."""

    items: tuple[Fact, ...]

    def texts(self) -> tuple[Text, ...]:
        return tuple(Text(s) for f in self.items for s in (f.label, f.value, *f.detail,
                                                           f.previous, f.change) if s is not None)


@dataclass(frozen=True)
class Alert:
    """A heading and its items; ``ok`` when nothing is wrong (the thresholds' verdict)."""

    heading: str
    items: tuple[Text, ...]
    ok: bool

    def texts(self) -> tuple[Text, ...]:
        return (Text(self.heading), *self.items)


@dataclass(frozen=True)
class Figure:
    """A plot: a file-safe name, alt text and the PNG bytes."""

    name: str
    alt: str
    png: bytes

    def texts(self) -> tuple[Text, ...]:
        return (Text(self.alt),)


@dataclass(frozen=True)
class Definitions:
    """Terms and what they are (the footer's facts about the data)."""

    items: tuple[tuple[str, tuple[Text, ...]], ...]

    def texts(self) -> tuple[Text, ...]:
        return tuple(t for term, value in self.items for t in (Text(term), *value))


Block = Paragraph | Heading | Facts | Table | Alert | Figure | Definitions


@dataclass(frozen=True)
class Section:
    """A part of the report: ``key`` (stable, an HTML id), a title, its blocks.

    ``json_keys`` are the summary keys (dotted) that hold the section's
    figures, so the JSON format carries the section too.
    """

    key: str
    title: str | None
    blocks: tuple[Block, ...]
    json_keys: tuple[str, ...] = ()


@dataclass(frozen=True)
class Document:
    """The whole report: a title and its sections, in reading order."""

    title: str
    sections: tuple[Section, ...]


def cell_texts(cell: Cell) -> tuple[Text, ...]:
    """The texts of a cell, one or several."""
    return cell if isinstance(cell, tuple) else (cell,)


def texts(section: Section) -> Iterator[Text]:
    """Every text a section shows, in order (what each format must carry)."""
    for block in section.blocks:
        yield from block.texts()
