"""What a sync did: :class:`SyncReport`."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

__all__ = ["SyncReport"]


@dataclass
class SyncReport:
    """What a sync did.

    Attributes:
        directory: the dataset directory.
        first_sync: no earlier complete sync: everything was read.
        window_start: oldest ``created_at`` read (ISO 8601), None for everything.
        runs_read: runs the API returned in the window (all statuses).
        runs_added, runs_updated, runs_removed: changes to the dataset
            (removed: runs that no longer match the status filter).
        runs_reopened: runs stored as final that came back not final.
        runs_total: runs in the dataset after the sync.
        open_runs: runs tracked for the next sync.
        open_runs_given_up: open runs quiet for longer than ``max_open_age``,
            no longer tracked.
        partitions_written, partitions_removed: partition days rewritten / deleted.
        requests: HTTP requests made.
        elapsed_seconds: wall time.
        fetch: the :class:`~runlytics.fetch.FetchReport`, as a dict.
    """

    directory: str
    first_sync: bool
    window_start: str | None
    runs_read: int = 0
    runs_added: int = 0
    runs_updated: int = 0
    runs_removed: int = 0
    runs_reopened: int = 0
    runs_total: int = 0
    open_runs: int = 0
    open_runs_given_up: int = 0
    partitions_written: list[str] = field(default_factory=list)
    partitions_removed: list[str] = field(default_factory=list)
    requests: int = 0
    elapsed_seconds: float = 0.0
    fetch: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def describe(self) -> str:
        """One line for people (the CLI prints it on stderr)."""
        window = "everything" if self.window_start is None else f"from {self.window_start}"
        reopened = f" ({self.runs_reopened:,} reopened)" if self.runs_reopened else ""
        given_up = (f", {self.open_runs_given_up:,} given up as stuck"
                    if self.open_runs_given_up else "")
        return (f"synced {self.directory}: read {self.runs_read:,} runs ({window}) in "
                f"{self.requests:,} requests; +{self.runs_added:,} new, "
                f"{self.runs_updated:,} updated{reopened}, {self.runs_removed:,} removed; "
                f"{len(self.partitions_written):,} partitions written; "
                f"{self.runs_total:,} runs, {self.open_runs:,} open{given_up}; "
                f"{self.elapsed_seconds:.1f} s")

    def summary(self) -> str:
        """Deprecated: :meth:`describe` (a "summary" is the JSON-able dict of figures)."""
        import warnings

        warnings.warn("SyncReport.summary() is renamed describe()", DeprecationWarning,
                      stacklevel=2)
        return self.describe()
