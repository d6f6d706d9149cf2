"""The sequence of passes on fake pages: which passes run, and what the report says."""

from __future__ import annotations

import itertools
import threading

import pytest

from runlytics import FetchReport
from runlytics.errors import RunlyticsError
from runlytics.fetch.ledger import Ledger
from runlytics.fetch.pager import run_passes
from runlytics.fetch.testing import ListSource

RUNS = [("a", 50), ("b", 40), ("c", 30), ("d", 20), ("e", 10)]


def late_page_1(source: ListSource, before_page_1=lambda: None):
    """A page source whose first page 1 is answered after page 2 (then ``before_page_1``)."""
    page_2_answered = threading.Event()
    first = itertools.count()

    def get(number: int, size: int):
        if number == 1 and next(first) == 0:
            assert page_2_answered.wait(10), "page 2 was never asked for"
            before_page_1()
        page = source(number, size)
        if number == 2:
            page_2_answered.set()
        return page
    return get


def test_a_still_list_is_read_once_and_checked_at_the_head():
    source = ListSource(RUNS)
    report = FetchReport()
    pages = list(run_passes(source, Ledger(report, page_size=2)))
    assert [page.index.ids for page in pages] == [["a", "b"], ["c", "d"], ["e"], [], ["a", "b"]]
    assert source.requests == [(1, 2), (2, 2), (3, 2), (4, 2), (1, 2)]
    assert report == FetchReport(pages_requested=5, rows_received=7,
                                 stopped_because="empty page")


def test_a_list_that_moved_is_caught_up_and_checked_again_after_a_repair():
    def two_new_runs(source, number, _size):
        if len(source.requests) == 2:
            source.runs[:0] = [("n1", 70), ("n2", 60)]

    source = ListSource(RUNS, before=two_new_runs)
    report = FetchReport()
    ledger = Ledger(report, page_size=2)
    pages = list(run_passes(source, ledger))
    assert source.requests == [
        (1, 2), (2, 2), (3, 2), (4, 2), (5, 2),  # main pass: a and b pushed into page 2
        (1, 2), (2, 2),  # catch-up down to "a", the head at the main pass's page 1
        (1, 8),  # "b" ended page 1 and showed in page 2: a window around it
        (1, 2),  # a repair read pages while the list moved: catch up again
    ]
    assert ledger.seen == {"n1", "n2", "a", "b", "c", "d", "e"}
    assert len(pages) == 9
    assert report == FetchReport(
        pages_requested=9, rows_received=7 + 4 + 7 + 2, drift_detected=True,
        repeats_while_paging=2, runs_caught_up=2, tie_groups_repaired=1,
        stopped_because="empty page")


def test_gaps_are_repaired_only_when_the_list_moved():
    source = ListSource(RUNS[:4])
    report = FetchReport()
    list(run_passes(late_page_1(source), Ledger(report, page_size=2), concurrency=2))
    assert source.requests[:2] == [(2, 2), (1, 2)]  # page 2 asked for, answered first
    assert not report.drift_detected and report.gap_refetches == 0


def test_a_gap_opened_by_an_answer_out_of_order_is_closed():
    source = ListSource([("a", 60), ("b", 50), ("c", 40), ("d", 30), ("e", 20), ("f", 10)])

    def two_new_runs():  # after page 2 was answered, before page 1 is
        source.runs[:0] = [("n1", 80), ("n2", 70)]

    report = FetchReport()
    ledger = Ledger(report, page_size=2)
    pages = list(run_passes(late_page_1(source, two_new_runs), ledger, concurrency=2))
    main = [page.index.ids for page in ledger.main[:2]]
    assert main == [["n1", "n2"], ["c", "d"]]  # "a" and "b" fell between them
    assert report.drift_detected and report.gap_refetches >= 2
    yielded = [run_id for page in pages for run_id in page.index.ids]
    assert set(yielded) == {"n1", "n2", "a", "b", "c", "d", "e", "f"}


def test_tie_groups_that_cannot_be_read_whole_fail_the_fetch():
    head, tied, tail = [("a", 50)], [("t1", 40), ("t2", 40), ("t3", 40)], [("e", 20)]
    requests = itertools.count(1)

    def rotate_and_grow(source, _number, _size):
        k = next(requests)
        if k == 5:  # the catch-up finds a run created during the fetch
            head.insert(0, ("n", 60))
        source.runs = head + tied[k % 3:] + tied[:k % 3] + tail

    source = ListSource([*head, *tied, *tail], max_page_size=2, before=rotate_and_grow)
    report = FetchReport()
    with pytest.raises(RunlyticsError, match=r"^1 groups of runs created at the same instant "
                       r"could not be read whole \(the server sends at most 2 runs per page, "
                       r"and runs were being created meanwhile\)"):
        list(run_passes(source, Ledger(report, page_size=4)))
    assert source.requests == [(1, 4), (2, 4), (3, 4), (4, 4), (1, 4)]
    assert report.tie_groups_unverified == 1 and report.page_size_clamped_to == 2
