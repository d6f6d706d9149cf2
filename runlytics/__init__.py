"""runlytics: fetch, type, analyse and report on Skyvern workflow runs.

The names below are imported on first use, so that ``import runlytics`` (and
the ``runlytics`` command, which must answer Ctrl-C at once) does not load
pandas, pyarrow and httpx before they are needed.

Renamed (the old name works for one more release, with a
``DeprecationWarning``): ``read_parquet`` -> :func:`read_frame`.
"""

from __future__ import annotations

import importlib as _importlib
import typing as _typing

from ._version import __version__ as __version__

if _typing.TYPE_CHECKING:
    from .client import RetryPolicy
    from .errors import (
        APIError,
        AuthError,
        NotFoundError,
        RateLimitError,
        RequestError,
        RunlyticsError,
        SchemaError,
        ServerError,
        StoreError,
        TransportError,
        UsageError,
    )
    from .fetch import (
        Client,
        Fetched,
        FetchReport,
        PageStream,
        fetch_frame,
        fetch_table,
        iter_pages,
    )
    from .frame import UnknownValueWarning, empty_frame, runs_frame, runs_table, table_to_frame
    from .query import RunQuery
    from .store import read_frame, write_parquet

_HOMES = {
    ".client": ["RetryPolicy"],
    ".errors": ["APIError", "AuthError", "NotFoundError", "RateLimitError", "RequestError",
                "RunlyticsError", "SchemaError", "ServerError", "StoreError", "TransportError",
                "UsageError"],
    ".fetch": ["Client", "FetchReport", "Fetched", "PageStream", "fetch_frame", "fetch_table",
               "iter_pages"],
    ".query": ["RunQuery"],
    ".frame": ["UnknownValueWarning", "empty_frame", "runs_frame", "runs_table",
               "table_to_frame"],
    ".store": ["read_frame", "write_parquet"],
}
_HOME_OF = {name: module for module, names in _HOMES.items() for name in names}
_RENAMED = {"fetch_runs": "fetch_frame", "read_parquet": "read_frame"}  # old -> new, one release

__all__ = [
    "APIError",
    "AuthError",
    "Client",
    "FetchReport",
    "Fetched",
    "NotFoundError",
    "PageStream",
    "RateLimitError",
    "RequestError",
    "RetryPolicy",
    "RunQuery",
    "RunlyticsError",
    "SchemaError",
    "ServerError",
    "StoreError",
    "TransportError",
    "UnknownValueWarning",
    "UsageError",
    "empty_frame",
    "fetch_frame",
    "fetch_table",
    "iter_pages",
    "read_frame",
    "runs_frame",
    "runs_table",
    "table_to_frame",
    "write_parquet",
]


def __getattr__(name: str) -> _typing.Any:
    if name in _RENAMED:  # not cached: every use of the old name warns
        from ._deprecation import deprecated

        new = _RENAMED[name]
        return deprecated(f"runlytics.{name}", f"runlytics.{new}", __getattr__(new))
    home = _HOME_OF.get(name)
    if home is None:
        raise AttributeError(f"module 'runlytics' has no attribute {name!r}")
    value = getattr(_importlib.import_module(home, __name__), name)
    globals()[name] = value  # later lookups skip this function
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
