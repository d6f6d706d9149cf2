"""Gap repair on fake pages: pages answered before their predecessor are read again."""

from __future__ import annotations

from runlytics import FetchReport
from runlytics.fetch.gaps import repair_gaps, suspects
from runlytics.fetch.ledger import Ledger
from runlytics.fetch.testing import ListSource, Run, page_of


def main_pages(*answers: tuple[list[Run], float, float], page_size: int = 2) -> Ledger:
    """A ledger whose main pass got ``answers``: (runs, sent_at, received_at) per page."""
    ledger = Ledger(FetchReport(), page_size=page_size)
    for number, (runs, sent_at, received_at) in enumerate(answers, start=1):
        page = page_of(number, page_size, runs, sent_at=sent_at, received_at=received_at)
        ledger.record(page)
        ledger.keep_main(page)
    return ledger


def read(source, ledger) -> list[list[str]]:
    return [page.index.ids for page in repair_gaps(source, ledger)]


def test_asked_for_before_its_predecessor_was_answered_is_a_suspect_even_if_answered_later():
    ledger = main_pages(([("a", 50), ("b", 40)], 1.0, 2.0),
                        ([("c", 30), ("d", 20)], 1.5, 3.0))
    assert [(b.number, p.number) for b, p in suspects(ledger.main)] == [(1, 2)]


def test_an_answer_before_its_predecessor_opens_a_gap_that_is_read_again():
    # Page 2 was answered first ("c", "d"); then n1 and n2 were created, and page 1,
    # answered last, shows them: "a" and "b" were pushed past both pages.
    ledger = main_pages(([("n1", 80), ("n2", 70)], 1.0, 4.0),
                        ([("c", 40), ("d", 30)], 2.0, 3.0),
                        ([("c", 40), ("d", 30)], 5.0, 6.0),
                        ([("e", 20), ("f", 10)], 7.0, 8.0),
                        ([], 9.0, 10.0))
    assert "a" not in ledger.seen and "b" not in ledger.seen
    source = ListSource([("n1", 80), ("n2", 70), ("a", 60), ("b", 50), ("c", 40),
                         ("d", 30), ("e", 20), ("f", 10)])
    # from page 2 (one run known newer than "n2") to page 2's old first run, "c"
    assert read(source, ledger) == [["a", "b"], ["c", "d"]]
    assert source.requests == [(2, 2), (3, 2)]
    assert {"a", "b"} <= ledger.seen
    assert ledger.report.gap_refetches == 2


def test_pages_asked_for_after_their_predecessor_was_answered_need_no_repair():
    ledger = main_pages(([("a", 50), ("b", 40)], 1.0, 2.0),
                        ([("c", 30), ("d", 20)], 2.5, 3.0),
                        ([], 3.5, 4.0))
    assert suspects(ledger.main) == []
    source = ListSource([("a", 50), ("b", 40), ("c", 30), ("d", 20)])
    assert read(source, ledger) == []
    assert source.requests == [] and ledger.report.gap_refetches == 0


def test_a_page_sharing_a_run_with_its_predecessor_has_no_gap_after_it():
    ledger = main_pages(([("a", 50), ("b", 40)], 1.0, 4.0),
                        ([("b", 40), ("c", 30)], 2.0, 3.0))
    assert suspects(ledger.main) == []


def test_neighbouring_suspects_are_served_by_one_sweep():
    # pages 3, 2, 1 answered in that order, runs pushed down between the answers
    ledger = main_pages(([("a", 80), ("b", 70)], 1.0, 6.0),
                        ([("e", 40), ("f", 30)], 2.0, 5.0),
                        ([("g", 20), ("h", 10)], 3.0, 4.0))
    assert [(b.number, p.number) for b, p in suspects(ledger.main)] == [(1, 2), (2, 3)]
    source = ListSource([("n1", 100), ("n2", 90), ("a", 80), ("b", 70), ("c", 60),
                         ("d", 50), ("e", 40), ("f", 30), ("g", 20), ("h", 10)])
    assert read(source, ledger) == [["a", "b"], ["c", "d"], ["e", "f"], ["g", "h"]]
    # not from page 3 again once page 2's old first run ("e") was passed
    assert source.requests == [(2, 2), (3, 2), (4, 2), (5, 2)]
    assert ledger.report.gap_refetches == 4 and {"c", "d"} <= ledger.seen


def test_runs_created_since_move_the_start_of_the_sweep_down():
    ledger = main_pages(([("a", 60), ("b", 50)], 1.0, 4.0),
                        ([("e", 20), ("f", 10)], 2.0, 3.0))
    # a catch-up read four runs created since, all newer than "b"
    for number, runs in ((1, [("n1", 100), ("n2", 90)]), (2, [("n3", 80), ("n4", 70)])):
        ledger.record(page_of(number, 2, runs))
    source = ListSource([("n1", 100), ("n2", 90), ("n3", 80), ("n4", 70), ("a", 60),
                         ("b", 50), ("c", 40), ("d", 30), ("e", 20), ("f", 10)])
    # five runs known newer than "b": its page is page 3 now, so pages 1 and 2
    # (runs created since) are not read again
    assert read(source, ledger) == [["a", "b"], ["c", "d"], ["e", "f"]]
    assert source.requests == [(3, 2), (4, 2), (5, 2)]
    assert {"c", "d"} <= ledger.seen and ledger.report.gap_refetches == 3


def test_an_empty_last_page_answered_early_is_read_on_to_the_end():
    # the empty page 2 came back before page 1, which then showed a new run "n"
    ledger = main_pages(([("n", 60), ("a", 50)], 1.0, 4.0), ([], 2.0, 3.0))
    source = ListSource([("n", 60), ("a", 50), ("b", 40)])
    assert read(source, ledger) == [["b"], []]
    assert source.requests == [(2, 2), (3, 2)] and "b" in ledger.seen
