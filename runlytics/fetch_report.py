"""The report of a fetch: what was asked, what came back, what was repaired.

The fetch passes fill it in through the :class:`~runlytics.fetch.ledger.Ledger`;
the public entry points add the HTTP counters and the time taken.
"""

from __future__ import annotations

import warnings
from dataclasses import asdict, dataclass, field
from typing import Any

__all__ = ["FetchReport"]


@dataclass
class FetchReport:
    """How a fetch went: what was asked, what came back, what was repaired.

    Example:
        >>> report = FetchReport(runs=250, pages_requested=4, elapsed_seconds=0.5,
        ...                      stopped_because="empty page")
        >>> print(report.describe())
        250 runs from 4 pages in 0.5 s (500 runs/s); stopped: empty page
        >>> report.to_dict()["runs"]
        250
    """

    base_url: str = ""
    filters: dict[str, Any] = field(default_factory=dict)
    pages_requested: int = 0
    requests: int = 0
    retries: int = 0
    retry_reasons: dict[str, int] = field(default_factory=dict)
    runs: int = 0
    rows_received: int = 0
    duplicates_dropped: int = 0
    drift_detected: bool = False
    repeats_while_paging: int = 0
    runs_caught_up: int = 0
    gap_refetches: int = 0
    tie_groups_repaired: int = 0
    tie_groups_unverified: int = 0
    page_size_clamped_to: int | None = None
    stopped_because: str = ""
    elapsed_seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        """Every field, JSON-able (what the Parquet file and the sync state keep)."""
        return asdict(self)

    def describe(self) -> str:
        """One or two lines for people (the CLI prints this on stderr).

        Example:
            >>> report = FetchReport(runs=1000, pages_requested=11, elapsed_seconds=2.0,
            ...                      stopped_because="empty page", retries=2,
            ...                      retry_reasons={"HTTP 503": 2})
            >>> print(report.describe())
            1,000 runs from 11 pages in 2.0 s (500 runs/s); stopped: empty page
            2 retries (HTTP 503: 2)
        """
        rate = self.runs / self.elapsed_seconds if self.elapsed_seconds else 0.0
        line = (f"{self.runs:,} runs from {self.pages_requested:,} pages in "
                f"{self.elapsed_seconds:.1f} s ({rate:,.0f} runs/s); stopped: "
                f"{self.stopped_because}")
        notes = []
        if self.retries:
            reasons = ", ".join(f"{k}: {v}" for k, v in sorted(self.retry_reasons.items()))
            notes.append(f"{self.retries} retries ({reasons})")
        if self.drift_detected:
            notes.append(f"list moved while paging: {self.repeats_while_paging:,} repeated rows, "
                         f"{self.runs_caught_up:,} new runs caught up, "
                         f"{self.gap_refetches} pages re-read")
        if self.tie_groups_repaired or self.tie_groups_unverified:
            notes.append(f"{self.tie_groups_repaired} tie groups re-read"
                         + (f", {self.tie_groups_unverified} could not be verified"
                            if self.tie_groups_unverified else ""))
        if self.page_size_clamped_to:
            notes.append(f"server clamped page_size to {self.page_size_clamped_to}")
        return line + ("\n" + "; ".join(notes) if notes else "")

    def summary(self) -> str:
        """Deprecated alias of :meth:`describe` (elsewhere "summary" is a dict of figures)."""
        warnings.warn("FetchReport.summary() is deprecated; use FetchReport.describe()",
                      DeprecationWarning, stacklevel=2)
        return self.describe()
