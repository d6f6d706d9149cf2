"""The ``runlytics`` command: thin commands over the library.

Exit codes: 0 success, 1 an API, network, data or file error, 2 a usage error
(bad option value), 3 a report whose ``--fail-on`` threshold broke, 130
interrupted. Expected failures print one line on stderr, never a traceback.
"""

from __future__ import annotations

import sys
import warnings
from collections.abc import Sequence
from typing import Any

from ..errors import RunlyticsError, UsageError
from ..frame import UnknownValueWarning
from .commands import COMMANDS
from .options import EXIT_ERROR, EXIT_INTERRUPTED, EXIT_USAGE
from .parser import build_parser

__all__ = ["main"]


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
