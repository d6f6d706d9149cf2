"""The fault matrix, at the command line: ``runlytics fetch`` against the simulator.

For every fault a server, a gateway or the network can produce, the command
either writes a file that equals the simulator's ground truth (every run once)
and exits 0, or exits 1 with one line on stderr saying what failed, after a
bounded number of requests, with no file written and any file already at
``--out`` left byte for byte as it was.

Retry waits are shortened with ``RUNLYTICS_RETRY_BASE_SECONDS`` and the request
timeout with ``RUNLYTICS_TIMEOUT_SECONDS`` (see :mod:`runlytics.client`).
"""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import orjson
import pandas as pd
import pytest

from runlytics import SchemaError, fetch_frame
from runlytics.cli import main
from runlytics.frame import dedupe_runs, runs_table, table_to_frame
from runlytics.redact import redact_table
from runlytics.simulator import Simulator, mock_transport, serve
from runlytics.store import read_frame, read_metadata

NOW = datetime(2026, 11, 28, 12, tzinfo=UTC)
KEY = "sim-key"
CONCURRENCY = 2
MAX_ATTEMPTS = 6  # the default RetryPolicy's
OLD_BYTES = b"an extract from yesterday, not to be touched\n"
ENV = {"RUNLYTICS_RETRY_BASE_SECONDS": "0.005", "RUNLYTICS_TIMEOUT_SECONDS": "30",
       "SKYVERN_API_KEY": KEY}


@pytest.fixture(autouse=True)
def _quick_retries(monkeypatch):
    for name, value in ENV.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("SKYVERN_BASE_URL", raising=False)


def fetch_cli(capsys, url: str, out: Path, *extra: str) -> tuple[int, str, str]:
    code = main(["fetch", "--out", str(out), "--base-url", url,
                 "--concurrency", str(CONCURRENCY), *extra])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def truth(sim: Simulator) -> pd.DataFrame:
    """What a default (redacted) fetch of ``sim`` must write, in file order."""
    table, _ = dedupe_runs(runs_table([orjson.dumps(sim.runs())]))
    return table_to_frame(redact_table(table), warn_unknown=False)


def read_back(out: Path) -> pd.DataFrame:
    return read_frame(out)


def assert_only(folder: Path, *names: str) -> None:
    """No temporary or partial files beside the output."""
    assert sorted(p.name for p in folder.iterdir()) == sorted(names)


def assert_one_line(err: str) -> str:
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("runlytics: error: ")
    assert "Traceback" not in err
    return lines[0]


# -- transient faults: retried, then the exact answer ------------------------------

TRANSIENT = ["429", "500", "503", "502", "504", "drop", "slow", "truncate", "truncate_short",
             "object"]


@pytest.mark.parametrize("kind", TRANSIENT)
@pytest.mark.parametrize("count", [1, 2])
def test_transient_fault_gives_the_exact_file(capsys, tmp_path, monkeypatch, kind, count):
    sim = Simulator(n_runs=450, seed=4, now=NOW, hostile=True)
    sim.slow_seconds = 2.5
    if kind == "slow":  # a short timeout only here: a loaded machine may be slow too
        monkeypatch.setenv("RUNLYTICS_TIMEOUT_SECONDS", "1")
    out = tmp_path / "runs.parquet"
    out.write_bytes(OLD_BYTES)
    with serve(sim) as url:
        sim.fail_next(kind, count, retry_after=0.05)
        code, stdout, stderr = fetch_cli(capsys, url, out, "--page-size", "100")
    assert code == 0, stderr
    assert stdout == f"wrote 450 runs to {out}\n"
    assert " retries (" in stderr  # the summary says what was retried
    pd.testing.assert_frame_equal(read_back(out), truth(sim))
    assert read_metadata(out)["fetch_report"]["retries"] >= count
    assert_only(tmp_path, "runs.parquet")


def test_retry_after_as_an_http_date_is_honoured(capsys, tmp_path):
    sim = Simulator(n_runs=200, seed=4, now=NOW)
    out = tmp_path / "runs.parquet"
    with serve(sim) as url:
        sim.fail_next("429", 1, retry_after=datetime.now(UTC) + timedelta(seconds=1))
        code, _, stderr = fetch_cli(capsys, url, out)
    assert code == 0, stderr
    pd.testing.assert_frame_equal(read_back(out), truth(sim))


def test_a_500_is_retried_and_the_file_is_exact(capsys, tmp_path):
    """The server's database hiccup (500 OperationalError) passes: retried, then exact."""
    sim = Simulator(n_runs=200, seed=4, now=NOW)
    out = tmp_path / "runs.parquet"
    with serve(sim) as url:
        sim.fail_next("500", 2)
        code, stdout, stderr = fetch_cli(capsys, url, out)
    assert code == 0, stderr
    assert stdout == f"wrote 200 runs to {out}\n"
    assert "2 retries (500: 2)" in stderr
    pd.testing.assert_frame_equal(read_back(out), truth(sim))
    assert read_metadata(out)["fetch_report"]["retry_reasons"] == {"500": 2}


def test_a_lasting_500_fails_after_fewer_attempts_than_503(capsys, tmp_path):
    """Three 500s on one request: the command gives up on it with the server's detail,
    one line, exit 1, the old file untouched, before the six attempts a 503 gets."""
    sim = Simulator(n_runs=200, seed=4, now=NOW)
    out = tmp_path / "runs.parquet"
    out.write_bytes(OLD_BYTES)
    with serve(sim) as url:
        sim.fail_next("500", 10_000)
        code, stdout, stderr = fetch_cli(capsys, url, out, "--concurrency", "1")
        requests = sim.request_count
    assert code == 1 and stdout == ""
    line = assert_one_line(stderr)
    assert "HTTP 500 from http://127.0.0.1:" in line
    assert "Unexpected error: OperationalError" in line
    assert requests == 3
    assert out.read_bytes() == OLD_BYTES
    assert_only(tmp_path, "runs.parquet")


# -- lasting faults: bounded retries, one clear line, nothing written -----------------

LASTING = [
    ("429", "HTTP 429 from http://127.0.0.1:"),
    ("503", "HTTP 503 from http://127.0.0.1:"),
    ("500", "HTTP 500 from http://127.0.0.1:"),
    ("502", "HTTP 502 from http://127.0.0.1:"),
    ("504", "HTTP 504 from http://127.0.0.1:"),
    ("drop", "connection failed (RemoteProtocolError"),
    ("slow", "timed out (ReadTimeout)"),
    ("truncate", "the page is not a JSON array of runs"),
    ("truncate_short", "connection failed (RemoteProtocolError"),
    ("object", "the page is not a JSON array of runs"),
]


@pytest.mark.parametrize(("kind", "text"), LASTING)
def test_lasting_fault_fails_with_one_line_and_writes_nothing(capsys, tmp_path, monkeypatch,
                                                            kind, text):
    sim = Simulator(n_runs=300, seed=4, now=NOW)
    sim.slow_seconds = 2.5
    if kind == "slow":
        monkeypatch.setenv("RUNLYTICS_TIMEOUT_SECONDS", "1")
    out = tmp_path / "runs.parquet"
    out.write_bytes(OLD_BYTES)
    with serve(sim) as url:
        sim.fail_next(kind, 10_000, retry_after=0.01)
        code, stdout, stderr = fetch_cli(capsys, url, out)
        requests = sim.request_count
    assert code == 1 and stdout == ""
    line = assert_one_line(stderr)
    assert text in line
    assert "page=1" in line or "page=2" in line  # which request failed
    if kind in ("502", "504"):  # the gateway's HTML page is summed up by its title
        assert "<html>" not in line and "(an HTML error page)" in line
    if kind not in ("500",):
        assert f"gave up after {MAX_ATTEMPTS} attempts" in line or "HTTP" in line
    assert requests <= CONCURRENCY * MAX_ATTEMPTS + CONCURRENCY
    assert out.read_bytes() == OLD_BYTES
    assert_only(tmp_path, "runs.parquet")


def test_lasting_fault_without_a_previous_file_creates_none(capsys, tmp_path):
    sim = Simulator(n_runs=300, seed=4, now=NOW)
    out = tmp_path / "sub" / "runs.parquet"
    with serve(sim) as url:
        sim.fail_next("503", 10_000, retry_after=0.01)
        code, _, stderr = fetch_cli(capsys, url, out)
    assert code == 1
    assert_one_line(stderr)
    assert not out.exists()
    assert not (tmp_path / "sub").exists() or not any((tmp_path / "sub").iterdir())


def test_a_fault_on_a_late_page_still_writes_nothing(capsys, tmp_path):
    """Pages 1..n arrive fine, then the server breaks for good: no partial file."""
    sim = Simulator(n_runs=2000, seed=4, now=NOW)
    sim.fault_rates = {}
    out = tmp_path / "runs.parquet"
    out.write_bytes(OLD_BYTES)
    with serve(sim) as url:
        real_handle = sim.handle
        calls = {"n": 0}

        def breaking(method, path, query, headers):
            calls["n"] += 1
            if calls["n"] == 8:
                sim.fail_next("502", 10_000)
            return real_handle(method, path, query, headers)

        sim.handle = breaking  # type: ignore[method-assign]
        code, _, stderr = fetch_cli(capsys, url, out, "--page-size", "100")
    assert code == 1
    assert "HTTP 502" in assert_one_line(stderr)
    assert out.read_bytes() == OLD_BYTES
    assert_only(tmp_path, "runs.parquet")


# -- a list that moves, ties, a clamping gateway ----------------------------------------

def record_answers(sim: Simulator) -> list[tuple[str, bool]]:
    """Log (query, whole array answered) for every request the simulator serves."""
    log: list[tuple[str, bool]] = []
    real = sim.handle

    def handle(method, path, query, headers):
        reply = real(method, path, query, headers)
        whole = reply.status == 200 and reply.action is None and reply.delay < 1 \
            and reply.body.startswith(b"[") and reply.body.endswith(b"]")
        log.append((query, whole))
        return reply

    sim.handle = handle  # type: ignore[method-assign]
    return log


def assert_every_run_once(df: pd.DataFrame, sim: Simulator, per_request: int,
                          log: list[tuple[str, bool]]) -> None:
    """Each run once, and every run but those created after the fetch last read page 1.

    The simulator creates ``per_request`` runs before answering each list request
    (failed ones too); those created after the last whole answer for page 1
    cannot be known to the fetch. Every other run must be in the file.
    """
    ids = df["workflow_run_id"]
    assert ids.is_unique
    newest_first = [r["workflow_run_id"] for r in sorted(
        sim.runs(), key=lambda r: (r["created_at"], r["workflow_run_id"]), reverse=True)]
    assert set(ids) <= set(newest_first), "a run that does not exist"
    rank = {run_id: i for i, run_id in enumerate(newest_first)}
    missing = sorted(rank[m] for m in set(newest_first) - set(ids))
    assert missing == list(range(len(missing))), "a run older than the last head read is missing"
    head_reads = [i for i, (query, whole) in enumerate(log) if whole and "page=1&" in query + "&"]
    assert len(missing) <= per_request * (len(log) - 1 - head_reads[-1])


@pytest.mark.parametrize("per_request", [1, 5, 25])
def test_runs_created_while_paging(capsys, tmp_path, per_request):
    sim = Simulator(n_runs=1500, seed=5, now=NOW, tie_groups=5)
    sim.create_per_request = per_request
    log = record_answers(sim)
    out = tmp_path / "runs.parquet"
    with serve(sim) as url:
        code, _, stderr = fetch_cli(capsys, url, out, "--page-size", "50",
                                    "--concurrency", "4")
    assert code == 0, stderr
    assert "list moved while paging" in stderr
    assert_every_run_once(read_back(out), sim, per_request, log)


def test_runs_created_faster_than_they_can_be_read_fail_loudly(capsys, tmp_path):
    """More runs created per request than a page holds: no snapshot is possible."""
    sim = Simulator(n_runs=500, seed=5, now=NOW)
    sim.create_per_request = 60
    out = tmp_path / "runs.parquet"
    out.write_bytes(OLD_BYTES)
    with serve(sim) as url:
        code, stdout, stderr = fetch_cli(capsys, url, out, "--page-size", "50")
    assert code == 1 and stdout == ""
    assert "runs are being created faster than they can be read" in assert_one_line(stderr)
    assert out.read_bytes() == OLD_BYTES
    assert_only(tmp_path, "runs.parquet")


def test_ties_in_created_at(capsys, tmp_path):
    sim = Simulator(n_runs=2500, seed=9, now=NOW, tie_groups=30)
    out = tmp_path / "runs.parquet"
    with serve(sim) as url:
        code, _, stderr = fetch_cli(capsys, url, out, "--page-size", "50")
    assert code == 0, stderr
    assert "tie groups re-read" in stderr and "could not be verified" not in stderr
    pd.testing.assert_frame_equal(read_back(out), truth(sim))


@pytest.mark.parametrize("cap", [37, 60])
def test_page_size_capped_by_a_gateway(capsys, tmp_path, cap):
    """A cap below the page size asked (seen at once), or above it (seen only by the
    wider reads that repair ties), with tie groups bigger than the cap."""
    sim = Simulator(n_runs=1500, seed=73, now=NOW, tie_groups=20)
    sim.max_page_size = cap
    out = tmp_path / "runs.parquet"
    with serve(sim) as url:
        code, _, stderr = fetch_cli(capsys, url, out, "--page-size", "50")
    assert code == 0, stderr
    assert ("server clamped page_size to 37" in stderr) == (cap == 37)
    pd.testing.assert_frame_equal(read_back(out), truth(sim))


RANDOM_FAULTS = {"502": 0.04, "drop": 0.04, "truncate": 0.03, "object": 0.03,
                 "truncate_short": 0.03}


@pytest.mark.parametrize(("per_request", "ties", "cap"), [
    (2, 15, None),   # faults, a moving list, ties
    (3, 0, 60),      # faults, a moving list, a capped page size
    (0, 15, 60),     # faults, ties bigger than the cap
])
def test_random_faults_with_everything_else(capsys, tmp_path, per_request, ties, cap):
    """One request in six fails at random, on top of the rest: every run once."""
    sim = Simulator(n_runs=2500, seed=13, now=NOW, tie_groups=ties, hostile=True)
    sim.fault_rates = RANDOM_FAULTS
    sim.create_per_request = per_request
    sim.max_page_size = cap
    log = record_answers(sim)
    out = tmp_path / "runs.parquet"
    with serve(sim) as url:
        code, _, stderr = fetch_cli(capsys, url, out, "--page-size", "100",
                                    "--concurrency", "4")
    # Six tries per request at one fault in six: giving up is a one in 50,000 event
    # per request, and then the promise is a clear failure. With runs created while
    # four requests are in flight, which page a same-instant group of new runs
    # straddles depends on timing; a group that cannot be read whole is refused the
    # same way. Either way nothing is written.
    if code != 0:
        line = assert_one_line(stderr)
        assert code == 1
        assert "gave up after" in line or (
            per_request and "created at the same instant could not be read whole" in line)
        assert not out.exists()
        return
    assert " retries (" in stderr
    if per_request:
        assert_every_run_once(read_back(out), sim, per_request, log)
    else:
        pd.testing.assert_frame_equal(read_back(out), truth(sim))


def test_a_moving_list_with_ties_bigger_than_the_cap_fails_loudly(capsys, tmp_path):
    """Tie groups wider than any page the gateway allows, while runs are created:
    they cannot be read whole, so the command says so instead of losing runs."""
    sim = Simulator(n_runs=2500, seed=13, now=NOW, tie_groups=15)
    sim.create_per_request = 2
    sim.max_page_size = 60
    out = tmp_path / "runs.parquet"
    out.write_bytes(OLD_BYTES)
    with serve(sim) as url:
        code, stdout, stderr = fetch_cli(capsys, url, out, "--page-size", "100",
                                         "--concurrency", "4")
    assert code == 1 and stdout == ""
    line = assert_one_line(stderr)
    assert "groups of runs created at the same instant could not be read whole" in line
    assert "at most 60 runs per page" in line
    assert out.read_bytes() == OLD_BYTES
    assert_only(tmp_path, "runs.parquet")


# -- odd but well-formed answers ---------------------------------------------------

@pytest.mark.parametrize("body", [b"null", b"{}", b'{"items": []}', b"", b"[]}{\"r\":[]",
                                  b"[null]", b"<html>maintenance</html>"])
def test_a_page_that_is_not_an_array_never_ends_the_fetch_early(body):
    """A 200 whose body is not a list of runs must not pass for the empty last page."""
    sim = Simulator(n_runs=300, seed=4, now=NOW)
    inner = mock_transport(sim)

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.params["page"] == "2":
            return httpx.Response(200, content=body)
        return inner.handle_request(request)

    with pytest.raises(SchemaError, match="gave up after"):
        fetch_frame(api_key=KEY, base_url="http://127.0.0.1:9", page_size=100, concurrency=1,
                   transport=httpx.MockTransport(handler), progress=False)


# -- as a real process -------------------------------------------------------------

def run_process(url: str, out: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, **ENV}
    env.pop("SKYVERN_BASE_URL", None)
    return subprocess.run(
        [sys.executable, "-m", "runlytics", "fetch", "--out", str(out), "--base-url", url,
         "--concurrency", str(CONCURRENCY), *extra],
        env=env, capture_output=True, text=True, timeout=120, check=False)


def test_process_transient_503_exits_0_with_the_exact_file(tmp_path):
    sim = Simulator(n_runs=400, seed=4, now=NOW)
    out = tmp_path / "runs.parquet"
    with serve(sim) as url:
        sim.fail_next("503", 2, retry_after=0.05)
        done = run_process(url, out)
    assert done.returncode == 0, done.stderr
    assert done.stdout == f"wrote 400 runs to {out}\n"
    assert "Traceback" not in done.stderr
    pd.testing.assert_frame_equal(read_back(out), truth(sim))


def test_process_lasting_502_exits_1_with_one_line(tmp_path):
    sim = Simulator(n_runs=400, seed=4, now=NOW)
    out = tmp_path / "runs.parquet"
    out.write_bytes(OLD_BYTES)
    with serve(sim) as url:
        sim.fail_next("502", 10_000)
        done = run_process(url, out)
    assert done.returncode == 1
    assert done.stdout == ""
    assert "HTTP 502" in assert_one_line(done.stderr)
    assert out.read_bytes() == OLD_BYTES
    assert_only(tmp_path, "runs.parquet")
