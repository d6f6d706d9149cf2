"""Pass 3, gap repair: read again from every page answered out of order.

Only when the list moved. A page asked for before its predecessor was
answered may have been answered before runs were pushed down, which leaves
a gap after its predecessor: runs pushed from the end of one page past the
start of the other, read by neither. Every such page that shares no run with
its predecessor is asked for again; now it is answered after its predecessor,
so no push can leave a gap between them.
"""

from __future__ import annotations

from collections.abc import Iterator

from ..pages import Page
from .ledger import Ledger, PageSource
from .main_pass import stop_reason

__all__ = ["repair_gaps", "suspects"]


def suspects(main: list[Page]) -> list[tuple[Page, Page]]:
    """Pairs (predecessor, page) of the main pass between which a gap may lie.

    Example:
        >>> from runlytics.fetch.testing import page_of
        >>> first = page_of(1, 2, [("a", 50), ("b", 40)], sent_at=1.0, received_at=4.0)
        >>> second = page_of(2, 2, [("d", 20), ("e", 10)], sent_at=2.0, received_at=3.0)
        >>> [(before.number, page.number) for before, page in suspects([first, second])]
        [(1, 2)]
    """
    return [(before, page) for before, page in zip(main, main[1:], strict=False)
            if page.sent_at < before.received_at
            and not set(before.index.ids) & set(page.index.ids)]


def repair_gaps(get: PageSource, ledger: Ledger) -> Iterator[Page]:
    """Re-read from every suspect page of the main pass until its old first run.

    Pages read now come after both pages of a suspect pair, so reading on
    from its number until its old first run shows up again (or is passed)
    covers the gap, however many runs were pushed in. A read that passes the
    number of a later suspect page reads on to that page's first run too, so
    one sequential sweep serves neighbouring suspects.

    Example:
        >>> from runlytics.fetch_report import FetchReport
        >>> from runlytics.fetch.testing import ListSource, page_of
        >>> ledger = Ledger(FetchReport(), page_size=2)
        >>> for page in (page_of(1, 2, [("a", 50), ("b", 40)], sent_at=1.0, received_at=4.0),
        ...              page_of(2, 2, [("d", 20), ("e", 10)], sent_at=2.0, received_at=3.0)):
        ...     _ = ledger.record(page)
        ...     ledger.keep_main(page)
        >>> source = ListSource([("a", 50), ("b", 40), ("c", 30), ("d", 20), ("e", 10)])
        >>> [page.index.ids for page in repair_gaps(source, ledger)]
        [['c', 'd']]
        >>> "c" in ledger.seen, ledger.report.gap_refetches
        (True, 1)
    """
    pairs = suspects(ledger.main)
    created = ledger.created_seen()
    i = 0
    while i < len(pairs):
        before, page = pairs[i]
        # Runs created since pushed the gap down: start no earlier than the page
        # the predecessor's last run is on now, counting the runs known to be newer
        # (a lower bound), instead of sweeping through every run created since.
        newer = int((created > before.index.created_us[-1]).sum()) if len(before) else 0
        number = max(page.number, newer // ledger.effective_size + 1)
        while True:
            fresh = get(number, ledger.page_size)
            ledger.record(fresh)
            ledger.count_gap_refetch()
            yield fresh
            while i + 1 < len(pairs) and pairs[i + 1][1].number <= number:
                i += 1
            if _reached(pairs[i][1], fresh, ledger):
                break
            number += 1
        i += 1


def _reached(old: Page, fresh: Page, ledger: Ledger) -> bool:
    """Whether ``fresh`` (read now) is at or past where ``old`` began."""
    if not len(old):  # the old page was the empty last one
        return stop_reason(fresh, ledger) is not None
    return (not len(fresh) or old.index.ids[0] in fresh.index.ids
            or fresh.index.created_us[-1] < old.index.created_us[0])
