"""Where a report's runs come from: a Parquet file, a synced dataset, or a fresh fetch.

This is the report's I/O, one tier above :mod:`runlytics.report` (which
only reads frames and plain mappings), beside :mod:`runlytics.sync`.

Each loader returns :class:`ReportInput`: the runs plus what the report needs
to judge them: the moment the data describes (``now``: a file's fetch time,
a dataset's last sync, or the fetch just made), what was fetched (the fetch
report), and from when the data is complete (``data_since``), which decides
whether the previous period can be compared.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from . import dataset, store
from .fetch import Client, FetchReport
from .query import RunQuery
from .redact import redact_url
from .report.build import OPTIONAL_COLUMNS, REPORT_COLUMNS
from .report.period import complete_since
from .units import to_utc

__all__ = ["ReportInput", "fetch_for_report", "load_runs"]

_READ_COLUMNS = (*REPORT_COLUMNS, *OPTIONAL_COLUMNS, "modified_at")


@dataclass
class ReportInput:
    """Runs for :func:`runlytics.report.build_report` and the facts about them."""

    runs: pd.DataFrame
    now: pd.Timestamp
    source: str
    fetch_report: FetchReport | dict[str, Any] | None
    data_since: pd.Timestamp | None


def _when(value: Any) -> pd.Timestamp | None:
    try:
        return to_utc(value, "fetched_at") if value else None
    except (ValueError, TypeError):
        return None


def load_runs(path: str | os.PathLike[str]) -> ReportInput:
    """Read a runs Parquet file or a dataset directory for a report.

    Only the columns a report reads are loaded. ``now`` is the file's
    ``fetched_at`` (a dataset's last ``synced_at``); without either, the
    newest ``modified_at`` in the data, so an old file is not judged by
    today's clock (every open run would look stuck).

    Raises:
        StoreError: the path cannot be read as runs data.

    Example:
        >>> import tempfile
        >>> from pathlib import Path
        >>> from runlytics import empty_frame
        >>> from runlytics.store import write_parquet
        >>> folder = Path(tempfile.mkdtemp())
        >>> _ = write_parquet(empty_frame(), folder / "runs.parquet")
        >>> loaded = load_runs(folder / "runs.parquet")
        >>> len(loaded.runs), loaded.source.startswith("file ")
        (0, True)
    """
    target = Path(path)
    frame = store.read_frame(target, columns=list(_READ_COLUMNS))
    fetch_report: dict[str, Any] | None = None
    data_since = None
    if target.is_dir():
        state = dataset.read_state(target)
        fetched_at = _when(state.synced_at) if state else None
        if state is not None:
            last = state.last_report or {}
            fetch_report = last.get("fetch") if isinstance(last.get("fetch"), dict) else None
            source = (f"dataset {target} ({state.syncs} syncs, last {state.synced_at}); "
                      "fetch figures are the last sync's")
        else:
            source = f"dataset {target}"
    else:
        meta = store.read_metadata(target)
        fetched_at = _when(meta.get("fetched_at"))
        fetch_report = meta.get("fetch_report") if isinstance(meta.get("fetch_report"),
                                                              dict) else None
        data_since = complete_since(meta.get("filters") or {}, fetched_at)
        source = f"file {target}" + (f" (fetched {fetched_at.isoformat()})" if fetched_at
                                     else "")
    if fetched_at is not None:
        now = fetched_at
    elif len(frame) and frame["modified_at"].notna().any():
        now = frame["modified_at"].max()
    else:
        now = pd.Timestamp.now(tz="UTC")
    return ReportInput(frame, now, source, fetch_report, data_since)


def fetch_for_report(query: RunQuery, client: Client, *, since: Any = None,
                     until: Any = None, now: Any = None) -> ReportInput:
    """Fetch the runs a report of ``[since, until)`` needs: that period and the one before.

    With ``since``, runs are fetched from ``since - (until - since)`` so the
    report can compare with the previous period; without it, every run.

    Args:
        query: the filters and limits (its own window, if any, is replaced).
        client: the :class:`runlytics.Client` to fetch with.
        since, until: the report's period (spans count back from ``now``).
        now: the moment of the report (default: the current time).
    """
    now_ts = to_utc(now, "now") if now is not None else None
    now_ts = now_ts if now_ts is not None else pd.Timestamp.now(tz="UTC")
    since_ts, until_ts = to_utc(since, "since", now=now_ts), to_utc(until, "until", now=now_ts)
    start = None
    if since_ts is not None:
        start = since_ts - ((until_ts or now_ts) - since_ts)
    fetched = client.fetch(query.replace(since=start, until=until_ts))
    runs = fetched.to_frame(consume=True)
    complete = None if query.max_runs else start
    source = f"API {redact_url(fetched.report.base_url)} (fetched {now_ts.isoformat()})"
    return ReportInput(runs, now_ts, source, fetched.report, complete)
