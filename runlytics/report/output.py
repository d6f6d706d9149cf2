"""Write a report to a file, atomically: a temporary file beside it, then a rename."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from ..errors import StoreError, UsageError
from .build import Report
from .html import render_html
from .markdown import render_markdown

__all__ = ["FORMATS", "assets_dir", "format_for_path", "write_report"]

FORMATS = ("html", "md", "json")
_SUFFIXES = {".html": "html", ".htm": "html", ".md": "md", ".markdown": "md", ".json": "json"}


def format_for_path(path: str | os.PathLike[str], default: str = "html") -> str:
    """The format a file name asks for: ``.html``/``.htm``, ``.md``, ``.json``; else ``default``.

    Example:
        >>> format_for_path("weekly.json")
        'json'
    """
    return _SUFFIXES.get(Path(path).suffix.lower(), default)


def assets_dir(path: str | os.PathLike[str]) -> Path:
    """The folder a Markdown report's images go in: ``report.md`` -> ``report_files/``."""
    target = Path(path)
    return target.with_name(f"{target.stem}_files")


def _atomic_write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.chmod(tmp_name, 0o644)
        os.replace(tmp_name, path)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise


def write_report(report: Report, out: str | os.PathLike[str], fmt: str | None = None) -> Path:
    """Write ``report`` to ``out`` as HTML, Markdown or JSON; return the path written.

    The file appears whole or not at all (temporary file + rename). Markdown
    images go to :func:`assets_dir` beside it, each written the same way,
    before the Markdown that links them.

    Args:
        report: from :func:`runlytics.report.build_report`.
        out: the file to write (its folder is created).
        fmt: ``"html"``, ``"md"`` or ``"json"``; None: from the file name
            (:func:`format_for_path`).

    Raises:
        UsageError: an unknown format.
        StoreError: the file cannot be written.

    Example:
        >>> import tempfile
        >>> from pathlib import Path
        >>> from runlytics import empty_frame
        >>> from runlytics.report import build_report
        >>> report = build_report(empty_frame(), since="2026-01-08", until="2026-01-15")
        >>> folder = Path(tempfile.mkdtemp())
        >>> write_report(report, folder / "weekly.md").name
        'weekly.md'
        >>> sorted(p.name for p in folder.iterdir())
        ['weekly.md', 'weekly_files']
    """
    target = Path(out)
    fmt = fmt or format_for_path(target)
    if fmt not in FORMATS:
        raise UsageError(f"--format must be one of {', '.join(FORMATS)}, got {fmt!r}")
    try:
        if fmt == "json":
            _atomic_write(target, report.to_json().encode("utf-8"))
        elif fmt == "html":
            _atomic_write(target, render_html(report).encode("utf-8"))
        else:
            folder = assets_dir(target)
            text, files = render_markdown(report, folder.name)
            for name, data in files.items():
                _atomic_write(folder / name, data)
            _atomic_write(target, text.encode("utf-8"))
    except OSError as exc:
        raise StoreError(f"cannot write {target}: {exc.strerror or exc}") from None
    return target
