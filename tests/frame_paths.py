"""Build a frame through the fast and the checked path alike (a helper for the frame tests)."""

from __future__ import annotations

import warnings

import pandas as pd

from runlytics.frame import UnknownValueWarning, checked, fast, table_to_frame
from runlytics.frame.finish import typed_table


def fast_frame(pages: list[bytes]) -> pd.DataFrame:
    return table_to_frame(typed_table(fast.raw_table(pages)))


def checked_frame(pages: list[bytes]) -> pd.DataFrame:
    return table_to_frame(typed_table(checked.raw_table(pages)))


def both_paths(pages: list[bytes]) -> pd.DataFrame:
    """Build through the fast and the checking path; they must agree."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UnknownValueWarning)
        fast_built = fast_frame(pages)
        checked_built = checked_frame(pages)
    pd.testing.assert_frame_equal(fast_built, checked_built)
    return fast_built
