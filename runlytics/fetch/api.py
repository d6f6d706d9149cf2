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
from typing import Any, TypedDict, Unpack

import httpx
import pandas as pd
import pyarrow as pa

from ..client import RetryPolicy
from ..fetch_report import FetchReport
from ..frame import table_to_frame
from ..query import RunQuery, When
from .client import Client, PageStream, fetch_table_of

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


class FetchOptions(TypedDict, total=False):
    """The keyword options of the fetch functions, written once.

    Those of :class:`~runlytics.query.RunQuery` (``status``, ``search_key``,
    ``error_code``, ``since``, ``until``, ``max_runs``, ``page_size``) and of
    :class:`~runlytics.fetch.Client` (``api_key``, ``base_url``,
    ``concurrency``, ``retry``, ``timeout``, ``allow_insecure``,
    ``progress``, ``transport``; ``client`` is the ``httpx.Client``), with
    their defaults: ``page_size`` 100, ``concurrency`` 8, no filters, no
    window, no limit, the key and base URL from ``SKYVERN_API_KEY`` and
    ``SKYVERN_BASE_URL``. ``report`` is deprecated: the two objects return it.
    """

    api_key: str | None
    base_url: str | None
    status: str | Sequence[str] | None
    search_key: str | None
    error_code: str | None
    page_size: int
    concurrency: int
    since: When
    until: When
    max_runs: int | None
    progress: bool | None
    client: httpx.Client | None
    transport: httpx.BaseTransport | None
    retry: RetryPolicy | None
    timeout: float | None
    allow_insecure: bool
    report: FetchReport | None


_OPTION_NAMES = frozenset(FetchOptions.__annotations__)


def _objects(options: FetchOptions) -> tuple[Client, RunQuery, FetchReport]:
    """The wrappers' two objects, and the report to fill (``report=`` is deprecated)."""
    unknown = sorted(set(options) - _OPTION_NAMES)
    if unknown:
        raise TypeError(f"unexpected keyword argument {unknown[0]!r}; the options are "
                        f"{', '.join(sorted(_OPTION_NAMES))}")
    settings: dict[str, Any] = dict(options)
    report = settings.pop("report", None)
    if report is not None:
        warnings.warn("report= is deprecated: Client.fetch() and Client.pages() return the "
                      "report (Fetched.report, PageStream.report)", DeprecationWarning,
                      stacklevel=3)
    query, client = query_and_client(**settings)
    return client, query, report if report is not None else FetchReport()


def iter_pages(**options: Unpack[FetchOptions]) -> Iterator[list[dict[str, Any]]]:
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
    made, query, filled = _objects(options)
    yield from PageStream(made, query, filled)


def fetch_table(**options: Unpack[FetchOptions]) -> pa.Table:
    """Like :func:`fetch_frame`, but the typed Arrow table (what Parquet stores).

    The keyword form of ``Client(...).fetch(RunQuery(...)).table``.
    """
    made, query, filled = _objects(options)
    return fetch_table_of(made, query, filled)


def fetch_frame(**options: Unpack[FetchOptions]) -> pd.DataFrame:
    """Fetch every run that matches the filters into the typed runs frame.

    The keyword form of ``Client(...).fetch(RunQuery(...)).to_frame()``, with
    the options of :func:`iter_pages`. Page bodies go straight to the
    Arrow-based frame builder. Each run appears once (the copy with the newest
    ``modified_at`` wins), newest ``created_at`` first, ties by id. For the
    fetch's report, use :meth:`Client.fetch`.
    """
    made, query, filled = _objects(options)
    return table_to_frame(fetch_table_of(made, query, filled), consume=True)


def __getattr__(name: str) -> Any:
    if name == "fetch_runs":
        warnings.warn("runlytics.fetch_runs is renamed fetch_frame (it returns a DataFrame)",
                      DeprecationWarning, stacklevel=2)
        return fetch_frame
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
