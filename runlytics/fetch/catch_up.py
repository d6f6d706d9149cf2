"""Pass 2, catch-up: pages from the head again, down to the runs read before.

Runs created during the fetch sit above everything the main pass read. A
catch-up reads from page 1 down to the newest run of the last read of the
head (the head mark), not just to the first page of known runs: a repair
may have read runs created during the fetch, below which others it did not
read can lie. Reading on is safe from gaps: runs created meanwhile only push
rows down. It runs again after every repair that read pages while the list
was moving.
"""

from __future__ import annotations

from collections.abc import Iterator

from ..pages import Page
from .ledger import Ledger, PageSource
from .main_pass import too_fast

__all__ = ["MAX_CATCH_UP_PAGES", "catch_up"]

MAX_CATCH_UP_PAGES = 200  # or twice the pages read before it, if more


def catch_up(get: PageSource, ledger: Ledger) -> Iterator[Page]:
    """Read from page 1 down to the head mark, counting the runs created meanwhile.

    Args:
        get: the page source, ``get(number, page_size) -> Page``.
        ledger: what was seen; its head mark moves to the newest run now.

    Raises:
        RunlyticsError: runs arrive faster than half the reading speed.

    Example:
        >>> from runlytics.fetch_report import FetchReport
        >>> from runlytics.fetch.testing import ListSource, page_of
        >>> ledger = Ledger(FetchReport(), page_size=2)
        >>> _ = ledger.record(page_of(1, 2, [("a", 50), ("b", 40)]))
        >>> ledger.head_mark = 50
        >>> source = ListSource([("new", 60), ("a", 50), ("b", 40)])
        >>> [page.index.ids for page in catch_up(source, ledger)]
        [['new', 'a']]
        >>> ledger.report.runs_caught_up, ledger.head_mark
        (1, 60)
    """
    ledger.head_growth = 0
    mark, new_mark = ledger.head_mark, None
    # Runs created while n pages were read take at most n pages to read again,
    # unless they arrive faster than half the reading speed.
    limit = max(MAX_CATCH_UP_PAGES, 2 * ledger.pages_requested)
    for number in range(1, limit + 1):
        page = get(number, ledger.page_size)
        fresh = ledger.record(page)
        # Unseen runs newer than the last head read were created meanwhile; older
        # ones are members of a tie group the main pass missed: not a moving list.
        ledger.count_caught_up(len(fresh) if mark is None else int((fresh > mark).sum()))
        yield page
        if number == 1 and len(page):
            new_mark = int(page.index.created_us[0])
        if not len(page) or (mark is not None and page.index.created_us[-1] <= mark):
            ledger.head_mark = new_mark if new_mark is not None else mark
            return
        if ledger.since_us is not None and page.index.created_us[-1] < ledger.since_us:
            ledger.head_mark = new_mark
            return
    raise too_fast(f"{limit} pages read from the newest run did not reach "
                   "the runs read before")
