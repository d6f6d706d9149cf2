"""Keep a local runs dataset up to date: one full fetch, then small incremental ones.

The API lists runs newest *created* first and cannot be asked what changed
since a moment, so a sync bounds where changes can be instead:

* A run is **open** when its status is not final (created, queued, running,
  paused), when it is final but a retry is pending (``retry_pending``: the
  retry policy will put it back to queued), or when it reached its final
  state less than ``lookback`` before the newest ``modified_at`` seen (the
  server's clock, as the data tells it). Every other run is **settled**. The
  state file keeps the id and ``created_at`` of every open run.
* A sync reads the list from the newest run down to
  ``min(watermark, oldest open run's created_at) - lookback``, where the
  watermark is the newest ``created_at`` seen so far. The first sync reads
  everything. ``rescan_days=N`` also reads the N days before the watermark.
* What it reads is upserted by ``workflow_run_id`` (the newest
  ``modified_at`` wins) into the partitions it touches; a partition whose
  runs did not change is not rewritten.

What this guarantees. After a sync, the dataset equals a full fresh fetch
with the same filters for every run that was new, open at the previous sync,
or created within the window, and so for every run whose changes follow the
API's lifecycle: runs finishing, failing, being canceled or timed out, and
final runs reopened by a retry policy (which announces the reopening with
``retry_pending`` while the run is final; a flag written up to ``lookback``
after the final status is covered too). Runs that appear late with a
``created_at`` up to ``lookback`` before the watermark (clock skew between
hosts, slow commits) are caught.

What it does not catch without a rescan: a change to a run that was settled
when last synced (final, no retry pending, quiet for longer than
``lookback``) whose ``created_at`` is before the window, e.g. a retry
scheduled with no ``retry_pending`` announcement, an operator editing an
old run, a sweeper filling in ``finished_at`` hours later. A run deleted from
the server stays in the dataset. ``rescan_days=N`` (``--rescan-days N``)
catches these for runs created in the N days before the watermark; run it
now and then (say weekly, with N above your retry horizon). An open run
that shows no sign of life for ``max_open_age`` (its ``modified_at`` that
much older than the newest seen; default 7 days, while Skyvern's sweeper
ends stuck runs within a day) stops being tracked, so that a run stuck
forever cannot make every sync read the whole history; the report counts
such runs.

Filters. ``search_key`` is sent to the server: whether a run matches it does
not change during the run's life. ``status`` is applied here, to the runs
read, because a run's status does change: a run running at one sync and
failed at the next must be seen to join a ``status="failed"`` dataset, and
one reopened by a retry must leave it. So every sync reads all statuses and
the dataset keeps the matching runs. Every sync of a dataset must use the
same filters (and base URL, and redaction); ``error_code``, ``max_runs`` and
``since``/``until`` cannot be synced: use :func:`runlytics.fetch.fetch_table`.

A sync killed at any moment leaves a dataset that reads whole (see
:mod:`runlytics.dataset`); its state file is written last, so the next sync
reads the same window again and finishes the job.
"""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from . import dataset, store
from .client import (
    DEFAULT_CONCURRENCY,
    DEFAULT_PAGE_SIZE,
    RetryPolicy,
    check_filters,
    resolve_base_url,
)
from .errors import UsageError, safe_url
from .fetch import FetchReport, fetch_table
from .frame import dedupe_runs
from .redact import redact_table
from .schema import FINAL_STATUSES
from .units import parse_span

__all__ = ["DEFAULT_LOOKBACK", "DEFAULT_MAX_OPEN_AGE", "SyncReport", "sync"]

DEFAULT_LOOKBACK = timedelta(minutes=15)
DEFAULT_MAX_OPEN_AGE = timedelta(days=7)
_FINAL = pa.array(FINAL_STATUSES)


@dataclass
class SyncReport:
    """What a sync did.

    Attributes:
        directory: the dataset directory.
        first_sync: no earlier complete sync: everything was read.
        window_start: oldest ``created_at`` read (ISO 8601), None for everything.
        runs_read: runs the API returned in the window (all statuses).
        runs_added, runs_updated, runs_removed: changes to the dataset
            (removed: runs that no longer match the status filter).
        runs_reopened: runs stored as final that came back not final.
        runs_total: runs in the dataset after the sync.
        open_runs: runs tracked for the next sync.
        open_runs_given_up: open runs quiet for longer than ``max_open_age``,
            no longer tracked.
        partitions_written, partitions_removed: partition days rewritten / deleted.
        requests: HTTP requests made.
        elapsed_seconds: wall time.
        fetch: the :class:`~runlytics.fetch.FetchReport`, as a dict.
    """

    directory: str
    first_sync: bool
    window_start: str | None
    runs_read: int = 0
    runs_added: int = 0
    runs_updated: int = 0
    runs_removed: int = 0
    runs_reopened: int = 0
    runs_total: int = 0
    open_runs: int = 0
    open_runs_given_up: int = 0
    partitions_written: list[str] = field(default_factory=list)
    partitions_removed: list[str] = field(default_factory=list)
    requests: int = 0
    elapsed_seconds: float = 0.0
    fetch: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def summary(self) -> str:
        """One line for people (the CLI prints it on stderr)."""
        window = "everything" if self.window_start is None else f"from {self.window_start}"
        reopened = f" ({self.runs_reopened:,} reopened)" if self.runs_reopened else ""
        given_up = (f", {self.open_runs_given_up:,} given up as stuck"
                    if self.open_runs_given_up else "")
        return (f"synced {self.directory}: read {self.runs_read:,} runs ({window}) in "
                f"{self.requests:,} requests; +{self.runs_added:,} new, "
                f"{self.runs_updated:,} updated{reopened}, {self.runs_removed:,} removed; "
                f"{len(self.partitions_written):,} partitions written; "
                f"{self.runs_total:,} runs, {self.open_runs:,} open{given_up}; "
                f"{self.elapsed_seconds:.1f} s")


def sync(directory: str | Path, *, api_key: str | None = None, base_url: str | None = None,
         status: str | Sequence[str] | None = None, search_key: str | None = None,
         lookback: timedelta | str | float = DEFAULT_LOOKBACK,
         rescan_days: float | None = None,
         max_open_age: timedelta | str | float = DEFAULT_MAX_OPEN_AGE,
         redact: bool = True, page_size: int = DEFAULT_PAGE_SIZE,
         concurrency: int = DEFAULT_CONCURRENCY, progress: bool | None = None,
         client: httpx.Client | None = None, transport: httpx.BaseTransport | None = None,
         retry: RetryPolicy | None = None, timeout: float | None = None,
         allow_insecure: bool = False) -> SyncReport:
    """Bring the runs dataset in ``directory`` up to date with the API.

    See the module docstring for what is read and what is guaranteed.

    Args:
        directory: the dataset (created on the first sync).
        api_key, base_url: as for :func:`runlytics.fetch.fetch_table`.
        status: keep only runs with this status (or these), applied locally.
        search_key: the server's substring filter.
        lookback: how far before the watermark and the oldest open run to
            read again, and how long a final run stays open: a timedelta, a
            span like ``"15m"``, or seconds. Default 15 minutes.
        rescan_days: also read the runs created in the N days before the
            watermark (catches changes to settled runs).
        max_open_age: open runs last modified longer than this before the
            newest ``modified_at`` seen are no longer tracked. Default 7 days.
        redact: redact header values and URL credentials (``False`` keeps
            them); every sync of a dataset must agree.
        page_size, concurrency, progress, client, transport, retry, timeout,
        allow_insecure: as for :func:`runlytics.fetch.fetch_table`.

    Returns:
        A :class:`SyncReport`; the state file keeps it too.

    Raises:
        UsageError: a bad option, a directory that is not a dataset, or
            filters, base URL or redaction that differ from earlier syncs.
        StoreError: the dataset cannot be read or written, or another sync
            of it is running.
        APIError, TransportError, SchemaError: from the fetch; nothing is
            written then.

    Example:
        >>> report = sync("runs/", lookback="30m")  # doctest: +SKIP
        >>> print(report.summary())  # doctest: +SKIP
    """
    started = time.monotonic()
    root = Path(directory)
    statuses = check_filters(status=status, search_key=search_key, error_code=None,
                             page_size=page_size, concurrency=concurrency)
    lookback_us = _span_us(lookback, "lookback")
    max_open_us = _span_us(max_open_age, "max_open_age")
    if rescan_days is not None and (isinstance(rescan_days, bool) or not isinstance(
            rescan_days, int | float) or rescan_days < 0):
        raise UsageError(f"rescan_days must be a number of days >= 0, got {rescan_days!r}")
    rescan_us = None if rescan_days is None else int(rescan_days * 86_400 * 1_000_000)
    url = safe_url(resolve_base_url(base_url, allow_insecure=allow_insecure))
    if not (api_key or os.environ.get("SKYVERN_API_KEY")):  # before DIR is created
        raise UsageError("no API key: set SKYVERN_API_KEY or pass api_key= (--api-key)")
    filters: dict[str, Any] = {}
    if statuses:
        filters["status"] = sorted(set(statuses))
    if search_key:
        filters["search_key"] = search_key

    dataset.check_directory(root)
    with dataset.locked(root):
        dataset.clean_leftovers(root)
        state = dataset.read_state(root)
        if state is None:
            state = dataset.DatasetState(base_url=url, filters=filters, redacted=redact)
        else:
            _check_same(root, state, url, filters, redact)
        lower_us = _window_start(state, lookback_us, rescan_us)
        report = SyncReport(directory=str(root), first_sync=state.syncs == 0,
                            window_start=_iso(lower_us))
        fetch_report = FetchReport()
        fresh = fetch_table(
            api_key=api_key, base_url=base_url, search_key=search_key, page_size=page_size,
            concurrency=(concurrency if lower_us is None else
                         _concurrency(root, lower_us, page_size, concurrency)),
            since=None if lower_us is None else pd.Timestamp(lower_us, unit="us", tz="UTC"),
            progress=progress, client=client, transport=transport, retry=retry,
            timeout=timeout, allow_insecure=allow_insecure, report=fetch_report)
        if redact:
            fresh = redact_table(fresh)
        report.runs_read = fresh.num_rows
        report.requests = fetch_report.requests
        report.fetch = fetch_report.to_dict()

        metadata = store.extract_metadata(
            redacted=redact, base_url=url, filters=filters, fetched_at=datetime.now(UTC),
            fetch_report=fetch_report.to_dict(), window_start=report.window_start)
        for day, rows in sorted(dataset.split_by_day(fresh).items()):
            _sync_partition(root, day, rows, statuses, metadata, report)

        _advance_state(state, fresh, lookback_us, max_open_us, report)
        report.runs_total = dataset.count_runs(root)
        report.open_runs = len(state.open_runs)
        report.elapsed_seconds = time.monotonic() - started
        state.last_report = report.to_dict()
        dataset.write_state(root, state)
    return report


def _sync_partition(root: Path, day: str, rows: pa.Table, statuses: list[str],
                    metadata: dict[str, Any], report: SyncReport) -> None:
    """Upsert ``rows`` into one partition; rewrite it only when its runs changed."""
    stored = dataset.read_partition(root, day)
    if stored.num_rows:
        merged, _ = dedupe_runs(pa.concat_tables([stored, rows]))  # rows last: win ties
    else:
        merged = rows  # from fetch_table: one row per run, in order already
    if statuses:
        merged = merged.filter(pc.is_in(merged.column("status").cast(pa.string()),
                                        value_set=pa.array(statuses)))
    if stored.num_rows:
        old = _by_id(stored)
        new = _by_id(merged)
        report.runs_added += len(new.keys() - old.keys())
        report.runs_removed += len(old.keys() - new.keys())
        report.runs_updated += sum(1 for k in new.keys() & old.keys() if new[k] != old[k])
        for run_id, run_status in zip(rows.column("workflow_run_id").to_pylist(),
                                      rows.column("status").to_pylist(), strict=True):
            if run_id in old and old[run_id][1] in FINAL_STATUSES \
                    and run_status not in FINAL_STATUSES:
                report.runs_reopened += 1
    else:
        report.runs_added += merged.num_rows
    if dataset.same_runs(merged, stored):
        return
    if merged.num_rows:
        dataset.write_partition(root, day, merged, {**metadata, "partition": day})
        report.partitions_written.append(day)
    else:
        dataset.remove_partition(root, day)
        report.partitions_removed.append(day)


def _by_id(table: pa.Table) -> dict[str, tuple[Any, Any]]:
    return dict(zip(table.column("workflow_run_id").to_pylist(),
                    zip(table.column("modified_at").cast(pa.int64()).to_pylist(),
                        table.column("status").cast(pa.string()).to_pylist(), strict=True),
                    strict=True))


def _advance_state(state: dataset.DatasetState, fresh: pa.Table, lookback_us: int,
                   max_open_us: int, report: SyncReport) -> None:
    """New watermark, server clock and open runs from the runs just read."""
    state.syncs += 1
    state.synced_at = datetime.now(UTC).isoformat().replace("+00:00", "Z")
    if not fresh.num_rows:
        state.open_runs = {}
        return
    created = fresh.column("created_at").cast(pa.int64()).to_numpy()
    modified = fresh.column("modified_at").cast(pa.int64()).to_numpy()
    state.watermark_us = max(state.watermark_us or int(created.max()), int(created.max()))
    state.reference_us = max(state.reference_us or int(modified.max()), int(modified.max()))
    final = pc.is_in(fresh.column("status").cast(pa.string()), value_set=_FINAL).to_numpy(
        zero_copy_only=False)
    pending = fresh.column("retry_pending").fill_null(False).to_numpy(zero_copy_only=False)
    unfinished = ~final | pending
    settling = final & (modified > state.reference_us - lookback_us)
    alive = modified >= state.reference_us - max_open_us
    tracked = (unfinished | settling) & alive
    report.open_runs_given_up = int((unfinished & ~alive).sum())
    ids = np.asarray(fresh.column("workflow_run_id").to_pylist(), dtype=object)
    state.open_runs = dict(zip(ids[tracked].tolist(), created[tracked].tolist(), strict=True))


def _window_start(state: dataset.DatasetState, lookback_us: int,
                  rescan_us: int | None) -> int | None:
    """Oldest ``created_at`` to read (µs), or None to read everything."""
    if state.watermark_us is None:
        return None
    start = min([state.watermark_us, *state.open_runs.values()]) - lookback_us
    if rescan_us is not None:
        start = min(start, state.watermark_us - rescan_us)
    return start


def _concurrency(root: Path, lower_us: int, page_size: int, concurrency: int) -> int:
    """Requests in flight for an incremental read: few pages want few (no overshoot)."""
    known = store.read_table(root, since=pd.Timestamp(lower_us, unit="us", tz="UTC"),
                             columns=["created_at"]).num_rows
    pages = known // page_size + 1
    return max(1, min(concurrency, pages // 4))


def _check_same(root: Path, state: dataset.DatasetState, url: str, filters: dict[str, Any],
                redact: bool) -> None:
    if state.filters != filters:
        raise UsageError(f"{root} was synced with filters {_show(state.filters)}, not "
                         f"{_show(filters)}: a dataset holds one selection of runs; repeat "
                         "the same filters or sync into another directory")
    if state.base_url != url:
        raise UsageError(f"{root} holds runs from {state.base_url}, not {url}; sync into "
                         "another directory")
    if state.redacted != redact:
        held = "redacted" if state.redacted else "unredacted (--keep-secrets)"
        raise UsageError(f"{root} holds {held} values; every sync of a dataset must agree "
                         "on --keep-secrets: sync into another directory")


def _show(filters: dict[str, Any]) -> str:
    return "{" + ", ".join(f"{k}={v!r}" for k, v in filters.items()) + "}" if filters \
        else "{} (none)"


def _span_us(value: timedelta | str | float, name: str) -> int:
    if isinstance(value, timedelta):
        span = value
    elif isinstance(value, str):
        parsed = parse_span(value)
        if parsed is None:
            raise UsageError(f"{name}: {value!r} is not a span like 15m, 2h, 7d")
        span = parsed.to_pytimedelta()
    elif isinstance(value, int | float) and not isinstance(value, bool):
        span = timedelta(seconds=value)
    else:
        raise UsageError(f"{name}: expected a timedelta, a span like 15m, or seconds; "
                         f"got {value!r}")
    if span < timedelta(0):
        raise UsageError(f"{name} must not be negative, got {value!r}")
    return int(span / timedelta(microseconds=1))


def _iso(us: int | None) -> str | None:
    if us is None:
        return None
    return pd.Timestamp(us, unit="us", tz="UTC").isoformat().replace("+00:00", "Z")
