"""benchmarks/run.py fails a run with a missing or malformed figure, not a missed target."""

from __future__ import annotations

import copy
import importlib.util
import math
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def bench() -> Any:
    spec = importlib.util.spec_from_file_location("bench_run", ROOT / "benchmarks" / "run.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_run"] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    yield module
    del sys.modules["bench_run"]


def summary(wall: float) -> dict[str, Any]:
    return {"wall": wall, "cpu": wall / 2, "peak_mb": 40.0, "walls": [wall],
            "cpus": [wall / 2], "peaks": [40.0]}


GOOD: dict[str, Any] = {
    "fetch": {"runs": 5000, "runlytics": summary(0.4), "httpx-loop": summary(2.0), "sdk": None,
              "limit": 0.3, "pages": 51, "requests": 53.0, "frame_mb": 12.5},
    "frame": {"runs": 50000, "runlytics": summary(0.5), "naive": summary(2.0),
              "floor": summary(0.4), "frame_mb": 60.0, "naive_frame_mb": 200.0,
              "floor_table_mb": 50.0, "json_bytes_per_run": 1800.0, "checked_batches": 0,
              "batches": 4},
    "store": {"runs": 50000, "write": summary(0.3), "read": summary(0.2), "file_bytes": 2e6,
              "json_bytes_per_run": 1800.0},
    "analysis": {"runs": 50000, "helpers": {"success_rate": summary(0.1)},
                 "report": summary(1.5)},
}
SECTIONS = ["fetch", "frame", "store", "analysis"]


def changed(path: str, value: Any) -> dict[str, Any]:
    """GOOD with the figure at ``section.key[.key]`` set to ``value`` (``...``: removed)."""
    details = copy.deepcopy(GOOD)
    *parents, last = path.split(".")
    node = details
    for key in parents:
        node = node[key]
    if value is ...:
        del node[last]
    else:
        node[last] = value
    return details


def test_good_figures_have_no_problem(bench):
    assert bench.figure_problems(GOOD, SECTIONS) == []


@pytest.mark.parametrize(("path", "value", "problem"), [
    ("fetch.limit", ..., "fetch.limit is 'missing', not a number"),
    ("fetch.requests", None, "fetch.requests is None, not a number"),
    ("frame.frame_mb", math.nan, "frame.frame_mb is nan"),
    ("frame.batches", "4", "frame.batches is '4', not a number"),
    ("store.file_bytes", True, "store.file_bytes is True, not a number"),
    ("store.read.wall", math.inf, "store.read.wall is inf"),
    ("frame.naive.cpu", ..., "frame.naive.cpu is None, not a number"),
    ("fetch.runlytics.wall", 0.0, "fetch.runlytics.wall is 0.0: a time must be above 0"),
    ("frame.floor.walls", [], "frame.floor.walls is [], not a list of samples"),
    ("store.write.peaks", [1.0, None], "store.write.peaks[1] is None, not a number"),
    ("fetch.httpx-loop", None, "fetch.httpx-loop is None, not a summary of samples"),
    ("fetch.sdk", {"wall": 1.0}, "fetch.sdk.cpu is None, not a number"),
    ("analysis.helpers", {}, "analysis.helpers is {}, not a summary per helper"),
    ("analysis.helpers.success_rate.wall", math.nan,
     "analysis.helpers.success_rate.wall is nan"),
    ("analysis.report.peak_mb", "40 MB", "analysis.report.peak_mb is '40 MB', not a number"),
    ("store", ..., "store: the section did not run (no figures)"),
])
def test_a_missing_or_malformed_figure_is_reported(bench, path, value, problem):
    assert problem in bench.figure_problems(changed(path, value), SECTIONS)


def test_only_the_sections_asked_for_are_checked(bench):
    assert bench.figure_problems({"store": GOOD["store"]}, ["store"]) == []
    assert bench.figure_problems({"store": GOOD["store"]}, ["store", "frame"]) == [
        "frame: the section did not run (no figures)"]


def run_of(bench, details: dict[str, Any], rows: list[Any] | None = None) -> Any:
    return bench.Run(bench.QUICK, rows=rows or [], details=details)


def test_exit_status_fails_on_a_bad_figure_and_says_which(bench):
    run = run_of(bench, changed("frame.frame_mb", math.nan))
    assert bench.exit_status(run, SECTIONS) == 1
    assert run.failed == ["figure frame.frame_mb is nan"]
    assert "FAILED figure frame.frame_mb is nan" in bench.notes(run)


def test_a_failed_section_is_not_reported_twice(bench):
    run = run_of(bench, changed("fetch", ...))
    run.failed.append("fetch runlytics: got 4,900 runs, expected 5,000")
    assert bench.exit_status(run, SECTIONS) == 1
    assert run.failed == ["fetch runlytics: got 4,900 runs, expected 5,000"]


def test_a_missed_target_is_printed_but_does_not_fail_the_run(bench):
    row = bench.at_least(bench.Row("frame 50,000 runs: vs naive", "0.90 s · 55.6k rows/s",
                                   "1.80 s · 27.8k rows/s", "2.00x faster"),
                         2.0, 3, "CPU seconds: runlytics 0.90, naive 1.80")
    run = run_of(bench, copy.deepcopy(GOOD), [row])
    assert bench.exit_status(run, SECTIONS) == 0
    assert run.failed == []
    assert bench.notes(run) == ["MISSED frame 50,000 runs: vs naive: 2.00x against ≥ 3x: "
                                "33% short. CPU seconds: runlytics 0.90, naive 1.80"]


@pytest.mark.parametrize(("runlytics", "ratio", "problem"), [
    ("0.90 s · nan rows/s", "2.00x", "'0.90 s · nan rows/s' is not a figure"),
    ("0.90 s", "infx faster", "'infx faster' is not a figure"),
    ("—", "—", "no figure for runlytics ('—')"),
])
def test_a_row_without_a_figure_fails_the_run(bench, runlytics, ratio, problem):
    row = bench.Row("Parquet read 50,000 runs", runlytics, "—", ratio)
    run = run_of(bench, copy.deepcopy(GOOD), [row])
    assert bench.exit_status(run, SECTIONS) == 1
    assert run.failed == [f"figure row 'Parquet read 50,000 runs': {problem}"]


def store_result(wall: float) -> dict[str, Any]:
    timing = {"wall": [wall], "cpu": [wall], "peak_mb": [30.0]}
    return {"write": timing, "read": timing, "file_bytes": 2_000_000, "rows": 50_000,
            "json_bytes_per_run": 1800.0}


@pytest.mark.parametrize(("wall", "status", "line"), [
    (0.25, 0, "| Parquet read 50,000 runs (read_frame) | 0.25 s · 200.0k rows/s | — | — | — | — |"),
    (math.nan, 1, "FAILED figure store.write.wall is nan"),
])
def test_main_exits_1_when_a_measurement_gives_no_figure(bench, monkeypatch, capsys, wall,
                                                         status, line):
    monkeypatch.setattr(bench, "work", lambda args, plan, env: store_result(wall))
    monkeypatch.setattr(bench, "save_template", lambda path: path)  # no data needed
    assert bench.main(["--quick", "--no-write", "--only", "store"]) == status
    assert line in capsys.readouterr().out.splitlines()
