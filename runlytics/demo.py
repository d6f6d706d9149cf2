"""The demo: the whole pipeline against the simulated API, on this machine.

It starts the simulated Skyvern API on 127.0.0.1, fetches every run through
the real client over HTTP, writes the Parquet extract, and renders the report
(HTML, Markdown with its plots as PNG files, and the JSON summary) for the last
seven days against the seven before. Nothing leaves the machine; no account is
needed.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from .fetch import Client, FetchReport
from .frame import table_to_frame
from .query import RunQuery
from .report import assets_dir, build_report, write_report
from .simulator import Simulator, serve
from .store import write_parquet

__all__ = ["DEFAULT_DEMO_DIR", "DEFAULT_DEMO_RUNS", "DemoResult", "run_demo"]

DEFAULT_DEMO_DIR = "runlytics-demo"
DEFAULT_DEMO_RUNS = 20_000
DEMO_PERIOD = "7d"


@dataclass
class DemoResult:
    """What the demo made: file paths, the JSON summary and the fetch report."""

    extract: Path
    html: Path
    markdown: Path
    plots: Path
    summary_json: Path
    summary: dict[str, Any]
    fetch_report: FetchReport


def run_demo(out_dir: str | os.PathLike[str] = DEFAULT_DEMO_DIR, *,
             n_runs: int = DEFAULT_DEMO_RUNS, seed: int = 7,
             progress: bool | None = None) -> DemoResult:
    """Simulate, fetch over HTTP, write the extract and the reports into ``out_dir``.

    Args:
        out_dir: the folder for the files (created).
        n_runs: runs in the simulated 30-day history.
        seed: the simulated history's seed (same seed, same runs).
        progress: the fetch's progress bar (default: when stderr is a terminal).

    Returns:
        A :class:`DemoResult`.

    Example:
        >>> import tempfile
        >>> out = Path(tempfile.mkdtemp())
        >>> result = run_demo(out / "demo", n_runs=500, progress=False)
        >>> result.html.relative_to(out), result.fetch_report.runs
        (PosixPath('demo/report.html'), 500)
    """
    out = Path(out_dir)
    now = pd.Timestamp.now(tz="UTC").floor("s")
    sim = Simulator(n_runs=n_runs, seed=seed, now=now.to_pydatetime())
    with serve(sim) as url:
        table, report = Client(api_key=sim.api_key, base_url=url,
                               progress=progress).fetch(RunQuery())
    extract = write_parquet(table, out / "runs.parquet", base_url=report.base_url,
                            filters=report.filters, fetched_at=datetime.now(UTC),
                            fetch_report=report.to_dict())
    runs = table_to_frame(table, warn_unknown=False)
    built = build_report(runs, since=DEMO_PERIOD, now=now, fetch_report=report,
                         source=f"simulated Skyvern API ({n_runs:,} runs, seed {seed})")
    markdown = write_report(built, out / "report.md", "md")
    return DemoResult(
        extract=extract,
        html=write_report(built, out / "report.html", "html"),
        markdown=markdown,
        plots=assets_dir(markdown),
        summary_json=write_report(built, out / "summary.json", "json"),
        summary=built.summary,
        fetch_report=report,
    )
