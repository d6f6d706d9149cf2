"""What the commands share: exit codes, the parser class, fetch and window options."""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

from ..errors import UsageError

EXIT_OK, EXIT_ERROR, EXIT_USAGE, EXIT_THRESHOLD, EXIT_INTERRUPTED = 0, 1, 2, 3, 130
#: A --notify target could not be reached (the report is written anyway).
EXIT_NOTIFY = 4


class Parser(argparse.ArgumentParser):
    """argparse that raises UsageError instead of printing usage and exiting."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(message)


def positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be >= 1, got {value}")
    return value


def add_fetch_options(parser: argparse.ArgumentParser) -> None:
    """The options every command that talks to the API shares."""
    from ..client import DEFAULT_CONCURRENCY
    from ..query import DEFAULT_PAGE_SIZE

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
    api.add_argument("--page-size", type=positive_int, default=DEFAULT_PAGE_SIZE,
                     metavar="N", help=f"runs per request (default {DEFAULT_PAGE_SIZE})")
    api.add_argument("--concurrency", type=positive_int, default=DEFAULT_CONCURRENCY,
                     metavar="N", help=f"requests in flight (default {DEFAULT_CONCURRENCY})")
    api.add_argument("--max-runs", type=positive_int, metavar="N",
                     help="stop after the newest N runs")
    api.add_argument("--allow-insecure", action="store_true",
                     help="allow plain http:// to a host other than this machine")
    api.add_argument("--quiet", action="store_true", help="no progress bar or summary")


def add_window_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--since", metavar="WHEN", help="created at or after WHEN: an ISO "
                        "date/time (UTC unless it says otherwise) or a span like 7d, 12h")
    parser.add_argument("--until", metavar="WHEN", help="created before WHEN (same forms)")


def fetch_objects(args: argparse.Namespace, *, window: bool = True) -> tuple[Any, Any]:
    """The :class:`~runlytics.query.RunQuery` and :class:`~runlytics.Client` of the options."""
    from ..fetch import Client
    from ..query import RunQuery

    query = RunQuery(status=args.status, search_key=args.search_key,
                     error_code=args.error_code, page_size=args.page_size,
                     max_runs=args.max_runs,
                     since=getattr(args, "since", None) if window else None,
                     until=getattr(args, "until", None) if window else None)
    client = Client(api_key=args.api_key, base_url=args.base_url,
                    concurrency=args.concurrency, allow_insecure=args.allow_insecure,
                    progress=False if args.quiet else None)
    return query, client


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


def say(args: argparse.Namespace, text: str) -> None:
    if not getattr(args, "quiet", False):
        print(text, file=sys.stderr)
