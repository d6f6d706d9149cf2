"""The ``runlytics`` command's entry point: Ctrl-C while it loads is not a crash.

The CLI imports pandas, pyarrow and httpx, which takes most of a second; an
interrupt then would show a traceback. Here nothing heavy is loaded yet.
"""

from __future__ import annotations

import sys

EXIT_INTERRUPTED = 130


def run() -> int:
    """Load the CLI and run it; exit 130 on Ctrl-C at any point."""
    try:
        from .cli import main
    except KeyboardInterrupt:
        print("runlytics: interrupted while starting; nothing was done", file=sys.stderr)
        return EXIT_INTERRUPTED
    return main()
