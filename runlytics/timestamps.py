"""ISO 8601 text -> Arrow timestamps (µs, UTC), with errors that name the run.

The server writes naive UTC timestamps; ``Z`` and offsets are accepted too.
Used by the page index (the client tier) and by the frame builder.
"""

from __future__ import annotations

import re

import pyarrow as pa
import pyarrow.compute as pc

from .errors import bad_value

__all__ = ["has_zone", "parse_timestamps"]

UTC_MICROS = pa.timestamp("us", tz="UTC")


def parse_timestamps(values: pa.ChunkedArray, ids: pa.ChunkedArray, name: str) -> pa.ChunkedArray:
    """Naive ISO strings are UTC; ``Z`` and offsets are converted."""
    target = UTC_MICROS
    try:
        return values.cast(pa.timestamp("us")).cast(target)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        pass
    zoned = pc.match_substring_regex(values, r"(Z|[+-]\d\d:?\d\d)$")
    fixed = pc.if_else(zoned, values, pc.binary_join_element_wise(values, "Z", ""))
    try:
        return fixed.cast(pa.timestamp("ns", tz="UTC")).cast(target, safe=False)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        for i, text in enumerate(values.to_pylist()):
            try:
                pa.array([text if has_zone(text) else f"{text}Z"]).cast(
                    pa.timestamp("ns", tz="UTC"))
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
                raise bad_value(ids[i].as_py(), name, text, "an ISO 8601 date-time") from None
        raise


def has_zone(text: str | None) -> bool:
    return text is None or re.search(r"(Z|[+-]\d\d:?\d\d)$", text) is not None
