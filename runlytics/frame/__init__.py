"""Pages of runs -> one typed table, then a typed pandas DataFrame.

The fast path hands page bytes to pyarrow's JSON reader, about 10,000 runs at
a time and two batches at once, so no run ever becomes a Python dict: only the
values of free-form object fields do, once per distinct value, to be written
as canonical JSON text. A batch the reader cannot take (a field whose type
changes between runs, a bad value), or whose text its types would change
(date-like strings read as timestamps, a whole number among fractions read as
``1.0``), goes through the checking path instead, which decodes the pages,
checks every run against :mod:`runlytics.schema` and either builds the same
table or raises a :class:`~runlytics.errors.SchemaError` naming the run id,
the field and the value. Both paths end in the same finishing step, so they agree.

Modules, in the order a batch meets them (the names below are the public
API; the modules are internal):

- ``batches``: pages -> batches of about :data:`BATCH_RUNS` runs, two at once;
  :func:`runs_table` and :func:`runs_frame`.
- ``fast``: the JSON reader path (NDJSON lines, proxy objects renamed).
- ``checked``: decoded runs, every value checked.
- ``objects``: object fields -> canonical JSON text, ``extra_fields``, proxy labels.
- ``raw``: the raw table both paths produce.
- ``finish``: strings -> timestamps, categories, derived columns.
- ``convert``: table -> DataFrame (:func:`table_to_frame`, :func:`empty_frame`,
  :class:`UnknownValueWarning`).
- ``dedupe``: :func:`dedupe_runs`.

Names end with what they return: ``_frame`` a pandas DataFrame, ``_table`` a
pyarrow Table.
"""

from __future__ import annotations

import typing as _typing

from .._deprecation import deprecated as _deprecated
from .batches import BATCH_RUNS, runs_frame, runs_table
from .convert import UnknownValueWarning, empty_frame, table_to_frame
from .dedupe import dedupe_runs

__all__ = [
    "BATCH_RUNS",
    "UnknownValueWarning",
    "dedupe_runs",
    "empty_frame",
    "runs_frame",
    "runs_table",
    "table_to_frame",
]

_RENAMED = {"frame_from_table": "table_to_frame"}


def __getattr__(name: str) -> _typing.Any:
    new = _RENAMED.get(name)
    if new is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return _deprecated(f"{__name__}.{name}", f"{__name__}.{new}", globals()[new])
