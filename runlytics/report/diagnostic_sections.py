"""The report's sections on why runs fail and what it costs.

"Failure signatures" (failure reasons with URLs, ids and numbers masked, so
one failure is one row), "Credits" (total, cached, spent on runs that did not
succeed, per successful run; "no credit data" when the server records none)
and "Webhook delivery" (delivery rate per workflow, the failed deliveries).
Figures from :mod:`runlytics.report.diagnostics`.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from .build import Report
from .model import Block, Column, Heading, Paragraph, Section, Table, Text
from .text import fmt_int, fmt_pct, fmt_time

__all__ = ["MAX_SIGNATURE_ROWS", "credits_section", "signatures_section", "webhooks_section"]

MAX_SIGNATURE_ROWS = 15
MAX_ROWS = 20


def _note(text: str) -> Paragraph:
    return Paragraph((Text(text),), "note")


def _ids(ids: Any, limit: int = 3) -> Text:
    shown = ", ".join(str(i) for i in list(ids)[:limit])
    return Text(shown, True, 140, "id") if shown else Text("–", style="missing")


def _workflow(report: Report, wpid: Any) -> tuple[Text, Text]:
    """A workflow's latest title (from the summary) and its id."""
    titles = {w["workflow_permanent_id"]: w["workflow_title"]
              for w in report.summary["workflows"]}
    return Text(titles.get(wpid), True, 80), Text(wpid, True, 60, "id")


def _flag(row: Any) -> Text:
    if row.new:
        return Text("new", style="badge")
    if row.growing:
        return Text("growing", style="badge")
    return Text("–", style="missing")


def signatures_section(report: Report) -> Section:
    """Failed runs per failure signature: new and growing ones flagged, example runs."""
    keys = ("failure_signatures",)
    table = report.diagnostics.signatures if report.diagnostics else pd.DataFrame()
    if table.empty:
        return Section("signatures", "Failure signatures",
                       (_note("No failed runs in this period."),), keys)
    tz = report.tz
    rows = tuple((Text(r.signature, True, 160), Text(fmt_int(r.runs)),
                  Text(fmt_int(r.previous_runs)), Text(fmt_int(r.workflows)),
                  Text(fmt_time(r.first_seen, tz)), _flag(r), _ids(r.example_run_ids))
                 for r in table.head(MAX_SIGNATURE_ROWS).itertuples(index=False))
    columns = (Column("Signature"), Column("Failed runs", True), Column("Previous period", True),
               Column("Workflows", True), Column(f"First seen ({tz})", True), Column("Trend"),
               Column("Example runs"))
    intro = Paragraph((Text(f"{len(table):,} failure signatures: reasons with URLs, ids, "
                            "numbers and quoted values masked, so one failure is one row."),))
    blocks: list[Block] = [intro, Table(columns, rows)]
    if len(table) > MAX_SIGNATURE_ROWS:
        blocks.append(_note(f"{len(table) - MAX_SIGNATURE_ROWS:,} more signatures are in "
                            "the JSON summary."))
    return Section("signatures", "Failure signatures", tuple(blocks), keys)


def _credit_rows(report: Report, groups: list[dict[str, Any]]) -> tuple[tuple[Any, ...], ...]:
    return tuple((_workflow(report, g["workflow_permanent_id"]), Text(fmt_int(g["total"])),
                  Text(fmt_int(g["cached"])), Text(fmt_int(g["on_failed_runs"])),
                  Text(f"{g['per_successful_run']:.1f}" if g.get("per_successful_run")
                       is not None else "–"))
                 for g in groups[:MAX_ROWS])


def credits_section(report: Report) -> Section:
    """Credits spent, on what, and how many went to runs that did not succeed."""
    credits = report.summary.get("credits")
    if not credits:
        return Section("credits", "Credits", (_note(
            "No credit data: every run's credits are 0 or missing (self-hosted servers "
            "record none)."),), ("credits",))
    per_run = credits.get("per_successful_run")
    failed_share = credits["on_failed_runs"] / credits["total"] if credits["total"] else None
    lines = (f"{fmt_int(credits['total'])} credits in the period ({fmt_int(credits['cached'])} "
             f"cached); {fmt_int(credits['on_failed_runs'])} ({fmt_pct(failed_share)}) "
             "on runs that failed, were terminated or timed out; "
             + (f"{per_run:.1f} per successful run" if per_run is not None
                else "no successful run") + f" (n = {fmt_int(credits['successful_runs'])}).")
    blocks: list[Block] = [Paragraph((Text(lines, limit=500),))]
    if credits.get("provisional"):
        blocks.append(_note(f"{fmt_int(credits['provisional'])} credits belong to runs not "
                            "finished yet: provisional."))
    columns = (Column("Workflow"), Column("Credits", True), Column("Cached", True),
               Column("On failed runs", True), Column("Per successful run", True))
    blocks += [Heading("By workflow"),
               Table(columns, _credit_rows(report, credits["by_workflow"]))]
    return Section("credits", "Credits", tuple(blocks), ("credits",))


def webhooks_section(report: Report) -> Section:
    """Webhook callbacks: delivery rate per workflow and the deliveries that failed."""
    hooks = report.summary.get("webhooks")
    if not hooks:
        return Section("webhooks", "Webhook delivery",
                       (_note("No webhook delivery recorded in this period."),), ("webhooks",))
    intro = Paragraph((Text(f"{fmt_int(hooks['delivered'])} of {fmt_int(hooks['recorded'])} "
                            f"recorded callbacks delivered ({fmt_pct(hooks['delivery_rate'])}); "
                            f"{fmt_int(hooks['failed'])} failed."),))
    rows = tuple((_workflow(report, w["workflow_permanent_id"]), Text(fmt_int(w["recorded"])),
                  Text(fmt_int(w["failed"])), Text(fmt_pct(w["delivery_rate"])))
                 for w in hooks["by_workflow"][:MAX_ROWS])
    blocks: list[Block] = [intro, Table((Column("Workflow"), Column("Recorded", True),
                                         Column("Failed", True), Column("Delivered", True)),
                                        rows)]
    failed = hooks["failed_deliveries"][:MAX_ROWS]
    if failed:
        frows = tuple((Text(f["workflow_run_id"], True, 40, "id"),
                       _workflow(report, f["workflow_permanent_id"]),
                       Text(f["reason"], True, 160)) for f in failed)
        blocks += [Heading("Failed deliveries, newest first"),
                   Table((Column("Run"), Column("Workflow"), Column("Reason")), frows)]
    return Section("webhooks", "Webhook delivery", tuple(blocks), ("webhooks",))
