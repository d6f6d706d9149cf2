"""The command line's grammar: one function per command."""

from __future__ import annotations

import argparse
from typing import Any

from .._version import __version__
from .options import Parser, add_fetch_options, add_window_options, positive_int


def _add_demo_command(sub: Any) -> None:
    demo = sub.add_parser("demo", help="the whole pipeline on the simulated API",
                          description="Start the simulated Skyvern API on 127.0.0.1, fetch "
                          "every run over HTTP, and write the Parquet extract, the HTML and "
                          "Markdown reports, the plots and the JSON summary into --out. "
                          "No account needed; nothing leaves this machine.")
    demo.add_argument("--out", default="runlytics-demo", metavar="DIR",
                      help="folder for the files (default ./runlytics-demo)")
    demo.add_argument("--runs", type=positive_int, default=20_000,
                      help="runs in the simulated 30-day history (default 20,000)")
    demo.add_argument("--seed", type=int, default=7, help="seed of the simulated history")
    demo.add_argument("--quiet", action="store_true", help="no progress bar or fetch summary")


def _add_fetch_command(sub: Any) -> None:
    fetch = sub.add_parser("fetch", help="fetch runs into a Parquet file",
                           description="Fetch every matching run into one Parquet file, "
                           "written atomically and only on success. Header values and URL "
                           "credentials are redacted unless --keep-secrets.")
    fetch.add_argument("--out", required=True, metavar="FILE.parquet")
    fetch.add_argument("--keep-secrets", action="store_true",
                       help="keep header values and URL credentials in the file")
    add_fetch_options(fetch)
    add_window_options(fetch)


def _share(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0 <= value <= 1:
        raise argparse.ArgumentTypeError(f"must be a share within 0..1, got {text!r}")
    return value


def _add_simulate_command(sub: Any) -> None:
    sim = sub.add_parser("simulate", help="serve the simulated Skyvern API",
                         description="Serve a simulated Skyvern runs API on this machine "
                         "until Ctrl-C, for trying runlytics without an account.")
    sim.add_argument("--host", default="127.0.0.1")
    sim.add_argument("--port", type=int, default=8000)
    sim.add_argument("--runs", type=positive_int, default=5000, help="runs in the history")
    sim.add_argument("--seed", type=int, default=7)
    sim.add_argument("--key", default="sim-key", help="the API key it accepts")
    sim.add_argument("--latency-ms", type=float, default=0.0, help="delay per request")
    sim.add_argument("--hostile", action="store_true",
                     help="put HTML, control and bidi characters in server text")
    sim.add_argument("--frozen", action="store_true",
                     help="do not follow the wall clock (no new runs, no progress)")
    sim.add_argument("--real-server-cost", action="store_true",
                     help="answer as slowly as the real server at depth: 10 ms + 0.82 us per "
                     "row skipped, 54 us per row built, 4 database slots, 503 at 65,000 rows")
    sim.add_argument("--server-errors", type=_share, default=0.0, metavar="RATE",
                     help="with --real-server-cost: share of requests answered 500")


def _add_sync_command(sub: Any) -> None:
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


def _add_report_command(sub: Any) -> None:
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
    rep.add_argument("--notify", action="append", metavar="TARGET",
                     help="post the alert to TARGET: slack:URL (incoming webhook), teams:URL "
                     "(Workflows webhook), json:URL, or a bare https://hooks.slack.com/... URL; "
                     "repeatable. Exit 4 when a target cannot be reached (report written)")
    rep.add_argument("--notify-on", choices=("breach", "always", "change"), default="breach",
                     help="breach (default): a threshold broke or a significant change was "
                     "found; always: every report (to test a target); change: only when "
                     "what broke differs from the last post")
    rep.add_argument("--alert-state", metavar="FILE",
                     help="remember what was posted: the same breach is not posted again "
                     "within --renotify-after, and a cleared one gets one 'resolved' message")
    rep.add_argument("--renotify-after", default="6h", metavar="SPAN",
                     help="post the same breach again after SPAN (default 6h)")
    rep.add_argument("--report-url", metavar="URL",
                     help="where the HTML report is served; the message links to it")
    rep.add_argument("--fail-on", action="append", metavar="EXPR",
                     help="exit 3 when EXPR holds: KEY OP NUMBER over the JSON summary, OP "
                     "one of > >= < <= == !=, e.g. 'queue_seconds.p90>120', "
                     "'success_rate<0.9', 'stuck_runs>0', 'failure_categories.PROXY_ERROR>10'"
                     "; repeatable; a null value (no data) does not break")
    add_fetch_options(rep)


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(prog="runlytics", description="Fetch, analyse and report on Skyvern "
                     "workflow runs.")
    parser.add_argument("--version", action="version", version=f"runlytics {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=Parser)

    _add_demo_command(sub)
    _add_fetch_command(sub)
    _add_simulate_command(sub)
    _add_sync_command(sub)
    _add_report_command(sub)
    return parser
