"""Pages and page sources without HTTP, to drive the passes in tests and examples.

A run is an ``(id, created_at)`` pair, ``created_at`` in any whole unit
(the passes only compare them; :func:`page_of` reads them as µs since the
epoch). :class:`ListSource` answers like the endpoint does, ``LIMIT/OFFSET``
over a list held newest first, so a test can grow the list while paging,
clamp the page size or put tied runs in another order between two reads.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence

import numpy as np
import orjson

from ..pages import Page, PageIndex

__all__ = ["ListSource", "Run", "page_of"]

Run = tuple[str, int]
"""``(workflow_run_id, created_at)``, ``created_at`` in µs since the epoch (UTC)."""


def page_of(number: int, page_size: int, runs: Sequence[Run], *, sent_at: float = 0.0,
            received_at: float = 0.0) -> Page:
    """The :class:`~runlytics.pages.Page` that answers ``page=number&page_size=page_size``.

    Args:
        number, page_size: the request's parameters.
        runs: the answer, ``(id, created_at)`` in the server's order.
        sent_at, received_at: when the request went out and its answer came
            back (monotonic seconds): gap repair compares them.

    Example:
        >>> page = page_of(2, 2, [("c", 30), ("d", 20)], sent_at=1.0, received_at=2.0)
        >>> page.number, len(page), page.index.ids, page.index.created_us.tolist()
        (2, 2, ['c', 'd'], [30, 20])
        >>> page.body[:60]
        b'[{"workflow_run_id":"c","created_at":"1970-01-01T00:00:00.00'
    """
    ids = [run_id for run_id, _ in runs]
    created = np.array([stamp for _, stamp in runs], np.int64)
    iso = created.astype("datetime64[us]").astype(str).tolist()
    body = orjson.dumps([{"workflow_run_id": run_id, "created_at": stamp, "modified_at": stamp}
                         for run_id, stamp in zip(ids, iso, strict=True)])
    return Page(number=number, page_size=page_size, body=body,
                index=PageIndex(ids, created, created.copy()),
                sent_at=sent_at, received_at=received_at)


class ListSource:
    """A fake runs endpoint: ``LIMIT/OFFSET`` over ``runs``, newest first.

    Call it as the passes do, ``source(number, page_size)``. Every request
    is kept in ``requests``. ``before`` is called with the source and the
    request before it is answered, and may change ``runs`` (runs created
    while paging, ties shown in another order). ``max_page_size`` clamps the
    size as a gateway might, the offset computed with the clamped size.
    Answers carry a logical clock: each request takes two ticks (sent,
    received), so answers come back in the order asked.

    Example:
        >>> source = ListSource([("a", 50), ("b", 40), ("c", 30)])
        >>> [source(number, 2).index.ids for number in (1, 2, 3)]
        [['a', 'b'], ['c'], []]
        >>> source.requests
        [(1, 2), (2, 2), (3, 2)]
    """

    def __init__(self, runs: Sequence[Run], *, max_page_size: int | None = None,
                 before: Callable[[ListSource, int, int], None] | None = None) -> None:
        self.runs: list[Run] = list(runs)
        self.max_page_size = max_page_size
        self.before = before
        self.requests: list[tuple[int, int]] = []
        self._clock = itertools.count(1)

    def __call__(self, number: int, page_size: int) -> Page:
        """Page ``number`` of ``runs`` as they are now."""
        self.requests.append((number, page_size))
        sent_at = float(next(self._clock))
        if self.before is not None:
            self.before(self, number, page_size)
        size = page_size if self.max_page_size is None else min(page_size,
                                                                 self.max_page_size)
        rows = self.runs[(number - 1) * size:number * size]
        return page_of(number, page_size, rows, sent_at=sent_at,
                       received_at=float(next(self._clock)))
