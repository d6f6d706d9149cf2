"""Planning runs in batches: numpy draws the numbers, Python assembles the objects.

A batch is the whole initial history or the runs one ``create_runs`` call
makes; both go through :meth:`RunFactory.make_batch`, so a run is planned the
same way whenever it is created. Every random number comes from the factory's
two seeded generators (numpy for the bulk draws, :mod:`random` for texts), so
a fixed seed gives the same runs.

The fields follow what the real server sends: ``run_with`` "code" (with a
``script_run``), "agent" or null; ``proxy_location`` an enum string, a geo
object, a custom ``{"url": ...}`` object or null; unmasked
``extra_http_headers``; ``created_by`` and sometimes
``retried_from_workflow_run_id`` on manual runs; and, on about one run in
eight, the fields most runs leave null (browser sessions and profiles, masked
``cdp_connect_headers``, job ids, dependencies).

Example:
    >>> from datetime import datetime
    >>> from .fields import to_us
    >>> from .workflows import make_workflows
    >>> start = to_us(datetime(2026, 1, 1))
    >>> wfs = make_workflows(random.Random(1), 2, start_us=start, org_id="o_1")
    >>> factory = RunFactory(random.Random(2), wfs)
    >>> runs = factory.make_batch([0, 1], [start, start + 1], ["wr_1", "wr_2"], 0, now=start)
    >>> [(r.run_id, r.wf.index, r.attempts[0].t_q > r.created) for r in runs]
    [('wr_1', 0, True), ('wr_2', 1, True)]
"""

from __future__ import annotations

import random
from bisect import bisect
from collections.abc import Sequence
from typing import Any, NamedTuple

import numpy as np

from . import vocab
from .attempts import AttemptPlanner, Role, workflow_column
from .fields import US
from .runs import Run
from .workflows import Workflow

__all__ = ["RunFactory"]

_CUSTOM_PROXY = {"url": "http://user:pass@proxy.example:8080"}
_SETTINGS = {"viewport": {"width": 1920, "height": 1080}, "locale": "en-US"}
_MASKED_CDP = {"Authorization": "***"}
_JOB_TRIGGERS = ("job_recipe_extract", "job_recipe_apply")


class _Draws(NamedTuple):
    """Per-run draws of a batch, one list entry per run."""

    code: list[bool]
    agent: list[bool]
    fell_back: list[bool]
    ai_fallback: list[bool]
    code_gen: list[bool]
    agent_code_gen: list[bool]
    proxy_u: list[float]
    headers: list[bool]
    user: list[int]
    retried: list[bool]
    rare: list[bool]
    params: list[int]
    trig_u: list[float]


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
        self.attempt_planner = AttemptPlanner(self.rng, prng, workflows, hostile=hostile)
        self.last_failed: dict[int, str] = {}  # workflow index -> id of its latest failed run
        self.last_run: dict[int, str] = {}     # workflow index -> id of its latest run
        self._code_share = workflow_column(workflows, lambda w: w.code_share)
        self._agent_share = workflow_column(workflows, lambda w: w.agent_share)
        self._has_headers = workflow_column(workflows, lambda w: w.headers is not None) > 0
        self._n_values = workflow_column(workflows, lambda w: len(w.param_values))
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
        draws = self._draw(w, legacy)
        dq = ((0.2 + self.rng.random(m) * 2.5) * US).astype(np.int64)
        created_a = np.asarray(created, dtype=np.int64)
        atts = self.attempt_planner.plan(w, created_a + dq, created_a, first=True, legacy=legacy)
        wl, legacy_l = w.tolist(), legacy.tolist()
        wfs = self.wfs
        runs = []
        for i in range(m):
            wf = wfs[wl[i]]
            r = Run()
            r.seq, r.run_id, r.wf, r.created, r.legacy = (seq0 + i, run_ids[i], wf, created[i],
                                                          legacy_l[i])
            r.workflow_id = wf.workflow_id_at(created[i])
            self._fill(r, draws, i, True if triggers is None else triggers[i])
            a = atts[i]
            r.attempts = [a]
            role = Role.NORMAL if roles is None else roles[i]
            if role != Role.NORMAL:
                self.attempt_planner.force(a, role, now)
            if a.status == "failed":
                self.last_failed[wf.index] = r.run_id
            self.last_run[wf.index] = r.run_id
            runs.append(r)
        self._retries([r for r in runs if r.attempts[0].status == "failed" and not r.legacy
                       and (roles is None or roles[r.seq - seq0] == Role.NORMAL)])
        return runs

    def _draw(self, w: np.ndarray, legacy: np.ndarray) -> _Draws:
        """The uniform draws of a batch, turned into per-run choices."""
        u = self.rng.random((len(w), 12))
        code = (u[:, 0] < self._code_share[w]) & ~legacy
        agent = ~code & (u[:, 1] < self._agent_share[w]) & ~legacy
        return _Draws(
            code=code.tolist(), agent=agent.tolist(), fell_back=(u[:, 2] < 0.12).tolist(),
            ai_fallback=(u[:, 3] < 0.8).tolist(), code_gen=(u[:, 4] < 0.5).tolist(),
            agent_code_gen=(u[:, 4] < 0.3).tolist(), proxy_u=u[:, 5].tolist(),
            headers=(self._has_headers[w] & (u[:, 6] < 0.85)).tolist(),
            user=(u[:, 7] * 5).astype(np.int64).tolist(), retried=(u[:, 8] < 0.25).tolist(),
            rare=(u[:, 9] < 0.12).tolist(),
            params=(u[:, 10] * self._n_values[w]).astype(np.int64).tolist(),
            trig_u=u[:, 11].tolist())

    def _fill(self, r: Run, d: _Draws, i: int, given: str | bool | None) -> None:
        """Set the fields of run ``r`` (the ``i``-th of its batch) that its attempts do not."""
        wf = r.wf
        if given is True:
            cum = self._trigger_cum[wf.index]
            trigger: str | None = wf.triggers[bisect(cum, d.trig_u[i] * cum[-1])]
        else:
            trigger = given or None
        r.trigger = trigger
        extra = _set_mode(r, d, i)
        r.proxy = _proxy(d.proxy_u[i], wf)
        r.headers = wf.headers if d.headers[i] else None
        manual = trigger == "manual"
        r.created_by = f"user_{d.user[i] + 1}" if manual else None
        r.retried_from = self.last_failed.get(wf.index) if manual and d.retried[i] else None
        if d.rare[i] or trigger in _JOB_TRIGGERS:
            extra = self._rare_fields(wf, trigger, r.run_id, extra)
        r.extra = extra
        r.params = d.params[i]

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
            new = self.attempt_planner.plan(
                np.array([r.wf.index for r in again], dtype=np.int64), t_q, ended, first=False,
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
        _browser_fields(x, wf, digits, rnd())
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


def _set_mode(r: Run, d: _Draws, i: int) -> dict[str, Any] | None:
    """run_with, script_run, ai_fallback, code_gen; the extra fields they imply."""
    if d.code[i]:
        r.run_with = "code"
        r.script = {"ai_fallback_triggered": d.fell_back[i], "script_id": r.wf.script_id,
                    "script_revision_id": r.wf.script_revision_id}
        r.ai_fallback = d.ai_fallback[i]
        r.code_gen = True if d.code_gen[i] else None
        return {"fallback_attempt": 1} if d.fell_back[i] else None
    r.run_with = "agent" if d.agent[i] else None
    r.script = r.ai_fallback = None
    r.code_gen = False if (d.agent[i] and d.agent_code_gen[i]) else None
    return None


def _proxy(pu: float, wf: Workflow) -> str | dict[str, Any] | None:
    """proxy_location for the uniform draw ``pu``: null, geo, custom, enum or the default."""
    if pu < 0.12:
        return None
    if pu < 0.22:
        return vocab.GEO_PROXIES[int(pu * 1000) % len(vocab.GEO_PROXIES)]
    if pu < 0.23:
        return _CUSTOM_PROXY
    if pu < 0.40:
        return vocab.PROXY_ENUM[int(pu * 10_000) % len(vocab.PROXY_ENUM)]
    return wf.proxy_default


def _browser_fields(x: dict[str, Any], wf: Workflow, digits: str, u: float) -> None:
    """At most one way of getting a browser: a session, a profile, CDP, or a fresh one."""
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

