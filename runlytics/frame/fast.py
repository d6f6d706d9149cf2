"""The fast path: a batch of page bytes -> the raw table through pyarrow's JSON reader.

No run ever becomes a Python dict: the pages are joined as NDJSON lines and
parsed in one block, scalar fields under declared types, objects inferred.
Whatever the reader cannot take, or whose text its types would change,
raises (``ValueError``, ``pyarrow.ArrowException`` or
:class:`~runlytics.frame.objects.TextLost`), and the batch goes through
:mod:`runlytics.frame.checked` instead.
"""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.json as pj

from .objects import canonical_json, each_present, extra_json, json_text, keep_text, proxy_label
from .raw import API_COLUMNS, JSON_FIELDS, PROXY_OBJECT_KEY, RAW_SCHEMA, raw_type

__all__ = ["raw_table"]

# Scalar fields are declared so the reader never guesses a type for them (it
# would read fraction-less ISO strings as timestamps); objects are inferred.
_READ_SCHEMA = pa.schema([pa.field("r", pa.list_(pa.struct(
    [pa.field(c.name, raw_type(c)) for c in API_COLUMNS
     if c.kind in ("string", "timestamp", "category", "int", "bool")])))])
# compact, and Python's default spacing; any other spacing ends in the checking path
_PROXY_RENAMES = tuple((f'"proxy_location"{sep}{{'.encode(), f'"\\u0000proxyobj"{sep}{{'.encode())
                       for sep in (":", ": "))
assert all(len(plain) == len(renamed) for plain, renamed in _PROXY_RENAMES)


def raw_table(pages: list[bytes]) -> pa.Table:
    """Page bytes -> the raw table (:data:`~runlytics.frame.raw.RAW_SCHEMA`).

    Raises:
        ValueError: a page is not a JSON array of objects, or a value the
            reader read cannot become its raw type without loss.
        TextLost: writing an object back as JSON could change its text.
        pyarrow.ArrowException: the reader could not parse the batch.

    Example:
        >>> table = raw_table([b'[{"workflow_run_id": "wr_1", "attempt": 2, "new": 1}]'])
        >>> table.column("attempt").to_pylist(), table.column("extra_fields").to_pylist()
        ([2], ['{"new":1}'])
    """
    runs, renames = _read_runs(pages)
    names = [runs.type.field(i).name for i in range(runs.type.num_fields)]
    by_name = {name: runs.field(i) for i, name in enumerate(names)}
    objects = by_name.get(PROXY_OBJECT_KEY)
    if objects is not None and len(objects) - objects.null_count != renames:
        # a nested proxy_location object too, or a run with a key spelled like
        # the renamed one: the checking path tells them apart (nested objects
        # alone are fine: canonical_json gives them their name back)
        raise ValueError("proxy_location objects other than the runs' own")
    arrays = []
    for field in RAW_SCHEMA:
        if field.name == "extra_fields":
            arrays.append(extra_json(by_name, names, len(runs)))
        elif field.name == "proxy_location":
            label, detail = _proxy_fast(by_name.get("proxy_location"),
                                        by_name.get(PROXY_OBJECT_KEY), len(runs))
            arrays.append(label)
        elif field.name == "proxy_location_detail":
            arrays.append(detail)
        elif field.name in JSON_FIELDS:
            arrays.append(json_text(by_name.get(field.name), len(runs)))
        elif field.name in by_name:
            arrays.append(_cast_known(by_name[field.name], field.type))
        else:
            arrays.append(pa.nulls(len(runs), field.type))
    return pa.Table.from_arrays(arrays, schema=RAW_SCHEMA)


def _read_runs(pages: list[bytes]) -> tuple[pa.StructArray, int]:
    """The runs of all pages as one struct array, and how many proxy objects were renamed."""
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
    return runs, renames


def _ndjson(pages: list[bytes]) -> tuple[bytearray, int]:
    """The pages as NDJSON lines ``{"r": [...]}``, proxy objects renamed, and how many.

    As one line per page, the reader sees every run of the batch at once, with
    no per-run work in Python. Renaming in place keeps this to one copy and
    one scan of the batch.

    Example:
        >>> _ndjson([b'[{"proxy_location": {"country": "FR"}}]'])
        (bytearray(b'{"r":[{"\\\\u0000proxyobj": {"country": "FR"}}]}\\n'), 1)
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


def _proxy_fast(plain: pa.Array | None, objects: pa.Array | None,
                n: int) -> tuple[pa.Array, pa.Array]:
    """proxy_location read as plain strings plus renamed objects -> (label, detail)."""
    if plain is None or pa.types.is_null(plain.type):
        plain = pa.nulls(n, pa.string())
    elif not pa.types.is_string(plain.type):
        raise ValueError(f"proxy_location inferred as {plain.type}")
    if objects is None or objects.null_count == n:
        return plain, pa.nulls(n, pa.string())
    keep_text(objects, "proxy_location")
    if pc.any(pc.and_(plain.is_valid(), objects.is_valid())).as_py():
        raise ValueError("a run with proxy_location twice")
    return (pc.if_else(objects.is_valid(), each_present(objects, proxy_label), plain),
            each_present(objects, canonical_json))
