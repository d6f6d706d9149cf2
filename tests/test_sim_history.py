"""The seeded history (``runlytics.sim.history``, ``planner``, ``attempts``, ``workflows``).

Its shape is checked against what the real server sends (``skyvern-api.md``).
"""

from __future__ import annotations

import collections
from datetime import datetime, timedelta
from typing import Any

import httpx
from sim_support import KEY, NOW, fetch_all, ids

from runlytics.simulator import Simulator, serve

pytest_plugins = ["sim_fixtures"]


def test_the_same_seed_and_now_give_the_same_history(sim):
    again = Simulator(n_runs=1200, n_workflows=12, seed=7, now=NOW)
    other = Simulator(n_runs=1200, n_workflows=12, seed=8, now=NOW)
    assert again.runs() == sim.runs()
    assert again.workflows() == sim.workflows()
    assert ids(other.runs()) != ids(sim.runs())


def test_history_covers_what_the_real_server_sends(history):
    runs = history

    def count(pred: Any) -> int:
        return sum(1 for r in runs if pred(r))

    statuses = collections.Counter(r["status"] for r in runs)
    assert set(statuses) == {"created", "queued", "running", "paused", "completed", "failed",
                             "timed_out", "canceled", "terminated"}
    assert statuses["completed"] + statuses["failed"] > 0.85 * len(runs)
    assert {r["status"] for r in runs[:8]} >= {"created", "queued", "running", "paused"}
    triggers = {r["trigger_type"] for r in runs}
    assert triggers >= {"manual", "api", "scheduled", "webhook", "mcp", "job_recipe_extract",
                        None}
    assert all(r["trigger_type"] is None for r in runs[-len(runs) // 20:])
    assert {r["run_with"] for r in runs} == {"agent", "code", None}
    proxies = [r["proxy_location"] for r in runs]
    assert {"country": "US", "subdivision": "CA", "city": None} in proxies
    assert count(lambda r: isinstance(r["proxy_location"], dict)
                 and r["proxy_location"].get("url", "").startswith("http://user:pass@")) > 0
    assert count(lambda r: isinstance(r["proxy_location"], str)) > len(runs) / 2
    assert count(lambda r: (r["extra_http_headers"] or {}).get("Authorization", "")
                 .startswith("Bearer sk-live-")) > 0
    assert count(lambda r: "?token=" in (r["webhook_callback_url"] or "")) > 0
    assert count(lambda r: "token=" in (r["totp_verification_url"] or "")) > 0
    assert all((r["script_run"] is not None) <= (r["run_with"] == "code") for r in runs)
    assert count(lambda r: r["script_run"] is not None) > 0
    assert all((r["workflow_schedule_id"] is not None) == (r["trigger_type"] == "scheduled")
               for r in runs)
    assert count(lambda r: r["retried_from_workflow_run_id"] is not None) > 0
    assert count(lambda r: r["attempt"] > 1) > 0
    assert all(isinstance(r["credits_used"], int) for r in runs)
    categories = [r["failure_category"] for r in runs if r["failure_category"]]
    assert {len(c) for c in categories} == {1, 2, 3}
    for entries in categories:
        confidences = [e["confidence_float"] for e in entries]
        assert confidences == sorted(confidences, reverse=True)
    keys = {tuple(e) for c in categories for e in c}
    assert ("category", "confidence_float", "reasoning", "reason_code", "evidence_source") in keys
    assert ("category", "confidence_float", "reasoning") in keys


def test_history_has_the_nulls_and_oddities_of_the_real_server(history):
    runs = history
    oldest = runs[-150:]
    assert all(r["queued_at"] is r["started_at"] is r["finished_at"] is None for r in oldest)
    skewed = [r for r in runs if r["queued_at"] and r["started_at"]
              and r["queued_at"] > r["started_at"]]
    assert skewed
    for r in skewed:
        gap = datetime.fromisoformat(r["queued_at"]) - datetime.fromisoformat(r["started_at"])
        assert gap <= timedelta(milliseconds=300)
    assert any(r["status"] == "canceled" and r["finished_at"] and not r["started_at"]
               for r in runs)
    swept = [r for r in runs
             if r["status"] == "timed_out" and r["started_at"] and not r["finished_at"]]
    assert 1 <= len(swept) <= 3
    stuck = [r for r in runs if r["status"] in ("queued", "running")
             and datetime.fromisoformat(r["created_at"]) < NOW.replace(tzinfo=None)
             - timedelta(hours=2)]
    assert stuck
    for r in runs:
        stamps = [datetime.fromisoformat(r[k]) for k in ("created_at", "modified_at")]
        assert stamps[0] <= stamps[1] <= NOW.replace(tzinfo=None) + timedelta(seconds=1)
        if r["started_at"] and r["finished_at"]:
            assert r["started_at"] <= r["finished_at"]


def test_workflows_differ_in_speed_and_failure_rate(history):
    runs = history
    by_title: dict[str, list[dict[str, Any]]] = collections.defaultdict(list)
    for r in runs:
        by_title[r["workflow_title"]].append(r)
    assert len(by_title) == 12
    rates = [sum(r["status"] == "failed" for r in rs) / len(rs) for rs in by_title.values()]
    assert min(rates) < 0.05 < 0.2 < max(rates)
    medians = []
    for rs in by_title.values():
        durations = sorted((datetime.fromisoformat(r["finished_at"])
                            - datetime.fromisoformat(r["started_at"])).total_seconds()
                           for r in rs if r["status"] == "completed" and r["started_at"])
        medians.append(durations[len(durations) // 2])
    assert min(medians) < 120 and max(medians) > 200
    assert all(30 <= m <= 1800 for m in medians)


HOSTILE_MARKERS = ("<script>alert(1)</script>", "&amp;", "\u202e", "\x00", "\x07", '"', "\\")


def test_hostile_text_survives_json_and_http():
    sim = Simulator(n_runs=2000, seed=1, now=NOW, hostile=True)
    with serve(sim) as url, httpx.Client(base_url=url, headers=KEY) as c:
        runs = fetch_all(c)
    assert runs == sim.runs()
    families = {
        "title": {r["workflow_title"] for r in runs},
        "failure_reason": {r["failure_reason"] for r in runs if r["failure_reason"]},
        "header value": {v for r in runs for v in (r["extra_http_headers"] or {}).values()},
        "reasoning": {e["reasoning"] for r in runs for e in r["failure_category"] or []},
    }
    for family, texts in families.items():
        assert any(m in t for t in texts for m in HOSTILE_MARKERS), family
    everything = "".join(t for texts in families.values() for t in texts)
    for marker in HOSTILE_MARKERS:
        assert marker in everything, marker
    assert max(len(t) for t in families["title"]) >= 10_000
    assert any(len(t) >= 10_000 for t in families["failure_reason"])


def test_ties_share_created_at_only_when_asked(sim):
    assert max(collections.Counter(r["created_at"] for r in sim.runs()).values()) == 1
    tied = Simulator(n_runs=2000, seed=3, now=NOW, tie_groups=4)
    sizes = sorted(collections.Counter(r["created_at"] for r in tied.runs()).values())
    assert len([s for s in sizes if s > 1]) == 4 and sizes[-1] >= 3
