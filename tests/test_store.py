from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import duckdb
import orjson
import pandas as pd
import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq
import pytest
from conftest import make_run, recorded
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from runlytics import StoreError, UsageError
from runlytics.dataset import PARTITION_KEY, partition_path
from runlytics.frame import runs_table, table_to_frame
from runlytics.schema import COLUMNS, STATUSES, TRIGGER_TYPES, arrow_schema
from runlytics.store import METADATA_KEY, read_frame, read_metadata, write_parquet

# A run with a value in every column, unknown category values and an unknown field.
FULL_RUN = make_run(
    workflow_run_id="wr_full", workflow_title="Every Column", trigger_type="job_recipe_apply",
    created_at="2026-01-20T10:00:00", modified_at="2026-01-20T10:05:00.000001",
    queued_at="2026-01-20T10:00:01.5", started_at="2026-01-20T10:00:03",
    finished_at="2026-01-20T10:05:00.000001Z", attempt=2, retry_pending=True,
    next_attempt_at="2026-01-20T10:10:00+02:00", attempts=[{"attempt": 1, "status": "failed"}],
    failure_category=[
        {"category": "PROXY_ERROR", "confidence_float": 0.8, "reasoning": "r1",
         "reason_code": "E1", "evidence_source": "llm"},
        {"category": "SOMETHING_NEW", "confidence_float": 0.1, "reasoning": "r2"},
    ],
    webhook_failure_reason="HTTP 500 from the webhook", run_with="code",
    script_run={"ai_fallback_triggered": True, "script_id": "s_1", "script_revision_id": "sr_1"},
    ai_fallback=True, code_gen=False,
    proxy_location={"country": "US", "subdivision": "CA", "city": None},
    workflow_schedule_id="ws_1", browser_session_id="pbs_1", browser_profile_id="bp_1",
    browser_seed_source="profile", browser_sink_profile_id="bp_2", start_fresh_browser=True,
    reuse_browser_session=False, browser_address="http://u:pw@127.0.0.1:9222/?token=t",
    browser_type="chromium-headful", browser_settings={"viewport": {"width": 1920}},
    browser_settings_receipt={"locale": "en-US"}, debug_session_id="ds_1",
    extra_http_headers={"Authorization": "Bearer s3cret", "X-Tenant": "acme"},
    cdp_connect_headers={"Authorization": "***"},
    webhook_callback_url="https://hooks.example/cb?token=abc&tenant=acme",
    totp_verification_url="https://totp.example/code?key=k9", totp_identifier="me@example.com",
    parent_workflow_run_id="wr_parent", retried_from_workflow_run_id="wr_before",
    fallback_attempt=1, depends_on_workflow_run_id="wr_dep", job_id="job_1",
    sequential_key="sk", sequential_credential_id="cred_1", max_screenshot_scrolls=3,
    max_elapsed_time_minutes=60, ignore_inherited_workflow_system_prompt=True,
    copilot_session_id="cs_1", created_by="user_1", credits_used=12, cached_credits_used=3,
    brand_new_field={"nested": [1, 2]},
)


def typed(pages: list) -> pd.DataFrame:
    return table_to_frame(runs_table(pages), warn_unknown=False)


@pytest.fixture
def runs() -> pd.DataFrame:
    """The recorded page plus a run with every column set."""
    return typed([recorded("runs_page1_size5.json"), [FULL_RUN]])


def test_fixture_sets_every_column(runs):
    empty = [c.name for c in COLUMNS if runs[c.name].isna().all()]
    assert empty == []


def test_round_trip_of_every_column(runs, tmp_path):
    path = write_parquet(runs, tmp_path / "runs.parquet", redact=False)
    assert path == tmp_path / "runs.parquet"
    pd.testing.assert_frame_equal(read_frame(path), runs)


def test_round_trip_of_an_arrow_table_and_of_no_runs(tmp_path):
    table = runs_table([recorded("runs_page1_size5.json")])
    path = write_parquet(table, tmp_path / "t.parquet", redact=False)
    pd.testing.assert_frame_equal(read_frame(path), table_to_frame(table))
    empty = write_parquet(arrow_schema().empty_table(), tmp_path / "e.parquet")
    pd.testing.assert_frame_equal(read_frame(empty), typed([]))


def test_read_selected_columns_and_created_range(runs, tmp_path):
    path = write_parquet(runs, tmp_path / "runs.parquet", redact=False)
    got = read_frame(path, columns=["status", "workflow_run_id"],
                       since="2026-11-28T17:00:00", until="2026-11-28T21:00:00")
    expected = runs.loc[(runs.created_at >= pd.Timestamp("2026-11-28T17:00:00Z"))
                        & (runs.created_at < pd.Timestamp("2026-11-28T21:00:00Z")),
                        ["status", "workflow_run_id"]].reset_index(drop=True)
    assert list(expected.workflow_run_id) == ["wr_602374229359929848", "wr_602374229359929842",
                                              "wr_602374229359929836"]
    pd.testing.assert_frame_equal(got, expected)


def test_parquet_layout_is_zstd_with_dictionary_categoricals(runs, tmp_path):
    path = write_parquet(runs, tmp_path / "runs.parquet")
    meta = pq.ParquetFile(path).metadata
    row_group = meta.row_group(0)
    names = [row_group.column(i).path_in_schema for i in range(row_group.num_columns)]
    for i, name in enumerate(names):
        assert row_group.column(i).compression == "ZSTD", name
    status = row_group.column(names.index("status"))
    assert "RLE_DICTIONARY" in status.encodings
    assert pq.read_schema(path).field("status").type == pa.dictionary(pa.int32(), pa.string())


def test_metadata_records_what_the_extract_is(runs, tmp_path):
    from runlytics import __version__

    report = {"requests": 3, "runs": 6}
    path = write_parquet(runs, tmp_path / "runs.parquet", base_url="https://api.skyvern.com",
                         filters={"status": ["failed"]}, fetch_report=report,
                         fetched_at=pd.Timestamp("2026-01-20T12:00:00Z").to_pydatetime())
    assert read_metadata(path) == {
        "runlytics_version": __version__, "base_url": "https://api.skyvern.com",
        "filters": {"status": ["failed"]}, "fetched_at": "2026-01-20T12:00:00+00:00",
        "redacted": True, "fetch_report": report,
    }
    assert METADATA_KEY in pq.read_schema(path).metadata


def test_secrets_are_redacted_by_default_and_kept_on_request(runs, tmp_path):
    redacted = read_frame(write_parquet(runs, tmp_path / "r.parquet"))
    kept = read_frame(write_parquet(runs, tmp_path / "k.parquet", redact=False))
    full = redacted.set_index("workflow_run_id").loc["wr_full"]
    assert json.loads(full.extra_http_headers) == {"Authorization": "***", "X-Tenant": "***"}
    assert full.webhook_callback_url == "https://hooks.example/cb?token=***&tenant=***"
    assert full.totp_verification_url == "https://totp.example/code?key=***"
    assert full.browser_address == "http://u:***@127.0.0.1:9222/?token=***"
    stored = repr(pq.read_table(tmp_path / "r.parquet").to_pylist())
    for secret in ("s3cret", "token=abc", "key=k9", "u:pw@"):
        assert secret not in stored
        assert secret in repr(pq.read_table(tmp_path / "k.parquet").to_pylist())
    pd.testing.assert_frame_equal(kept, runs)


def test_failed_write_leaves_the_old_file_and_no_temporary(runs, tmp_path, monkeypatch):
    path = write_parquet(runs.head(2), tmp_path / "runs.parquet")
    before = path.read_bytes()

    def broken(table, where, **kwargs):
        Path(where).write_bytes(b"PAR1 half a file")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(pq, "write_table", broken)
    with pytest.raises(StoreError, match="No space left on device"):
        write_parquet(runs, path)
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["runs.parquet"]


KILLED_WRITER = textwrap.dedent("""
    import os, sys
    import pyarrow.parquet as pq
    from runlytics.frame import runs_table
    from runlytics.store import write_parquet

    def dying(table, where, **kwargs):
        with open(where, "wb") as out:
            out.write(b"PAR1" + b"x" * 4096)   # half a file on disk, then the process dies
        os._exit(17)

    pq.write_table = dying
    write_parquet(runs_table([open(sys.argv[2], "rb").read()]), sys.argv[1])
""")


def test_killed_write_leaves_the_old_file_intact(runs, tmp_path):
    path = write_parquet(runs.head(2), tmp_path / "runs.parquet")
    before = path.read_bytes()
    page = Path(__file__).parent / "data" / "runs_page1_size5.json"
    child = subprocess.run([sys.executable, "-c", KILLED_WRITER, str(path), str(page)],
                           capture_output=True, timeout=60)
    assert child.returncode == 17, child.stderr.decode()
    assert path.read_bytes() == before
    pd.testing.assert_frame_equal(read_frame(path), runs.head(2))
    leftovers = [p.name for p in tmp_path.iterdir() if p != path]
    assert len(leftovers) == 1 and leftovers[0].startswith(".runs.parquet.")


@pytest.mark.parametrize("problem, content, message", [
    ("missing", None, "no such file"),
    ("not parquet", b"hello", "cannot read"),
])
def test_unreadable_files_raise_store_error(tmp_path, problem, content, message):
    path = tmp_path / "x.parquet"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(StoreError, match=message):
        read_frame(path)


def test_unknown_column_and_bad_bounds(runs, tmp_path):
    path = write_parquet(runs, tmp_path / "runs.parquet")
    with pytest.raises(StoreError, match="'latency' is not a runs column"):
        read_frame(path, columns=["latency"])
    with pytest.raises(UsageError, match="since"):
        read_frame(path, since="last tuesday")


def test_file_that_is_not_runs_data(tmp_path):
    pq.write_table(pa.table({"a": [1]}), tmp_path / "other.parquet")
    with pytest.raises(StoreError, match="not a runs file"):
        read_frame(tmp_path / "other.parquet")


# -- datasets -----------------------------------------------------------------------

def write_dataset(root: Path, frame: pd.DataFrame) -> None:
    """Partition ``frame`` by created date the way runlytics.dataset does."""
    from runlytics.dataset import split_by_day, write_partition
    from runlytics.frame import dedupe_runs
    from runlytics.store import frame_to_table

    for day, rows in split_by_day(frame_to_table(frame)).items():
        write_partition(root, day, dedupe_runs(rows)[0], {"partition": day})


@pytest.fixture
def three_days() -> pd.DataFrame:
    pages = [[make_run(workflow_run_id=f"wr_{day}{i}", created_at=f"2026-01-{day}T{h:02d}:00:00",
                       modified_at=f"2026-01-{day}T{h:02d}:30:00", status=status)
              for i, (h, status) in enumerate([(1, "failed"), (12, "completed"),
                                               (23, "running")])]
             for day in (18, 19, 20)]
    frame = typed(pages)
    return frame.sort_values(["created_at", "workflow_run_id"], ascending=False,
                             ignore_index=True)


def test_dataset_reads_back_sorted_and_without_partition_column(tmp_path, three_days):
    write_dataset(tmp_path, three_days.sample(frac=1, random_state=1))
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        f"{PARTITION_KEY}=2026-01-18", f"{PARTITION_KEY}=2026-01-19",
        f"{PARTITION_KEY}=2026-01-20"]
    got = read_frame(tmp_path)
    assert PARTITION_KEY not in got.columns
    pd.testing.assert_frame_equal(got, three_days)


def test_dataset_reads_only_the_partitions_and_columns_asked_for(tmp_path, three_days):
    write_dataset(tmp_path, three_days)
    # A broken partition outside the range is never opened.
    partition_path(tmp_path, "2026-01-18").write_bytes(b"not parquet at all")
    got = read_frame(tmp_path, since="2026-01-19T12:00:00", until="2026-01-20T12:00:00",
                       columns=["workflow_run_id", "status"])
    assert got.to_dict("list") == {"workflow_run_id": ["wr_200", "wr_192", "wr_191"],
                                   "status": ["failed", "running", "completed"]}
    assert isinstance(got.status.dtype, pd.CategoricalDtype)
    with pytest.raises(StoreError, match="cannot read"):
        read_frame(tmp_path)


def test_dataset_skips_state_lock_and_temporary_files(tmp_path, three_days):
    write_dataset(tmp_path, three_days)
    (tmp_path / "_runlytics_state.json").write_text("{}")
    (tmp_path / "_runlytics.lock").write_text("")
    folder = partition_path(tmp_path, "2026-01-19").parent
    (folder / ".part-0.parquet.abc.tmp").write_bytes(b"PAR1 half")
    pd.testing.assert_frame_equal(read_frame(tmp_path), three_days)
    table = ds.dataset(tmp_path, format="parquet", partitioning="hive").to_table()
    assert table.num_rows == 9
    assert sorted(set(table.column(PARTITION_KEY).to_pylist())) == [
        "2026-01-18", "2026-01-19", "2026-01-20"]


def test_dataset_is_readable_by_pandas_and_duckdb(tmp_path, three_days):
    write_dataset(tmp_path, three_days)
    frame = pd.read_parquet(tmp_path)
    assert sorted(frame.workflow_run_id) == sorted(three_days.workflow_run_id)
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    rows = con.sql(
        f"SELECT {PARTITION_KEY}::VARCHAR, count(*), "
        f"bool_and(created_at::DATE = {PARTITION_KEY}::DATE) "
        f"FROM read_parquet('{tmp_path}/*/*.parquet', hive_partitioning = true) "
        f"GROUP BY {PARTITION_KEY} ORDER BY 1").fetchall()
    assert rows == [("2026-01-18", 3, True), ("2026-01-19", 3, True), ("2026-01-20", 3, True)]


def test_empty_or_missing_dataset(tmp_path):
    pd.testing.assert_frame_equal(read_frame(tmp_path), typed([]))
    with pytest.raises(StoreError, match="no such file or directory"):
        read_frame(tmp_path / "nowhere")


# -- properties ------------------------------------------------------------------------

_TEXT = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=20)
_STAMP = st.datetimes(min_value=pd.Timestamp("2020-01-01").to_pydatetime(),
                      max_value=pd.Timestamp("2030-01-01").to_pydatetime()).map(
    lambda d: d.isoformat())


@st.composite
def run_dicts(draw: st.DrawFn) -> dict:
    created = draw(_STAMP)
    return make_run(
        workflow_run_id=f"wr_{draw(st.integers(0, 10**12))}",
        status=draw(st.sampled_from(STATUSES)),
        trigger_type=draw(st.one_of(st.none(), st.sampled_from(TRIGGER_TYPES),
                                    st.just("brand_new"))),
        created_at=created, modified_at=created,
        finished_at=draw(st.one_of(st.none(), _STAMP)),
        workflow_title=draw(st.one_of(st.none(), _TEXT)),
        failure_reason=draw(st.one_of(st.none(), _TEXT)),
        attempt=draw(st.one_of(st.none(), st.integers(1, 5))),
        retry_pending=draw(st.one_of(st.none(), st.booleans())),
        extra_http_headers=draw(st.one_of(st.none(), st.dictionaries(
            st.text("abcXY-", min_size=1, max_size=8), _TEXT, max_size=3))),
        failure_category=draw(st.one_of(st.none(), st.lists(st.fixed_dictionaries({
            "category": st.sampled_from(["PROXY_ERROR", "UNKNOWN", "NEW_ONE"]),
            "confidence_float": st.floats(0, 1), "reasoning": _TEXT}), max_size=3))),
    )


@settings(max_examples=15, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(run_dicts(), max_size=8, unique_by=lambda r: r["workflow_run_id"]))
def test_any_runs_round_trip_through_a_file(tmp_path, runs_list):
    frame = typed([orjson.dumps(runs_list)])
    path = write_parquet(frame, tmp_path / "p.parquet", redact=False)
    pd.testing.assert_frame_equal(read_frame(path), frame)
    os.remove(path)


# -- names (issue 13: a function's name ends with what it returns) -----------------

@pytest.mark.parametrize(("old", "new", "where"), [
    ("read_parquet", "read_frame", "runlytics.store"),
    ("to_table", "frame_to_table", "runlytics.store"),
    ("partition_path", "partition_path", "runlytics.dataset"),
    ("PARTITION_KEY", "PARTITION_KEY", "runlytics.dataset"),
    ("PARTITION_FILE", "PARTITION_FILE", "runlytics.dataset"),
])
def test_old_store_names_warn_and_give_the_new_object(old, new, where):
    import importlib

    import runlytics.store

    expected = getattr(importlib.import_module(where), new)
    with pytest.warns(DeprecationWarning) as caught:
        got = getattr(runlytics.store, old)
    assert got is expected
    assert [str(w.message) for w in caught] == [
        f"runlytics.store.{old} is deprecated; use {where}.{new}"]
    assert caught[0].filename == __file__  # points at the caller, not at runlytics


def test_the_package_root_keeps_read_parquet_with_a_warning():
    import runlytics

    with pytest.warns(DeprecationWarning) as caught:
        got = runlytics.read_parquet
    assert got is read_frame
    assert [str(w.message) for w in caught] == [
        "runlytics.read_parquet is deprecated; use runlytics.read_frame"]
    assert "read_parquet" not in runlytics.__all__ and "read_frame" in runlytics.__all__


def test_store_exports_the_user_api_only():
    import runlytics.store

    assert runlytics.store.__all__ == ["METADATA_KEY", "frame_to_table", "read_frame",
                                       "read_metadata", "read_table", "write_parquet"]
    with pytest.raises(AttributeError, match="has no attribute 'read_csv'"):
        _ = runlytics.store.read_csv
