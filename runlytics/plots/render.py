"""A plot as PNG bytes, drawn without pyplot: :func:`render_png`."""

from __future__ import annotations

import io
import warnings
from collections.abc import Callable
from typing import Any

import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from .style import DEFAULT_FIGSIZE


def render_png(plot: Callable[..., Axes], df: pd.DataFrame, *,
               figsize: tuple[float, float] = DEFAULT_FIGSIZE, dpi: int = 110,
               **kwargs: Any) -> bytes:
    """Draw ``plot(df, ax=..., **kwargs)`` on a private figure and return PNG bytes.

    Uses :class:`matplotlib.figure.Figure` directly: no pyplot, no global
    state, no backend change, so it is safe inside Jupyter and threads.

    Args:
        plot: one of the ``plot_*`` functions (anything taking ``df, ax=``).
        df: the runs frame to draw.
        figsize: inches, width and height.
        dpi: pixels per inch.
        **kwargs: passed on to ``plot``.

    Returns:
        The PNG file's bytes (no "Software" tag, so the same plot gives the same bytes).

    Example:
        >>> import pandas as pd
        >>> from runlytics.plots import plot_failure_pareto
        >>> runs = pd.DataFrame({"status": ["failed"], "primary_failure_category": ["LLM_ERROR"]})
        >>> png = render_png(plot_failure_pareto, runs, dpi=40)
        >>> png[:8], png == render_png(plot_failure_pareto, runs, dpi=40)
        (b'\\x89PNG\\r\\n\\x1a\\n', True)
    """
    fig = Figure(figsize=figsize, dpi=dpi, layout="constrained")
    ax = fig.add_subplot()
    plot(df, ax=ax, **kwargs)
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        # _text() replaces glyphs the font lacks; this only guards odd fonts.
        warnings.filterwarnings("ignore", message=r"Glyph \d+ .*missing from")
        fig.savefig(buffer, format="png", metadata={"Software": None})
    return buffer.getvalue()
