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

import time
import warnings
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pandas as pd

from .. import dataset, store
from ..errors import UsageError
from ..fetch import Client
from ..query import DEFAULT_PAGE_SIZE, RunQuery
from ..redact import redact_table
from .partitions import upsert_partition
from .report import SyncReport
from .window import advance_state, incremental_concurrency, iso, rescan_us, span_us, window_start

__all__ = ["DEFAULT_LOOKBACK", "DEFAULT_MAX_OPEN_AGE", "SyncReport", "sync"]

DEFAULT_LOOKBACK = timedelta(minutes=15)
DEFAULT_MAX_OPEN_AGE = timedelta(days=7)


_OLD_OPTIONS = frozenset({"api_key", "base_url", "status", "search_key", "page_size",
                          "concurrency", "progress", "transport", "retry", "timeout",
                          "allow_insecure"})


def sync(directory: str | Path, query: RunQuery | None = None,
         client: Client | httpx.Client | None = None, *,
         lookback: timedelta | str | float = DEFAULT_LOOKBACK,
         rescan_days: float | None = None,
         max_open_age: timedelta | str | float = DEFAULT_MAX_OPEN_AGE,
         redact: bool = True, **options: Any) -> SyncReport:
    """Bring the runs dataset in ``directory`` up to date with the API.

    See the module docstring for what is read and what is guaranteed.

    Args:
        directory: the dataset (created on the first sync).
        query: which runs: ``status`` (applied locally), ``search_key`` (the
            server's filter) and ``page_size`` of a
            :class:`~runlytics.query.RunQuery`; a window, ``error_code`` or
            ``max_runs`` cannot be kept up to date. Default: every run.
        client: a :class:`runlytics.Client` (default: ``Client()``, from
            ``SKYVERN_API_KEY`` and ``SKYVERN_BASE_URL``).
        lookback: how far before the watermark and the oldest open run to
            read again, and how long a final run stays open: a duration (a
            timedelta or a span like ``"15m"``; see :mod:`runlytics.units`).
            Default 15 minutes.
        rescan_days: also read the runs created in the N days before the
            watermark (catches changes to settled runs).
        max_open_age: open runs last modified longer than this before the
            newest ``modified_at`` seen are no longer tracked. Default 7 days.
        redact: redact header values and URL credentials (``False`` keeps
            them); every sync of a dataset must agree.
        options: deprecated: the keyword options of
            :func:`runlytics.fetch_table` (``api_key``, ``base_url``,
            ``status``, ``page_size``, ...), and ``client`` as an
            ``httpx.Client``; pass the two objects instead.

    Returns:
        A :class:`SyncReport`; the state file keeps it too.

    Raises:
        UsageError: a bad option, a directory that is not a dataset, or
            filters, base URL or redaction that differ from earlier syncs.
        StoreError: the dataset cannot be read or written, or another sync
            of it is running.
        APIError, TransportError, SchemaError: from the fetch; nothing is
            written then.
    """
    started = time.monotonic()
    root = Path(directory)
    query, made = _sync_objects(query, client, options)
    spans = _Spans(lookback_us=span_us(lookback, "lookback"),
                   max_open_us=span_us(max_open_age, "max_open_age"),
                   rescan_us=rescan_us(rescan_days))
    filters: dict[str, Any] = {}
    if query.statuses:
        filters["status"] = sorted(set(query.statuses))
    if query.search_key:
        filters["search_key"] = query.search_key

    dataset.check_directory(root)
    with dataset.locked(root):
        dataset.clean_leftovers(root)
        state = dataset.read_state(root)
        if state is None:
            state = dataset.DatasetState(base_url=made.base_url, filters=filters,
                                         redacted=redact)
        else:
            _check_same(root, state, made.base_url, filters, redact)
        report = _sync_locked(root, state, query, made, spans, redact)
        report.elapsed_seconds = time.monotonic() - started
        state.last_report = report.to_dict()
        dataset.write_state(root, state)
    return report


@dataclass(frozen=True)
class _Spans:
    lookback_us: int
    max_open_us: int
    rescan_us: int | None


def _sync_locked(root: Path, state: dataset.DatasetState, query: RunQuery, client: Client,
                 spans: _Spans, redact: bool) -> SyncReport:
    """Read the window, upsert the partitions, advance the state (not yet written)."""
    lower_us = window_start(state, spans.lookback_us, spans.rescan_us)
    report = SyncReport(directory=str(root), first_sync=state.syncs == 0,
                        window_start=iso(lower_us))
    window = RunQuery(search_key=query.search_key, page_size=query.page_size,
                      since=None if lower_us is None else
                      pd.Timestamp(lower_us, unit="us", tz="UTC"))
    if lower_us is not None:
        client = client.replace(concurrency=incremental_concurrency(root, lower_us, query.page_size,
                                                         client.concurrency))
    fresh, fetch_report = client.fetch(window)
    if redact:
        fresh = redact_table(fresh)
    report.runs_read = fresh.num_rows
    report.requests = fetch_report.requests
    report.fetch = fetch_report.to_dict()

    metadata = store.extract_metadata(
        redacted=redact, base_url=state.base_url, filters=state.filters,
        fetched_at=datetime.now(UTC), fetch_report=fetch_report.to_dict(),
        window_start=report.window_start)
    for day, rows in sorted(dataset.split_by_day(fresh).items()):
        upsert_partition(root, day, rows, list(query.statuses), metadata, report)

    advance_state(state, fresh, spans.lookback_us, spans.max_open_us, report)
    report.runs_total = dataset.count_runs(root)
    report.open_runs = len(state.open_runs)
    return report


def _sync_objects(query: RunQuery | None, client: Client | httpx.Client | None,
                  options: dict[str, Any]) -> tuple[RunQuery, Client]:
    """The query and client of a sync; the deprecated keyword options build them."""
    unknown = set(options) - _OLD_OPTIONS
    if unknown:
        raise TypeError(f"sync() got an unexpected keyword argument {sorted(unknown)[0]!r}")
    http_client = client if isinstance(client, httpx.Client) else None
    if options or http_client is not None:
        warnings.warn("sync(directory, api_key=..., status=..., ...) is deprecated: pass "
                      "sync(directory, RunQuery(...), Client(...))", DeprecationWarning,
                      stacklevel=3)
        if query is None:
            query = RunQuery(status=options.pop("status", None),
                             search_key=options.pop("search_key", None),
                             page_size=options.pop("page_size", DEFAULT_PAGE_SIZE))
        options = {k: v for k, v in options.items() if k not in ("status", "search_key",
                                                                 "page_size")}
        client = Client(http_client=http_client, **options)
    query = query if query is not None else RunQuery()
    for name, option in (("error_code", "--error-code"), ("max_runs", "--max-runs"),
                         ("since", "--since"), ("until", "--until")):
        if getattr(query, name) is not None:
            raise UsageError(f"sync cannot keep a {name} ({option}) selection up to date; "
                             f"fetch one with runlytics.fetch_table or `runlytics fetch "
                             f"{option} ...`")
    return query, client if isinstance(client, Client) else Client()


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
