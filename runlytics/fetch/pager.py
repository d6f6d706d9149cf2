"""The sequence of passes: main pass, catch-up, gap repair, tie repair.

After the main pass and a first catch-up, the fetch knows whether the list
moved under it. Gap repair runs only then; tie repair always. A repair that
read pages while the list was moving is followed by another catch-up, for
the runs created while it ran. Tie groups that could not be read whole end
the fetch with an error: some of their runs may be missing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, Protocol

from ..client import RunsClient
from ..errors import RunlyticsError
from ..fetch_report import FetchReport
from ..pages import Page
from .catch_up import catch_up
from .gaps import repair_gaps
from .ledger import Ledger, PageSource
from .main_pass import main_pass
from .ties import repair_ties

__all__ = ["Pager", "PagerOptions", "run_passes"]


class PagerOptions(Protocol):
    """What the pager needs of a fetch's options."""

    @property
    def params(self) -> list[tuple[str, str]]:
        """The filters, as query parameters."""

    @property
    def page_size(self) -> int:
        """Runs per request."""

    @property
    def concurrency(self) -> int:
        """Requests in flight at once in the main pass."""

    @property
    def since_us(self) -> int | None:
        """Inclusive lower ``created_at`` bound, µs since the epoch (UTC)."""

    @property
    def until_us(self) -> int | None:
        """Exclusive upper ``created_at`` bound, µs since the epoch (UTC)."""

    @property
    def max_runs(self) -> int | None:
        """Runs in bounds that end the main pass."""


class Pager:
    """Runs the four passes over a :class:`~runlytics.client.RunsClient`.

    Args:
        client: the HTTP client; its ``cancel()`` is called when the fetch fails.
        options: the filters, bounds and sizes of the fetch.
        report: filled in as the passes go.
        progress: a progress bar told of every new run, or None.
    """

    def __init__(self, client: RunsClient, options: PagerOptions, report: FetchReport,
                 progress: Any) -> None:
        self.client = client
        self.params = options.params
        self.concurrency = options.concurrency
        self.ledger = Ledger(report, page_size=options.page_size, since_us=options.since_us,
                             until_us=options.until_us, max_runs=options.max_runs,
                             progress=progress)

    def pages(self) -> Iterator[Page]:
        """Every page the passes use, in the order read."""
        return run_passes(self._get, self.ledger, concurrency=self.concurrency,
                          cancel=self.client.cancel)

    def _get(self, number: int, page_size: int) -> Page:
        return self.client.get_page(number, page_size, self.params)


def run_passes(get: PageSource, ledger: Ledger, *, concurrency: int = 1,
               cancel: Callable[[], None] | None = None) -> Iterator[Page]:
    """Run the passes in order over ``get``, and yield every page they read.

    Args:
        get: the page source, ``get(number, page_size) -> Page``.
        ledger: records what was seen and fills in the report.
        concurrency: requests in flight at once in the main pass.
        cancel: called when the main pass fails, to stop requests in flight.

    Raises:
        RunlyticsError: tie groups could not be read whole, or runs are
            created faster than they can be read.

    Example:
        >>> from runlytics.fetch.testing import ListSource
        >>> source = ListSource([("a", 50), ("b", 40), ("c", 30)])
        >>> ledger = Ledger(FetchReport(), page_size=2)
        >>> [page.index.ids for page in run_passes(source, ledger)]
        [['a', 'b'], ['c'], [], ['a', 'b']]
        >>> ledger.report.drift_detected, ledger.report.pages_requested
        (False, 4)
    """
    yield from main_pass(get, ledger, concurrency=concurrency, cancel=cancel)
    ledger.end_main_pass()
    yield from catch_up(get, ledger)
    drift = ledger.settle_drift()
    for repair in (repair_gaps, repair_ties):
        if repair is repair_gaps and not drift:
            continue
        before = ledger.pages_requested
        yield from repair(get, ledger)
        if drift and ledger.pages_requested > before:
            yield from catch_up(get, ledger)  # runs created while the repair ran
    if ledger.report.tie_groups_unverified:
        raise _unverified(ledger)


def _unverified(ledger: Ledger) -> RunlyticsError:
    """The error for tie groups that could not be read whole."""
    cap = ledger.effective_size if ledger.clamped else ledger.cap
    why = "too big" if cap is None else f"the server sends at most {cap} runs per page"
    return RunlyticsError(
        f"{ledger.report.tie_groups_unverified} groups of runs created at the same "
        f"instant could not be read whole ({why}, and runs were being created "
        "meanwhile); fetch again, or fewer runs (--status, --since)")
