"""runlytics.dataset: partitions by created date, the state file, the lock, clean-up."""

from __future__ import annotations

import orjson
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from conftest import make_run

from runlytics.dataset import (
    LOCK_FILE,
    PARTITION_FILE,
    PARTITION_KEY,
    STATE_FILE,
    DatasetState,
    check_directory,
    clean_leftovers,
    count_runs,
    day_label,
    extract_metadata,
    list_partitions,
    locked,
    partition_path,
    read_partition,
    read_state,
    remove_partition,
    same_runs,
    split_by_day,
    write_partition,
    write_state,
)
from runlytics.errors import StoreError, UsageError
from runlytics.frame import runs_table
from runlytics.schema import arrow_schema
from runlytics.store import read_metadata


def runs(*created: str) -> pa.Table:
    """A runs table with one run per ``created_at``, ids wr_0, wr_1, ..."""
    return runs_table([[make_run(workflow_run_id=f"wr_{i}", created_at=c, modified_at=c)
                        for i, c in enumerate(created)]])


def ids(table: pa.Table) -> list[str]:
    return table.column("workflow_run_id").to_pylist()


def test_layout_names():
    assert (PARTITION_KEY, PARTITION_FILE, STATE_FILE, LOCK_FILE) == (
        "created_date", "part-0.parquet", "_runlytics_state.json", "_runlytics.lock")
    assert partition_path("DIR", "2026-01-20").as_posix() == \
        "DIR/created_date=2026-01-20/part-0.parquet"


def test_day_label_counts_days_from_1970():
    assert [day_label(0), day_label(20_473), day_label(-1)] == [
        "1970-01-01", "2026-01-20", "1969-12-31"]


def test_split_by_day_keeps_the_order_within_a_day():
    table = runs("2026-01-20T23:59:59.999999", "2026-01-20T00:00:00", "2026-01-19T12:00:00",
                 "2026-01-20T08:00:00Z", "2026-01-21T00:00:00")
    days = split_by_day(table)
    assert list(days) == ["2026-01-19", "2026-01-20", "2026-01-21"]
    assert {day: ids(rows) for day, rows in days.items()} == {
        "2026-01-19": ["wr_2"], "2026-01-20": ["wr_0", "wr_1", "wr_3"], "2026-01-21": ["wr_4"]}
    assert all(rows.schema == table.schema for rows in days.values())
    assert split_by_day(arrow_schema().empty_table()) == {}


def test_split_by_day_of_a_newest_first_table_is_slices():
    table = runs("2026-01-21T01:00:00", "2026-01-20T09:00:00", "2026-01-20T08:00:00")
    days = split_by_day(table)
    assert {day: ids(rows) for day, rows in days.items()} == {
        "2026-01-21": ["wr_0"], "2026-01-20": ["wr_1", "wr_2"]}


def test_partitions_are_written_read_counted_and_removed(tmp_path):
    table = runs("2026-01-20T10:00:00", "2026-01-20T09:00:00", "2026-01-19T12:00:00")
    for day, rows in split_by_day(table).items():
        path = write_partition(tmp_path, day, rows, {"partition": day})
        assert path == partition_path(tmp_path, day)
    assert [(day, folder.name) for day, folder in list_partitions(tmp_path)] == [
        ("2026-01-19", "created_date=2026-01-19"), ("2026-01-20", "created_date=2026-01-20")]
    assert count_runs(tmp_path) == 3
    assert ids(read_partition(tmp_path, "2026-01-20")) == ["wr_0", "wr_1"]
    assert read_metadata(partition_path(tmp_path, "2026-01-20")) == {"partition": "2026-01-20"}
    assert read_partition(tmp_path, "2026-01-18").equals(arrow_schema().empty_table())
    remove_partition(tmp_path, "2026-01-19")
    remove_partition(tmp_path, "2026-01-18")  # none: nothing to do
    assert [day for day, _ in list_partitions(tmp_path)] == ["2026-01-20"]
    assert count_runs(tmp_path) == 2


def test_write_partition_replaces_the_files_another_tool_left(tmp_path):
    folder = partition_path(tmp_path, "2026-01-20").parent
    folder.mkdir()
    pq.write_table(runs("2026-01-20T01:00:00"), folder / "other-tool.parquet")
    write_partition(tmp_path, "2026-01-20", runs("2026-01-20T02:00:00"), {})
    assert sorted(p.name for p in folder.iterdir()) == [PARTITION_FILE]


def test_count_runs_names_a_broken_file(tmp_path):
    path = partition_path(tmp_path, "2026-01-20")
    path.parent.mkdir()
    path.write_bytes(b"not parquet")
    with pytest.raises(StoreError, match=f"^cannot read {path}: "):
        count_runs(tmp_path)


def test_list_partitions_of_a_missing_directory(tmp_path):
    with pytest.raises(StoreError) as caught:
        list_partitions(tmp_path / "nowhere")
    assert str(caught.value) == f"cannot list {tmp_path / 'nowhere'}: No such file or directory"


def test_same_runs():
    table = runs("2026-01-20T10:00:00", "2026-01-20T09:00:00")
    assert same_runs(table, runs("2026-01-20T10:00:00", "2026-01-20T09:00:00"))
    assert not same_runs(table, table.slice(0, 1))
    assert not same_runs(table, table.take([1, 0]))
    # the same values with other dictionaries are the same runs
    status = pa.array(["failed", "failed"]).dictionary_encode()
    wider = pa.DictionaryArray.from_arrays(pa.array([1, 1], pa.int32()),
                                           pa.array(["completed", "failed"]))
    assert same_runs(pa.table({"status": status}), pa.table({"status": wider}))


def test_check_directory(tmp_path):
    assert check_directory(tmp_path / "new") is False
    assert (tmp_path / "new").is_dir()
    write_state(tmp_path / "new", DatasetState("https://api.skyvern.com", {}, redacted=True))
    (tmp_path / "new" / ".hidden").touch()
    (tmp_path / "new" / "created_date=2026-01-20").mkdir()
    assert check_directory(tmp_path / "new") is True


def test_check_directory_refuses_files_and_foreign_folders(tmp_path):
    (tmp_path / "a file").write_text("x")
    with pytest.raises(UsageError) as caught:
        check_directory(tmp_path / "a file")
    assert str(caught.value) == f"{tmp_path / 'a file'} is a file; sync needs a directory"
    for name in ("b", "c", "d"):
        (tmp_path / name).touch()
    with pytest.raises(UsageError) as caught:
        check_directory(tmp_path)
    assert str(caught.value) == (f"{tmp_path} is not a runlytics dataset (it holds a file, b, "
                                 "c, ...); name an empty or new directory")


def test_a_second_lock_is_refused_and_the_first_released(tmp_path):
    with locked(tmp_path):
        with pytest.raises(StoreError) as caught, locked(tmp_path):
            pass
        assert str(caught.value) == (f"another sync of {tmp_path} is running; try again when "
                                     "it has finished")
    with locked(tmp_path):  # released
        pass


def test_clean_leftovers_removes_temporary_files_and_empty_folders(tmp_path):
    write_partition(tmp_path, "2026-01-20", runs("2026-01-20T02:00:00"), {})
    (tmp_path / f".{STATE_FILE}.x1.tmp").touch()
    (partition_path(tmp_path, "2026-01-20").parent / ".part-0.parquet.x2.tmp").touch()
    (tmp_path / f"{PARTITION_KEY}=2026-01-19").mkdir()
    assert clean_leftovers(tmp_path) == 2
    assert sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*")) == [
        "created_date=2026-01-20", "created_date=2026-01-20/part-0.parquet"]


def test_the_state_round_trips(tmp_path):
    assert read_state(tmp_path) is None
    state = DatasetState(base_url="https://api.skyvern.com", filters={"status": ["failed"]},
                         redacted=True, watermark_us=1_768_906_800_000_000,
                         reference_us=1_768_906_800_500_000,
                         open_runs={"wr_2": 1_768_906_000_000_000}, syncs=3,
                         synced_at="2026-01-20T11:05:00Z", last_report={"runs_read": 12})
    assert write_state(tmp_path, state) == tmp_path / STATE_FILE
    assert read_state(tmp_path) == state
    saved = orjson.loads((tmp_path / STATE_FILE).read_bytes())
    assert {k: v for k, v in saved.items() if k != "runlytics_version"} == {
        "format": 1, "base_url": "https://api.skyvern.com", "filters": {"status": ["failed"]},
        "redacted": True, "watermark": "2026-01-20T11:00:00Z",
        "reference": "2026-01-20T11:00:00.500000Z", "open_runs": {"wr_2": "2026-01-20T10:46:40Z"},
        "syncs": 3, "synced_at": "2026-01-20T11:05:00Z", "last_report": {"runs_read": 12}}
    assert [p.name for p in tmp_path.iterdir()] == [STATE_FILE]  # no temporary file left


@pytest.mark.parametrize(("content", "message"), [
    (b'{"format": 2}', "{path} has state format 2; this runlytics reads format 1: upgrade "
     "runlytics"),
    (b"[]", "{path} is not a runlytics state file ('list' object has no attribute 'get'); "
     "delete it to make the next sync a full one"),
    (b'{"format": 1}', "{path} is not a runlytics state file ('base_url'); delete it to "
     "make the next sync a full one"),
])
def test_a_bad_state_file_says_what_to_do(tmp_path, content, message):
    (tmp_path / STATE_FILE).write_bytes(content)
    with pytest.raises(StoreError) as caught:
        read_state(tmp_path)
    assert str(caught.value) == message.format(path=tmp_path / STATE_FILE)


def test_a_state_file_that_is_not_json_says_what_to_do(tmp_path):
    (tmp_path / STATE_FILE).write_bytes(b"{not json")
    with pytest.raises(StoreError) as caught:
        read_state(tmp_path)
    text = str(caught.value)  # the middle is orjson's own words
    assert text.startswith(f"{tmp_path / STATE_FILE} is not a runlytics state file (")
    assert text.endswith("); delete it to make the next sync a full one")


def test_extract_metadata_says_what_the_extract_is():
    meta = extract_metadata(redacted=False, base_url=None, filters=None,
                            fetched_at=pd.Timestamp("2026-01-20T12:00:00Z"), fetch_report=None,
                            partition="2026-01-20")
    assert {k: v for k, v in meta.items() if k != "runlytics_version"} == {
        "base_url": None, "filters": {}, "fetched_at": "2026-01-20T12:00:00+00:00",
        "redacted": False, "fetch_report": None, "partition": "2026-01-20"}
