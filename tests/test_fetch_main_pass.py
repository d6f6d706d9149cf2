"""The main pass on fake pages: what it asks for, what it yields, where it stops."""

from __future__ import annotations

import threading

import pytest

from runlytics import FetchReport
from runlytics.errors import RunlyticsError
from runlytics.fetch.ledger import Ledger
from runlytics.fetch.main_pass import MAX_STALE_PAGES, main_pass, stop_reason
from runlytics.fetch.testing import ListSource, page_of

RUNS = [("a", 50), ("b", 40), ("c", 30), ("d", 20), ("e", 10)]


def read(source, ledger, **kwargs) -> list[list[str]]:
    return [page.index.ids for page in main_pass(source, ledger, **kwargs)]


def test_a_still_list_is_read_page_by_page_to_the_empty_page():
    source = ListSource(RUNS)
    ledger = Ledger(FetchReport(), page_size=2)
    assert read(source, ledger) == [["a", "b"], ["c", "d"], ["e"], []]
    assert source.requests == [(1, 2), (2, 2), (3, 2), (4, 2)]
    assert [page.number for page in ledger.main] == [1, 2, 3, 4]
    assert ledger.report.stopped_because == "empty page"
    assert ledger.head_mark == 50
    assert not ledger.pushed_down and not ledger.clamped


def test_runs_created_while_paging_push_rows_down_into_the_next_page():
    def two_new_runs(source, number, _size):
        if number == 2:
            source.runs[:0] = [("n1", 70), ("n2", 60)]

    source = ListSource(RUNS, before=two_new_runs)
    ledger = Ledger(FetchReport(), page_size=2)
    assert read(source, ledger) == [["a", "b"], ["a", "b"], ["c", "d"], ["e"], []]
    assert source.requests == [(1, 2), (2, 2), (3, 2), (4, 2), (5, 2)]
    # "a" repeats, and is not tied with "b" at the page edge: the list moved
    assert ledger.pushed_down
    assert ledger.seen == {"a", "b", "c", "d", "e"}  # the new runs are the catch-up's
    assert (ledger.report.pages_requested, ledger.report.rows_received) == (5, 7)


def test_a_repeat_of_the_edge_run_alone_may_be_a_tie_not_a_push():
    def one_new_run(source, number, _size):
        if number == 2:
            source.runs.insert(0, ("n1", 70))

    source = ListSource(RUNS, before=one_new_run)
    ledger = Ledger(FetchReport(), page_size=2)
    assert read(source, ledger) == [["a", "b"], ["b", "c"], ["d", "e"], []]
    assert not ledger.pushed_down


def test_a_short_page_followed_by_more_runs_is_a_clamped_page_size():
    source = ListSource(RUNS, max_page_size=2)
    ledger = Ledger(FetchReport(), page_size=3)
    assert read(source, ledger) == [["a", "b"], ["c", "d"], ["e"], []]
    assert source.requests == [(1, 3), (2, 3), (3, 3), (4, 3)]
    assert (ledger.clamped, ledger.effective_size) == (True, 2)
    assert ledger.report.page_size_clamped_to == 2


def test_a_short_last_page_is_not_a_clamp():
    source = ListSource(RUNS[:2])
    ledger = Ledger(FetchReport(), page_size=3)
    assert read(source, ledger) == [["a", "b"], []]
    assert not ledger.clamped and ledger.report.page_size_clamped_to is None


def test_a_short_page_after_a_full_one_is_runs_created_meanwhile_not_a_clamp():
    def four_new_runs(source, number, _size):
        if number == 3:
            source.runs[:0] = [("n1", 90), ("n2", 80), ("n3", 70), ("n4", 60)]

    source = ListSource(RUNS[:4], before=four_new_runs)
    ledger = Ledger(FetchReport(), page_size=3)
    assert read(source, ledger) == [["a", "b", "c"], ["d"], ["c", "d"], []]
    assert not ledger.clamped and ledger.effective_size == 3


def test_the_pass_stops_at_since():
    source = ListSource(RUNS)
    ledger = Ledger(FetchReport(), page_size=2, since_us=35)
    assert read(source, ledger) == [["a", "b"], ["c", "d"]]
    assert source.requests == [(1, 2), (2, 2)]
    assert ledger.report.stopped_because == "reached since"


def test_the_pass_stops_at_max_runs_in_bounds():
    source = ListSource(RUNS)
    ledger = Ledger(FetchReport(), page_size=2, until_us=50, max_runs=3)
    # "a" is out of bounds (until is exclusive), so three in bounds take two pages
    assert read(source, ledger) == [["a", "b"], ["c", "d"]]
    assert ledger.in_range == 3 and ledger.report.stopped_because == "max_runs"


def test_stop_reasons():
    ledger = Ledger(FetchReport(), page_size=2, since_us=25, max_runs=10)
    page = page_of(1, 2, [("a", 50), ("b", 40)])
    ledger.record(page)
    assert stop_reason(page, ledger) is None
    assert stop_reason(page_of(2, 2, []), ledger) == "empty page"
    assert stop_reason(page_of(2, 2, [("c", 30), ("d", 20)]), ledger) == "reached since"


def test_a_list_growing_a_page_per_page_read_is_given_up_and_cancelled():
    created = iter(range(1000, 2000))

    def a_page_of_new_runs(source, _number, size):
        source.runs[:0] = [(f"n{stamp}", stamp) for stamp in
                           sorted((next(created) for _ in range(size)), reverse=True)]

    cancelled = []
    source = ListSource(RUNS, before=a_page_of_new_runs)
    ledger = Ledger(FetchReport(), page_size=2)
    with pytest.raises(RunlyticsError, match=f"{MAX_STALE_PAGES} pages in a row got no "
                                             "further"):
        read(source, ledger, cancel=lambda: cancelled.append(True))
    # page 1 reached the oldest new run so far; every page after it showed that one again
    assert source.requests == [(number, 2) for number in range(1, MAX_STALE_PAGES + 2)]
    assert cancelled == [True]


def test_answers_out_of_order_are_yielded_in_order():
    source = ListSource(RUNS[:4])
    page_2_answered = threading.Event()

    def late_page_1(number: int, size: int):
        if number == 1:
            assert page_2_answered.wait(10), "page 2 was never asked for"
        page = source(number, size)
        if number == 2:
            page_2_answered.set()
        return page

    ledger = Ledger(FetchReport(), page_size=2)
    assert read(late_page_1, ledger, concurrency=2) == [["a", "b"], ["c", "d"], []]
    first, second = ledger.main[:2]
    assert second.received_at < first.received_at  # answered first, yielded second
    # page 4 was asked for with page 3 in flight, unless the pass had stopped first
    assert source.requests[:2] == [(2, 2), (1, 2)]
    assert sorted(source.requests[2:]) in ([(3, 2)], [(3, 2), (4, 2)])


def test_a_failed_request_cancels_the_others():
    def failing(number: int, size: int):
        if number == 2:
            raise RunlyticsError("page 2 failed")
        return page_of(number, size, RUNS[(number - 1) * size:number * size])

    cancelled = []
    ledger = Ledger(FetchReport(), page_size=2)
    pages = main_pass(failing, ledger, cancel=lambda: cancelled.append(True))
    assert next(pages).index.ids == ["a", "b"]
    with pytest.raises(RunlyticsError, match="page 2 failed"):
        next(pages)
    assert cancelled == [True]
