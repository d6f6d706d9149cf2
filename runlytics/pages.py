"""One answer of the runs endpoint and its index: ids and times, without decoding.

The pager needs three fields of every page (``workflow_run_id``,
``created_at``, ``modified_at``); the frame builder parses the whole body
later. :func:`page_index` reads them by a byte scan of the compact JSON the
server writes, and falls back to pyarrow's JSON reader for anything else.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass

import numpy as np

from .errors import SchemaError, run_label

__all__ = ["Page", "PageIndex", "page_index"]


@dataclass(frozen=True)
class PageIndex:
    """What the pager needs from a page: ids and timestamps (µs since epoch, UTC)."""

    ids: list[str]
    created_us: np.ndarray
    modified_us: np.ndarray


_INDEX_FIELDS = ("workflow_run_id", "created_at", "modified_at")


def page_index(body: bytes) -> PageIndex:
    """Ids, ``created_at`` and ``modified_at`` of a page's runs, without decoding it.

    Raises:
        SchemaError: the body is not a JSON array of objects (a truncated body
            included), or a run lacks one of those fields or has a bad timestamp.
    """
    scanned = _scan_index(body)
    if scanned is not None:
        return scanned
    if b"\n" in body or b"\r" in body:
        body = body.replace(b"\n", b" ").replace(b"\r", b" ")
    import pyarrow as pa  # only here: the byte scan above serves every page the server writes
    import pyarrow.compute as pc
    import pyarrow.json as pj

    from .timestamps import parse_timestamps

    index_schema = pa.schema([pa.field("r", pa.list_(pa.struct(
        [pa.field(name, pa.string()) for name in _INDEX_FIELDS])))])
    try:
        table = pj.read_json(
            io.BytesIO(b'{"r":' + body + b"}\n"),
            read_options=pj.ReadOptions(block_size=max(len(body) + 64, 1 << 16),
                                        use_threads=False),
            parse_options=pj.ParseOptions(explicit_schema=index_schema,
                                          unexpected_field_behavior="ignore"),
        )
    except (pa.ArrowInvalid, pa.ArrowTypeError) as exc:
        raise SchemaError(f"the page is not a JSON array of runs ({exc}); it starts with "
                          f"{body[:60]!r}") from None
    if table.num_rows != 1 or table.column("r").null_count:
        # `null`, or a body that closes our wrapper and opens another: not an array
        raise SchemaError(f"the page is not a JSON array of runs; it starts with "
                          f"{body[:60]!r}")
    runs = pa.concat_arrays([c.flatten() for c in table.column("r").chunks])
    if runs.null_count:
        raise SchemaError("the page holds a null where a run object should be")
    ids = runs.field("workflow_run_id")
    for name in _INDEX_FIELDS:
        values = runs.field(name)
        if values.null_count:
            row = pc.index(values.is_null(), True).as_py()
            run_id = ids[row].as_py()
            raise SchemaError(f"run {run_label(run_id)}: required field "
                              f"{name!r} is missing", run_id=run_id, field=name)
    stamps = [parse_timestamps(pa.chunked_array([runs.field(n)]), pa.chunked_array([ids]), n)
              for n in ("created_at", "modified_at")]
    return PageIndex(ids.to_pylist(),
                     *(s.combine_chunks().cast(pa.int64()).to_numpy() for s in stamps))


_RUN_START = b'{"workflow_run_id":"'
_RUN_EDGE = b"}," + _RUN_START
_CREATED, _MODIFIED = b',"created_at":"', b'","modified_at":"'


def _scan_index(body: bytes) -> PageIndex | None:
    """The index by a byte scan, or None when the scan cannot be sure.

    Much cheaper than parsing: the pager needs only three fields of a page
    whose runs the frame builder parses (and checks) anyway. The server writes
    compact JSON with ``workflow_run_id`` first and ``created_at`` and
    ``modified_at`` last in every run, so the page splits into runs at
    ``},{"workflow_run_id":"``, and each run's timestamps end it. The answer
    is trusted only if ``"workflow_run_id":"`` occurs nowhere else (a nested
    run-like object would add one) and every run ends that way (a cut body
    never does); anything else goes to the JSON reader.
    """
    text = body.strip()
    if not (text.startswith(b"[" + _RUN_START) and text.endswith(b"}]")):
        return None
    runs = text[len(_RUN_START) + 1:-2].split(_RUN_EDGE)
    if text.count(_RUN_START[1:]) != len(runs):
        return None
    ids, created, modified = [], [], []
    for run in runs:
        end = run.find(b'"')
        at = run.rfind(_CREATED, end)
        to = run.find(_MODIFIED, at)
        if end <= 0 or run[end - 1] == 0x5C or at < 0 or to < 0 or run[-1] != 0x22:
            return None  # 0x5C: an escaped quote in the id; 0x22: the closing quote
        ids.append(run[:end])
        # a quote or anything else in these slices fails _naive_us's strict parse
        created.append(run[at + len(_CREATED):to])
        modified.append(run[to + len(_MODIFIED):-1])
    try:
        names = [run_id.decode() for run_id in ids]
    except UnicodeDecodeError:
        return None
    created_us, modified_us = _naive_us(created), _naive_us(modified)
    if created_us is None or modified_us is None:
        return None  # zones, other spellings, bad values: the JSON reader parses or names them
    return PageIndex(names, created_us, modified_us)


def _naive_us(texts: list[bytes]) -> np.ndarray | None:
    """µs since the epoch of naive ISO 8601 texts as the server writes them, else None."""
    if any(len(text) not in (19, 26) for text in texts):  # with and without µs
        return None
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # numpy warns where it drops a zone
        try:
            return np.array(texts, "S26").astype("datetime64[us]").astype(np.int64)
        except (ValueError, Warning):
            return None


@dataclass
class Page:
    """One answer of the runs endpoint.

    Attributes:
        number: the ``page`` parameter sent.
        page_size: the ``page_size`` parameter sent.
        body: the raw JSON array, as the server sent it.
        index: ids, ``created_at`` and ``modified_at`` of its runs.
        sent_at / received_at: monotonic times of the successful attempt.
    """

    number: int
    page_size: int
    body: bytes
    index: PageIndex
    sent_at: float
    received_at: float

    def __len__(self) -> int:
        return len(self.index.ids)
