"""runlytics: fetch, type, analyse and report on Skyvern workflow runs."""

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
from .fetch import FetchReport, fetch_runs, fetch_table, iter_pages
from .frame import UnknownValueWarning, empty_frame, runs_frame, runs_table
from .store import read_parquet, write_parquet

__all__ = [
    "APIError",
    "AuthError",
    "FetchReport",
    "NotFoundError",
    "RateLimitError",
    "RequestError",
    "RetryPolicy",
    "RunlyticsError",
    "SchemaError",
    "ServerError",
    "StoreError",
    "TransportError",
    "UnknownValueWarning",
    "UsageError",
    "empty_frame",
    "fetch_runs",
    "fetch_table",
    "iter_pages",
    "read_parquet",
    "runs_frame",
    "runs_table",
    "write_parquet",
]
__version__ = "0.1.0"
