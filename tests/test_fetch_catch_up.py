"""Catch-up on fake pages: from the head down to the runs read before."""

from __future__ import annotations

import pytest

from runlytics import FetchReport
from runlytics.errors import RunlyticsError
from runlytics.fetch.catch_up import MAX_CATCH_UP_PAGES, catch_up
from runlytics.fetch.ledger import Ledger
from runlytics.fetch.main_pass import main_pass
from runlytics.fetch.testing import ListSource

RUNS = [("a", 50), ("b", 40), ("c", 30), ("d", 20), ("e", 10)]


def after_main_pass(runs, *, page_size=2, **bounds) -> tuple[ListSource, Ledger]:
    """A source over ``runs`` and a ledger that has read it all, requests forgotten."""
    source = ListSource(runs)
    ledger = Ledger(FetchReport(), page_size=page_size, **bounds)
    for _ in main_pass(source, ledger):
        pass
    source.requests.clear()
    return source, ledger


def read(source, ledger) -> list[list[str]]:
    return [page.index.ids for page in catch_up(source, ledger)]


def test_runs_created_during_the_fetch_are_read_down_to_the_head_mark():
    source, ledger = after_main_pass(RUNS)
    source.runs[:0] = [("n3", 80), ("n2", 70), ("n1", 60)]
    assert read(source, ledger) == [["n3", "n2"], ["n1", "a"]]
    assert source.requests == [(1, 2), (2, 2)]
    assert ledger.report.runs_caught_up == 3
    assert ledger.head_mark == 80  # the newest run now: the next catch-up reads down to it
    assert {"n1", "n2", "n3"} <= ledger.seen


def test_a_still_list_takes_one_page():
    source, ledger = after_main_pass(RUNS)
    assert read(source, ledger) == [["a", "b"]]
    assert ledger.report.runs_caught_up == 0 and ledger.head_mark == 50


def test_unseen_runs_older_than_the_head_mark_are_missed_tie_members_not_new_runs():
    source, ledger = after_main_pass([("a", 50), ("b", 40)])
    source.runs.insert(1, ("x", 40))  # tied with "b", not shown by the main pass
    assert read(source, ledger) == [["a", "x"]]
    assert ledger.report.runs_caught_up == 0 and "x" in ledger.seen


def test_head_growth_is_measured_again_by_later_windows():
    source, ledger = after_main_pass(RUNS)
    ledger.head_growth = 7
    read(source, ledger)
    assert ledger.head_growth == 0


def test_runs_below_since_end_the_catch_up():
    # nothing in bounds: the main pass stopped on page 1, its head mark below since
    source, ledger = after_main_pass(RUNS, since_us=100)
    assert ledger.head_mark == 50
    source.runs[:0] = [("n2", 70), ("n1", 60)]  # newer than the mark, still below since
    assert read(source, ledger) == [["n2", "n1"]]
    assert ledger.report.runs_caught_up == 2 and ledger.head_mark == 70


def test_an_empty_list_that_filled_up_is_read_to_its_end():
    source, ledger = after_main_pass([])
    assert ledger.head_mark is None
    source.runs[:] = [("n1", 30), ("n2", 20), ("n3", 10)]
    assert read(source, ledger) == [["n1", "n2"], ["n3"], []]
    assert ledger.report.runs_caught_up == 3 and ledger.head_mark == 30


def test_runs_created_faster_than_they_are_read_are_given_up():
    source, ledger = after_main_pass(RUNS)
    created = iter(range(1000, 100_000))

    def three_new_runs(source, _number, _size):
        source.runs[:0] = [(f"n{s}", s) for s in sorted((next(created) for _ in range(3)),
                                                         reverse=True)]

    source.before = three_new_runs
    with pytest.raises(RunlyticsError, match=f"{MAX_CATCH_UP_PAGES} pages read from the "
                                             "newest run did not reach"):
        read(source, ledger)
    assert source.requests == [(number, 2) for number in range(1, MAX_CATCH_UP_PAGES + 1)]
