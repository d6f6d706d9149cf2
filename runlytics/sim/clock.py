"""The simulator clock, and when each run's listed state next changes.

Every run carries its whole planned life (see :mod:`.runs`): created ->
queued -> running (-> paused -> running) -> final, and under a retry policy
back to queued with ``attempt`` + 1. Its state at an instant is a pure
function of that plan, so the clock only has to know when each run next
changes: a heap of ``(instant, creation sequence, run)``. Moving the clock
pops the runs due by then, re-evaluates them and pushes their next change.
The real server's timestamps follow the same life: ``queued_at`` once, on the
first queueing; ``started_at`` on the first start; ``finished_at`` when final.

All instants are ``int`` microseconds since the epoch (see :mod:`.fields`).

Example:
    >>> clock = Clock(1_000_000)
    >>> clock.advance_to(5_000_000), clock.now
    ([], 5000000)
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable

from .runs import Run

__all__ = ["Clock"]


class Clock:
    """The current instant and the runs' next planned changes.

    Not thread-safe: the simulator holds its lock around every call.

    Args:
        now: the start instant, epoch microseconds.

    Example:
        >>> Clock(7).now
        7
    """

    def __init__(self, now: int) -> None:
        self.now = now
        self._heap: list[tuple[int, int, Run]] = []  # (next change, seq, run)

    def track(self, runs: Iterable[Run]) -> None:
        """Set each new run's state at the current instant and watch its next change.

        Example:
            >>> import random
            >>> from .planner import RunFactory
            >>> from .workflows import make_workflows
            >>> wfs = make_workflows(random.Random(1), 1, start_us=0, org_id="o_1")
            >>> run = RunFactory(random.Random(2), wfs).make_batch([0], [0], ["wr_1"], 0,
            ...                                                    now=0)[0]
            >>> clock = Clock(0)
            >>> clock.track([run])
            >>> run.status, clock.advance_to(3_000_000), run.status
            ('created', ['wr_1'], 'queued')
        """
        now = self.now
        due = [(t, run.seq, run) for run in runs if (t := run.evaluate(now)[1]) is not None]
        if self._heap:
            for item in due:
                heapq.heappush(self._heap, item)
        else:
            heapq.heapify(due)
            self._heap = due

    def advance_to(self, t: int) -> list[str]:
        """Move the clock to ``t`` (never back) and bring the due runs up to it.

        Args:
            t: the new instant, epoch microseconds.

        Returns:
            Ids of the runs whose listed state changed, oldest change first.
        """
        heap = self._heap
        changed: dict[str, None] = {}
        while heap and heap[0][0] <= t:
            _, seq, run = heapq.heappop(heap)
            did, due = run.evaluate(t)
            if did:
                changed[run.run_id] = None
            if due is not None:
                heapq.heappush(heap, (due, seq, run))
        self.now = max(self.now, t)
        return list(changed)
