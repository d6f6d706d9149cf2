"""Page bytes for a million runs, built in a few seconds from simulator runs.

The simulator renders a few thousand runs once (55 keys each, as the real
server sends them). Each rendered run becomes a byte template in which the
run id and the timestamps are slots; copy ``k`` of the template fills them
with fresh ids and with the timestamps moved ``k`` steps of about 12 s into
the past. The result has the simulator's mix of statuses, failures, proxy
objects and headers, unique ids, and the server's timestamp format (fraction
dropped when the microseconds are zero), in about 4 s per million runs.

Example:
    >>> pages = make_pages(1_000)
    >>> len(pages), pages[0][:20]
    (10, b'[{"workflow_run_id":')
"""

from __future__ import annotations

import operator
import os
from collections.abc import Iterator
from datetime import UTC, datetime
from functools import cache
from pathlib import Path

import numpy as np
import orjson

from runlytics.sim.core import _gc_paused  # one copy of the GC pause, shared

__all__ = ["NOW", "PAGE_SIZE", "TEMPLATE_ENV", "TIMESTAMP_FIELDS", "iter_runs", "make_ndjson",
           "make_pages", "save_template", "template_runs"]

NOW = datetime(2026, 1, 31, tzinfo=UTC)
PAGE_SIZE = 100
TEMPLATE_RUNS = 5_000
TEMPLATE_WORKFLOWS = 40
TIMESTAMP_FIELDS = ("next_attempt_at", "queued_at", "started_at", "finished_at", "created_at",
                    "modified_at")
SHIFT_US = 12_345_679  # copy k is k * 12.3 s older: 200 copies span 41 minutes more
_ID_BASE = 602_374_300_000_000_000  # 18 digits, like the server's wr_ ids
_SLOT = "@@runlytics-bench-slot@@"
TEMPLATE_ENV = "RUNLYTICS_BENCH_TEMPLATE"


@cache
def template_runs(n: int = TEMPLATE_RUNS, seed: int = 7) -> tuple[dict, ...]:
    """``n`` runs from a seeded simulator, newest first, as the API sends them.

    When ``$RUNLYTICS_BENCH_TEMPLATE`` names a file written by
    :func:`save_template` for the same ``n`` and ``seed``, the runs are read
    from it (benchmarks/run.py does this once for all its worker processes).
    """
    saved = os.environ.get(TEMPLATE_ENV)
    if saved and Path(saved).exists():
        stored = orjson.loads(Path(saved).read_bytes())
        if stored["n"] == n and stored["seed"] == seed:
            return tuple(stored["runs"])
    from runlytics.simulator import Simulator

    sim = Simulator(n_runs=n, n_workflows=TEMPLATE_WORKFLOWS, seed=seed, now=NOW)
    return tuple(sim.runs())


def save_template(path: str | os.PathLike[str], n: int = TEMPLATE_RUNS, seed: int = 7) -> Path:
    """Write the template runs to ``path`` for :func:`template_runs` to reuse."""
    target = Path(path)
    target.write_bytes(orjson.dumps({"n": n, "seed": seed, "runs": template_runs(n, seed)}))
    return target


def _us(text: str) -> int:
    stamp = datetime.fromisoformat(text)
    return int(stamp.replace(tzinfo=UTC).timestamp()) * 1_000_000 + stamp.microsecond


@cache
def _templates(n: int, seed: int) -> tuple[list[bytes], list[operator.itemgetter],
                                            np.ndarray]:
    """Byte templates with ``%b`` slots, a getter of each run's slot values, slot times."""
    runs = template_runs(n, seed)
    templates, getters, stamps = [], [], []
    for i, run in enumerate(runs):
        slotted = dict(run)
        order = []
        for key, value in run.items():
            if key == "workflow_run_id":
                order.append(i)  # values[i] is the id of template run i in every copy
                slotted[key] = _SLOT
            elif key in TIMESTAMP_FIELDS and value is not None:
                order.append(n + len(stamps))
                stamps.append(_us(value))
                slotted[key] = _SLOT
        blob = orjson.dumps(slotted).replace(b"%", b"%%")
        templates.append(blob.replace(f'"{_SLOT}"'.encode(), b'"%b"'))
        getters.append(operator.itemgetter(*order))
    return templates, getters, np.array(stamps, dtype=np.int64)


def _iso(us: np.ndarray) -> list[bytes]:
    """The server's naive ISO text: microseconds, or none when they are zero.

    Digit by digit in numpy (``np.datetime_as_string`` is 5x slower); a
    string of NUL-padded ``S26`` loses its padding in ``tolist()``.
    """
    seconds, micro = np.divmod(us, 1_000_000)
    days, clock = np.divmod(seconds, 86_400)
    day = days.astype("datetime64[D]")
    month_start = day.astype("datetime64[M]")
    fields = (
        (0, 4, day.astype("datetime64[Y]").astype(np.int64) + 1970),
        (5, 2, month_start.astype(np.int64) % 12 + 1),
        (8, 2, (day - month_start).astype(np.int64) + 1),
        (11, 2, clock // 3600), (14, 2, clock // 60 % 60), (17, 2, clock % 60),
        (20, 6, micro),
    )
    out = np.zeros((len(us), 26), np.uint8)
    out[:, [4, 7]] = ord("-")
    out[:, 10] = ord("T")
    out[:, [13, 16]] = ord(":")
    out[:, 19] = ord(".")
    for start, width, value in fields:
        for i in range(width):
            out[:, start + width - 1 - i] = value // 10 ** i % 10 + ord("0")
    out[micro == 0, 19:] = 0
    return out.view("S26").ravel().tolist()


def _copies(n: int, seed: int, template: int) -> Iterator[list[bytes]]:
    """The runs as lists of up to ``template`` JSON texts, copy after copy."""
    templates, getters, stamps = _templates(template, seed)
    made = 0
    with _gc_paused():
        for copy in range((n + template - 1) // template):
            take = min(template, n - made)
            first_id = _ID_BASE + copy * template
            values = [b"wr_%d" % (first_id + i) for i in range(template)]
            values += _iso(stamps - copy * SHIFT_US)
            yield [tmpl % get(values)
                   for tmpl, get in zip(templates[:take], getters[:take], strict=True)]
            made += take


def iter_runs(n: int, *, seed: int = 7, template: int = TEMPLATE_RUNS) -> Iterator[bytes]:
    """The JSON bytes of ``n`` runs, one at a time."""
    for runs in _copies(n, seed, template):
        yield from runs


def make_pages(n: int, *, page_size: int = PAGE_SIZE, seed: int = 7,
               template: int = TEMPLATE_RUNS) -> list[bytes]:
    """``n`` runs as page bodies of ``page_size`` runs (JSON arrays, compact)."""
    pages: list[bytes] = []
    carry: list[bytes] = []
    for runs in _copies(n, seed, template):
        runs = carry + runs
        whole = len(runs) - len(runs) % page_size
        pages += [b"[" + b",".join(runs[i:i + page_size]) + b"]"
                  for i in range(0, whole, page_size)]
        carry = runs[whole:]
    if carry:
        pages.append(b"[" + b",".join(carry) + b"]")
    return pages


def make_ndjson(n: int, *, seed: int = 7) -> bytes:
    """The same ``n`` runs as NDJSON, one run per line."""
    return b"".join(b"\n".join(runs) + b"\n" for runs in _copies(n, seed, TEMPLATE_RUNS))


