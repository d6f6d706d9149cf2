"""The raw table: what the fast and the checked path both produce before finishing.

Timestamps and categories are still strings, JSON objects are canonical JSON
text, and a ``proxy_location`` object is a label plus its JSON detail.
:func:`runlytics.frame.finish.typed_table` turns it into the typed table.
"""

from __future__ import annotations

from typing import Any

import pyarrow as pa

from ..errors import SchemaError, run_label
from ..schema import COLUMNS, FAILURE_ENTRY, SCRIPT_RUN, Column

__all__ = [
    "API_COLUMNS",
    "API_NAMES",
    "JSON_FIELDS",
    "PROXY_OBJECT_KEY",
    "RAW_SCHEMA",
    "missing_field",
    "raw_type",
]

API_COLUMNS = tuple(c for c in COLUMNS if not c.derived)
API_NAMES = frozenset(c.name for c in API_COLUMNS)
JSON_FIELDS = tuple(c.name for c in API_COLUMNS if c.kind == "json")
# proxy_location is a string or an object; the JSON reader needs one type per
# column, so object values are read under this key instead (see fast.py). Its
# JSON spelling is as long as the plain key's, so the rename happens in place.
PROXY_OBJECT_KEY = "\x00proxyobj"

_RAW_TYPES = {"int": pa.int64(), "bool": pa.bool_(), "failures": pa.list_(FAILURE_ENTRY),
              "script": SCRIPT_RUN}


def raw_type(col: Column) -> pa.DataType:
    """The Arrow type of ``col`` in the raw table (a string unless it is a number or nested).

    Example:
        >>> from runlytics.schema import column
        >>> raw_type(column("created_at")), raw_type(column("attempt"))
        (DataType(string), DataType(int64))
    """
    return _RAW_TYPES.get(col.kind, pa.string())


RAW_SCHEMA = pa.schema([pa.field(c.name, raw_type(c)) for c in API_COLUMNS]
                       + [pa.field("proxy_location_detail", pa.string()),
                          pa.field("extra_fields", pa.string())])


def missing_field(run_id: Any, name: str, state: str = "is missing") -> SchemaError:
    """The error for a run whose required field ``name`` is missing (or null).

    Example:
        >>> str(missing_field("wr_1", "status", "is null"))
        "run wr_1: required field 'status' is null"
    """
    return SchemaError(f"run {run_label(run_id)}: required field {name!r} {state}",
                       run_id=run_id, field=name)
