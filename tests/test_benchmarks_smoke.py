"""The benchmark runs end to end: ``python benchmarks/run.py --quick --no-write``.

It exits 0 only when every figure is there and is a number (a missed target
is noise on a shared machine: printed, not failed); the checks themselves are
tested on made-up figures in ``test_benchmarks_run.py``.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HEADER = "| measurement | runlytics | baseline | ratio | target | met? |"
# Rows that must be measured; the SDK and report rows may be skipped, but only
# with a SKIPPED line that says why.
REQUIRED = [
    r"fetch 5,000 runs @ 20 ms: vs sequential httpx loop",
    r"fetch 5,000 runs @ 20 ms: vs limit pages × latency / concurrency",
    r"fetch 5,000 runs @ 20 ms: peak memory",
    r"frame 50,000 runs: vs naive json\.loads",
    r"frame 50,000 runs: vs pyarrow\.json\.read_json on NDJSON \(floor\)",
    r"frame 50,000 runs: peak memory vs the final frame",
    r"Parquet write 50,000 runs",
    r"Parquet read 50,000 runs",
    r"Parquet bytes per run",
    r"analysis helpers on 50,000 runs",
    r"depth 5,000 runs, real-server cost \(OFFSET x40\): defaults vs page_size-100 loop",
    r"depth 5,000 runs, real-server cost \(OFFSET x40\): defaults vs best swept",
]
OPTIONAL = {
    r"fetch 5,000 runs @ 20 ms: vs official SDK loop": "SKIPPED fetch with the official SDK",
    r"full report on 50,000 runs": "SKIPPED report:",
}


def test_quick_benchmark_prints_the_table() -> None:
    results = ROOT / "benchmarks" / "results.md"
    before = results.read_bytes() if results.exists() else None
    # < 60 s on an idle 2-core machine; the margin is for a machine busy with other suites.
    done = subprocess.run([sys.executable, "benchmarks/run.py", "--quick", "--no-write"],
                          cwd=ROOT, capture_output=True, text=True, timeout=240, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    out = done.stdout
    assert HEADER in out
    rows = [line for line in out.splitlines() if line.startswith("| ") and line != HEADER]
    for pattern in REQUIRED:
        assert any(re.match(r"\| " + pattern, row) for row in rows), f"no row {pattern!r}\n{out}"
    for pattern, skipped in OPTIONAL.items():
        measured = any(re.match(r"\| " + pattern, row) for row in rows)
        assert measured or skipped in out, f"row {pattern!r} neither measured nor skipped\n{out}"
    for row in rows:
        cells = [cell.strip() for cell in row.strip("|").split("|")]
        assert len(cells) == 6, row
        assert re.search(r"\d", cells[1]), f"no figure for runlytics in {row}"
        assert not re.search(r"\b(nan|inf)", " ".join(cells[1:4]), re.IGNORECASE), row
        assert cells[5] in ("yes", "no", "—"), row
        if cells[4] != "—":
            assert cells[5] in ("yes", "no"), f"a target without a verdict: {row}"
        if cells[5] == "no":  # a miss does not fail the run, but it is said
            assert f"MISSED {cells[0]}: " in out, row
    assert "FAILED" not in out
    after = results.read_bytes() if results.exists() else None
    assert after == before, "--no-write must leave benchmarks/results.md alone"
