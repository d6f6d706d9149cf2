"""The report's "What changed" and "Flaky workflows" sections.

"What changed" lists the significant changes (Benjamini-Hochberg across every
test the period ran), largest effect first, each with before → after, the
samples and the test; "Flaky workflows" the workflows whose runs flip
between pass and fail. Figures from :mod:`runlytics.report.changes`.
"""

from __future__ import annotations

from typing import Any

from .build import Report
from .model import Block, Column, Paragraph, Section, Table, Text
from .text import fmt_int, fmt_pct, fmt_seconds

__all__ = ["MAX_CHANGE_ROWS", "changes_section", "flaky_section"]

MAX_CHANGE_ROWS = 15
MAX_FLAKY_ROWS = 15


def _value(metric: str, value: Any) -> str:
    if metric == "success_rate":
        return fmt_pct(value)
    if "seconds" in metric:
        return fmt_seconds(value)
    return fmt_int(value)


def _who(change: dict[str, Any]) -> Any:
    if change["workflow_permanent_id"] is None:
        return Text("whole organisation")
    return (Text(change["workflow_title"], True, 80),
            Text(change["workflow_permanent_id"], True, 60, "id"))


def changes_section(report: Report) -> Section:
    """Significant changes from the previous period, largest effect first."""
    keys = ("changes", "significant_changes")
    if not report.previous_covered:
        return Section("changes", "What changed", (Paragraph((Text(
            "No comparison: the data does not cover the previous period."),), "note"),), keys)
    changes = report.summary["changes"]
    tested = [c for c in changes if c["p_value"] is not None]
    found = [c for c in changes if c["significant"]]
    intro = Paragraph((Text(f"{len(found):,} significant of {len(tested):,} comparisons tested "
                            f"({len(changes) - len(tested):,} more had too few runs to test); "
                            "false discovery rate 5% (Benjamini-Hochberg)."),))
    if not found:
        return Section("changes", "What changed", (intro, Paragraph((Text(
            "Nothing changed beyond what chance explains."),), "note")), keys)
    rows = tuple((_who(c), Text(c["metric"]),
                  Text(f"{_value(c['metric'], c['previous'])} → "
                       f"{_value(c['metric'], c['current'])}"),
                  Text(f"{fmt_int(c['n_previous'])} → {fmt_int(c['n_current'])}"),
                  Text(f"{c['p_value']:.2g}"), Text(str(c["test"])))
                 for c in found[:MAX_CHANGE_ROWS])
    columns = (Column("Where"), Column("Metric"), Column("Before → after", True),
               Column("n before → after", True), Column("p", True), Column("Test"))
    blocks: list[Block] = [intro, Table(columns, rows)]
    if len(found) > MAX_CHANGE_ROWS:
        blocks.append(Paragraph((Text(f"{len(found) - MAX_CHANGE_ROWS:,} more significant "
                                      "changes are in the JSON summary."),), "note"))
    return Section("changes", "What changed", tuple(blocks), keys)


def flaky_section(report: Report) -> Section:
    """Workflows whose runs flip between pass and fail, with first-attempt success."""
    flaky = [f for f in report.summary["flaky_workflows"] if f["flaky"]]
    if not flaky:
        return Section("flaky", "Flaky workflows", (Paragraph((Text(
            "No flaky workflow: none with enough finished runs flips between pass and "
            "fail often."),), "note"),), ("flaky_workflows",))
    rows = tuple(((Text(f["workflow_title"], True, 80),
                   Text(f["workflow_permanent_id"], True, 60, "id")),
                  Text(fmt_int(f["n_finished"])), Text(fmt_pct(f["flip_rate"])),
                  Text(fmt_pct(f["first_attempt_success_rate"])),
                  Text(fmt_pct(f["eventual_success_rate"])),
                  Text(fmt_int(f["current_failure_streak"])))
                 for f in flaky[:MAX_FLAKY_ROWS])
    columns = (Column("Workflow"), Column("Finished runs", True), Column("Flip rate", True),
               Column("First-attempt success", True), Column("Eventual success", True),
               Column("Failing in a row now", True))
    return Section("flaky", "Flaky workflows", (Table(columns, rows),), ("flaky_workflows",))
