"""The commands: parse nothing, call one library function, print the result."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from datetime import UTC
from pathlib import Path
from typing import Any

from ..errors import UsageError
from .options import EXIT_NOTIFY, EXIT_OK, EXIT_THRESHOLD, check_writable, fetch_objects, say


def cmd_fetch(args: argparse.Namespace) -> int:
    from datetime import datetime

    from ..store import write_parquet

    out = Path(args.out)
    check_writable(out)
    query, client = fetch_objects(args)
    table, report = client.fetch(query)
    write_parquet(table, out, redact=not args.keep_secrets, base_url=report.base_url,
                  filters=report.filters, fetched_at=datetime.now(UTC),
                  fetch_report=report.to_dict())
    say(args, report.describe())
    print(f"wrote {table.num_rows:,} runs to {out}")
    return EXIT_OK


def cmd_simulate(args: argparse.Namespace) -> int:
    from ..simulator import RealServerCost, Simulator, run_forever

    def ready(url: str) -> None:
        print(f"simulated Skyvern API at {url} (API key: {args.key}); Ctrl-C stops it\n"
              f"  try: SKYVERN_BASE_URL={url} SKYVERN_API_KEY={args.key} "
              "runlytics fetch --out runs.parquet", flush=True)

    cost = (RealServerCost(error_rate=args.server_errors) if args.real_server_cost else None)
    sim = Simulator(n_runs=args.runs, seed=args.seed, api_key=args.key, hostile=args.hostile,
                    cost_model=cost)
    sim.latency = args.latency_ms / 1000.0
    run_forever(args.host, args.port, on_ready=ready, live=not args.frozen, sim=sim)
    return EXIT_OK


def cmd_sync(args: argparse.Namespace) -> int:
    from ..sync import sync

    for option, key in (("--error-code", "error_code"), ("--max-runs", "max_runs")):
        if getattr(args, key) is not None:
            raise UsageError(f"sync cannot keep a {option} selection up to date; use "
                             f"`runlytics fetch {option} ...` for a one-shot extract")
    query, client = fetch_objects(args, window=False)
    report = sync(Path(args.dir), query, client, lookback=args.lookback,
                  rescan_days=args.rescan_days, redact=not args.keep_secrets)
    say(args, report.describe())
    return EXIT_OK


def cmd_demo(args: argparse.Namespace) -> int:
    from ..demo import run_demo

    out = Path(args.out)
    check_writable(out / "runs.parquet")
    result = run_demo(out, n_runs=args.runs, seed=args.seed,
                      progress=False if args.quiet else None)
    say(args, result.fetch_report.describe())
    print(headline(result.summary))
    print(f"\nwrote to {out}/:\n"
          f"  {result.html.name:<14} the report (open it in a browser)\n"
          f"  {result.markdown.name:<14} the same in Markdown, plots in {result.plots.name}/\n"
          f"  {result.summary_json.name:<14} the summary for alerting\n"
          f"  {result.extract.name:<14} every run, for pandas, DuckDB or a warehouse")
    return EXIT_OK


def cmd_report(args: argparse.Namespace) -> int:
    from ..fetch import FetchReport
    from ..inputs import fetch_for_report, load_runs
    from ..notify import parse_target
    from ..report import (
        FORMATS,
        build_report,
        check_threshold_keys,
        check_tz,
        format_for_path,
        parse_threshold,
        write_report,
    )

    targets = [parse_target(target) for target in args.notify or []]  # before fetching
    thresholds = [parse_threshold(expr) for expr in args.fail_on or []]
    check_threshold_keys(thresholds)  # before any fetching: a typo costs nothing
    tz = check_tz(args.tz)
    outs = [(Path(out), args.format or format_for_path(out)) for out in args.out]
    for out, fmt in outs:
        if fmt not in FORMATS:
            raise UsageError(f"--format must be one of {', '.join(FORMATS)}")
        check_writable(out)
    if args.from_path:
        data = load_runs(args.from_path)
    else:
        query, client = fetch_objects(args, window=False)
        data = fetch_for_report(query, client, since=args.since, until=args.until)
        if isinstance(data.fetch_report, FetchReport):
            say(args, data.fetch_report.describe())
    report = build_report(data.runs, since=args.since, until=args.until, tz=tz, now=data.now,
                          fetch_report=data.fetch_report, source=data.source,
                          data_since=data.data_since, fail_on=thresholds)
    for out, fmt in outs:
        write_report(report, out, fmt)
        print(f"wrote the {fmt} report to {out}")
    for result in report.thresholds:
        if result.no_data:
            print(f"runlytics: threshold not checked: {result.describe()}", file=sys.stderr)
    for result in report.breached:
        print(f"runlytics: threshold broke: {result.describe()}", file=sys.stderr)
    if targets and not _notify(args, report.summary, targets):
        return EXIT_NOTIFY
    return EXIT_THRESHOLD if report.breached else EXIT_OK


def _notify(args: argparse.Namespace, summary: dict[str, Any], targets: list[Any]) -> bool:
    """Post the alert to every --notify target; False when one could not be reached.

    Suppression is measured on the wall clock (not the data's fetch time).
    """
    from ..notify import NotifyError, notify

    try:
        results = notify(summary, targets, on=args.notify_on, state_path=args.alert_state,
                         renotify_after=args.renotify_after, report_url=args.report_url)
    except NotifyError as exc:
        print(f"runlytics: notification failed: {exc}", file=sys.stderr)
        return False
    for result in results:
        say(args, f"notify {result.target}: {result.action}")
    return True


def headline(summary: dict[str, Any]) -> str:
    """The report's headline figures in a few lines, with their sample sizes."""
    from ..units import format_seconds

    period = summary.get("period") or {}
    rate = summary.get("success_rate")
    queue, duration = summary.get("queue_seconds") or {}, summary.get("duration_seconds") or {}
    failures = sorted((summary.get("failure_categories") or {}).items(), key=lambda kv: -kv[1])
    top = ", ".join(f"{name} {count:,}" for name, count in failures[:3] if count) or "none"
    start, end = str(period.get("start", ""))[:16], str(period.get("end", ""))[:16]
    return "\n".join([
        f"{summary.get('runs', 0):,} runs created {start} to {end} UTC",
        "  success rate   " + (f"{rate:.1%} of {summary.get('success_rate_n', 0):,} finished"
                               if rate is not None else "no finished runs"),
        f"  queue wait     p50 {format_seconds(queue.get('p50'))}, "
        f"p90 {format_seconds(queue.get('p90'))} (n={queue.get('n', 0):,})",
        f"  duration       p50 {format_seconds(duration.get('p50'))}, "
        f"p90 {format_seconds(duration.get('p90'))} (n={duration.get('n', 0):,})",
        f"  stuck now      {summary.get('stuck_runs', 0):,}",
        f"  top failures   {top}",
    ])


COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "demo": cmd_demo,
    "fetch": cmd_fetch,
    "simulate": cmd_simulate,
    "report": cmd_report,
    "sync": cmd_sync,
}
