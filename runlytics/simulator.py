"""The simulated Skyvern API (re-exported from :mod:`runlytics.sim`).

Example:
    >>> import httpx
    >>> from runlytics.simulator import Simulator, serve
    >>> sim = Simulator(n_runs=50, n_workflows=12, seed=7)
    >>> with serve(sim) as base_url:
    ...     response = httpx.get(f"{base_url}/v1/workflows/runs", params={"page_size": 50},
    ...                          headers={"x-api-key": "sim-key"})
    >>> len(response.json())
    50
"""

from .sim import (
    API_FIELDS,
    EXPIRED_KEY,
    FAULT_KINDS,
    UNKNOWN_ORG_KEY,
    Simulator,
    mock_transport,
    run_forever,
    serve,
)

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
