"""Pass 1, the main pass: pages 1, 2, ... with several requests in flight.

Pages are asked for ``concurrency`` at a time and yielded in order, until an
empty page, a page that ends before ``since``, or ``max_runs`` runs in
bounds. A short page alone does not end the pass: a gateway may clamp
``page_size``, and a short page followed by more runs tells that it did
(unless a full page came before: then runs created while paging filled the
page after a short one). On the way the pass notes what the later passes
need: repeats that a tie at the page edge does not explain (the list was
pushed down), the newest run (the head mark), and a list that grows at
least as fast as it is read (it gives up rather than page for ever).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor

import numpy as np

from ..errors import RunlyticsError
from ..pages import Page
from .ledger import Ledger, PageSource

__all__ = ["MAX_STALE_PAGES", "main_pass", "stop_reason", "too_fast"]

MAX_STALE_PAGES = 20  # main-pass pages in a row that got no deeper into the list


def main_pass(get: PageSource, ledger: Ledger, *, concurrency: int = 1,
              cancel: Callable[[], None] | None = None) -> Iterator[Page]:
    """Read pages 1, 2, ... into ``ledger`` and yield them in order.

    Args:
        get: the page source, ``get(number, page_size) -> Page``.
        ledger: what was seen; the pass records every page and stop reason in it.
        concurrency: requests in flight at once.
        cancel: called when the pass fails or is closed early, to make the
            requests in flight give up.

    Raises:
        RunlyticsError: the list grows by a page or more for every page read.

    Example:
        >>> from runlytics.fetch_report import FetchReport
        >>> from runlytics.fetch.testing import ListSource
        >>> source = ListSource([("a", 50), ("b", 40), ("c", 30)])
        >>> ledger = Ledger(FetchReport(), page_size=2)
        >>> [page.index.ids for page in main_pass(source, ledger)]
        [['a', 'b'], ['c'], []]
        >>> source.requests, ledger.report.stopped_because
        ([(1, 2), (2, 2), (3, 2)], 'empty page')
    """
    depth = _Depth()
    pending: list[tuple[int, Future[Page]]] = []
    with ThreadPoolExecutor(concurrency, thread_name_prefix="runlytics") as pool:
        try:
            for number in range(1, concurrency + 1):
                pending.append((number, pool.submit(get, number, ledger.page_size)))
            while pending:
                number, future = pending.pop(0)
                page = future.result()
                depth.check(page, ledger.record(page))
                _note_repeats(page, ledger)
                _note_head_and_clamp(page, ledger)
                ledger.keep_main(page)
                yield page
                reason = stop_reason(page, ledger)
                if reason:
                    ledger.stop(reason)
                    break
                following = number + concurrency
                pending.append((following, pool.submit(get, following, ledger.page_size)))
        except BaseException:
            if cancel is not None:
                cancel()
            raise
        finally:
            for _, waiting in pending:
                waiting.cancel()


def stop_reason(page: Page, ledger: Ledger) -> str | None:
    """Why the main pass ends at ``page`` (just recorded), or None to read on.

    Example:
        >>> from runlytics.fetch_report import FetchReport
        >>> from runlytics.fetch.testing import page_of
        >>> ledger = Ledger(FetchReport(), page_size=2, since_us=35)
        >>> page = page_of(1, 2, [("a", 50), ("b", 30)])
        >>> _ = ledger.record(page)
        >>> stop_reason(page, ledger), stop_reason(page_of(2, 2, []), ledger)
        ('reached since', 'empty page')
    """
    if not len(page):
        return "empty page"
    if ledger.since_us is not None and page.index.created_us[-1] < ledger.since_us:
        return "reached since"
    if ledger.max_runs is not None and ledger.in_range >= ledger.max_runs:
        return "max_runs"
    return None


def too_fast(what: str) -> RunlyticsError:
    """The error for a list that grows faster than it can be read."""
    return RunlyticsError(f"runs are being created faster than they can be read ({what}); "
                          "fetch fewer runs (--status, --since) or more per request "
                          "(--page-size)")


class _Depth:
    """How deep into the list the main pass got, to notice when it no longer does."""

    def __init__(self) -> None:
        self.deepest: int | None = None  # created_at of the oldest last run of a page so far
        self.stale = 0

    def check(self, page: Page, fresh: np.ndarray) -> None:
        """Note ``page`` (``fresh``: the created_at of its new runs); raise when stuck."""
        if not len(page):
            return
        # Deeper: an older last run, or runs not seen before at the depth reached
        # (members of a tie group). Not deeper: the list grows by a page or more
        # for every page read, for ever.
        last = int(page.index.created_us[-1])
        deepest = self.deepest
        deeper = deepest is None or last < deepest or bool((fresh <= deepest).any())
        self.deepest = last if deepest is None else min(deepest, last)
        self.stale = 0 if deeper else self.stale + 1
        if self.stale >= MAX_STALE_PAGES:
            raise too_fast(f"{self.stale} pages in a row got no further")


def _note_repeats(page: Page, ledger: Ledger) -> None:
    """Repeats not all tied with the previous page's last row: rows were pushed down."""
    if ledger.repeated and ledger.main:
        previous = ledger.main[-1]
        edge = previous.index.created_us[-1] if len(previous) else None
        created = page.index.created_us
        if any(created[i] != edge for i in ledger.repeated):
            ledger.note_pushed_down()


def _note_head_and_clamp(page: Page, ledger: Ledger) -> None:
    """Take the head mark from page 1; notice a short page followed by more runs."""
    if not ledger.main:
        if len(page):
            ledger.head_mark = int(page.index.created_us[0])
        return
    # A short page followed by more runs: a clamp, unless a full page came
    # before (then runs created while paging filled the page after a short one).
    if len(page) and len(ledger.main[-1]) < ledger.page_size:
        fullest = max(len(p) for p in ledger.main)
        if fullest < ledger.page_size:
            ledger.clamp(fullest)
