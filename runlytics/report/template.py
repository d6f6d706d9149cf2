"""The summary of a report on no runs: every fixed key, to check ``--fail-on`` early."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from ..fetch_report import FetchReport
from ..frame import empty_frame
from .build import build_report
from .thresholds import Threshold, check_keys

__all__ = ["check_threshold_keys", "summary_template"]


def summary_template() -> dict[str, Any]:
    """The JSON summary of a report on no runs, with an empty fetch report's keys.

    Example:
        >>> summary_template()["queue_seconds"]["p90"] is None
        True
        >>> summary_template()["fetch"]["retries"]
        0
    """
    return build_report(empty_frame(), since="2000-01-08", until="2000-01-15",
                        now="2000-01-15", fetch_report=FetchReport()).summary


def check_threshold_keys(thresholds: Iterable[Threshold],
                         summary: Mapping[str, Any] | None = None) -> None:
    """Raise :class:`~runlytics.UsageError` for the first threshold naming no number.

    ``summary`` defaults to :func:`summary_template`, so a typo in a key is
    found before anything is fetched.

    Example:
        >>> from runlytics.report import parse_threshold
        >>> check_threshold_keys([parse_threshold("fetch.retries>3")])  # no error
    """
    check_keys(thresholds, summary_template() if summary is None else summary)
