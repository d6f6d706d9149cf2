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
the field and the value. Both paths end in :func:`_finish`, so they agree.
"""

from __future__ import annotations

import functools
import json
import warnings
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import numpy as np
import orjson
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.json as pj

from .errors import SchemaError
from .errors import bad_value as _bad
from .errors import run_label as _name
from .schema import COLUMNS, FAILURE_ENTRY, SCRIPT_RUN, Column, arrow_schema
from .timestamps import parse_timestamps as _timestamps

__all__ = [
    "BATCH_RUNS",
    "UnknownValueWarning",
    "empty_frame",
    "dedupe_runs",
    "frame_from_table",
    "runs_frame",
    "runs_table",
]

BATCH_RUNS = 10_000
_BATCH_BYTES = 10 * 1024 * 1024  # about 10,000 runs of ~1 KB
# proxy_location is a string or an object; the JSON reader needs one type per
# column, so object values are read under this key instead (see _read_fast). Its
# JSON spelling is as long as the plain key's, so the rename happens in place.
_PROXY_OBJECT_KEY = "\x00proxyobj"

_API = tuple(c for c in COLUMNS if not c.derived)
_API_NAMES = frozenset(c.name for c in _API)
_JSON_FIELDS = tuple(c.name for c in _API if c.kind == "json")
_RAW_TYPES = {"int": pa.int64(), "bool": pa.bool_(), "failures": pa.list_(FAILURE_ENTRY),
              "script": SCRIPT_RUN}


def _raw_type(col: Column) -> pa.DataType:
    return _RAW_TYPES.get(col.kind, pa.string())


# What both paths produce before _finish: timestamps and categories still as
# strings, JSON objects as canonical JSON text, proxy objects as label + detail.
_RAW_SCHEMA = pa.schema([pa.field(c.name, _raw_type(c)) for c in _API]
                        + [pa.field("proxy_location_detail", pa.string()),
                           pa.field("extra_fields", pa.string())])
# Scalar fields are declared so the reader never guesses a type for them (it
# would read fraction-less ISO strings as timestamps); objects are inferred.
_READ_SCHEMA = pa.schema([pa.field("r", pa.list_(pa.struct(
    [pa.field(c.name, _raw_type(c)) for c in _API
     if c.kind in ("string", "timestamp", "category", "int", "bool")])))])
# compact, and Python's default spacing; any other spacing ends in the checking path
_PROXY_RENAMES = tuple((f'"proxy_location"{sep}{{'.encode(), f'"\\u0000proxyobj"{sep}{{'.encode())
                       for sep in (":", ": "))
assert all(len(plain) == len(renamed) for plain, renamed in _PROXY_RENAMES)


class UnknownValueWarning(UserWarning):
    """A categorical column holds values this version of runlytics does not know."""


def runs_frame(pages: Iterable[bytes | bytearray | Sequence[dict[str, Any]]]) -> pd.DataFrame:
    """Build the typed runs DataFrame from pages of runs.

    Args:
        pages: each page is the raw body of a ``GET /v1/workflows/runs`` answer
            (bytes of a JSON array) or an already decoded list of run dicts.

    Returns:
        One row per run, in page order, with the columns and dtypes of
        :mod:`runlytics.schema` (an empty frame with all of them for no runs).

    Raises:
        SchemaError: a page is not a JSON array of objects, or a run lacks a
            required field or holds a value of the wrong type.

    Example:
        >>> runs_frame([b'[]']).shape[1] == len(COLUMNS)
        True
    """
    return frame_from_table(runs_table(pages), consume=True)


def runs_table(pages: Iterable[bytes | bytearray | Sequence[dict[str, Any]]]) -> pa.Table:
    """Like :func:`runs_frame`, but the typed Arrow table (what Parquet stores)."""
    # Two batches at a time: the JSON reader releases the GIL, so one batch
    # parses while the other is finished in Python (and pages keep arriving).
    tables: list[pa.Table] = []
    with ThreadPoolExecutor(max_workers=2, thread_name_prefix="runlytics-frame") as pool:
        pending: deque[Future[pa.Table]] = deque()
        try:
            for batch in _batches(pages):
                pending.append(pool.submit(_convert, batch))
                if len(pending) >= 2:
                    tables.append(pending.popleft().result())
            tables.extend(future.result() for future in pending)
        finally:
            for future in pending:
                future.cancel()
    if not tables:
        return arrow_schema().empty_table()
    return pa.concat_tables(tables)


def empty_frame() -> pd.DataFrame:
    """A frame with every run column and dtype and no rows."""
    return frame_from_table(arrow_schema().empty_table())


def dedupe_runs(table: pa.Table, *, since_us: int | None = None, until_us: int | None = None,
                max_runs: int | None = None) -> tuple[pa.Table, int]:
    """One row per run, newest ``created_at`` first (ties by id, descending).

    Where a ``workflow_run_id`` occurs more than once, the row with the newest
    ``modified_at`` wins (the last one given, between equals). Rows outside
    ``[since, until)`` (µs since the epoch, UTC) are dropped, then all but the
    newest ``max_runs``.

    Returns:
        The table and the number of repeated rows dropped.
    """
    if not table.num_rows:
        return table, 0
    # Stable sort over the rows in reverse, so that between equal modified_at
    # the row given last (the fresher answer) comes first and is kept.
    backwards = np.arange(table.num_rows)[::-1]
    modified = table.column("modified_at").take(pa.array(backwards))
    order = backwards[np.asarray(pc.sort_indices(modified, sort_keys=[("", "descending")]))]
    ids = table.column("workflow_run_id").take(pa.array(order)).to_numpy(zero_copy_only=False)
    keep = ~pd.Series(ids).duplicated(keep="first").to_numpy()
    rows = order[keep]
    dropped = table.num_rows - len(rows)
    # Filter and sort row numbers, then copy the table once: a fetch's peak
    # memory is the table plus one copy, not plus three.
    created = table.column("created_at").take(pa.array(rows)).cast(pa.int64()).to_numpy()
    inside = np.ones(len(rows), bool)
    if since_us is not None:
        inside &= created >= since_us
    if until_us is not None:
        inside &= created < until_us
    rows, created = rows[inside], created[inside]
    keys = pa.table({"created_at": created,
                     "workflow_run_id": table.column("workflow_run_id").take(pa.array(rows))})
    rows = rows[np.asarray(pc.sort_indices(
        keys, [("created_at", "descending"), ("workflow_run_id", "descending")]))]
    if max_runs is not None:
        rows = rows[:max_runs]
    return table.take(pa.array(rows, pa.int64())), dropped


def frame_from_table(table: pa.Table, *, warn_unknown: bool = True,
                     consume: bool = False) -> pd.DataFrame:
    """Convert a typed runs table (or some of its columns) to pandas.

    Categories are the schema's known values followed by any unknown ones,
    sorted; with ``warn_unknown`` an :class:`UnknownValueWarning` names the
    unknown ones once per call. ``consume=True`` frees the table while
    converting (less memory); the table must not be used afterwards.
    """
    # consume=True frees each column as it is converted (lower peak memory); only
    # for tables nobody else holds: using the table afterwards would crash.
    frame = table.to_pandas(types_mapper=_pandas_type, split_blocks=True, self_destruct=consume)
    for col in COLUMNS:
        if col.kind == "category" and col.name in frame.columns:
            frame[col.name] = _with_categories(frame[col.name], col, warn_unknown,
                                               _labels_of_objects(frame, col.name))
    return frame


def _labels_of_objects(frame: pd.DataFrame, name: str) -> set[str]:
    """Proxy labels made from objects (``US/CA``, ``custom``): expected, not unknown."""
    if name != "proxy_location" or "proxy_location_detail" not in frame.columns:
        return set()
    return set(frame.loc[frame["proxy_location_detail"].notna(), name].dropna())


def _pandas_type(dtype: pa.DataType) -> Any:
    if pa.types.is_string(dtype) or pa.types.is_large_string(dtype):
        return pd.StringDtype("pyarrow")
    if pa.types.is_int64(dtype):
        return pd.Int64Dtype()
    if pa.types.is_boolean(dtype):
        return pd.BooleanDtype()
    if pa.types.is_list(dtype) or pa.types.is_struct(dtype):
        return pd.ArrowDtype(dtype)
    return None


def _with_categories(values: pd.Series, col: Column, warn: bool,
                     expected: set[str]) -> pd.Series:
    known = list(col.categories)
    if not isinstance(values.dtype, pd.CategoricalDtype):
        values = values.astype("category")
    unknown = sorted(set(values.cat.categories) - set(known))
    news = [value for value in unknown if value not in expected]
    if news and warn:
        warnings.warn(f"{col.name}: values unknown to runlytics kept as they are: "
                      f"{', '.join(map(str, news))}", UnknownValueWarning, stacklevel=4)
    return values.cat.set_categories(known + unknown)


# -- batching ---------------------------------------------------------------

def _batches(pages: Iterable[Any]) -> Iterator[list[Any]]:
    """Group pages into batches of about BATCH_RUNS runs."""
    batch: list[Any] = []
    size = 0
    for page in pages:
        if isinstance(page, bytes | bytearray | memoryview):
            page = bytes(page)
            size += len(page)
        elif isinstance(page, list | tuple):
            size += len(page) * 1024
        else:
            raise SchemaError(f"a page must be the bytes of a JSON array or a list of runs, "
                              f"not {type(page).__name__}")
        batch.append(page)
        if size >= _BATCH_BYTES:
            yield batch
            batch, size = [], 0
    if batch:
        yield batch


def _convert(batch: list[Any]) -> pa.Table:
    return _finish(_raw_batch(batch))


def _raw_batch(pages: list[Any]) -> pa.Table:
    if all(isinstance(p, bytes) for p in pages):
        try:
            return _read_fast(pages)
        except _TextLost:
            pass  # such values are usually spread over the pages: check them all at once
        except (pa.ArrowException, ValueError):
            # Often only one page trips the reader (a nested value whose type it
            # guesses differently in two blocks): halve, so the rest stays fast.
            if len(pages) > 1:
                middle = len(pages) // 2
                return pa.concat_tables([_raw_batch(pages[:middle]),
                                         _raw_batch(pages[middle:])])
    # the checking path names what is wrong, or copes with what the reader cannot
    return _read_checked(pages)


# -- fast path: pyarrow's JSON reader ------------------------------------------

def _ndjson(pages: list[bytes]) -> tuple[bytearray, int]:
    """The pages as NDJSON lines ``{"r": [...]}``, proxy objects renamed, and how many.

    As one line per page, the reader sees every run of the batch at once, with
    no per-run work in Python. Renaming in place keeps this to one copy and
    one scan of the batch.
    """
    spaced = False
    parts: list[bytes] = []
    for body in pages:
        if b"\n" in body or b"\r" in body:  # never inside JSON strings: safe to blank
            body = body.replace(b"\n", b" ").replace(b"\r", b" ")
        first_key = body.find(b'":')
        spaced = spaced or body[first_key + 2:first_key + 3] == b" "
        parts += (b'{"r":', body, b"}\n")
    data = bytearray().join(parts)
    renames = 0
    for plain, renamed in _PROXY_RENAMES[:2 if spaced else 1]:
        at = data.find(plain)
        while at >= 0:
            data[at:at + len(plain)] = renamed
            renames += 1
            at = data.find(plain, at + len(plain))
    return data, renames


def _read_fast(pages: list[bytes]) -> pa.Table:
    data, renames = _ndjson(pages)
    # One block, parsed in this thread: batches are parsed two at a time, and one
    # chunk per column needs no copy to join (measured: 10-20% faster than 1 MB
    # blocks on the reader's threads). A native file is read without the GIL.
    table = pj.read_json(
        pa.BufferReader(pa.py_buffer(data)),
        read_options=pj.ReadOptions(block_size=len(data) + 1, use_threads=False),
        parse_options=pj.ParseOptions(explicit_schema=_READ_SCHEMA,
                                      unexpected_field_behavior="infer"),
    )
    table.validate()  # the reader can build a broken list from [null, {}]
    pages_read = table.column("r")
    if not (pa.types.is_list(pages_read.type) and pa.types.is_struct(pages_read.type.value_type)
            and len(pages_read) == len(pages) and not pages_read.null_count):
        raise ValueError("a page is not a JSON array of objects")
    runs = pa.concat_arrays([chunk.flatten() for chunk in pages_read.chunks]) \
        if pages_read.num_chunks > 1 else pages_read.chunk(0).flatten()
    names = [runs.type.field(i).name for i in range(runs.type.num_fields)]
    by_name = {name: runs.field(i) for i, name in enumerate(names)}
    objects = by_name.get(_PROXY_OBJECT_KEY)
    if objects is not None and len(objects) - objects.null_count != renames:
        # a nested proxy_location object too, or a run with a key spelled like
        # the renamed one: the checking path tells them apart (nested objects
        # alone are fine: _canonical gives them their name back)
        raise ValueError("proxy_location objects other than the runs' own")
    arrays = []
    for field in _RAW_SCHEMA:
        if field.name == "extra_fields":
            arrays.append(_extra_json(by_name, names, len(runs)))
        elif field.name == "proxy_location":
            label, detail = _proxy_fast(by_name.get("proxy_location"),
                                        by_name.get(_PROXY_OBJECT_KEY), len(runs))
            arrays.append(label)
        elif field.name == "proxy_location_detail":
            arrays.append(detail)
        elif field.name in _JSON_FIELDS:
            arrays.append(_json_text(by_name.get(field.name), len(runs)))
        elif field.name in by_name:
            arrays.append(_cast_known(by_name[field.name], field.type))
        else:
            arrays.append(pa.nulls(len(runs), field.type))
    return pa.Table.from_arrays(arrays, schema=_RAW_SCHEMA)


def _cast_known(values: pa.Array, target: pa.DataType) -> pa.Array:
    """Inferred type -> the raw type; only lossless moves, else ValueError.

    Nested fields the schema does not know (in failure entries, script_run)
    are dropped here.
    """
    kind = values.type
    if kind.equals(target):
        return values
    if pa.types.is_null(kind):
        return pa.nulls(len(values), target)
    if pa.types.is_struct(target) and pa.types.is_struct(kind):
        return pa.StructArray.from_arrays(
            [_cast_known(values.field(f.name), f.type) if kind.get_field_index(f.name) >= 0
             else pa.nulls(len(values), f.type) for f in target],
            fields=list(target), mask=values.is_null(),
        )
    if pa.types.is_list(target) and pa.types.is_list(kind):
        flat = _cast_known(values.values, target.value_type)
        return pa.ListArray.from_arrays(values.offsets, flat, mask=values.is_null())
    if pa.types.is_floating(target) and pa.types.is_integer(kind):
        return values.cast(target)
    if pa.types.is_integer(target) and pa.types.is_floating(kind):
        return values.cast(target)  # safe: raises on a fractional value
    if pa.types.is_string(target) and pa.types.is_timestamp(kind):
        return pc.strftime(values, "%Y-%m-%dT%H:%M:%S")  # an inferred ISO string, back
    raise ValueError(f"inferred {kind}, need {target}")


class _TextLost(ValueError):
    """The reader's types lose what the server wrote: only the checking path keeps it."""


def _keep_text(values: pa.Array, name: str) -> None:
    """Raise _TextLost if writing ``values`` back as JSON could differ from what was sent.

    The reader takes date-like strings for timestamps, and reads ``1`` as
    ``1.0`` in a member where other runs send fractions. Both are rare, and
    usually spread over a batch's pages: the whole batch is checked instead.
    """
    kind = values.type
    if pa.types.is_timestamp(kind) or pa.types.is_date(kind) or pa.types.is_time(kind):
        raise _TextLost(f"{name}: strings read as {kind}")
    if pa.types.is_floating(kind):
        whole = pc.equal(pc.floor(values), values)
        if pc.any(whole).as_py():
            raise _TextLost(f"{name}: a whole number among floats")
    elif pa.types.is_struct(kind):
        for i in range(kind.num_fields):
            _keep_text(pc.struct_field(values, [i]), name)
    elif pa.types.is_list(kind) or pa.types.is_large_list(kind):
        _keep_text(values.flatten(), name)


def _json_text(values: pa.Array | None, n: int) -> pa.Array:
    """Inferred JSON values -> canonical JSON text (null stays null)."""
    if values is None or values.null_count == n or pa.types.is_null(values.type):
        return pa.nulls(n, pa.string())
    _keep_text(values, "an object field")
    if pa.types.is_list(values.type) and pc.max(pc.list_value_length(values)).as_py() in (0, None):
        return pc.if_else(values.is_null(), pa.scalar(None, pa.string()), "[]")
    return _each_present(values, _dumps)


def _each_present(values: pa.Array, write: Callable[[Any], str]) -> pa.Array:
    """``write`` applied to each non-null value as Python sees it; null stays null.

    Only the present values become Python objects: most runs leave most
    object fields null, and turning nulls into Python is most of the cost.
    """
    present = values.is_valid()
    texts = pa.array(_write_each(values.filter(present), write), pa.string())
    return pc.replace_with_mask(pa.nulls(len(values), pa.string()), present, texts)


def _write_each(values: pa.Array, write: Callable[[Any], str]) -> list[str]:
    """``write`` of each (non-null) value, called once per distinct value.

    Object fields repeat from run to run: a workflow's runs send the same
    headers, settings and proxy. An object whose members are all text,
    integers, booleans or nulls is compared by the tuple of its members.
    """
    kind = values.type
    if not pa.types.is_struct(kind) or not all(
            pa.types.is_string(f.type) or pa.types.is_integer(f.type)
            or pa.types.is_boolean(f.type) or pa.types.is_null(f.type) for f in kind):
        return [write(value) for value in values.to_pylist()]
    names = [f.name for f in kind]
    rows = list(zip(*(values.field(i).to_pylist() for i in range(kind.num_fields)),
                    strict=True))
    written = {row: write(dict(zip(names, row, strict=True))) for row in dict.fromkeys(rows)}
    return [written[row] for row in rows]


def _extra_json(by_name: dict[str, pa.Array], names: list[str], n: int) -> pa.Array:
    """Fields the schema does not know, as one JSON object per run (null: none sent)."""
    unknown = [name for name in names if name not in _API_NAMES and name != _PROXY_OBJECT_KEY]
    if not unknown:
        return pa.nulls(n, pa.string())
    for name in unknown:
        _keep_text(by_name[name], "a field runlytics does not know")
    fields = pa.StructArray.from_arrays([by_name[name] for name in unknown], names=unknown)
    sent = functools.reduce(pc.or_, [by_name[name].is_valid() for name in unknown])
    return _each_present(pc.if_else(sent, fields, pa.scalar(None, fields.type)), _dumps)


def _canonical(value: Any) -> Any:
    """No null members, renamed proxy keys restored (keys are sorted when dumped)."""
    if isinstance(value, dict):
        return {("proxy_location" if k == _PROXY_OBJECT_KEY else k):
                (_canonical(v) if isinstance(v, dict | list) else v)
                for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_canonical(v) if isinstance(v, dict | list) else v for v in value]
    return value


def _dumps(value: Any) -> str:
    # orjson writes datetimes (strings the reader took for timestamps) as ISO 8601
    try:
        return orjson.dumps(_canonical(value), option=orjson.OPT_SORT_KEYS).decode()
    except TypeError:  # decoded runs may hold what orjson cannot write: ints over 64 bits
        return json.dumps(_canonical(value), sort_keys=True, separators=(",", ":"), default=str)


# -- checking path: decoded runs, every value checked ---------------------------

def _read_checked(pages: list[Any]) -> pa.Table:
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
    columns: dict[str, list[Any]] = {f.name: [] for f in _RAW_SCHEMA}
    for run in runs:
        run_id = run.get("workflow_run_id")
        for col in _API:
            columns[col.name].append(_checked_value(run, col, run_id))
        proxy = run.get("proxy_location")
        if isinstance(proxy, dict):
            columns["proxy_location"][-1] = _proxy_label(proxy)
        columns["proxy_location_detail"].append(_dumps(proxy) if isinstance(proxy, dict) else None)
        extra = {k: v for k, v in run.items() if k not in _API_NAMES and v is not None}
        columns["extra_fields"].append(_dumps(extra) if extra else None)
    try:
        return pa.Table.from_pydict(columns, schema=_RAW_SCHEMA)
    except UnicodeEncodeError:  # a lone surrogate (Python's json module lets them through)
        for name, values in columns.items():
            for run, value in zip(runs, values, strict=True):
                if not _encodable(value):
                    raise _bad(run.get("workflow_run_id"), name, value,
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
            state = "is null" if col.name in run else "is missing"
            raise SchemaError(f"run {_name(run_id)}: required field "
                              f"{col.name!r} {state}", run_id=run_id, field=col.name)
        return None
    kind = col.kind
    if kind == "json":
        return _dumps(value)
    if kind == "int":
        if isinstance(value, bool) or not isinstance(value, int | float) or (
                isinstance(value, float) and not value.is_integer()) or not (
                -(2**63) <= value < 2**63):
            raise _bad(run_id, col.name, value, "a 64-bit integer")
        return int(value)
    if kind == "bool":
        if not isinstance(value, bool):
            raise _bad(run_id, col.name, value, "true or false")
        return value
    if kind == "failures":
        return _checked_failures(value, run_id)
    if kind == "script":
        if not isinstance(value, dict):
            raise _bad(run_id, col.name, value, "an object")
        return _checked_struct(value, SCRIPT_RUN, run_id, col.name)
    if col.name == "proxy_location" and isinstance(value, dict):
        return value  # turned into a label and a detail by the caller
    if not isinstance(value, str):
        raise _bad(run_id, col.name, value, "a string")
    return value


def _checked_failures(value: Any, run_id: Any) -> list[dict[str, Any] | None]:
    if not isinstance(value, list):
        raise _bad(run_id, "failure_category", value, "a list of objects")
    entries: list[dict[str, Any] | None] = []
    for entry in value:
        if entry is None:  # as the JSON reader takes it: a null entry
            entries.append(None)
            continue
        if not isinstance(entry, dict):
            raise _bad(run_id, "failure_category", entry, "a list of objects")
        entries.append(_checked_struct(entry, FAILURE_ENTRY, run_id, "failure_category"))
    return entries


def _checked_struct(value: dict[str, Any], struct: pa.StructType, run_id: Any,
                    name: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for field in struct:
        item = value.get(field.name)
        where = f"{name}.{field.name}"
        if item is None:
            out[field.name] = None
        elif pa.types.is_string(field.type) and not isinstance(item, str):
            raise _bad(run_id, where, item, "a string")
        elif pa.types.is_boolean(field.type) and not isinstance(item, bool):
            raise _bad(run_id, where, item, "true or false")
        elif pa.types.is_floating(field.type) and (
                isinstance(item, bool) or not isinstance(item, int | float)):
            raise _bad(run_id, where, item, "a number")
        else:
            out[field.name] = float(item) if pa.types.is_floating(field.type) else item
    return out


# -- finishing: strings -> timestamps, categories, derived columns ------------

def _finish(raw: pa.Table) -> pa.Table:
    ids = raw.column("workflow_run_id")
    for col in COLUMNS:
        if col.required and raw.column(col.name).null_count:
            row = pc.index(pc.is_null(raw.column(col.name)), True).as_py()
            run_id = ids[row].as_py()
            raise SchemaError(f"run {_name(run_id)}: required field "
                              f"{col.name!r} is missing", run_id=run_id, field=col.name)
    arrays = []
    for col in COLUMNS:
        if col.name == "primary_failure_category":
            arrays.append(pc.dictionary_encode(_primary_category(raw.column("failure_category"))))
        elif col.kind == "timestamp":
            arrays.append(_timestamps(raw.column(col.name), ids, col.name))
        elif col.kind == "category":
            arrays.append(pc.dictionary_encode(raw.column(col.name)))
        else:
            arrays.append(raw.column(col.name))
    return pa.Table.from_arrays(arrays, schema=arrow_schema())


def _proxy_fast(plain: pa.Array | None, objects: pa.Array | None,
                n: int) -> tuple[pa.Array, pa.Array]:
    """proxy_location read as plain strings plus renamed objects -> (label, detail)."""
    if plain is None or pa.types.is_null(plain.type):
        plain = pa.nulls(n, pa.string())
    elif not pa.types.is_string(plain.type):
        raise ValueError(f"proxy_location inferred as {plain.type}")
    if objects is None or objects.null_count == n:
        return plain, pa.nulls(n, pa.string())
    _keep_text(objects, "proxy_location")
    if pc.any(pc.and_(plain.is_valid(), objects.is_valid())).as_py():
        raise ValueError("a run with proxy_location twice")
    return (pc.if_else(objects.is_valid(), _each_present(objects, _proxy_label), plain),
            _each_present(objects, _dumps))


def _proxy_label(obj: Any) -> str:
    if not isinstance(obj, dict):
        return "custom"
    parts = [obj.get(k) for k in ("country", "subdivision", "city")]
    if not parts[0]:
        return "custom"  # a {"url": ...} proxy: the URL may hold credentials
    return "/".join(str(p) for p in parts if p)


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
