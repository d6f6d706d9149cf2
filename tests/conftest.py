from __future__ import annotations

import contextlib
import copy
import json
import warnings
from pathlib import Path
from typing import Any

import pytest

# --doctest-modules collects every module; this one is a plugin (pytest_plugins), so
# importing it as a module first would stop pytest from rewriting its asserts.
collect_ignore = ["sim_fixtures.py"]

# Hypothesis imports libcst to suggest a patch when a test fails, which warns
# (an error here); importing it now means a failure is reported, not an INTERNALERROR.
with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    with contextlib.suppress(ImportError):
        import hypothesis.extra._patching  # noqa: F401

DATA = Path(__file__).parent / "data"


def recorded(name: str) -> bytes:
    return (DATA / name).read_bytes()


@pytest.fixture
def page_bytes() -> bytes:
    """The real server's answer to ?page=1&page_size=5."""
    return recorded("runs_page1_size5.json")


@pytest.fixture
def real_runs(page_bytes: bytes) -> list[dict[str, Any]]:
    return json.loads(page_bytes)


def make_run(**changes: Any) -> dict[str, Any]:
    """A copy of the third recorded run (a failed one) with ``changes`` applied."""
    run = copy.deepcopy(json.loads(recorded("runs_page1_size5.json"))[2])
    run.update(changes)
    return run
