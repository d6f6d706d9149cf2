"""runlytics.plots.style: every known trigger type and status has its own fixed colour."""

from __future__ import annotations

import matplotlib.colors as mcolors

from runlytics import schema
from runlytics.analysis import UNKNOWN
from runlytics.plots import PALETTE, STATUS_COLORS, TRIGGER_COLORS


def test_every_trigger_type_and_status_has_a_colour() -> None:
    assert set(TRIGGER_COLORS) == {*schema.TRIGGER_TYPES, UNKNOWN}
    assert set(STATUS_COLORS) == set(schema.STATUSES)
    assert len(set(TRIGGER_COLORS.values())) == len(TRIGGER_COLORS)  # told apart
    assert TRIGGER_COLORS[UNKNOWN] == PALETTE["grey"]


def test_colours_are_the_okabe_ito_palette() -> None:
    okabe_ito = {"#E69F00", "#56B4E9", "#009E73", "#F0E442", "#0072B2", "#D55E00", "#CC79A7",
                 "#000000", "#999999"}
    assert set(PALETTE.values()) - okabe_ito == {"#C8CDD2"}  # a light grey for "other"
    for colour in (*TRIGGER_COLORS.values(), *STATUS_COLORS.values()):
        assert mcolors.is_color_like(colour) and colour in PALETTE.values()
