"""A simulated Skyvern API for offline tests, the demo, notebooks and benchmarks.

It behaves like the real server described in ``/work/shared/skyvern-api.md``:
the same routes, headers, error bodies, ordering without a tie-breaker, and
run objects with the 55 recorded keys. See :class:`Simulator` for the data and
switches, :func:`serve` to put it on HTTP, :func:`mock_transport` to answer
an httpx client in-process.

Modules (each does one thing; :class:`Simulator` ties them together):
``core`` the simulator, ``history`` and ``planner`` and ``attempts`` and
``workflows`` the seeded history, ``runs`` one run's state and JSON,
``clock`` the lifecycle, ``index`` order and LIMIT/OFFSET pages, ``routes``
and ``params`` requests to replies, ``faults`` injected faults, ``cost`` the
real server's cost at depth (off unless ``cost_model=`` is given), ``reply``
the answer before it is written, ``server`` HTTP, ``fields`` and ``vocab``
constants and word lists.

Example:
    >>> import httpx
    >>> from runlytics.simulator import Simulator, serve
    >>> sim = Simulator(n_runs=500, seed=7)
    >>> with serve(sim) as base_url:
    ...     response = httpx.get(f"{base_url}/v1/workflows/runs", headers={"x-api-key": "sim-key"})
    >>> response.json() == sim.runs()[:10]
    True
"""

from .core import FAULT_KINDS, Simulator
from .cost import RealServerCost
from .fields import API_FIELDS
from .routes import EXPIRED_KEY, UNKNOWN_ORG_KEY
from .server import mock_transport, run_forever, serve

__all__ = [
    "API_FIELDS",
    "EXPIRED_KEY",
    "FAULT_KINDS",
    "UNKNOWN_ORG_KEY",
    "RealServerCost",
    "Simulator",
    "mock_transport",
    "run_forever",
    "serve",
]
