from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import httpx
import pandas as pd
import pyarrow.parquet as pq
import pytest
from conftest import make_run

from runlytics import StoreError, UsageError
from runlytics.cli import main
from runlytics.dataset import (
    STATE_FILE,
    list_partitions,
    locked,
    partition_path,
    read_state,
    same_runs,
)
from runlytics.fetch import fetch_table, query_and_client
from runlytics.frame import dedupe_runs, runs_table, table_to_frame
from runlytics.redact import redact_table
from runlytics.simulator import Simulator, serve
from runlytics.store import frame_to_table, read_frame
from runlytics.sync import sync

SYNC_OPTIONS = frozenset({"lookback", "rescan_days", "max_open_age", "redact"})


def run_sync(root: Path, **options: Any):
    """sync() with the fetch options given as keywords, split into the two objects."""
    own = {k: options.pop(k) for k in list(options) if k in SYNC_OPTIONS}
    return sync(root, *query_and_client(**options), **own)

KEY = "sim-key"
PAGE = 100
FINAL = {"completed", "failed", "terminated", "canceled", "timed_out"}


def fresh_frame(url: str | None = None, *, redact: bool = True, **filters: Any) -> pd.DataFrame:
    """A full fresh fetch, as the dataset should hold it."""
    table = fetch_table(base_url=url, api_key=KEY, page_size=PAGE, progress=False, **filters)
    return table_to_frame(redact_table(table) if redact else table, warn_unknown=False)


def one_page_frame(url: str, *, status: list[str] | None = None) -> pd.DataFrame:
    """Every run in one request (the simulator sets no page limit): a fresh fetch, cheaply."""
    params = [("page_size", "1000000"), *[("status", s) for s in status or []]]
    body = httpx.get(f"{url}/v1/workflows/runs", params=params,
                     headers={"x-api-key": KEY}).content
    table, _ = dedupe_runs(runs_table([body]))
    return table_to_frame(redact_table(table), warn_unknown=False)


def assert_dataset_equals(root: Path, expected: pd.DataFrame) -> None:
    got = read_frame(root)
    assert not got.workflow_run_id.duplicated().any()
    # Compared through Arrow first (assert_frame_equal takes ~0.4 s per call
    # on categoricals); on a difference, assert_frame_equal shows it.
    if not (got.dtypes.equals(expected.dtypes)
            and same_runs(frame_to_table(got), frame_to_table(expected))):
        pd.testing.assert_frame_equal(got, expected)
        raise AssertionError("frames differ")


def file_stamps(root: Path) -> dict[str, tuple[int, int]]:
    return {day: ((folder / "part-0.parquet").stat().st_ino,
                  (folder / "part-0.parquet").stat().st_mtime_ns)
            for day, folder in list_partitions(root)}


# -- against the simulator -------------------------------------------------------------

@pytest.fixture(scope="module")
def busy_sim():
    """3,000 runs over 30 days; stuck runs of the history already ended."""
    sim = Simulator(n_runs=3000, seed=1, now=datetime(2026, 1, 20, tzinfo=UTC))
    sim.advance(25 * 3600)
    return sim


def test_sync_rounds_equal_a_full_fresh_fetch(tmp_path):
    # two workflows, one of them under a retry policy: retries are frequent
    sim = Simulator(n_runs=3000, n_workflows=2, seed=2, now=datetime(2026, 1, 20, tzinfo=UTC))
    sim.advance(25 * 3600)  # the history's stuck runs end
    roots = {"all": tmp_path / "all", "failed": tmp_path / "failed"}
    filters: dict[str, Any] = {"all": {}, "failed": {"status": ["failed", "timed_out"]}}
    reopened = 0
    with serve(sim) as url:
        query, client = query_and_client(base_url=url, api_key=KEY, page_size=PAGE,
                                         progress=False)
        _, full = client.fetch(query)
        for name, root in roots.items():
            first = run_sync(root, base_url=url, api_key=KEY, page_size=PAGE, progress=False,
                         **filters[name])
            assert first.first_sync and first.window_start is None
            # a full fetch (requests past the end vary with concurrency timing)
            assert abs(first.requests - full.requests) < 8
            assert_dataset_equals(root, fresh_frame(url, **filters[name]))
        for _ in range(6):
            state = read_state(roots["all"])
            stored = read_frame(roots["all"], columns=["workflow_run_id", "status"])
            sim.create_runs(30)
            sim.advance(150)  # runs start, finish, fail; failed ones get retried
            before = file_stamps(roots["all"])
            reports, expected = {}, {}
            for name, root in roots.items():
                reports[name] = run_sync(root, base_url=url, api_key=KEY, page_size=PAGE,
                                     progress=False, **filters[name])
                assert not reports[name].first_sync
                expected[name] = one_page_frame(url, **filters[name])
                assert_dataset_equals(root, expected[name])
                # a small fraction of the full fetch's requests
                assert reports[name].requests <= full.requests // 5, reports[name].describe()
            # only the partitions that changed were rewritten
            after = file_stamps(roots["all"])
            changed = {d for d in before.keys() & after.keys() if before[d] != after[d]}
            assert changed | (after.keys() - before.keys()) == set(
                reports["all"].partitions_written)
            # final runs that a retry reopened had been tracked as open
            truth = dict(zip(expected["all"].workflow_run_id, expected["all"].status,
                             strict=True))
            was_final = stored[stored.status.isin(FINAL)]
            back = [i for i in was_final.workflow_run_id if truth[i] not in FINAL]
            assert set(back) <= set(state.open_runs)
            assert reports["all"].runs_reopened == len(back)
            reopened += len(back)
        for name, root in roots.items():  # and a real full fetch agrees
            assert_dataset_equals(root, fresh_frame(url, **filters[name]))
    assert reopened >= 3  # the rounds did exercise retries


def test_first_sync_state_and_readers(tmp_path, busy_sim):
    root = tmp_path / "runs"
    with serve(busy_sim) as url:
        report = run_sync(root, base_url=url, api_key=KEY, page_size=PAGE, progress=False)
        assert_dataset_equals(root, fresh_frame(url))
    state = json.loads((root / STATE_FILE).read_text())
    assert state["base_url"] == url and state["filters"] == {} and state["redacted"] is True
    assert state["syncs"] == 1
    assert state["watermark"] == busy_sim.runs()[0]["created_at"] + "Z"
    assert sorted(state["open_runs"]) == sorted(read_state(root).open_runs)
    assert state["last_report"]["fetch"]["requests"] == report.requests
    assert KEY not in (root / STATE_FILE).read_text()
    ours = read_frame(root)
    days = ours.created_at.dt.strftime("%Y-%m-%d")
    assert report.runs_total == report.runs_added == len(ours) == 3000
    assert report.partitions_written == sorted(days.unique())
    assert [d for d, _ in list_partitions(root)] == report.partitions_written

    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    rows = con.sql(f"SELECT count(*), count(DISTINCT workflow_run_id), "
                   f"bool_and(created_at::DATE = created_date::DATE) "
                   f"FROM read_parquet('{root}/*/*.parquet', hive_partitioning = true)"
                   ).fetchall()[0]
    assert rows == (3000, 3000, True)
    failed = con.sql(f"SELECT count(*) FROM read_parquet('{root}/**/*.parquet') "
                     f"WHERE status = 'failed'").fetchall()[0][0]
    assert failed == (ours.status == "failed").sum()
    assert len(pd.read_parquet(root)) == 3000
    recent = read_frame(root, since="2026-01-19", columns=["workflow_run_id", "created_at"])
    assert list(recent.columns) == ["workflow_run_id", "created_at"]
    assert recent.equals(ours.loc[ours.created_at >= pd.Timestamp("2026-01-19", tz="UTC"),
                                  ["workflow_run_id", "created_at"]].reset_index(drop=True))


KILLED_SYNC = textwrap.dedent("""
    import os, sys
    import pyarrow.parquet as pq
    from runlytics import dataset
    from runlytics import Client, RunQuery
    from runlytics.sync import sync

    url, root, where, after = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    real = pq.write_table
    calls = []

    def dying_write(table, path, **kwargs):
        calls.append(path)
        if len(calls) > after:
            real(table, path, **kwargs)
            size = os.path.getsize(path)
            with open(path, "r+b") as f:   # half of the new file is on disk
                f.truncate(size // 2)
            os._exit(17)
        real(table, path, **kwargs)

    def dying_state(*args, **kwargs):
        os._exit(17)

    if where == "partition":
        pq.write_table = dying_write
    else:
        dataset.write_state = dying_state
    sync(root, RunQuery(page_size=100), Client(base_url=url, api_key="sim-key", progress=False))
""")


def killed_sync(url: str, root: Path, where: str, after: int = 0) -> None:
    child = subprocess.run([sys.executable, "-c", KILLED_SYNC, url, str(root), where,
                            str(after)], capture_output=True, timeout=120)
    assert child.returncode == 17, child.stderr.decode()[-2000:]


@pytest.mark.parametrize("when", ["first sync, 5th partition", "partition write",
                                  "before the state file"])
def test_killed_sync_leaves_a_readable_dataset_and_the_next_sync_converges(tmp_path, when):
    sim = Simulator(n_runs=2000, seed=4, now=datetime(2026, 1, 20, tzinfo=UTC))
    root = tmp_path / "runs"
    with serve(sim) as url:
        if when.startswith("first"):
            killed_sync(url, root, "partition", after=4)
            assert not (root / STATE_FILE).exists()
            assert len(list(root.glob("*/part-0.parquet"))) == 4  # four whole partitions
            assert len(read_frame(root)) > 0
        else:
            run_sync(root, base_url=url, api_key=KEY, page_size=PAGE, progress=False)
            old = read_frame(root)
            old_bytes = {d: partition_path(root, d).read_bytes()
                         for d, _ in list_partitions(root)}
            old_state = (root / STATE_FILE).read_bytes()
            sim.create_runs(50)
            sim.advance(600)
            killed_sync(url, root, "partition" if when == "partition write" else "state")
            assert (root / STATE_FILE).read_bytes() == old_state
            now = read_frame(root)
            assert not now.workflow_run_id.duplicated().any()
            assert set(old.workflow_run_id) <= set(now.workflow_run_id)
            if when == "partition write":  # every partition is the old file, byte for byte
                assert sorted(root.glob("*/part-0.parquet")) == sorted(
                    partition_path(root, d) for d in old_bytes)
                assert {d: partition_path(root, d).read_bytes() for d in old_bytes} == old_bytes
                pd.testing.assert_frame_equal(now, old)
            else:  # every partition was written: only the state is behind
                assert_dataset_equals(root, fresh_frame(url))
        count = duckdb.sql(f"SELECT count(*) FROM read_parquet('{root}/*/*.parquet')").fetchall()[0]
        assert count[0] == len(read_frame(root))
        report = run_sync(root, base_url=url, api_key=KEY, page_size=PAGE, progress=False)
        assert_dataset_equals(root, fresh_frame(url))
    assert report.first_sync == when.startswith("first")
    if when == "before the state file":
        assert report.partitions_written == []
    assert list(root.rglob(".*")) == []  # the killed write's temporary file is gone


def test_cli_sync_prints_one_line_and_refuses_other_filters(tmp_path, busy_sim, capsys,
                                                          monkeypatch):
    monkeypatch.delitem(sys.modules, "ipykernel", raising=False)  # no progress bar
    root = tmp_path / "runs"
    with serve(busy_sim) as url:
        common = [str(root), "--base-url", url, "--api-key", KEY, "--page-size", "100"]
        assert main(["sync", *common]) == 0
        out, err = capsys.readouterr()
        assert out == ""
        assert err.count("\n") == 1 and err.startswith(f"synced {root}: read 3,000 runs")
        assert main(["sync", *common, "--quiet", "--lookback", "1h"]) == 0
        assert capsys.readouterr() == ("", "")
        assert main(["sync", *common, "--status", "failed"]) == 2
        err = capsys.readouterr().err
        assert err == (f"runlytics: error: {root} was synced with filters {{}} (none), not "
                       "{status=['failed']}: a dataset holds one selection of runs; repeat "
                       "the same filters or sync into another directory\n")
        assert main(["sync", *common, "--error-code", "E1"]) == 2
        assert "use `runlytics fetch --error-code ...`" in capsys.readouterr().err
        assert main(["sync", *common, "--lookback", "soon"]) == 2
        assert "lookback: 'soon' is not a span" in capsys.readouterr().err
    assert read_state(root).syncs == 2


# -- what the sync guarantees, on a hand-made API ------------------------------------

class FakeAPI:
    """The runs list over a dict of runs: created_at DESC, LIMIT/OFFSET, status filter."""

    def __init__(self) -> None:
        self.runs: dict[str, dict[str, Any]] = {}
        self.requests = 0

    def put(self, run_id: str, created: str, modified: str | None = None,
            status: str = "completed", **more: Any) -> None:
        self.runs[run_id] = make_run(**{
            "workflow_run_id": run_id, "created_at": created,
            "modified_at": modified or created, "status": status, "retry_pending": False,
            **more})

    def change(self, run_id: str, modified: str, **changes: Any) -> None:
        self.runs[run_id].update(modified_at=modified, **changes)

    def handler(self, request: httpx.Request) -> httpx.Response:
        self.requests += 1
        page = int(request.url.params.get("page", "1"))
        size = int(request.url.params.get("page_size", "10"))
        statuses = request.url.params.get_list("status")
        rows = sorted(self.runs.values(), key=lambda r: r["created_at"], reverse=True)
        rows = [r for r in rows if not statuses or r["status"] in statuses]
        return httpx.Response(200, json=rows[(page - 1) * size: page * size])

    def sync(self, root: Path, **options: Any):
        return run_sync(root, api_key=KEY, page_size=2, concurrency=1, progress=False,
                        transport=httpx.MockTransport(self.handler), **options)

    def fresh(self, **filters: Any) -> pd.DataFrame:
        table = fetch_table(api_key=KEY, page_size=2, progress=False,
                            transport=httpx.MockTransport(self.handler), **filters)
        return table_to_frame(redact_table(table), warn_unknown=False)


def status_of(root: Path) -> dict[str, str]:
    frame = read_frame(root, columns=["workflow_run_id", "status"])
    return dict(zip(frame.workflow_run_id, frame.status.astype(str), strict=True))


def test_what_an_incremental_sync_catches_and_what_needs_a_rescan(tmp_path):
    api = FakeAPI()
    api.put("wr_settled", "2026-01-20T08:00:00", "2026-01-20T08:30:00")
    api.put("wr_pending", "2026-01-20T09:00:00", "2026-01-20T11:00:00", status="failed",
            retry_pending=True, next_attempt_at="2026-01-20T12:05:00")
    api.put("wr_just_final", "2026-01-20T10:00:00", "2026-01-20T11:55:00", status="failed")
    api.put("wr_newest", "2026-01-20T11:58:00", "2026-01-20T12:00:00")
    root = tmp_path / "runs"
    api.sync(root)
    assert sorted(read_state(root).open_runs) == ["wr_just_final", "wr_newest", "wr_pending"]

    # After the sync: the announced retry reopens; a run whose retry flag came
    # late reopens; a run that had long been final changes without notice.
    api.change("wr_pending", "2026-01-20T12:05:00", status="queued", retry_pending=False)
    api.change("wr_just_final", "2026-01-20T12:06:00", status="queued")
    api.change("wr_settled", "2026-01-20T12:07:00", status="failed")
    api.put("wr_new", "2026-01-20T12:10:00")
    report = api.sync(root)
    assert report.window_start == "2026-01-20T08:45:00Z"
    assert (report.runs_added, report.runs_updated, report.runs_reopened) == (1, 2, 2)
    assert status_of(root) == {"wr_new": "completed", "wr_newest": "completed",
                               "wr_just_final": "queued", "wr_pending": "queued",
                               "wr_settled": "completed"}  # missed: documented
    # A rescan reaching back far enough catches it.
    report = api.sync(root, rescan_days=0.25)
    assert report.window_start == "2026-01-20T06:10:00Z"
    assert report.runs_updated == 1 and report.partitions_written == ["2026-01-20"]
    assert status_of(root)["wr_settled"] == "failed"
    assert_dataset_equals(root, api.fresh())


def test_late_runs_within_the_lookback_are_caught(tmp_path):
    api = FakeAPI()
    api.put("wr_a", "2026-01-20T11:00:00")
    api.put("wr_b", "2026-01-20T12:00:00")
    root = tmp_path / "runs"
    api.sync(root, lookback="10m")
    api.put("wr_late", "2026-01-20T11:52:00")  # committed after the sync, older than wr_b
    api.put("wr_too_late", "2026-01-20T11:40:00")  # beyond the look-back: missed, documented
    report = api.sync(root, lookback="10m")
    assert report.window_start == "2026-01-20T11:50:00Z" and report.runs_added == 1
    assert sorted(status_of(root)) == ["wr_a", "wr_b", "wr_late"]


def test_status_filter_follows_runs_in_and_out_of_the_selection(tmp_path):
    api = FakeAPI()
    api.put("wr_old_failed", "2026-01-01T08:00:00", status="failed")
    api.put("wr_running", "2026-01-18T08:00:00", status="running")
    api.put("wr_retrying", "2026-01-19T08:00:00", "2026-01-19T09:00:00", status="failed",
            retry_pending=True)
    api.put("wr_done", "2026-01-20T12:00:00")
    root = tmp_path / "runs"
    api.sync(root, status="failed")
    assert sorted(status_of(root)) == ["wr_old_failed", "wr_retrying"]
    assert_dataset_equals(root, api.fresh(status="failed"))

    api.change("wr_running", "2026-01-20T13:00:00", status="failed")  # joins
    api.change("wr_retrying", "2026-01-20T13:01:00", status="queued", retry_pending=False)
    report = api.sync(root, status="failed")
    assert (report.runs_added, report.runs_removed, report.runs_reopened) == (1, 1, 1)
    assert_dataset_equals(root, api.fresh(status="failed"))

    api.change("wr_retrying", "2026-01-20T13:30:00", status="failed")  # back again
    api.sync(root, status="failed")
    assert sorted(status_of(root)) == ["wr_old_failed", "wr_retrying", "wr_running"]
    assert_dataset_equals(root, api.fresh(status="failed"))


def test_vanished_and_stuck_open_runs_stop_pinning_the_window(tmp_path):
    api = FakeAPI()
    api.put("wr_stuck", "2026-01-01T08:00:00", status="running")
    api.put("wr_deleted", "2026-01-15T08:00:00", status="queued")
    api.put("wr_now", "2026-01-20T12:00:00")
    root = tmp_path / "runs"
    first = api.sync(root)
    assert first.open_runs_given_up == 1
    assert sorted(read_state(root).open_runs) == ["wr_deleted", "wr_now"]
    del api.runs["wr_deleted"]
    report = api.sync(root)
    assert report.window_start == "2026-01-15T07:45:00Z"
    assert sorted(read_state(root).open_runs) == ["wr_now"]
    assert api.sync(root).window_start == "2026-01-20T11:45:00Z"
    assert "wr_deleted" in status_of(root)  # deleted runs stay: documented


def test_secrets_are_redacted_in_the_dataset_unless_kept(tmp_path):
    api = FakeAPI()
    api.put("wr_1", "2026-01-20T12:00:00",
            extra_http_headers={"Authorization": "Bearer hdr-s3cret"},
            webhook_callback_url="https://h.example/cb?token=url-s3cret")
    api.sync(tmp_path / "redacted")
    api.sync(tmp_path / "kept", redact=False)
    redacted = read_frame(tmp_path / "redacted")
    assert json.loads(redacted.extra_http_headers[0]) == {"Authorization": "***"}
    assert redacted.webhook_callback_url[0] == "https://h.example/cb?token=***"
    texts = [(repr(pq.read_table(path).to_pylist()) + repr(pq.read_schema(path).metadata)
              if path.suffix == ".parquet" else path.read_text())
             for path in (tmp_path / "redacted").rglob("*") if path.is_file()]
    assert len(texts) == 3 and not any("s3cret" in text for text in texts)
    assert read_frame(tmp_path / "kept").webhook_callback_url[0].endswith("=url-s3cret")
    with pytest.raises(UsageError, match="--keep-secrets"):
        api.sync(tmp_path / "redacted", redact=False)


def test_unchanged_partitions_are_not_rewritten(tmp_path):
    api = FakeAPI()
    for day in range(10, 20):
        api.put(f"wr_{day}", f"2026-01-{day}T08:00:00")
    api.put("wr_open", "2026-01-15T09:00:00", status="running")
    root = tmp_path / "runs"
    api.sync(root)
    before = file_stamps(root)
    api.change("wr_open", "2026-01-20T10:00:00", status="completed")
    report = api.sync(root)
    assert report.partitions_written == ["2026-01-15"]
    after = file_stamps(root)
    assert {d for d in before if before[d] != after[d]} == {"2026-01-15"}


@pytest.mark.parametrize("setup, options, error, message", [
    ("file", {}, UsageError, "is a file"),
    ("foreign", {}, UsageError, "is not a runlytics dataset"),
    ("synced", {"status": "failed"}, UsageError, "was synced with filters"),
    ("synced", {"search_key": "acme"}, UsageError, "was synced with filters"),
    ("synced", {"lookback": timedelta(seconds=-5)}, UsageError,
     "lookback must not be negative"),
    ("synced", {"max_open_age": [7]}, UsageError, "max_open_age: expected a timedelta or a span"),
    ("synced", {"rescan_days": "all"}, UsageError, "rescan_days must be"),
    ("synced", {"status": "done"}, UsageError, "unknown status 'done'"),
    ("bad state", {}, StoreError, "is not a runlytics state file"),
])
def test_refusals(tmp_path, setup, options, error, message):
    api = FakeAPI()
    api.put("wr_1", "2026-01-20T12:00:00")
    root = tmp_path / "runs"
    if setup == "file":
        root.write_text("x")
    elif setup == "foreign":
        root.mkdir()
        (root / "notes.txt").write_text("mine")
    else:
        api.sync(root)
        if setup == "bad state":
            (root / STATE_FILE).write_text("{not json")
    with pytest.raises(error, match=message):
        api.sync(root, **options)


def test_no_api_key_is_refused_before_anything_is_made(tmp_path, monkeypatch):
    monkeypatch.delenv("SKYVERN_API_KEY", raising=False)
    with pytest.raises(UsageError, match="no API key"):
        run_sync(tmp_path / "runs")
    assert not (tmp_path / "runs").exists()


def test_another_base_url_is_refused(tmp_path):
    api = FakeAPI()
    api.put("wr_1", "2026-01-20T12:00:00")
    root = tmp_path / "runs"
    api.sync(root)
    with pytest.raises(UsageError, match="holds runs from https://api.skyvern.com, not "
                       "https://other.example"):
        api.sync(root, base_url="https://other.example")


def test_a_second_sync_at_the_same_time_is_refused(tmp_path):
    api = FakeAPI()
    api.put("wr_1", "2026-01-20T12:00:00")
    root = tmp_path / "runs"
    api.sync(root)
    with locked(root), pytest.raises(StoreError, match="another sync of .* is running"):
        api.sync(root)
    assert api.sync(root).runs_read == 1


def test_nothing_is_written_when_the_fetch_fails(tmp_path):
    api = FakeAPI()
    api.put("wr_1", "2026-01-20T12:00:00")
    root = tmp_path / "runs"
    api.sync(root)
    state = (root / STATE_FILE).read_bytes()

    def forbidden(request: httpx.Request) -> httpx.Response:
        return httpx.Response(403, json={"detail": "Invalid credentials"})

    from runlytics import AuthError

    with pytest.raises(AuthError):
        run_sync(root, api_key=KEY, progress=False, transport=httpx.MockTransport(forbidden))
    assert (root / STATE_FILE).read_bytes() == state
    assert sorted(p.name for p in root.iterdir()) == [
        "_runlytics.lock", STATE_FILE, "created_date=2026-01-20"]


def test_seconds_as_a_number_still_work_with_a_warning(tmp_path):
    api = FakeAPI()
    api.put("wr_1", "2026-01-20T12:00:00")
    with pytest.warns(DeprecationWarning, match="lookback: a number of seconds is deprecated"):
        report = api.sync(tmp_path / "runs", lookback=900)
    assert report.runs_total == 1
