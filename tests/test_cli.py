"""The command line under bad input, and ``sync`` killed at random moments.

Bad input is a usage error: exit 2, one line on stderr naming the option,
no traceback, and no request sent. A sync killed at any moment leaves a
dataset that reads whole, and the next syncs converge to a fresh fetch.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import pytest

from runlytics.cli import main
from runlytics.simulator import Simulator, serve
from runlytics.store import read_frame

NOW = datetime(2026, 11, 28, 12, tzinfo=UTC)
KEY = "sim-key"
ENV = {"RUNLYTICS_RETRY_BASE_SECONDS": "0.005", "SKYVERN_API_KEY": KEY}


@pytest.fixture(autouse=True)
def _env(monkeypatch):
    for name, value in ENV.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("SKYVERN_BASE_URL", raising=False)


@pytest.fixture(scope="module")
def sim_url():
    sim = Simulator(n_runs=200, seed=4, now=NOW)
    with serve(sim) as url:
        yield sim, url


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def assert_usage_error(code: int, out: str, err: str, *texts: str) -> None:
    assert code == 2, err
    assert out == ""
    lines = err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("runlytics: error: "), err
    for text in texts:
        assert text in lines[0]


@pytest.fixture
def a_file(tmp_path) -> Path:
    path = tmp_path / "a-file"
    path.write_text("not a folder")
    return path


BAD_FETCH_OPTIONS = [
    (["--since", "last tuesday"], "since: 'last tuesday' is not a date/time"),
    (["--since", "2026-13-45"], "since: '2026-13-45' is not a date/time"),
    (["--until", "2026-02-30T25:61"], "until: '2026-02-30T25:61' is not a date/time"),
    (["--since", "99999999999d"], "since: '99999999999d' is too long a span"),
    (["--since", "7 fortnights"], "since: '7 fortnights'"),
    (["--page-size", "0"], "argument --page-size: must be >= 1, got 0"),
    (["--page-size", "-3"], "argument --page-size: must be >= 1, got -3"),
    (["--page-size", "ten"], "argument --page-size: 'ten' is not a whole number"),
    (["--page-size", "1.5"], "argument --page-size: '1.5' is not a whole number"),
    (["--concurrency", "0"], "argument --concurrency: must be >= 1"),
    (["--max-runs", "0"], "argument --max-runs: must be >= 1"),
    (["--status", "archived"], "unknown status 'archived'; choose from created"),
    (["--status", "completed", "--status", "done"], "unknown status 'done'"),
    (["--status", "failed,completed"], "unknown status 'failed,completed'"),
    (["--search-key", "k" * 501], "search_key is 501 characters long; the API allows at most 500"),
    (["--error-code", "E" * 501], "error_code is 501 characters long"),
    (["--base-url", "ftp://example.com"], "must start with https://"),
    (["--base-url", "http://10.1.2.3"], "plain http to another host", "--allow-insecure"),
    (["--base-url", "http://[::1"], "is not a URL"),
    (["--bogus-option"], "unrecognized arguments: --bogus-option"),
]


@pytest.mark.parametrize(("options", "texts"), [(o, tuple(t)) for o, *t in BAD_FETCH_OPTIONS])
def test_bad_fetch_options_are_usage_errors(capsys, sim_url, tmp_path, options, texts):
    sim, url = sim_url
    sim.reset_log()
    argv = ["fetch", "--out", str(tmp_path / "runs.parquet"), "--base-url", url, *options]
    if "--base-url" in options:
        argv = ["fetch", "--out", str(tmp_path / "runs.parquet"), *options]
    code, out, err = run(capsys, *argv)
    assert_usage_error(code, out, err, *texts)
    assert sim.request_count == 0  # nothing was sent
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("where", ["a directory", "inside a file", "/proc", "/sys"])
def test_unwritable_out_is_a_usage_error_before_any_request(capsys, sim_url, tmp_path, a_file,
                                                            where):
    sim, url = sim_url
    sim.reset_log()
    out = {"a directory": tmp_path, "inside a file": a_file / "runs.parquet",
           "/proc": Path("/proc/runlytics-test.parquet"),
           "/sys": Path("/sys/runlytics-test.parquet")}[where]
    code, stdout, err = run(capsys, "fetch", "--out", str(out), "--base-url", url)
    assert_usage_error(code, stdout, err, f"--out {out}")
    assert sim.request_count == 0


def test_missing_api_key_is_a_usage_error(capsys, sim_url, tmp_path, monkeypatch):
    _, url = sim_url
    monkeypatch.delenv("SKYVERN_API_KEY")
    code, out, err = run(capsys, "fetch", "--out", str(tmp_path / "r.parquet"), "--base-url", url)
    assert_usage_error(code, out, err, "no API key", "SKYVERN_API_KEY")


@pytest.mark.parametrize("value", ["soon", "0", "-1", "nan", "inf"])
def test_a_bad_retry_setting_is_a_usage_error(capsys, sim_url, tmp_path, monkeypatch, value):
    _, url = sim_url
    monkeypatch.setenv("RUNLYTICS_RETRY_BASE_SECONDS", value)
    code, out, err = run(capsys, "fetch", "--out", str(tmp_path / "r.parquet"), "--base-url", url)
    assert_usage_error(code, out, err, "RUNLYTICS_RETRY_BASE_SECONDS must be a number")


@pytest.mark.parametrize(("argv", "text"), [
    ([], "the following arguments are required: command"),
    (["frobnicate"], "invalid choice: 'frobnicate'"),
    (["fetch"], "the following arguments are required: --out"),
    (["sync"], "the following arguments are required: DIR"),
    (["report", "--out", "r.html", "--tz", "Mars/Phobos"], "--tz 'Mars/Phobos' is not a time zone"),
    (["report", "--out", "r.html", "--fail-on", "speed is good"], "--fail-on 'speed is good'"),
    (["report", "--out", "r.html", "--format", "pdf"], "argument --format: invalid choice"),
    (["report", "--out", "r.html", "--since", "next week"], "since: 'next week'"),
    (["sync", "{dir}", "--lookback", "forever"], "lookback: 'forever' is not a span"),
    (["sync", "{dir}", "--rescan-days", "-1"], "rescan_days must be a number of days >= 0"),
    (["sync", "{dir}", "--max-runs", "5"], "sync cannot keep a --max-runs selection"),
    (["sync", "{file}"], "is a file; sync needs a directory"),
])
def test_bad_input_to_every_command(capsys, sim_url, tmp_path, a_file, argv, text):
    sim, url = sim_url
    sim.reset_log()
    argv = [a.format(dir=tmp_path / "ds", file=a_file) for a in argv]
    if argv and argv[0] in ("sync", "report"):
        argv += ["--base-url", url]
    code, out, err = run(capsys, *argv)
    assert_usage_error(code, out, err, text)
    assert sim.request_count == 0


def test_report_with_an_out_of_range_span_is_a_usage_error(capsys, tmp_path):
    code, out, err = run(capsys, "report", "--out", str(tmp_path / "r.html"), "--from",
                         str(tmp_path), "--since", "99999999999d")
    assert_usage_error(code, out, err, "since")


def test_server_text_in_an_error_stays_on_one_line(capsys, tmp_path):
    """A run id with a line break and a terminal escape, named in a schema error."""
    import httpx

    import runlytics.client as client

    body = (b'[{"workflow_run_id": "wr_1\\n\\u001b[2J\\u202e", "workflow_id": "w",'
            b' "workflow_permanent_id": "p", "organization_id": "o", "status": "failed",'
            b' "created_at": "2026-01-01T00:00:00", "modified_at": "2026-01-01T00:00:00",'
            b' "attempt": "two"}]')

    def handler(request: httpx.Request) -> httpx.Response:
        page = request.url.params["page"]
        return httpx.Response(200, content=body if page == "1" else b"[]")

    real = client.httpx.Client

    def patched(*args, **kwargs):
        kwargs["transport"] = httpx.MockTransport(handler)
        return real(*args, **kwargs)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(client.httpx, "Client", patched)
        code, out, err = run(capsys, "fetch", "--out", str(tmp_path / "r.parquet"),
                             "--base-url", "http://127.0.0.1:9", "--quiet")
    assert code == 1 and out == ""
    assert len(err.splitlines()) == 1
    assert "\x1b" not in err and "\u202e" not in err
    assert "'attempt'" in err and "wr_1" in err


# -- Ctrl-C while the command starts ---------------------------------------------------

# A real SIGINT, sent while the CLI imports pandas (most of its start-up time).
INTERRUPT_WHILE_LOADING = """
import os, signal, sys

class Interrupt:
    def find_spec(self, name, path=None, target=None):
        if name == "pandas":
            os.kill(os.getpid(), signal.SIGINT)
        return None

sys.meta_path.insert(0, Interrupt())
from runlytics._entry import run
sys.exit(run())
"""


def test_ctrl_c_while_starting_exits_130_with_one_line():
    done = subprocess.run([sys.executable, "-c", INTERRUPT_WHILE_LOADING, "fetch"],
                          capture_output=True, text=True, timeout=120)
    assert (done.returncode, done.stdout) == (130, "")
    assert done.stderr == "runlytics: interrupted while starting; nothing was done\n"


def test_the_entry_point_loads_nothing_heavy():
    """So that Ctrl-C is ours from the first instant (see runlytics/_entry.py)."""
    code = ("import sys, runlytics._entry; "
            "print(sorted({'pandas', 'pyarrow', 'httpx', 'numpy'} & set(sys.modules)))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120)
    assert done.stdout == "[]\n", done.stderr


# -- sync killed at random moments -----------------------------------------------------

# Runs the CLI, killing itself (SIGKILL: no clean-up at all) just before its k-th file
# replacement, i.e. with a temporary file written and k - 1 files already in place.
KILL_AT_WRITE = """
import os, signal, sys
k = int(sys.argv[1])
count = 0
real_replace = os.replace

def replace(src, dst):
    global count
    count += 1
    if count == k:
        os.kill(os.getpid(), signal.SIGKILL)
    return real_replace(src, dst)

os.replace = replace
from runlytics.cli import main
sys.exit(main(sys.argv[2:]))
"""


def sync_process(url: str, root: Path, kill_at_write: int | None = None
                 ) -> subprocess.Popen[str]:
    env = {**os.environ, **ENV}
    env.pop("SKYVERN_BASE_URL", None)
    argv = ["sync", str(root), "--base-url", url, "--concurrency", "2", "--page-size", "100",
            "--quiet"]
    prefix = [sys.executable, "-m", "runlytics"] if kill_at_write is None else \
        [sys.executable, "-c", KILL_AT_WRITE, str(kill_at_write)]
    return subprocess.Popen([*prefix, *argv], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def assert_readable(root: Path) -> int:
    """The dataset reads whole (or does not exist yet): no half file, no duplicate."""
    if not root.exists() or not any(root.glob("created_date=*")):
        return 0
    df = read_frame(root)
    assert df["workflow_run_id"].is_unique
    return len(df)


def test_sync_killed_at_random_moments_stays_readable_and_converges(capsys, tmp_path):
    sim = Simulator(n_runs=6000, seed=21, now=NOW, hostile=True, days=20)
    root = tmp_path / "dataset"
    rng = random.Random(5)
    with serve(sim) as url:
        started = time.monotonic()
        timing = sync_process(url, tmp_path / "timing")
        _, err = timing.communicate(timeout=300)
        assert timing.returncode == 0, err
        full = time.monotonic() - started  # start-up, fetch and writes of a first sync
        # A first sync writes ~21 partitions (20 days), then the state file; the next
        # rewrites only the partitions that changed, and the state file is last: kill
        # at the k-th file put in place, k large first, then small.
        plan = [("write", rng.randint(8, 20)), ("write", rng.randint(2, 6)), ("write", 1),
                ("time", signal.SIGKILL), ("write", 2), ("time", signal.SIGINT),
                ("write", 1), ("write", 2)]
        outcomes = []
        for how, what in plan:
            if how == "write":
                process = sync_process(url, root, kill_at_write=what)
            else:  # once it talks to the server (Ctrl-C while Python starts up is not ours)
                sim.reset_log()
                process = sync_process(url, root)
                deadline = time.monotonic() + 120
                while not sim.request_count and process.poll() is None:
                    assert time.monotonic() < deadline
                    time.sleep(0.01)
                time.sleep(rng.uniform(0, full / 2))
                process.send_signal(what)
            _, err = process.communicate(timeout=300)
            outcomes.append(process.returncode)
            assert "Traceback" not in err
            # -SIGINT: Ctrl-C once the work was done, while Python shuts down
            assert process.returncode in (0, 130, -signal.SIGKILL, -signal.SIGINT), err
            assert_readable(root)
            # The server moves on between syncs: runs progress, new ones arrive.
            sim.advance(rng.uniform(30, 900))
            sim.create_runs(rng.randint(1, 40))
        final = sync_process(url, root)
        _, err = final.communicate(timeout=300)
        assert final.returncode == 0, err
        code, _, err = run(capsys, "fetch", "--out", str(tmp_path / "fresh.parquet"),
                           "--base-url", url, "--quiet")
        assert code == 0, err
    assert outcomes.count(-signal.SIGKILL) >= 5, outcomes  # syncs were killed mid-write
    synced = read_frame(root)
    fresh = read_frame(tmp_path / "fresh.parquet")
    pd.testing.assert_frame_equal(synced, fresh)
    assert not [p for p in root.rglob("*") if p.name.startswith(".")]  # no temporary files


def test_simulate_with_the_real_server_cost(capsys, monkeypatch):
    """``--real-server-cost`` serves a simulator with the measured costs; ``--server-errors``
    sets its share of 500s."""
    import runlytics.simulator as simulator
    from runlytics.simulator import RealServerCost

    served = []
    monkeypatch.setattr(simulator, "run_forever", lambda *a, sim, **k: served.append(sim))
    assert main(["simulate", "--runs", "20", "--real-server-cost", "--server-errors", "0.1"]) == 0
    assert main(["simulate", "--runs", "20"]) == 0
    assert [s.cost_model for s in served] == [RealServerCost(error_rate=0.1), None]


def test_simulate_refuses_a_share_of_errors_outside_0_to_1(capsys):
    code, out, err = run(capsys, "simulate", "--real-server-cost", "--server-errors", "1.5")
    assert_usage_error(code, out, err, "--server-errors: must be a share within 0..1, got '1.5'")
