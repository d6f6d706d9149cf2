from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

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
