"""Wilson score intervals for success rates: :func:`wilson_interval`, :func:`wilson_intervals`."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from ..errors import UsageError
from ._common import _float

#: Default confidence of the intervals.
DEFAULT_CONFIDENCE = 0.95


def _z(confidence: float) -> float:
    if not 0 < confidence < 1:
        raise UsageError(f"confidence must be between 0 and 1, got {confidence!r}")
    return float(stats.norm.ppf(0.5 + confidence / 2))


def _bounds(successes: np.ndarray, n: np.ndarray, z: float) -> tuple[np.ndarray, np.ndarray]:
    """Wilson bounds as float64, NaN where ``n == 0``."""
    n = n.astype(np.float64)
    safe = np.where(n > 0, n, 1.0)
    p = successes / safe
    z2 = z * z
    denom = 1 + z2 / safe
    centre = (p + z2 / (2 * safe)) / denom
    half = z / denom * np.sqrt(np.maximum(p * (1 - p) / safe + z2 / (4 * safe * safe), 0.0))
    low = np.where(n > 0, np.clip(centre - half, 0.0, 1.0), np.nan)
    high = np.where(n > 0, np.clip(centre + half, 0.0, 1.0), np.nan)
    return low, high


def wilson_interval(successes: int, n: int, confidence: float = DEFAULT_CONFIDENCE,
                    ) -> tuple[float, float] | None:
    """The Wilson score interval of a proportion ``successes / n``.

    ``centre = (p + z²/2n) / (1 + z²/n)``, ``half-width = z / (1 + z²/n) *
    sqrt(p(1 - p)/n + z²/4n²)`` with ``p = successes / n`` and ``z`` the normal
    quantile of ``0.5 + confidence / 2`` (1.96 for 95%). Unlike the normal
    (Wald) interval it stays inside [0, 1] and is not empty at 0% or 100%.

    Args:
        successes: number of successes (e.g. completed runs), 0 <= successes <= n.
        n: number of trials (e.g. finished runs).
        confidence: coverage of the interval, between 0 and 1.

    Returns:
        ``(low, high)`` as floats, or None when ``n == 0`` (no data, no rate).

    Raises:
        UsageError: counts out of range or a confidence outside (0, 1).

    Example:
        >>> low, high = wilson_interval(8, 10)
        >>> round(low, 4), round(high, 4)
        (0.4902, 0.9433)
        >>> wilson_interval(0, 0) is None
        True
    """
    if n < 0 or successes < 0 or successes > n:
        raise UsageError(f"need 0 <= successes <= n, got successes={successes!r}, n={n!r}")
    z = _z(confidence)
    if n == 0:
        return None
    low, high = _bounds(np.array([successes], dtype=np.float64), np.array([n]), z)
    return float(low[0]), float(high[0])


def wilson_intervals(successes: Any, n: Any, confidence: float = DEFAULT_CONFIDENCE,
                     ) -> pd.DataFrame:
    """Wilson intervals for many proportions at once (see :func:`wilson_interval`).

    Args:
        successes: counts of successes (a Series, array or list).
        n: counts of trials, the same length.
        confidence: coverage of the intervals, between 0 and 1.

    Returns:
        Columns ``low, high`` (Float64, null where ``n == 0``), with the index
        of ``successes`` when it is a Series.

    Raises:
        UsageError: counts out of range or a confidence outside (0, 1).

    Example:
        >>> import pandas as pd
        >>> rates = pd.DataFrame({"n_completed": [8, 0], "n_finished": [10, 0]})
        >>> wilson_intervals(rates["n_completed"], rates["n_finished"]).round(4).values.tolist()
        [[0.4902, 0.9433], [<NA>, <NA>]]
    """
    index = successes.index if isinstance(successes, pd.Series) else None
    s = np.asarray(pd.array(successes, dtype="Int64").fillna(0), dtype=np.float64)
    t = np.asarray(pd.array(n, dtype="Int64").fillna(0), dtype=np.int64)
    if s.shape != t.shape or (s < 0).any() or (s > t).any():
        raise UsageError("need successes and n of the same length with 0 <= successes <= n")
    low, high = _bounds(s, t, _z(confidence))
    return pd.DataFrame({"low": _float(low), "high": _float(high)}, index=index)
