"""The look of every plot: colours, figure size, titles and a light frame.

Colours are the Okabe-Ito palette (colour-blind safe); a trigger type or a
status has the same colour in every plot. Styles are set on each Axes, never
through ``matplotlib.rcParams``: a plot drawn in a notebook leaves the user's
own settings alone, and :func:`runlytics.plots.render_png` needs no global state.
"""

from __future__ import annotations

from typing import Literal

from matplotlib.axes import Axes

from ..analysis import UNKNOWN

#: Okabe-Ito colours (Wong, Nature Methods 2011), safe for colour-blind readers.
PALETTE = {
    "orange": "#E69F00", "sky": "#56B4E9", "green": "#009E73", "yellow": "#F0E442",
    "blue": "#0072B2", "vermillion": "#D55E00", "purple": "#CC79A7", "black": "#000000",
    "grey": "#999999", "light": "#C8CDD2",
}
TRIGGER_COLORS = {
    "api": PALETTE["blue"], "scheduled": PALETTE["green"], "manual": PALETTE["orange"],
    "webhook": PALETTE["purple"], "mcp": PALETTE["sky"],
    "job_recipe_extract": PALETTE["vermillion"], "job_recipe_apply": PALETTE["yellow"],
    UNKNOWN: PALETTE["grey"],
}
STATUS_COLORS = {
    "completed": PALETTE["green"], "failed": PALETTE["vermillion"],
    "timed_out": PALETTE["orange"], "terminated": PALETTE["purple"],
    "canceled": PALETTE["grey"], "queued": PALETTE["orange"], "running": PALETTE["blue"],
    "created": PALETTE["light"], "paused": PALETTE["sky"],
}
_EXTRA_COLORS = ("#555555", "#7F7F7F", "#B0B0B0", "#3D3D3D")
QUEUED_COLOR, RUNNING_COLOR = PALETTE["orange"], PALETTE["blue"]
FAILURE_COLOR, SUCCESS_COLOR, VOLUME_COLOR = PALETTE["vermillion"], PALETTE["green"], "#A6BDD7"

DEFAULT_FIGSIZE = (9.0, 4.2)


def _color_for(label: str, colors: dict[str, str], extra: list[str]) -> str:
    """The colour of ``label``; labels without one take greys in turn (noted in ``extra``)."""
    if label in colors:
        return colors[label]
    extra.append(label)
    return _EXTRA_COLORS[(len(extra) - 1) % len(_EXTRA_COLORS)]


def _titles(ax: Axes, title: str, subtitle: str = "") -> None:
    """A bold title on the left; the subtitle (sample sizes, how to read) under it."""
    ax.set_title(title + ("\n" if subtitle else ""), fontsize=12, fontweight="bold", loc="left")
    if subtitle:
        ax.text(0, 1.02, subtitle, transform=ax.transAxes, va="bottom", ha="left", fontsize=9,
                color="#444444")


def _tidy(ax: Axes, grid: Literal["both", "x", "y"] = "y") -> None:
    ax.spines["top"].set_visible(False)
    ax.spines["right"].set_visible(False)
    ax.grid(True, axis=grid, color="#E3E3E3", linewidth=0.8)
    ax.set_axisbelow(True)
