"""Fixtures of the simulator tests, loaded with ``pytest_plugins = ["sim_fixtures"]``."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from sim_support import KEY, NOW

from runlytics.simulator import Simulator, serve

__all__ = ["client", "history", "served", "sim"]


@pytest.fixture(scope="module")
def sim() -> Simulator:
    """A read-only history without ties: its order is deterministic."""
    return Simulator(n_runs=1200, n_workflows=12, seed=7, now=NOW)


@pytest.fixture(scope="module")
def client(sim: Simulator) -> Iterator[httpx.Client]:
    """An authenticated client of ``sim`` served on 127.0.0.1."""
    with serve(sim) as url, httpx.Client(base_url=url, headers=KEY) as c:
        yield c


@pytest.fixture(scope="module")
def history() -> list[dict[str, Any]]:
    """A larger history, for checks on its shape."""
    return Simulator(n_runs=3000, seed=7, now=NOW).runs()


@pytest.fixture
def served() -> Iterator[tuple[Simulator, httpx.Client]]:
    """A fresh small simulator and a client, for tests that change it."""
    sim = Simulator(n_runs=200, seed=3, now=NOW)
    with serve(sim) as url, httpx.Client(base_url=url, headers=KEY, timeout=5) as c:
        yield sim, c
