"""The raw table -> the typed runs table: timestamps, categories, derived columns.

Both paths end here, so they agree: required fields are checked, ISO strings
become UTC timestamps (:mod:`runlytics.timestamps`), categorical columns are
dictionary-encoded and ``primary_failure_category`` is derived from the
first failure entry.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..schema import COLUMNS, arrow_schema
from ..timestamps import parse_timestamps
from .raw import missing_field

__all__ = ["typed_table"]


def typed_table(raw: pa.Table) -> pa.Table:
    """The raw table (:data:`~runlytics.frame.raw.RAW_SCHEMA`) -> the schema's typed table.

    Raises:
        SchemaError: a required field is missing, or a timestamp is not ISO 8601.

    Example:
        >>> from runlytics.frame.raw import RAW_SCHEMA
        >>> raw = pa.Table.from_pylist([{
        ...     "workflow_run_id": "wr_1", "workflow_id": "w_1", "workflow_permanent_id": "wpid_1",
        ...     "organization_id": "o_1", "status": "failed", "created_at": "2026-01-20T11:52:29",
        ...     "modified_at": "2026-01-20T11:53:02Z",
        ...     "failure_category": [{"category": "PROXY_ERROR"}]}], schema=RAW_SCHEMA)
        >>> typed = typed_table(raw)
        >>> str(typed.column("modified_at")[0].as_py())
        '2026-01-20 11:53:02+00:00'
        >>> typed.column("primary_failure_category").to_pylist()
        ['PROXY_ERROR']
    """
    ids = raw.column("workflow_run_id")
    for col in COLUMNS:
        if col.required and raw.column(col.name).null_count:
            row = pc.index(pc.is_null(raw.column(col.name)), True).as_py()
            raise missing_field(ids[row].as_py(), col.name)
    arrays = []
    for col in COLUMNS:
        if col.name == "primary_failure_category":
            arrays.append(pc.dictionary_encode(_primary_category(raw.column("failure_category"))))
        elif col.kind == "timestamp":
            arrays.append(parse_timestamps(raw.column(col.name), ids, col.name))
        elif col.kind == "category":
            arrays.append(pc.dictionary_encode(raw.column(col.name)))
        else:
            arrays.append(raw.column(col.name))
    return pa.Table.from_arrays(arrays, schema=arrow_schema())


def _primary_category(values: pa.ChunkedArray) -> pa.Array:
    """Category of each run's first failure entry (null for no entries)."""
    values = values.combine_chunks()
    offsets = values.offsets.to_numpy()
    starts = offsets[:-1]
    has_entry = (offsets[1:] > starts) & values.is_valid().to_numpy(zero_copy_only=False)
    if not has_entry.any():
        return pa.nulls(len(values), pa.string())
    # struct_field, not .field(): a null entry's category is null, not whatever lies beneath
    firsts = pc.struct_field(values.values, "category").take(
        pa.array(np.where(has_entry, starts, 0)))
    return pc.if_else(pa.array(has_entry), firsts, pa.scalar(None, pa.string()))
