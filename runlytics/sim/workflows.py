"""Synthetic workflows: titles, ids, and the profile each one's runs follow.

A :class:`Workflow` holds everything its runs share (ids, title, headers,
webhook, parameters) and the distributions its runs are drawn from: queue
latency, duration, failure rate and categories, retry policy, trigger mix.
Profiles differ on purpose (fast and slow, 2 % and 30 % failure) so analyses
have something to find. Some workflows carry what the real server sends
unmasked: bearer tokens in ``extra_http_headers``, tokens in webhook and TOTP
URLs.

Example:
    >>> wf = make_workflows(random.Random(1), 1, start_us=0, org_id="o_1")[0]
    >>> wf.index, wf.organization_id, workflow_object(wf)["workflow_permanent_id"] == wf.wpid
    (0, 'o_1', True)
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import orjson

from . import vocab
from .fields import US, from_us

__all__ = ["Workflow", "make_workflows", "workflow_object", "workflow_objects"]

# Failure rates handed out in turn, so any two workflows already span 2 %..30 %.
_FAIL_RATES = (0.02, 0.30, 0.08, 0.15, 0.04, 0.22, 0.05, 0.12, 0.03, 0.18)
_MAX_ELAPSED = (None, 30, 60, None, 120)
_SCHEDULES = (3600, 6 * 3600, 86_400)  # seconds between scheduled runs
_TRIGGERS = ("api", "manual", "webhook", "mcp", "scheduled", "job_recipe_extract",
             "job_recipe_apply")
_ID_BASE = 602_374_195_000_000_000


@dataclass(slots=True, eq=False)
class Workflow:
    """One workflow and the profile of its runs (times in seconds unless `_us`).

    Example:
        >>> wf = make_workflows(random.Random(1), 1, start_us=0, org_id="o_1")[0]
        >>> 0.02 <= wf.fail_rate <= 0.30, wf.workflow_id_at(0) == wf.versions[0][1]
        (True, True)
    """

    index: int
    wpid: str
    title: str
    organization_id: str
    versions: list[tuple[int, str]]  # (valid from, workflow_id), oldest first
    created_us: int
    weight: float
    q_median: float
    q_sigma: float
    dur_median: float
    dur_sigma: float
    fail_rate: float
    timeout_rate: float
    cancel_rate: float
    terminate_rate: float
    pause_rate: float
    categories: tuple[str, ...]
    category_weights: tuple[float, ...]
    max_attempts: int
    retry_prob: float
    code_share: float
    agent_share: float
    triggers: tuple[str, ...]
    trigger_weights: tuple[float, ...]
    schedule: tuple[int, int] | None  # (period_us, offset_us) of the cron
    schedule_id: str | None
    proxy_default: str
    headers: dict[str, str] | None
    webhook_url: str | None
    totp_url: str | None
    totp_identifier: str | None
    max_elapsed: int | None
    max_screenshot_scrolls: int | None
    sequential_key: str | None
    script_id: str | None
    script_revision_id: str | None
    site: str
    params: tuple[tuple[str, str, bool], ...]  # (key, description, soft-deleted)
    param_values: list[tuple[str, ...]] = field(default_factory=list)
    # Lower-cased text that search_key matches, precomputed once per workflow.
    hay: str = ""
    headers_hay: str = ""
    param_hays: list[str] = field(default_factory=list)
    # JSON text of the run object with this workflow's constants filled in
    # (built by runs.py on first use).
    template: str = ""

    def workflow_id_at(self, created_us: int) -> str:
        """The id of the workflow version that was current at ``created_us``."""
        current = self.versions[0][1]
        for since, wid in self.versions:
            if since <= created_us:
                current = wid
        return current


def _digits(prng: random.Random, base: int) -> int:
    return base + prng.randrange(10**9)


def make_workflows(prng: random.Random, n: int, *, start_us: int, org_id: str,
                   hostile: bool = False) -> list[Workflow]:
    """Draw ``n`` workflows with distinct titles and varied run profiles.

    Args:
        prng: the seeded generator (consumed in a fixed order: deterministic).
        n: number of workflows, at least 1.
        start_us: start of the simulated history; versions change after it.
        org_id: organisation owning every workflow.
        hostile: give some workflows titles, headers and parameter values full
            of markup, control characters and very long text.

    Returns:
        The workflows, index ``i`` at position ``i``.

    Example:
        >>> wfs = make_workflows(random.Random(1), 3, start_us=0, org_id="o_1")
        >>> [w.index for w in wfs], len({w.title for w in wfs}), wfs[0].wpid[:5]
        ([0, 1, 2], 3, 'wpid_')
    """
    titles = list(vocab.TITLES)
    prng.shuffle(titles)
    weights = [1.0 / (i + 1) ** 0.8 for i in range(n)]
    prng.shuffle(weights)
    out = []
    for i in range(n):
        title = titles[i % len(titles)]
        if i >= len(titles):
            title = f"{title} ({i // len(titles) + 1})"
        wf = _make_workflow(prng, i, title, weights[i], start_us=start_us, org_id=org_id)
        if hostile:
            _make_hostile(wf, prng)
        _fill_parameter_values(wf, prng, hostile)
        _fill_search_text(wf)
        out.append(wf)
    return out


def _make_workflow(prng: random.Random, i: int, title: str, weight: float, *, start_us: int,
                   org_id: str) -> Workflow:
    """Workflow ``i``; every draw from ``prng`` happens in a fixed order."""
    slug = "-".join(title.lower().replace("(", "").replace(")", "").split()[:3])
    wpid = f"wpid_{_digits(prng, _ID_BASE + 2 * 10**10 + i * 10**9)}"
    versions = _versions(prng, i, start_us)
    categories = prng.sample(sorted(vocab.FAILURES), k=prng.randint(2, 4))
    scheduled = i % 4 == 2
    schedule = None
    if scheduled:
        period = _SCHEDULES[(i // 4) % len(_SCHEDULES)]
        schedule = (period * US, prng.randrange(period // 60) * 60 * US)
    secret = "".join(prng.choice("0123456789abcdef") for _ in range(24))
    headers, webhook, totp_url, totp_id = _endpoints(i, slug, secret)
    code_share = 0.7 if i % 4 == 0 else 0.05
    params = _params(prng)
    if i % 7 == 5:
        # A soft-deleted parameter: its key and description no longer match
        # search_key, but values stored on old runs still do.
        key, desc, _ = prng.choice(vocab.PARAMETERS)
        params += ((f"old_{key}", f"(deleted) {desc}", True),)
    profile = _profile(prng, i, start_us=start_us, categories=categories,
                       pause_rate=0.03 if totp_url else 0.004)
    ids = _settings(prng, i, scheduled=scheduled, code_share=code_share)
    return Workflow(
        index=i, wpid=wpid, title=title, organization_id=org_id, versions=versions,
        weight=weight, code_share=code_share, agent_share=0.6, triggers=_TRIGGERS,
        trigger_weights=(0.52, 0.2, 0.12, 0.08, 0.0 if not scheduled else 0.05,
                         0.006 if i % 3 != 2 else 0.0, 0.002 if i % 6 == 1 else 0.0),
        schedule=schedule, headers=headers, webhook_url=webhook, totp_url=totp_url,
        totp_identifier=totp_id, max_elapsed=_MAX_ELAPSED[i % len(_MAX_ELAPSED)],
        max_screenshot_scrolls=(None, None, 3, None, 5)[i % 5],
        sequential_key=f"{slug}-login" if i % 6 == 4 else None, params=params,
        **profile, **ids,
    )


def _versions(prng: random.Random, i: int, start_us: int) -> list[tuple[int, str]]:
    """(valid from, workflow_id) of each version, oldest first; some change mid-history."""
    n_versions = 1 + (i % 3 == 0) + (i % 5 == 0)
    versions = [(0, f"w_{_digits(prng, _ID_BASE + i * 10**9)}")]
    for v in range(1, n_versions):
        since = start_us + prng.randrange(20 * 86_400) * US
        versions.append((since, f"w_{_digits(prng, _ID_BASE + 10**10 + i * 10**8 + v)}"))
    versions.sort()
    return versions


def _endpoints(i: int, slug: str, secret: str) -> tuple[dict[str, str] | None, str | None,
                                                        str | None, str | None]:
    """Extra headers, webhook URL, TOTP URL and identifier; some carry secrets, unmasked."""
    headers: dict[str, str] | None = None
    if i % 3 == 0:
        headers = {"Authorization": f"Bearer sk-live-{secret}", "X-Tenant": "acme-prod"}
    elif i % 5 == 1:
        headers = {"X-Tenant": "acme-staging", "X-Request-Source": "crm-sync"}
    webhook = None
    if i % 2 == 0:
        webhook = f"https://hooks.example.com/skyvern/{slug}"
        if i % 4 == 0:
            webhook += f"?token=whsec_{secret[:16]}"
    totp_url = totp_id = None
    if i % 5 == 3:
        totp_url = f"https://otp.example.com/totp?token=tok_{secret[8:]}&org=acme"
        totp_id = f"{slug}@acme.example"
    return headers, webhook, totp_url, totp_id


def _params(prng: random.Random) -> tuple[tuple[str, str, bool], ...]:
    """One to three live workflow parameters: (key, description, not deleted)."""
    return tuple((key, desc, False)
                 for key, desc, _ in prng.sample(vocab.PARAMETERS, k=prng.randint(1, 3)))


def _profile(prng: random.Random, i: int, *, start_us: int, categories: list[str],
             pause_rate: float) -> dict[str, Any]:
    """Creation date and the distributions the workflow's runs are drawn from."""
    return {
        "created_us": start_us - prng.randrange(30, 400) * 86_400 * US
        - prng.randrange(86_400 * US),
        "q_median": math.exp(prng.uniform(math.log(1.5), math.log(60))),
        "q_sigma": prng.uniform(0.6, 1.0),
        "dur_median": math.exp(prng.uniform(math.log(45), math.log(600))),
        "dur_sigma": prng.uniform(0.35, 0.7),
        "fail_rate": _FAIL_RATES[i % len(_FAIL_RATES)],
        "timeout_rate": prng.uniform(0.005, 0.03),
        "cancel_rate": prng.uniform(0.005, 0.025),
        "terminate_rate": prng.uniform(0.002, 0.01),
        "pause_rate": pause_rate,
        "categories": tuple(categories),
        "category_weights": tuple(sorted((prng.uniform(0.2, 1.0) for _ in categories),
                                         reverse=True)),
        "max_attempts": prng.choice((2, 3)) if i % 3 == 1 else 1,
        "retry_prob": 0.6,
    }


def _settings(prng: random.Random, i: int, *, scheduled: bool,
              code_share: float) -> dict[str, Any]:
    """Schedule and script ids, default proxy and target site."""
    coded = code_share > 0.5
    return {
        "schedule_id": f"wfs_{_digits(prng, _ID_BASE + 3 * 10**10 + i * 10**9)}" if scheduled
        else None,
        "proxy_default": prng.choice(("RESIDENTIAL", "RESIDENTIAL", "RESIDENTIAL_ISP",
                                      "US-CA", "US-NY", "RESIDENTIAL_GB", "NONE")),
        "script_id": f"s_{_digits(prng, _ID_BASE + 4 * 10**10 + i * 10**9)}" if coded
        else None,
        "script_revision_id": f"sr_{_digits(prng, _ID_BASE + 5 * 10**10 + i * 10**9)}"
        if coded else None,
        "site": prng.choice(vocab.SITES),
    }


def _make_hostile(wf: Workflow, prng: random.Random) -> None:
    """Put hostile text into a share of the workflow-level fields."""
    hostile = vocab.HOSTILE
    if wf.index % 3 == 1:
        extra = hostile[wf.index % len(hostile)]
        if len(extra) > 200 and wf.index % 2:
            extra = "<script>alert(1)</script>"
        wf.title = f"{wf.title} {extra}"
    if wf.index % 4 == 1:
        wf.headers = dict(wf.headers or {})
        wf.headers["X-Note"] = hostile[(wf.index + 3) % len(hostile)]
        wf.headers["X-Script"] = "<script>alert(1)</script>"


def _fill_parameter_values(wf: Workflow, prng: random.Random, hostile: bool) -> None:
    """A small pool of parameter-value tuples that the workflow's runs reuse."""
    for j in range(12):
        values = []
        for key, _desc, _deleted in wf.params:
            templates = next(t for k, _, t in vocab.PARAMETERS if key.endswith(k))
            n = prng.randrange(1, 100_000)
            values.append(prng.choice(templates).format(n=n, m=n % 12 + 1))
        if hostile and j == 0:
            values[0] = prng.choice(vocab.HOSTILE)
        wf.param_values.append(tuple(values))


def _fill_search_text(wf: Workflow) -> None:
    live = [f"{k}\x00{d}" for k, d, deleted in wf.params if not deleted]
    wf.hay = "\x00".join([wf.title, wf.wpid, wf.webhook_url or "", *live]).lower()
    wf.headers_hay = orjson.dumps(wf.headers).decode().lower() if wf.headers else ""
    wf.param_hays = ["\x00".join(v).lower() for v in wf.param_values]


def workflow_object(wf: Workflow) -> dict[str, object]:
    """The workflow as ``GET /v1/workflows`` lists it (latest version).

    Args:
        wf: the workflow.

    Returns:
        A JSON-ready dict: ids, title, version, definition parameters, settings,
        created_at/modified_at as naive UTC datetimes.

    Example:
        >>> wf = make_workflows(random.Random(1), 1, start_us=0, org_id="o_1")[0]
        >>> obj = workflow_object(wf)
        >>> obj["title"] == wf.title, obj["version"] == len(wf.versions), obj["deleted_at"]
        (True, True, None)
    """
    since, wid = wf.versions[-1]
    created = wf.created_us
    return {
        "workflow_id": wid,
        "organization_id": wf.organization_id,
        "title": wf.title,
        "workflow_permanent_id": wf.wpid,
        "version": len(wf.versions),
        "is_saved_task": False,
        "description": f"Automates: {wf.title}",
        "workflow_definition": {
            "parameters": [
                {"parameter_type": "workflow", "key": key, "description": desc,
                 "workflow_parameter_type": "string", "default_value": None}
                for key, desc, deleted in wf.params if not deleted
            ],
            "blocks": [],
        },
        "proxy_location": wf.proxy_default,
        "webhook_callback_url": wf.webhook_url,
        "totp_verification_url": wf.totp_url,
        "totp_identifier": wf.totp_identifier,
        "persist_browser_session": False,
        "model": None,
        "status": "published",
        "max_screenshot_scrolls": wf.max_screenshot_scrolls,
        "extra_http_headers": wf.headers,
        "run_with": "code" if wf.code_share > 0.5 else None,
        "ai_fallback": True if wf.code_share > 0.5 else None,
        "cache_key": "default",
        "run_sequentially": wf.sequential_key is not None,
        "sequential_key": wf.sequential_key,
        "folder_id": None,
        "created_at": from_us(created),
        "modified_at": from_us(max(created, since)),
        "deleted_at": None,
    }


def workflow_objects(workflows: Iterable[Workflow]) -> list[dict[str, object]]:
    """The workflows as ``GET /v1/workflows`` lists them: newest first.

    Example:
        >>> wfs = make_workflows(random.Random(1), 3, start_us=0, org_id="o_1")
        >>> objs = workflow_objects(wfs)
        >>> [o["created_at"] for o in objs] == sorted((o["created_at"] for o in objs), reverse=True)
        True
    """
    return [workflow_object(w) for w in sorted(workflows, key=lambda w: -w.created_us)]
