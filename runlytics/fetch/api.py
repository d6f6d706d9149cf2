"""The public entry points: :func:`iter_pages`, :func:`fetch_table`, :func:`fetch_runs`.

They check the options, open a :class:`~runlytics.client.RunsClient` and run
the passes (:mod:`runlytics.fetch.pager`) over it; the package docstring
says why the answer is exact.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httpx
import orjson
import pandas as pd
import pyarrow as pa

from ..client import (
    DEFAULT_CONCURRENCY,
    DEFAULT_PAGE_SIZE,
    Page,
    RetryPolicy,
    RunsClient,
    build_params,
    check_filters,
)
from ..errors import UsageError
from ..frame import dedupe_runs, frame_from_table, runs_table
from ..units import to_utc
from .pager import Pager as _Pager  # the name _run_pages had for it, kept as it is
from .report import FetchReport

__all__ = ["fetch_runs", "fetch_table", "iter_pages"]


@dataclass
class _Options:
    params: list[tuple[str, str]]
    page_size: int
    concurrency: int
    since_us: int | None
    until_us: int | None
    max_runs: int | None


def _options(status: str | Sequence[str] | None, search_key: str | None,
             error_code: str | None, page_size: int, concurrency: int,
             since: datetime | str | None, until: datetime | str | None,
             max_runs: int | None) -> _Options:
    statuses = check_filters(status=status, search_key=search_key, error_code=error_code,
                             page_size=page_size, concurrency=concurrency)
    if max_runs is not None and (not isinstance(max_runs, int) or max_runs < 1):
        raise UsageError(f"max_runs must be a whole number >= 1, got {max_runs!r}")
    return _Options(
        params=build_params(statuses, search_key, error_code),
        page_size=page_size, concurrency=concurrency,
        since_us=_bound_us(since, "since"), until_us=_bound_us(until, "until"),
        max_runs=max_runs,
    )


def _bound_us(value: datetime | str | None, name: str) -> int | None:
    """``since``/``until`` in µs since the epoch (UTC); out-of-range values are usage errors."""
    try:
        stamp = to_utc(value, name)
        # not .value: nanoseconds overflow before year 1677
        return None if stamp is None else int(stamp.as_unit("us").asm8.view("i8"))
    except (OverflowError, pd.errors.OutOfBoundsDatetime, pd.errors.OutOfBoundsTimedelta):
        raise UsageError(f"{name}: {value!r} is out of range (years 1 to 9999)") from None


def _filters(**values: Any) -> dict[str, Any]:
    return {k: (str(v) if isinstance(v, datetime) else v) for k, v in values.items()
            if v not in (None, [], ())}


def _progress_bar(progress: bool | None) -> Any:
    if progress is None:
        progress = sys.stderr.isatty() or "ipykernel" in sys.modules
    if not progress:
        return None
    try:  # a widget bar in Jupyter when ipywidgets is there, else text on stderr
        import ipywidgets  # noqa: F401
        from tqdm.auto import tqdm
    except ImportError:
        from tqdm import tqdm
    return tqdm(unit=" runs", desc="fetching runs", file=sys.stderr, leave=False)


def _run_pages(*, api_key: str | None, base_url: str | None, options: _Options,
               filters: dict[str, Any], progress: bool | None, client: httpx.Client | None,
               transport: httpx.BaseTransport | None, retry: RetryPolicy | None,
               timeout: float | None, allow_insecure: bool,
               report: FetchReport) -> Iterator[Page]:
    started = time.monotonic()
    runs_client = RunsClient(api_key=api_key, base_url=base_url, client=client,
                             transport=transport, retry=retry, timeout=timeout,
                             allow_insecure=allow_insecure,
                             max_connections=max(options.concurrency, 8))
    report.base_url, report.filters = runs_client.base_url, filters
    bar = _progress_bar(progress)
    try:
        for page in _Pager(runs_client, options, report, bar).pages():
            yield page
            # The pager keeps pages for their ids and times, never their bodies:
            # the caller has taken the body, so memory does not grow with them.
            page.body = b""
    finally:
        if bar is not None:
            bar.close()
        report.requests = runs_client.counters.requests
        report.retries = runs_client.counters.retries
        report.retry_reasons = dict(runs_client.counters.retry_reasons)
        report.elapsed_seconds = time.monotonic() - started
        runs_client.close()


def iter_pages(*, api_key: str | None = None, base_url: str | None = None,
               status: str | Sequence[str] | None = None, search_key: str | None = None,
               error_code: str | None = None, page_size: int = DEFAULT_PAGE_SIZE,
               concurrency: int = DEFAULT_CONCURRENCY, since: datetime | str | None = None,
               until: datetime | str | None = None, max_runs: int | None = None,
               progress: bool | None = None, client: httpx.Client | None = None,
               transport: httpx.BaseTransport | None = None, retry: RetryPolicy | None = None,
               timeout: float | None = None, allow_insecure: bool = False,
               report: FetchReport | None = None) -> Iterator[list[dict[str, Any]]]:
    """Yield the runs page by page as they arrive, each run once.

    Every run is yielded the first time it is seen (later copies, from a list
    that moved while paging, are left out), filtered by ``since``/``until``.
    Use :func:`fetch_runs` for a typed frame in which the newest copy wins.

    Args:
        api_key: default ``SKYVERN_API_KEY``.
        base_url: default ``SKYVERN_BASE_URL``, else ``https://api.skyvern.com``.
        status: one status or several (sent as repeated ``status`` keys).
        search_key, error_code: the endpoint's filters (at most 500 characters).
        page_size: runs per request (default 100).
        concurrency: requests in flight at once (default 8).
        since, until: ``created_at`` bounds, ``since`` inclusive and ``until``
            exclusive; datetimes (naive = UTC), ISO strings or spans like ``7d``.
        max_runs: stop once this many runs in range were seen (the newest).
        progress: a progress bar on stderr; default when stderr is a terminal
            or in Jupyter.
        client, transport: an ``httpx.Client`` or transport to use (tests).
        retry: a :class:`~runlytics.client.RetryPolicy`.
        report: a :class:`FetchReport` to fill in.

    Raises:
        UsageError, AuthError, NotFoundError, RequestError, RateLimitError,
        ServerError, TransportError, SchemaError: see :mod:`runlytics.errors`.

    Example:
        >>> for runs in iter_pages(status="failed", since="1d"):  # doctest: +SKIP
        ...     print(len(runs))
    """
    options = _options(status, search_key, error_code, page_size, concurrency, since, until,
                       max_runs)
    yielded: set[str] = set()
    count = 0
    for page in _run_pages(api_key=api_key, base_url=base_url, options=options,
                           filters=_filters(status=status, search_key=search_key,
                                            error_code=error_code, since=since, until=until,
                                            max_runs=max_runs),
                           progress=progress, client=client, transport=transport,
                           retry=retry, timeout=timeout, allow_insecure=allow_insecure,
                           report=report or FetchReport()):
        runs = []
        for run, run_id, created in zip(orjson.loads(page.body), page.index.ids,
                                        page.index.created_us.tolist(), strict=True):
            if run_id not in yielded:
                yielded.add(run_id)
                if _in_bounds(created, options):
                    runs.append(run)
        if options.max_runs is not None:
            runs = runs[: max(options.max_runs - count, 0)]
        count += len(runs)
        if runs:
            yield runs


def _in_bounds(created_us: int, options: _Options) -> bool:
    return (options.since_us is None or created_us >= options.since_us) and (
        options.until_us is None or created_us < options.until_us)


def fetch_table(*, api_key: str | None = None, base_url: str | None = None,
                status: str | Sequence[str] | None = None, search_key: str | None = None,
                error_code: str | None = None, page_size: int = DEFAULT_PAGE_SIZE,
                concurrency: int = DEFAULT_CONCURRENCY, since: datetime | str | None = None,
                until: datetime | str | None = None, max_runs: int | None = None,
                progress: bool | None = None, client: httpx.Client | None = None,
                transport: httpx.BaseTransport | None = None, retry: RetryPolicy | None = None,
                timeout: float | None = None, allow_insecure: bool = False,
                report: FetchReport | None = None) -> pa.Table:
    """Like :func:`fetch_runs`, but the typed Arrow table (what Parquet stores)."""
    report = report if report is not None else FetchReport()
    options = _options(status, search_key, error_code, page_size, concurrency, since, until,
                       max_runs)
    pages = _run_pages(api_key=api_key, base_url=base_url, options=options,
                       filters=_filters(status=status, search_key=search_key,
                                        error_code=error_code, since=since, until=until,
                                        max_runs=max_runs),
                       progress=progress, client=client, transport=transport, retry=retry,
                       timeout=timeout, allow_insecure=allow_insecure, report=report)
    table = runs_table(page.body for page in pages)
    table, repeats = dedupe_runs(table, since_us=options.since_us, until_us=options.until_us,
                                 max_runs=options.max_runs)
    report.duplicates_dropped = repeats
    report.runs = table.num_rows
    return table


def fetch_runs(*, api_key: str | None = None, base_url: str | None = None,
               status: str | Sequence[str] | None = None, search_key: str | None = None,
               error_code: str | None = None, page_size: int = DEFAULT_PAGE_SIZE,
               concurrency: int = DEFAULT_CONCURRENCY, since: datetime | str | None = None,
               until: datetime | str | None = None, max_runs: int | None = None,
               progress: bool | None = None, client: httpx.Client | None = None,
               transport: httpx.BaseTransport | None = None, retry: RetryPolicy | None = None,
               timeout: float | None = None, allow_insecure: bool = False,
               report: FetchReport | None = None) -> pd.DataFrame:
    """Fetch every run that matches the filters into the typed runs frame.

    Takes the same arguments as :func:`iter_pages`. Page bodies go straight to
    the Arrow-based frame builder. Each run appears once (the copy with the
    newest ``modified_at`` wins), newest ``created_at`` first, ties by id.
    Pass a :class:`FetchReport` as ``report`` to learn how the fetch went.

    Example:
        >>> runs = fetch_runs(status=["failed", "timed_out"], since="7d")  # doctest: +SKIP
    """
    table = fetch_table(api_key=api_key, base_url=base_url, status=status,
                        search_key=search_key, error_code=error_code, page_size=page_size,
                        concurrency=concurrency, since=since, until=until, max_runs=max_runs,
                        progress=progress, client=client, transport=transport, retry=retry,
                        timeout=timeout, allow_insecure=allow_insecure, report=report)
    return frame_from_table(table, consume=True)
