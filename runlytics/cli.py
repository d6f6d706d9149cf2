"""The ``runlytics`` command: thin commands over the library.

Exit codes: 0 success, 1 an API, network, data or file error, 2 a usage error
(bad option value), 3 a report whose ``--fail-on`` threshold broke, 130
interrupted. Expected failures print one line on stderr, never a traceback.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import warnings
from collections.abc import Callable, Sequence
from datetime import UTC
from pathlib import Path
from typing import Any

from ._version import __version__
from .errors import RunlyticsError, UsageError
from .frame import UnknownValueWarning

__all__ = ["main"]

EXIT_OK, EXIT_ERROR, EXIT_USAGE, EXIT_THRESHOLD, EXIT_INTERRUPTED = 0, 1, 2, 3, 130


class _Parser(argparse.ArgumentParser):
    """argparse that raises UsageError instead of printing usage and exiting."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(message)


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be >= 1, got {value}")
    return value


def add_fetch_options(parser: argparse.ArgumentParser) -> None:
    """The options every command that talks to the API shares."""
    from .client import DEFAULT_CONCURRENCY, DEFAULT_PAGE_SIZE

    api = parser.add_argument_group("fetch options")
    api.add_argument("--base-url", help="API base URL (default: $SKYVERN_BASE_URL, else "
                     "https://api.skyvern.com)")
    api.add_argument("--api-key", help="API key (default: $SKYVERN_API_KEY; prefer the "
                     "variable: command lines are visible to other users)")
    api.add_argument("--status", action="append", metavar="S",
                     help="only runs with this status (repeat for several)")
    api.add_argument("--search-key", metavar="K", help="substring filter (ids, parameters, "
                     "headers, title, webhook URL)")
    api.add_argument("--error-code", metavar="C", help="only runs with this error code")
    api.add_argument("--page-size", type=_positive_int, default=DEFAULT_PAGE_SIZE,
                     metavar="N", help=f"runs per request (default {DEFAULT_PAGE_SIZE})")
    api.add_argument("--concurrency", type=_positive_int, default=DEFAULT_CONCURRENCY,
                     metavar="N", help=f"requests in flight (default {DEFAULT_CONCURRENCY})")
    api.add_argument("--max-runs", type=_positive_int, metavar="N",
                     help="stop after the newest N runs")
    api.add_argument("--allow-insecure", action="store_true",
                     help="allow plain http:// to a host other than this machine")
    api.add_argument("--quiet", action="store_true", help="no progress bar or summary")


def add_window_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--since", metavar="WHEN", help="created at or after WHEN: an ISO "
                        "date/time (UTC unless it says otherwise) or a span like 7d, 12h")
    parser.add_argument("--until", metavar="WHEN", help="created before WHEN (same forms)")


def fetch_kwargs(args: argparse.Namespace) -> dict[str, Any]:
    """Library keyword arguments from the shared fetch options."""
    return {
        "api_key": args.api_key, "base_url": args.base_url, "status": args.status,
        "search_key": args.search_key, "error_code": args.error_code,
        "page_size": args.page_size, "concurrency": args.concurrency,
        "since": getattr(args, "since", None), "until": getattr(args, "until", None),
        "max_runs": args.max_runs, "progress": False if args.quiet else None,
        "allow_insecure": args.allow_insecure,
    }


def check_writable(path: Path) -> None:
    """Fail early, before any fetching, when ``path`` cannot be written."""
    parent = path.parent if str(path.parent) else Path(".")
    probe = parent
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    if path.is_dir():
        raise UsageError(f"--out {path} is a directory; name a file")
    if not probe.is_dir() or not os.access(probe, os.W_OK | os.X_OK):
        raise UsageError(f"--out {path}: cannot write in {probe}")
    try:  # os.access says yes to root everywhere, even on /proc or a read-only mount
        tempfile.TemporaryFile(dir=probe).close()
    except OSError as exc:
        raise UsageError(f"--out {path}: cannot write in {probe} ({exc.strerror or exc})") \
            from None


def _say(args: argparse.Namespace, text: str) -> None:
    if not getattr(args, "quiet", False):
        print(text, file=sys.stderr)


# -- commands ----------------------------------------------------------------------

def cmd_fetch(args: argparse.Namespace) -> int:
    from datetime import datetime

    from .fetch import FetchReport, fetch_table
    from .store import write_parquet

    out = Path(args.out)
    check_writable(out)
    report = FetchReport()
    table = fetch_table(report=report, **fetch_kwargs(args))
    write_parquet(table, out, redact=not args.keep_secrets, base_url=report.base_url,
                  filters=report.filters, fetched_at=datetime.now(UTC),
                  fetch_report=report.to_dict())
    _say(args, report.describe())
    print(f"wrote {table.num_rows:,} runs to {out}")
    return EXIT_OK


def cmd_simulate(args: argparse.Namespace) -> int:
    from .simulator import Simulator, run_forever

    def ready(url: str) -> None:
        print(f"simulated Skyvern API at {url} (API key: {args.key}); Ctrl-C stops it\n"
              f"  try: SKYVERN_BASE_URL={url} SKYVERN_API_KEY={args.key} "
              "runlytics fetch --out runs.parquet", flush=True)

    sim = Simulator(n_runs=args.runs, seed=args.seed, api_key=args.key, hostile=args.hostile)
    sim.latency = args.latency_ms / 1000.0
    run_forever(args.host, args.port, on_ready=ready, live=not args.frozen, sim=sim)
    return EXIT_OK


def cmd_sync(args: argparse.Namespace) -> int:
    from .sync import sync

    kwargs = fetch_kwargs(args)
    for option, key in (("--error-code", "error_code"), ("--max-runs", "max_runs")):
        if kwargs.pop(key) is not None:
            raise UsageError(f"sync cannot keep a {option} selection up to date; use "
                             f"`runlytics fetch {option} ...` for a one-shot extract")
    kwargs.pop("since", None)
    kwargs.pop("until", None)
    report = sync(Path(args.dir), lookback=args.lookback, rescan_days=args.rescan_days,
                  redact=not args.keep_secrets, **kwargs)
    _say(args, report.summary())
    return EXIT_OK


def cmd_demo(args: argparse.Namespace) -> int:
    from .demo import run_demo

    out = Path(args.out)
    check_writable(out / "runs.parquet")
    result = run_demo(out, n_runs=args.runs, seed=args.seed,
                      progress=False if args.quiet else None)
    _say(args, result.fetch_report.describe())
    print(headline(result.summary))
    print(f"\nwrote to {out}/:\n"
          f"  {result.html.name:<14} the report (open it in a browser)\n"
          f"  {result.markdown.name:<14} the same in Markdown, plots in {result.plots.name}/\n"
          f"  {result.summary_json.name:<14} the summary for alerting\n"
          f"  {result.extract.name:<14} every run, for pandas, DuckDB or a warehouse")
    return EXIT_OK


def cmd_report(args: argparse.Namespace) -> int:
    from .fetch import FetchReport
    from .report import (
        FORMATS,
        build_report,
        check_threshold_keys,
        check_tz,
        fetch_for_report,
        format_for_path,
        load_runs,
        parse_threshold,
        write_report,
    )

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
        options = fetch_kwargs(args)
        del options["since"], options["until"]
        data = fetch_for_report(since=args.since, until=args.until, **options)
        if isinstance(data.fetch_report, FetchReport):
            _say(args, data.fetch_report.describe())
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
    return EXIT_THRESHOLD if report.breached else EXIT_OK


def headline(summary: dict[str, Any]) -> str:
    """The report's headline figures in a few lines, with their sample sizes."""
    from .units import format_seconds

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


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="runlytics", description="Fetch, analyse and report on Skyvern "
                     "workflow runs.")
    parser.add_argument("--version", action="version", version=f"runlytics {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    demo = sub.add_parser("demo", help="the whole pipeline on the simulated API",
                          description="Start the simulated Skyvern API on 127.0.0.1, fetch "
                          "every run over HTTP, and write the Parquet extract, the HTML and "
                          "Markdown reports, the plots and the JSON summary into --out. "
                          "No account needed; nothing leaves this machine.")
    demo.add_argument("--out", default="runlytics-demo", metavar="DIR",
                      help="folder for the files (default ./runlytics-demo)")
    demo.add_argument("--runs", type=_positive_int, default=20_000,
                      help="runs in the simulated 30-day history (default 20,000)")
    demo.add_argument("--seed", type=int, default=7, help="seed of the simulated history")
    demo.add_argument("--quiet", action="store_true", help="no progress bar or fetch summary")

    fetch = sub.add_parser("fetch", help="fetch runs into a Parquet file",
                           description="Fetch every matching run into one Parquet file, "
                           "written atomically and only on success. Header values and URL "
                           "credentials are redacted unless --keep-secrets.")
    fetch.add_argument("--out", required=True, metavar="FILE.parquet")
    fetch.add_argument("--keep-secrets", action="store_true",
                       help="keep header values and URL credentials in the file")
    add_fetch_options(fetch)
    add_window_options(fetch)

    sim = sub.add_parser("simulate", help="serve the simulated Skyvern API",
                         description="Serve a simulated Skyvern runs API on this machine "
                         "until Ctrl-C, for trying runlytics without an account.")
    sim.add_argument("--host", default="127.0.0.1")
    sim.add_argument("--port", type=int, default=8000)
    sim.add_argument("--runs", type=_positive_int, default=5000, help="runs in the history")
    sim.add_argument("--seed", type=int, default=7)
    sim.add_argument("--key", default="sim-key", help="the API key it accepts")
    sim.add_argument("--latency-ms", type=float, default=0.0, help="delay per request")
    sim.add_argument("--hostile", action="store_true",
                     help="put HTML, control and bidi characters in server text")
    sim.add_argument("--frozen", action="store_true",
                     help="do not follow the wall clock (no new runs, no progress)")

    sync = sub.add_parser(
        "sync", help="keep a partitioned Parquet dataset of runs up to date",
        description="Keep DIR, a Parquet dataset partitioned by created date "
        "(created_date=YYYY-MM-DD/), up to date: the first sync fetches every run, later "
        "ones only the new runs and the runs that were not final last time (runs a retry "
        "policy reopens included), plus a look-back window. Only changed partitions are "
        "rewritten, each atomically; the state file _runlytics_state.json is written "
        "last. A change to a run that had long been final is only seen by --rescan-days. "
        "--status is applied locally (every status is read); every sync of DIR must use "
        "the same filters. Header values and URL credentials are redacted unless "
        "--keep-secrets.")
    sync.add_argument("dir", metavar="DIR", help="the dataset directory (created if missing)")
    sync.add_argument("--lookback", default="15m", metavar="SPAN",
                      help="re-read runs created this long before the newest and the oldest "
                      "open run seen last time, e.g. 15m, 2h (default 15m)")
    sync.add_argument("--rescan-days", type=float, metavar="N",
                      help="also re-read the runs created in the last N days (catches "
                      "changes to runs that had long been final)")
    sync.add_argument("--keep-secrets", action="store_true",
                      help="keep header values and URL credentials in the files")
    add_fetch_options(sync)

    rep = sub.add_parser(
        "report", help="write a report: HTML for people, Markdown, or JSON for alerting",
        description="Report on the runs created in a period, compared with the period of "
        "the same length before it: headline figures with sample sizes, a table per "
        "workflow, failure categories with what is new, plots, stuck runs and how the data "
        "was fetched. Runs come from --from (a Parquet file or a dataset directory) or are "
        "fetched: from the start of the previous period, so the comparison is possible "
        "(without --since, every run, and the period is the span of the data). "
        "HTML is one self-contained file (plots embedded, no script, no network); Markdown "
        "puts its plots in NAME_files/ beside it; JSON is the summary. Server text is "
        "always escaped; header values and webhook URLs never appear. Exit 3 when a "
        "--fail-on threshold broke (the report is written anyway).",
        epilog="example (cron, Monday 07:00): runlytics report --since 7d "
        "--out weekly.html --out weekly.json --fail-on 'success_rate<0.9' "
        "--fail-on 'queue_seconds.p90>120' --fail-on 'stuck_runs>0'")
    rep.add_argument("--out", required=True, action="append", metavar="PATH",
                     help="file to write; the format follows the extension (.html, .md, "
                     ".json) unless --format; repeat to write several formats of one report")
    rep.add_argument("--format", choices=("html", "md", "json"),
                     help="format of every --out (default: from its extension, else html)")
    rep.add_argument("--from", dest="from_path", metavar="FILE_OR_DATASET",
                     help="read runs from a Parquet file (runlytics fetch) or a dataset "
                     "directory (runlytics sync) instead of fetching; its fetch time is "
                     "'now' for ages, stuck runs and spans like 7d")
    add_window_options(rep)
    rep.add_argument("--tz", default="UTC", metavar="ZONE",
                     help="time zone for dates, daily buckets and plot axes, e.g. "
                     "Europe/Paris (default UTC; the JSON stays in UTC)")
    rep.add_argument("--fail-on", action="append", metavar="EXPR",
                     help="exit 3 when EXPR holds: KEY OP NUMBER over the JSON summary, OP "
                     "one of > >= < <= == !=, e.g. 'queue_seconds.p90>120', "
                     "'success_rate<0.9', 'stuck_runs>0', 'failure_categories.PROXY_ERROR>10'"
                     "; repeatable; a null value (no data) does not break")
    add_fetch_options(rep)
    return parser


def _note(message: Warning | str, category: type[Warning], *args: Any, **kwargs: Any) -> None:
    """Warnings as one line each, without the source line Python would show."""
    print(f"runlytics: note: {message}", file=sys.stderr)


def _one_line(exc: Exception) -> str:
    """The message on one line, with control, bidi and surrogate characters (server text
    can hold them) shown as escapes instead of acting on the terminal."""
    text = " ".join(str(exc).split())
    return "".join(c if c.isprintable() else ascii(c)[1:-1] for c in text)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; return the exit code (the console script exits with it)."""
    try:
        args = build_parser().parse_args(argv)
        with warnings.catch_warnings():
            warnings.simplefilter("always", UnknownValueWarning)
            warnings.showwarning = _note
            return COMMANDS[args.command](args)
    except UsageError as exc:
        print(f"runlytics: error: {_one_line(exc)}", file=sys.stderr)
        return EXIT_USAGE
    except RunlyticsError as exc:
        print(f"runlytics: error: {_one_line(exc)}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print("runlytics: interrupted; files are written whole or not at all, so nothing "
              "partial was left", file=sys.stderr)
        return EXIT_INTERRUPTED

