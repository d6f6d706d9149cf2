"""The simulated Skyvern API (re-exported from :mod:`runlytics.sim`).

Example:
    >>> from runlytics.simulator import Simulator, serve
    >>> sim = Simulator(n_runs=5000, n_workflows=12, seed=7)
    >>> with serve(sim) as base_url:  # doctest: +SKIP
    ...     ...
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
