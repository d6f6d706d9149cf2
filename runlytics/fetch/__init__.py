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

Modules, one step each: :mod:`~runlytics.fetch.main_pass`,
:mod:`~runlytics.fetch.catch_up`, :mod:`~runlytics.fetch.gaps` and
:mod:`~runlytics.fetch.ties` are the passes; :mod:`~runlytics.fetch.pager`
runs them in order; :mod:`~runlytics.fetch.ledger` records what they saw (and
is the only place the report's counters change); :class:`FetchReport` lives
in :mod:`runlytics.fetch_report`, a plain record below the fetch, so reports
read it without importing the fetcher; :mod:`~runlytics.fetch.client` holds
the :class:`Client` and what it returns; :mod:`~runlytics.fetch.api` the keyword functions. A pass
reads pages through a page source, ``get(number, page_size) -> Page``, so it
runs without HTTP on the fakes of :mod:`~runlytics.fetch.testing`.
"""

from __future__ import annotations

from typing import Any

from ..fetch_report import FetchReport
from .api import fetch_frame, fetch_table, iter_pages, query_and_client
from .client import Client, Fetched, PageStream

__all__ = ["Client", "FetchReport", "Fetched", "PageStream", "fetch_frame", "fetch_table",
           "iter_pages", "query_and_client"]


def __getattr__(name: str) -> Any:
    if name == "fetch_runs":
        from . import api

        return api.__getattr__(name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
