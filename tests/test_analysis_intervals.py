"""Wilson intervals: hand-computed values and scipy's reference implementation."""

from __future__ import annotations

import pandas as pd
import pytest
from scipy import stats

from runlytics.analysis import wilson_interval, wilson_intervals
from runlytics.errors import UsageError


def test_hand_computed_eight_of_ten() -> None:
    # p = .8, z = 1.959964: centre = .716740, half-width = .226578
    low, high = wilson_interval(8, 10)
    assert (round(low, 6), round(high, 6)) == (0.490162, 0.943318)


@pytest.mark.parametrize(("k", "n", "confidence"), [(0, 10, .95), (10, 10, .95), (3, 7, .9),
                                                    (412, 500, .99), (1, 1, .95)])
def test_matches_scipy(k: int, n: int, confidence: float) -> None:
    ref = stats.binomtest(k, n).proportion_ci(confidence_level=confidence, method="wilson")
    assert wilson_interval(k, n, confidence) == pytest.approx((ref.low, ref.high), abs=1e-12)


def test_no_data_is_none_not_zero() -> None:
    assert wilson_interval(0, 0) is None


def test_vectorised_keeps_index_and_nulls_empty_groups() -> None:
    got = wilson_intervals(pd.Series([8, 0], index=["a", "b"]), [10, 0]).round(6)
    expected = pd.DataFrame({"low": pd.array([0.490162, None], dtype="Float64"),
                             "high": pd.array([0.943318, None], dtype="Float64")},
                            index=["a", "b"])
    pd.testing.assert_frame_equal(got, expected)


@pytest.mark.parametrize(("k", "n", "confidence"), [(3, 2, .95), (-1, 2, .95), (1, 2, 1.0)])
def test_refuses_bad_input(k: int, n: int, confidence: float) -> None:
    with pytest.raises(UsageError):
        wilson_interval(k, n, confidence)
    with pytest.raises(UsageError):
        wilson_intervals([k], [n], confidence)
