"""A long fetch: 100,000 runs in bounded memory, and Ctrl-C at any moment is clean.

The simulator serves from this process; fetches run in child processes, so
their memory is measured alone and a signal interrupts them as it would a
user's terminal.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import orjson
import pytest

from runlytics.simulator import Simulator, serve

NOW = datetime(2026, 11, 28, 12, tzinfo=UTC)
N_RUNS = 100_000
ENV = {"SKYVERN_API_KEY": "sim-key", "RUNLYTICS_RETRY_BASE_SECONDS": "0.01"}

# Python's allocations (tracemalloc) and Arrow's (its pool keeps the peak) while
# fetching, and what came back: measured in a fresh process.
MEASURE = """
import json, sys, tracemalloc
import pyarrow as pa
from runlytics import Client, RunQuery
tracemalloc.start()
client = Client(api_key="sim-key", base_url=sys.argv[1], concurrency=4, progress=False)
table, report = client.fetch(RunQuery(page_size=100))
_, python_peak = tracemalloc.get_traced_memory()
ids = table.column("workflow_run_id").to_pylist()
print(json.dumps({"python_peak": python_peak, "arrow_peak": pa.default_memory_pool().max_memory(),
                  "table_bytes": table.nbytes, "rows": table.num_rows, "unique": len(set(ids)),
                  "first": ids[0], "last": ids[-1], "pages": report.pages_requested}))
"""


@pytest.fixture(scope="module")
def big():
    sim = Simulator(n_runs=N_RUNS, seed=3, now=NOW)
    with serve(sim) as url:
        yield sim, url


def child_env() -> dict[str, str]:
    env = {**os.environ, **ENV}
    env.pop("SKYVERN_BASE_URL", None)
    return env


def test_100k_runs_in_bounded_memory(big):
    sim, url = big
    done = subprocess.run([sys.executable, "-c", MEASURE, url], env=child_env(),
                          capture_output=True, text=True, timeout=600, check=False)
    assert done.returncode == 0, done.stderr
    got = json.loads(done.stdout)
    truth = sim.runs()
    assert got["rows"] == got["unique"] == N_RUNS
    assert (got["first"], got["last"]) == (truth[0]["workflow_run_id"],
                                           truth[-1]["workflow_run_id"])
    response_bytes = sum(len(orjson.dumps(r)) for r in truth)
    # The responses (~170 MB) are never all held: the pager keeps ids, not bodies.
    assert got["python_peak"] < 0.5 * response_bytes, got
    # The table, one copy of it while deduplicating, and a batch in flight.
    assert got["python_peak"] + got["arrow_peak"] < 4 * got["table_bytes"], got


def wait_for_requests(sim: Simulator, count: int, process: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 120
    while sim.request_count < count:
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, "the fetch never got going"
        time.sleep(0.02)


def interrupt(process: subprocess.Popen[str]) -> tuple[int, str, str]:
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=120)
    return process.returncode, out, err


@pytest.mark.parametrize("after_requests", [5, 300])
def test_ctrl_c_mid_fetch_exits_130_and_leaves_nothing(big, tmp_path, after_requests):
    sim, url = big
    out = tmp_path / "runs.parquet"
    sim.reset_log()
    process = subprocess.Popen(
        [sys.executable, "-m", "runlytics", "fetch", "--out", str(out), "--base-url", url,
         "--concurrency", "4"],
        env=child_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    wait_for_requests(sim, after_requests, process)
    code, stdout, stderr = interrupt(process)
    assert code == 130, stderr
    assert stdout == ""
    assert "Traceback" not in stderr
    assert stderr.splitlines() == ["runlytics: interrupted; files are written whole or not at "
                                   "all, so nothing partial was left"]
    assert list(tmp_path.iterdir()) == []


def test_ctrl_c_while_waiting_to_retry_is_prompt(tmp_path):
    """The server asked to come back in a minute; Ctrl-C does not wait for it."""
    sim = Simulator(n_runs=300, seed=4, now=NOW)
    out = tmp_path / "runs.parquet"
    out.write_bytes(b"yesterday's extract\n")
    with serve(sim) as url:
        sim.fail_next("503", 100, retry_after=60)
        process = subprocess.Popen(
            [sys.executable, "-m", "runlytics", "fetch", "--out", str(out), "--base-url", url],
            env={**child_env(), "RUNLYTICS_RETRY_BASE_SECONDS": "30"},
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        wait_for_requests(sim, 1, process)
        time.sleep(0.5)
        started = time.monotonic()
        code, _, stderr = interrupt(process)
    assert code == 130 and "Traceback" not in stderr, stderr
    assert time.monotonic() - started < 30  # not the minute the server asked for
    assert out.read_bytes() == b"yesterday's extract\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["runs.parquet"]


def test_ctrl_c_while_writing_leaves_the_old_file(big, tmp_path, monkeypatch):
    """Interrupted between fetching and the rename: the temporary file is removed."""
    import pyarrow.parquet as pq

    from runlytics.cli import main

    sim, url = big
    out = tmp_path / "runs.parquet"
    out.write_bytes(b"yesterday's extract\n")

    def interrupted_write(*args, **kwargs):
        Path(args[1]).write_bytes(b"half a parquet file")
        raise KeyboardInterrupt

    monkeypatch.setattr(pq, "write_table", interrupted_write)
    for name, value in ENV.items():
        monkeypatch.setenv(name, value)
    code = main(["fetch", "--out", str(out), "--base-url", url, "--max-runs", "500",
                 "--quiet"])
    assert code == 130
    assert out.read_bytes() == b"yesterday's extract\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["runs.parquet"]
