"""Every run of ``GET /v1/workflows/runs``, exactly once, while the list moves.

The endpoint pages with ``LIMIT/OFFSET`` over ``created_at DESC`` with no
tie-breaker. Runs created while we page push rows down (repeats), requests in
flight at once may be answered out of order (then a push can open a gap), and
rows with equal ``created_at`` come back in any order (a tie group cut by a
page edge can lose members). The pager makes the answer exact anyway:

1. **Main pass**: pages 1, 2, ... with ``concurrency`` requests in flight,
   yielded in order, until an empty page (a short page alone is not trusted:
   a gateway may clamp ``page_size``), the ``since`` bound, or ``max_runs``.
2. **Catch-up**: pages from the head again until one holds only known runs,
   which brings in the runs created during the fetch.
3. **Gap repair** (only when the list moved): every page that was asked for
   before its predecessor was answered, and shares no run with it, is asked
   for again; now it is answered after its predecessor, so no push can leave
   a gap between them.
4. **Tie repair**: a ``created_at`` that ends one page and shows again in the next is
   fetched again in one wider window (``page_size`` chosen so that one page
   holds the whole group), checked to lie strictly inside that answer.

The result is every run that existed at the end of the fetch and matched the
filters, each once (the copy with the newest ``modified_at`` wins). A run
deleted while paging can still make a neighbour be skipped: the API gives no
way to see that.
"""

from __future__ import annotations

import os
import sys
import time
import warnings
from collections.abc import Generator, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from typing import Any

import httpx
import numpy as np
import orjson
import pandas as pd
import pyarrow as pa

from .client import (
    DEFAULT_CONCURRENCY,
    Page,
    RetryPolicy,
    RunsClient,
    resolve_base_url,
)
from .errors import RunlyticsError, UsageError, safe_url
from .frame import dedupe_runs, frame_from_table, runs_table
from .query import DEFAULT_PAGE_SIZE, RunQuery, When

__all__ = ["Client", "FetchReport", "Fetched", "PageStream", "fetch_frame", "fetch_table",
           "iter_pages", "query_and_client"]

MAX_CATCH_UP_PAGES = 200  # or twice the pages read before it, if more
MAX_STALE_PAGES = 20  # main-pass pages in a row that got no deeper into the list
MAX_TIE_WINDOW = 5_000
TIE_ATTEMPTS = 3
TIE_COLLECT_ROUNDS = 20


@dataclass
class FetchReport:
    """How a fetch went: what was asked, what came back, what was repaired."""

    base_url: str = ""
    filters: dict[str, Any] = field(default_factory=dict)
    pages_requested: int = 0
    requests: int = 0
    retries: int = 0
    retry_reasons: dict[str, int] = field(default_factory=dict)
    runs: int = 0
    rows_received: int = 0
    duplicates_dropped: int = 0
    drift_detected: bool = False
    repeats_while_paging: int = 0
    runs_caught_up: int = 0
    gap_refetches: int = 0
    tie_groups_repaired: int = 0
    tie_groups_unverified: int = 0
    page_size_clamped_to: int | None = None
    stopped_because: str = ""
    elapsed_seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def summary(self) -> str:
        """One or two lines for people (the CLI prints this on stderr)."""
        rate = self.runs / self.elapsed_seconds if self.elapsed_seconds else 0.0
        line = (f"{self.runs:,} runs from {self.pages_requested:,} pages in "
                f"{self.elapsed_seconds:.1f} s ({rate:,.0f} runs/s); stopped: "
                f"{self.stopped_because}")
        notes = []
        if self.retries:
            reasons = ", ".join(f"{k}: {v}" for k, v in sorted(self.retry_reasons.items()))
            notes.append(f"{self.retries} retries ({reasons})")
        if self.drift_detected:
            notes.append(f"list moved while paging: {self.repeats_while_paging:,} repeated rows, "
                         f"{self.runs_caught_up:,} new runs caught up, "
                         f"{self.gap_refetches} pages re-read")
        if self.tie_groups_repaired or self.tie_groups_unverified:
            notes.append(f"{self.tie_groups_repaired} tie groups re-read"
                         + (f", {self.tie_groups_unverified} could not be verified"
                            if self.tie_groups_unverified else ""))
        if self.page_size_clamped_to:
            notes.append(f"server clamped page_size to {self.page_size_clamped_to}")
        return line + ("\n" + "; ".join(notes) if notes else "")


@dataclass
class _Options:
    params: list[tuple[str, str]]
    page_size: int
    concurrency: int
    since_us: int | None
    until_us: int | None
    max_runs: int | None


class _Pager:
    """Runs the four passes and yields every page it uses, in order."""

    def __init__(self, client: RunsClient, options: _Options, report: FetchReport,
                 progress: Any) -> None:
        self.client = client
        self.opt = options
        self.report = report
        self.progress = progress
        self.seen: set[str] = set()
        self.in_range = 0
        self.main: list[Page] = []
        self.effective_size = options.page_size
        self.clamped = False
        self.cap: int | None = None  # a page_size cap found above the size of the main pass
        self.repeated: list[int] = []
        self.pushed_down = False
        self.first_seen_created: list[np.ndarray] = []
        # pages read one after the other with consecutive numbers, for tie checks
        self.neighbours: list[tuple[Page, Page]] = []
        self.last: Page | None = None
        self.head_growth = 0
        # created_at of the newest run at the last read of page 1: every run newer
        # than it was created since, and a catch-up must read down to it
        self.head_mark: int | None = None

    # -- bookkeeping ----------------------------------------------------------

    def _take(self, page: Page) -> Page:
        """Count the page in; remember which of its rows were seen before."""
        self.report.pages_requested += 1
        self.report.rows_received += len(page)
        ids = page.index.ids
        if self.seen.isdisjoint(ids) and len(set(ids)) == len(ids):
            self.repeated = []  # the usual page: every run new
            self.seen.update(ids)
        else:
            self.repeated = []
            for i, run_id in enumerate(ids):
                if run_id in self.seen:
                    self.repeated.append(i)
                else:
                    self.seen.add(run_id)
        fresh = np.ones(len(page), bool)
        fresh[self.repeated] = False
        created = page.index.created_us[fresh]
        self.in_range += int(self._in_range(created).sum())
        self.first_seen_created.append(created)
        if self.last is not None and self.last.number + 1 == page.number and \
                self.last.page_size == page.page_size:
            self.neighbours.append((self.last, page))
        self.last = page
        if self.progress is not None:
            self.progress.update(len(page) - len(self.repeated))
        return page

    def _in_range(self, created_us: np.ndarray) -> np.ndarray:
        inside = np.ones(len(created_us), bool)
        if self.opt.since_us is not None:
            inside &= created_us >= self.opt.since_us
        if self.opt.until_us is not None:
            inside &= created_us < self.opt.until_us
        return inside

    def _stop_reason(self, page: Page) -> str | None:
        if not len(page):
            return "empty page"
        if self.opt.since_us is not None and page.index.created_us[-1] < self.opt.since_us:
            return "reached since"
        if self.opt.max_runs is not None and self.in_range >= self.opt.max_runs:
            return "max_runs"
        return None

    def _get(self, number: int, size: int | None = None) -> Page:
        return self.client.get_page(number, size or self.opt.page_size, self.opt.params)

    # -- passes ---------------------------------------------------------------

    def pages(self) -> Iterator[Page]:
        yield from self._main_pass()
        self.report.repeats_while_paging = self.report.rows_received - len(self.seen)
        yield from self._catch_up()
        # New runs at the head, or repeats that a tie at the page edge does not
        # explain, mean the list moved under the main pass.
        self.report.drift_detected = self.pushed_down or self.report.runs_caught_up > 0
        for repair in (self._repair_gaps, self._repair_ties):
            if repair == self._repair_gaps and not self.report.drift_detected:
                continue
            before = self.report.pages_requested
            yield from repair()
            if self.report.drift_detected and self.report.pages_requested > before:
                yield from self._catch_up()  # runs created while the repair ran
        if self.report.tie_groups_unverified:  # some of their runs may be missing
            cap = self.effective_size if self.clamped else self.cap
            why = "too big" if cap is None else f"the server sends at most {cap} runs per page"
            raise RunlyticsError(
                f"{self.report.tie_groups_unverified} groups of runs created at the same "
                f"instant could not be read whole ({why}, and runs were being created "
                "meanwhile); fetch again, or fewer runs (--status, --since)")

    def _main_pass(self) -> Iterator[Page]:
        pending: list[tuple[int, Future[Page]]] = []
        next_number = 1
        stale = 0
        deepest: int | None = None  # created_at of the oldest last run of a page so far
        with ThreadPoolExecutor(self.opt.concurrency, thread_name_prefix="runlytics") as pool:
            try:
                for _ in range(self.opt.concurrency):
                    pending.append((next_number, pool.submit(self._get, next_number)))
                    next_number += 1
                while pending:
                    _, future = pending.pop(0)
                    page = self._take(future.result())
                    if len(page):
                        # Deeper: an older last run, or runs not seen before at the
                        # depth reached (members of a tie group). Not deeper: the list
                        # grows by a page or more for every page read, for ever.
                        last = int(page.index.created_us[-1])
                        deeper = deepest is None or last < deepest or bool(
                            (self.first_seen_created[-1] <= deepest).any())
                        deepest = last if deepest is None else min(deepest, last)
                        stale = 0 if deeper else stale + 1
                        if stale >= MAX_STALE_PAGES:
                            raise _too_fast(f"{stale} pages in a row got no further")
                    self._note_repeats(page)
                    self._note_clamp(page)
                    self.main.append(page)
                    yield page
                    reason = self._stop_reason(page)
                    if reason:
                        self.report.stopped_because = reason
                        break
                    pending.append((next_number, pool.submit(self._get, next_number)))
                    next_number += 1
            except BaseException:
                self.client.cancel()
                raise
            finally:
                for _, future in pending:
                    future.cancel()

    def _note_repeats(self, page: Page) -> None:
        """Repeats not all tied with the previous page's last row: rows were pushed down."""
        if self.repeated and self.main:
            edge = self.main[-1].index.created_us[-1] if len(self.main[-1]) else None
            created = page.index.created_us
            if any(created[i] != edge for i in self.repeated):
                self.pushed_down = True

    def _note_clamp(self, page: Page) -> None:
        previous = self.main[-1] if self.main else None
        if not self.main and len(page):
            self.head_mark = int(page.index.created_us[0])
        # A short page followed by more runs: a clamp, unless a full page came
        # before (then runs created while paging filled the page after a short one).
        if previous is not None and len(page) and len(previous) < self.opt.page_size \
                and max(len(p) for p in self.main) < self.opt.page_size:
            self.clamped = True
            self.effective_size = max(len(p) for p in self.main)
            self.report.page_size_clamped_to = self.effective_size

    def _catch_up(self) -> Iterator[Page]:
        """Read from the head down to the newest run of the last head read.

        Not just to the first page of known runs: a repair may have read runs
        created during the fetch, below which others it did not read can lie.
        Reading on is safe from gaps: runs created meanwhile only push rows down.
        """
        self.head_growth = 0
        mark, new_mark = self.head_mark, None
        # Runs created while n pages were read take at most n pages to read again,
        # unless they arrive faster than half the reading speed.
        limit = max(MAX_CATCH_UP_PAGES, 2 * self.report.pages_requested)
        for number in range(1, limit + 1):
            page = self._take(self._get(number))
            fresh = self.first_seen_created[-1]
            # Unseen runs newer than the last head read were created meanwhile; older
            # ones are members of a tie group the main pass missed: not a moving list.
            self.report.runs_caught_up += len(fresh) if mark is None else int((fresh > mark).sum())
            yield page
            if number == 1 and len(page):
                new_mark = int(page.index.created_us[0])
            if not len(page) or (mark is not None and page.index.created_us[-1] <= mark):
                self.head_mark = new_mark if new_mark is not None else mark
                return
            if self.opt.since_us is not None and page.index.created_us[-1] < self.opt.since_us:
                self.head_mark = new_mark
                return
        raise _too_fast(f"{limit} pages read from the newest run did not reach "
                        "the runs read before")

    def _repair_gaps(self) -> Iterator[Page]:
        """Re-read from every page asked for before its predecessor was answered.

        Such a page may have been answered before runs were pushed down, which
        leaves a gap after its predecessor. Pages read now come after both, so
        reading on from its number until its old first run shows up again (or
        is passed) covers the gap, however many runs were pushed in. A read
        that passes the number of a later suspect page reads on to that page's
        first run too, so one sequential sweep serves neighbouring suspects.
        """
        suspects = [(before, page) for before, page in zip(self.main, self.main[1:],
                                                           strict=False)
                    if page.sent_at < before.received_at
                    and not set(before.index.ids) & set(page.index.ids)]
        created = np.concatenate(self.first_seen_created) if self.first_seen_created \
            else np.empty(0, np.int64)
        i = 0
        while i < len(suspects):
            before, page = suspects[i]
            # Runs created since pushed the gap down: start no earlier than the page
            # the predecessor's last run is on now, counting the runs known to be newer
            # (a lower bound), instead of sweeping through every run created since.
            newer = int((created > before.index.created_us[-1]).sum()) if len(before) else 0
            number = max(page.number, newer // self.effective_size + 1)
            while True:
                fresh = self._take(self._get(number))
                self.report.gap_refetches += 1
                yield fresh
                while i + 1 < len(suspects) and suspects[i + 1][1].number <= number:
                    i += 1
                if self._reached(suspects[i][1], fresh):
                    break
                number += 1
            i += 1

    def _reached(self, old: Page, fresh: Page) -> bool:
        """Whether ``fresh`` (read now) is at or past where ``old`` began."""
        if not len(old):  # the old page was the empty last one
            return self._stop_reason(fresh) is not None
        return (not len(fresh) or old.index.ids[0] in fresh.index.ids
                or fresh.index.created_us[-1] < old.index.created_us[0])

    def _repair_ties(self) -> Iterator[Page]:
        """Re-read each ``created_at`` that ends one page and shows again in the next.

        Rows with equal ``created_at`` come back in any order, so a group cut
        by a page edge can show one member twice and another never. The group
        is read again in one window that holds it whole, placed by counting
        the runs known to be newer, and checked to lie strictly inside.
        """
        done: set[int] = set()
        for before, after in self.neighbours:
            if not len(before) or not len(after):
                continue
            tie = int(before.index.created_us[-1])
            # Anywhere in the next page, not just first: runs pushed down while
            # paging put repeats of the page before ahead of the rest of the group.
            if tie in done or not (after.index.created_us == tie).any():
                continue
            done.add(tie)
            verified = yield from self._tie_window(tie)
            if not verified:
                verified = yield from self._collect_tie(tie)
            if verified:
                self.report.tie_groups_repaired += 1
            else:
                self.report.tie_groups_unverified += 1

    def _tie_window(self, tie: int) -> Generator[Page, None, bool]:
        created = np.concatenate(self.first_seen_created) if self.first_seen_created \
            else np.empty(0, np.int64)
        # The group's offset is the number of runs newer than it, plus the runs
        # created since the last read of the head (measured by earlier windows).
        newer = int((created > tie).sum()) + self.head_growth
        group = int((created == tie).sum())
        margin = 4 + self.effective_size // 10
        for _ in range(TIE_ATTEMPTS):
            window = _window(max(newer - margin, 0), newer + group + margin)
            if window is None or window[1] > MAX_TIE_WINDOW or (
                    self.clamped and window[1] > self.effective_size) or (
                    self.cap is not None and window[1] > self.cap):
                return False
            number, page_size = window
            page = self._take(self._get(number, page_size))
            yield page
            seen = page.index.created_us
            if len(seen):
                self.head_growth = max(0, (number - 1) * page_size
                                       - int((created > seen[0]).sum()))
                newer = int((created > tie).sum()) + self.head_growth
            starts_inside = number == 1 or (len(seen) and seen[0] > tie)
            ends_inside = not len(seen) or seen[-1] < tie
            if starts_inside and not ends_inside and len(page) < page_size:
                # Short, and the group not passed: the end of the list, or a gateway
                # capping page_size above the sizes asked so far. The next page tells:
                # a cap left runs out, as old as its last one or older (newer ones,
                # or ones it showed, were pushed down by runs created meanwhile).
                after = self._take(self._get(number + 1, page_size))
                yield after
                shown = set(page.index.ids)
                if any(run_id not in shown and created <= seen[-1] for run_id, created
                       in zip(after.index.ids, after.index.created_us.tolist(), strict=True)):
                    self.cap = len(page)
                    return False
                ends_inside = True
            if starts_inside and ends_inside:
                return True
            margin *= 4
        return False


    def _collect_tie(self, tie: int) -> Generator[Page, None, bool]:
        """A group too big for one window: read its pages again until all members showed.

        The main pass tells the group's size (the span of offsets it filled);
        each new read shows members in a new order. Only possible while the
        list stood still.
        """
        if self.report.drift_detected:
            return False
        size = self.effective_size
        spots = [(page.number - 1) * size + int(i) for page in self.main
                 for i in np.flatnonzero(page.index.created_us == tie)]
        if not spots:
            return False
        first, last = min(spots), max(spots)
        members = {run_id for page in self.main for run_id, created in
                   zip(page.index.ids, page.index.created_us.tolist(), strict=True)
                   if created == tie}
        for _ in range(TIE_COLLECT_ROUNDS):
            for number in range(first // size + 1, last // size + 2):
                page = self._take(self._get(number, size))
                yield page
                members.update(run_id for run_id, created in
                               zip(page.index.ids, page.index.created_us.tolist(), strict=True)
                               if created == tie)
            if len(members) >= last - first + 1:
                return True
        return False


def _too_fast(what: str) -> RunlyticsError:
    return RunlyticsError(f"runs are being created faster than they can be read ({what}); "
                          "fetch fewer runs (--status, --since) or more per request "
                          "(--page-size)")


def _window(lo: int, hi: int) -> tuple[int, int] | None:
    """The (page, page_size) of the smallest page that covers offsets [lo, hi)."""
    for size in range(hi - lo, hi + 1):
        start = (lo // size) * size
        if start + size >= hi:
            return start // size + 1, size
    return None


# -- public entry points --------------------------------------------------------

class Client:
    """How to reach the server: key, base URL, HTTP, retries, requests in flight.

    The other half of every fetch is the :class:`~runlytics.query.RunQuery`
    (which runs). Like ``httpx.Client``, one object is made once and used for
    many calls: :meth:`fetch` and :meth:`pages` here, and
    :func:`runlytics.sync.sync` and the report inputs take it too. It is
    checked when made (a bad URL or a missing key fails before any request)
    and never shows the key.

    Args:
        api_key: default ``SKYVERN_API_KEY``.
        base_url: default ``SKYVERN_BASE_URL``, else ``https://api.skyvern.com``.
        concurrency: requests in flight at once (default 8).
        retry: a :class:`~runlytics.client.RetryPolicy`.
        timeout: per-request timeout in seconds (default 30, connect 10).
        allow_insecure: accept plain http to a host other than this machine.
        progress: a progress bar on stderr; default when stderr is a terminal
            or in Jupyter.
        http_client, transport: an ``httpx.Client`` or transport to use (tests).

    Raises:
        UsageError: no key, a bad base URL or concurrency.

    Example:
        >>> client = Client(api_key="sk-example", base_url="https://skyvern.example.com")
        >>> client
        Client(base_url='https://skyvern.example.com', api_key='***', concurrency=8)
    """

    def __init__(self, *, api_key: str | None = None, base_url: str | None = None,
                 concurrency: int = DEFAULT_CONCURRENCY, retry: RetryPolicy | None = None,
                 timeout: float | None = None, allow_insecure: bool = False,
                 progress: bool | None = None, http_client: httpx.Client | None = None,
                 transport: httpx.BaseTransport | None = None) -> None:
        if isinstance(concurrency, bool) or not isinstance(concurrency, int) or concurrency < 1:
            raise UsageError(f"concurrency must be a whole number >= 1, got {concurrency!r}")
        key = api_key if api_key is not None else os.environ.get("SKYVERN_API_KEY")
        if not key:
            raise UsageError("no API key: set SKYVERN_API_KEY or pass api_key= (--api-key)")
        self._key = key
        self._base_url = base_url
        self.base_url = safe_url(resolve_base_url(base_url, allow_insecure=allow_insecure))
        self.concurrency = concurrency
        self.retry, self.timeout, self.allow_insecure = retry, timeout, allow_insecure
        self.progress = progress
        self._http, self._transport = http_client, transport

    def __repr__(self) -> str:
        return (f"Client(base_url={self.base_url!r}, api_key='***', "
                f"concurrency={self.concurrency})")

    def replace(self, **changes: Any) -> Client:
        """A copy with ``changes`` (the constructor's arguments), checked again."""
        settings: dict[str, Any] = {
            "api_key": self._key, "base_url": self._base_url, "concurrency": self.concurrency,
            "retry": self.retry, "timeout": self.timeout, "allow_insecure": self.allow_insecure,
            "progress": self.progress, "http_client": self._http, "transport": self._transport}
        return Client(**(settings | changes))

    def open(self) -> RunsClient:
        """A :class:`~runlytics.client.RunsClient` for one fetch (close it after)."""
        return RunsClient(api_key=self._key, base_url=self._base_url, client=self._http,
                          transport=self._transport, retry=self.retry, timeout=self.timeout,
                          allow_insecure=self.allow_insecure,
                          max_connections=max(self.concurrency, 8))

    def pages(self, query: RunQuery) -> PageStream:
        """The runs page by page as they arrive, each run once; see :class:`PageStream`."""
        return PageStream(self, query)

    def fetch(self, query: RunQuery) -> Fetched:
        """Every run ``query`` selects, as the typed Arrow table, with the fetch's report.

        Each run appears once (the copy with the newest ``modified_at`` wins),
        newest ``created_at`` first, ties by id.

        Raises:
            AuthError, NotFoundError, RequestError, RateLimitError, ServerError,
            TransportError, SchemaError: see :mod:`runlytics.errors`.
        """
        report = FetchReport()
        return Fetched(_fetch_table(self, query, report), report)


@dataclass(frozen=True)
class Fetched:
    """What a fetch returns: the runs (typed Arrow table) and how the fetch went.

    Unpacks as ``table, report = client.fetch(query)``.
    """

    table: pa.Table
    report: FetchReport

    def __iter__(self) -> Iterator[Any]:
        return iter((self.table, self.report))

    def to_frame(self, *, consume: bool = False) -> pd.DataFrame:
        """The runs as the typed pandas frame.

        ``consume=True`` frees the table's memory column by column while the
        frame is built (peak memory about one copy); the table is unusable after.
        """
        return frame_from_table(self.table, consume=consume)


class PageStream:
    """Lazy pages of runs (lists of dicts), each run once, in the order they arrive.

    Every run is yielded the first time it is seen (later copies, from a list
    that moved while paging, are left out), filtered by ``since``/``until``;
    nothing is requested before the first item is asked for. :attr:`report`
    fills in as pages arrive and is complete once the stream is exhausted.
    """

    def __init__(self, client: Client, query: RunQuery,
                 report: FetchReport | None = None) -> None:
        self.client, self.query = client, query
        self.report = report if report is not None else FetchReport()
        self._runs = self._generate()

    def __iter__(self) -> Iterator[list[dict[str, Any]]]:
        return self._runs

    def __next__(self) -> list[dict[str, Any]]:
        return next(self._runs)

    def _generate(self) -> Iterator[list[dict[str, Any]]]:
        yielded: set[str] = set()
        left = self.query.max_runs
        for page in _run_pages(self.client, self.query, self.report):
            runs = []
            for run, run_id, created in zip(orjson.loads(page.body), page.index.ids,
                                            page.index.created_us.tolist(), strict=True):
                if run_id not in yielded:
                    yielded.add(run_id)
                    if self.query.in_window(created):
                        runs.append(run)
            if left is not None:
                runs = runs[:left]
                left -= len(runs)
            if runs:
                yield runs


def _pager_options(client: Client, query: RunQuery) -> _Options:
    return _Options(params=query.params(), page_size=query.page_size,
                    concurrency=client.concurrency, since_us=query.since_us,
                    until_us=query.until_us, max_runs=query.max_runs)


def _progress_bar(progress: bool | None) -> Any:
    if progress is None:
        progress = sys.stderr.isatty() or "ipykernel" in sys.modules
    if not progress:
        return None
    try:  # a widget bar in Jupyter when ipywidgets is there, else text on stderr
        import ipywidgets  # noqa: F401
        from tqdm.auto import tqdm
    except ImportError:
        from tqdm import tqdm
    return tqdm(unit=" runs", desc="fetching runs", file=sys.stderr, leave=False)


def _run_pages(client: Client, query: RunQuery, report: FetchReport) -> Iterator[Page]:
    started = time.monotonic()
    runs_client = client.open()
    report.base_url, report.filters = runs_client.base_url, query.filters()
    bar = _progress_bar(client.progress)
    try:
        for page in _Pager(runs_client, _pager_options(client, query), report, bar).pages():
            yield page
            # The pager keeps pages for their ids and times, never their bodies:
            # the caller has taken the body, so memory does not grow with them.
            page.body = b""
    finally:
        if bar is not None:
            bar.close()
        report.requests = runs_client.counters.requests
        report.retries = runs_client.counters.retries
        report.retry_reasons = dict(runs_client.counters.retry_reasons)
        report.elapsed_seconds = time.monotonic() - started
        runs_client.close()


def _fetch_table(client: Client, query: RunQuery, report: FetchReport) -> pa.Table:
    pages = _run_pages(client, query, report)
    table = runs_table(page.body for page in pages)
    table, repeats = dedupe_runs(table, since_us=query.since_us, until_us=query.until_us,
                                 max_runs=query.max_runs)
    report.duplicates_dropped = repeats
    report.runs = table.num_rows
    return table


# -- thin wrappers: keyword options, for notebooks and scripts --------------------

_QUERY_OPTIONS = frozenset({"status", "search_key", "error_code", "since", "until",
                            "max_runs", "page_size"})


def query_and_client(**options: Any) -> tuple[RunQuery, Client]:
    """The two objects from the keyword options of :func:`fetch_table`.

    ``client`` (an ``httpx.Client``) becomes the Client's ``http_client``;
    the query is checked first, like the wrappers do.

    Example:
        >>> query, client = query_and_client(status="failed", api_key="sk-example",
        ...                                  concurrency=2)
        >>> query.statuses, client.concurrency
        (('failed',), 2)
    """
    query = RunQuery(**{k: v for k, v in options.items() if k in _QUERY_OPTIONS})
    settings = {k: v for k, v in options.items() if k not in _QUERY_OPTIONS}
    if "client" in settings:
        settings["http_client"] = settings.pop("client")
    return query, Client(**settings)


def _objects(report: FetchReport | None, **options: Any
             ) -> tuple[Client, RunQuery, FetchReport]:
    """The wrappers' two objects, and the report to fill (``report=`` is deprecated)."""
    if report is not None:
        warnings.warn("report= is deprecated: Client.fetch() and Client.pages() return the "
                      "report (Fetched.report, PageStream.report)", DeprecationWarning,
                      stacklevel=3)
    query, client = query_and_client(**options)
    return client, query, report if report is not None else FetchReport()


def iter_pages(*, api_key: str | None = None, base_url: str | None = None,
               status: str | Sequence[str] | None = None, search_key: str | None = None,
               error_code: str | None = None, page_size: int = DEFAULT_PAGE_SIZE,
               concurrency: int = DEFAULT_CONCURRENCY, since: When = None,
               until: When = None, max_runs: int | None = None,
               progress: bool | None = None, client: httpx.Client | None = None,
               transport: httpx.BaseTransport | None = None, retry: RetryPolicy | None = None,
               timeout: float | None = None, allow_insecure: bool = False,
               report: FetchReport | None = None) -> Iterator[list[dict[str, Any]]]:
    """Yield the runs page by page as they arrive, each run once.

    The keyword form of ``Client(...).pages(RunQuery(...))``: the options are
    those of :class:`~runlytics.query.RunQuery` (``status``, ``search_key``,
    ``error_code``, ``since``, ``until``, ``max_runs``, ``page_size``) and of
    :class:`Client` (``api_key``, ``base_url``, ``concurrency``, ``retry``,
    ``timeout``, ``allow_insecure``, ``progress``; ``client`` is the
    ``httpx.Client``). Nothing is checked or requested before the first page
    is asked for. ``report`` (deprecated) is filled in as pages arrive.

    Raises:
        UsageError, AuthError, NotFoundError, RequestError, RateLimitError,
        ServerError, TransportError, SchemaError: see :mod:`runlytics.errors`.
    """
    made, query, filled = _objects(
        report, api_key=api_key, base_url=base_url, status=status, search_key=search_key,
        error_code=error_code, page_size=page_size, concurrency=concurrency, since=since,
        until=until, max_runs=max_runs, progress=progress, client=client, transport=transport,
        retry=retry, timeout=timeout, allow_insecure=allow_insecure)
    yield from PageStream(made, query, filled)


def fetch_table(*, api_key: str | None = None, base_url: str | None = None,
                status: str | Sequence[str] | None = None, search_key: str | None = None,
                error_code: str | None = None, page_size: int = DEFAULT_PAGE_SIZE,
                concurrency: int = DEFAULT_CONCURRENCY, since: When = None,
                until: When = None, max_runs: int | None = None,
                progress: bool | None = None, client: httpx.Client | None = None,
                transport: httpx.BaseTransport | None = None, retry: RetryPolicy | None = None,
                timeout: float | None = None, allow_insecure: bool = False,
                report: FetchReport | None = None) -> pa.Table:
    """Like :func:`fetch_frame`, but the typed Arrow table (what Parquet stores).

    The keyword form of ``Client(...).fetch(RunQuery(...)).table``.
    """
    made, query, filled = _objects(
        report, api_key=api_key, base_url=base_url, status=status, search_key=search_key,
        error_code=error_code, page_size=page_size, concurrency=concurrency, since=since,
        until=until, max_runs=max_runs, progress=progress, client=client, transport=transport,
        retry=retry, timeout=timeout, allow_insecure=allow_insecure)
    return _fetch_table(made, query, filled)


def fetch_frame(*, api_key: str | None = None, base_url: str | None = None,
                status: str | Sequence[str] | None = None, search_key: str | None = None,
                error_code: str | None = None, page_size: int = DEFAULT_PAGE_SIZE,
                concurrency: int = DEFAULT_CONCURRENCY, since: When = None,
                until: When = None, max_runs: int | None = None,
                progress: bool | None = None, client: httpx.Client | None = None,
                transport: httpx.BaseTransport | None = None, retry: RetryPolicy | None = None,
                timeout: float | None = None, allow_insecure: bool = False,
                report: FetchReport | None = None) -> pd.DataFrame:
    """Fetch every run that matches the filters into the typed runs frame.

    The keyword form of ``Client(...).fetch(RunQuery(...)).to_frame()``, with
    the options of :func:`iter_pages`. Page bodies go straight to the
    Arrow-based frame builder. Each run appears once (the copy with the newest
    ``modified_at`` wins), newest ``created_at`` first, ties by id. For the
    fetch's report, use :meth:`Client.fetch`.
    """
    made, query, filled = _objects(
        report, api_key=api_key, base_url=base_url, status=status, search_key=search_key,
        error_code=error_code, page_size=page_size, concurrency=concurrency, since=since,
        until=until, max_runs=max_runs, progress=progress, client=client, transport=transport,
        retry=retry, timeout=timeout, allow_insecure=allow_insecure)
    return frame_from_table(_fetch_table(made, query, filled), consume=True)


def __getattr__(name: str) -> Any:
    if name == "fetch_runs":
        warnings.warn("runlytics.fetch_runs is renamed fetch_frame (it returns a DataFrame)",
                      DeprecationWarning, stacklevel=2)
        return fetch_frame
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
