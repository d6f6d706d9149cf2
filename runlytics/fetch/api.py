"""The keyword functions, for notebooks and scripts: thin wrappers over the two objects.

:func:`fetch_frame`, :func:`fetch_table` and :func:`iter_pages` take the
options of :class:`~runlytics.query.RunQuery` and of
:class:`~runlytics.fetch.Client` as keywords (same names and defaults as
before the two objects existed) and build them with :func:`query_and_client`.
``fetch_runs`` is the old name of :func:`fetch_frame`.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator, Sequence
from typing import Any

import httpx
import pandas as pd
import pyarrow as pa

from ..client import DEFAULT_CONCURRENCY, RetryPolicy
from ..frame import frame_from_table
from ..query import DEFAULT_PAGE_SIZE, RunQuery, When
from .client import Client, PageStream, fetch_table_of
from .report import FetchReport

__all__ = ["fetch_frame", "fetch_table", "iter_pages", "query_and_client"]


_QUERY_OPTIONS = frozenset({"status", "search_key", "error_code", "since", "until",
                            "max_runs", "page_size"})


def query_and_client(**options: Any) -> tuple[RunQuery, Client]:
    """The two objects from the keyword options of :func:`fetch_table`.

    ``client`` (an ``httpx.Client``) becomes the Client's ``http_client``;
    the query is checked first, like the wrappers do.

    Example:
        >>> query, client = query_and_client(status="failed", api_key="sk-example",
        ...                                  concurrency=2)
        >>> query.statuses, client.concurrency
        (('failed',), 2)
    """
    query = RunQuery(**{k: v for k, v in options.items() if k in _QUERY_OPTIONS})
    settings = {k: v for k, v in options.items() if k not in _QUERY_OPTIONS}
    if "client" in settings:
        settings["http_client"] = settings.pop("client")
    return query, Client(**settings)


def _objects(report: FetchReport | None, **options: Any
             ) -> tuple[Client, RunQuery, FetchReport]:
    """The wrappers' two objects, and the report to fill (``report=`` is deprecated)."""
    if report is not None:
        warnings.warn("report= is deprecated: Client.fetch() and Client.pages() return the "
                      "report (Fetched.report, PageStream.report)", DeprecationWarning,
                      stacklevel=3)
    query, client = query_and_client(**options)
    return client, query, report if report is not None else FetchReport()


def iter_pages(*, api_key: str | None = None, base_url: str | None = None,
               status: str | Sequence[str] | None = None, search_key: str | None = None,
               error_code: str | None = None, page_size: int = DEFAULT_PAGE_SIZE,
               concurrency: int = DEFAULT_CONCURRENCY, since: When = None,
               until: When = None, max_runs: int | None = None,
               progress: bool | None = None, client: httpx.Client | None = None,
               transport: httpx.BaseTransport | None = None, retry: RetryPolicy | None = None,
               timeout: float | None = None, allow_insecure: bool = False,
               report: FetchReport | None = None) -> Iterator[list[dict[str, Any]]]:
    """Yield the runs page by page as they arrive, each run once.

    The keyword form of ``Client(...).pages(RunQuery(...))``: the options are
    those of :class:`~runlytics.query.RunQuery` (``status``, ``search_key``,
    ``error_code``, ``since``, ``until``, ``max_runs``, ``page_size``) and of
    :class:`Client` (``api_key``, ``base_url``, ``concurrency``, ``retry``,
    ``timeout``, ``allow_insecure``, ``progress``; ``client`` is the
    ``httpx.Client``). Nothing is checked or requested before the first page
    is asked for. ``report`` (deprecated) is filled in as pages arrive.

    Raises:
        UsageError, AuthError, NotFoundError, RequestError, RateLimitError,
        ServerError, TransportError, SchemaError: see :mod:`runlytics.errors`.
    """
    made, query, filled = _objects(
        report, api_key=api_key, base_url=base_url, status=status, search_key=search_key,
        error_code=error_code, page_size=page_size, concurrency=concurrency, since=since,
        until=until, max_runs=max_runs, progress=progress, client=client, transport=transport,
        retry=retry, timeout=timeout, allow_insecure=allow_insecure)
    yield from PageStream(made, query, filled)


def fetch_table(*, api_key: str | None = None, base_url: str | None = None,
                status: str | Sequence[str] | None = None, search_key: str | None = None,
                error_code: str | None = None, page_size: int = DEFAULT_PAGE_SIZE,
                concurrency: int = DEFAULT_CONCURRENCY, since: When = None,
                until: When = None, max_runs: int | None = None,
                progress: bool | None = None, client: httpx.Client | None = None,
                transport: httpx.BaseTransport | None = None, retry: RetryPolicy | None = None,
                timeout: float | None = None, allow_insecure: bool = False,
                report: FetchReport | None = None) -> pa.Table:
    """Like :func:`fetch_frame`, but the typed Arrow table (what Parquet stores).

    The keyword form of ``Client(...).fetch(RunQuery(...)).table``.
    """
    made, query, filled = _objects(
        report, api_key=api_key, base_url=base_url, status=status, search_key=search_key,
        error_code=error_code, page_size=page_size, concurrency=concurrency, since=since,
        until=until, max_runs=max_runs, progress=progress, client=client, transport=transport,
        retry=retry, timeout=timeout, allow_insecure=allow_insecure)
    return fetch_table_of(made, query, filled)


def fetch_frame(*, api_key: str | None = None, base_url: str | None = None,
                status: str | Sequence[str] | None = None, search_key: str | None = None,
                error_code: str | None = None, page_size: int = DEFAULT_PAGE_SIZE,
                concurrency: int = DEFAULT_CONCURRENCY, since: When = None,
                until: When = None, max_runs: int | None = None,
                progress: bool | None = None, client: httpx.Client | None = None,
                transport: httpx.BaseTransport | None = None, retry: RetryPolicy | None = None,
                timeout: float | None = None, allow_insecure: bool = False,
                report: FetchReport | None = None) -> pd.DataFrame:
    """Fetch every run that matches the filters into the typed runs frame.

    The keyword form of ``Client(...).fetch(RunQuery(...)).to_frame()``, with
    the options of :func:`iter_pages`. Page bodies go straight to the
    Arrow-based frame builder. Each run appears once (the copy with the newest
    ``modified_at`` wins), newest ``created_at`` first, ties by id. For the
    fetch's report, use :meth:`Client.fetch`.
    """
    made, query, filled = _objects(
        report, api_key=api_key, base_url=base_url, status=status, search_key=search_key,
        error_code=error_code, page_size=page_size, concurrency=concurrency, since=since,
        until=until, max_runs=max_runs, progress=progress, client=client, transport=transport,
        retry=retry, timeout=timeout, allow_insecure=allow_insecure)
    return frame_from_table(fetch_table_of(made, query, filled), consume=True)


def __getattr__(name: str) -> Any:
    if name == "fetch_runs":
        warnings.warn("runlytics.fetch_runs is renamed fetch_frame (it returns a DataFrame)",
                      DeprecationWarning, stacklevel=2)
        return fetch_frame
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
