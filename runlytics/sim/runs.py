"""One simulated run: its planned life, its state at a given instant, its JSON.

Each run is planned in full when it is created: a list of :class:`Attempt`
(more than one when a retry policy re-queues a failed run), each with the
instants at which it is queued, starts, pauses, resumes and ends. The state at
any instant ``T`` is a pure function of that plan (:meth:`Run.evaluate`), so
building the history at ``now`` and moving the clock with ``advance`` share
one code path, and a fixed seed gives the same runs at the same instant.

Serialized, a run is the real server's object: 55 keys in the recorded
order (:data:`~.fields.API_FIELDS`), nulls written, timestamps naive UTC, and
``attempt``/``retry_pending``/``next_attempt_at`` describing the current
attempt. All instants are ``int`` microseconds since the epoch (see
:mod:`.fields`).

Example:
    >>> import random
    >>> from .planner import RunFactory
    >>> from .workflows import make_workflows
    >>> wfs = make_workflows(random.Random(1), 1, start_us=0, org_id="o_1")
    >>> run = RunFactory(random.Random(2), wfs).make_batch([0], [0], ["wr_1"], 0, now=0)[0]
    >>> run.evaluate(0)[0], run.status
    (True, 'created')
    >>> changed, due = run.evaluate(10**12)
    >>> run.status in ("completed", "failed", "timed_out", "canceled", "terminated"), due
    (True, None)
    >>> list(run.to_dict())[:3], run.render() == orjson.dumps(run.to_dict())
    (['workflow_run_id', 'workflow_id', 'workflow_permanent_id'], True)
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import orjson

from .attempts import Attempt
from .fields import from_us, iso
from .workflows import Workflow

__all__ = ["Run", "json_array"]

_EMPTY: dict[str, Any] = {}

# Phases of the current attempt.
_CREATED, _QUEUED, _RUNNING, _FINAL = range(4)


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
        k = _attempt_at(atts, now)
        a = atts[k]
        t_in = a.t_q if k else (min(a.t_q, a.s) if a.s is not None else a.t_q)
        phase, status, modified = _phase_at(a, now, t_in, a.t_q if k else self.created)
        queued = started = finished = None
        if phase != _CREATED:
            queued = atts[0].q_stamp
            modified = max(modified, queued)
        if phase >= _RUNNING and a.s is not None:
            started = a.s
        if phase == _FINAL and a.fin_written:
            finished = a.f
        pending = phase == _FINAL and k + 1 < len(atts)
        next_attempt = atts[k + 1].t_q if pending else None
        if self.legacy:
            queued = started = finished = None
        changed = (status != self.status or modified != self.modified or k != self.k
                   or pending != self.pending)
        if changed:
            self.status, self.k, self.phase, self.pending = status, k, phase, pending
            self.next_attempt, self.queued, self.started = next_attempt, queued, started
            self.finished, self.modified = finished, modified
            self.codes, self.credits, self.cached = _totals(atts, k + (phase == _FINAL))
            self.blob = None
        nxt = None
        for t in (t_in if phase == _CREATED else None, a.s, a.ps, a.pe, a.f, next_attempt):
            if t is not None and t > now and (nxt is None or t < nxt):
                nxt = t
        return changed, nxt

    # -- output ----------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """The run object exactly as the server lists it (55 keys, recorded order)."""
        x = self.extra or _EMPTY
        a = self.attempts[self.k]
        ran = self.k > 0 or (self.phase >= _RUNNING and a.s is not None)
        return {**self._ids_and_state(x), **self._settings(x, a, ran), **self._trigger_and_times(x)}

    def _ids_and_state(self, x: dict[str, Any]) -> dict[str, Any]:
        """``workflow_run_id`` .. ``attempts`` of :meth:`to_dict`."""
        wf = self.wf
        next_attempt = self.next_attempt
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
        }

    def _settings(self, x: dict[str, Any], a: Attempt, ran: bool) -> dict[str, Any]:
        """``extra_http_headers`` .. ``code_gen`` of :meth:`to_dict`."""
        wf = self.wf
        final = self.phase == _FINAL
        return {
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
        }

    def _trigger_and_times(self, x: dict[str, Any]) -> dict[str, Any]:
        """``trigger_type`` .. ``modified_at`` of :meth:`to_dict`."""
        queued, started, finished = self.queued, self.started, self.finished
        return {
            "trigger_type": self.trigger,
            "workflow_schedule_id": self.wf.schedule_id if self.trigger == "scheduled" else None,
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


def _attempt_at(atts: list[Attempt], now: int) -> int:
    """Index of the attempt current at ``now``: the last one queued by then (0 at least)."""
    k = 0
    for j in range(1, len(atts)):
        if atts[j].t_q <= now:
            k = j
        else:
            break
    return k


def _phase_at(a: Attempt, now: int, t_in: int, modified: int) -> tuple[int, str, int]:
    """Phase, listed status and modified_at of attempt ``a`` at ``now``.

    Args:
        a: the current attempt.
        now: the instant.
        t_in: when the attempt counts as queued.
        modified: the latest change before this attempt moved (created_at,
            or its re-queueing).
    """
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
        return phase, "paused" if paused else "running", max(modified, a.ps if paused else a.pe)
    return phase, ("created", "queued", "running", a.status)[phase], modified


def _totals(atts: list[Attempt], done: int) -> tuple[tuple[str, ...], int, int]:
    """Error codes (first seen first), credits and cached credits of the first ``done`` attempts."""
    codes: tuple[str, ...] = ()
    credits = cached = 0
    for j in range(done):
        codes += atts[j].codes
        credits += atts[j].credits
        cached += atts[j].cached
    return tuple(dict.fromkeys(codes)), credits, cached


def json_array(runs: Iterable[Run]) -> bytes:
    """The JSON array of ``runs`` as the list endpoint sends it, from their cached bytes.

    Example:
        >>> json_array([])
        b'[]'
    """
    return b"[" + b",".join([r.blob or r.render() for r in runs]) + b"]"


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
