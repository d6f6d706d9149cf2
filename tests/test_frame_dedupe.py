"""dedupe_runs: the newest answer per run, inside the window, newest first."""

from __future__ import annotations

import pandas as pd
from conftest import make_run

from runlytics.frame import dedupe_runs, runs_table
from runlytics.schema import arrow_schema


def ts(text: str) -> pd.Timestamp:
    return pd.Timestamp(text, tz="UTC")


def test_dedupe_keeps_newest_modified_and_orders_newest_first():
    runs = [make_run(workflow_run_id="a", created_at="2026-01-01T00:00:01",
                     modified_at="2026-01-01T00:00:05", status="running"),
            make_run(workflow_run_id="b", created_at="2026-01-01T00:00:02",
                     modified_at="2026-01-01T00:00:02"),
            make_run(workflow_run_id="a", created_at="2026-01-01T00:00:01",
                     modified_at="2026-01-01T00:00:09", status="completed"),
            make_run(workflow_run_id="c", created_at="2026-01-01T00:00:02",
                     modified_at="2026-01-01T00:00:02")]
    table, dropped = dedupe_runs(runs_table([runs]))
    assert dropped == 1
    assert table.column("workflow_run_id").to_pylist() == ["c", "b", "a"]
    assert table.column("status").to_pylist()[2] == "completed"
    since = ts("2026-01-01T00:00:02").value // 1000
    table, _ = dedupe_runs(runs_table([runs]), since_us=since, max_runs=1)
    assert table.column("workflow_run_id").to_pylist() == ["c"]


def test_between_equal_modified_at_the_last_answer_wins():
    runs = [make_run(workflow_run_id="a", modified_at="2026-01-01T00:00:05", status="running"),
            make_run(workflow_run_id="a", modified_at="2026-01-01T00:00:05", status="failed")]
    table, dropped = dedupe_runs(runs_table([runs]))
    assert (table.column("status").to_pylist(), dropped) == (["failed"], 1)


def test_until_is_exclusive():
    runs = [make_run(workflow_run_id=f"r{i}", created_at=f"2026-01-01T00:00:0{i}")
            for i in range(1, 4)]
    until = ts("2026-01-01T00:00:03").value // 1000
    table, dropped = dedupe_runs(runs_table([runs]), until_us=until)
    assert (table.column("workflow_run_id").to_pylist(), dropped) == (["r2", "r1"], 0)


def test_an_empty_table_stays_empty():
    table, dropped = dedupe_runs(arrow_schema().empty_table())
    assert (table.num_rows, dropped) == (0, 0)
    assert table.schema.equals(arrow_schema())
