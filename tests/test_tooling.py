"""Lint and types are part of the suite, so CI keeps them clean."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent


@pytest.mark.parametrize("command", [
    [sys.executable, "-m", "ruff", "check", "."],
    [sys.executable, "-m", "mypy"],
], ids=["ruff", "mypy"])
def test_tool_passes(command):
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr


def test_public_api_is_explicit_and_sorted():
    import runlytics

    assert runlytics.__all__ == sorted(runlytics.__all__)
    for name in runlytics.__all__:
        assert getattr(runlytics, name) is not None
    public = {n for n in dir(runlytics) if not n.startswith("_")}
    modules = {n for n in public if type(getattr(runlytics, n)).__name__ == "module"}
    assert public - modules - {"annotations"} == set(runlytics.__all__)
