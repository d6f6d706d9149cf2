"""Free-form object fields -> canonical JSON text, and fields the schema does not know.

Canonical text has sorted keys, no null members and compact separators, so
the fast and the checked path write the same text for the same object. Only
the present values become Python objects, once per distinct value.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from typing import Any

import orjson
import pyarrow as pa
import pyarrow.compute as pc

from .raw import API_NAMES, PROXY_OBJECT_KEY

__all__ = [
    "TextLost",
    "canonical_json",
    "each_present",
    "extra_json",
    "json_text",
    "keep_text",
    "proxy_label",
]


class TextLost(ValueError):
    """The reader's types lose what the server wrote: only the checking path keeps it."""


def keep_text(values: pa.Array, name: str) -> None:
    """Raise TextLost if writing ``values`` back as JSON could differ from what was sent.

    The reader takes date-like strings for timestamps, and reads ``1`` as
    ``1.0`` in a member where other runs send fractions. Both are rare, and
    usually spread over a batch's pages: the whole batch is checked instead.

    Example:
        >>> keep_text(pa.array([1.5, 1.0]), "browser_settings")
        Traceback (most recent call last):
        ...
        runlytics.frame.objects.TextLost: browser_settings: a whole number among floats
    """
    kind = values.type
    if pa.types.is_timestamp(kind) or pa.types.is_date(kind) or pa.types.is_time(kind):
        raise TextLost(f"{name}: strings read as {kind}")
    if pa.types.is_floating(kind):
        whole = pc.equal(pc.floor(values), values)
        if pc.any(whole).as_py():
            raise TextLost(f"{name}: a whole number among floats")
    elif pa.types.is_struct(kind):
        for i in range(kind.num_fields):
            keep_text(pc.struct_field(values, [i]), name)
    elif pa.types.is_list(kind) or pa.types.is_large_list(kind):
        keep_text(values.flatten(), name)


def json_text(values: pa.Array | None, n: int) -> pa.Array:
    """Inferred JSON values -> canonical JSON text (null stays null).

    Example:
        >>> json_text(pa.array([{"b": 1, "a": None}, None]), 2).to_pylist()
        ['{"b":1}', None]
    """
    if values is None or values.null_count == n or pa.types.is_null(values.type):
        return pa.nulls(n, pa.string())
    keep_text(values, "an object field")
    if pa.types.is_list(values.type) and pc.max(pc.list_value_length(values)).as_py() in (0, None):
        return pc.if_else(values.is_null(), pa.scalar(None, pa.string()), "[]")
    return each_present(values, canonical_json)


def each_present(values: pa.Array, write: Callable[[Any], str]) -> pa.Array:
    """``write`` applied to each non-null value as Python sees it; null stays null.

    Only the present values become Python objects: most runs leave most
    object fields null, and turning nulls into Python is most of the cost.

    Example:
        >>> each_present(pa.array([None, {"country": "FR"}]), proxy_label).to_pylist()
        [None, 'FR']
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


def extra_json(by_name: dict[str, pa.Array], names: list[str], n: int) -> pa.Array:
    """Fields the schema does not know, as one JSON object per run (null: none sent).

    Example:
        >>> sent = {"status": pa.array(["completed"]), "shiny": pa.array([True])}
        >>> extra_json(sent, ["status", "shiny"], 1).to_pylist()
        ['{"shiny":true}']
    """
    unknown = [name for name in names if name not in API_NAMES and name != PROXY_OBJECT_KEY]
    if not unknown:
        return pa.nulls(n, pa.string())
    for name in unknown:
        keep_text(by_name[name], "a field runlytics does not know")
    fields = pa.StructArray.from_arrays([by_name[name] for name in unknown], names=unknown)
    sent = functools.reduce(pc.or_, [by_name[name].is_valid() for name in unknown])
    return each_present(pc.if_else(sent, fields, pa.scalar(None, fields.type)), canonical_json)


def _canonical(value: Any) -> Any:
    """No null members, renamed proxy keys restored (keys are sorted when dumped)."""
    if isinstance(value, dict):
        return {("proxy_location" if k == PROXY_OBJECT_KEY else k):
                (_canonical(v) if isinstance(v, dict | list) else v)
                for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_canonical(v) if isinstance(v, dict | list) else v for v in value]
    return value


def canonical_json(value: Any) -> str:
    """``value`` as compact JSON text with sorted keys and no null members.

    Example:
        >>> canonical_json({"z": 1, "a": {"y": None, "x": [1.5, None]}})
        '{"a":{"x":[1.5,null]},"z":1}'
    """
    # orjson writes datetimes (strings the reader took for timestamps) as ISO 8601
    try:
        return orjson.dumps(_canonical(value), option=orjson.OPT_SORT_KEYS).decode()
    except TypeError:  # decoded runs may hold what orjson cannot write: ints over 64 bits
        return json.dumps(_canonical(value), sort_keys=True, separators=(",", ":"), default=str)


def proxy_label(obj: Any) -> str:
    """The readable label of a proxy object: ``COUNTRY[/SUBDIVISION[/CITY]]`` or ``custom``.

    Example:
        >>> proxy_label({"country": "US", "subdivision": "CA"}), proxy_label({"url": "http://p"})
        ('US/CA', 'custom')
    """
    if not isinstance(obj, dict):
        return "custom"
    parts = [obj.get(k) for k in ("country", "subdivision", "city")]
    if not parts[0]:
        return "custom"  # a {"url": ...} proxy: the URL may hold credentials
    return "/".join(str(p) for p in parts if p)
