"""The checked path: decoded runs -> the raw table, every value checked.

Slower than the fast path, and used when it cannot go: decoded pages, a
field whose type changes between runs, a bad value, or text the reader's
types would change. It builds the same raw table, or raises a
:class:`~runlytics.errors.SchemaError` naming the run id, the field and the value.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import orjson
import pyarrow as pa

from ..errors import SchemaError, bad_value
from ..schema import FAILURE_ENTRY, SCRIPT_RUN, Column
from .objects import canonical_json, proxy_label
from .raw import API_COLUMNS, API_NAMES, RAW_SCHEMA, missing_field

__all__ = ["raw_table"]


def raw_table(pages: list[Any]) -> pa.Table:
    """Pages (bytes or decoded lists of runs) -> the raw table, every value checked.

    Raises:
        SchemaError: a page is not a JSON array of objects, or a run lacks a
            required field or holds a value of the wrong type.

    Example:
        >>> run = {"workflow_run_id": "wr_1", "workflow_id": "w_1",
        ...        "workflow_permanent_id": "wpid_1", "organization_id": "o_1",
        ...        "status": "completed", "created_at": "2026-01-20T11:52:29",
        ...        "modified_at": "2026-01-20T11:53:02"}
        >>> raw_table([[{**run, "attempt": 1.0}]]).column("attempt").to_pylist()
        [1]
        >>> raw_table([[{**run, "workflow_title": 42}]])
        Traceback (most recent call last):
        ...
        runlytics.errors.SchemaError: run wr_1: field 'workflow_title' should be a string, got 42
    """
    runs = _decoded_runs(pages)
    columns: dict[str, list[Any]] = {f.name: [] for f in RAW_SCHEMA}
    for run in runs:
        run_id = run.get("workflow_run_id")
        for col in API_COLUMNS:
            columns[col.name].append(_checked_value(run, col, run_id))
        proxy = run.get("proxy_location")
        if isinstance(proxy, dict):
            columns["proxy_location"][-1] = proxy_label(proxy)
        columns["proxy_location_detail"].append(
            canonical_json(proxy) if isinstance(proxy, dict) else None)
        extra = {k: v for k, v in run.items() if k not in API_NAMES and v is not None}
        columns["extra_fields"].append(canonical_json(extra) if extra else None)
    return _table(columns, runs)


def _decoded_runs(pages: list[Any]) -> list[dict[str, Any]]:
    """The runs of all pages, each checked to be an object."""
    runs: list[dict[str, Any]] = []
    for page in pages:
        if isinstance(page, bytes):
            try:
                page = orjson.loads(page)
            except orjson.JSONDecodeError as exc:
                raise SchemaError(f"a page is not valid JSON ({exc}); "
                                  f"it starts with {page[:60]!r}") from None
        if not isinstance(page, list):
            raise SchemaError(f"a page must be a JSON array of runs, got a JSON "
                              f"{type(page).__name__}: {repr(page)[:80]}")
        for position, run in enumerate(page):
            if not isinstance(run, dict):
                raise SchemaError(f"run {position} of a page is a {type(run).__name__}, "
                                  f"not an object: {repr(run)[:80]}")
            runs.append(run)
    return runs


def _table(columns: dict[str, list[Any]], runs: list[dict[str, Any]]) -> pa.Table:
    """The raw table of checked values, or the error naming a value that is not Unicode."""
    try:
        return pa.Table.from_pydict(columns, schema=RAW_SCHEMA)
    except UnicodeEncodeError:  # a lone surrogate (Python's json module lets them through)
        for name, values in columns.items():
            for run, value in zip(runs, values, strict=True):
                if not _encodable(value):
                    raise bad_value(run.get("workflow_run_id"), name, value,
                                    "valid Unicode text") from None
        raise


def _encodable(value: Any) -> bool:
    if isinstance(value, str):
        return not any("\ud800" <= c <= "\udfff" for c in value)
    if isinstance(value, dict):
        return all(_encodable(v) for v in value.values())
    if isinstance(value, list):
        return all(_encodable(v) for v in value)
    return True


def _checked_value(run: dict[str, Any], col: Column, run_id: Any) -> Any:
    value = run.get(col.name)
    if value is None:
        if col.required:
            raise missing_field(run_id, col.name, "is null" if col.name in run else "is missing")
        return None
    return _CHECKS.get(col.kind, _checked_text)(value, col.name, run_id)


def _checked_json(value: Any, name: str, run_id: Any) -> str:
    return canonical_json(value)


def _checked_int(value: Any, name: str, run_id: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int | float) or (
            isinstance(value, float) and not value.is_integer()) or not (
            -(2**63) <= value < 2**63):
        raise bad_value(run_id, name, value, "a 64-bit integer")
    return int(value)


def _checked_bool(value: Any, name: str, run_id: Any) -> bool:
    if not isinstance(value, bool):
        raise bad_value(run_id, name, value, "true or false")
    return value


def _checked_failures(value: Any, name: str, run_id: Any) -> list[dict[str, Any] | None]:
    if not isinstance(value, list):
        raise bad_value(run_id, name, value, "a list of objects")
    entries: list[dict[str, Any] | None] = []
    for entry in value:
        if entry is None:  # as the JSON reader takes it: a null entry
            entries.append(None)
            continue
        if not isinstance(entry, dict):
            raise bad_value(run_id, name, entry, "a list of objects")
        entries.append(_checked_struct(entry, FAILURE_ENTRY, run_id, name))
    return entries


def _checked_script(value: Any, name: str, run_id: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise bad_value(run_id, name, value, "an object")
    return _checked_struct(value, SCRIPT_RUN, run_id, name)


def _checked_text(value: Any, name: str, run_id: Any) -> Any:
    if name == "proxy_location" and isinstance(value, dict):
        return value  # turned into a label and a detail by raw_table
    if not isinstance(value, str):
        raise bad_value(run_id, name, value, "a string")
    return value


_CHECKS: dict[str, Callable[[Any, str, Any], Any]] = {
    "json": _checked_json, "int": _checked_int, "bool": _checked_bool,
    "failures": _checked_failures, "script": _checked_script,
}


def _checked_struct(value: dict[str, Any], struct: pa.StructType, run_id: Any,
                    name: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for field in struct:
        item = value.get(field.name)
        where = f"{name}.{field.name}"
        if item is None:
            out[field.name] = None
        elif pa.types.is_string(field.type) and not isinstance(item, str):
            raise bad_value(run_id, where, item, "a string")
        elif pa.types.is_boolean(field.type) and not isinstance(item, bool):
            raise bad_value(run_id, where, item, "true or false")
        elif pa.types.is_floating(field.type) and (
                isinstance(item, bool) or not isinstance(item, int | float)):
            raise bad_value(run_id, where, item, "a number")
        else:
            out[field.name] = float(item) if pa.types.is_floating(field.type) else item
    return out
