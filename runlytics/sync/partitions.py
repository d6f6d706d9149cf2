"""Upsert the runs just read into the partitions they belong to."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from .. import dataset
from ..frame import dedupe_runs
from ..schema import FINAL_STATUSES
from .report import SyncReport


def upsert_partition(root: Path, day: str, rows: pa.Table, statuses: list[str],
                    metadata: dict[str, Any], report: SyncReport) -> None:
    """Upsert ``rows`` into one partition; rewrite it only when its runs changed."""
    stored = dataset.read_partition(root, day)
    if stored.num_rows:
        merged, _ = dedupe_runs(pa.concat_tables([stored, rows]))  # rows last: win ties
    else:
        merged = rows  # from fetch_table: one row per run, in order already
    if statuses:
        merged = merged.filter(pc.is_in(merged.column("status").cast(pa.string()),
                                        value_set=pa.array(statuses)))
    if stored.num_rows:
        old = _by_id(stored)
        new = _by_id(merged)
        report.runs_added += len(new.keys() - old.keys())
        report.runs_removed += len(old.keys() - new.keys())
        report.runs_updated += sum(1 for k in new.keys() & old.keys() if new[k] != old[k])
        for run_id, run_status in zip(rows.column("workflow_run_id").to_pylist(),
                                      rows.column("status").to_pylist(), strict=True):
            if run_id in old and old[run_id][1] in FINAL_STATUSES \
                    and run_status not in FINAL_STATUSES:
                report.runs_reopened += 1
    else:
        report.runs_added += merged.num_rows
    if dataset.same_runs(merged, stored):
        return
    if merged.num_rows:
        dataset.write_partition(root, day, merged, {**metadata, "partition": day})
        report.partitions_written.append(day)
    else:
        dataset.remove_partition(root, day)
        report.partitions_removed.append(day)


def _by_id(table: pa.Table) -> dict[str, tuple[Any, Any]]:
    return dict(zip(table.column("workflow_run_id").to_pylist(),
                    zip(table.column("modified_at").cast(pa.int64()).to_pylist(),
                        table.column("status").cast(pa.string()).to_pylist(), strict=True),
                    strict=True))
