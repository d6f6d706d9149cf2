"""The simulated Skyvern organisation: its runs, its clock, and how it answers.

:class:`Simulator` owns a seeded history of runs and answers list requests the
way the real server does (per the team's notes on Skyvern 1.0.56): ``ORDER BY
created_at DESC`` with no tie-breaker, LIMIT/OFFSET pages, FastAPI errors. It
is transport-free: :meth:`Simulator.handle` maps a request to a
:class:`~runlytics.sim.api.Reply`, and :mod:`runlytics.sim.server` puts it on
HTTP. Every method takes one lock, so a server thread can read while a test
mutates.

Speed: each run caches its JSON bytes (rebuilt only when its state changes),
the newest-first order is kept incrementally, and a page is
``b"[" + b",".join(blobs) + b"]"``.
"""

from __future__ import annotations

import gc
import heapq
import random
import threading
from bisect import bisect_left, bisect_right
from collections import deque
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs

import numpy as np
import orjson

from . import api
from .faults import FAULT_KINDS, apply_fault, check_kind
from .fields import STATUSES, US, from_us, now_us, to_us
from .history import KIND_SCHEDULED, KIND_TIE, draw_history
from .planner import RunFactory
from .runs import Run
from .workflows import Workflow, make_workflows, workflow_object

__all__ = ["FAULT_KINDS", "Simulator"]

_ID_BASE = 602_374_229_000_000_000


@contextmanager
def _gc_paused() -> Iterator[None]:
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
_CACHE_LIMIT = 64


class Simulator:
    """A seeded, in-memory Skyvern API with a history of workflow runs.

    Args:
        n_runs: runs in the initial history.
        n_workflows: distinct workflows (titles, speeds, failure profiles).
        seed: makes everything reproducible (with a fixed ``now``).
        now: end of the history and start of the clock; aware datetime (naive
            means UTC). Default: the current time rounded to the second.
        api_key: the accepted ``x-api-key``; None disables authentication.
            ``"sim-expired"`` and ``"sim-unknown-org"`` give the server's
            expired-token 403 and unknown-organisation 404.
        hostile: put markup, control characters, RTL marks, quotes,
            backslashes and 10k-character text into some text fields.
        days: length of the history window.
        tie_groups: batches of runs (a few to a few hundred each) sharing one
            ``created_at`` to the microsecond.

    Attributes (switches, change them at any time):
        latency: seconds slept before each answer.
        max_page_size: a gateway's silent page_size cap (None: no cap).
        create_per_request: new runs created right before each list answer.
        slow_seconds: delay of the ``"slow"`` fault.
        fault_rates: ``{kind: probability}`` of a fault on each list request.
        request_count: list requests answered or failed since the last reset.
        requests: ``(path, query, status)`` of every request, query as
            ``{key: [values]}``, status None when the connection was dropped.

    Example:
        >>> sim = Simulator(n_runs=100, seed=1, now=datetime(2026, 1, 1, tzinfo=UTC))
        >>> len(sim), sim.runs()[0]["created_at"] <= "2026-01-01T00:00:00"
        (100, True)
    """

    def __init__(self, n_runs: int = 5000, n_workflows: int = 12, seed: int = 7,
                 now: datetime | None = None, api_key: str | None = "sim-key",
                 hostile: bool = False, *, days: float = 30.0, tie_groups: int = 0) -> None:
        if n_runs < 0 or n_workflows < 1 or days <= 0 or tie_groups < 0:
            raise ValueError("need n_runs >= 0, n_workflows >= 1, days > 0, tie_groups >= 0")
        self.seed = seed
        self.days = days
        self.api_key = api_key
        self.hostile = hostile
        self.latency = 0.0
        self.max_page_size: int | None = None
        self.create_per_request = 0
        self.slow_seconds = 5.0
        self._fault_rates: dict[str, float] = {}
        self._faults: deque[tuple[str, object]] = deque()
        self.request_count = 0
        self.requests: list[tuple[str, dict[str, list[str]], int | None]] = []
        self._lock = threading.RLock()
        self._now = to_us(now) if now is not None else now_us()
        start = self._now - int(days * 86_400 * US)
        prng = random.Random(f"runlytics-sim:{seed}:workflows")
        org = f"o_{602_373_750_000_000_000 + prng.randrange(10**9)}"
        self._workflows: list[Workflow] = make_workflows(
            prng, n_workflows, start_us=start, org_id=org, hostile=hostile)
        weights = [w.weight for w in self._workflows]
        self._order_rng = random.Random(f"runlytics-sim:{seed}:order")
        self._fault_rng = random.Random(f"runlytics-sim:{seed}:faults")
        self._factory = RunFactory(random.Random(f"runlytics-sim:{seed}:runs"), self._workflows,
                                   hostile=hostile)
        self._wf_p = np.array(weights) / sum(weights)
        self._order: list[Run] = []   # newest first; ties newest-created first
        self._neg: list[int] = []     # -created_at of _order, ascending (for bisect)
        self._by_id: dict[str, Run] = {}
        self._heap: list[tuple[int, int, Run]] = []  # (next change, seq, run)
        self._seq = 0
        self._state_version = 0       # bumped when a status (or codes) may change
        self._member_version = 0      # bumped when runs are added
        # filtered views: key -> ((member, state) version, runs, -created_at)
        self._views: dict[tuple[Any, ...], tuple[tuple[int, int], list[Run], list[int]]] = {}
        # Building (and below, decoding) hundreds of thousands of small objects
        # triggers the cyclic GC over and over for nothing: none of them are garbage.
        with _gc_paused():
            self._build_history(np.random.default_rng(seed), n_runs, start, tie_groups)

    # -- construction ----------------------------------------------------------
    def _build_history(self, rng: np.random.Generator, n: int, start: int,
                       tie_groups: int) -> None:
        plan = draw_history(rng, self._workflows, n, start=start, now=self._now,
                            tie_groups=tie_groups)
        ids = (_ID_BASE + int(rng.integers(0, 10**6))
               + np.cumsum(rng.integers(2, 24, size=n))).tolist()
        triggers: list[str | bool | None] = [
            "scheduled" if k == KIND_SCHEDULED else "api" if k == KIND_TIE else True
            for k in plan.kind]
        triggers[:plan.n_untriggered] = [None] * plan.n_untriggered
        runs = self._factory.make_batch(plan.workflow, plan.created, [f"wr_{i}" for i in ids], 0,
                                        now=self._now, triggers=triggers, roles=plan.role,
                                        n_legacy=plan.n_legacy)
        now = self._now
        heap = []
        for run in runs:
            due = run.evaluate(now)[1]
            if due is not None:
                heap.append((due, run.seq, run))
        heapq.heapify(heap)
        for run in runs:
            run.render()  # eager: serving a page then only joins cached bytes
        self._heap = heap
        self._seq = n
        self._next_id = ids[-1] if ids else _ID_BASE
        runs.reverse()
        self._order = runs
        self._neg = [-r.created for r in runs]
        self._by_id = {r.run_id: r for r in runs}

    # -- clock and lifecycle ---------------------------------------------------
    @property
    def now(self) -> datetime:
        """The simulator clock (aware UTC)."""
        return from_us(self._now).replace(tzinfo=UTC)

    def advance(self, seconds: float) -> list[str]:
        """Move the clock forward; runs progress along their planned lives.

        created -> queued -> running (-> paused -> running) -> final, with
        ``modified_at`` at each change; under a retry policy some failed runs
        are re-queued (``attempt`` + 1, started_at/finished_at cleared).

        Args:
            seconds: how far to move, >= 0.

        Returns:
            Ids of the runs whose listed state changed, oldest change first.
        """
        if seconds < 0:
            raise ValueError("the clock only moves forward")
        with self._lock:
            return self._advance_to(self._now + int(round(seconds * US)))

    def _advance_to(self, t: int) -> list[str]:
        heap = self._heap
        changed: dict[str, None] = {}
        while heap and heap[0][0] <= t:
            _, seq, run = heapq.heappop(heap)
            did, due = run.evaluate(t)
            if did:
                changed[run.run_id] = None
            if due is not None:
                heapq.heappush(heap, (due, seq, run))
        self._now = max(self._now, t)
        if changed:
            self._state_version += 1
        return list(changed)

    def create_runs(self, n: int, *, at: datetime | None = None) -> list[str]:
        """Create ``n`` new runs (status created, queued moments later).

        Args:
            n: how many.
            at: their common ``created_at`` (a tie batch). Default: the clock,
                1 ms apart when several, moving the clock along.

        Returns:
            The new run ids, oldest first.
        """
        with self._lock:
            return [r.run_id for r in self._create(n, None if at is None else to_us(at))]

    def _create(self, n: int, at: int | None) -> list[Run]:
        if n <= 0:
            return []
        newest = -self._neg[0] if self._neg else None
        if at is None:
            # Distinct instants 1 ms apart, from the clock or just after the
            # newest run; creating them moves the clock to the last one.
            first = self._now if newest is None or self._now > newest else newest + 1000
            created = [first + 1000 * i for i in range(n)]
        else:
            created = [at] * n
        if created[-1] > self._now:
            self._advance_to(created[-1])
        rng = self._factory.rng
        wf_idx = rng.choice(len(self._workflows), size=n, p=self._wf_p).tolist()
        ids = (self._next_id + np.cumsum(rng.integers(2, 24, size=n))).tolist()
        self._next_id = ids[-1]
        made = self._factory.make_batch(wf_idx, created, [f"wr_{i}" for i in ids], self._seq,
                                        now=self._now)
        self._seq += n
        for run in made:
            due = run.evaluate(self._now)[1]
            if due is not None:
                heapq.heappush(self._heap, (due, run.seq, run))
            self._by_id[run.run_id] = run
            run.render()
        if newest is None or created[0] >= newest:
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
        return made

    # -- ground truth ----------------------------------------------------------
    def __len__(self) -> int:
        with self._lock:
            return len(self._order)

    def __repr__(self) -> str:
        return (f"Simulator(runs={len(self._order)}, workflows={len(self._workflows)}, "
                f"seed={self.seed}, now={self.now.isoformat()})")

    def runs(self, *, status: str | Iterable[str] | None = None, search_key: str | None = None,
             error_code: str | None = None,
             workflow_permanent_id: str | None = None) -> list[dict[str, Any]]:
        """Fresh copies of the listed runs, newest first, as the API would send them.

        Filters work like the endpoint's; ties are in a fixed order here
        (newest-created first), unlike the shuffled order of the endpoint.

        Args:
            status: one status or several.
            search_key: case-insensitive substring of run id, title,
                workflow_permanent_id, webhook URL, parameters or headers.
            error_code: exact task/block error code.
            workflow_permanent_id: only this workflow's runs.

        Returns:
            JSON-decoded run objects (timestamps as naive ISO strings).
        """
        if isinstance(status, str):
            status = (status,)
        statuses = frozenset(status) if status is not None else None
        if statuses is not None and not statuses <= set(STATUSES):
            raise ValueError(f"unknown status in {sorted(statuses)}")
        with self._lock:
            order, _ = self._view(statuses, search_key.lower() if search_key else None,
                                  error_code or None, workflow_permanent_id)
            body = b"[" + b",".join([r.blob or r.render() for r in order]) + b"]"
        with _gc_paused():
            return orjson.loads(body)

    def get_run(self, run_id: str) -> dict[str, Any]:
        """One run as the list endpoint would send it (KeyError if unknown)."""
        with self._lock:
            run = self._by_id[run_id]
            return orjson.loads(run.blob or run.render())

    def workflows(self) -> list[dict[str, Any]]:
        """The workflows as ``GET /v1/workflows`` lists them, newest first."""
        objs = [workflow_object(w)
                for w in sorted(self._workflows, key=lambda w: -w.created_us)]
        return orjson.loads(orjson.dumps(objs))

    def parameters(self, run_id: str) -> list[dict[str, Any]]:
        """Hidden parameters of a run (key, description, value, deleted) that search_key sees."""
        with self._lock:
            return self._by_id[run_id].parameters()

    def error_codes(self, run_id: str) -> list[str]:
        """Hidden task/block error codes of a run (what error_code matches)."""
        with self._lock:
            return list(self._by_id[run_id].codes)

    # -- switches --------------------------------------------------------------
    @property
    def fault_rates(self) -> dict[str, float]:
        """``{kind: probability}`` of a random fault on each list request (seeded)."""
        return self._fault_rates

    @fault_rates.setter
    def fault_rates(self, rates: Mapping[str, float]) -> None:
        for kind, prob in rates.items():
            check_kind(kind)
            if not 0 <= prob <= 1:
                raise ValueError(f"probability of {kind!r} must be within 0..1")
        self._fault_rates = dict(rates)

    def fail_next(self, kind: str, count: int = 1, *, retry_after: object = None) -> None:
        """Make the next ``count`` list requests fail with ``kind``.

        Args:
            kind: one of :data:`FAULT_KINDS`.
            count: how many requests in a row.
            retry_after: for 429/503: seconds, a timedelta, or a datetime (sent
                as an HTTP date). Default 1 second.
        """
        check_kind(kind)
        if count < 0:
            raise ValueError("count must be >= 0")
        with self._lock:
            self._faults.extend([(kind, retry_after)] * count)

    def reset_log(self) -> None:
        """Forget logged requests and reset ``request_count``."""
        with self._lock:
            self.request_count = 0
            self.requests = []

    # -- answering -------------------------------------------------------------
    def handle(self, method: str, path: str, query_string: str,
               headers: api.Headers) -> api.Reply:
        """Answer one HTTP request (transport-independent).

        Args:
            method: HTTP method.
            path: raw path without the query string.
            query_string: raw query string (without ``?``).
            headers: request headers; ``get`` must be case-insensitive.

        Returns:
            The reply; the caller sleeps ``reply.delay`` and honours ``reply.action``.
        """
        query = parse_qs(query_string, keep_blank_values=True)
        route = api.match_route(path)
        with self._lock:
            if route is None:
                reply = api.not_found()
            elif method not in ("GET", "HEAD"):
                reply = api.method_not_allowed()
            elif route[0] == "workflows":
                reply = (api.check_auth(self.api_key, headers.get("x-api-key"))
                         or self._workflows_page(query))
            else:
                reply = self._list_request(route[1], query, headers)
            self.requests.append((path, query, reply.status if reply.action != "drop" else None))
        if self.latency:
            reply.delay += self.latency
        return reply

    def _next_fault(self) -> tuple[str, object] | None:
        if self._faults:
            return self._faults.popleft()
        if self._fault_rates:
            u = self._fault_rng.random()
            acc = 0.0
            for kind, prob in self._fault_rates.items():
                acc += prob
                if u < acc:
                    return check_kind(kind), None
        return None

    def _list_request(self, wpid: str | None, query: dict[str, list[str]],
                      headers: api.Headers) -> api.Reply:
        self.request_count += 1
        fault = self._next_fault()
        if self.create_per_request > 0:
            self._create(self.create_per_request, None)
        if fault is not None and fault[0] in ("429", "503", "500", "502", "504", "drop"):
            return apply_fault(fault[0], api.Reply(0, b""), retry_after=fault[1])
        reply = api.check_auth(self.api_key, headers.get("x-api-key"))
        if reply is None:
            parsed = api.parse_list_query(query, windowed=wpid is not None)
            reply = parsed if isinstance(parsed, api.Reply) else api.Reply(
                200, self._page_body(parsed, wpid))
        if fault is not None:
            reply = apply_fault(fault[0], reply, retry_after=fault[1],
                                slow_seconds=self.slow_seconds)
        return reply

    def _workflows_page(self, query: dict[str, list[str]]) -> api.Reply:
        parsed = api.parse_page_query(query)
        if isinstance(parsed, api.Reply):
            return parsed
        page, size = parsed
        if self.max_page_size is not None:
            size = min(size, self.max_page_size)
        objs = [workflow_object(w)
                for w in sorted(self._workflows, key=lambda w: -w.created_us)]
        return api.Reply(200, orjson.dumps(objs[(page - 1) * size: page * size]))

    def _view(self, statuses: frozenset[str] | None, search: str | None,
              error_code: str | None, wpid: str | None) -> tuple[list[Run], list[int]]:
        """Runs matching the filters, newest first, with their -created_at list."""
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

    def _page_body(self, q: api.ListQuery, wpid: str | None) -> bytes:
        """One page as JSON: LIMIT/OFFSET over created_at DESC, ties shuffled."""
        order, neg = self._view(q.statuses, q.search, q.error_code, wpid)
        lo, hi = 0, len(order)
        if q.created_end is not None:
            lo = bisect_right(neg, -q.created_end)
        if q.created_start is not None:
            hi = bisect_right(neg, -q.created_start)
        size = q.page_size
        if self.max_page_size is not None:
            size = min(size, self.max_page_size)
        first = lo + (q.page - 1) * size
        if first >= hi:
            return b"[]"
        last = min(hi, first + size)
        # No tie-breaker: widen the slice to whole tie groups, shuffle each group
        # anew for this request, then cut the page out.
        a, b = first, last
        while a > lo and neg[a - 1] == neg[first]:
            a -= 1
        while b < hi and neg[b] == neg[last - 1]:
            b += 1
        seg = order[a:b]
        keys = neg[a:b]
        i = 0
        shuffle = self._order_rng.shuffle
        while i < len(seg):
            j = i + 1
            while j < len(seg) and keys[j] == keys[i]:
                j += 1
            if j - i > 1:
                group = seg[i:j]
                shuffle(group)
                seg[i:j] = group
            i = j
        page = seg[first - a:last - a]
        return b"[" + b",".join([r.blob or r.render() for r in page]) + b"]"
