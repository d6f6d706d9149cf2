"""What answering costs the real server: deep OFFSETs, building rows, a few database slots.

Measured on Skyvern 1.0.56 over Postgres with 200,000 runs (see
``/work/shared/skyvern-api.md``): a list request costs ~10 ms plus 0.82 µs
per row skipped by OFFSET (a backward index scan) in the database, then
~54 µs per returned row of Python to build the JSON; a page of ~65,000 rows
or more fails with 503 (a follow-up query binds one parameter per run); a
database hiccup is a 500 ``OperationalError``.

:class:`RealServerCost` holds those figures; :class:`Database` spends them:
the query part (request + OFFSET) holds one of ``slots`` database
connections (requests beyond wait for one), and the row building holds one
of ``workers`` server processes (the server is one process, so by default
building is serial, whatever the client's concurrency). Both are real
``time.sleep`` calls in the thread answering the request, outside the
simulator's lock; ``time_scale`` shrinks them all for quick runs.

Example:
    >>> import random
    >>> model = RealServerCost()
    >>> round(model.query_seconds(skipped=200_000), 4), round(model.build_seconds(5000), 3)
    (0.174, 0.27)
    >>> db = Database(model, random.Random(1))
    >>> db.price(skipped=0, rows=65_000, answer=lambda: Reply(200, b"[]")).status
    503
    >>> db.price(skipped=100, rows=0, answer=lambda: Reply(200, b"[]")).work
    (0.010082, 0.0)
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from .reply import Reply, json_reply

__all__ = ["Database", "RealServerCost"]

_HICCUP = b'{"error":"Unexpected error: OperationalError"}'


@dataclass(frozen=True)
class RealServerCost:
    """The real server's cost of one run-list request, and its limits.

    Args:
        request_seconds: fixed database cost of a request.
        offset_seconds_per_row: database cost of each row skipped by OFFSET.
        build_seconds_per_row: server CPU to build each returned row.
        slots: database connections; requests beyond wait for one.
        workers: server processes building rows (the real server has one).
        max_rows: a page returning this many rows or more answers 503.
        error_rate: share of requests answered 500 ``OperationalError``
            (seeded by the simulator's seed).
        time_scale: every cost is multiplied by it (0.1: ten times faster).

    Example:
        >>> RealServerCost(time_scale=0.5).query_seconds(skipped=0)
        0.005
    """

    request_seconds: float = 0.010
    offset_seconds_per_row: float = 0.82e-6
    build_seconds_per_row: float = 54e-6
    slots: int = 4
    workers: int = 1
    max_rows: int = 65_000
    error_rate: float = 0.0
    time_scale: float = 1.0

    def __post_init__(self) -> None:
        if self.slots < 1 or self.workers < 1 or self.max_rows < 1:
            raise ValueError("need slots >= 1, workers >= 1 and max_rows >= 1")
        if not 0 <= self.error_rate <= 1 or self.time_scale < 0:
            raise ValueError("need error_rate within 0..1 and time_scale >= 0")

    def query_seconds(self, *, skipped: int) -> float:
        """Database seconds of a request whose OFFSET skips ``skipped`` rows."""
        return self.time_scale * (self.request_seconds + self.offset_seconds_per_row * skipped)

    def build_seconds(self, rows: int) -> float:
        """Server CPU seconds to build ``rows`` returned rows."""
        return self.time_scale * self.build_seconds_per_row * rows


class _Pool:
    """``size`` slots, with how many were ever busy or waited for at once, and for how long."""

    def __init__(self, size: int) -> None:
        self._free = threading.Semaphore(size)
        self._lock = threading.Lock()
        self.busy = self.waiting = 0
        self.peak_busy = self.peak_waiting = self.waited = 0
        self.held_seconds = 0.0

    def hold(self, seconds: float) -> None:
        if seconds <= 0:
            return
        with self._lock:
            self.waiting += 1
            self.peak_waiting = max(self.peak_waiting, self.waiting)
        if not self._free.acquire(blocking=False):
            with self._lock:
                self.waited += 1
            self._free.acquire()
        with self._lock:
            self.waiting -= 1
            self.busy += 1
            self.peak_busy = max(self.peak_busy, self.busy)
        try:
            time.sleep(seconds)
        finally:
            with self._lock:
                self.busy -= 1
                self.held_seconds += seconds
            self._free.release()


class Database:
    """A simulator's database slots and server workers under ``model`` (None: free).

    Counters, for tests: ``slots.peak_busy`` (most queries at once, never
    above ``model.slots``), ``slots.waited`` (queries that found every slot
    busy), ``slots.peak_waiting``, ``slots.held_seconds`` (the seconds
    charged), the same on ``workers``, and
    ``ceiling_refusals`` and ``hiccups`` (the 503s and 500s it answered).

    Args:
        model: the costs, or None to answer at once.
        rng: seeded draw of the ``error_rate`` 500s.
    """

    def __init__(self, model: RealServerCost | None, rng: random.Random) -> None:
        self.model = model
        self._rng = rng
        self.slots = _Pool(model.slots if model else 1)
        self.workers = _Pool(model.workers if model else 1)
        self.ceiling_refusals = self.hiccups = 0

    def price(self, *, skipped: int, rows: int, answer: Callable[[], Reply]) -> Reply:
        """The answer to a list request under the model, its cost in ``reply.work``.

        Called under the simulator's lock: it only decides; :meth:`spend`
        sleeps. ``skipped`` and ``rows`` are the rows the OFFSET skips and
        the page returns; ``answer`` makes the normal reply, called only when
        the request is not refused (a refused 65k-row page is never built).
        """
        model = self.model
        if model is None:
            return answer()
        if model.error_rate and self._rng.random() < model.error_rate:
            self.hiccups += 1
            reply = Reply(500, _HICCUP)
            reply.work = (model.query_seconds(skipped=0), 0.0)
            return reply
        query = model.query_seconds(skipped=skipped)
        if rows >= model.max_rows:  # the follow-up query binds one parameter per row
            self.ceiling_refusals += 1
            reply = json_reply(503, {"error": "Database temporarily unavailable"},
                               (("retry-after", "1"),))
            reply.work = (query, 0.0)
            return reply
        reply = answer()
        reply.work = (query, model.build_seconds(rows))
        return reply

    def spend(self, reply: Reply) -> None:
        """Hold a database slot, then a worker, for the seconds ``reply.work`` says."""
        query, build = reply.work
        self.slots.hold(query)
        self.workers.hold(build)
