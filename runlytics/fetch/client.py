"""The two objects' fetch: :class:`Client`, with what it returns.

:class:`Client` is *how* to reach the server (the
:class:`~runlytics.query.RunQuery` says *which* runs); :meth:`Client.fetch`
returns :class:`Fetched` (the typed table and the :class:`FetchReport`),
:meth:`Client.pages` a lazy :class:`PageStream`. Both run the passes of
:mod:`runlytics.fetch.pager` over one :class:`~runlytics.client.RunsClient`.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import orjson
import pandas as pd
import pyarrow as pa

from ..client import DEFAULT_CONCURRENCY, Page, RetryPolicy, RunsClient, resolve_base_url
from ..errors import UsageError, safe_url
from ..fetch_report import FetchReport
from ..frame import dedupe_runs, runs_table, table_to_frame
from ..query import RunQuery
from .pager import Pager

__all__ = ["Client", "Fetched", "PageStream"]


class Client:
    """How to reach the server: key, base URL, HTTP, retries, requests in flight.

    The other half of every fetch is the :class:`~runlytics.query.RunQuery`
    (which runs). Like ``httpx.Client``, one object is made once and used for
    many calls: :meth:`fetch` and :meth:`pages` here, and
    :func:`runlytics.sync.sync` and the report inputs take it too. It is
    checked when made (a bad URL or a missing key fails before any request)
    and never shows the key.

    Args:
        api_key: default ``SKYVERN_API_KEY``.
        base_url: default ``SKYVERN_BASE_URL``, else ``https://api.skyvern.com``.
        concurrency: requests in flight at once (default 8).
        retry: a :class:`~runlytics.client.RetryPolicy`.
        timeout: per-request timeout in seconds (default 30, connect 10).
        allow_insecure: accept plain http to a host other than this machine.
        progress: a progress bar on stderr; default when stderr is a terminal
            or in Jupyter.
        http_client, transport: an ``httpx.Client`` or transport to use (tests).

    Raises:
        UsageError: no key, a bad base URL or concurrency.

    Example:
        >>> client = Client(api_key="sk-example", base_url="https://skyvern.example.com")
        >>> client
        Client(base_url='https://skyvern.example.com', api_key='***', concurrency=8)
    """

    def __init__(self, *, api_key: str | None = None, base_url: str | None = None,
                 concurrency: int = DEFAULT_CONCURRENCY, retry: RetryPolicy | None = None,
                 timeout: float | None = None, allow_insecure: bool = False,
                 progress: bool | None = None, http_client: httpx.Client | None = None,
                 transport: httpx.BaseTransport | None = None) -> None:
        if isinstance(concurrency, bool) or not isinstance(concurrency, int) or concurrency < 1:
            raise UsageError(f"concurrency must be a whole number >= 1, got {concurrency!r}")
        key = api_key if api_key is not None else os.environ.get("SKYVERN_API_KEY")
        if not key:
            raise UsageError("no API key: set SKYVERN_API_KEY or pass api_key= (--api-key)")
        self._key = key
        self._base_url = base_url
        self.base_url = safe_url(resolve_base_url(base_url, allow_insecure=allow_insecure))
        self.concurrency = concurrency
        self.retry, self.timeout, self.allow_insecure = retry, timeout, allow_insecure
        self.progress = progress
        self._http, self._transport = http_client, transport

    def __repr__(self) -> str:
        return (f"Client(base_url={self.base_url!r}, api_key='***', "
                f"concurrency={self.concurrency})")

    def replace(self, **changes: Any) -> Client:
        """A copy with ``changes`` (the constructor's arguments), checked again."""
        settings: dict[str, Any] = {
            "api_key": self._key, "base_url": self._base_url, "concurrency": self.concurrency,
            "retry": self.retry, "timeout": self.timeout, "allow_insecure": self.allow_insecure,
            "progress": self.progress, "http_client": self._http, "transport": self._transport}
        return Client(**(settings | changes))

    def open(self) -> RunsClient:
        """A :class:`~runlytics.client.RunsClient` for one fetch (close it after)."""
        return RunsClient(api_key=self._key, base_url=self._base_url, client=self._http,
                          transport=self._transport, retry=self.retry, timeout=self.timeout,
                          allow_insecure=self.allow_insecure,
                          max_connections=max(self.concurrency, 8))

    def pages(self, query: RunQuery) -> PageStream:
        """The runs page by page as they arrive, each run once; see :class:`PageStream`."""
        return PageStream(self, query)

    def fetch(self, query: RunQuery) -> Fetched:
        """Every run ``query`` selects, as the typed Arrow table, with the fetch's report.

        Each run appears once (the copy with the newest ``modified_at`` wins),
        newest ``created_at`` first, ties by id.

        Raises:
            AuthError, NotFoundError, RequestError, RateLimitError, ServerError,
            TransportError, SchemaError: see :mod:`runlytics.errors`.
        """
        report = FetchReport()
        return Fetched(fetch_table_of(self, query, report), report)


@dataclass(frozen=True)
class Fetched:
    """What a fetch returns: the runs (typed Arrow table) and how the fetch went.

    Unpacks as ``table, report = client.fetch(query)``.
    """

    table: pa.Table
    report: FetchReport

    def __iter__(self) -> Iterator[Any]:
        return iter((self.table, self.report))

    def to_frame(self, *, consume: bool = False) -> pd.DataFrame:
        """The runs as the typed pandas frame.

        ``consume=True`` frees the table's memory column by column while the
        frame is built (peak memory about one copy); the table is unusable after.
        """
        return table_to_frame(self.table, consume=consume)


class PageStream:
    """Lazy pages of runs (lists of dicts), each run once, in the order they arrive.

    Every run is yielded the first time it is seen (later copies, from a list
    that moved while paging, are left out), filtered by ``since``/``until``;
    nothing is requested before the first item is asked for. :attr:`report`
    fills in as pages arrive and is complete once the stream is exhausted.
    """

    def __init__(self, client: Client, query: RunQuery,
                 report: FetchReport | None = None) -> None:
        self.client, self.query = client, query
        self.report = report if report is not None else FetchReport()
        self._runs = self._generate()

    def __iter__(self) -> Iterator[list[dict[str, Any]]]:
        return self._runs

    def __next__(self) -> list[dict[str, Any]]:
        return next(self._runs)

    def _generate(self) -> Iterator[list[dict[str, Any]]]:
        yielded: set[str] = set()
        left = self.query.max_runs
        for page in run_pages(self.client, self.query, self.report):
            runs = []
            for run, run_id, created in zip(orjson.loads(page.body), page.index.ids,
                                            page.index.created_us.tolist(), strict=True):
                if run_id not in yielded:
                    yielded.add(run_id)
                    if self.query.in_window(created):
                        runs.append(run)
            if left is not None:
                runs = runs[:left]
                left -= len(runs)
            if runs:
                yield runs


@dataclass(frozen=True)
class _Options:
    """What the pager needs (:class:`~runlytics.fetch.pager.PagerOptions`) of the two objects."""

    params: list[tuple[str, str]]
    page_size: int
    concurrency: int
    since_us: int | None
    until_us: int | None
    max_runs: int | None


def _pager_options(client: Client, query: RunQuery) -> _Options:
    return _Options(params=query.params(), page_size=query.page_size,
                    concurrency=client.concurrency, since_us=query.since_us,
                    until_us=query.until_us, max_runs=query.max_runs)


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


def run_pages(client: Client, query: RunQuery, report: FetchReport) -> Iterator[Page]:
    started = time.monotonic()
    runs_client = client.open()
    report.base_url, report.filters = runs_client.base_url, query.filters()
    bar = _progress_bar(client.progress)
    try:
        for page in Pager(runs_client, _pager_options(client, query), report, bar).pages():
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


def fetch_table_of(client: Client, query: RunQuery, report: FetchReport) -> pa.Table:
    pages = run_pages(client, query, report)
    table = runs_table(page.body for page in pages)
    table, repeats = dedupe_runs(table, since_us=query.since_us, until_us=query.until_us,
                                 max_runs=query.max_runs)
    report.duplicates_dropped = repeats
    report.runs = table.num_rows
    return table
