"""Server text made safe to show, and numbers made readable, for every report format.

Any text that came from the server (titles, ids, failure reasons, category
names) goes through :func:`clean` before it is escaped for HTML (:func:`h`)
or Markdown (:func:`md`): control characters and bidi controls become
U+FFFD (visible, harmless), line breaks and tabs become spaces, and long
text is cut with an ellipsis.
"""

from __future__ import annotations

import html
import math
import re
import unicodedata
from typing import Any

import pandas as pd

from ..units import format_seconds

__all__ = ["DISPLAY_LIMIT", "clean", "fmt_change", "fmt_int", "fmt_pct", "fmt_seconds",
           "fmt_time", "h", "md"]

DISPLAY_LIMIT = 120
REPLACEMENT = "\ufffd"
# Bidi embeddings/overrides/isolates and the invisible direction marks: they can
# make text read differently from what it is ("evil\u202etxt.exe").
_BIDI = frozenset([*range(0x202A, 0x202F), *range(0x2066, 0x206A), 0x200E, 0x200F, 0x061C])
_MD_SPECIAL = re.compile(r"([\\`*_\[\]|~#])")


def _missing(value: Any) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    return isinstance(value, float) and math.isnan(value)


def clean(value: Any, limit: int = DISPLAY_LIMIT) -> str:
    """One line of plain text: no control or bidi characters, at most ``limit`` characters.

    Example:
        >>> clean("a\\x1b[31mb\\u202e\\nc", 10)
        'a\\ufffd[31mb\\ufffd c'
    """
    if _missing(value):
        return ""
    text = str(value)[: limit * 4]  # enough to fill `limit` after spaces collapse
    out = []
    for char in text:
        code = ord(char)
        if char in "\t\n\r\x0b\x0c" or unicodedata.category(char) in ("Zl", "Zp"):
            out.append(" ")
        elif code in _BIDI or unicodedata.category(char) in ("Cc", "Cs"):
            out.append(REPLACEMENT)
        else:
            out.append(char)
    result = re.sub(" {2,}", " ", "".join(out)).strip()
    if len(result) > limit or len(str(value)) > limit * 4:
        result = result[: limit - 1].rstrip() + "…"
    return result


def h(value: Any, limit: int = DISPLAY_LIMIT) -> str:
    """Server text for HTML: cleaned, then every ``& < > " '`` escaped."""
    return html.escape(clean(value, limit), quote=True)


def md(value: Any, limit: int = DISPLAY_LIMIT) -> str:
    """Server text for Markdown: cleaned, ``& < >`` as entities, markup characters escaped.

    ``|`` (table cells), backticks, ``* _ [ ] ~ #`` and ``\\`` get a backslash,
    so no text can become a link, code, emphasis or a new column.

    Example:
        >>> md("<b>a|b</b> [x](y)")
        '&lt;b&gt;a\\\\|b&lt;/b&gt; \\\\[x\\\\](y)'
    """
    text = clean(value, limit)
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _MD_SPECIAL.sub(r"\\\1", text)


def fmt_int(value: Any) -> str:
    return "–" if _missing(value) else f"{int(value):,}"


def fmt_pct(value: Any, digits: int = 1) -> str:
    return "–" if _missing(value) else f"{float(value) * 100:.{digits}f}%"


def fmt_seconds(value: Any) -> str:
    """Seconds for people: ``0.42 s``, ``7.4 s``, ``2.5 min``, ``1.8 h``, ``2.1 d``."""
    return "–" if _missing(value) else format_seconds(float(value))


def fmt_time(value: Any, tz: Any, *, seconds: bool = False) -> str:
    """A timestamp shown in ``tz``: ``2026-02-22 00:00`` (with ``:ss`` if asked)."""
    if _missing(value):
        return "–"
    stamp = pd.Timestamp(value)
    if stamp.tzinfo is None:
        stamp = stamp.tz_localize("UTC")
    return str(stamp.tz_convert(tz).strftime("%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M"))


def fmt_change(kind: str, now: Any, before: Any) -> tuple[str, str]:
    """The change from ``before`` to ``now`` as (text, verdict).

    ``kind`` is ``"count"`` (neutral: more runs is neither better nor worse),
    ``"rate"`` (higher is better, change in percentage points) or
    ``"latency"`` (lower is better, relative change). The verdict is
    ``better``, ``worse``, ``same`` (within 0.5 pp or 2 %), ``neutral`` or
    ``none`` (a value is missing).
    """
    if _missing(now) or _missing(before):
        return "no comparison", "none"
    now, before = float(now), float(before)
    if kind == "rate":
        points = (now - before) * 100
        arrow = "▲" if points > 0 else "▼"
        if abs(points) < 0.5:
            return f"≈ {points:+.1f} pp", "same"
        return f"{arrow} {points:+.1f} pp", "better" if points > 0 else "worse"
    if before == 0:
        if now == 0:
            return "≈ same", "same" if kind == "latency" else "neutral"
        return "▲ from 0", "worse" if kind == "latency" else "neutral"
    relative = (now - before) / abs(before)
    arrow = "▲" if relative > 0 else "▼"
    text = f"{arrow} {relative * 100:+.0f}%"
    if round(relative * 100) == 0:
        text = "≈ same"
    if kind == "count":
        return text, "neutral"
    if abs(relative) < 0.02:
        return "≈ same" if text == "≈ same" else f"≈ {relative * 100:+.0f}%", "same"
    return text, "worse" if relative > 0 else "better"
