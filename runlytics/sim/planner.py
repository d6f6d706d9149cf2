"""Planning runs in batches: numpy draws the numbers, Python assembles the objects.

A batch is the whole initial history or the runs one ``create_runs`` call
makes; both go through :meth:`RunFactory.make_batch`, so a run is planned the
same way whenever it is created. Every random number comes from the factory's
two seeded generators (numpy for the bulk draws, :mod:`random` for texts), so
a fixed seed gives the same runs.
"""

from __future__ import annotations

import random
from bisect import bisect
from collections.abc import Sequence
from typing import Any

import numpy as np

from . import vocab
from .fields import US
from .runs import Attempt, Role, Run
from .workflows import Workflow

__all__ = ["RunFactory"]

_STATUS = ("failed", "timed_out", "canceled", "terminated", "completed")
_FAILED, _TIMED_OUT, _CANCELED, _TERMINATED, _COMPLETED = range(5)
_CUSTOM_PROXY = {"url": "http://user:pass@proxy.example:8080"}
_SETTINGS = {"viewport": {"width": 1920, "height": 1080}, "locale": "en-US"}
_MASKED_CDP = {"Authorization": "***"}
_WEBHOOK_FAIL = "Failed to send webhook: HTTP 502 Bad Gateway"
_JOB_TRIGGERS = ("job_recipe_extract", "job_recipe_apply")
_CATEGORIES = tuple(sorted(vocab.FAILURES))


class RunFactory:
    """Plans runs for a fixed set of workflows.

    Args:
        prng: seeded generator; the numpy generator is seeded from it.
        workflows: the workflows, index ``i`` at position ``i``.
        hostile: put hostile strings into a share of failure texts.
    """

    def __init__(self, prng: random.Random, workflows: list[Workflow], *,
                 hostile: bool = False) -> None:
        self.prng = prng
        self.rng = np.random.default_rng(prng.getrandbits(64))
        self.hostile = hostile
        self.wfs = workflows
        self.last_failed: dict[int, str] = {}  # workflow index -> id of its latest failed run
        self.last_run: dict[int, str] = {}     # workflow index -> id of its latest run

        def col(get: Any) -> np.ndarray:
            return np.array([get(w) for w in workflows], dtype=float)

        self._q_median = col(lambda w: w.q_median)
        self._q_sigma = col(lambda w: w.q_sigma)
        self._dur_median = col(lambda w: w.dur_median)
        self._dur_sigma = col(lambda w: w.dur_sigma)
        self._timeout_s = col(lambda w: (w.max_elapsed or 60) * 60)
        self._pause_rate = col(lambda w: w.pause_rate)
        self._code_share = col(lambda w: w.code_share)
        self._agent_share = col(lambda w: w.agent_share)
        self._has_headers = col(lambda w: w.headers is not None) > 0
        self._has_webhook = col(lambda w: w.webhook_url is not None) > 0
        self._n_values = col(lambda w: len(w.param_values))
        self._cuts = np.cumsum([[w.fail_rate, w.timeout_rate, w.cancel_rate, w.terminate_rate]
                                for w in workflows], axis=1)
        self._trigger_cum = [np.cumsum(w.trigger_weights).tolist() for w in workflows]

    # -- runs ------------------------------------------------------------------
    def make_batch(self, wf_idx: Sequence[int], created: Sequence[int],
                   run_ids: Sequence[str], seq0: int, *, now: int,
                   triggers: Sequence[str | bool | None] | None = None,
                   roles: Sequence[int] | None = None, n_legacy: int = 0) -> list[Run]:
        """Plan runs, oldest first; call :meth:`Run.evaluate` before reading them.

        Args:
            wf_idx: workflow index of each run.
            created: created_at of each run, epoch microseconds, ascending.
            run_ids: ``wr_`` id of each run.
            seq0: creation sequence number of the first run.
            now: the simulator clock (forced roles are placed around it).
            triggers: per run a trigger type, None (not recorded) or True
                (draw one); default: draw all.
            roles: per run a :class:`Role`; default all normal.
            n_legacy: the first ``n_legacy`` runs are legacy: no
                queued/started/finished, no run_with, categories or retries.

        Returns:
            The planned runs.
        """
        m = len(wf_idx)
        if m == 0:
            return []
        w = np.asarray(wf_idx, dtype=np.int64)
        legacy = np.arange(m) < n_legacy
        u = self.rng.random((m, 12))
        code = (u[:, 0] < self._code_share[w]) & ~legacy
        agent = ~code & (u[:, 1] < self._agent_share[w]) & ~legacy
        fell_back = (u[:, 2] < 0.12).tolist()
        ai_fallback = (u[:, 3] < 0.8).tolist()
        code_gen = (u[:, 4] < 0.5).tolist()
        agent_code_gen = (u[:, 4] < 0.3).tolist()
        proxy_u = u[:, 5].tolist()
        headers = (self._has_headers[w] & (u[:, 6] < 0.85)).tolist()
        user = (u[:, 7] * 5).astype(np.int64).tolist()
        retried = (u[:, 8] < 0.25).tolist()
        rare = (u[:, 9] < 0.12).tolist()
        params = (u[:, 10] * self._n_values[w]).astype(np.int64).tolist()
        trig_u = u[:, 11].tolist()
        dq = ((0.2 + self.rng.random(m) * 2.5) * US).astype(np.int64)
        created_a = np.asarray(created, dtype=np.int64)
        atts = self._attempts(w, created_a + dq, created_a, first=True, legacy=legacy)
        code_l, agent_l, wl, legacy_l = code.tolist(), agent.tolist(), w.tolist(), legacy.tolist()
        wfs = self.wfs
        runs = []
        for i in range(m):
            wf = wfs[wl[i]]
            run_id = run_ids[i]
            r = Run()
            r.seq, r.run_id, r.wf, r.created, r.legacy = (seq0 + i, run_id, wf, created[i],
                                                          legacy_l[i])
            r.workflow_id = wf.workflow_id_at(created[i])
            given = True if triggers is None else triggers[i]
            if given is True:
                cum = self._trigger_cum[wl[i]]
                trigger: str | None = wf.triggers[bisect(cum, trig_u[i] * cum[-1])]
            else:
                trigger = given or None
            r.trigger = trigger
            extra: dict[str, Any] | None = None
            if code_l[i]:
                r.run_with = "code"
                r.script = {"ai_fallback_triggered": fell_back[i], "script_id": wf.script_id,
                            "script_revision_id": wf.script_revision_id}
                r.ai_fallback = ai_fallback[i]
                r.code_gen = True if code_gen[i] else None
                if fell_back[i]:
                    extra = {"fallback_attempt": 1}
            else:
                r.run_with = "agent" if agent_l[i] else None
                r.script = r.ai_fallback = None
                r.code_gen = False if (agent_l[i] and agent_code_gen[i]) else None
            pu = proxy_u[i]
            if pu < 0.12:
                r.proxy = None
            elif pu < 0.22:
                r.proxy = vocab.GEO_PROXIES[int(pu * 1000) % len(vocab.GEO_PROXIES)]
            elif pu < 0.23:
                r.proxy = _CUSTOM_PROXY
            elif pu < 0.40:
                r.proxy = vocab.PROXY_ENUM[int(pu * 10_000) % len(vocab.PROXY_ENUM)]
            else:
                r.proxy = wf.proxy_default
            r.headers = wf.headers if headers[i] else None
            manual = trigger == "manual"
            r.created_by = f"user_{user[i] + 1}" if manual else None
            r.retried_from = self.last_failed.get(wf.index) if manual and retried[i] else None
            if rare[i] or trigger in _JOB_TRIGGERS:
                extra = self._rare_fields(wf, trigger, run_id, extra)
            r.extra = extra
            r.params = params[i]
            a = atts[i]
            r.attempts = [a]
            role = Role.NORMAL if roles is None else roles[i]
            if role != Role.NORMAL:
                self._force(a, role, now)
            if a.status == "failed":
                self.last_failed[wf.index] = run_id
            self.last_run[wf.index] = run_id
            runs.append(r)
        self._retries([r for r in runs if r.attempts[0].status == "failed" and not r.legacy
                       and (roles is None or roles[r.seq - seq0] == Role.NORMAL)])
        return runs

    def _retries(self, failed: list[Run]) -> None:
        """Under a retry policy, re-queue some failed runs as new attempts."""
        rnd = self.prng.random
        while failed:
            again = [r for r in failed
                     if len(r.attempts) < r.wf.max_attempts and rnd() < r.wf.retry_prob]
            if not again:
                return
            ended = np.array([r.attempts[-1].f for r in again], dtype=np.int64)
            t_q = ended + (US * (30 + self.rng.random(len(again)) * 270)).astype(np.int64)
            new = self._attempts(np.array([r.wf.index for r in again], dtype=np.int64),
                                 t_q, ended, first=False,
                                 legacy=np.zeros(len(again), dtype=bool))
            for r, a in zip(again, new, strict=True):
                r.attempts.append(a)
            failed = [r for r, a in zip(again, new, strict=True) if a.status == "failed"]

    def _rare_fields(self, wf: Workflow, trigger: object, run_id: str,
                     extra: dict[str, Any] | None) -> dict[str, Any]:
        """Fields most runs leave null: browser sessions, profiles, CDP, jobs..."""
        rnd = self.prng.random
        x = dict(extra or {})
        digits = run_id[3:]
        if trigger in _JOB_TRIGGERS:
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

    # -- attempts --------------------------------------------------------------
    def _attempts(self, w: np.ndarray, t_q: np.ndarray, floor: np.ndarray, *, first: bool,
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
        webhook_fail = (self._has_webhook[w] & (u[:, 16] < 0.04)).tolist()
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
                        fi, _STATUS[oc], cr, ca, _WEBHOOK_FAIL if webhook_fail[i] else None)
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
            cats = p.choices(wf.categories, weights=wf.category_weights, k=1)
            if rnd() < 0.1:
                cats = ["UNKNOWN"]
            a.reason = p.choice(vocab.FAILURES[cats[0]][0]).format(site=wf.site)
            if not legacy and rnd() < 0.92:  # the rest predate the classifier
                for _ in range(int(rnd() * 3)):  # 0..2 less likely causes
                    c = _CATEGORIES[int(rnd() * len(_CATEGORIES))]
                    if c not in cats:
                        cats.append(c)
                a.category = self._categories(cats)
            codes = vocab.FAILURES[cats[0]][3]
            if codes and rnd() < 0.6:
                a.codes = (p.choice(codes),)
                if rnd() < 0.1:
                    a.codes += (p.choice(vocab.CODE_ONLY_ERRORS),)
        elif status == "timed_out":
            a.reason = f"Workflow run timed out after {wf.max_elapsed or 60} minutes"
            if not legacy and rnd() < 0.7:
                a.category = self._categories([p.choice(vocab.TIMEOUT_CATEGORIES)])
        elif status == "terminated":
            if rnd() < 0.6:
                a.reason = "Terminated: the page matched the terminate criterion"
            if not legacy and rnd() < 0.4:
                a.category = self._categories([p.choice(("WRONG_PAGE_STATE", "AUTH_FAILURE"))])
        elif status == "canceled" and rnd() < 0.3:
            a.reason = "Workflow run was canceled by the user"
        if self.hostile and rnd() < 0.08:
            a.reason = f"{a.reason or ''} {p.choice(vocab.HOSTILE)}"

    def _categories(self, cats: list[str]) -> list[dict[str, Any]]:
        """failure_category entries for ``cats`` (primary first), by falling confidence."""
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
    def _force(self, a: Attempt, role: int, now: int) -> None:
        """Bend a planned first attempt so that the run is in ``role``'s state at ``now``."""
        rnd = self.prng.random
        if role == Role.CREATED:
            shift = now + int(US * (0.5 + rnd() * 2)) - a.t_q
            if shift > 0:  # not queued yet at now
                a.t_q += shift
                a.q_stamp += shift
                a.f += shift  # type: ignore[operator]
                if a.s is not None:
                    a.s += shift
                if a.ps is not None:
                    a.ps += shift
                    a.pe += shift  # type: ignore[operator]
            return
        if role in (Role.QUEUED, Role.RUNNING, Role.PAUSED) and a.t_q >= now:
            return  # created too recently to be queued yet: it shows as created
        if a.s is None:  # these roles need a run that starts
            a.status, a.s, a.credits = "completed", a.t_q + US, 5
            a.f = a.s + 60 * US
            a.reason, a.category, a.codes = None, None, ()
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
                a.f = min(a.s + int(US * 3600 * (2 + rnd() * 4)), now - US)
            return
        start = a.pe if a.pe is not None else a.s
        a.f = max(a.s + length, start + int(US * (30 + rnd() * 570)), now + 20 * US)
