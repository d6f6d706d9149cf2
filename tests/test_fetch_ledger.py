"""The ledger: what a fetch has seen, and the counters only it changes."""

from __future__ import annotations

import numpy as np

from runlytics import FetchReport
from runlytics.fetch.ledger import Ledger
from runlytics.fetch.testing import page_of


class Bar:
    """A progress bar that adds up what it is told."""

    def __init__(self) -> None:
        self.total = 0

    def update(self, n: int) -> None:
        self.total += n


def test_a_page_of_new_runs_is_counted_and_its_runs_kept():
    bar = Bar()
    ledger = Ledger(FetchReport(), page_size=3, progress=bar)
    fresh = ledger.record(page_of(1, 3, [("a", 50), ("b", 40), ("c", 30)]))
    assert fresh.tolist() == [50, 40, 30]
    assert ledger.seen == {"a", "b", "c"} and ledger.repeated == []
    assert ledger.in_range == 3 and bar.total == 3
    assert (ledger.report.pages_requested, ledger.report.rows_received) == (1, 3)


def test_runs_seen_before_are_repeats_and_only_new_ones_count():
    bar = Bar()
    ledger = Ledger(FetchReport(), page_size=3, progress=bar)
    ledger.record(page_of(1, 3, [("a", 50), ("b", 40), ("c", 30)]))
    # "c" again, and "d" twice within the page (a list that moved mid-answer)
    fresh = ledger.record(page_of(2, 3, [("c", 30), ("d", 20), ("d", 20)]))
    assert fresh.tolist() == [20]
    assert ledger.repeated == [0, 2]
    assert ledger.seen == {"a", "b", "c", "d"}
    assert ledger.in_range == 4 and bar.total == 4
    assert (ledger.report.pages_requested, ledger.report.rows_received) == (2, 6)
    assert ledger.created_seen().tolist() == [50, 40, 30, 20]


def test_in_range_counts_runs_within_since_and_until_only():
    ledger = Ledger(FetchReport(), page_size=4, since_us=20, until_us=50)
    ledger.record(page_of(1, 4, [("a", 50), ("b", 40), ("c", 20), ("d", 10)]))
    assert ledger.in_range == 2  # b and c: until is exclusive, since inclusive
    assert ledger.in_bounds(np.array([50, 49, 20, 19])).tolist() == [False, True, True, False]


def test_neighbours_are_consecutive_pages_of_one_size_read_one_after_the_other():
    ledger = Ledger(FetchReport(), page_size=2)
    pages = [page_of(1, 2, [("a", 50), ("b", 40)]), page_of(2, 2, [("c", 30), ("d", 20)]),
             page_of(1, 2, [("a", 50), ("b", 40)]),  # back to the head: not a neighbour
             page_of(2, 5, [("x", 5)]),  # another size: not a neighbour
             page_of(3, 5, [])]
    for page in pages:
        ledger.record(page)
    assert [(b.number, b.page_size, a.number) for b, a in ledger.neighbours] == [
        (1, 2, 2), (2, 5, 3)]
    assert ledger.last is pages[-1]


def test_nothing_seen_has_no_times():
    ledger = Ledger(FetchReport(), page_size=2)
    assert ledger.created_seen().tolist() == []
    assert ledger.created_seen().dtype == np.int64


def test_counters_change_through_the_ledger():
    report = FetchReport()
    ledger = Ledger(report, page_size=2)
    ledger.record(page_of(1, 2, [("a", 50), ("b", 40)]))
    second = page_of(2, 2, [("b", 40), ("c", 30)])
    ledger.record(second)
    ledger.keep_main(second)
    ledger.stop("empty page")
    ledger.end_main_pass()
    ledger.count_caught_up(3)
    ledger.count_gap_refetch()
    ledger.count_tie_group(verified=True)
    ledger.count_tie_group(verified=False)
    ledger.clamp(2)
    assert ledger.settle_drift() is True and ledger.drift_detected
    assert report == FetchReport(
        pages_requested=2, rows_received=4, repeats_while_paging=1, runs_caught_up=3,
        gap_refetches=1, tie_groups_repaired=1, tie_groups_unverified=1,
        page_size_clamped_to=2, stopped_because="empty page", drift_detected=True)
    assert (ledger.clamped, ledger.effective_size, len(ledger.main)) == (True, 2, 1)


def test_the_list_moved_when_runs_were_pushed_down_or_caught_up():
    still = Ledger(FetchReport(), page_size=2)
    assert still.settle_drift() is False
    pushed = Ledger(FetchReport(), page_size=2)
    pushed.note_pushed_down()
    assert pushed.settle_drift() is True and pushed.report.drift_detected
