"""One simulated run: its planned life, its state at a given instant, its JSON.

Each run is planned in full when it is created: a list of :class:`Attempt`
(more than one when a retry policy re-queues a failed run), each with the
instants at which it is queued, starts, pauses, resumes and ends. The state at
any instant ``T`` is a pure function of that plan (:meth:`Run.evaluate`), so
building the history at ``now`` and moving the clock with ``advance`` share
one code path, and a fixed seed gives the same runs at the same instant.

All instants are ``int`` microseconds since the epoch (see :mod:`.fields`).
"""

from __future__ import annotations

from typing import Any

import orjson

from .fields import from_us, iso
from .workflows import Workflow

__all__ = ["Attempt", "Role", "Run"]

_EMPTY: dict[str, Any] = {}

# Phases of the current attempt.
_CREATED, _QUEUED, _RUNNING, _FINAL = range(4)


class Role:
    """Special plans that make sure the history shows every situation."""

    NORMAL = 0
    CREATED = 1        # still `created` at now
    QUEUED = 2         # waiting in the queue at now
    RUNNING = 3        # running at now
    PAUSED = 4         # paused at now
    STUCK_QUEUED = 5   # queued for hours; eventually canceled
    STUCK_RUNNING = 6  # running for hours; eventually timed out by the sweeper
    SWEPT = 7          # timed_out with no finished_at (stuck-run sweeper)


class Attempt:
    """One attempt of a run: when it moves, how it ends, what it reports."""

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


class Run:
    """A run: static fields, its plan, its state at the last evaluation, its JSON."""

    __slots__ = (
        "seq", "run_id", "wf", "workflow_id", "created", "legacy", "attempts", "trigger",
        "run_with", "proxy", "headers", "created_by", "retried_from", "ai_fallback", "code_gen",
        "script", "extra", "params",
        # state, set by evaluate()
        "status", "k", "phase", "pending", "next_attempt", "queued", "started", "finished",
        "modified", "codes", "credits", "cached", "blob",
    )

    seq: int
    run_id: str
    wf: Workflow
    workflow_id: str
    created: int
    legacy: bool
    attempts: list[Attempt]
    trigger: str | None
    run_with: str | None
    proxy: str | dict[str, Any] | None
    headers: dict[str, str] | None
    created_by: str | None
    retried_from: str | None
    ai_fallback: bool | None
    code_gen: bool | None
    script: dict[str, Any] | None
    extra: dict[str, Any] | None  # rarely set fields; None for most runs
    params: int  # index into wf.param_values
    next_attempt: int | None
    queued: int | None
    started: int | None
    finished: int | None
    credits: int
    cached: int

    def __init__(self) -> None:
        self.blob: bytes | None = None
        self.status = ""
        self.modified = -1
        self.k = -1
        self.phase = _CREATED
        self.pending: bool | None = None
        self.codes: tuple[str, ...] = ()

    # -- state -----------------------------------------------------------------
    def evaluate(self, now: int) -> tuple[bool, int | None]:
        """Set the state the plan gives at ``now``.

        Args:
            now: the instant, epoch microseconds.

        Returns:
            (whether anything visible changed, the next instant at which it will
            change or None if never).
        """
        atts = self.attempts
        k = 0
        for j in range(1, len(atts)):
            if atts[j].t_q <= now:
                k = j
            else:
                break
        a = atts[k]
        first = atts[0]
        t_in = a.t_q if k else (min(a.t_q, a.s) if a.s is not None else a.t_q)
        modified = a.t_q if k else self.created
        if a.f is not None and now >= a.f:
            phase = _FINAL
            modified = max(modified, a.f)
        elif a.s is not None and now >= a.s:
            phase = _RUNNING
            modified = max(modified, a.s)
        elif now >= t_in:
            phase = _QUEUED
            modified = max(modified, t_in)
        else:
            phase = _CREATED
        if phase == _RUNNING and a.ps is not None and a.pe is not None and now >= a.ps:
            paused = now < a.pe
            modified = max(modified, a.ps if paused else a.pe)
            status = "paused" if paused else "running"
        else:
            status = ("created", "queued", "running", a.status)[phase]
        queued = started = finished = None
        if phase != _CREATED:
            queued = first.q_stamp
            modified = max(modified, queued)
        if phase >= _RUNNING and a.s is not None:
            started = a.s
        if phase == _FINAL and a.fin_written:
            finished = a.f
        pending = phase == _FINAL and k + 1 < len(atts)
        next_attempt = atts[k + 1].t_q if pending else None
        codes: tuple[str, ...] = ()
        credits = cached = 0
        for j in range(k + (phase == _FINAL)):
            codes += atts[j].codes
            credits += atts[j].credits
            cached += atts[j].cached
        if self.legacy:
            queued = started = finished = None
        changed = (status != self.status or modified != self.modified or k != self.k
                   or pending != self.pending)
        if changed:
            self.status, self.k, self.phase, self.pending = status, k, phase, pending
            self.next_attempt, self.queued, self.started = next_attempt, queued, started
            self.finished, self.modified = finished, modified
            self.codes, self.credits, self.cached = tuple(dict.fromkeys(codes)), credits, cached
            self.blob = None
        nxt = None
        for t in (t_in if phase == _CREATED else None, a.s, a.ps, a.pe, a.f, next_attempt):
            if t is not None and t > now and (nxt is None or t < nxt):
                nxt = t
        return changed, nxt

    # -- output ----------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """The run object exactly as the server lists it (55 keys, recorded order)."""
        wf = self.wf
        x = self.extra or _EMPTY
        a = self.attempts[self.k]
        final = self.phase == _FINAL
        ran = self.k > 0 or (self.phase >= _RUNNING and a.s is not None)
        next_attempt = self.next_attempt
        queued, started, finished = self.queued, self.started, self.finished
        return {
            "workflow_run_id": self.run_id,
            "workflow_id": self.workflow_id,
            "workflow_permanent_id": wf.wpid,
            "organization_id": wf.organization_id,
            "browser_session_id": x.get("browser_session_id"),
            "browser_profile_id": x.get("browser_profile_id"),
            "browser_seed_source": None,
            "browser_sink_profile_id": x.get("browser_sink_profile_id"),
            "start_fresh_browser": x.get("start_fresh_browser"),
            "reuse_browser_session": x.get("reuse_browser_session"),
            "debug_session_id": x.get("debug_session_id"),
            "status": self.status,
            "attempt": self.k + 1,
            "retry_pending": self.pending,
            "next_attempt_at": None if next_attempt is None else from_us(next_attempt),
            "attempts": [],
            "extra_http_headers": self.headers,
            "cdp_connect_headers": x.get("cdp_connect_headers"),
            "proxy_location": self.proxy,
            "webhook_callback_url": wf.webhook_url,
            "webhook_failure_reason": a.webhook_fail if final else None,
            "totp_verification_url": wf.totp_url,
            "totp_identifier": wf.totp_identifier,
            "failure_reason": a.reason if final else None,
            "failure_category": a.category if final else None,
            "retried_from_workflow_run_id": self.retried_from,
            "fallback_attempt": x.get("fallback_attempt") if ran else None,
            "parent_workflow_run_id": None,
            "workflow_title": wf.title,
            "max_screenshot_scrolls": wf.max_screenshot_scrolls,
            "max_elapsed_time_minutes": wf.max_elapsed,
            "browser_address": x.get("browser_address"),
            "run_with": self.run_with,
            "browser_type": x.get("browser_type"),
            "browser_settings": x.get("browser_settings"),
            "browser_settings_receipt": x.get("browser_settings") if ran else None,
            "script_run": self.script if ran else None,
            "job_id": x.get("job_id"),
            "depends_on_workflow_run_id": x.get("depends_on_workflow_run_id"),
            "sequential_key": wf.sequential_key,
            "sequential_credential_id": x.get("sequential_credential_id"),
            "ai_fallback": self.ai_fallback,
            "code_gen": self.code_gen,
            "trigger_type": self.trigger,
            "workflow_schedule_id": wf.schedule_id if self.trigger == "scheduled" else None,
            "ignore_inherited_workflow_system_prompt": x.get("ignore_prompt", False),
            "copilot_session_id": None,
            "created_by": self.created_by,
            "credits_used": self.credits,
            "cached_credits_used": self.cached,
            "queued_at": None if queued is None else from_us(queued),
            "started_at": None if started is None else from_us(started),
            "finished_at": None if finished is None else from_us(finished),
            "created_at": from_us(self.created),
            "modified_at": from_us(self.modified),
        }

    def render(self) -> bytes:
        """The cached JSON bytes of the run, rebuilt only after a change.

        Runs without rare fields (most of them) fill the workflow's template;
        the others go through :meth:`to_dict`. Both give the same bytes
        (tested), the template about three times faster.
        """
        blob = self.blob
        if blob is None:
            if self.extra is None:
                blob = self._fill_template()
            else:
                blob = orjson.dumps(self.to_dict())
            self.blob = blob
        return blob

    def _fill_template(self) -> bytes:
        wf = self.wf
        template = wf.template or _make_template(wf)
        a = self.attempts[self.k]
        final = self.phase == _FINAL
        ran = self.k > 0 or (self.phase >= _RUNNING and a.s is not None)
        nxt, queued, started, finished = (self.next_attempt, self.queued, self.started,
                                          self.finished)
        trigger = self.trigger
        proxy = self.proxy
        modified = self.modified
        fin = "null" if finished is None else f'"{iso(finished)}"'
        return (template % (
            self.run_id, self.workflow_id, self.status, self.k + 1,
            "true" if self.pending else "false",
            "null" if nxt is None else f'"{iso(nxt)}"',
            "null" if self.headers is None else _json(self.headers),
            "null" if proxy is None else (f'"{proxy}"' if type(proxy) is str
                                          else _json(proxy)),
            _json(a.webhook_fail) if final else "null",
            _json(a.reason) if final else "null",
            _json(a.category) if final else "null",
            "null" if self.retried_from is None else f'"{self.retried_from}"',
            "null" if self.run_with is None else f'"{self.run_with}"',
            _json(self.script) if ran else "null",
            _JSON_CONST[self.ai_fallback], _JSON_CONST[self.code_gen],
            "null" if trigger is None else f'"{trigger}"',
            f'"{wf.schedule_id}"' if trigger == "scheduled" and wf.schedule_id else "null",
            "null" if self.created_by is None else f'"{self.created_by}"',
            self.credits, self.cached,
            "null" if queued is None else f'"{iso(queued)}"',
            "null" if started is None else f'"{iso(started)}"',
            fin,
            iso(self.created),
            # modified_at is usually the latest stamp: reuse its text
            fin[1:-1] if modified == finished else iso(modified),
        )).encode()

    def matches_search(self, needle: str) -> bool:
        """Whether ``needle`` (lower-cased) is in a field search_key looks at.

        Run id, title, workflow_permanent_id, webhook URL, parameter keys and
        descriptions (not soft-deleted ones), parameter values and the extra
        HTTP headers, case-insensitively.
        """
        wf = self.wf
        return (needle in self.run_id or needle in wf.hay
                or needle in wf.param_hays[self.params]
                or (self.headers is not None and needle in wf.headers_hay))

    def parameters(self) -> list[dict[str, Any]]:
        """The run's parameters: key, description, value, deleted flag."""
        values = self.wf.param_values[self.params]
        return [{"key": k, "description": d, "value": v, "deleted": deleted}
                for (k, d, deleted), v in zip(self.wf.params, values, strict=True)]


_JSON_CONST = {True: "true", False: "false", None: "null"}


def _json(value: Any) -> str:
    return "null" if value is None else orjson.dumps(value).decode()


def _make_template(wf: Workflow) -> str:
    """The run-object JSON of ``wf`` with %-placeholders for what varies per run.

    Keys and constants are written exactly as orjson writes them; the fields
    kept in ``Run.extra`` are fixed to their defaults (runs with extras take
    the :meth:`Run.to_dict` path instead).
    """
    def const(value: Any) -> str:
        return _json(value).replace("%", "%%")

    wf.template = (
        '{"workflow_run_id":"%s","workflow_id":"%s","workflow_permanent_id":'
        + const(wf.wpid) + ',"organization_id":' + const(wf.organization_id)
        + ',"browser_session_id":null,"browser_profile_id":null,"browser_seed_source":null,'
        '"browser_sink_profile_id":null,"start_fresh_browser":null,'
        '"reuse_browser_session":null,"debug_session_id":null,"status":"%s","attempt":%d,'
        '"retry_pending":%s,"next_attempt_at":%s,"attempts":[],"extra_http_headers":%s,'
        '"cdp_connect_headers":null,"proxy_location":%s,"webhook_callback_url":'
        + const(wf.webhook_url) + ',"webhook_failure_reason":%s,"totp_verification_url":'
        + const(wf.totp_url) + ',"totp_identifier":' + const(wf.totp_identifier)
        + ',"failure_reason":%s,"failure_category":%s,"retried_from_workflow_run_id":%s,'
        '"fallback_attempt":null,"parent_workflow_run_id":null,"workflow_title":'
        + const(wf.title) + ',"max_screenshot_scrolls":' + const(wf.max_screenshot_scrolls)
        + ',"max_elapsed_time_minutes":' + const(wf.max_elapsed)
        + ',"browser_address":null,"run_with":%s,"browser_type":null,"browser_settings":null,'
        '"browser_settings_receipt":null,"script_run":%s,"job_id":null,'
        '"depends_on_workflow_run_id":null,"sequential_key":' + const(wf.sequential_key)
        + ',"sequential_credential_id":null,"ai_fallback":%s,"code_gen":%s,'
        '"trigger_type":%s,"workflow_schedule_id":%s,'
        '"ignore_inherited_workflow_system_prompt":false,"copilot_session_id":null,'
        '"created_by":%s,"credits_used":%d,"cached_credits_used":%d,"queued_at":%s,'
        '"started_at":%s,"finished_at":%s,"created_at":"%s","modified_at":"%s"}'
    )
    return wf.template
