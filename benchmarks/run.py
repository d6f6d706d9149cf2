"""runlytics side by side with what users write without it, measured in one run.

Every row of the table is a ratio between contenders measured in the same
run, on this machine, against the simulator on loopback (served from its own
process, so its CPU never shares the clients' GIL). Each contender runs in a
fresh process per round (see ``benchmarks/measure.py``); rounds interleave the
contenders, so load from other work on the machine hits them alike; figures
are medians over the rounds, peak memory the highest round.

Usage::

    python benchmarks/run.py              # full: several minutes, writes benchmarks/results.md
    python benchmarks/run.py --quick      # smoke run for CI: small sizes, one round, < 60 s
    python benchmarks/run.py --no-write   # print the table only
    python benchmarks/run.py --only frame,store --rounds 5

Exit status: 0 when every measurement ran and gave its figures (targets
missed or not: the table says, and a ``MISSED`` line says by how much; wall
times on a shared machine are noisy), 1 when a runlytics measurement or a
required baseline failed, a section did not run, or a figure is missing or
malformed (None, NaN, not a number; see :func:`figure_problems`). The SDK
row and the report row are skipped, with the reason printed, when the
``skyvern`` package or :mod:`runlytics.report` is not available.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import importlib.util
import json
import math
import numbers
import os
import platform
import re
import select
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import traceback
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

from data import TEMPLATE_ENV, save_template  # noqa: E402

from runlytics.client import DEFAULT_CONCURRENCY, DEFAULT_PAGE_SIZE  # noqa: E402

RESULTS = HERE / "results.md"
MEASURE = HERE / "measure.py"
LATENCY = 0.02
SECTIONS = ("fetch", "frame", "store", "analysis", "depth")


@dataclass(frozen=True)
class Plan:
    """Sizes and rounds of one benchmark run."""

    name: str
    fetch_runs: int
    frame_runs: int
    store_runs: int
    analysis_runs: int
    rounds: int
    repeat: int  # timings inside one process (store, analysis)
    timeout: float  # seconds per worker process
    in_process: bool = False  # measure in this process: no fresh process per contender
    depth_runs: int = 200_000  # the fetch at depth against the real server's cost model
    depth_scale: float = 1.0  # its OFFSET cost per row, times this (a short list made deep)


FULL = Plan("full", 50_000, 1_000_000, 1_000_000, 1_000_000, rounds=3, repeat=3, timeout=1800)
# A smoke run: every code path once, in this process (a fresh process per
# contender would cost more than the measurements), so its peaks are rougher.
QUICK = Plan("quick", 5_000, 50_000, 50_000, 50_000, rounds=1, repeat=1, timeout=120,
             in_process=True, depth_runs=5_000, depth_scale=40.0)


@dataclass
class Row:
    """One line of the table: runlytics against a baseline, and the target."""

    measurement: str
    runlytics: str
    baseline: str
    ratio: str
    target: str = "—"
    met: str = "—"
    miss: str = ""  # by how much, and what the figures say about why


@dataclass
class Run:
    """Everything one benchmark run measured."""

    plan: Plan
    rows: list[Row] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)
    skipped: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)


class WorkerError(RuntimeError):
    """A measurement process failed; the message says why."""


# -- running workers -------------------------------------------------------------


def say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def work(args: Sequence[str], plan: Plan, env: dict[str, str]) -> dict[str, Any]:
    """Run one ``measure.py`` task in a fresh process (or here, for a quick run); its result."""
    if plan.in_process:
        import measure

        try:
            return measure.run_task(list(args))
        except Exception as exc:
            raise WorkerError(f"`measure.py {' '.join(args)}` failed: "
                              f"{type(exc).__name__}: {exc}") from exc
    timeout = plan.timeout
    command = [sys.executable, str(MEASURE), *args]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, env=env,
                              check=False)
    except subprocess.TimeoutExpired:
        raise WorkerError(f"`measure.py {' '.join(args)}` took longer than {timeout:.0f} s") \
            from None
    lines = done.stdout.strip().splitlines()
    if done.returncode != 0 or not lines:
        tail = (done.stderr.strip().splitlines() or ["(no output)"])[-1]
        raise WorkerError(f"`measure.py {' '.join(args)}` exited {done.returncode}: {tail}")
    return json.loads(lines[-1])


class Server:
    """The simulator in its own process, frozen, answering after ``latency`` seconds."""

    def __init__(self, runs: int, latency: float, env: dict[str, str], log: Path) -> None:
        self.log_path = log
        self.log = log.open("w")
        self.proc = subprocess.Popen(
            [sys.executable, str(MEASURE), "serve", "--runs", str(runs), "--latency",
             str(latency)], stdout=subprocess.PIPE, stderr=self.log, text=True, env=env)
        self._url = ""

    @property
    def url(self) -> str:
        """The base URL, once the server listens (waits for it the first time)."""
        if not self._url:
            assert self.proc.stdout is not None
            ready, _, _ = select.select([self.proc.stdout], [], [], 120)
            line = self.proc.stdout.readline().strip() if ready else ""
            if not line.startswith("http"):
                self.stop()
                raise WorkerError("the simulator did not start: "
                                  f"{self.log_path.read_text()[-300:]!r}")
            self._url = line
        return self._url

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


# -- figures ----------------------------------------------------------------------


def median(values: Sequence[float]) -> float:
    return statistics.median(values)


def rounds_of(results: list[dict[str, Any]], key: str = "wall") -> list[float]:
    return [value for result in results for value in result[key]]


def summary(results: list[dict[str, Any]]) -> dict[str, Any]:
    """Median wall and CPU seconds, highest peak MB, and every sample."""
    return {"wall": median(rounds_of(results)), "cpu": median(rounds_of(results, "cpu")),
            "peak_mb": max(rounds_of(results, "peak_mb")),
            "walls": rounds_of(results), "cpus": rounds_of(results, "cpu"),
            "peaks": rounds_of(results, "peak_mb")}


def secs(value: float) -> str:
    return f"{value:.2f} s" if value < 10 else f"{value:.1f} s"


def rate(n: float, seconds: float, unit: str = "runs/s") -> str:
    per = n / seconds
    text = f"{per / 1e6:.2f}M" if per >= 1e6 else f"{per / 1e3:.1f}k" if per >= 1e3 \
        else f"{per:.0f}"
    return f"{text} {unit}"


def mb(value: float) -> str:
    return f"{value:,.0f} MB" if value >= 10 else f"{value:.1f} MB"


def times(ratio: float, target: float | None = None, suffix: str = "") -> str:
    """``2.31x``; with as many decimals as it takes not to look equal to ``target``."""
    digits = 2
    while target is not None and digits < 5 and ratio != target and \
            round(ratio, digits) == target:
        digits += 1
    return f"{ratio:.{digits}f}x{suffix}"


def percent(share: float) -> str:
    return f"{share:.0%}" if abs(share) >= 0.01 else f"{share:.1%}"


def at_least(row: Row, ratio: float, target: float, why: str) -> Row:
    """Fill target and met for 'bigger is better' (a speed-up)."""
    row.target = f"≥ {target:g}x"
    row.met = "yes" if ratio >= target else "no"
    if ratio < target:
        row.miss = (f"{times(ratio, target)} against ≥ {target:g}x: "
                    f"{percent(1 - ratio / target)} short. {why}")
    return row


def at_most(row: Row, ratio: float, target: float, why: str, strict: bool = False) -> Row:
    """Fill target and met for 'smaller is better' (a share of a floor or a limit)."""
    row.target = f"{'<' if strict else '≤'} {target:g}x"
    ok = ratio < target if strict else ratio <= target
    row.met = "yes" if ok else "no"
    if not ok:
        row.miss = (f"{times(ratio, target)} against {row.target}: "
                    f"{percent(ratio / target - 1)} over. {why}")
    return row


# -- sections -----------------------------------------------------------------------


def bench_fetch(run: Run, env: dict[str, str], server: Server | None) -> None:
    plan = run.plan
    n = plan.fetch_runs
    assert server is not None
    contenders = ["runlytics", "httpx-loop"]
    if importlib.util.find_spec("skyvern") is None:
        run.skipped.append("fetch with the official SDK: the `skyvern` package is not "
                           "installed (pip install -e '.[bench]')")
    else:
        contenders.append("sdk")
    results: dict[str, list[dict[str, Any]]] = {c: [] for c in contenders}
    errors: dict[str, str] = {}
    try:
        _ = server.url  # waits until it listens
    except WorkerError as exc:
        run.failed.append(f"fetch: {exc}")
        return
    try:
        for round_ in range(plan.rounds):
            for contender in contenders:
                if contender in errors:
                    continue
                try:
                    result = work(["fetch", contender, "--url", server.url], plan, env)
                except WorkerError as exc:
                    errors[contender] = str(exc)
                    continue
                if result["runs"] != n:
                    errors[contender] = f"got {result['runs']:,} runs, expected {n:,}"
                    continue
                results[contender].append(result)
                say(f"fetch round {round_ + 1}/{plan.rounds} {contender}: "
                    f"{secs(result['wall'][0])}, {mb(result['peak_mb'][0])}")
    finally:
        server.stop()  # before the other sections, so it takes no memory or CPU from them

    if "sdk" in errors:
        run.skipped.append(f"fetch with the official SDK failed, row skipped: {errors.pop('sdk')}")
    for contender, message in errors.items():
        run.failed.append(f"fetch {contender}: {message}")
    if "runlytics" in errors or "httpx-loop" in errors:
        return
    rl, loop = summary(results["runlytics"]), summary(results["httpx-loop"])
    sdk = summary(results["sdk"]) if results.get("sdk") else None
    pages = -(-n // DEFAULT_PAGE_SIZE) + 1  # data pages and the empty page that ends the list
    limit = pages * LATENCY / DEFAULT_CONCURRENCY
    requests = median([r["requests"] for r in results["runlytics"]])
    run.details["fetch"] = {"runs": n, "runlytics": rl, "httpx-loop": loop, "sdk": sdk,
                            "limit": limit, "pages": pages, "requests": requests,
                            "frame_mb": results["runlytics"][0]["frame_mb"]}
    label = f"fetch {n:,} runs @ {LATENCY * 1000:.0f} ms"
    cell = f"{secs(rl['wall'])} · {rate(n, rl['wall'])}"
    cpu_note = (f"runlytics used {rl['cpu']:.2f} s of client CPU "
                f"({rl['cpu'] / requests * 1000:.1f} ms per request, {requests:.0f} requests)")
    speedup = loop["wall"] / rl["wall"]
    run.rows.append(at_least(
        Row(f"{label}: vs sequential httpx loop", cell,
            f"{secs(loop['wall'])} · {rate(n, loop['wall'])}", times(speedup, 3, " faster")),
        speedup, 3, cpu_note))
    if sdk is not None:
        speedup = sdk["wall"] / rl["wall"]
        run.rows.append(at_least(
            Row(f"{label}: vs official SDK loop", cell,
                f"{secs(sdk['wall'])} · {rate(n, sdk['wall'])}", times(speedup, 3, " faster")),
            speedup, 3, cpu_note))
    share = rl["wall"] / limit
    run.rows.append(at_most(
        Row(f"{label}: vs limit pages × latency / concurrency "
            f"({pages} × {LATENCY * 1000:.0f} ms / {DEFAULT_CONCURRENCY})",
            secs(rl["wall"]), f"{secs(limit)}", times(share, 1.3, " the limit")),
        share, 1.3, cpu_note + f"; {max(0.0, rl['wall'] - limit):.2f} s above the limit"))
    others = [f"loop {mb(loop['peak_mb'])}"] + ([f"SDK {mb(sdk['peak_mb'])}"] if sdk else [])
    ratios = [f"{rl['peak_mb'] / loop['peak_mb']:.1f}x"] + (
        [f"{rl['peak_mb'] / sdk['peak_mb']:.1f}x"] if sdk else [])
    run.rows.append(Row(f"{label}: peak memory", mb(rl["peak_mb"]), " · ".join(others),
                        " · ".join(ratios) + " (runlytics / baseline)"))


def bench_frame(run: Run, env: dict[str, str]) -> None:
    plan = run.plan
    n = plan.frame_runs
    results: dict[str, list[dict[str, Any]]] = {"runlytics": [], "naive": [], "floor": []}
    errors: dict[str, str] = {}
    for round_ in range(plan.rounds):
        for contender in results:
            if contender in errors:
                continue
            try:
                result = work(["frame", contender, "--runs", str(n)], plan, env)
            except WorkerError as exc:
                errors[contender] = str(exc)
                continue
            results[contender].append(result)
            say(f"frame round {round_ + 1}/{plan.rounds} {contender}: "
                f"{secs(result['wall'][0])}, {mb(result['peak_mb'][0])}")
    for contender, message in errors.items():
        run.failed.append(f"frame {contender}: {message}")
    if errors:
        return
    rl, naive, floor = (summary(results[c]) for c in ("runlytics", "naive", "floor"))
    first = results["runlytics"][0]
    frame_mb, naive_mb = first["frame_mb"], results["naive"][0]["frame_mb"]
    checked = max(r["checked_batches"] for r in results["runlytics"])
    run.details["frame"] = {"runs": n, "runlytics": rl, "naive": naive, "floor": floor,
                            "frame_mb": frame_mb, "naive_frame_mb": naive_mb,
                            "floor_table_mb": results["floor"][0]["table_mb"],
                            "json_bytes_per_run": first["json_bytes_per_run"],
                            "checked_batches": checked, "batches": first["batches"]}
    label = f"frame {n:,} runs"
    cell = f"{secs(rl['wall'])} · {rate(n, rl['wall'], 'rows/s')}"
    speedup = naive["wall"] / rl["wall"]
    run.rows.append(at_least(
        Row(f"{label}: vs naive json.loads + pd.DataFrame + to_datetime", cell,
            f"{secs(naive['wall'])} · {rate(n, naive['wall'], 'rows/s')}",
            times(speedup, 3, " faster")),
        speedup, 3, f"CPU seconds: runlytics {rl['cpu']:.2f}, naive {naive['cpu']:.2f}"))
    share = rl["wall"] / floor["wall"]
    why = (f"CPU seconds: runlytics {rl['cpu']:.2f}, raw parse {floor['cpu']:.2f}; "
           f"{checked} of {first['batches']} batches went through the checking path")
    run.rows.append(at_most(
        Row(f"{label}: vs pyarrow.json.read_json on NDJSON (floor)", cell,
            f"{secs(floor['wall'])} · {rate(n, floor['wall'], 'rows/s')}",
            times(share, 1.5, " the floor")),
        share, 1.5, why))
    over = rl["peak_mb"] / frame_mb
    run.rows.append(at_most(
        Row(f"{label}: peak memory vs the final frame", mb(rl["peak_mb"]),
            f"frame {mb(frame_mb)}", times(over, 2, " the frame")),
        over, 2, f"input pages ({mb(first['json_bytes_per_run'] * n / 2**20)}) not counted",
        strict=True))
    run.rows.append(Row(f"{label}: peak memory vs naive", mb(rl["peak_mb"]),
                        f"naive {mb(naive['peak_mb'])}",
                        f"{rl['peak_mb'] / naive['peak_mb']:.2f}x (runlytics / naive)"))


def bench_store(run: Run, env: dict[str, str]) -> None:
    plan = run.plan
    n = plan.store_runs
    try:
        result = work(["store", "--runs", str(n), "--repeat", str(plan.repeat)], plan, env)
    except WorkerError as exc:
        run.failed.append(f"store: {exc}")
        return
    write, read = summary([result["write"]]), summary([result["read"]])
    per_run = result["file_bytes"] / n
    run.details["store"] = {"runs": n, "write": write, "read": read,
                            "file_bytes": result["file_bytes"],
                            "json_bytes_per_run": result["json_bytes_per_run"]}
    say(f"store: write {secs(write['wall'])}, read {secs(read['wall'])}, {per_run:.1f} B/run")
    run.rows += [
        Row(f"Parquet write {n:,} runs (write_parquet)",
            f"{secs(write['wall'])} · {rate(n, write['wall'], 'rows/s')}", "—", "—"),
        Row(f"Parquet read {n:,} runs (read_frame)",
            f"{secs(read['wall'])} · {rate(n, read['wall'], 'rows/s')}", "—", "—"),
        Row("Parquet bytes per run", f"{per_run:.1f} B",
            f"JSON {result['json_bytes_per_run']:,.0f} B",
            f"{result['json_bytes_per_run'] / per_run:.0f}x smaller"),
    ]


def bench_depth(run: Run, env: dict[str, str]) -> None:
    """Defaults vs a page_size-100 loop vs a (page_size, concurrency) sweep, at depth."""
    import bench_depth

    plan = run.plan
    sweep = bench_depth.QUICK_SWEEP if plan.in_process else bench_depth.SWEEP
    try:
        figures = bench_depth.measure(plan.depth_runs, depth_scale=plan.depth_scale, sweep=sweep)
    except RuntimeError as exc:
        run.failed.append(f"depth: {exc}")
        return
    run.details["depth"] = figures
    configs, best = figures["configs"], figures["best"]
    rl, loop, top = configs["defaults"], configs["loop"], configs[best]
    label = f"depth {plan.depth_runs:,} runs, real-server cost" + (
        f" (OFFSET x{plan.depth_scale:g})" if plan.depth_scale != 1 else "")
    cell = f"{secs(rl['wall'])} · {rl['requests']} requests"
    why = (f"server query seconds: defaults {rl['server_query_seconds']:.1f}, best "
           f"{top['server_query_seconds']:.1f}; build {rl['server_build_seconds']:.1f}")
    run.rows.append(at_least(
        Row(f"{label}: defaults vs page_size-100 loop", cell,
            f"{secs(loop['wall'])} · {loop['requests']} requests",
            times(figures["loop_over_defaults"], 5, " faster")),
        figures["loop_over_defaults"], 5, why))
    run.rows.append(at_most(
        Row(f"{label}: defaults vs best swept", cell,
            f"{best}: {secs(top['wall'])} · {top['requests']} requests",
            times(figures["defaults_over_best"], 1.2, " the best")),
        figures["defaults_over_best"], 1.2, why))


def bench_analysis(run: Run, env: dict[str, str]) -> None:
    plan = run.plan
    n = plan.analysis_runs
    try:
        result = work(["analysis", "--runs", str(n), "--repeat", str(plan.repeat)],
                      plan, env)
    except WorkerError as exc:
        run.failed.append(f"analysis: {exc}")
        return
    helpers = {label: summary([r]) for label, r in result["helpers"].items()}
    total = sum(h["wall"] for h in helpers.values())
    slowest = max(helpers, key=lambda label: helpers[label]["wall"])
    run.details["analysis"] = {"runs": n, "helpers": helpers}
    say(f"analysis: {len(helpers)} helpers in {secs(total)}")
    run.rows.append(Row(f"analysis helpers on {n:,} runs ({len(helpers)}, one call each)",
                        secs(total), "—",
                        f"slowest: {slowest} {secs(helpers[slowest]['wall'])}"))
    if "report" in result:
        report = summary([result["report"]])
        run.details["analysis"]["report"] = report
        say(f"report: {secs(report['wall'])}")
        run.rows.append(Row(f"full report on {n:,} runs (build_report + write_report html)",
                            f"{secs(report['wall'])} · peak {mb(report['peak_mb'])}", "—", "—"))
    else:
        run.skipped.append(f"report: {result.get('report_skipped', 'not measured')}")


# -- checking the figures -------------------------------------------------------------

NUMBER = "a number"
SUMMARY = "a summary"  # what summary() returns
# The figures each section must leave in ``Run.details``: the table, the notes and
# results.md are made from them. Optional ones (the SDK, the report) are checked
# when present.
FIGURES: dict[str, dict[str, str]] = {
    "fetch": {"runs": NUMBER, "runlytics": SUMMARY, "httpx-loop": SUMMARY, "limit": NUMBER,
              "pages": NUMBER, "requests": NUMBER, "frame_mb": NUMBER},
    "frame": {"runs": NUMBER, "runlytics": SUMMARY, "naive": SUMMARY, "floor": SUMMARY,
              "frame_mb": NUMBER, "naive_frame_mb": NUMBER, "floor_table_mb": NUMBER,
              "json_bytes_per_run": NUMBER, "checked_batches": NUMBER, "batches": NUMBER},
    "store": {"runs": NUMBER, "write": SUMMARY, "read": SUMMARY, "file_bytes": NUMBER,
              "json_bytes_per_run": NUMBER},
    "analysis": {"runs": NUMBER},  # and "helpers", one summary each
    "depth": {"runs": NUMBER, "depth_scale": NUMBER, "loop_over_defaults": NUMBER,
              "defaults_over_best": NUMBER},
}
OPTIONAL = {"fetch": ("sdk",), "analysis": ("report",)}


def _number_problem(value: Any) -> str | None:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        return f"is {value!r}, not a number"
    if not math.isfinite(value):
        return f"is {value!r}"
    return None


def _summary_problems(where: str, value: Any) -> list[str]:
    if not isinstance(value, Mapping):
        return [f"{where} is {value!r}, not a summary of samples"]
    found = []
    for key in ("wall", "cpu", "peak_mb"):
        problem = _number_problem(value.get(key))
        if problem:
            found.append(f"{where}.{key} {problem}")
    if not found and value["wall"] <= 0:
        found.append(f"{where}.wall is {value['wall']!r}: a time must be above 0")
    for key in ("walls", "cpus", "peaks"):
        samples = value.get(key)
        if not isinstance(samples, list) or not samples:
            found.append(f"{where}.{key} is {samples!r}, not a list of samples")
        else:
            found += [f"{where}.{key}[{i}] {p}" for i, p in
                      enumerate(map(_number_problem, samples)) if p]
    return found


def figure_problems(details: Mapping[str, Any], sections: Sequence[str]) -> list[str]:
    """Every figure the requested ``sections`` should have left in ``details`` and did not.

    Args:
        details: ``Run.details`` after the sections ran.
        sections: the sections asked for (``--only``).

    Returns:
        One line per problem: a section with no figures, a figure missing, or
        one that is None, NaN, infinite or not a number; [] when all is well.
    """
    found = []
    for section in sections:
        figures = details.get(section)
        if not isinstance(figures, Mapping):
            found.append(f"{section}: the section did not run (no figures)")
            continue
        expected = dict(FIGURES[section])
        if section == "analysis":
            helpers = figures.get("helpers")
            if not isinstance(helpers, Mapping) or not helpers:
                found.append(f"analysis.helpers is {helpers!r}, not a summary per helper")
            else:
                expected.update({f"helpers.{label}": SUMMARY for label in helpers})
        expected.update({name: SUMMARY for name in OPTIONAL.get(section, ())
                         if figures.get(name) is not None})
        for name, kind in expected.items():
            head, _, rest = name.partition(".")
            value = figures.get(head, "missing") if not rest else figures[head][rest]
            where = f"{section}.{name}"
            if kind == SUMMARY:
                found += _summary_problems(where, value)
            elif (problem := _number_problem(value)) is not None:
                found.append(f"{where} {problem}")
    return found


def table_problems(rows: Sequence[Row]) -> list[str]:
    """Rows whose runlytics figure is not a number, or whose cells say nan or inf."""
    found = []
    for row in rows:
        if not any(ch.isdigit() for ch in row.runlytics):
            found.append(f"row {row.measurement!r}: no figure for runlytics ({row.runlytics!r})")
        for cell in (row.runlytics, row.baseline, row.ratio):
            if re.search(r"\b(nan|inf)(x|\b)", cell, re.IGNORECASE):
                found.append(f"row {row.measurement!r}: {cell!r} is not a figure")
    return found


def exit_status(run: Run, sections: Sequence[str]) -> int:
    """1 when a measurement failed or a figure is missing or malformed (added to
    ``run.failed``, so they are printed and written), else 0: a missed target alone is 0."""
    failed = {reason.split(":")[0].split()[0] for reason in run.failed}  # already said why
    checked = [section for section in sections if section not in failed]
    run.failed += [f"figure {p}" for p in figure_problems(run.details, checked)
                   + table_problems(run.rows)]
    return 1 if run.failed else 0


# -- output ---------------------------------------------------------------------------


def table(rows: list[Row]) -> str:
    head = ["measurement", "runlytics", "baseline", "ratio", "target", "met?"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for row in rows:
        cells = [row.measurement, row.runlytics, row.baseline, row.ratio, row.target, row.met]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def notes(run: Run) -> list[str]:
    out = [f"MISSED {row.measurement}: {row.miss}" for row in run.rows if row.met == "no"]
    out += [f"SKIPPED {reason}" for reason in run.skipped]
    out += [f"FAILED {reason}" for reason in run.failed]
    return out


def version(name: str) -> str:
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def machine() -> dict[str, Any]:
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        free = subprocess.run(["free", "-h"], capture_output=True, text=True,
                              check=False).stdout.strip("\n")
    except OSError:
        free = "(free not available)"
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "nproc": cpus, "cpu": model or platform.processor(), "free": free,
        "platform": platform.platform(), "python": platform.python_version(),
        "versions": {name: version(name) for name in
                     ("runlytics", "pandas", "pyarrow", "numpy", "httpx", "orjson", "skyvern")},
    }


def load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} / {five:.2f} / {fifteen:.2f}"


def busy_note(cpus: int, started: str) -> str:
    """What the load before the run says (later loads include the benchmark's own processes)."""
    before = float(started.split(" / ")[0])
    if before <= 0.5 * cpus:
        return "The machine was otherwise quiet when the run started."
    return (f"A 1-minute load of {before:.1f} on {cpus} CPUs before the run started means other "
            "work shared the CPUs: wall times carry its noise, which the interleaved rounds "
            "spread over all contenders and the medians damp; the CPU-time ratios under "
            "'Every sample' are less affected. (Loads during the run include the benchmark's "
            "own client and simulator.)")


def samples(values: Sequence[float], unit: str = "s") -> str:
    return ", ".join(f"{v:.2f}" for v in values) + f" {unit}"


def details_md(run: Run) -> list[str]:
    """Per-contender figures behind the table: every sample, CPU time, peaks."""
    out = ["## Every sample", "",
           "| contender | wall (median; samples) | CPU, all threads (median) | peak MB (max; "
           "samples) |", "|---|---|---|---|"]

    def line(name: str, s: dict[str, Any] | None) -> None:
        if s:
            out.append(f"| {name} | {s['wall']:.2f} s; {samples(s['walls'])} | "
                       f"{s['cpu']:.2f} s | {s['peak_mb']:,.0f}; {samples(s['peaks'], 'MB')} |")

    fetch = run.details.get("fetch")
    if fetch:
        for name in ("runlytics", "httpx-loop", "sdk"):
            line(f"fetch {fetch['runs']:,}: {name}", fetch[name])
    frame = run.details.get("frame")
    if frame:
        for name in ("runlytics", "naive", "floor"):
            line(f"frame {frame['runs']:,}: {name}", frame[name])
    store = run.details.get("store")
    if store:
        line(f"Parquet write {store['runs']:,}", store["write"])
        line(f"Parquet read {store['runs']:,}", store["read"])
    analysis = run.details.get("analysis")
    if analysis:
        for label, s in analysis["helpers"].items():
            line(f"analysis {analysis['runs']:,}: {label}", s)
        line(f"report {analysis['runs']:,}", analysis.get("report"))
    out.append("")
    facts = []
    if fetch:
        rl = fetch["runlytics"]
        facts.append(f"- Fetch: the limit counts {fetch['pages']} pages (the data and the empty "
                     f"page that ends the list); runlytics made {fetch['requests']:.0f} requests "
                     f"(the pages in flight when the empty page arrived, and the catch-up read "
                     f"of page 1). Its frame is {fetch['frame_mb']:.0f} MB. CPU-time ratios, "
                     f"less sensitive to load: loop/runlytics "
                     f"{fetch['httpx-loop']['cpu'] / rl['cpu']:.2f}x"
                     + (f", SDK/runlytics {fetch['sdk']['cpu'] / rl['cpu']:.2f}x"
                        if fetch.get("sdk") else "") + ".")
    if frame:
        rl = frame["runlytics"]
        facts.append(f"- Frame: {frame['json_bytes_per_run']:,.0f} bytes of JSON per run; final "
                     f"frame {frame['frame_mb']:,.0f} MB (naive frame "
                     f"{frame['naive_frame_mb']:,.0f} MB by `memory_usage(deep=True)`, "
                     f"raw-parse table {frame['floor_table_mb']:,.0f} MB); "
                     f"{frame['checked_batches']} of {frame['batches']} batches took the checking "
                     f"path. CPU-time ratios: naive/runlytics "
                     f"{frame['naive']['cpu'] / rl['cpu']:.2f}x, runlytics/floor "
                     f"{rl['cpu'] / frame['floor']['cpu']:.2f}x.")
    depth = run.details.get("depth")
    if depth:
        facts.append(f"- Depth ({depth['runs']:,} runs, OFFSET cost x{depth['depth_scale']:g}): "
                     + "; ".join(f"{label} (page_size {f['page_size']} × {f['concurrency']}) "
                                 f"{f['wall']:.2f} s, {f['requests']} requests"
                                 for label, f in depth["configs"].items()) + ".")
    return out + facts


def results_md(run: Run, info: dict[str, Any], started: str, elapsed: float) -> str:
    plan = run.plan
    versions = ", ".join(f"{k} {v}" for k, v in info["versions"].items())
    lines = [
        "# runlytics benchmark results", "",
        "Generated by `python benchmarks/run.py` "
        f"({plan.name} run, {elapsed / 60:.1f} min); do not edit by hand. Ratios matter, "
        "absolute times depend on the machine and its load.", "",
        "## Machine", "",
        f"- Date: {info['date']}",
        f"- CPUs (`nproc`): {info['nproc']} ({info['cpu']})",
        f"- {info['platform']}, Python {info['python']}",
        f"- {versions}",
        f"- Load average (1/5/15 min) at start: {started}; after each section: "
        + "; ".join(f"{name} {value}" for name, value in run.details.get("load", {}).items())
        + f". {busy_note(info['nproc'], started)}",
        "", "```", info["free"], "```", "",
        "## Results", "",
        (f"Medians of {plan.rounds} rounds (each contender in a fresh process per round; "
         f"Parquet, analysis and report: median of {plan.repeat} timings in one process). "
         if not plan.in_process else
         "One round, every contender in the benchmark's own process (a smoke run). ")
        + 
        "Peak memory: the highest round's peak resident memory above the process's memory "
        "right before the timed call (after imports and after the input was built).", "",
        table(run.rows), "",
    ]
    found = notes(run)
    if found:
        lines += ["## Targets missed, rows skipped", ""] + [f"- {n}" for n in found] + [""]
    lines += details_md(run)
    lines += ["", "## Method", "",
              f"- Fetch: a frozen `Simulator(n_runs={plan.fetch_runs:,}, seed=7)` served by "
              f"`run_forever(live=False)` in its own process, `sim.latency = {LATENCY}`. "
              "runlytics: `Client().fetch(RunQuery())` with its defaults (page_size "
              f"{DEFAULT_PAGE_SIZE}, {DEFAULT_CONCURRENCY} in flight) returning the typed frame. "
              "Loop: one `httpx.Client`, `page_size=100`, `response.json()` until an empty "
              "page, a list of dicts. SDK: `skyvern.client.Skyvern(base_url=..., api_key=...)"
              ".get_workflow_runs(page=, page_size=100)` until an empty page, a list of "
              "pydantic models.",
              f"- Frame: {plan.frame_runs:,} runs as {plan.frame_runs // 100:,} pages of 100 "
              "(benchmarks/data.py: 5,000 simulator runs, copied with new ids and shifted "
              "timestamps). runlytics: `runs_frame(pages)`. Naive: `json.loads` per page, "
              "`pd.DataFrame(records)`, `pd.to_datetime(format='ISO8601', utc=True)` on the "
              "six timestamp columns, `astype('category')` on status, trigger_type, run_with "
              "(GC left on, as a user would). Floor: `pyarrow.json.read_json` on the same "
              "runs as NDJSON with the schema given (proxy objects renamed beforehand: a column "
              "cannot be both string and object), untyped: no timestamps, categories or pandas.",
              "- Parquet: `write_parquet(frame)` (zstd 1, dictionaries, redaction on) and "
              "`read_frame(path)` back to the typed frame.",
              "- Analysis: `benchmarks/bench_analysis.py`'s synthetic frame and its primary "
              "case per helper; report: `build_report(frame, now=...)` + "
              "`write_report(report, 'report.html')` on the same frame.", ""]
    return "\n".join(lines)


# -- main -------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="smoke run: 5,000-run fetch, 50,000-run frame, one round")
    parser.add_argument("--no-write", action="store_true",
                        help="print the table only; do not write results.md")
    parser.add_argument("--output", type=Path, default=None,
                        help=f"where to write the results (default {RESULTS.name} for a full "
                        "run; a quick run writes nothing unless given)")
    parser.add_argument("--rounds", type=int, default=None, help="rounds per contender")
    parser.add_argument("--only", default=",".join(SECTIONS),
                        help=f"comma-separated sections among {', '.join(SECTIONS)}")
    args = parser.parse_args(argv)
    plan = QUICK if args.quick else FULL
    if args.rounds:
        plan = Plan(**{**plan.__dict__, "rounds": args.rounds})
    sections = [s.strip() for s in args.only.split(",") if s.strip()]
    unknown = sorted(set(sections) - set(SECTIONS))
    if unknown:
        parser.error(f"unknown section(s) {', '.join(unknown)}; choose from "
                     f"{', '.join(SECTIONS)}")
    output = None if args.no_write else args.output or (None if args.quick else RESULTS)

    run = Run(plan)
    info = machine()
    started, clock = load(), time.perf_counter()
    say(f"runlytics benchmark ({plan.name}); load average {started}")
    benches: dict[str, Callable[[Run, dict[str, str]], None]] = {
        "frame": bench_frame, "store": bench_store, "analysis": bench_analysis,
        "depth": bench_depth}
    with tempfile.TemporaryDirectory(prefix="runlytics-bench-") as folder:
        workdir = Path(folder)
        server = None
        if "fetch" in sections:  # its simulator starts while the frame data's template is made
            say(f"fetch: starting the simulator ({plan.fetch_runs:,} runs, "
                f"{LATENCY * 1000:.0f} ms latency)")
            server = Server(plan.fetch_runs, LATENCY, dict(os.environ), workdir / "server.log")
        try:
            env = {**os.environ, TEMPLATE_ENV: str(save_template(workdir / "template.json"))}
            if plan.in_process:
                os.environ[TEMPLATE_ENV] = env[TEMPLATE_ENV]
            for name in SECTIONS:
                if name in sections:
                    begun = time.perf_counter()
                    try:
                        if name == "fetch":
                            bench_fetch(run, env, server)
                        else:
                            benches[name](run, env)
                    except Exception as exc:  # a malformed result: the others still run
                        say(traceback.format_exc())
                        run.failed.append(f"{name}: {type(exc).__name__}: {exc}")
                    say(f"{name}: section took {time.perf_counter() - begun:.1f} s")
                    run.details.setdefault("load", {})[name] = load()
        finally:
            if server is not None:
                server.stop()
            if plan.in_process:
                os.environ.pop(TEMPLATE_ENV, None)
    ended, elapsed = load(), time.perf_counter() - clock
    status = exit_status(run, [s for s in SECTIONS if s in sections])

    print(table(run.rows))
    for line in notes(run):
        print(line)
    print(f"({plan.name} run in {elapsed:.0f} s; load average at start {started}, at end "
          f"{ended})")
    if output is not None:
        output.write_text(results_md(run, info, started, elapsed))
        print(f"wrote {output}")
    return status


if __name__ == "__main__":
    raise SystemExit(main())
