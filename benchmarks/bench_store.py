"""Time Parquet extracts and the partitioned dataset on 1,000,000 runs.

The runs are the simulator's (every column, realistic values): a template of
10,000 runs is decoded once, then copied with fresh ids and timestamps moved
by a few microseconds, so 1,000,000 runs take seconds to make and still span
the simulator's 30 days (about 33,000 runs per daily partition).

Usage::

    python benchmarks/bench_store.py            # 1,000,000 runs
    python benchmarks/bench_store.py --quick    # 100,000 runs, a few seconds
    python benchmarks/bench_store.py --runs 250000 --repeat 5
    python benchmarks/bench_store.py --quick --sync 20000   # also sync a simulator
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from runlytics import dataset, store  # noqa: E402
from runlytics.frame import dedupe_runs, runs_table  # noqa: E402
from runlytics.redact import redact_table  # noqa: E402
from runlytics.schema import TIMESTAMP_COLUMNS  # noqa: E402
from runlytics.simulator import Simulator, serve  # noqa: E402

NOW = datetime(2026, 1, 31, tzinfo=UTC)
TEMPLATE_RUNS = 10_000


def make_table(n: int, *, seed: int = 7) -> pa.Table:
    """``n`` typed runs, newest first, from copies of a simulator template."""
    sim = Simulator(n_runs=min(n, TEMPLATE_RUNS), seed=seed, now=NOW)
    body = sim.handle("GET", "/v1/workflows/runs", f"page=1&page_size={len(sim)}",
                      {"x-api-key": "sim-key"}).body
    template = runs_table([body])
    copies = []
    for k in range(-(-n // template.num_rows)):
        table = template
        ids = pc.binary_join_element_wise(table.column("workflow_run_id"), f"{k:03d}", "")
        table = table.set_column(0, table.field(0), ids)
        shift = pa.scalar(timedelta(microseconds=k), pa.duration("us"))
        for name in TIMESTAMP_COLUMNS:
            i = table.column_names.index(name)
            table = table.set_column(i, table.field(i), pc.add(table.column(name), shift))
        copies.append(table)
    table, _ = dedupe_runs(pa.concat_tables(copies).slice(0, n))
    return table


def timed(call: Callable[[], Any], repeat: int, setup: Callable[[], Any] | None = None
          ) -> tuple[float, Any]:
    """Median seconds of ``repeat`` calls, and the last result."""
    seconds, result = [], None
    for _ in range(repeat):
        if setup is not None:
            setup()
        start = time.perf_counter()
        result = call()
        seconds.append(time.perf_counter() - start)
    return statistics.median(seconds), result


def write_dataset(root: Path, table: pa.Table) -> None:
    """What a first sync writes: one file per created date (``table`` is sorted)."""
    for day, rows in dataset.split_by_day(table).items():
        dataset.write_partition(root, day, rows, {"partition": day})


def folder_bytes(root: Path) -> int:
    return sum(p.stat().st_size for p in root.rglob("*.parquet"))


def bench_sync(n: int, work: Path) -> None:
    """A first and an incremental sync against a simulator of ``n`` runs."""
    from runlytics.fetch import FetchReport, fetch_table
    from runlytics.sync import sync

    start = time.perf_counter()
    sim = Simulator(n_runs=n, seed=3, now=NOW)
    sim.advance(25 * 3600)
    print(f"\nsimulator of {n:,} runs made in {time.perf_counter() - start:.1f} s")
    root = work / "synced"
    with serve(sim) as url:
        full = FetchReport()
        start = time.perf_counter()
        fetch_table(base_url=url, api_key="sim-key", progress=False, report=full)
        fetch_s = time.perf_counter() - start
        first = sync(root, base_url=url, api_key="sim-key", progress=False)
        sim.create_runs(200)
        sim.advance(600)
        later = sync(root, base_url=url, api_key="sim-key", progress=False)
    print(f"{'full fetch (page_size 100)':<44} {fetch_s:8.2f} s  {full.requests:>6,} requests")
    for label, report in (("first sync", first), ("incremental sync (+200 runs, 10 min)", later)):
        print(f"{label:<44} {report.elapsed_seconds:8.2f} s  {report.requests:>6,} requests"
              f"  {report.runs_read:>9,} runs read  "
              f"{len(report.partitions_written)} partitions written")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="100,000 runs instead of 1,000,000")
    parser.add_argument("--runs", type=int, default=None, help="number of runs")
    parser.add_argument("--repeat", type=int, default=3, help="timings per step (median)")
    parser.add_argument("--sync", type=int, default=0, metavar="N",
                        help="also time a first and an incremental sync of a simulator "
                        "of N runs (default: skip)")
    args = parser.parse_args(argv)
    n = args.runs or (100_000 if args.quick else 1_000_000)
    start = time.perf_counter()
    table = make_table(n)
    print(f"made {n:,} runs in {time.perf_counter() - start:.2f} s "
          f"({table.nbytes / n:,.0f} bytes/run in memory)", flush=True)

    work = Path(tempfile.mkdtemp(prefix="bench_store."))
    try:
        file = work / "runs.parquet"
        root = work / "runs"

        def line(label: str, seconds: float, extra: str = "") -> None:
            rate = n / seconds if seconds else 0
            print(f"{label:<44} {seconds:8.2f} s  {rate:>11,.0f} runs/s  {extra}", flush=True)

        s, _ = timed(lambda: redact_table(table), args.repeat)
        line("redact (the default before writing)", s)
        s, _ = timed(lambda: store.write_parquet(table, file, redact=False), args.repeat)
        size = file.stat().st_size
        line("write_parquet, one file", s, f"{size / 1e6:7.1f} MB  {size / n:5.1f} bytes/run")
        s, frame = timed(lambda: store.read_frame(file), args.repeat)
        line("read_frame, one file -> frame", s, f"{len(frame):,} rows")
        s, _ = timed(lambda: store.read_table(file), args.repeat)
        line("read_table, one file -> Arrow", s)

        s, _ = timed(lambda: write_dataset(root, table), args.repeat,
                     setup=lambda: shutil.rmtree(root, ignore_errors=True))
        size = folder_bytes(root)
        days = len(dataset.list_partitions(root))
        line(f"write dataset, {days} partitions", s,
             f"{size / 1e6:7.1f} MB  {size / n:5.1f} bytes/run")
        s, frame = timed(lambda: store.read_frame(root), args.repeat)
        line("read_frame, dataset -> frame", s, f"{len(frame):,} rows")
        since = "2026-01-24"
        columns = ["workflow_run_id", "status", "created_at", "finished_at"]
        s, frame = timed(lambda: store.read_frame(root, since=since, columns=columns),
                         args.repeat)
        line("read_frame, dataset, 7 days x 4 columns", s, f"{len(frame):,} rows")

        newest = dataset.split_by_day(table)
        day = max(newest)
        changed = newest[day].slice(0, 1000)
        stamp = pc.add(changed.column("modified_at"),
                       pa.scalar(timedelta(minutes=5), pa.duration("us")))
        i = changed.column_names.index("modified_at")
        changed = changed.set_column(i, changed.field(i), stamp)

        def upsert() -> None:
            stored = dataset.read_partition(root, day)
            merged, _ = dedupe_runs(pa.concat_tables([stored, changed]))
            dataset.write_partition(root, day, merged, {"partition": day})

        s, _ = timed(upsert, args.repeat)
        print(f"{'upsert 1,000 runs into the newest partition':<44} {s:8.2f} s  "
              f"({newest[day].num_rows:,} runs in it)", flush=True)
        if args.sync:
            bench_sync(args.sync, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
