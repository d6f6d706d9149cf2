"""What changed between two periods, with tests and a false-discovery control: :func:`changes`."""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np
import pandas as pd
from scipy import stats

from ..errors import UsageError
from ._common import (
    _US,
    FAILURE_STATUSES,
    Duration,
    _float,
    _seconds,
    _status_mask,
    _strings,
    _ts_us,
    _us,
    require_columns,
)
from ._tests import cohens_h, poisson_ratio, two_proportions, welch
from .timing import DEFAULT_SKEW_TOLERANCE_SECONDS, _timing_arrays

#: Metrics of :func:`changes`, in output order (``credits`` only when the frame has credits).
CHANGE_METRICS = ("success_rate", "failed_runs", "queue_seconds.p50", "queue_seconds.p90",
                  "duration_seconds.p50", "duration_seconds.p90", "runs", "credits")
#: Columns of :func:`changes`, in order.
CHANGE_COLUMNS = ("workflow_permanent_id", "workflow_title", "metric", "previous", "current",
                  "change", "effect_size", "test", "p_value", "p_adjusted", "significant",
                  "n_previous", "n_current")
#: Smallest sample per period (per pair of periods for counts) that is tested at all.
DEFAULT_MIN_N = 30
#: False discovery rate of the Benjamini-Hochberg procedure.
DEFAULT_ALPHA = 0.05

_FINISHED = ("completed", "failed", "terminated", "timed_out")


class _Window(NamedTuple):
    codes: np.ndarray  # workflow code per run in the window, -1 for no workflow
    period: np.ndarray  # 0 previous, 1 current
    ids: list[Any]
    titles: list[Any]
    rows: dict[str, np.ndarray]  # per-run arrays restricted to the window


class _Rows(NamedTuple):
    previous: np.ndarray
    current: np.ndarray
    n_previous: np.ndarray
    n_current: np.ndarray
    p: np.ndarray
    effect: np.ndarray
    test: np.ndarray


def _window(df: pd.DataFrame, bounds: tuple[int, int, int], tolerance: Duration | float,
            credits: bool) -> _Window:
    """The runs created in [previous start, period end), as arrays per run."""
    created = _us(df["created_at"])
    keep = (created >= bounds[0]) & (created < bounds[2])
    timing = _timing_arrays(df, tolerance, ("queue_seconds", "duration_seconds"))
    rows = {"completed": _status_mask(df, ["completed"])[keep],
            "finished": _status_mask(df, _FINISHED)[keep],
            "failed": _status_mask(df, FAILURE_STATUSES)[keep],
            "queue_seconds": timing["queue_seconds"].values[keep],
            "duration_seconds": timing["duration_seconds"].values[keep]}
    if credits:
        rows["credits"] = df["credits_used"].to_numpy(dtype=np.float64, na_value=np.nan)[keep]
    codes, ids = pd.factorize(df["workflow_permanent_id"][keep], sort=True)
    codes = codes.astype(np.int64, copy=False)
    first = np.full(len(ids), -1, dtype=np.int64)
    positions = np.arange(len(codes))[::-1]
    first[codes[::-1][codes[::-1] >= 0]] = positions[codes[::-1] >= 0]
    titles = (df["workflow_title"][keep].iloc[first].tolist() if "workflow_title" in df.columns
              else [None] * len(ids))
    period = (created[keep] >= bounds[1]).astype(np.int64)
    return _Window(codes, period, list(ids), titles, rows)


def _cells(win: _Window, weights: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Sums per group and period; group 0 is the organisation, workflow i is i + 1."""
    ng = len(win.ids)
    slot = np.where(win.codes >= 0, win.codes, ng) * 2 + win.period
    sums = np.bincount(slot, weights=weights, minlength=2 * ng + 2)[:2 * ng + 2]
    org = sums.reshape(-1, 2).sum(axis=0)
    table = np.vstack([org, sums[:2 * ng].reshape(-1, 2)])
    return table[:, 0].astype(np.float64), table[:, 1].astype(np.float64)


def _success(win: _Window, min_n: int) -> _Rows:
    done = win.rows["finished"]
    ok1, ok2 = _cells(win, (win.rows["completed"] & done).astype(np.float64))
    n1, n2 = _cells(win, done.astype(np.float64))
    with np.errstate(invalid="ignore", divide="ignore"):
        r1, r2 = ok1 / n1, ok2 / n2
    p, test = two_proportions(ok1, n1, ok2, n2, min_n)
    return _Rows(r1, r2, n1, n2, p, cohens_h(r1, r2), test)


def _count(win: _Window, mask: np.ndarray | None, ratio: float, min_n: int) -> _Rows:
    """A count per period (runs, or those in ``mask``); previous scaled to the current length."""
    c1, c2 = _cells(win, None if mask is None else mask.astype(np.float64))
    n1, n2 = _cells(win)
    k = c1 + c2
    share = ratio / (1 + ratio)
    with np.errstate(invalid="ignore", divide="ignore"):
        effect = cohens_h(np.full(k.shape, share), c2 / k)
    p = np.where(n1 + n2 >= min_n, poisson_ratio(c1, c2, ratio), np.nan)
    return _Rows(c1 * ratio, c2, n1, n2, p, effect,
                 np.full(len(k), "poisson_conditional", dtype=object))


def _segment_quantile(values: np.ndarray, keys: np.ndarray, nkeys: int,
                      q: float) -> np.ndarray:
    """Linear-interpolation quantile of each key's run of ``values`` (sorted by key, value)."""
    start = np.searchsorted(keys, np.arange(nkeys), "left")
    size = np.searchsorted(keys, np.arange(nkeys), "right") - start
    pos = start + q * np.maximum(size - 1, 0)
    lo = np.floor(pos).astype(np.int64)
    hi = np.minimum(np.ceil(pos).astype(np.int64), max(len(values) - 1, 0))
    if len(values) == 0:
        return np.full(nkeys, np.nan)
    lo = np.minimum(lo, len(values) - 1)
    out = values[lo] + (pos - lo) * (values[hi] - values[lo])
    return np.where(size > 0, out, np.nan)


def _small(keys: np.ndarray, nkeys: int) -> np.ndarray:
    """Keys in the narrowest int type: numpy's stable sort is a radix sort up to 16 bits."""
    return keys.astype(np.int16 if nkeys < 2**15 else np.int64, copy=False)


def _sorted(codes: np.ndarray, period: np.ndarray, values: np.ndarray,
            ng: int) -> tuple[np.ndarray, ...]:
    """Values sorted by (group, value) and by (group, period, value), with their keys."""
    order = np.argsort(values)
    if ng > 1:
        order = order[np.argsort(_small(codes[order], ng), kind="stable")]
    v, c = values[order], codes[order]
    cell = c * 2 + period[order]
    by_cell = np.argsort(_small(cell, 2 * ng), kind="stable")
    return v, c, cell, v[by_cell], cell[by_cell]


def _quantile_groups(parts: tuple[np.ndarray, ...], ng: int, q: float) -> tuple[np.ndarray, ...]:
    """Per group: q-quantile per period, counts per period and counts above the pooled one."""
    v, c, cell, cell_v, cell_keys = parts
    pooled = _segment_quantile(v, c, ng, q)
    per_cell = _segment_quantile(cell_v, cell_keys, 2 * ng, q).reshape(-1, 2)
    n = np.bincount(cell, minlength=2 * ng).reshape(-1, 2).astype(np.float64)
    above = np.bincount(cell, weights=(v > pooled[c]), minlength=2 * ng).reshape(-1, 2)
    return per_cell[:, 0], per_cell[:, 1], n[:, 0], n[:, 1], above[:, 0], above[:, 1]


def _quantiles(win: _Window, metric: str, min_n: int) -> dict[str, _Rows]:
    """Mood's quantile test at p50 and p90: each period's share above the pooled quantile."""
    values = win.rows[metric]
    known = ~np.isnan(values)
    wf = known & (win.codes >= 0)
    org = _sorted(np.zeros(known.sum(), np.int64), win.period[known], values[known], 1)
    flows = _sorted(win.codes[wf], win.period[wf], values[wf], len(win.ids))
    out = {}
    for q in (0.5, 0.9):
        both = zip(_quantile_groups(org, 1, q), _quantile_groups(flows, len(win.ids), q),
                   strict=True)
        q1, q2, n1, n2, a1, a2 = (np.concatenate(pair) for pair in both)
        p, test = two_proportions(a1, n1, a2, n2, min_n)
        with np.errstate(invalid="ignore", divide="ignore"):
            effect = cohens_h(a1 / n1, a2 / n2)
        test = np.where(test == "fisher_exact", "mood_quantile_fisher", "mood_quantile_z")
        out[f"{metric}.p{round(q * 100)}"] = _Rows(q1, q2, n1, n2, p, effect, test)
    return out


def _credits(win: _Window, ratio: float, min_n: int) -> _Rows:
    """Total credits; Welch's t test on credits per run (volume is the ``runs`` row)."""
    x = win.rows["credits"]
    known = ~np.isnan(x)
    x0 = np.where(known, x, 0.0)
    n1, n2 = _cells(win, known.astype(np.float64))
    s1, s2 = _cells(win, x0)
    ss1, ss2 = _cells(win, x0 * x0)
    with np.errstate(invalid="ignore", divide="ignore"):
        m1, m2 = s1 / n1, s2 / n2
        v1 = (ss1 - n1 * m1 * m1) / (n1 - 1)
        v2 = (ss2 - n2 * m2 * m2) / (n2 - 1)
    p, d = welch(n1, m1, np.maximum(v1, 0), n2, m2, np.maximum(v2, 0))
    tested = (n1 >= min_n) & (n2 >= min_n)
    return _Rows(s1 * ratio, s2, n1, n2, np.where(tested, p, np.nan), d,
                 np.full(len(n1), "welch_t_per_run", dtype=object))


def _metric_rows(win: _Window, ratio: float, min_n: int, credits: bool) -> dict[str, _Rows]:
    out = {"success_rate": _success(win, min_n),
           "failed_runs": _count(win, win.rows["failed"], ratio, min_n)}
    for metric in ("queue_seconds", "duration_seconds"):
        out.update(_quantiles(win, metric, min_n))
    out["runs"] = _count(win, None, ratio, min_n)
    if credits:
        out["credits"] = _credits(win, ratio, min_n)
    return out


def _assemble(win: _Window, parts: dict[str, _Rows], alpha: float) -> pd.DataFrame:
    ng, metrics = len(win.ids) + 1, list(parts)
    nm = len(metrics)

    def stack(field: str) -> np.ndarray:
        return np.stack([getattr(parts[m], field) for m in metrics], axis=1).reshape(-1)

    previous, current, p = stack("previous"), stack("current"), stack("p").astype(np.float64)
    tested = ~np.isnan(p)
    adjusted = np.full(len(p), np.nan)
    if tested.any():
        adjusted[tested] = stats.false_discovery_control(p[tested], method="bh")
    group = np.repeat(np.arange(ng), nm)
    ids = np.array([None, *win.ids], dtype=object)[group]
    titles = np.array([None, *win.titles], dtype=object)[group]
    return pd.DataFrame({
        "workflow_permanent_id": _strings(ids), "workflow_title": _strings(titles),
        "metric": _strings(np.tile(np.array(metrics, dtype=object), ng)),
        "previous": _float(previous), "current": _float(current),
        "change": _float(current - previous), "effect_size": _float(stack("effect")),
        "test": _strings(stack("test")), "p_value": _float(p), "p_adjusted": _float(adjusted),
        "significant": tested & (adjusted <= alpha),
        "n_previous": stack("n_previous").astype(np.int64),
        "n_current": stack("n_current").astype(np.int64)}, columns=list(CHANGE_COLUMNS))


def _has_credits(df: pd.DataFrame) -> bool:
    if "credits_used" not in df.columns:
        return False
    return bool(df["credits_used"].fillna(0).ne(0).any())


def changes(df: pd.DataFrame, *, period_start: Any, period_end: Any,
            baseline: Duration | None = None, min_n: int = DEFAULT_MIN_N,
            alpha: float = DEFAULT_ALPHA,
            skew_tolerance_seconds: Duration | float = DEFAULT_SKEW_TOLERANCE_SECONDS,
            ) -> pd.DataFrame:
    """The period against the one before it, per workflow and for the organisation.

    A run belongs to the period ``[period_start, period_end)`` or to the
    previous one ``[period_start - baseline, period_start)`` by ``created_at``
    (``baseline`` defaults to the period's length). Metrics and tests, each
    two-sided:

    * ``success_rate`` = completed / finished (completed, failed, terminated,
      timed_out; canceled excluded, as in :func:`success_rate`); null where no
      run finished. Pooled two-proportion z test, Fisher's exact test when an
      expected cell is below 5. n = finished runs.
    * ``failed_runs`` (failed, terminated, timed_out) and ``runs``: counts;
      the conditional Poisson test (current count ~ Binomial(total, r / (1 + r)),
      r = current length / previous length, doubled smaller tail). n = runs.
    * ``queue_seconds.pXX``, ``duration_seconds.pXX`` (as in :func:`timings`,
      finished intervals only; see :func:`censored_latency` for open ones):
      the period's percentile (linear interpolation); Mood's quantile test, a
      rank test comparing the shares of each period above the pooled
      percentile (z or Fisher as above). n = runs with the value known.
    * ``credits`` (only when ``credits_used`` exists and is not all zero):
      total credits; Welch's t test on credits per run (volume changes are
      the ``runs`` row). n = runs with credits known.

    ``previous`` of a count is scaled to the current period's length.
    ``effect_size`` is Cohen's h (``2 asin sqrt p2 - 2 asin sqrt p1``) of the
    rates, of the shares above the pooled percentile, and of the current share
    of the count against its expected share; Cohen's d for credits per run.
    A comparison is tested only with at least ``min_n`` in each period (in
    both together for counts); otherwise ``p_value`` is null and it is never
    significant. ``significant``: Benjamini-Hochberg adjusted p-value
    (``p_adjusted``, over every tested row of the result) <= ``alpha``.

    Args:
        df: a runs frame.
        period_start: first instant of the report period (naive is UTC).
        period_end: end of the report period (exclusive).
        baseline: length of the comparison window before ``period_start``,
            e.g. ``"28d"``; None for the period's own length.
        min_n: the minimum sample size described above.
        alpha: false discovery rate.
        skew_tolerance_seconds: as in :func:`timings`.

    Returns:
        ``CHANGE_COLUMNS``: the organisation first (``workflow_permanent_id``
        null), then workflows by id, metrics in ``CHANGE_METRICS`` order.

    Raises:
        SchemaError: a needed column is missing.
        UsageError: an empty period, a bad baseline, min_n or alpha.

    Example:
        >>> import pandas as pd
        >>> created = pd.date_range("2026-01-01", periods=80, freq="h", tz="UTC")
        >>> runs = pd.DataFrame({"workflow_permanent_id": "wpid_a", "workflow_title": "A",
        ...     "status": ["completed"] * 40 + ["failed"] * 30 + ["completed"] * 10,
        ...     "created_at": created, "queued_at": created, "started_at": created,
        ...     "finished_at": created + pd.Timedelta("5min")})
        >>> got = changes(runs, period_start="2026-01-02 16:00", period_end="2026-01-04 08:00")
        >>> cols = ["previous", "current", "n_previous", "n_current", "significant"]
        >>> rows = (got["workflow_permanent_id"] == "wpid_a") & (got["metric"] == "success_rate")
        >>> got.loc[rows, cols].to_dict("records")
        [{'previous': 1.0, 'current': 0.25, 'n_previous': 40, 'n_current': 40, 'significant': True}]
    """
    require_columns(df, ["workflow_permanent_id", "status", "created_at", "queued_at",
                         "started_at", "finished_at"], where="changes")
    start, end = _ts_us(period_start, "period_start"), _ts_us(period_end, "period_end")
    if end <= start:
        raise UsageError("period_end must be after period_start")
    before = end - start if baseline is None else round(_seconds(baseline, "baseline") * _US)
    if before <= 0:
        raise UsageError(f"baseline must be a positive duration, got {baseline!r}")
    if min_n < 1 or not 0 < alpha < 1:
        raise UsageError(f"need min_n >= 1 and 0 < alpha < 1, got {min_n!r}, {alpha!r}")
    credits = _has_credits(df)
    win = _window(df, (start - before, start, end), skew_tolerance_seconds, credits)
    parts = _metric_rows(win, (end - start) / before, min_n, credits)
    return _assemble(win, parts, alpha)
