"""One attempt of a run: what it is, and how a batch of attempts is planned.

A run's life is a list of attempts: the first is queued moments after the run
is created, and under a retry policy (newer servers) a failed attempt is
followed by another one, queued again a few minutes later with ``attempt``
+ 1 and ``started_at``/``finished_at`` cleared. An attempt is planned in full
up front: when it is queued, starts, pauses, resumes and ends, how it ends,
its credits, and for an unsuccessful one the texts the server would show
(``failure_reason``, ``failure_category`` ordered by confidence as Skyvern's
failure classifier writes them, task error codes).

The numbers follow the real server's quirks: ~3 % of stamps have no fraction,
``queued_at`` from the database clock can run up to 300 ms ahead of
``started_at``, a run canceled while queued has ``finished_at`` but no
``started_at``, and legacy runs have no failure categories. :class:`Role`
bends a planned attempt so that the history shows every situation at ``now``
(still created, queued, running, paused, stuck, swept to timed_out).

Example:
    >>> a = Attempt(t_q=10, q_stamp=10, s=20, ps=None, pe=None, f=80, status="completed")
    >>> a.status, a.reason, a.codes
    ('completed', None, ())
"""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

import numpy as np

from . import vocab
from .fields import US
from .workflows import Workflow

__all__ = ["Attempt", "AttemptPlanner", "Role", "workflow_column"]

_STATUS = ("failed", "timed_out", "canceled", "terminated", "completed")
_FAILED, _TIMED_OUT, _CANCELED, _TERMINATED, _COMPLETED = range(5)
_WEBHOOK_FAIL = "Failed to send webhook: HTTP 502 Bad Gateway"
_CATEGORIES = tuple(sorted(vocab.FAILURES))


class Role:
    """Special plans that make sure the history shows every situation.

    Example:
        >>> Role.NORMAL, Role.SWEPT
        (0, 7)
    """

    NORMAL = 0
    CREATED = 1        # still `created` at now
    QUEUED = 2         # waiting in the queue at now
    RUNNING = 3        # running at now
    PAUSED = 4         # paused at now
    STUCK_QUEUED = 5   # queued for hours; eventually canceled
    STUCK_RUNNING = 6  # running for hours; eventually timed out by the sweeper
    SWEPT = 7          # timed_out with no finished_at (stuck-run sweeper)


class Attempt:
    """One attempt of a run: when it moves, how it ends, what it reports.

    Example:
        >>> Attempt(1, 1, None, None, None, 5, "canceled").s is None  # canceled while queued
        True
    """

    __slots__ = ("t_q", "q_stamp", "s", "ps", "pe", "f", "status", "fin_written", "reason",
                 "category", "codes", "credits", "cached", "webhook_fail")

    def __init__(self, t_q: int, q_stamp: int, s: int | None, ps: int | None, pe: int | None,
                 f: int | None, status: str, credits: int = 0, cached: int = 0,
                 webhook_fail: str | None = None) -> None:
        self.t_q = t_q           # moves to queued (attempt > 1: re-queued by the retry policy)
        self.q_stamp = q_stamp   # queued_at as written; the DB clock may run ahead of `s`
        self.s = s               # starts running; None = never starts
        self.ps = ps             # paused from ...
        self.pe = pe             # ... until
        self.f = f               # reaches its final status; None = never
        self.status = status     # the final status it reaches
        self.fin_written = True  # False: the sweeper set the status, not finished_at
        self.reason: str | None = None
        self.category: list[dict[str, Any]] | None = None
        self.codes: tuple[str, ...] = ()
        self.credits = credits
        self.cached = cached
        self.webhook_fail = webhook_fail


def workflow_column(workflows: list[Workflow], get: Callable[[Workflow], Any]) -> np.ndarray:
    """``get(w)`` for every workflow, as a float array indexed by workflow index.

    Example:
        >>> workflow_column([], lambda w: w.weight)
        array([], dtype=float64)
    """
    return np.array([get(w) for w in workflows], dtype=float)


class AttemptPlanner:
    """Plans attempts for a fixed set of workflows, from two shared seeded generators.

    Args:
        rng: numpy generator for the bulk draws (shared with the run factory).
        prng: :mod:`random` generator for texts and forced roles (shared too).
        workflows: the workflows, index ``i`` at position ``i``.
        hostile: put hostile strings into a share of failure texts.

    Example:
        >>> from .workflows import make_workflows
        >>> wfs = make_workflows(random.Random(1), 2, start_us=0, org_id="o_1")
        >>> planner = AttemptPlanner(np.random.default_rng(1), random.Random(1), wfs)
        >>> t_q = np.array([US, 2 * US])
        >>> atts = planner.plan(np.array([0, 1]), t_q, t_q - US, first=True,
        ...                     legacy=np.array([False, False]))
        >>> [a.t_q <= a.f for a in atts], [a.status in _STATUS for a in atts]
        ([True, True], [True, True])
    """

    def __init__(self, rng: np.random.Generator, prng: random.Random,
                 workflows: list[Workflow], *, hostile: bool = False) -> None:
        self.rng = rng
        self.prng = prng
        self.hostile = hostile
        self.wfs = workflows

        def col(get: Callable[[Workflow], Any]) -> np.ndarray:
            return workflow_column(workflows, get)

        self._q_median = col(lambda w: w.q_median)
        self._q_sigma = col(lambda w: w.q_sigma)
        self._dur_median = col(lambda w: w.dur_median)
        self._dur_sigma = col(lambda w: w.dur_sigma)
        self._timeout_s = col(lambda w: (w.max_elapsed or 60) * 60)
        self._pause_rate = col(lambda w: w.pause_rate)
        self._code_share = col(lambda w: w.code_share)
        self._has_webhook = col(lambda w: w.webhook_url is not None) > 0
        self._cuts = np.cumsum([[w.fail_rate, w.timeout_rate, w.cancel_rate, w.terminate_rate]
                                for w in workflows], axis=1)

    def plan(self, w: np.ndarray, t_q: np.ndarray, floor: np.ndarray, *, first: bool,
                  legacy: np.ndarray) -> list[Attempt]:
        """Plan one attempt per run: queue latency, duration, outcome, texts.

        Args:
            w: workflow index per attempt.
            t_q: when each attempt is queued, epoch microseconds.
            floor: the previous instant of each run (created_at, or the end of
                the previous attempt); no stamp is rounded down below it.
            first: first attempts (their queued_at may show clock skew).
            legacy: per attempt, whether its run is legacy (no categories).

        Returns:
            The attempts, in input order.
        """
        m = len(w)
        u = self.rng.random((m, 18))
        z = self.rng.standard_normal((m, 2))
        t_whole = t_q - t_q % US  # ~3 % of stamps are written without a fraction
        t_q = np.where((u[:, 0] < 0.03) & (t_whole >= floor), t_whole, t_q)
        latency = self._q_median[w] * np.exp(self._q_sigma[w] * z[:, 0])
        latency = np.where(u[:, 1] < 0.03, latency * (5 + u[:, 2] * 25), latency)  # long tail
        q_stamp = t_q
        if first:
            # queued_at comes from the database clock, which can run a few hundred
            # milliseconds ahead of the app host that writes started_at.
            skew = u[:, 3] < 0.015
            latency = np.where(skew, u[:, 4] * 0.04, latency)
            q_stamp = np.where(skew, t_q + ((0.06 + u[:, 5] * 0.24) * US).astype(np.int64), t_q)
        duration = np.clip(self._dur_median[w] * np.exp(self._dur_sigma[w] * z[:, 1]), 30, 1800)
        outcome = (u[:, 6, None] >= self._cuts[w]).sum(axis=1)
        s = t_q + (latency * US).astype(np.int64)
        s_whole = s - s % US
        s = np.where((u[:, 7] < 0.03) & (s_whole >= t_q), s_whole, s)
        length = np.where(outcome == _TIMED_OUT, self._timeout_s[w] + u[:, 9] * 5,
                          np.where(outcome == _COMPLETED, duration,
                                   duration * (0.1 + u[:, 9] * 0.85)))
        f = s + (length * US).astype(np.int64)
        cancel_queued = (outcome == _CANCELED) & (u[:, 8] < 0.5)
        pause = (u[:, 10] < self._pause_rate[w]) & ~cancel_queued
        ps = s + ((f - s) * (0.1 + u[:, 11] * 0.5)).astype(np.int64)
        pe = ps + ((30 + u[:, 12] * 570) * US).astype(np.int64)
        f = np.where(pause, f + (pe - ps), f)
        f_whole = f - f % US
        f = np.where((u[:, 13] < 0.03) & (f_whole >= np.where(pause, pe, s)), f_whole, f)
        # Canceled while still queued: finished_at but never started_at.
        f = np.where(cancel_queued, t_q + (latency * US * (0.1 + u[:, 9] * 0.8)).astype(np.int64),
                     f)
        credits = np.where(cancel_queued, 0, np.maximum(
            1, ((f - s) / US / 12 * (0.6 + u[:, 14] * 0.8)).astype(np.int64)))
        cached = np.where(self._code_share[w] > 0.5, (credits * u[:, 15] * 0.8).astype(np.int64),
                          0)
        # The server records "" when the callback was delivered, the error when it failed.
        has_webhook = self._has_webhook[w]
        webhook = np.where(has_webhook & (u[:, 16] < 0.04), 2, has_webhook.astype(np.int8))
        webhook_outcome = [(None, "", _WEBHOOK_FAIL)[k] for k in webhook.tolist()]
        code_only = (u[:, 17] < 0.03).tolist()
        out = []
        prng = self.prng
        wfs = self.wfs
        cols = (t_q.tolist(), q_stamp.tolist(), s.tolist(), ps.tolist(), pe.tolist(),
                f.tolist(), outcome.tolist(), cancel_queued.tolist(), pause.tolist(),
                credits.tolist(), cached.tolist(), w.tolist(), legacy.tolist())
        for i, (tq, qs, si, psi, pei, fi, oc, cq, pa, cr, ca, wi, lg) in enumerate(
                zip(*cols, strict=True)):
            a = Attempt(tq, qs, None if cq else si, psi if pa else None, pei if pa else None,
                        fi, _STATUS[oc], cr, ca, webhook_outcome[i])
            if oc != _COMPLETED:
                self._texts(a, wfs[wi], lg)
            elif code_only[i]:
                a.codes = (prng.choice(vocab.CODE_ONLY_ERRORS),)
            out.append(a)
        return out

    def _texts(self, a: Attempt, wf: Workflow, legacy: bool) -> None:
        """failure_reason, failure_category and task error codes of an unsuccessful attempt."""
        p = self.prng
        rnd = p.random
        status = a.status
        if status == "failed":
            self._failure_texts(a, wf, legacy)
        elif status == "timed_out":
            a.reason = f"Workflow run timed out after {wf.max_elapsed or 60} minutes"
            if not legacy and rnd() < 0.7:
                a.category = self.categories([p.choice(vocab.TIMEOUT_CATEGORIES)])
        elif status == "terminated":
            if rnd() < 0.6:
                a.reason = "Terminated: the page matched the terminate criterion"
            if not legacy and rnd() < 0.4:
                a.category = self.categories([p.choice(("WRONG_PAGE_STATE", "AUTH_FAILURE"))])
        elif status == "canceled" and rnd() < 0.3:
            a.reason = "Workflow run was canceled by the user"
        if self.hostile and rnd() < 0.08:
            a.reason = f"{a.reason or ''} {p.choice(vocab.HOSTILE)}"

    def _failure_texts(self, a: Attempt, wf: Workflow, legacy: bool) -> None:
        """Reason, categories (primary first) and error codes of a failed attempt."""
        p = self.prng
        rnd = p.random
        cats = p.choices(wf.categories, weights=wf.category_weights, k=1)
        if rnd() < 0.1:
            cats = ["UNKNOWN"]
        a.reason = p.choice(vocab.FAILURES[cats[0]][0]).format(site=wf.site)
        if not legacy and rnd() < 0.92:  # the rest predate the classifier
            for _ in range(int(rnd() * 3)):  # 0..2 less likely causes
                c = _CATEGORIES[int(rnd() * len(_CATEGORIES))]
                if c not in cats:
                    cats.append(c)
            a.category = self.categories(cats)
        codes = vocab.FAILURES[cats[0]][3]
        if codes and rnd() < 0.6:
            a.codes = (p.choice(codes),)
            if rnd() < 0.1:
                a.codes += (p.choice(vocab.CODE_ONLY_ERRORS),)

    def categories(self, cats: list[str]) -> list[dict[str, Any]]:
        """failure_category entries for ``cats`` (primary first), by falling confidence.

        Example:
            >>> from .workflows import make_workflows
            >>> wfs = make_workflows(random.Random(1), 1, start_us=0, org_id="o_1")
            >>> planner = AttemptPlanner(np.random.default_rng(1), random.Random(1), wfs)
            >>> entries = planner.categories(["AUTH_FAILURE", "UNKNOWN"])
            >>> [e["category"] for e in entries], entries[0]["confidence_float"] > 0.5
            (['AUTH_FAILURE', 'UNKNOWN'], True)
        """
        p = self.prng
        rnd = p.random
        out = []
        conf = int(60 + rnd() * 35) / 100
        for cat in cats:
            if cat == "UNKNOWN":
                entry: dict[str, Any] = {"category": cat, "confidence_float": 0.5,
                                         "reasoning": "No keyword match found"}
            else:
                style = rnd()
                reasoning = vocab.FAILURES[cat][2]
                if self.hostile and rnd() < 0.1:
                    reasoning = f"{reasoning} {p.choice(vocab.HOSTILE)}"
                if style < 0.45:
                    entry = {"category": cat, "confidence_float": conf,
                             "reasoning": "Keywords matched", "evidence_source": "keyword_match"}
                elif style < 0.85:
                    entry = {"category": cat, "confidence_float": conf, "reasoning": reasoning,
                             "reason_code": vocab.FAILURES[cat][1], "evidence_source": "llm"}
                else:
                    entry = {"category": cat, "confidence_float": conf, "reasoning": reasoning}
            out.append(entry)
            conf = max(5, int(conf * 100) - 10 - int(rnd() * 30)) / 100
        out.sort(key=lambda e: -e["confidence_float"])  # stable: a tie keeps the primary first
        return out

    # -- forced roles ----------------------------------------------------------
    def force(self, a: Attempt, role: int, now: int) -> None:
        """Bend a planned first attempt so that the run is in ``role``'s state at ``now``.

        Args:
            a: the run's first attempt, as planned.
            role: a :class:`Role` other than NORMAL.
            now: the simulator clock.
        """
        if role == Role.CREATED:
            self._delay_queueing(a, now)
            return
        if role in (Role.QUEUED, Role.RUNNING, Role.PAUSED) and a.t_q >= now:
            return  # created too recently to be queued yet: it shows as created
        if a.s is None:  # these roles need a run that starts
            a.status, a.s, a.credits = "completed", a.t_q + US, 5
            a.f = a.s + 60 * US
            a.reason, a.category, a.codes = None, None, ()
        length = a.f - a.s  # type: ignore[operator]
        a.ps = a.pe = None
        if role == Role.STUCK_QUEUED:
            self._stick_in_queue(a, now)
        elif role in (Role.STUCK_RUNNING, Role.SWEPT):
            self._stick_running(a, role, now)
        else:
            self._in_flight(a, role, now, length)

    def _delay_queueing(self, a: Attempt, now: int) -> None:
        """Shift the whole attempt so that it is not queued yet at ``now``."""
        shift = now + int(US * (0.5 + self.prng.random() * 2)) - a.t_q
        if shift > 0:
            a.t_q += shift
            a.q_stamp += shift
            a.f += shift  # type: ignore[operator]
            if a.s is not None:
                a.s += shift
            if a.ps is not None:
                a.ps += shift
                a.pe += shift  # type: ignore[operator]

    def _in_flight(self, a: Attempt, role: int, now: int, length: int) -> None:
        """Queued, running or paused at ``now``, finishing some time after it."""
        rnd = self.prng.random
        assert a.s is not None
        if role == Role.QUEUED:
            a.s = max(a.s, now + int(US * (5 + rnd() * 115)))
        elif role in (Role.RUNNING, Role.PAUSED):
            if a.s > now:
                a.s = a.t_q + int((now - a.t_q) * rnd())
            if role == Role.PAUSED:
                a.ps = a.s + int((now - a.s) * rnd())
                a.pe = now + int(US * (60 + rnd() * 840))
        start = a.pe if a.pe is not None else a.s
        a.f = max(a.s + length, start + int(US * (30 + rnd() * 570)), now + 20 * US)

    def _stick_in_queue(self, a: Attempt, now: int) -> None:
        """Never started; canceled by the user many hours after ``now``."""
        a.s = None
        a.status = "canceled"
        a.f = now + int(US * 3600 * (14 + self.prng.random() * 10))
        a.credits = a.cached = 0
        a.reason, a.category, a.codes = "Workflow run was canceled by the user", None, ()

    def _stick_running(self, a: Attempt, role: int, now: int) -> None:
        """Running without progress; timed out by the sweeper (SWEPT: already)."""
        a.status = "timed_out"
        a.fin_written = False
        a.reason = "Workflow run timed out: no progress for several hours"
        a.category = self.categories(["INFRASTRUCTURE_ERROR"])
        a.codes = ()
        assert a.s is not None
        if role == Role.STUCK_RUNNING:
            a.s = min(a.s, now - 60 * US)
            a.f = now + int(US * 3600 * (14 + self.prng.random() * 10))
        else:
            a.f = min(a.s + int(US * 3600 * (2 + self.prng.random() * 4)), now - US)
