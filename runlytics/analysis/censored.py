"""Latency percentiles that count runs still waiting: :func:`censored_latency`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from ..errors import UsageError
from ._common import (
    _US,
    NON_FINAL_STATUSES,
    Duration,
    _float,
    _now_us,
    _status_mask,
    _us,
    require_columns,
)
from .latency import _open_intervals
from .timing import DEFAULT_SKEW_TOLERANCE_SECONDS, METRICS, _timing_arrays

#: A censored percentile differs "materially" from the finished-only one when the
#: gap exceeds this share of the finished-only value ...
MATERIAL_SHARE = 0.10
#: ... and this many seconds (so sub-second jitter on quick queues is not news).
MATERIAL_SECONDS = 1.0

_STAMPS = ("created_at", "queued_at", "started_at", "finished_at")


def _samples(df: pd.DataFrame, metrics: Sequence[str], now_us: int,
             tolerance: Duration | float) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Per metric: (finished values, ages of open intervals at ``now``), seconds, unsorted."""
    arrays = _timing_arrays(df, tolerance, metrics)
    stamps = {c: _us(df[c]) for c in _STAMPS}
    open_status = _status_mask(df, NON_FINAL_STATUSES)
    out = {}
    for metric in metrics:
        values = arrays[metric].values
        mask, anchor = _open_intervals(df, metric, stamps, open_status)
        ages = np.maximum(now_us - anchor[mask], 0) / _US
        out[metric] = (values[~np.isnan(values)], ages)
    return out


def km_quantiles(events: np.ndarray, censored: np.ndarray,
                 quantiles: Sequence[float]) -> list[float]:
    """Kaplan-Meier quantiles of event times with right-censored times (NaN when unreached).

    The quantile ``q`` is the smallest event time ``t`` with ``S(t) <= 1 - q``,
    ``S`` the product-limit survival estimate; a run censored at the same time
    as an event is still at risk at that event.

    Example:
        >>> import numpy as np
        >>> km_quantiles(np.array([1.0, 2.0, 3.0, 4.0]), np.array([]), [0.5])
        [2.0]
        >>> km_quantiles(np.array([1.0, 2.0]), np.array([10.0, 10.0]), [0.5, 0.9])
        [2.0, nan]
    """
    if len(events) == 0:
        return [float("nan")] * len(quantiles)
    times = np.sort(events)
    cens = np.sort(censored)
    at_risk = (len(times) - np.arange(len(times))) + (len(cens)
                                                      - np.searchsorted(cens, times, "left"))
    with np.errstate(divide="ignore"):
        survival = np.exp(np.cumsum(np.log1p(-1.0 / at_risk)))
    out = []
    for q in quantiles:
        hit = np.flatnonzero(survival <= 1 - q + 1e-12)
        out.append(float(times[hit[0]]) if len(hit) else float("nan"))
    return out


def _differs(km: float, plain: float) -> bool:
    if np.isnan(plain):
        return False
    if np.isnan(km):
        return True
    return bool(abs(km - plain) > max(MATERIAL_SHARE * abs(plain), MATERIAL_SECONDS))


def censored_latency(df: pd.DataFrame, *, now: Any = None,
                     quantiles: Sequence[float] = (0.5, 0.9),
                     metrics: Sequence[str] = ("queue_seconds", "duration_seconds"),
                     skew_tolerance_seconds: Duration | float = DEFAULT_SKEW_TOLERANCE_SECONDS,
                     ) -> pd.DataFrame:
    """Kaplan-Meier percentiles with runs still queued/running censored at ``now``.

    Timings and the runs whose interval is still open are those of
    :func:`latency_summary` (a queued run is censored in ``queue_seconds`` at
    its age since ``queued_at``, a running one in ``duration_seconds`` since
    ``started_at``). The censored percentile ``pXX`` is the product-limit
    (Kaplan-Meier) estimate: the smallest finished value ``t`` with
    ``S(t) <= 1 - q`` (a step function, no interpolation). It is null when the
    estimate never falls that low (so many runs are still open that the
    percentile lies beyond every finished value). ``pXX_finished`` is today's
    percentile over finished runs only (linear interpolation, as in
    :func:`latency_summary`). ``pXX_differs`` is True when counting the open
    runs moves the percentile *materially*: the censored ``pXX`` and the same
    step estimate over finished runs alone differ by more than both
    ``MATERIAL_SHARE`` (10%) of the latter and ``MATERIAL_SECONDS`` (1 s), or
    the censored one is null while the other is not. (Comparing against
    the same estimator means the step-vs-interpolation gap never raises it.)

    Args:
        df: a runs frame.
        now: the time open runs are censored at; None for the current time.
        quantiles: the quantiles, each in (0, 1).
        metrics: any of ``METRICS``.
        skew_tolerance_seconds: as in :func:`timings`.

    Returns:
        One row per metric: ``metric`` (string), ``n`` (finished values),
        ``n_censored`` (open runs), then per quantile ``pXX``, ``pXX_finished``
        (Float64 seconds) and ``pXX_differs`` (bool).

    Raises:
        SchemaError: a needed column is missing.
        UsageError: an unknown metric or a quantile outside (0, 1).

    Example:
        >>> import pandas as pd
        >>> t = lambda *s: pd.to_datetime(list(s), utc=True)
        >>> runs = pd.DataFrame({
        ...     "status": ["completed", "completed", "queued", "queued"],
        ...     "created_at": t("2026-01-05 10:00", "2026-01-05 10:00", "2026-01-05 11:00",
        ...                     "2026-01-05 11:00"),
        ...     "queued_at": t("2026-01-05 10:00", "2026-01-05 10:00", "2026-01-05 11:00",
        ...                    "2026-01-05 11:00"),
        ...     "started_at": t("2026-01-05 10:01", "2026-01-05 10:02", None, None),
        ...     "finished_at": t("2026-01-05 10:05", "2026-01-05 10:06", None, None)})
        >>> got = censored_latency(runs, now="2026-01-05 12:00", metrics=["queue_seconds"])
        >>> got[["n", "n_censored", "p50", "p50_finished", "p50_differs"]].values.tolist()
        [[2, 2, 120.0, 90.0, True]]
    """
    metrics = list(dict.fromkeys([metrics] if isinstance(metrics, str) else metrics))
    if not metrics or any(m not in METRICS for m in metrics):
        raise UsageError(f"metrics must be some of {', '.join(METRICS)}, got {metrics!r}")
    if not quantiles or any(not 0 < q < 1 for q in quantiles):
        raise UsageError(f"quantiles must be between 0 and 1, got {quantiles!r}")
    require_columns(df, ["status", *_STAMPS], where="censored_latency")
    samples = _samples(df, metrics, _now_us(now), skew_tolerance_seconds)
    rows: dict[str, list[Any]] = {"metric": metrics, "n": [], "n_censored": []}
    for metric in metrics:
        events, ages = samples[metric]
        rows["n"].append(len(events))
        rows["n_censored"].append(len(ages))
        km = km_quantiles(events, ages, quantiles)
        # Judged against the same estimator without the open runs, so only they move it.
        step = km_quantiles(events, ages[:0], quantiles)
        plain = (np.quantile(events, list(quantiles)) if len(events)
                 else np.full(len(quantiles), np.nan))
        for q, k, p, base in zip(quantiles, km, plain, step, strict=True):
            name = _label(q)
            rows.setdefault(name, []).append(k)
            rows.setdefault(f"{name}_finished", []).append(p)
            rows.setdefault(f"{name}_differs", []).append(_differs(k, base))
    out = pd.DataFrame({"metric": pd.array(metrics, dtype=pd.StringDtype("pyarrow"))})
    for name, values in rows.items():
        if name == "metric":
            continue
        if name in ("n", "n_censored"):
            out[name] = np.asarray(values, dtype=np.int64)
        elif name.endswith("_differs"):
            out[name] = np.asarray(values, dtype=bool)
        else:
            out[name] = _float(np.asarray(values, dtype=np.float64))
    return out


def _label(q: float) -> str:
    """``0.5 -> "p50"``, ``0.9 -> "p90"``, ``0.995 -> "p99.5"``."""
    return f"p{q * 100:g}"
