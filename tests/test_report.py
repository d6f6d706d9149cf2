"""Reports: JSON figures equal the helpers', HTML/Markdown escape server text, --fail-on."""

from __future__ import annotations

import base64
import json
import warnings
from datetime import datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from conftest import make_run

from runlytics import UnknownValueWarning, analysis, runs_frame
from runlytics.cli import main
from runlytics.errors import UsageError
from runlytics.report import (
    assets_dir,
    build_report,
    check_threshold_keys,
    evaluate_thresholds,
    format_for_path,
    parse_threshold,
    write_report,
)
from runlytics.report.text import clean, fmt_change, md
from runlytics.store import write_parquet

HOSTILE_TITLE = '<script>alert("t")</script> \u202eevil|`code`*x*'
HOSTILE_REASON = "<img src=x onerror=alert(1)> & more | pipe `tick` \x1b[31mred"
HOSTILE_CATEGORY = "X<b>&amp;|`"
SECRETS = ("sk-secret-123", "supersecret", "hooks.example.com", "Bearer")
SINCE, UNTIL, NOW = "2026-01-08", "2026-01-15", "2026-01-15"
PNG = b"\x89PNG\r\n\x1a\n"


def _run(i: int, created: str, status: str, wf: str, title: str, *, q: float | None = None,
         s: float | None = None, f: float | None = None, trigger: str | None = "api",
         category: str | None = None, reason: str | None = None) -> dict[str, Any]:
    c = datetime.fromisoformat(created)

    def at(seconds: float | None) -> str | None:
        return None if seconds is None else (c + timedelta(seconds=seconds)).isoformat()

    return make_run(
        workflow_run_id=f"wr_{i:03d}", workflow_permanent_id=wf, workflow_title=title,
        status=status, created_at=c.isoformat(), modified_at=at(f or s or q or 0),
        queued_at=at(q), started_at=at(s), finished_at=at(f), trigger_type=trigger,
        failure_category=([{"category": category, "confidence_float": 0.9, "reasoning": "r"}]
                          if category else None),
        failure_reason=reason,
        extra_http_headers={"Authorization": "Bearer sk-secret-123"},
        webhook_callback_url="https://hooks.example.com/cb?token=supersecret")


def known_runs() -> list[dict[str, Any]]:
    """3 runs in the week before SINCE, 8 in [SINCE, UNTIL), hostile text in 3 of them."""
    return [
        _run(1, "2026-01-02T10:00:00", "completed", "wpid_a", "Alpha", q=2, s=10, f=70),
        _run(2, "2026-01-03T10:00:00", "failed", "wpid_a", "Alpha", q=1, s=5, f=20,
             trigger="manual", category="NAVIGATION_FAILURE", reason="nav"),
        _run(3, "2026-01-05T10:00:00", "completed", "wpid_b", "Beta", q=1, s=3, f=33,
             trigger="scheduled"),
        _run(4, "2026-01-08T09:00:00", "completed", "wpid_a", "Alpha", q=1, s=5, f=65),
        _run(5, "2026-01-09T09:00:00", "completed", "wpid_a", "Alpha", q=1, s=125, f=400),
        _run(6, "2026-01-10T09:00:00", "failed", "wpid_h", HOSTILE_TITLE, q=1, s=4, f=34,
             trigger=None, category="PROXY_ERROR", reason=HOSTILE_REASON),
        _run(7, "2026-01-11T09:00:00", "timed_out", "wpid_h", HOSTILE_TITLE, q=1, s=2, f=3602,
             reason=HOSTILE_REASON),
        _run(8, "2026-01-12T09:00:00", "canceled", "wpid_b", "Beta", q=1, f=50, trigger="manual"),
        _run(9, "2026-01-13T09:00:00", "running", "wpid_b", "Beta", q=1, s=10,
             trigger="scheduled"),
        _run(10, "2026-01-14T23:00:00", "queued", "wpid_a", "Alpha", q=1, trigger="webhook"),
        _run(11, "2026-01-14T12:00:00", "failed", "wpid_b", "Beta", q=1, s=2, f=12,
             category=HOSTILE_CATEGORY, reason=HOSTILE_REASON),
    ]


@pytest.fixture(scope="module")
def runs() -> pd.DataFrame:
    with pytest.warns(UnknownValueWarning):  # the hostile category is not a known one
        return runs_frame([known_runs()])


@pytest.fixture(scope="module")
def report(runs: pd.DataFrame) -> Any:
    """The week [SINCE, UNTIL) of the known runs, compared with the week before."""
    return build_report(runs, since=SINCE, until=UNTIL, now=NOW, data_since="2026-01-01",
                        source="known runs <b>test</b>",
                        fail_on=["success_rate<0.5", "queue_seconds.p90>1000"])


@pytest.fixture(scope="module")
def html_text(report: Any, tmp_path_factory: pytest.TempPathFactory) -> str:
    path = write_report(report, tmp_path_factory.mktemp("html") / "report.html")
    return path.read_text(encoding="utf-8")


# -- JSON: the helpers' figures --------------------------------------------------------

def test_json_figures_equal_the_helpers(runs: pd.DataFrame, report: Any) -> None:
    created = runs["created_at"]
    start, end = pd.Timestamp(SINCE, tz="UTC"), pd.Timestamp(UNTIL, tz="UTC")
    current = runs[(created >= start) & (created < end)]
    previous = runs[(created >= start - (end - start)) & (created < start)]
    expected = analysis.summary(current, now=NOW)
    doc = json.loads(report.to_json())
    for key in ("now", "runs", "status", "trigger_types", "failed_runs", "failure_categories",
                "queue_seconds", "duration_seconds", "success_rate", "success_rate_n",
                "workflows"):
        assert doc[key] == expected[key], key
    assert doc["period"] == {"start": "2026-01-08T00:00:00+00:00",
                             "end": "2026-01-15T00:00:00+00:00"}
    assert doc["stuck_runs"] == len(analysis.stuck_runs(runs, now=NOW)) == 2
    prev = analysis.summary(previous, now=NOW)
    assert doc["previous"]["covered"] is True
    for key in ("runs", "success_rate", "success_rate_n", "failed_runs", "status",
                "queue_seconds", "duration_seconds"):
        assert doc["previous"][key] == prev[key], key
    trends = analysis.failure_trends(runs, period=end - start, now=end)
    assert [(t["category"], t["trend"], t["count"], t["count_previous"])
            for t in doc["failure_trends"]] == list(zip(
                trends["category"], trends["trend"], trends["count_latest"],
                trends["count_previous"], strict=True))


def test_json_required_keys_and_values(report: Any) -> None:
    doc = json.loads(report.to_json())
    assert doc["runs"] == 8 and isinstance(doc["runs"], int)
    assert doc["status"] == {"created": 0, "queued": 1, "running": 1, "paused": 0,
                             "completed": 2, "failed": 2, "terminated": 0, "canceled": 1,
                             "timed_out": 1}
    assert doc["trigger_types"] == {"manual": 1, "api": 4, "scheduled": 1, "webhook": 1,
                                    "mcp": 0, "job_recipe_extract": 0, "job_recipe_apply": 0,
                                    "unknown": 1}
    assert doc["failure_categories"] == {"PROXY_ERROR": 1, HOSTILE_CATEGORY: 1,
                                         "uncategorized": 1}
    assert doc["success_rate"] == 0.4 and doc["success_rate_n"] == 5
    assert doc["queue_seconds"]["n"] == 6 and doc["queue_seconds"]["max"] == 124.0
    assert set(doc["queue_seconds"]) >= {"n", "p50", "p90", "p99", "max"}
    assert doc["duration_seconds"]["p50"] == 60.0 and doc["duration_seconds"]["max"] == 3600.0
    assert [w["workflow_permanent_id"] for w in doc["workflows"]] == ["wpid_a", "wpid_b",
                                                                       "wpid_h"]
    assert doc["new_failure_categories"] == ["PROXY_ERROR", HOSTILE_CATEGORY, "uncategorized"]
    assert doc["thresholds"] == [
        {"expr": "success_rate<0.5", "key": "success_rate", "op": "<", "threshold": 0.5,
         "value": 0.4, "breached": True},
        {"expr": "queue_seconds.p90>1000", "key": "queue_seconds.p90", "op": ">",
         "threshold": 1000.0, "value": 66.5, "breached": False}]
    text = report.to_json()
    assert text.isascii()  # bidi and control characters are \u-escaped
    assert not any(secret in text for secret in SECRETS)


def test_previous_period_not_covered_is_null_not_zero(runs: pd.DataFrame) -> None:
    built = build_report(runs, since=SINCE, until=UNTIL, now=NOW)  # data starts Jan 2
    doc = built.summary
    assert doc["previous"]["covered"] is False
    assert doc["previous"]["runs"] is None and doc["previous"]["queue_seconds"]["p90"] is None
    assert "data starts at 2026-01-02T10:00:00+00:00" in doc["previous"]["note"]
    assert doc["failure_trends"] == [] and doc["new_failure_categories"] == []
    assert built.failures["trend"].isna().all()


def test_period_defaults_to_the_span_of_the_data(runs: pd.DataFrame) -> None:
    built = build_report(runs, now=NOW)
    assert built.summary["runs"] == len(runs) == 11
    assert built.summary["period"] == {"start": "2026-01-02T10:00:00+00:00",
                                       "end": "2026-01-14T23:00:00.000001+00:00"}
    assert built.period_from_data and not built.previous_covered


def test_since_as_a_span_counts_back_from_now(runs: pd.DataFrame) -> None:
    built = build_report(runs, since="7d", now=NOW)
    assert built.summary["period"] == {"start": "2026-01-08T00:00:00+00:00",
                                       "end": "2026-01-15T00:00:00+00:00"}


@pytest.mark.parametrize("kwargs", [{"tz": "Mars/Olympus"}, {"since": "soon"},
                                    {"since": UNTIL, "until": SINCE},
                                    {"fail_on": ["success_rate <> 1"]},
                                    {"fail_on": ["nope>1"]}])
def test_bad_arguments_are_usage_errors(runs: pd.DataFrame, kwargs: dict[str, Any]) -> None:
    with pytest.raises(UsageError):
        build_report(runs, now=NOW, **kwargs)


def test_empty_frame_gives_a_report(tmp_path: Path) -> None:
    from runlytics import empty_frame

    built = build_report(empty_frame(), since="7d", now=NOW)
    assert built.summary["runs"] == 0 and built.summary["success_rate"] is None
    html = write_report(built, tmp_path / "empty.html").read_text()
    assert html.count("data:image/png;base64,") == 6


# -- HTML ------------------------------------------------------------------------------

class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def _parse(html: str) -> _Collector:
    parser = _Collector()
    parser.feed(html)
    parser.close()
    return parser


def test_html_is_self_contained_and_embeds_every_plot(html_text: str) -> None:
    parsed = _parse(html_text)
    images = [attrs for tag, attrs in parsed.tags if tag == "img"]
    assert len(images) == 6
    for attrs in images:
        src = attrs["src"] or ""
        assert src.startswith("data:image/png;base64,")
        assert base64.b64decode(src.split(",", 1)[1]).startswith(PNG)
        assert attrs["alt"]
    tags = {tag for tag, _ in parsed.tags}
    assert not tags & {"script", "iframe", "object", "embed", "link", "base", "form"}
    for _, attrs in parsed.tags:
        assert not any(name.startswith("on") for name in attrs)
        for name in ("src", "href"):
            assert (attrs.get(name) or "data:").startswith("data:")
    assert "<script" not in html_text.lower()


def test_html_shows_server_text_as_text(html_text: str) -> None:
    parsed = _parse(html_text)
    shown = "".join(parsed.text)
    # Escaped in the source, so the browser shows the markup as characters.
    assert "&lt;script&gt;alert(&quot;t&quot;)&lt;/script&gt;" in html_text
    assert '<script>alert("t")</script>' in shown
    assert "&lt;img src=x onerror=alert(1)&gt; &amp; more" in html_text
    assert "<img src=x onerror=alert(1)> & more" in shown
    assert "X&lt;b&gt;&amp;amp;|`" in html_text
    assert "known runs &lt;b&gt;test&lt;/b&gt;" in html_text
    # Bidi overrides and control characters are neutralised.
    assert "\u202e" not in html_text and "\x1b" not in html_text
    assert "\ufffdevil" in shown and "\ufffd[31mred" in shown
    assert not any(secret in html_text for secret in SECRETS)


def test_html_has_the_sections(html_text: str) -> None:
    shown = "".join(_parse(html_text).text)
    for text in ("Success rate", "40.0%", "n = 5 finished runs", "Workflows", "Failures",
                 "Stuck runs", "How the data was fetched", "1 of 2 thresholds broke",
                 "Compared with the previous 7 d", "2026-01-08 00:00 → 2026-01-15 00:00 (UTC)",
                 "wr_010", "new"):
        assert text in shown, text


def test_html_in_another_time_zone(runs: pd.DataFrame, tmp_path: Path) -> None:
    built = build_report(runs, since=SINCE, until=UNTIL, now=NOW, tz="Asia/Tokyo")
    html = write_report(built, tmp_path / "tokyo.html").read_text()
    assert "2026-01-08 09:00 → 2026-01-15 09:00 (Asia/Tokyo)" in html
    assert built.summary["tz"] == "Asia/Tokyo"
    assert built.summary["period"]["start"] == "2026-01-08T00:00:00+00:00"


# -- Markdown ------------------------------------------------------------------------------

def test_markdown_with_images_beside_it(report: Any, tmp_path: Path) -> None:
    path = write_report(report, tmp_path / "weekly report.md")
    text = path.read_text(encoding="utf-8")
    folder = assets_dir(path)
    assert folder == tmp_path / "weekly report_files"
    pngs = sorted(p.name for p in folder.iterdir())
    assert pngs == ["concurrency.png", "duration_by_workflow.png", "failure_categories.png",
                    "queue_latency.png", "success_volume.png", "trigger_mix.png"]
    assert all((folder / name).read_bytes().startswith(PNG) for name in pngs)
    for name in pngs:
        assert f"](weekly%20report_files/{name})" in text
    assert "<script" not in text.lower() and "<img" not in text
    assert "&lt;script&gt;alert(\"t\")&lt;/script&gt;" in text
    assert "evil\\|\\`code\\`\\*x\\*" in text  # no new column, no code span, no emphasis
    assert "&lt;img src=x onerror=alert(1)&gt; &amp; more \\| pipe \\`tick\\`" in text
    assert "\u202e" not in text and "\x1b" not in text
    assert not any(secret in text for secret in SECRETS)
    # Wilson 95% for 2 of 5, by hand: centre 0.4434, half-width 0.3258.
    assert ("| Success rate | 40.0% | 66.7% | ▼ -26.7 pp (worse) | completed / finished, "
            "n = 5 finished runs; 95% CI 11.8% – 76.9% (Wilson) |") in text


def test_text_escaping_helpers() -> None:
    assert clean("a\x00b\u202ec\u2066d\ne\tf") == "a\ufffdb\ufffdc\ufffdd e f"
    assert clean("x" * 500, 10) == "x" * 9 + "…"
    assert md("<b>|`*_[x](y)#~\\&") == "&lt;b&gt;\\|\\`\\*\\_\\[x\\](y)\\#\\~\\\\&amp;"
    assert fmt_change("rate", 0.9, 0.8) == ("▲ +10.0 pp", "better")
    assert fmt_change("latency", 130, 100) == ("▲ +30%", "worse")
    assert fmt_change("latency", 100, 100.5) == ("≈ same", "same")
    assert fmt_change("count", 90, 100) == ("▼ -10%", "neutral")
    assert fmt_change("count", 1, None) == ("no comparison", "none")


# -- writing -------------------------------------------------------------------------------

def test_format_for_path_and_bad_format(report: Any, tmp_path: Path) -> None:
    assert [format_for_path(p) for p in ("a.html", "a.HTM", "a.md", "a.json", "a.txt")] == [
        "html", "html", "md", "json", "html"]
    with pytest.raises(UsageError):
        write_report(report, tmp_path / "x.pdf", "pdf")
    out = write_report(report, tmp_path / "deep" / "er" / "summary.json")
    assert json.loads(out.read_text())["runs"] == 8
    assert [p.name for p in out.parent.iterdir()] == ["summary.json"]  # no temp file left


# -- thresholds ------------------------------------------------------------------------------

@pytest.mark.parametrize("expr, key, op, number", [
    ("queue_seconds.p90>120", ("queue_seconds", "p90"), ">", 120.0),
    (" success_rate < 0.9 ", ("success_rate",), "<", 0.9),
    ("stuck_runs>=1", ("stuck_runs",), ">=", 1.0),
    ("success_rate<90%", ("success_rate",), "<", 0.9),
    ("failure_categories.PROXY_ERROR!=-1e2", ("failure_categories", "PROXY_ERROR"), "!=",
     -100.0),
    ("runs==0", ("runs",), "==", 0.0),
])
def test_parse_threshold(expr: str, key: tuple[str, ...], op: str, number: float) -> None:
    parsed = parse_threshold(expr)
    assert (parsed.key, parsed.op, parsed.number) == (key, op, number)


@pytest.mark.parametrize("expr", ["", "success_rate", "success_rate<", "<0.9", "rate=0.9",
                                  "success_rate<<1", "success_rate<abc", "a..b>1",
                                  "success_rate<inf", "1<success_rate"])
def test_parse_threshold_rejects(expr: str) -> None:
    with pytest.raises(UsageError, match="expected KEY OP NUMBER"):
        parse_threshold(expr)


def test_evaluate_thresholds() -> None:
    summary = {"runs": 10, "success_rate": None, "queue_seconds": {"p90": 150.0},
               "status": {"failed": 3}, "failure_categories": {"PROXY_ERROR": 2},
               "workflows": [], "previous": {"covered": False}}
    exprs = ["queue_seconds.p90>120", "runs<5", "success_rate<0.9",
             "failure_categories.AUTH_FAILURE>0", "status.failed>=3"]
    results = evaluate_thresholds([parse_threshold(e) for e in exprs], summary)
    assert [(r.value, r.breached, r.state) for r in results] == [
        (150.0, True, "broke"), (10.0, False, "ok"), (None, False, "no data"),
        (0.0, False, "ok"), (3.0, True, "broke")]
    assert results[0].describe() == "queue_seconds.p90>120 (queue_seconds.p90 = 150)"
    assert results[2].describe() == "success_rate<0.9 (success_rate is null: no data, " \
                                    "not checked)"
    for bad, message in (("queue_seconds>1", "is an object"), ("workflows>1", "is a list"),
                         ("previous.covered==1", "not a number"),
                         ("queue_seconds.p91>1", "has no key 'p91'"),
                         ("nope>1", "has no key 'nope'")):
        with pytest.raises(UsageError, match=message):
            evaluate_thresholds([parse_threshold(bad)], summary)


def test_threshold_keys_checked_against_the_template() -> None:
    check_threshold_keys([parse_threshold(e) for e in (
        "queue_seconds.p99>1", "duration_seconds.max>1", "previous.success_rate<1",
        "status.timed_out>0", "trigger_types.mcp>0", "fetch.retries>3", "stuck_runs>0")])
    with pytest.raises(UsageError, match="has no key"):
        check_threshold_keys([parse_threshold("duration_seconds.p999>1")])


# -- CLI ---------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def parquet(runs: pd.DataFrame, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("data") / "runs.parquet"
    return write_parquet(runs, path, fetched_at=datetime.fromisoformat("2026-01-15T00:00:00+00:00"),
                         base_url="https://user:pw@api.example.com/?key=k",
                         filters={"since": "2026-01-01"},
                         fetch_report={"base_url": "https://user:pw@api.example.com/?key=k",
                                       "runs": 11, "pages_requested": 2, "requests": 2})


def test_cli_report_from_parquet(parquet: Path, tmp_path: Path,
                                 capsys: pytest.CaptureFixture[str]) -> None:
    html, summary = tmp_path / "weekly.html", tmp_path / "weekly.json"
    code = main(["report", "--from", str(parquet), "--since", "7d", "--out", str(html),
                 "--out", str(summary), "--fail-on", "queue_seconds.p90>1000"])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert out == f"wrote the html report to {html}\nwrote the json report to {summary}\n"
    assert err == ""
    doc = json.loads(summary.read_text())
    # "7d" counts back from the file's fetch time; the file says it holds every run
    # since Jan 1, so the previous week is compared.
    assert doc["period"] == {"start": "2026-01-08T00:00:00+00:00",
                             "end": "2026-01-15T00:00:00+00:00"}
    assert doc["previous"]["covered"] is True and doc["previous"]["runs"] == 3
    assert doc["runs"] == 8 and doc["stuck_runs"] == 2
    assert doc["fetch"]["base_url"] == "https://user:***@api.example.com/?key=***"
    text = html.read_text()
    assert "pw@" not in text and "key=k" not in text
    assert text.count("data:image/png;base64,") == 6


def test_cli_fail_on_breach_exits_3_after_writing(parquet: Path, tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "r.md"
    code = main(["report", "--from", str(parquet), "--since", SINCE, "--until", UNTIL,
                 "--out", str(out), "--fail-on", "success_rate<0.9", "--fail-on",
                 "stuck_runs>0", "--fail-on", "runs>100"])
    stdout, err = capsys.readouterr()
    assert code == 3
    assert out.exists() and assets_dir(out).is_dir()
    assert stdout == f"wrote the md report to {out}\n"
    assert err == ("runlytics: threshold broke: success_rate<0.9 (success_rate = 0.4)\n"
                   "runlytics: threshold broke: stuck_runs>0 (stuck_runs = 2)\n")


def test_cli_null_value_does_not_break(parquet: Path, tmp_path: Path,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "r.json"
    code = main(["report", "--from", str(parquet), "--since", "2026-01-10T12:00",
                 "--until", "2026-01-10T13:00", "--out", str(out),
                 "--fail-on", "success_rate<0.9"])
    assert code == 0
    assert capsys.readouterr().err == ("runlytics: threshold not checked: success_rate<0.9 "
                                       "(success_rate is null: no data, not checked)\n")


@pytest.mark.parametrize("args, message", [
    (["--fail-on", "success_rate=0.9"], "expected KEY OP NUMBER"),
    (["--fail-on", "queue_seconds.p91>1"], "queue_seconds has no key 'p91'"),
    (["--fail-on", "workflows>1"], "is a list"),
    (["--tz", "Mars/Olympus"], "is not a time zone"),
    (["--since", "last tuesday"], "is not a date/time"),
])
def test_cli_usage_errors_exit_2_and_write_nothing(parquet: Path, tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str],
                                                   args: list[str], message: str) -> None:
    out = tmp_path / "r.html"
    code = main(["report", "--from", str(parquet), "--out", str(out), *args])
    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith("runlytics: error: ") and message in err
    assert not out.exists()


def test_cli_report_from_the_simulator(tmp_path: Path,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    from runlytics.simulator import Simulator, serve

    # 17 workflows: the 17th gets a <script> title; hostile text everywhere else too.
    sim = Simulator(n_runs=1200, n_workflows=17, seed=3, hostile=True, days=14)
    html, summary = tmp_path / "sim.html", tmp_path / "sim.json"
    with serve(sim) as url:
        code = main(["report", "--base-url", url, "--api-key", "sim-key", "--since", "7d",
                     "--page-size", "500", "--quiet", "--out", str(html), "--out",
                     str(summary), "--fail-on", "runs<1"])
    out, err = capsys.readouterr()
    assert code == 0, err
    doc = json.loads(summary.read_text())
    assert doc["runs"] > 0 and doc["previous"]["covered"] is True
    assert doc["fetch"]["runs"] >= doc["runs"] + doc["previous"]["runs"]
    text = html.read_text(encoding="utf-8")
    parsed = _parse(text)
    assert sum(1 for tag, a in parsed.tags if tag == "img"
               and (a["src"] or "").startswith("data:image/png;base64,")) == 6
    assert "<script" not in text.lower()
    titles = {w["workflow_title"] for w in doc["workflows"]}
    hostile = [t for t in titles if "<script>" in t]
    assert hostile, titles  # the simulator did send a <script> title in this period
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    assert "\u202e" not in text and "\x1b" not in text


def test_report_on_a_large_frame_is_quick() -> None:
    """200k runs: building takes well under the time a cron slot allows."""
    import time

    import numpy as np

    n = 200_000
    rng = np.random.default_rng(0)
    base = pd.Timestamp("2026-01-01", tz="UTC")
    created = base + pd.to_timedelta(np.sort(rng.uniform(0, 14 * 86400, n)), unit="s")
    queued = created + pd.to_timedelta(rng.uniform(0, 2, n), unit="s")
    started = queued + pd.to_timedelta(rng.lognormal(2, 1.5, n), unit="s")
    finished = started + pd.to_timedelta(rng.lognormal(4, 1, n), unit="s")
    statuses = np.where(rng.uniform(size=n) < 0.9, "completed", "failed")
    from runlytics.schema import column

    frame = pd.DataFrame({
        "workflow_run_id": pd.array([f"wr_{i}" for i in range(n)], dtype="string[pyarrow]"),
        "workflow_permanent_id": pd.array(rng.choice(["wpid_a", "wpid_b", "wpid_c"], n),
                                          dtype="string[pyarrow]"),
        "workflow_title": pd.array(["T"] * n, dtype="string[pyarrow]"),
        "status": pd.Categorical(statuses, dtype=column("status").dtype),
        "trigger_type": pd.Categorical(rng.choice(["api", "manual"], n),
                                       dtype=column("trigger_type").dtype),
        "primary_failure_category": pd.Categorical(
            np.where(statuses == "failed", "PROXY_ERROR", None),
            dtype=column("primary_failure_category").dtype),
        "failure_reason": pd.array([None] * n, dtype="string[pyarrow]"),
        "created_at": created, "queued_at": queued, "started_at": started,
        "finished_at": finished,
    })
    began = time.monotonic()
    built = build_report(frame, since="7d", now="2026-01-15", data_since=base)
    assert time.monotonic() - began < 10
    assert built.summary["runs"] == int(((created >= base + pd.Timedelta(days=7))).sum())
    assert built.previous_covered


def test_no_warnings_escape_rendering(report: Any) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert len(report.images()) == 6


def test_fetch_report_since_filter_says_the_previous_period_is_covered(
        runs: pd.DataFrame) -> None:
    from runlytics import FetchReport

    fetched = FetchReport(base_url="https://api.example.com", filters={"since": "14d"})
    built = build_report(runs, since="7d", now=NOW, fetch_report=fetched)
    assert built.previous_covered and built.summary["previous"]["runs"] == 3
    capped = FetchReport(filters={"since": "14d", "max_runs": 11})
    assert not build_report(runs, since="7d", now=NOW, fetch_report=capped).previous_covered
