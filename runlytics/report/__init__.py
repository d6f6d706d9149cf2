"""Reports on a runs frame: HTML for people, Markdown for chat, JSON for alerts.

:func:`build_report` takes a runs frame and a period and gathers every figure
from :mod:`runlytics.analysis` (the JSON summary, tables, comparison with the
previous period, thresholds); :func:`write_report` renders it:

* ``html``: one self-contained file, plots embedded as PNG data URIs, no
  script and no network (a Content-Security-Policy says so too);
* ``md``: the same content, images in ``<name>_files/`` beside the file;
* ``json``: the summary, for a job to alert on.

Server text (titles, failure reasons, categories, ids) is always escaped:
see :mod:`runlytics.report.text`. Secrets never appear: no header values, no
webhook URLs, and the API base URL is redacted.

Example:
    >>> from runlytics.report import build_report, write_report
    >>> report = build_report(runs, since="7d", fail_on=["success_rate<0.9"])  # doctest: +SKIP
    >>> write_report(report, "weekly.html")  # doctest: +SKIP
    >>> [r.describe() for r in report.breached]  # doctest: +SKIP
"""

from .build import (
    DEFAULT_TITLE,
    Period,
    PlotImage,
    Report,
    build_report,
    check_tz,
    summary_template,
)
from .html import render_html
from .markdown import render_markdown
from .output import FORMATS, assets_dir, format_for_path, write_report
from .sources import ReportInput, fetch_for_report, load_runs
from .thresholds import (
    Threshold,
    ThresholdResult,
    check_threshold_keys,
    evaluate_thresholds,
    parse_threshold,
)

__all__ = [
    "DEFAULT_TITLE",
    "FORMATS",
    "Period",
    "PlotImage",
    "Report",
    "ReportInput",
    "Threshold",
    "ThresholdResult",
    "assets_dir",
    "build_report",
    "check_threshold_keys",
    "check_tz",
    "evaluate_thresholds",
    "fetch_for_report",
    "format_for_path",
    "load_runs",
    "parse_threshold",
    "render_html",
    "render_markdown",
    "summary_template",
    "write_report",
]
