"""`runlytics report --notify`: the alert reaches a receiver; a failure exits 4, report kept."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import pytest
from test_notify_receiver import TOKEN, Receiver, receiver  # noqa: F401 (a fixture)
from test_report import known_runs

from runlytics import runs_frame
from runlytics.cli import main
from runlytics.store import write_parquet


@pytest.fixture
def parquet(tmp_path: Path) -> Path:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the hostile category is not a known one
        frame = runs_frame([known_runs()])
    return write_parquet(frame, tmp_path / "runs.parquet")


def _report(parquet: Path, out: Path, *more: str) -> int:
    return main(["report", "--from", str(parquet), "--since", "2026-01-08",
                 "--until", "2026-01-15", "--out", str(out), *more])


def test_always_posts_the_summary_and_the_alert(parquet: Path, tmp_path: Path,
                                                receiver: Receiver,  # noqa: F811
                                                capsys: Any) -> None:
    code = _report(parquet, tmp_path / "r.html", "--notify", f"json:{receiver.url}",
                   "--notify-on", "always")
    assert code == 0
    [body] = receiver.bodies
    assert body["summary"]["runs"] == 8 and "alert" in body
    err = capsys.readouterr().err
    assert "notify json:127.0.0.1" in err and TOKEN not in err


def test_a_breach_is_posted_once_then_suppressed(parquet: Path, tmp_path: Path,
                                                 receiver: Receiver) -> None:  # noqa: F811
    args = ("--notify", f"slack:{receiver.url}", "--alert-state", str(tmp_path / "state.json"),
            "--fail-on", "success_rate<0.9")
    assert _report(parquet, tmp_path / "r.html", *args) == 3
    assert _report(parquet, tmp_path / "r.html", *args) == 3
    assert len(receiver.bodies) == 1 and "blocks" in receiver.bodies[0]
    assert TOKEN not in (tmp_path / "state.json").read_text()


def test_an_unreachable_target_exits_4_and_keeps_the_report(parquet: Path, tmp_path: Path,
                                                            receiver: Receiver,  # noqa: F811
                                                            capsys: Any) -> None:
    receiver.script = [(404, {})]
    code = _report(parquet, tmp_path / "r.html", "--notify", f"teams:{receiver.url}",
                   "--notify-on", "always")
    assert code == 4
    assert (tmp_path / "r.html").stat().st_size > 1000
    err = capsys.readouterr().err
    assert "runlytics: notification failed:" in err and TOKEN not in err
    assert "Traceback" not in err


def test_a_bad_target_is_a_usage_error_before_anything_is_written(parquet: Path,
                                                                  tmp_path: Path) -> None:
    code = _report(parquet, tmp_path / "r.html", "--notify", "ftp://example.com/x")
    assert code == 2 and not (tmp_path / "r.html").exists()
