"""Text drawn on plots: server text made safe, bucket sizes and metrics in words.

Text from the server (workflow titles, categories) is cleaned before it is
drawn: control and bidi characters removed, ``$`` kept literal (no mathtext),
glyphs the font lacks replaced by ``?``, long text shortened. Durations are
written by :func:`runlytics.units.format_seconds` (``runlytics.plots`` re-exports
it for code written when it lived there).
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd

from ..errors import UsageError

LABEL_LIMIT = 42

#: Each timing's name and the two timestamps it runs between.
_METRIC_NAMES = {
    "queue_seconds": ("Queue latency", "queued → started"),
    "duration_seconds": ("Duration", "started → finished"),
    "turnaround_seconds": ("Turnaround", "created → finished"),
    "pickup_seconds": ("Pickup", "created → queued"),
}

_FREQ_WORDS = {"h": "hour", "3h": "3 hours", "6h": "6 hours", "D": "day", "W": "week",
               "MS": "month", "ME": "month", "15min": "15 minutes", "min": "minute"}


@lru_cache(maxsize=1)
def _font() -> Any:
    """The default font, to ask which glyphs it has (None if it cannot be loaded)."""
    try:
        from matplotlib import font_manager
        from matplotlib.ft2font import FT2Font
        return FT2Font(font_manager.findfont(font_manager.FontProperties()))
    except Exception:  # a font problem must never stop a plot
        return None


@lru_cache(maxsize=4096)
def _has_glyph(char: str) -> bool:
    font = _font()
    return font is None or font.get_char_index(ord(char)) != 0


def _text(value: Any, limit: int = LABEL_LIMIT) -> str:
    """Server text made safe to draw: one line, no control/bidi characters, short."""
    if value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value)):
        return "(none)"
    out = []
    for char in str(value)[: limit * 4]:
        kind = unicodedata.category(char)
        if kind[0] == "Z" or char in "\t\n\r":
            out.append(" ")
        elif kind[0] == "C":  # control, format (bidi overrides), surrogate, private, unassigned
            continue
        elif char == "$":
            out.append(r"\$")  # no mathtext
        else:
            out.append(char if _has_glyph(char) else "?")
    text = " ".join("".join(out).split())
    if len(text) > limit:
        text = text[: limit - 1].rstrip() + "…"
    return text or "(blank)"


def _metric_name(metric: str) -> tuple[str, str]:
    """(name, "start → end") of a timing; UsageError for a name not in METRICS."""
    if metric not in _METRIC_NAMES:
        raise UsageError(f"metric must be one of {', '.join(_METRIC_NAMES)}, got {metric!r}")
    return _METRIC_NAMES[metric]


def freq_label(freq: str) -> str:
    """A bucket size in words: ``"D"`` -> ``"day"``, ``"3h"`` -> ``"3 hours"``.

    Example:
        >>> freq_label("D"), freq_label("3h"), freq_label("2D")
        ('day', '3 hours', '2D')
    """
    return _FREQ_WORDS.get(freq, freq)


def _plural(label: str) -> str:
    return label if label.endswith("s") else f"{label}s"
