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

from . import sim as _sim
from .sim import *  # noqa: F403  (this module is the package's public face of it)

__all__ = list(_sim.__all__)
