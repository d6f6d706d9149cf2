"""The ledger of a fetch: what was seen, and the one place its counters change.

Every page a pass asks for goes through :meth:`Ledger.record`, which counts
it, notes which of its runs were seen before, and keeps the ``created_at``
of the runs seen for the first time. The passes steer by what the ledger
knows: the ids seen, the pages of the main pass, pairs of pages read one
after the other, and a few marks (the newest run at the last read of page 1,
a clamped or capped page size). The :class:`~runlytics.fetch_report.FetchReport`
counters are changed by the ledger's methods only, so each figure has one
place that says what it counts.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ..fetch_report import FetchReport
from ..pages import Page

__all__ = ["Ledger", "PageSource"]

PageSource = Callable[[int, int], Page]
"""``get(number, page_size) -> Page``: one answer of the endpoint (the client, or a fake)."""


class Ledger:
    """What a fetch has seen so far, its marks and its counters.

    Args:
        report: the report whose counters the fetch fills in.
        page_size: the page size the fetch asks for.
        since_us, until_us: the ``created_at`` bounds (µs since the epoch,
            ``since`` inclusive, ``until`` exclusive), None for none.
        max_runs: how many runs in bounds end the main pass, None for all.
        progress: told of every new run (``progress.update(n)``), or None.

    Attributes:
        seen: ids of every run seen.
        first_seen: per page recorded, ``created_at`` of its runs seen first there.
        repeated: positions, in the page recorded last, of runs seen before.
        in_range: runs seen within ``since_us``/``until_us``.
        main: the pages of the main pass, in order.
        neighbours: pairs of pages read one after the other with consecutive
            numbers and the same size (where a tie group may be cut).
        head_mark: ``created_at`` of the newest run at the last read of page 1:
            every run newer than it was created since.
        head_growth: runs created since the last read of page 1, as measured.
        effective_size: the runs a page holds (``page_size`` unless clamped).
        clamped: the server sent fewer runs per page than asked in the main pass.
        cap: a page-size cap found above ``effective_size``, or None.
        pushed_down: repeats showed that runs were pushed down while paging.

    Example:
        >>> from runlytics.fetch.testing import page_of
        >>> ledger = Ledger(FetchReport(), page_size=2, since_us=15)
        >>> ledger.record(page_of(1, 2, [("a", 30), ("b", 20)])).tolist()
        [30, 20]
        >>> ledger.record(page_of(2, 2, [("b", 20), ("c", 10)])).tolist()
        [10]
        >>> ledger.repeated, ledger.in_range, sorted(ledger.seen)
        ([0], 2, ['a', 'b', 'c'])
        >>> ledger.report.pages_requested, ledger.report.rows_received
        (2, 4)
    """

    def __init__(self, report: FetchReport, *, page_size: int, since_us: int | None = None,
                 until_us: int | None = None, max_runs: int | None = None,
                 progress: Any = None) -> None:
        self.report = report
        self.page_size = page_size
        self.since_us = since_us
        self.until_us = until_us
        self.max_runs = max_runs
        self.progress = progress
        self.seen: set[str] = set()
        self.first_seen: list[np.ndarray] = []
        self.repeated: list[int] = []
        self.in_range = 0
        self.main: list[Page] = []
        self.neighbours: list[tuple[Page, Page]] = []
        self.last: Page | None = None
        self.head_mark: int | None = None
        self.head_growth = 0
        self.effective_size = page_size
        self.clamped = False
        self.cap: int | None = None
        self.pushed_down = False

    # -- what was seen ------------------------------------------------------------

    def record(self, page: Page) -> np.ndarray:
        """Count ``page`` in; returns the ``created_at`` of its runs not seen before."""
        self.report.pages_requested += 1
        self.report.rows_received += len(page)
        ids = page.index.ids
        self.repeated = []
        if self.seen.isdisjoint(ids) and len(set(ids)) == len(ids):
            self.seen.update(ids)  # the usual page: every run new
        else:
            for i, run_id in enumerate(ids):
                if run_id in self.seen:
                    self.repeated.append(i)
                else:
                    self.seen.add(run_id)
        fresh = np.ones(len(page), bool)
        fresh[self.repeated] = False
        created = page.index.created_us[fresh]
        self.in_range += int(self.in_bounds(created).sum())
        self.first_seen.append(created)
        if self.last is not None and self.last.number + 1 == page.number and \
                self.last.page_size == page.page_size:
            self.neighbours.append((self.last, page))
        self.last = page
        if self.progress is not None:
            self.progress.update(len(page) - len(self.repeated))
        return created

    def in_bounds(self, created_us: np.ndarray) -> np.ndarray:
        """Which of these ``created_at`` lie within ``since_us``/``until_us``."""
        inside = np.ones(len(created_us), bool)
        if self.since_us is not None:
            inside &= created_us >= self.since_us
        if self.until_us is not None:
            inside &= created_us < self.until_us
        return inside

    def created_seen(self) -> np.ndarray:
        """The ``created_at`` of every run seen, each once."""
        if not self.first_seen:
            return np.empty(0, np.int64)
        return np.concatenate(self.first_seen)

    def keep_main(self, page: Page) -> None:
        """Add ``page`` to the pages of the main pass."""
        self.main.append(page)

    # -- marks --------------------------------------------------------------------

    def clamp(self, size: int) -> None:
        """The server sends at most ``size`` runs per page, whatever was asked."""
        self.clamped = True
        self.effective_size = size
        self.report.page_size_clamped_to = size

    def note_pushed_down(self) -> None:
        """Runs were pushed down while paging: the list moved."""
        self.pushed_down = True

    # -- counters -----------------------------------------------------------------

    @property
    def pages_requested(self) -> int:
        """Pages recorded so far."""
        return self.report.pages_requested

    @property
    def drift_detected(self) -> bool:
        """Whether the list moved under the main pass (set by :meth:`settle_drift`)."""
        return self.report.drift_detected

    def stop(self, reason: str) -> None:
        """The main pass stopped, and why."""
        self.report.stopped_because = reason

    def end_main_pass(self) -> None:
        """Count the rows the main pass received more than once."""
        self.report.repeats_while_paging = self.report.rows_received - len(self.seen)

    def count_caught_up(self, runs: int) -> None:
        """``runs`` created during the fetch were read by a catch-up."""
        self.report.runs_caught_up += runs

    def settle_drift(self) -> bool:
        """Decide, once, whether the list moved under the main pass; returns it.

        New runs at the head, or repeats that a tie at a page edge does not
        explain, mean it moved.
        """
        self.report.drift_detected = self.pushed_down or self.report.runs_caught_up > 0
        return self.report.drift_detected

    def count_gap_refetch(self) -> None:
        """One page was read again to close a possible gap."""
        self.report.gap_refetches += 1

    def count_tie_group(self, verified: bool) -> None:
        """One tie group was read again: whole (``verified``) or not."""
        if verified:
            self.report.tie_groups_repaired += 1
        else:
            self.report.tie_groups_unverified += 1
