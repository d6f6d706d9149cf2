"""The simulated Skyvern organisation: the object that ties history, clock, index and faults.

:class:`Simulator` owns a seeded history of runs and answers requests the way
the real server does (Skyvern 1.0.56, see ``/work/shared/skyvern-api.md``).
The parts each do one thing: :mod:`.history` and :mod:`.planner` draw the
runs, :mod:`.clock` moves them along their planned lives, :mod:`.index` keeps
them newest first and cuts LIMIT/OFFSET pages without a tie-breaker,
:mod:`.routes` turns a request into a reply (404/405, auth before
validation, FastAPI's 422 bodies), and :mod:`.faults` decides which request
a gateway or a bad network breaks. The simulator is transport-free:
:meth:`Simulator.handle` maps a request to a :class:`~runlytics.sim.reply.Reply`,
and :mod:`.server` puts it on HTTP. Every method takes one lock, so a server
thread can read while a test mutates.

Example:
    >>> sim = Simulator(n_runs=30, seed=1, now=datetime(2026, 1, 1, tzinfo=UTC))
    >>> reply = sim.handle("GET", "/v1/workflows/runs", "page_size=5", {"x-api-key": "sim-key"})
    >>> reply.status, orjson.loads(reply.body) == sim.runs()[:5]
    (200, True)
"""

from __future__ import annotations

import gc
import random
import threading
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs

import numpy as np
import orjson

from . import routes
from .clock import Clock
from .cost import Database, RealServerCost
from .faults import FAULT_KINDS, FaultPlan
from .fields import STATUSES, US, from_us, now_us, to_us
from .history import make_history, new_run_ids
from .index import RunIndex
from .planner import RunFactory
from .reply import Headers, Reply
from .runs import Run, json_array
from .workflows import Workflow, make_workflows, workflow_objects

__all__ = ["FAULT_KINDS", "Simulator"]


@contextmanager
def _gc_paused() -> Iterator[None]:
    """Pause the cyclic GC: building or decoding many small objects triggers it for nothing."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


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
        cost_model: a :class:`~runlytics.sim.cost.RealServerCost` to answer
            list requests as slowly as the real server (None: at once).

    Attributes (switches, change them at any time):
        latency: seconds slept before each answer.
        max_page_size: a gateway's silent page_size cap (None: no cap).
        create_per_request: new runs created right before each list answer.
        slow_seconds: delay of the ``"slow"`` fault.
        cost_model: as above; ``database`` has its slots and counters.
        fault_rates: ``{kind: probability}`` of a fault on each list request.
        request_count: list requests answered or failed since the last reset.
        requests: ``(path, query, status)`` of every request, query as
            ``{key: [values]}``, status None when the connection was dropped.

    Raises:
        ValueError: a negative count or window.

    Example:
        >>> sim = Simulator(n_runs=100, seed=1, now=datetime(2026, 1, 1, tzinfo=UTC))
        >>> len(sim), sim.runs()[0]["created_at"] <= "2026-01-01T00:00:00"
        (100, True)
        >>> sim.handle("GET", "/v1/workflows/runs", "page_size=0", {"x-api-key": "sim-key"}).status
        422
    """

    def __init__(self, n_runs: int = 5000, n_workflows: int = 12, seed: int = 7,
                 now: datetime | None = None, api_key: str | None = "sim-key",
                 hostile: bool = False, *, days: float = 30.0, tie_groups: int = 0,
                 cost_model: RealServerCost | None = None) -> None:
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
        self.request_count = 0
        self.requests: list[tuple[str, dict[str, list[str]], int | None]] = []
        self._lock = threading.RLock()
        self.cost_model = cost_model
        self._clock = Clock(to_us(now) if now is not None else now_us())
        start = self._clock.now - int(days * 86_400 * US)
        prng = random.Random(f"runlytics-sim:{seed}:workflows")
        org = f"o_{602_373_750_000_000_000 + prng.randrange(10**9)}"
        self._workflows: list[Workflow] = make_workflows(
            prng, n_workflows, start_us=start, org_id=org, hostile=hostile)
        weights = [w.weight for w in self._workflows]
        self._index = RunIndex(random.Random(f"runlytics-sim:{seed}:order"))
        self._faults = FaultPlan(random.Random(f"runlytics-sim:{seed}:faults"))
        self._factory = RunFactory(random.Random(f"runlytics-sim:{seed}:runs"), self._workflows,
                                   hostile=hostile)
        self._wf_p = np.array(weights) / sum(weights)
        with _gc_paused():  # hundreds of thousands of small objects, none garbage
            self._build_history(np.random.default_rng(seed), n_runs, start, tie_groups)

    # -- construction ----------------------------------------------------------
    def _build_history(self, rng: np.random.Generator, n: int, start: int,
                       tie_groups: int) -> None:
        runs, self._next_id = make_history(self._factory, rng, n, start=start,
                                           now=self._clock.now, tie_groups=tie_groups)
        self._clock.track(runs)
        for run in runs:
            run.render()  # eager: serving a page then only joins cached bytes
        self._seq = n
        self._index.add(runs)

    # -- clock and lifecycle ---------------------------------------------------
    @property
    def now(self) -> datetime:
        """The simulator clock (aware UTC)."""
        return from_us(self._clock.now).replace(tzinfo=UTC)

    def advance(self, seconds: float) -> list[str]:
        """Move the clock forward; runs progress along their planned lives.

        created -> queued -> running (-> paused -> running) -> final, with
        ``modified_at`` at each change; under a retry policy some failed runs
        are re-queued (``attempt`` + 1, started_at/finished_at cleared).

        Args:
            seconds: how far to move, >= 0.

        Returns:
            Ids of the runs whose listed state changed, oldest change first.

        Raises:
            ValueError: ``seconds`` is negative.

        Example:
            >>> sim = Simulator(n_runs=0, now=datetime(2026, 1, 1, tzinfo=UTC))
            >>> new = sim.create_runs(1)
            >>> sim.get_run(new[0])["status"], sim.advance(3600) == new, sim.now.hour
            ('created', True, 1)
        """
        if seconds < 0:
            raise ValueError("the clock only moves forward")
        with self._lock:
            return self._advance_to(self._clock.now + int(round(seconds * US)))

    def _advance_to(self, t: int) -> list[str]:
        changed = self._clock.advance_to(t)
        if changed:
            self._index.states_changed()
        return changed

    def create_runs(self, n: int, *, at: datetime | None = None) -> list[str]:
        """Create ``n`` new runs (status created, queued moments later).

        Args:
            n: how many.
            at: their common ``created_at`` (a tie batch). Default: the clock,
                1 ms apart when several, moving the clock along.

        Returns:
            The new run ids, oldest first.

        Example:
            >>> sim = Simulator(n_runs=10, now=datetime(2026, 1, 1, tzinfo=UTC))
            >>> new = sim.create_runs(3, at=datetime(2025, 12, 31, tzinfo=UTC))
            >>> len(sim), {sim.get_run(i)["created_at"] for i in new}
            (13, {'2025-12-31T00:00:00'})
        """
        with self._lock:
            return [r.run_id for r in self._create(n, None if at is None else to_us(at))]

    def _create(self, n: int, at: int | None) -> list[Run]:
        if n <= 0:
            return []
        newest, now = self._index.newest(), self._clock.now
        if at is None:
            # Distinct instants 1 ms apart, from the clock or just after the
            # newest run; creating them moves the clock to the last one.
            first = now if newest is None or now > newest else newest + 1000
            created = [first + 1000 * i for i in range(n)]
        else:
            created = [at] * n
        if created[-1] > now:
            self._advance_to(created[-1])
        rng = self._factory.rng
        wf_idx = rng.choice(len(self._workflows), size=n, p=self._wf_p).tolist()
        ids, self._next_id = new_run_ids(rng, self._next_id, n)
        made = self._factory.make_batch(wf_idx, created, ids, self._seq, now=self._clock.now)
        self._seq += n
        self._clock.track(made)
        for run in made:
            run.render()
        self._index.add(made)
        return made

    # -- ground truth ----------------------------------------------------------
    def __len__(self) -> int:
        with self._lock:
            return len(self._index)

    def __repr__(self) -> str:
        return (f"Simulator(runs={len(self._index)}, workflows={len(self._workflows)}, "
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

        Raises:
            ValueError: an unknown status.

        Example:
            >>> sim = Simulator(n_runs=50, seed=2, now=datetime(2026, 1, 1, tzinfo=UTC))
            >>> {r["status"] for r in sim.runs(status="failed")}
            {'failed'}
        """
        status = (status,) if isinstance(status, str) else status
        statuses = frozenset(status) if status is not None else None
        if statuses is not None and not statuses <= set(STATUSES):
            raise ValueError(f"unknown status in {sorted(statuses)}")
        with self._lock:
            order, _ = self._index.view(statuses, search_key.lower() if search_key else None,
                                        error_code or None, workflow_permanent_id)
            body = json_array(order)
        with _gc_paused():
            runs: list[dict[str, Any]] = orjson.loads(body)
        return runs

    def get_run(self, run_id: str) -> dict[str, Any]:
        """One run as the list endpoint would send it (KeyError if unknown)."""
        with self._lock:
            run = self._index.get(run_id)
            obj: dict[str, Any] = orjson.loads(run.blob or run.render())
        return obj

    def workflows(self) -> list[dict[str, Any]]:
        """The workflows as ``GET /v1/workflows`` lists them, newest first."""
        objs: list[dict[str, Any]] = orjson.loads(orjson.dumps(workflow_objects(self._workflows)))
        return objs

    def parameters(self, run_id: str) -> list[dict[str, Any]]:
        """Hidden parameters of a run (key, description, value, deleted) that search_key sees."""
        with self._lock:
            return self._index.get(run_id).parameters()

    def error_codes(self, run_id: str) -> list[str]:
        """Hidden task/block error codes of a run (what error_code matches)."""
        with self._lock:
            return list(self._index.get(run_id).codes)

    # -- switches --------------------------------------------------------------
    @property
    def cost_model(self) -> RealServerCost | None:
        """The real server's costs (None: answer at once); setting it resets ``database``."""
        return self.database.model

    @cost_model.setter
    def cost_model(self, model: RealServerCost | None) -> None:
        self.database = Database(model, random.Random(f"runlytics-sim:{self.seed}:cost"))

    @property
    def fault_rates(self) -> dict[str, float]:
        """``{kind: probability}`` of a random fault on each list request (seeded)."""
        return self._faults.rates

    @fault_rates.setter
    def fault_rates(self, rates: Mapping[str, float]) -> None:
        self._faults.rates = rates

    def fail_next(self, kind: str, count: int = 1, *, retry_after: object = None) -> None:
        """Make the next ``count`` list requests fail with ``kind``.

        Args:
            kind: one of :data:`FAULT_KINDS`.
            count: how many requests in a row.
            retry_after: for 429/503: seconds, a timedelta, or a datetime (sent
                as an HTTP date). Default 1 second.

        Raises:
            ValueError: an unknown kind or a negative count.

        Example:
            >>> sim = Simulator(n_runs=5, now=datetime(2026, 1, 1, tzinfo=UTC))
            >>> sim.fail_next("429", retry_after=3)
            >>> reply = sim.handle("GET", "/v1/workflows/runs", "", {"x-api-key": "sim-key"})
            >>> reply.status, reply.headers
            (429, (('retry-after', '3'),))
        """
        with self._lock:
            self._faults.fail_next(kind, count, retry_after=retry_after)

    def reset_log(self) -> None:
        """Forget logged requests and reset ``request_count``."""
        with self._lock:
            self.request_count = 0
            self.requests = []

    # -- answering -------------------------------------------------------------
    def handle(self, method: str, path: str, query_string: str, headers: Headers) -> Reply:
        """Answer one HTTP request (transport-independent).

        Args:
            method: HTTP method.
            path: raw path without the query string.
            query_string: raw query string (without ``?``).
            headers: request headers; ``get`` must be case-insensitive.

        Returns:
            The reply; the caller sleeps ``reply.delay`` and honours ``reply.action``.

        Example:
            >>> sim = Simulator(n_runs=5, now=datetime(2026, 1, 1, tzinfo=UTC))
            >>> sim.handle("GET", "/v1/workflows/runs", "page=0", {}).body
            b'{"detail":"Invalid credentials"}'
            >>> sim.requests
            [('/v1/workflows/runs', {'page': ['0']}, 403)]
        """
        query = parse_qs(query_string, keep_blank_values=True)
        found = routes.route(method, path)
        with self._lock:
            if isinstance(found, Reply):
                reply = found
            elif found[0] == "workflows":
                reply = (routes.check_auth(self.api_key, headers.get("x-api-key"))
                         or routes.workflows_reply(self._workflows, query,
                                                   max_page_size=self.max_page_size))
            else:
                reply = self._list_request(found[1], query, headers)
            self.requests.append((path, query, reply.status if reply.action != "drop" else None))
        self.database.spend(reply)  # outside the lock: other requests go on meanwhile
        if self.latency:
            reply.delay += self.latency
        return reply

    def _list_request(self, wpid: str | None, query: dict[str, list[str]],
                      headers: Headers) -> Reply:
        """A run list: count it, draw its fault, create the runs that arrive, answer."""
        self.request_count += 1
        fault = self._faults.next()
        if self.create_per_request > 0:
            self._create(self.create_per_request, None)
        if fault is not None and fault.replaces_answer:
            return fault.apply(Reply(0, b""))
        reply = (routes.check_auth(self.api_key, headers.get("x-api-key"))
                 or routes.runs_reply(self._index, query, wpid, database=self.database,
                                      max_page_size=self.max_page_size))
        if fault is not None:
            reply = fault.apply(reply, slow_seconds=self.slow_seconds)
        return reply
