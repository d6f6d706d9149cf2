"""The listed runs in the server's order, filtered views of them, and their pages.

The real server answers ``ORDER BY created_at DESC`` and nothing else, then
``LIMIT page_size OFFSET (page-1)*page_size``: no tie-breaker, no total, no
cursor, and a page past the end is ``[]``. Runs sharing a ``created_at``
(a bulk insert) come back in a new order on every request, so a tie group cut
by a page boundary can repeat or skip rows, and runs created while a client
pages push every row down. :class:`RunIndex` reproduces all of it: it keeps
the runs newest first (ties newest-created first, the fixed order the ground
truth uses), and :meth:`RunIndex.page` reshuffles each tie group it touches
with its own seeded generator.

Filters work like the endpoint's: ``status`` is a set of statuses,
``search_key`` a case-insensitive substring of run id, title,
workflow_permanent_id, webhook URL, parameters or extra headers,
``error_code`` an exact task or block error code, and the per-workflow
endpoint's ``created_at_start`` (inclusive) / ``created_at_end`` (exclusive)
a window. A filtered view is cached until runs are added or their states
change.

Speed: a page is ``b"[" + b",".join(blobs) + b"]"`` of the runs' cached
JSON, and the newest-first order is kept incrementally.

Example:
    >>> from .planner import RunFactory
    >>> from .workflows import make_workflows
    >>> wfs = make_workflows(random.Random(1), 1, start_us=0, org_id="o_1")
    >>> runs = RunFactory(random.Random(2), wfs).make_batch(
    ...     [0, 0, 0], [5, 5, 9], ["wr_1", "wr_2", "wr_3"], 0, now=10)
    >>> changes = [run.evaluate(10) for run in runs]
    >>> index = RunIndex(random.Random(1))
    >>> index.add(runs)
    >>> [run.run_id for run in index]  # ties: newest-created first
    ['wr_3', 'wr_2', 'wr_1']
    >>> import orjson
    >>> page = orjson.loads(index.page(ListQuery(page=2, page_size=2), None))
    >>> [run["workflow_run_id"] for run in page] in (['wr_1'], ['wr_2'])  # no tie-breaker
    True
"""

from __future__ import annotations

import random
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Iterator
from typing import Any

from .params import ListQuery, capped_page_size
from .runs import Run, json_array

__all__ = ["RunIndex"]

_CACHE_LIMIT = 64


class RunIndex:
    """The listed runs, newest first, with cached filtered views and LIMIT/OFFSET pages.

    Not thread-safe: the simulator holds its lock around every call.

    Args:
        rng: seeded generator that shuffles tie groups, anew on each page.

    Example:
        >>> index = RunIndex(random.Random(1))
        >>> len(index), index.newest(), index.view(None, None, None, None)
        (0, None, ([], []))
        >>> index.page(ListQuery(), None)
        b'[]'
    """

    def __init__(self, rng: random.Random) -> None:
        self._rng = rng
        self._order: list[Run] = []   # newest first; ties newest-created first
        self._neg: list[int] = []     # -created_at of _order, ascending (for bisect)
        self._by_id: dict[str, Run] = {}
        self._state_version = 0       # bumped when a status (or codes) may change
        self._member_version = 0      # bumped when runs are added
        # filtered views: key -> ((member, state) version, runs, -created_at)
        self._views: dict[tuple[Any, ...], tuple[tuple[int, int], list[Run], list[int]]] = {}

    def __len__(self) -> int:
        return len(self._order)

    def __iter__(self) -> Iterator[Run]:
        return iter(self._order)

    def get(self, run_id: str) -> Run:
        """The run with ``run_id`` (KeyError if unknown)."""
        return self._by_id[run_id]

    def newest(self) -> int | None:
        """created_at of the newest run, epoch microseconds; None when empty."""
        return -self._neg[0] if self._neg else None

    def add(self, made: Iterable[Run]) -> None:
        """Insert runs created oldest first (ascending created_at) at their places.

        Args:
            made: the new runs; a batch newer than every listed run is
                prepended in one step, others are inserted one by one.
        """
        made = list(made)
        if not made:
            return
        for run in made:
            self._by_id[run.run_id] = run
        if not self._neg or made[0].created >= -self._neg[0]:
            made_desc = made[::-1]
            self._order[0:0] = made_desc
            self._neg[0:0] = [-r.created for r in made_desc]
        else:
            for run in made:
                pos = bisect_left(self._neg, -run.created)
                self._order.insert(pos, run)
                self._neg.insert(pos, -run.created)
        self._member_version += 1
        self._state_version += 1

    def states_changed(self) -> None:
        """Forget the views that depend on run states (after the clock moved them)."""
        self._state_version += 1

    def view(self, statuses: frozenset[str] | None, search: str | None,
             error_code: str | None, wpid: str | None) -> tuple[list[Run], list[int]]:
        """Runs matching the filters, newest first, with their -created_at list.

        Args:
            statuses: keep these statuses; None keeps all.
            search: lower-cased search_key; None for no filter.
            error_code: exact task/block error code; None for no filter.
            wpid: only this workflow's runs; None for all.

        Returns:
            The runs and the negated created_at of each (ascending); do not mutate.
        """
        if statuses is None and search is None and error_code is None and wpid is None:
            return self._order, self._neg
        key = (statuses, search, error_code, wpid)
        version = (self._member_version, self._state_version if (statuses or error_code)
                   else 0)
        cached = self._views.get(key)
        if cached is not None and cached[0] == version:
            return cached[1], cached[2]
        sel: list[Run] = self._order
        if wpid is not None:
            sel = [r for r in sel if r.wf.wpid == wpid]
        if statuses is not None:
            sel = [r for r in sel if r.status in statuses]
        if search is not None:
            sel = [r for r in sel if r.matches_search(search)]
        if error_code is not None:
            sel = [r for r in sel if error_code in r.codes]
        neg = [-r.created for r in sel]
        if len(self._views) >= _CACHE_LIMIT:
            self._views.clear()
        self._views[key] = (version, sel, neg)
        return sel, neg

    def page(self, q: ListQuery, wpid: str | None, *, max_page_size: int | None = None) -> bytes:
        """One page as JSON: LIMIT/OFFSET over created_at DESC, ties shuffled.

        Args:
            q: the validated query (filters, window, page, page_size).
            wpid: only this workflow's runs (the per-workflow endpoint).
            max_page_size: a gateway's silent page-size cap.

        Returns:
            A JSON array of run objects, ``b"[]"`` past the end.
        """
        order, neg, lo, hi, first, last = self._bounds(q, wpid, max_page_size)
        if first >= hi:
            return b"[]"
        return json_array(self._cut(order, neg, lo, hi, first, last))

    def span(self, q: ListQuery, wpid: str | None, *,
             max_page_size: int | None = None) -> tuple[int, int]:
        """``(rows the OFFSET skips, rows the page returns)`` of :meth:`page`.

        Example:
            >>> import random
            >>> RunIndex(random.Random(1)).span(ListQuery(page=3), None)
            (0, 0)
        """
        _, _, lo, hi, first, last = self._bounds(q, wpid, max_page_size)
        return min(first, hi) - lo, max(0, last - first)

    def _bounds(self, q: ListQuery, wpid: str | None, max_page_size: int | None
                ) -> tuple[list[Run], list[int], int, int, int, int]:
        order, neg = self.view(q.statuses, q.search, q.error_code, wpid)
        lo, hi = 0, len(order)
        if q.created_end is not None:
            lo = bisect_right(neg, -q.created_end)
        if q.created_start is not None:
            hi = bisect_right(neg, -q.created_start)
        size = capped_page_size(q.page_size, max_page_size)
        first = lo + (q.page - 1) * size
        return order, neg, lo, hi, first, min(hi, first + size)

    def _cut(self, order: list[Run], neg: list[int], lo: int, hi: int, first: int,
             last: int) -> list[Run]:
        """``order[first:last]`` after shuffling every tie group it touches.

        No tie-breaker: widen the slice to whole tie groups (within ``lo:hi``),
        shuffle each group anew for this request, then cut the page out.
        """
        a, b = first, last
        while a > lo and neg[a - 1] == neg[first]:
            a -= 1
        while b < hi and neg[b] == neg[last - 1]:
            b += 1
        seg = order[a:b]
        keys = neg[a:b]
        i = 0
        shuffle = self._rng.shuffle
        while i < len(seg):
            j = i + 1
            while j < len(seg) and keys[j] == keys[i]:
                j += 1
            if j - i > 1:
                group = seg[i:j]
                shuffle(group)
                seg[i:j] = group
            i = j
        return seg[first - a:last - a]
