"""Fetch time at depth, against the simulator with the real server's cost model.

The simulator answers as slowly as Skyvern 1.0.56 on Postgres does
(:class:`runlytics.sim.cost.RealServerCost`: ~10 ms + 0.82 µs per row skipped
by OFFSET on one of 4 database slots, 54 µs per returned row built by the one
server process, 503 from 65,000 rows). runlytics fetches every run with its
defaults, with a page_size-100 sequential loop, and with a small sweep of
fixed (page_size, concurrency); each fetch is checked to return every run.
The simulator is served from this process (its costs are sleeps, so they
leave the GIL to the client).

Usage::

    python benchmarks/bench_depth.py            # 200,000 runs, the measured costs: minutes
    python benchmarks/bench_depth.py --quick    # 5,000 runs, OFFSET cost x40: seconds
    python benchmarks/bench_depth.py --runs 50000 --depth-scale 4
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from runlytics.client import DEFAULT_CONCURRENCY, DEFAULT_PAGE_SIZE  # noqa: E402
from runlytics.fetch import query_and_client  # noqa: E402
from runlytics.simulator import RealServerCost, Simulator, serve  # noqa: E402

NOW = datetime(2026, 11, 28, 12, tzinfo=UTC)
DEFAULTS = (DEFAULT_PAGE_SIZE, DEFAULT_CONCURRENCY)
LOOP = (100, 1)
SWEEP = ((1000, 2), (1000, 4), (2000, 4), (5000, 2), (5000, 4), (10_000, 2), (20_000, 2))
QUICK_SWEEP = ((500, 4), (1000, 2), (1000, 4), (2500, 2))


def fetch_once(url: str, page_size: int, concurrency: int) -> dict[str, Any]:
    """One whole fetch; its wall and CPU seconds, requests and runs."""
    query, client = query_and_client(api_key="sim-key", base_url=url, page_size=page_size,
                                     concurrency=concurrency, progress=False)
    wall, cpu = time.perf_counter(), time.process_time()
    fetched = client.fetch(query)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    return {"page_size": page_size, "concurrency": concurrency, "wall": wall, "cpu": cpu,
            "requests": fetched.report.requests, "runs": fetched.report.runs,
            "retries": fetched.report.retries}


def measure(runs: int, *, depth_scale: float = 1.0,
            sweep: tuple[tuple[int, int], ...] = SWEEP) -> dict[str, Any]:
    """Every configuration against one simulator of ``runs`` runs; the figures.

    Args:
        runs: runs in the simulated organisation.
        depth_scale: multiplies the OFFSET cost per row, so a short list costs
            what a list ``depth_scale`` times deeper does at its end.
        sweep: the fixed (page_size, concurrency) pairs to try.

    Returns:
        ``configs`` (label -> figures, with the server's query and build
        seconds), ``best`` (the fastest swept label), and the ratios
        ``loop_over_defaults`` and ``defaults_over_best``.

    Raises:
        RuntimeError: a fetch did not return every run.
    """
    model = RealServerCost(offset_seconds_per_row=0.82e-6 * depth_scale)
    sim = Simulator(n_runs=runs, seed=7, now=NOW, cost_model=model)
    plan = {"defaults": DEFAULTS, "loop": LOOP} | {f"{p}x{c}": (p, c) for p, c in sweep}
    configs: dict[str, dict[str, Any]] = {}
    with serve(sim) as url:
        for label, (page_size, concurrency) in plan.items():
            sim.cost_model = model  # fresh slots and counters
            result = fetch_once(url, page_size, concurrency)
            if result["runs"] != runs:
                raise RuntimeError(f"{label}: got {result['runs']:,} runs, expected {runs:,}")
            result["server_query_seconds"] = sim.database.slots.held_seconds
            result["server_build_seconds"] = sim.database.workers.held_seconds
            configs[label] = result
            print(f"depth {label}: {result['wall']:.2f} s, {result['requests']} requests",
                  file=sys.stderr, flush=True)
    best = min((f"{p}x{c}" for p, c in sweep), key=lambda label: configs[label]["wall"])
    wall = {label: figures["wall"] for label, figures in configs.items()}
    return {"runs": runs, "depth_scale": depth_scale, "configs": configs, "best": best,
            "loop_over_defaults": wall["loop"] / wall["defaults"],
            "defaults_over_best": wall["defaults"] / wall[best]}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="5,000 runs, OFFSET cost x40")
    parser.add_argument("--runs", type=int, default=None)
    parser.add_argument("--depth-scale", type=float, default=None)
    args = parser.parse_args(argv)
    runs = args.runs or (5_000 if args.quick else 200_000)
    scale = args.depth_scale or (40.0 if args.quick else 1.0)
    figures = measure(runs, depth_scale=scale, sweep=QUICK_SWEEP if args.quick else SWEEP)
    for label, f in figures["configs"].items():
        print(f"{label:>10}: page_size {f['page_size']:>6} × {f['concurrency']}: "
              f"{f['wall']:7.2f} s, {f['requests']:5} requests, server query "
              f"{f['server_query_seconds']:.1f} s, build {f['server_build_seconds']:.1f} s")
    print(f"loop / defaults {figures['loop_over_defaults']:.2f}x; defaults / best "
          f"({figures['best']}) {figures['defaults_over_best']:.2f}x")
    print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
