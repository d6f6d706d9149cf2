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

import math
import random
from typing import Any

import orjson

from . import vocab
from .fields import US, from_us
from .workflows import Workflow

__all__ = ["Attempt", "Role", "Run", "RunFactory"]

_EMPTY: dict[str, Any] = {}
_CUSTOM_PROXY = {"url": "http://user:pass@proxy.example:8080"}
_SETTINGS = {"viewport": {"width": 1920, "height": 1080}, "locale": "en-US"}
_MASKED_CDP = {"Authorization": "***"}

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

    def __init__(self, t_q: int) -> None:
        self.t_q = t_q           # moves to queued (attempt > 1: re-queued by the retry policy)
        self.q_stamp = t_q       # queued_at as written; the DB clock may run ahead of `s`
        self.s: int | None = None   # starts running; None = never starts
        self.ps: int | None = None  # paused from ...
        self.pe: int | None = None  # ... until
        self.f: int | None = None   # reaches its final status; None = never
        self.status = "completed"
        self.fin_written = True     # False: the sweeper set the status, not finished_at
        self.reason: str | None = None
        self.category: list[dict[str, Any]] | None = None
        self.codes: tuple[str, ...] = ()
        self.credits = 0
        self.cached = 0
        self.webhook_fail: str | None = None


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

    def __init__(self) -> None:
        self.blob: bytes | None = None
        self.status = ""
        self.modified = -1
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
        if phase == _RUNNING and a.ps is not None and now >= a.ps:
            paused = now < a.pe  # type: ignore[operator]
            modified = max(modified, a.ps if paused else a.pe)  # type: ignore[type-var]
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
        changed = (status != self.status or modified != self.modified or k != getattr(
            self, "k", -1) or pending != getattr(self, "pending", None))
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
        """The cached JSON bytes of the run, rebuilt only after a change."""
        blob = self.blob
        if blob is None:
            blob = self.blob = orjson.dumps(self.to_dict())
        return blob

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


class RunFactory:
    """Plans runs for workflows with one seeded generator.

    Args:
        prng: the seeded generator; plans depend only on it and the arguments.
        hostile: put hostile strings into a share of failure texts.
    """

    def __init__(self, prng: random.Random, *, hostile: bool = False) -> None:
        self.prng = prng
        self.hostile = hostile
        self._cum: dict[int, list[float]] = {}
        self.last_failed: dict[int, str] = {}   # workflow index -> id of a failed run
        self.last_run: dict[int, str] = {}      # workflow index -> id of its latest run

    def make(self, wf: Workflow, created: int, run_id: str, seq: int, *, now: int,
             trigger: str | None | bool = True, role: int = Role.NORMAL,
             legacy: bool = False) -> Run:
        """Plan one run and evaluate it at ``now``.

        Args:
            wf: its workflow.
            created: created_at, epoch microseconds.
            run_id: its ``wr_`` id.
            seq: creation sequence number (newer = larger).
            now: the simulator clock, to place forced roles around it.
            trigger: a trigger type, None for "not recorded", True to draw one.
            role: a :class:`Role` that forces the state at ``now``.
            legacy: an old run: no queued/started/finished, no categories.

        Returns:
            The run, already evaluated at ``now``.
        """
        p = self.prng
        rnd = p.random
        r = Run()
        r.seq, r.run_id, r.wf, r.created, r.legacy = seq, run_id, wf, created, legacy
        r.workflow_id = wf.workflow_id_at(created)
        if trigger is True:
            cum = self._cum.get(wf.index)
            if cum is None:
                cum = self._cum[wf.index] = _cumulative(wf.trigger_weights)
            trigger = p.choices(wf.triggers, cum_weights=cum)[0]
        r.trigger = trigger  # type: ignore[assignment]
        u = rnd()
        if legacy:
            r.run_with = None
        elif u < wf.code_share:
            r.run_with = "code"
        elif rnd() < wf.agent_share:
            r.run_with = "agent"
        else:
            r.run_with = None
        x: dict[str, Any] | None = None
        if r.run_with == "code":
            fell_back = rnd() < 0.12
            r.script = {"ai_fallback_triggered": fell_back, "script_id": wf.script_id,
                        "script_revision_id": wf.script_revision_id}
            r.ai_fallback = rnd() < 0.8
            r.code_gen = True if rnd() < 0.5 else None
            if fell_back:
                x = {"fallback_attempt": 1}
        else:
            r.script = None
            r.ai_fallback = None
            r.code_gen = False if (r.run_with == "agent" and rnd() < 0.3) else None
        u = rnd()
        if u < 0.12:
            r.proxy = None
        elif u < 0.22:
            r.proxy = vocab.GEO_PROXIES[int(u * 1000) % len(vocab.GEO_PROXIES)]
        elif u < 0.23:
            r.proxy = _CUSTOM_PROXY
        elif u < 0.40:
            r.proxy = vocab.PROXY_ENUM[int(u * 10_000) % len(vocab.PROXY_ENUM)]
        else:
            r.proxy = wf.proxy_default
        r.headers = wf.headers if (wf.headers is not None and rnd() < 0.85) else None
        r.created_by = f"user_{int(rnd() * 5) + 1}" if trigger == "manual" else None
        r.retried_from = None
        if trigger == "manual" and rnd() < 0.25:
            r.retried_from = self.last_failed.get(wf.index)
        if rnd() < 0.12 or trigger in ("job_recipe_extract", "job_recipe_apply"):
            x = self._rare_fields(wf, trigger, run_id, x)
        r.extra = x
        r.params = int(rnd() * len(wf.param_values))
        r.attempts = self._plan(wf, created, now, role, legacy)
        if r.attempts[0].status == "failed":
            self.last_failed[wf.index] = run_id
        self.last_run[wf.index] = run_id
        r.evaluate(now)
        return r

    def _rare_fields(self, wf: Workflow, trigger: object, run_id: str,
                     x: dict[str, Any] | None) -> dict[str, Any]:
        p = self.prng
        rnd = p.random
        x = dict(x or {})
        digits = run_id[3:]
        if trigger in ("job_recipe_extract", "job_recipe_apply"):
            x["job_id"] = f"job_{digits}"
        u = rnd()
        if u < 0.3:
            x["browser_session_id"] = f"pbs_{digits}"
            x["reuse_browser_session"] = True
        elif u < 0.45:
            x["browser_profile_id"] = f"bp_{wf.wpid[5:]}"
            x["start_fresh_browser"] = False
        elif u < 0.5:
            x["browser_address"] = "http://127.0.0.1:9222"
            x["cdp_connect_headers"] = _MASKED_CDP
        elif u < 0.6:
            x["start_fresh_browser"] = True
        if trigger == "manual" and rnd() < 0.4:
            x["debug_session_id"] = f"ds_{digits}"
        if rnd() < 0.1:
            x["browser_type"] = "chromium-headful"
            x["browser_settings"] = _SETTINGS
        if rnd() < 0.08 and wf.index in self.last_run:
            x["depends_on_workflow_run_id"] = self.last_run[wf.index]
        if wf.sequential_key is not None and rnd() < 0.5:
            x["sequential_credential_id"] = f"cred_{wf.wpid[5:]}"
        if rnd() < 0.05:
            x["ignore_prompt"] = True
        return x

    # -- plans -----------------------------------------------------------------
    def _plan(self, wf: Workflow, created: int, now: int, role: int,
              legacy: bool) -> list[Attempt]:
        p = self.prng
        rnd = p.random
        dq = int(US * (0.2 + rnd() * 2.5))
        if role == Role.CREATED:
            dq = max(dq, now - created + int(US * (0.5 + rnd() * 2)))
        a = self._attempt(wf, created + dq, first=True, legacy=legacy)
        if role != Role.NORMAL:
            self._force(a, wf, role, now)
        atts = [a]
        while (not legacy and role == Role.NORMAL and a.status == "failed"
               and len(atts) < wf.max_attempts and rnd() < wf.retry_prob):
            a = self._attempt(wf, a.f + int(US * (30 + rnd() * 270)),  # type: ignore[operator]
                              first=False, legacy=False)
            atts.append(a)
        return atts

    def _attempt(self, wf: Workflow, t_q: int, *, first: bool, legacy: bool) -> Attempt:
        p = self.prng
        rnd = p.random
        a = Attempt(_maybe_whole_second(t_q, t_q - US, rnd))
        t_q = a.t_q
        latency = wf.q_median * math.exp(wf.q_sigma * p.gauss(0.0, 1.0))
        if rnd() < 0.03:
            latency *= 5 + rnd() * 25  # long tail: minutes of queueing
        if first and rnd() < 0.015:
            # The queued_at stamp comes from the database clock, which can run
            # ahead of the app host that writes started_at.
            latency = rnd() * 0.04
            a.q_stamp = t_q + int(US * (0.06 + rnd() * 0.24))
        duration = min(1800.0, max(30.0, wf.dur_median * math.exp(wf.dur_sigma
                                                                    * p.gauss(0.0, 1.0))))
        u = rnd()
        if u < wf.fail_rate:
            status = "failed"
        elif u < wf.fail_rate + wf.timeout_rate:
            status = "timed_out"
        elif u < wf.fail_rate + wf.timeout_rate + wf.cancel_rate:
            status = "canceled"
        elif u < wf.fail_rate + wf.timeout_rate + wf.cancel_rate + wf.terminate_rate:
            status = "terminated"
        else:
            status = "completed"
        a.status = status
        s = _maybe_whole_second(t_q + int(latency * US), t_q, rnd)
        if status == "canceled" and rnd() < 0.5:
            # Canceled while still queued: finished_at but never started_at.
            a.f = t_q + int(latency * US * (0.1 + rnd() * 0.8))
        else:
            a.s = s
            if status == "timed_out":
                length = (wf.max_elapsed or 60) * 60 + rnd() * 5
            elif status == "completed":
                length = duration
            else:
                length = duration * (0.1 + rnd() * 0.85)
            a.f = s + int(length * US)
            if rnd() < wf.pause_rate:
                a.ps = s + int((a.f - s) * (0.1 + rnd() * 0.5))
                a.pe = a.ps + int(US * (30 + rnd() * 570))
                a.f += a.pe - a.ps
            a.f = _maybe_whole_second(a.f, a.pe or s, rnd)
        self._outcome(a, wf, legacy)
        return a

    def _outcome(self, a: Attempt, wf: Workflow, legacy: bool) -> None:
        """Failure texts, categories, error codes and credits of a planned attempt."""
        p = self.prng
        rnd = p.random
        status = a.status
        if status == "failed":
            cats = p.choices(wf.categories, weights=wf.category_weights, k=1)
            if rnd() < 0.1:
                cats = ["UNKNOWN"]
            reason = p.choice(vocab.FAILURES[cats[0]][0]).format(site=wf.site)
            if not legacy and rnd() < 0.92:
                more = int(rnd() * 3)  # 0..2 further candidates
                for c in p.sample(sorted(vocab.FAILURES), k=more + 1):
                    if c not in cats and len(cats) < 3:
                        cats.append(c)
                a.category = self._categories(cats)
            a.reason = reason
            codes = vocab.FAILURES[cats[0]][3]
            if codes and rnd() < 0.6:
                a.codes = (p.choice(codes),)
                if rnd() < 0.1:
                    a.codes += (p.choice(vocab.CODE_ONLY_ERRORS),)
        elif status == "timed_out":
            minutes = wf.max_elapsed or 60
            a.reason = f"Workflow run timed out after {minutes} minutes"
            if not legacy and rnd() < 0.7:
                a.category = self._categories([p.choice(vocab.TIMEOUT_CATEGORIES)])
        elif status == "terminated":
            if rnd() < 0.6:
                a.reason = "Terminated: the page matched the terminate criterion"
            if not legacy and rnd() < 0.4:
                a.category = self._categories([p.choice(("WRONG_PAGE_STATE", "AUTH_FAILURE"))])
        elif status == "canceled":
            if rnd() < 0.3:
                a.reason = "Workflow run was canceled by the user"
        elif rnd() < 0.03:
            a.codes = (p.choice(vocab.CODE_ONLY_ERRORS),)
        if self.hostile and status != "completed" and rnd() < 0.08:
            a.reason = f"{a.reason or ''} {p.choice(vocab.HOSTILE)}"
        if a.s is not None and a.f is not None:
            a.credits = max(1, int((a.f - a.s) / US / 12 * (0.6 + rnd() * 0.8)))
            if wf.code_share > 0.5:
                a.cached = int(a.credits * rnd() * 0.8)
        if wf.webhook_url is not None and rnd() < 0.04:
            a.webhook_fail = "Failed to send webhook: HTTP 502 Bad Gateway"

    def _categories(self, cats: list[str]) -> list[dict[str, Any]]:
        """failure_category entries for ``cats`` (primary first), by falling confidence."""
        p = self.prng
        rnd = p.random
        out = []
        conf = round(0.6 + rnd() * 0.35, 2)
        for i, cat in enumerate(cats):
            if cat == "UNKNOWN":
                entry = {"category": cat, "confidence_float": 0.5,
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
            conf = round(max(0.05, conf - 0.1 - rnd() * 0.3), 2)
        if len(out) > 1:
            out.sort(key=lambda e: -e["confidence_float"])  # stable: ties keep the primary first
        return out

    def _force(self, a: Attempt, wf: Workflow, role: int, now: int) -> None:
        """Bend a planned attempt so that the run is in ``role``'s state at ``now``."""
        rnd = self.prng.random
        if role == Role.CREATED:
            return  # the delay before queued already ends after now
        if a.s is None:  # forced roles need a run that starts
            a.status = "completed"
            a.s = a.t_q + US
            a.f = a.s + 60 * US
        length = a.f - a.s  # type: ignore[operator]
        a.ps = a.pe = None
        if role == Role.QUEUED:
            a.s = max(a.s, now + int(US * (5 + rnd() * 115)))
        elif role in (Role.RUNNING, Role.PAUSED):
            if a.s > now:
                a.s = a.t_q + int((now - a.t_q) * rnd())
            if role == Role.PAUSED:
                a.ps = a.s + int((now - a.s) * rnd())
                a.pe = now + int(US * (60 + rnd() * 840))
        elif role == Role.STUCK_QUEUED:
            a.s = None
            a.status = "canceled"
            a.f = now + int(US * 3600 * (14 + rnd() * 10))
            a.credits = a.cached = 0
            a.reason, a.category, a.codes = "Workflow run was canceled by the user", None, ()
            return
        elif role in (Role.STUCK_RUNNING, Role.SWEPT):
            a.status = "timed_out"
            a.fin_written = False
            a.reason = "Workflow run timed out: no progress for several hours"
            a.category = self._categories(["INFRASTRUCTURE_ERROR"])
            a.codes = ()
            if role == Role.STUCK_RUNNING:
                a.s = min(a.s, now - 60 * US)
                a.f = now + int(US * 3600 * (14 + rnd() * 10))
            else:
                a.f = a.s + int(US * 3600 * (2 + rnd() * 4))
                a.f = min(a.f, now - US)
            return
        start = a.pe if a.pe is not None else a.s
        a.f = max(a.s + length, start + int(US * (30 + rnd() * 570)), now + int(US * 20))


def _cumulative(weights: tuple[float, ...]) -> list[float]:
    out, total = [], 0.0
    for w in weights:
        total += w
        out.append(total)
    return out


def _maybe_whole_second(t: int, floor: int, rnd: Any) -> int:
    """Drop the fraction of ~3 % of stamps (the server then omits it), never below ``floor``."""
    if rnd() < 0.03:
        whole = t - t % US
        if whole >= floor:
            return whole
    return t
