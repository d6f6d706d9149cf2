"""One report model, every format: each section's text reaches HTML and Markdown, its keys JSON."""

from __future__ import annotations

import html
import json
import warnings
from typing import Any

import pandas as pd
import pytest
from test_report import HOSTILE_TITLE, NOW, SINCE, UNTIL, _parse, known_runs

from runlytics import FetchReport, runs_frame
from runlytics.report import build_report, render_html, render_markdown
from runlytics.report.model import Figure, Section, texts
from runlytics.report.sections import document
from runlytics.report.text import clean, md

FETCH = FetchReport(base_url="https://api.skyvern.com", filters={"since": "2026-01-01"},
                    pages_requested=3, requests=5, retries=2,
                    retry_reasons={"429": 1, "timeout": 1}, runs=11, drift_detected=True,
                    repeats_while_paging=2, runs_caught_up=1, gap_refetches=1,
                    duplicates_dropped=2, tie_groups_repaired=1, page_size_clamped_to=50,
                    stopped_because="empty page", elapsed_seconds=1.5)


@pytest.fixture(scope="module")
def report() -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the hostile category is not a known one
        runs = runs_frame([known_runs()])
    return build_report(runs, since=SINCE, until=UNTIL, now=NOW, fetch_report=FETCH,
                        source="known runs", fail_on=["success_rate<0.5"])


def _dig(doc: Any, dotted: str) -> Any:
    for key in dotted.split("."):
        assert isinstance(doc, dict) and key in doc, dotted
        doc = doc[key]
    return doc


def _sections(report: Any) -> list[Section]:
    return list(document(report).sections)


def test_the_sections_in_reading_order(report: Any) -> None:
    assert [s.key for s in _sections(report)] == [
        "period", "thresholds", "headline", "changes", "workflows", "flaky", "failures",
        "signatures", "credits", "webhooks", "plots", "stuck", "provenance"]


def test_every_text_of_every_section_reaches_html(report: Any) -> None:
    page = render_html(report)
    shown = "".join(_parse(page).text)
    for section in _sections(report):
        assert f'id="{section.key}"' in page, section.key
        if section.title:
            assert section.title in shown
        for text in texts(section):
            want = clean(text.value, text.limit) if text.server else str(text.value)
            if isinstance(text.value, str) and not want:
                continue
            assert want in shown or html.escape(want) in page, (section.key, want)


def test_every_text_of_every_section_reaches_markdown(report: Any) -> None:
    markdown, files = render_markdown(report, "assets")
    for section in _sections(report):
        if section.title:
            assert f"## {section.title}" in markdown
        for text in texts(section):
            want = md(text.value, text.limit if text.server else 500)
            assert want in markdown, (section.key, want)
        for block in section.blocks:
            if isinstance(block, Figure):
                assert files[f"{block.name}.png"] == block.png


def test_every_section_reaches_json(report: Any) -> None:
    doc = json.loads(report.to_json())
    for section in _sections(report):
        if section.key != "plots":  # plots are pictures of the figures already listed
            assert section.json_keys, section.key
        for key in section.json_keys:
            _dig(doc, key)


def test_facts_once_html_alone_had_are_in_every_format(report: Any) -> None:
    """Retry reasons, the clamped page size and the moment ages are measured to."""
    markdown, _ = render_markdown(report, "assets")
    shown = "".join(_parse(render_html(report)).text)
    doc = json.loads(report.to_json())
    for text in ("2 (429: 1, timeout: 1)", "clamped by the server to 50",
                 "ages measured to 2026-01-15 00:00:00",
                 "yes: 2 repeated rows, 1 new runs caught up, 1 pages re-read"):
        assert text in shown and md(text) in markdown, text
    assert doc["fetch"]["retry_reasons"] == {"429": 1, "timeout": 1}
    assert doc["fetch"]["page_size_clamped_to"] == 50
    assert doc["now"] == "2026-01-15T00:00:00+00:00"


def test_server_text_is_marked_and_escaped_in_both(report: Any) -> None:
    workflows = next(s for s in _sections(report) if s.key == "workflows")
    server = [t.value for t in texts(workflows) if t.server]
    assert HOSTILE_TITLE in server and "wpid_a" in server
    markdown, _ = render_markdown(report, "assets")
    assert "<script>" not in render_html(report) and "<script>" not in markdown


def test_an_empty_period_has_notes_not_tables() -> None:
    from runlytics import empty_frame

    built = build_report(empty_frame(), since="2026-01-08", until="2026-01-15", now=NOW)
    by_key = {s.key: s for s in document(built).sections}
    assert "thresholds" not in by_key
    assert [t.value for t in texts(by_key["workflows"])] == ["No runs in this period."]
    assert [t.value for t in texts(by_key["failures"])] == ["No failed runs in this period."]
    assert pd.Timestamp(built.summary["period"]["start"]) == pd.Timestamp(SINCE, tz="UTC")
