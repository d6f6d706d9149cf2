"""Report inputs: a file read with its fetch time and completeness; old names still work."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

import runlytics.inputs
import runlytics.report
from runlytics import empty_frame
from runlytics.inputs import load_runs
from runlytics.store import write_parquet


@pytest.mark.parametrize("name", ["ReportInput", "fetch_for_report", "load_runs"])
def test_the_old_report_names_are_deprecated_aliases(name: str) -> None:
    message = f"runlytics.report.{name} is deprecated; use runlytics.inputs.{name}"
    with pytest.warns(DeprecationWarning, match=f"^{re.escape(message)}$"):
        value = getattr(runlytics.report, name)
    assert value is getattr(runlytics.inputs, name)


def test_an_unknown_report_name_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="has no attribute 'nope'"):
        runlytics.report.nope  # noqa: B018


def test_a_file_is_judged_at_its_fetch_time_and_complete_from_its_since(tmp_path: Path) -> None:
    path = write_parquet(empty_frame(), tmp_path / "runs.parquet",
                         filters={"since": "2026-01-01"},
                         fetched_at=pd.Timestamp("2026-01-15T12:00", tz="UTC").to_pydatetime())
    loaded = load_runs(path)
    assert loaded.now == pd.Timestamp("2026-01-15T12:00", tz="UTC")
    assert loaded.data_since == pd.Timestamp("2026-01-01", tz="UTC")
    assert loaded.source == "file " + str(path) + " (fetched 2026-01-15T12:00:00+00:00)"
    capped = write_parquet(empty_frame(), tmp_path / "capped.parquet",
                           filters={"since": "2026-01-01", "max_runs": 5})
    assert load_runs(capped).data_since is None
