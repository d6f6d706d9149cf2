"""Reports on a runs frame: HTML for people, Markdown for chat, JSON for alerts.

:func:`build_report` takes a runs frame and a period and gathers every figure
from :mod:`runlytics.analysis` (the JSON summary, tables, comparison with the
previous period, thresholds). :func:`runlytics.report.sections.document`
turns it into format-neutral sections once, and :func:`write_report`
renders them:

* ``html``: one self-contained file, plots embedded as PNG data URIs, no
  script and no network (a Content-Security-Policy says so too);
* ``md``: the same sections, images in ``<name>_files/`` beside the file;
* ``json``: the summary, for a job to alert on.

Server text (titles, failure reasons, categories, ids) is always escaped:
see :mod:`runlytics.report.text`. Secrets never appear: no header values, no
webhook URLs, and the API base URL is redacted. Reading files and fetching
for a report is :mod:`runlytics.inputs`, one tier up.

Example:
    >>> from runlytics import empty_frame
    >>> report = build_report(empty_frame(), since="2026-01-08", until="2026-01-15",
    ...                       fail_on=["success_rate<0.9"])
    >>> [r.describe() for r in report.thresholds]
    ['success_rate<0.9 (success_rate is null: no data, not checked)']
"""

import importlib
from typing import Any

from .._deprecation import deprecated
from .build import DEFAULT_TITLE, Report, build_report
from .figures import PlotImage
from .html import render_html
from .markdown import render_markdown
from .output import FORMATS, assets_dir, format_for_path, write_report
from .period import Period, check_tz
from .template import check_threshold_keys, summary_template
from .thresholds import Threshold, ThresholdResult, evaluate_thresholds, parse_threshold

__all__ = [
    "DEFAULT_TITLE",
    "FORMATS",
    "Period",
    "PlotImage",
    "Report",
    "Threshold",
    "ThresholdResult",
    "assets_dir",
    "build_report",
    "check_threshold_keys",
    "check_tz",
    "evaluate_thresholds",
    "format_for_path",
    "parse_threshold",
    "render_html",
    "render_markdown",
    "summary_template",
    "write_report",
]

#: Moved up to runlytics.inputs (report inputs do I/O; the report tier does not).
_MOVED = ("ReportInput", "fetch_for_report", "load_runs")


def __getattr__(name: str) -> Any:
    if name in _MOVED:
        # Imported by name at use: the report tier must not import the tier above it.
        inputs = importlib.import_module("runlytics.inputs")
        return deprecated(f"runlytics.report.{name}", f"runlytics.inputs.{name}",
                          getattr(inputs, name))
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
