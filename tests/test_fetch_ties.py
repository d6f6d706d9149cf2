"""Tie repair on fake pages: a group cut by a page edge is read again, whole."""

from __future__ import annotations

import itertools

import pytest

from runlytics import FetchReport
from runlytics.fetch.ledger import Ledger
from runlytics.fetch.main_pass import main_pass
from runlytics.fetch.testing import ListSource, Run
from runlytics.fetch.ties import repair_ties, window


def rotating(head: list[Run], tied: list[Run], tail: list[Run]):
    """A ``before`` hook: the tied runs come back rotated by one more at every request."""
    requests = itertools.count(1)

    def reorder(source: ListSource, _number: int, _size: int) -> None:
        k = next(requests) % len(tied)
        source.runs = head + tied[k:] + tied[:k] + tail
    return reorder


def after_main_pass(source: ListSource, page_size: int) -> Ledger:
    """A ledger that has read ``source`` once; the requests it made are forgotten."""
    ledger = Ledger(FetchReport(), page_size=page_size)
    for _ in main_pass(source, ledger):
        pass
    source.requests.clear()
    return ledger


def repair(source: ListSource, ledger: Ledger) -> list[tuple[int, int, list[str]]]:
    return [(page.number, page.page_size, page.index.ids)
            for page in repair_ties(source, ledger)]


def test_a_member_lost_at_a_page_edge_is_found_in_one_window():
    def swap_ties(source, number, _size):
        if number == 2:  # the tied runs come back in the other order
            source.runs = [("a", 50), ("t2", 40), ("t1", 40), ("d", 30), ("e", 20)]

    source = ListSource([("a", 50), ("t1", 40), ("t2", 40), ("d", 30), ("e", 20)],
                        before=swap_ties)
    ledger = after_main_pass(source, page_size=2)
    assert "t2" not in ledger.seen  # t1 showed on both pages, t2 on neither
    # one run newer than the group, the group, a margin of 4 each side: page 1 of 6
    assert repair(source, ledger) == [(1, 6, ["a", "t2", "t1", "d", "e"])]
    assert ledger.seen == {"a", "t1", "t2", "d", "e"}
    assert ledger.report.tie_groups_repaired == 1 and ledger.report.tie_groups_unverified == 0


def test_no_tie_at_a_page_edge_reads_nothing():
    source = ListSource([("a", 50), ("b", 40), ("c", 30), ("d", 20)])
    ledger = after_main_pass(source, page_size=2)
    assert repair(source, ledger) == []
    assert ledger.report.tie_groups_repaired == 0


def test_a_window_that_misses_the_group_is_widened():
    def swap_ties(source, number, _size):
        if number == 2:
            source.runs = [("a", 50), ("t2", 40), ("t1", 40), ("d", 30), ("e", 20)]

    source = ListSource([("a", 50), ("t1", 40), ("t2", 40), ("d", 30), ("e", 20)],
                        before=swap_ties)
    ledger = after_main_pass(source, page_size=2)
    source.before = None
    new = [(f"n{stamp}", stamp) for stamp in range(111, 99, -1)]  # 12 runs created since
    source.runs = new + source.runs
    pages = repair(source, ledger)
    # the first window holds only new runs; four times the margin reaches past the group
    assert [(number, size) for number, size, _ in pages] == [(1, 6), (1, 18)]
    assert pages[1][2] == [run_id for run_id, _ in source.runs]
    assert ledger.report.tie_groups_repaired == 1 and "t2" in ledger.seen


def test_with_a_clamped_page_size_the_group_is_collected_from_its_pages():
    tied = [("t1", 40), ("t2", 40), ("t3", 40)]
    source = ListSource([("a", 50), *tied, ("e", 20)], max_page_size=2,
                        before=rotating([("a", 50)], tied, [("e", 20)]))
    ledger = after_main_pass(source, page_size=4)
    assert ledger.clamped and ledger.effective_size == 2
    assert "t3" not in ledger.seen
    # a window of 7 cannot be had from a server that sends 2: read pages 1 and 2
    # (where the group lay) again until the group's three members showed
    assert repair(source, ledger) == [(1, 2, ["a", "t3"]), (2, 2, ["t2", "t3"])]
    assert ledger.report.tie_groups_repaired == 1 and "t3" in ledger.seen


def test_a_cap_above_the_size_asked_is_found_and_the_group_collected():
    tied = [(f"t{i}", 40) for i in range(1, 7)]
    source = ListSource([("a", 50), *tied, ("e", 20)], max_page_size=5)
    ledger = after_main_pass(source, page_size=2)
    assert not ledger.clamped  # pages of 2 are under the cap
    pages = repair(source, ledger)
    # the window of 11 came back with 5 runs, all but one in the group; the next
    # page shows more of it: a cap at 5, so the group's pages are read again
    assert pages[:2] == [(1, 11, ["a", "t1", "t2", "t3", "t4"]), (2, 11, ["t5", "t6", "e"])]
    assert [(number, size) for number, size, _ in pages[2:]] == [(1, 2), (2, 2), (3, 2),
                                                                 (4, 2)]
    assert ledger.cap == 5
    assert ledger.report.tie_groups_repaired == 1


def test_a_group_that_cannot_be_read_whole_while_the_list_moves_is_unverified():
    tied = [("t1", 40), ("t2", 40), ("t3", 40)]
    source = ListSource([("a", 50), *tied, ("e", 20)], max_page_size=2,
                        before=rotating([("a", 50)], tied, [("e", 20)]))
    ledger = after_main_pass(source, page_size=4)
    ledger.count_caught_up(1)  # a run was created during the fetch
    assert ledger.settle_drift()
    assert repair(source, ledger) == []  # no window fits, and collecting needs a still list
    assert source.requests == []
    assert ledger.report.tie_groups_unverified == 1 and ledger.report.tie_groups_repaired == 0


@pytest.mark.parametrize(("lo", "hi", "expected"), [
    (0, 4, (1, 4)), (4, 8, (2, 4)), (5, 9, (2, 5)), (7, 12, (2, 6)), (3, 4, (4, 1)),
])
def test_window_is_the_smallest_page_that_covers_the_offsets(lo, hi, expected):
    assert window(lo, hi) == expected


def test_every_window_covers_its_offsets_and_no_smaller_page_does():
    for lo in range(30):
        for hi in range(lo + 1, 40):
            number, size = window(lo, hi)
            start = (number - 1) * size
            assert start <= lo and start + size >= hi, (lo, hi)
            assert all(not any(s * n <= lo and s * n + s >= hi for n in range(hi))
                       for s in range(1, size)), (lo, hi)
