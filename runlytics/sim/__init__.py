"""A simulated Skyvern API for offline tests, the demo, notebooks and benchmarks.

It behaves like the real server described in ``/work/shared/skyvern-api.md``:
the same routes, headers, error bodies, ordering without a tie-breaker, and
run objects with the 55 recorded keys. See :class:`Simulator` for the data and
switches, :func:`serve` to put it on HTTP.

Example:
    >>> from runlytics.simulator import Simulator, serve
    >>> sim = Simulator(n_runs=500, seed=7)
    >>> with serve(sim) as base_url:  # doctest: +SKIP
    ...     httpx.get(f"{base_url}/v1/workflows/runs", headers={"x-api-key": "sim-key"})
"""

from .core import FAULT_KINDS, Simulator
from .fields import API_FIELDS
from .routes import EXPIRED_KEY, UNKNOWN_ORG_KEY
from .server import mock_transport, run_forever, serve

__all__ = [
    "API_FIELDS",
    "EXPIRED_KEY",
    "FAULT_KINDS",
    "UNKNOWN_ORG_KEY",
    "Simulator",
    "mock_transport",
    "run_forever",
    "serve",
]
