"""runlytics.notify against a real HTTP receiver on 127.0.0.1: bodies, state, retries, secrets."""

from __future__ import annotations

import json
import logging
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from runlytics.client import RetryPolicy
from runlytics.errors import NotifyError, UsageError
from runlytics.notify import notify, parse_target, render_text

FAST = RetryPolicy(max_attempts=3, base_seconds=0.001, cap_seconds=0.002,
                   max_total_wait_seconds=1.0)
TOKEN = "T000/B000/s3cretTOKEN"
HOSTILE = "<!channel> <https://evil|click> @here [x](https://evil) <at>ops</at>"


def summary(breached=True, title=HOSTILE):
    return {
        "period": {"start": "2026-01-08T00:00:00+00:00", "end": "2026-01-15T00:00:00+00:00"},
        "runs": 40, "success_rate": 0.8, "success_rate_n": 40, "failed_runs": 8,
        "stuck_runs": 0, "queue_seconds": {"p50": 10.0, "p90": 150.0, "n": 40},
        "duration_seconds": {"p50": 60.0, "p90": 90.0, "n": 39},
        "thresholds": [{"expr": "success_rate<0.9", "key": "success_rate", "op": "<",
                        "threshold": 0.9, "value": 0.8, "breached": breached}],
        "changes": [{"workflow_permanent_id": "wpid_a", "workflow_title": title,
                     "metric": "success_rate", "previous": 0.95, "current": 0.6,
                     "p_value": 0.001, "significant": breached, "n_previous": 40,
                     "n_current": 40}],
    }


class Receiver:
    """Answers each POST with the next scripted (status, headers), then 200."""

    def __init__(self):
        self.bodies, self.script = [], []
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802
                length = int(self.headers["content-length"])
                owner.bodies.append(json.loads(self.rfile.read(length)))
                status, headers = owner.script.pop(0) if owner.script else (200, {})
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("content-length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/services/{TOKEN}"
        threading.Thread(target=self.server.serve_forever, args=(0.01,), daemon=True).start()


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.server.shutdown()
    r.server.server_close()


def send(receiver, kind, data, **kw):
    kw.setdefault("retry", FAST)
    return notify(data, [parse_target(f"{kind}:{receiver.url}")], **kw)


def test_slack_body_is_block_kit_and_hostile_text_is_neutralised(receiver):
    [result] = send(receiver, "slack", summary(), report_url="https://r.example/x.html")
    assert (result.action, result.status_code) == ("sent", 200)
    body = receiver.bodies[0]
    assert isinstance(body["text"], str) and body["text"]
    assert [b["type"] for b in body["blocks"]] == ["header", "section", "section", "context"]
    header = body["blocks"][0]["text"]
    assert header["type"] == "plain_text" and len(header["text"]) <= 150
    assert header["text"] == "runlytics: 1 threshold broke, 1 significant change"
    for block in body["blocks"][1:3]:
        assert block["text"]["type"] == "mrkdwn" and len(block["text"]["text"]) <= 3000
    raw = json.dumps(body)
    for bad in ("<!channel>", "<https://evil", "@here", "<at>"):
        assert bad not in raw
    items = body["blocks"][2]["text"]["text"]
    assert items == ("• success_rate &lt; 0.9: 0.8\n• &lt;!channel&gt; &lt;https://evil|click&gt;"
                     " @\u200bhere [x](https://evil) &lt;at&gt;ops&lt;/at&gt;: success_rate "
                     "0.95 → 0.6 (n=40/40, p=0.001)")
    assert body["blocks"][3]["elements"] == [
        {"type": "mrkdwn", "text": "<https://r.example/x.html|Open the report>"}]
    assert render_text(body).splitlines()[:3] == [
        "runlytics: 1 threshold broke, 1 significant change",
        "*2026-01-08 00:00 – 2026-01-15 00:00 UTC*",
        "40 runs · success 80.0% (n=40) · 8 failed · queue p90 2.5 min (n=40) · "
        "duration p90 1.5 min (n=39) · 0 stuck"]


def test_teams_body_is_a_workflows_adaptive_card_without_links_or_mentions(receiver):
    send(receiver, "teams", summary(), report_url="https://r.example/x.html")
    body = receiver.bodies[0]
    assert body["type"] == "message"
    [attachment] = body["attachments"]
    assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    card = attachment["content"]
    assert (card["type"], card["version"]) == ("AdaptiveCard", "1.4")
    assert all("type" in element for element in card["body"])
    assert card["body"][0] == {"type": "TextBlock", "text": "runlytics: 1 threshold broke, "
                               "1 significant change", "weight": "Bolder", "size": "Medium",
                               "wrap": True, "style": "heading"}
    runs = [r for block in card["body"][1:] for r in block["inlines"]]
    assert all(r["type"] == "TextRun" for r in runs)
    hostile = runs[-1]["text"]
    assert "](" not in hostile and "<at>" not in hostile and "@here" not in hostile
    assert hostile.replace("\u200b", "") == ("• " + HOSTILE + ": success_rate 0.95 → 0.6 "
                                             "(n=40/40, p=0.001)")
    assert card["actions"] == [{"type": "Action.OpenUrl", "title": "Open the report",
                                "url": "https://r.example/x.html"}]


def test_json_body_holds_the_summary_and_the_alert(receiver):
    data = summary()
    send(receiver, "json", data)
    body = receiver.bodies[0]
    assert body["summary"] == data
    assert body["alert"]["state"] == "breach"
    assert body["alert"]["key"] == "change:wpid_a:success_rate|threshold:success_rate<0.9"
    assert body["alert"]["breaches"] == ["success_rate < 0.9: 0.8"]


def test_the_same_breach_is_suppressed_then_resolved_once(receiver, tmp_path):
    state = tmp_path / "alerts.json"
    kw = {"state_path": str(state), "renotify_after": "6h"}
    actions = [send(receiver, "slack", summary(), now="2026-01-15T10:00", **kw)[0].action,
               send(receiver, "slack", summary(), now="2026-01-15T12:00", **kw)[0].action,
               send(receiver, "slack", summary(), now="2026-01-15T16:30", **kw)[0].action,
               send(receiver, "slack", summary(False), now="2026-01-15T17:00", **kw)[0].action,
               send(receiver, "slack", summary(False), now="2026-01-15T18:00", **kw)[0].action]
    assert actions == ["sent", "suppressed", "sent", "resolved", "quiet"]
    assert len(receiver.bodies) == 3
    assert receiver.bodies[2]["blocks"][0]["text"]["text"] == \
        "runlytics: resolved, nothing is broken now"
    assert TOKEN not in state.read_text() and "127.0.0.1" not in state.read_text()
    assert json.loads(state.read_text()) == {"version": 1, "targets": {}}


def test_on_change_posts_only_a_different_breach_and_always_posts_every_time(receiver, tmp_path):
    kw = {"state_path": str(tmp_path / "s.json"), "on": "change"}
    first = send(receiver, "json", summary(), now="2026-01-15T10:00", **kw)[0].action
    later = send(receiver, "json", summary(), now="2026-01-16T10:00", **kw)[0].action
    assert (first, later) == ("sent", "suppressed")
    quiet = summary(False)
    assert [send(receiver, "json", quiet, on="always")[0].action for _ in range(2)] == \
        ["sent", "sent"]
    assert receiver.bodies[-1]["alert"]["state"] == "ok"


def test_retries_on_429_with_retry_after_and_on_503_then_succeeds(receiver, monkeypatch):
    waits = []
    monkeypatch.setattr("runlytics.notify.deliver.time.sleep", waits.append)
    receiver.script = [(429, {"Retry-After": "7"}), (503, {})]
    [result] = send(receiver, "slack", summary(), retry=RetryPolicy(
        max_attempts=3, base_seconds=0.001, cap_seconds=0.002, max_total_wait_seconds=60))
    assert (result.action, result.status_code) == ("sent", 200)
    assert len(receiver.bodies) == 3
    assert waits[0] == 7.0 and 0 <= waits[1] <= 0.002


def test_retry_after_is_capped(receiver, monkeypatch):
    waits = []
    monkeypatch.setattr("runlytics.notify.deliver.time.sleep", waits.append)
    receiver.script = [(429, {"Retry-After": "3600"})]
    send(receiver, "json", summary(), retry=RetryPolicy(max_attempts=2, base_seconds=0.001,
                                                        max_total_wait_seconds=100))
    assert waits == [30.0]


def test_exhausted_retries_raise_notify_error_without_the_url(receiver, tmp_path, caplog):
    caplog.set_level(logging.DEBUG)
    receiver.script = [(503, {})] * 3
    state = tmp_path / "s.json"
    with pytest.raises(NotifyError) as caught:
        send(receiver, "teams", summary(), state_path=str(state))
    text = str(caught.value)
    assert text.startswith(f"teams:127.0.0.1:{receiver.server.server_port}/…: could not "
                           "deliver the alert after 3 attempts (HTTP 503")
    [result] = caught.value.results
    assert result.action == "failed"
    for shown in (text, repr(result), str(result), caplog.text, state.read_text()):
        assert TOKEN not in shown and receiver.url not in shown
    assert json.loads(state.read_text())["targets"] == {}  # not delivered: tried again next time


def test_a_refused_alert_fails_at_once_and_a_dead_receiver_is_a_connection_error(receiver):
    receiver.script = [(404, {})]
    with pytest.raises(NotifyError, match=r"refused the alert \(HTTP 404: ok\)"):
        send(receiver, "slack", summary())
    assert len(receiver.bodies) == 1
    dead = receiver.url.replace(str(receiver.server.server_port), "9")
    with pytest.raises(NotifyError, match=r"after 3 attempts \(connection failed") as caught:
        notify(summary(), [parse_target(f"json:{dead}")], retry=FAST)
    assert TOKEN not in str(caught.value)


def test_targets_show_kind_and_host_only_and_the_url_policy_applies():
    target = parse_target(f"https://hooks.slack.com/services/{TOKEN}")
    assert (target.kind, str(target), repr(target)) == (
        "slack", "slack:hooks.slack.com/…", "Target('slack:hooks.slack.com/…')")
    for text, message in [
        (f"slack:http://example.com/{TOKEN}", "plain http to another host"),
        (f"teams:ftp://example.com/{TOKEN}", "must be an https:// URL"),
        (f"https://example.com/{TOKEN}", "has no kind"),
    ]:
        with pytest.raises(UsageError, match=message) as caught:
            parse_target(text)
        assert TOKEN not in str(caught.value)
    assert parse_target("json:http://[::1]:8080/hook").kind == "json"
    assert parse_target("teams:http://localhost/hook").kind == "teams"


def test_a_corrupt_state_file_is_an_error_not_a_fresh_start(receiver, tmp_path):
    from runlytics.errors import StoreError

    state = tmp_path / "s.json"
    state.write_text("{half")
    with pytest.raises(StoreError, match="is not a runlytics alert state file"):
        send(receiver, "slack", summary(), state_path=str(state))
    assert receiver.bodies == []


def test_two_reports_sharing_one_state_file_post_the_breach_once(receiver, tmp_path):
    state = str(tmp_path / "shared.json")
    results = []
    threads = [threading.Thread(target=lambda: results.append(
        send(receiver, "json", summary(), state_path=state, now="2026-01-15T10:00")[0].action))
        for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == ["sent", "suppressed", "suppressed", "suppressed"]
    assert len(receiver.bodies) == 1
    assert list(json.loads((tmp_path / "shared.json").read_text())["targets"].values()) == [
        {"key": "change:wpid_a:success_rate|threshold:success_rate<0.9",
         "sent_at": "2026-01-15T10:00:00+00:00"}]


def test_an_organisation_wide_change_is_named_so():
    from runlytics.notify import build_alert
    from runlytics.notify.slack import render_text, slack_body

    data = summary(breached=False)
    data["changes"] = [{"workflow_permanent_id": None, "workflow_title": None,
                        "metric": "runs", "previous": 10, "current": 40, "p_value": 0.001,
                        "significant": True, "n_previous": 10, "n_current": 40}]
    text = render_text(slack_body(build_alert(data, state="breach")))
    assert "Whole organisation: runs 10 → 40 (n=10/40, p=0.001)" in text
