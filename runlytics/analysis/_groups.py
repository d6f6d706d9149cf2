"""Grouping machinery: key groups, time buckets and statistics per group."""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np
import pandas as pd
from pandas.tseries.frequencies import to_offset

from ..errors import UsageError
from ._common import _NAT, _US, _check_tz, _ratio, _to_datetime, _us

#: Most buckets one call may make (a guard against ``freq="s"`` over a year).
MAX_BUCKETS = 1_000_000

_QUANTILES = (0.5, 0.9, 0.95, 0.99)


class _Groups(NamedTuple):
    codes: np.ndarray  # int64 group of each row, -1 = in no group
    ngroups: int
    keys: pd.DataFrame  # one row per group: the by columns, then "bucket" if bucketed
    buckets: int  # buckets per key (1 without freq); group = key * buckets + bucket


def _key_groups(df: pd.DataFrame, by: list[str]) -> tuple[np.ndarray, int, pd.DataFrame]:
    """Codes of the observed combinations of ``by`` (sorted, nulls last) and their keys."""
    n = len(df)
    if not by:
        count = 1 if n else 0
        return np.zeros(n, dtype=np.int64), count, pd.DataFrame(index=range(count))
    if len(by) == 1:
        codes, uniques = pd.factorize(df[by[0]], sort=True)
        codes = codes.astype(np.int64, copy=False)
        take = np.arange(len(uniques))
        if (codes < 0).any():
            codes = np.where(codes < 0, len(uniques), codes)
            take = np.append(take, -1)
        values = pd.api.extensions.take(uniques.array, take, allow_fill=True)
        keys = pd.DataFrame({by[0]: pd.Series(values, dtype=df[by[0]].dtype)})
        return codes, len(take), keys
    combined = np.zeros(n, dtype=np.int64)
    for col in by:
        codes, uniques = pd.factorize(df[col], sort=True)
        cardinality = len(uniques) + 1
        if n and (int(combined.max()) + 1) * cardinality >= 2**62:
            combined = np.unique(combined, return_inverse=True)[1].astype(np.int64)
        combined = combined * cardinality + np.where(codes < 0, len(uniques), codes)
    uniq, first, inverse = np.unique(combined, return_index=True, return_inverse=True)
    keys = df[by].iloc[first].reset_index(drop=True)
    return inverse.astype(np.int64).reshape(-1), len(uniq), keys


def _start_offset(freq: Any) -> pd.DateOffset:
    """The offset whose dates are bucket starts (end-anchored aliases moved to starts)."""
    try:
        offset = to_offset(freq)
    except (TypeError, ValueError) as exc:
        raise UsageError(f"freq must be a pandas offset alias such as 'h', 'D', 'W' or 'MS', "
                         f"got {freq!r}") from exc
    if offset.n <= 0:
        raise UsageError(f"freq must be a positive period, got {freq!r}")
    if isinstance(offset, pd.offsets.Week) and offset.weekday is not None:
        return pd.offsets.Week(n=offset.n, weekday=(offset.weekday + 1) % 7)
    if type(offset) is pd.offsets.MonthEnd:
        return pd.offsets.MonthBegin(offset.n)
    if type(offset) is pd.offsets.QuarterEnd:
        return pd.offsets.QuarterBegin(offset.n, startingMonth=offset.startingMonth % 12 + 1)
    if type(offset) is pd.offsets.YearEnd:
        return pd.offsets.YearBegin(offset.n, month=offset.month % 12 + 1)
    return offset


def _edges(lo_us: int, hi_us: int, freq: Any, tz: Any) -> np.ndarray:
    """Bucket starts (int64 us, UTC) covering [lo, hi] for ``freq`` in time zone ``tz``."""
    offset = _start_offset(freq)
    lo = pd.Timestamp(lo_us, unit="us", tz="UTC").tz_convert(tz)
    hi = pd.Timestamp(hi_us, unit="us", tz="UTC").tz_convert(tz)
    if isinstance(offset, pd.offsets.Tick):
        step_us = pd.Timedelta(offset).value // 1000
        if step_us <= 0 or (hi_us - lo_us) // step_us + 2 > MAX_BUCKETS:
            raise UsageError(f"freq={freq!r} makes more than {MAX_BUCKETS:,} buckets over "
                             f"{lo} .. {hi}; choose a coarser freq")
        start = lo.floor(offset, ambiguous=bool(lo.dst()), nonexistent="shift_backward")
        index = pd.date_range(start=start, end=hi, freq=offset)
    else:
        # Calendar offsets: walk the local wall-clock calendar, then localize.
        if (hi_us - lo_us) / (86_400 * _US) / offset.n + 2 > MAX_BUCKETS:
            raise UsageError(f"freq={freq!r} makes more than {MAX_BUCKETS:,} buckets; "
                             f"choose a coarser freq")
        lo_wall = lo.tz_localize(None).normalize()
        if not isinstance(offset, pd.offsets.Day):
            lo_wall = offset.rollback(lo_wall)
        wall = pd.date_range(start=lo_wall, end=hi.tz_localize(None), freq=offset)
        # An ambiguous start (clocks going back) is its first occurrence, so the
        # bucket holds all of its wall-clock time; a missing one moves forward.
        index = wall.tz_localize(tz, ambiguous=np.ones(len(wall), dtype=bool),
                                 nonexistent="shift_forward")
    edges = np.unique(index.as_unit("us").asi8)
    if len(edges) == 0 or edges[0] > lo_us:  # a shifted first edge must still cover lo
        edges = np.concatenate([[lo_us], edges[edges > lo_us]])
    return edges


def _bucket(ts_us: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Index of each timestamp's bucket; -1 for NaT."""
    codes = np.searchsorted(edges, ts_us, side="right").astype(np.int64) - 1
    codes[ts_us == _NAT] = -1
    return codes


def _range(*arrays: np.ndarray) -> tuple[int, int] | None:
    lows, highs = [], []
    for a in arrays:
        valid = a[a != _NAT]
        if valid.size:
            lows.append(int(valid.min()))
            highs.append(int(valid.max()))
    return (min(lows), max(highs)) if lows else None


def _bucket_dtype(tz: Any) -> pd.DatetimeTZDtype:
    return pd.DatetimeTZDtype("us", _check_tz(tz))


def _groups(df: pd.DataFrame, by: list[str], freq: Any, tz: Any,
            times: dict[str, np.ndarray] | None = None) -> tuple[_Groups, dict[str, np.ndarray]]:
    """Groups of rows by ``by`` x bucket of ``created_at`` (full product of keys and buckets).

    With ``times`` (name -> int64 us arrays), the bucket range covers all of
    them and each is returned as group codes, so events other than creation
    can be counted in the same cells.
    """
    key_codes, key_count, keys = _key_groups(df, by)
    if freq is None:
        coded = {name: np.where(ts != _NAT, key_codes, -1) for name, ts in (times or {}).items()}
        return _Groups(key_codes, key_count, keys, 1), coded
    tz = _check_tz(tz)
    times = times if times is not None else {"created_at": _us(df["created_at"])}
    dtype = _bucket_dtype(tz)
    span = _range(*times.values())
    if span is None or key_count == 0:
        keys = keys.iloc[:0].reset_index(drop=True)
        keys["bucket"] = pd.Series([], dtype=dtype)
        empty = np.full(len(df), -1, dtype=np.int64)
        return _Groups(empty, 0, keys, 1), {name: empty for name in times}
    edges = _edges(span[0], span[1], freq, tz)
    nb = len(edges)
    if key_count * nb > 20 * MAX_BUCKETS:
        raise UsageError(f"{key_count:,} groups x {nb:,} buckets is too many cells; "
                         f"choose a coarser freq or fewer by columns")
    coded = {}
    for name, ts in times.items():
        b = _bucket(ts, edges)
        coded[name] = np.where(b >= 0, key_codes * nb + b, -1)
    keys = keys.take(np.repeat(np.arange(key_count), nb)).reset_index(drop=True)
    keys["bucket"] = _to_datetime(np.tile(edges, key_count), tz).astype(dtype).array
    first = next(iter(coded.values()))
    return _Groups(first, key_count * nb, keys, nb), coded


def _count(codes: np.ndarray, ngroups: int, mask: np.ndarray | None = None) -> np.ndarray:
    selected = codes if mask is None else codes[mask]
    return np.bincount(selected[selected >= 0], minlength=ngroups)[:ngroups].astype(np.int64)


def _grouped_stats(codes: np.ndarray, values: np.ndarray, ngroups: int, *,
                   value_order: np.ndarray | None = None) -> dict[str, np.ndarray]:
    """n, mean, p50, p90, p95, p99, max of ``values`` per group (NaN and code -1 skipped).

    ``value_order``, when given, is ``np.argsort`` of the kept values (a cache
    for callers that group the same values several ways).
    """
    keep = (codes >= 0) & ~np.isnan(values)
    g, v = codes[keep], values[keep]
    n = np.bincount(g, minlength=ngroups).astype(np.int64)
    out: dict[str, np.ndarray] = {"n": n}
    has = n > 0
    out["mean"] = _ratio(np.bincount(g, weights=v, minlength=ngroups), n)
    order = np.argsort(v) if value_order is None else value_order
    if ngroups > 1:
        small = g[order].astype(np.int16 if ngroups < 2**15 else np.int64)
        order = order[np.argsort(small, kind="stable")]
    ordered = v[order]
    end = np.cumsum(n)
    start = end - n
    size = n[has]
    for q in _QUANTILES:
        # numpy's "linear" method, step by step, so results match np.percentile.
        virtual = (size - 1) * q
        below = np.floor(virtual)
        gamma = virtual - below
        lo = np.clip(below.astype(np.int64), 0, size - 1)
        hi = np.clip(lo + 1, 0, size - 1)
        a, b = ordered[start[has] + lo], ordered[start[has] + hi]
        diff = b - a
        value = np.where(gamma >= 0.5, b - diff * (1 - gamma), a + diff * gamma)
        col = np.full(ngroups, np.nan)
        col[has] = value
        out[f"p{round(q * 100)}"] = col
    top = np.full(ngroups, np.nan)
    top[has] = ordered[end[has] - 1]
    out["max"] = top
    return out


def _group_max(codes: np.ndarray, values: np.ndarray, ngroups: int,
               mask: np.ndarray) -> np.ndarray:
    out = np.full(ngroups, -np.inf)
    keep = mask & (codes >= 0)
    np.maximum.at(out, codes[keep], values[keep])
    out[np.isinf(out)] = np.nan
    return out
