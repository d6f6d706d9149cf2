"""Pass 4, tie repair: read each tie group cut by a page edge again, whole.

Rows with equal ``created_at`` come back in any order, so a group cut by a
page edge can show one member twice and another never. A ``created_at``
that ends one page and shows again in the next is read again in one wider
window (a page whose ``page_size`` is chosen so that it holds the whole
group), placed by counting the runs known to be newer, and checked to lie
strictly inside that answer. A group too big for a window is collected
instead: its pages are read again until every member showed, which is only
possible while the list stood still.
"""

from __future__ import annotations

from collections.abc import Generator, Iterator

import numpy as np

from ..pages import Page
from .ledger import Ledger, PageSource

__all__ = ["MAX_TIE_WINDOW", "TIE_ATTEMPTS", "TIE_COLLECT_ROUNDS", "collect_tie",
           "repair_ties", "tie_window", "window"]

MAX_TIE_WINDOW = 5_000
TIE_ATTEMPTS = 3
TIE_COLLECT_ROUNDS = 20


def repair_ties(get: PageSource, ledger: Ledger) -> Iterator[Page]:
    """Re-read each ``created_at`` that ends one page and shows again in the next.

    Each group is counted in the ledger as repaired or unverified.

    Example:
        >>> from runlytics.fetch_report import FetchReport
        >>> from runlytics.fetch.testing import ListSource, page_of
        >>> ledger = Ledger(FetchReport(), page_size=2)
        >>> _ = ledger.record(page_of(1, 2, [("a", 50), ("b", 40)]))
        >>> _ = ledger.record(page_of(2, 2, [("b", 40), ("d", 30)]))
        >>> source = ListSource([("a", 50), ("c", 40), ("b", 40), ("d", 30)])
        >>> [(page.number, page.page_size, page.index.ids)
        ...  for page in repair_ties(source, ledger)]
        [(1, 6, ['a', 'c', 'b', 'd'])]
        >>> sorted(ledger.seen), ledger.report.tie_groups_repaired
        (['a', 'b', 'c', 'd'], 1)
    """
    done: set[int] = set()
    for before, after in ledger.neighbours:
        if not len(before) or not len(after):
            continue
        tie = int(before.index.created_us[-1])
        # Anywhere in the next page, not just first: runs pushed down while
        # paging put repeats of the page before ahead of the rest of the group.
        if tie in done or not (after.index.created_us == tie).any():
            continue
        done.add(tie)
        verified = yield from tie_window(get, ledger, tie)
        if not verified:
            verified = yield from collect_tie(get, ledger, tie)
        ledger.count_tie_group(verified)


def tie_window(get: PageSource, ledger: Ledger, tie: int) -> Generator[Page, None, bool]:
    """Read the group created at ``tie`` in one page; returns whether it lay inside.

    The group's offset is the number of runs newer than it, plus the runs
    created since the last read of the head (measured by earlier windows).
    Each failed attempt widens the margin around the group fourfold.
    """
    created = ledger.created_seen()
    newer = int((created > tie).sum()) + ledger.head_growth
    group = int((created == tie).sum())
    margin = 4 + ledger.effective_size // 10
    for _ in range(TIE_ATTEMPTS):
        place = window(max(newer - margin, 0), newer + group + margin)
        if place is None or not _may_ask(place[1], ledger):
            return False
        number, page_size = place
        page = get(number, page_size)
        ledger.record(page)
        yield page
        seen = page.index.created_us
        if len(seen):
            ledger.head_growth = max(0, (number - 1) * page_size
                                     - int((created > seen[0]).sum()))
            newer = int((created > tie).sum()) + ledger.head_growth
        starts_inside = number == 1 or bool(len(seen) and seen[0] > tie)
        ends_inside = not len(seen) or seen[-1] < tie
        if starts_inside and not ends_inside and len(page) < page_size:
            capped = yield from _probe_cap(get, ledger, page)
            if capped:
                return False
            ends_inside = True
        if starts_inside and ends_inside:
            return True
        margin *= 4
    return False


def _may_ask(page_size: int, ledger: Ledger) -> bool:
    """Whether a window this size can be answered whole."""
    return page_size <= MAX_TIE_WINDOW and not (
        ledger.clamped and page_size > ledger.effective_size) and not (
        ledger.cap is not None and page_size > ledger.cap)


def _probe_cap(get: PageSource, ledger: Ledger, page: Page) -> Generator[Page, None, bool]:
    """A short window that did not pass its group: the list's end, or a cap? True: a cap.

    It may be a gateway capping ``page_size`` above the sizes asked so far.
    The next page tells: a cap left runs out, as old as its last one or older
    (newer ones, or ones it showed, were pushed down by runs created
    meanwhile). A cap found is kept in the ledger.
    """
    after = get(page.number + 1, page.page_size)
    ledger.record(after)
    yield after
    shown = set(page.index.ids)
    oldest = page.index.created_us[-1]
    if any(run_id not in shown and created <= oldest for run_id, created
           in zip(after.index.ids, after.index.created_us.tolist(), strict=True)):
        ledger.cap = len(page)
        return True
    return False


def collect_tie(get: PageSource, ledger: Ledger, tie: int) -> Generator[Page, None, bool]:
    """A group too big for one window: read its pages again until all members showed.

    The main pass tells the group's size (the span of offsets it filled);
    each new read shows members in a new order. Only possible while the
    list stood still. Returns whether every member showed.
    """
    if ledger.drift_detected:
        return False
    size = ledger.effective_size
    spots = [(page.number - 1) * size + int(i) for page in ledger.main
             for i in np.flatnonzero(page.index.created_us == tie)]
    if not spots:
        return False
    first, last = min(spots), max(spots)
    members = {run_id for page in ledger.main for run_id in _tied(page, tie)}
    for _ in range(TIE_COLLECT_ROUNDS):
        for number in range(first // size + 1, last // size + 2):
            page = get(number, size)
            ledger.record(page)
            yield page
            members.update(_tied(page, tie))
        if len(members) >= last - first + 1:
            return True
    return False


def window(lo: int, hi: int) -> tuple[int, int] | None:
    """The ``(page, page_size)`` of the smallest page that covers offsets ``[lo, hi)``.

    Example:
        >>> window(0, 4), window(5, 9), window(7, 12)
        ((1, 4), (2, 5), (2, 6))
    """
    for size in range(hi - lo, hi + 1):
        start = (lo // size) * size
        if start + size >= hi:
            return start // size + 1, size
    return None


def _tied(page: Page, tie: int) -> list[str]:
    """Ids of the runs on ``page`` created at ``tie``."""
    return [run_id for run_id, created in
            zip(page.index.ids, page.index.created_us.tolist(), strict=True) if created == tie]
