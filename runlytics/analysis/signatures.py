"""Failure signatures: failure texts with their variable parts masked, counted per period.

The same failure reads differently on every run (another URL, user, run id or
number), so grouping raw ``failure_reason`` text splits one cause over many
rows. :func:`failure_signature` masks the variable parts and keeps the
constant words, so a person still recognises the message:

================================== ==========================================
masked, in this order                becomes
================================== ==========================================
quoted values (``'x'``, ``"x"``)     ``'<value>'``, ``"<value>"``, whatever they hold
URLs (``scheme://...``)              ``<url>``
e-mail addresses                     ``<email>``
IPv4 addresses, with a port          ``<ip>``
UUIDs, ``0x..`` and hex runs         ``<hex>`` (6+ hex digits, a digit and a letter)
ids (``wr_123``, ``wpid_ab1``)       ``<id>`` (lower-case prefix, ``_``, a digit)
numbers (``30``, ``1.5``)            ``<n>`` (not those inside a word: ``HTTP2``)
================================== ==========================================

Runs of spaces become one space and a signature is at most
``MAX_SIGNATURE_CHARS`` characters (cut with ``…``). Signatures are plain
text: whoever renders them escapes them, as for any run text.
"""

from __future__ import annotations

import math
import re
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ..errors import UsageError
from ._common import (
    FAILURE_STATUSES,
    _status_mask,
    _strings,
    _to_datetime,
    _ts_us,
    _us,
    require_columns,
)
from .failures import DEFAULT_MIN_GROWTH

MAX_SIGNATURE_CHARS = 300
NO_REASON = "(no failure reason)"
DEFAULT_EXAMPLES = 3
DEFAULT_TOP = 3

_WORKFLOW = "workflow_permanent_id"
_INPUT = ("workflow_run_id", _WORKFLOW, "status", "created_at", "failure_reason")
# RE2 rules (pyarrow.compute: linear time, no lookaround), in order: quoted values first
# (whatever they hold), then URLs and addresses, so their digits are theirs.
_RE2_FIRST = (
    (r'"[^"\n]*"', '"<value>"'),
    (r"(^|[^\w])'[^'\n]*'", r"\1'<value>'"),
    (r"\b[A-Za-z][A-Za-z0-9+.-]*://[^\s'\"<>]*[^\s'\"<>.,;:!?)\]}]", "<url>"),
    (r"[\w.+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+", "<email>"),
    (r"\b\d{1,3}(?:\.\d{1,3}){3}(?::\d{1,5})?\b", "<ip>"),
    (r"\b[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}\b",
     "<hex>"),
    (r"\b[a-z][a-z0-9]*_(?:[a-z]+_)*[A-Za-z0-9]*\d[A-Za-z0-9]*\b", "<id>"),
)
# Hex needs lookaheads (a digit and a letter, 6+ long): Python's re, on the texts that have
# a candidate only (an RE2 match finds them).
_HEX_CANDIDATE = r"\b0[xX][0-9A-Fa-f]|\b[0-9A-Fa-f]{6,}\b"
_HEX = re.compile(r"\b0[xX][0-9A-Fa-f]+\b"
                  r"|\b(?=[0-9A-Fa-f]*\d)(?=[0-9A-Fa-f]*[A-Fa-f])[0-9A-Fa-f]{6,}\b")
_RE2_LAST = (
    (r"(^|[^A-Za-z_\d])\d+(?:[.,:]\d+)*", r"\1<n>"),
    (r"\s\s+|[\t\r\n\f\v]", " "),
)


def _replace(texts: pa.Array, rules: tuple[tuple[str, str], ...]) -> pa.Array:
    for pattern, repl in rules:
        texts = pc.replace_substring_regex(texts, pattern, repl)
    return texts


def _normalise(texts: pa.Array) -> pa.Array:
    """The signature of each text (null stays null): a few vectorised passes over all."""
    array = _replace(texts, _RE2_FIRST)
    candidates = np.flatnonzero(pc.fill_null(pc.match_substring_regex(array, _HEX_CANDIDATE),
                                             False).to_numpy(zero_copy_only=False))
    if len(candidates):
        values = array.to_pylist()
        for i in candidates:
            values[i] = _HEX.sub("<hex>", values[i])
        array = pa.array(values, pa.string())
    array = pc.utf8_trim_whitespace(_replace(array, _RE2_LAST))
    cut = pc.binary_join_element_wise(
        pc.utf8_slice_codeunits(array, 0, MAX_SIGNATURE_CHARS - 1), "…", "")
    return pc.if_else(pc.greater(pc.utf8_length(array), MAX_SIGNATURE_CHARS), cut, array)


def failure_signature(text: str | None) -> str | None:
    """The signature of one failure text: its variable parts masked (see the module).

    Args:
        text: a ``failure_reason`` (or any error text); None or NA for none.

    Returns:
        The signature, or None for a missing text.

    Example:
        >>> failure_signature("Failed to navigate to url https://shop.example.com/p/77. "
        ...                   "Error message: net::ERR_NAME_NOT_RESOLVED")
        'Failed to navigate to url <url>. Error message: net::ERR_NAME_NOT_RESOLVED'
        >>> failure_signature("Run wr_4815162342 timed out after 30 minutes")
        'Run <id> timed out after <n> minutes'
        >>> failure_signature(None) is None
        True
    """
    if text is None or text is pd.NA or (isinstance(text, float) and math.isnan(text)):
        return None
    return str(_normalise(pa.array([str(text)], pa.string()))[0].as_py())


def _signature_codes(values: pd.Series, missing: str | None = NO_REASON
                     ) -> tuple[np.ndarray, list[str]]:
    """Signature code of each value and the signature labels (unique texts normalised once).

    Null (and, with ``missing``, empty) values get the code of ``missing``; with
    ``missing=None`` they get code -1.
    """
    texts = pa.array(values, pa.string(), from_pandas=True)
    if isinstance(texts, pa.ChunkedArray):
        texts = texts.combine_chunks()
    unique = pc.dictionary_encode(texts)
    signatures = _normalise(unique.dictionary)
    codes = unique.indices.to_numpy(zero_copy_only=False)
    nulls = np.asarray(unique.indices.is_null().to_numpy(zero_copy_only=False), dtype=bool)
    if missing is not None:
        signatures = pa.concat_arrays([
            pc.if_else(pc.equal(signatures, ""), missing, signatures),
            pa.array([missing], pa.string())])
    labels = pc.dictionary_encode(signatures)
    sig_of_unique = labels.indices.to_numpy(zero_copy_only=False).astype(np.int64)
    position = np.where(nulls, len(unique.dictionary), np.nan_to_num(codes)).astype(np.int64)
    if missing is None:
        mapped = np.where(nulls, -1, sig_of_unique[np.minimum(position, len(sig_of_unique) - 1)]
                          if len(sig_of_unique) else -1)
    else:
        mapped = sig_of_unique[position]
    return np.asarray(mapped, dtype=np.int64), [str(v) for v in labels.dictionary.to_pylist()]


def _window(period_start: Any, period_end: Any) -> tuple[int, int]:
    start, end = _ts_us(period_start, "period_start"), _ts_us(period_end, "period_end")
    if end <= start:
        raise UsageError(f"period_end ({period_end}) must be after period_start ({period_start})")
    return start, end


def _failed_rows(df: pd.DataFrame, end: int) -> pd.DataFrame:
    """Failed runs created before ``end``: sig (code), created (µs), workflow, run id."""
    created = _us(df["created_at"])
    keep = _status_mask(df, FAILURE_STATUSES) & (created != np.iinfo(np.int64).min)
    keep &= created < end
    codes, labels = _signature_codes(df["failure_reason"][keep])
    rows = pd.DataFrame({"sig": codes, "created": created[keep],
                         "workflow": df[_WORKFLOW][keep].to_numpy(dtype=object),
                         "run": df["workflow_run_id"][keep].to_numpy(dtype=object)})
    rows.attrs["labels"] = labels
    return rows


def _examples(rows: pd.DataFrame, keys: list[str], n: int) -> dict[Any, list[str]]:
    """Key (a value, or a tuple for several keys) -> its ``n`` newest run ids."""
    newest = rows.sort_values([*keys, "created", "run"],
                              ascending=[True] * len(keys) + [False, True], kind="stable")
    top = newest[newest.groupby(keys, sort=False).cumcount().to_numpy() < n]
    found: dict[Any, list[str]] = {}
    columns = [top[k].tolist() for k in keys]
    for key, run in zip(zip(*columns, strict=True) if len(keys) > 1 else columns[0],
                        top["run"].tolist(), strict=True):
        found.setdefault(key, []).append(run)
    return found


def failure_signatures(df: pd.DataFrame, *, period_start: Any, period_end: Any,
                       examples: int = DEFAULT_EXAMPLES,
                       min_growth: float = DEFAULT_MIN_GROWTH) -> pd.DataFrame:
    """Failed runs of the period per failure signature, with what is new and growing.

    Failed runs are those in ``FAILURE_STATUSES`` (failed, terminated,
    timed_out); one without a reason counts under ``NO_REASON``. Runs created
    at or after ``period_end`` are ignored, so a past period reads as it did.

    Args:
        df: a runs frame with ``workflow_run_id``, ``workflow_permanent_id``,
            ``status``, ``created_at`` and ``failure_reason``; history before
            ``period_start`` tells what is new.
        period_start: start of the period (inclusive; naive values are UTC).
        period_end: end of the period (exclusive).
        examples: how many run ids to give per signature (newest first).
        min_growth: ``growing`` is ``runs >= previous_runs * (1 + min_growth)``
            and ``runs > previous_runs``, for a signature that is not new.

    Returns:
        One row per signature with a failed run in the period, most runs
        first (then by signature): ``signature``, ``runs`` (in the period),
        ``previous_runs`` (in the equally long period before), ``workflows``
        (distinct workflows in the period), ``first_seen``, ``last_seen``
        (over all the history before ``period_end``), ``new`` (first seen in
        the period), ``growing``, ``example_run_ids`` (a list).

    Raises:
        SchemaError: a column is missing. UsageError: a bad period.

    Example:
        >>> import pandas as pd
        >>> runs = pd.DataFrame({
        ...     "workflow_run_id": ["wr_1", "wr_2", "wr_3"],
        ...     "workflow_permanent_id": ["wpid_a", "wpid_b", "wpid_a"],
        ...     "status": ["failed", "failed", "completed"],
        ...     "created_at": pd.to_datetime(["2026-01-05 10:00", "2026-01-05 11:00",
        ...                                   "2026-01-05 12:00"], utc=True),
        ...     "failure_reason": ["Timeout 30000ms exceeded", "Timeout 5000ms exceeded", None]})
        >>> got = failure_signatures(runs, period_start="2026-01-05", period_end="2026-01-06")
        >>> got[["signature", "runs", "workflows", "new"]].to_dict("records")
        [{'signature': 'Timeout <n>ms exceeded', 'runs': 2, 'workflows': 2, 'new': True}]
        >>> got["example_run_ids"][0]
        ['wr_2', 'wr_1']
    """
    require_columns(df, _INPUT, where="failure_signatures")
    start, end = _window(period_start, period_end)
    rows = _failed_rows(df, end)
    labels = rows.attrs["labels"]
    history = rows.groupby("sig")["created"].agg(["min", "max"])
    period = rows[rows["created"] >= start]
    before = rows["created"].between(2 * start - end, start, inclusive="left")
    previous = rows[before].groupby("sig").size()
    counts = period.groupby("sig").agg(runs=("run", "size"), workflows=("workflow", "nunique"))
    out = counts.join(history).join(previous.rename("previous_runs")).fillna({"previous_runs": 0})
    out["signature"] = [labels[i] for i in out.index]
    out = out.sort_values(["runs", "signature"], ascending=[False, True], kind="stable")
    prev = out["previous_runs"].to_numpy(dtype=np.int64)
    runs = out["runs"].to_numpy(dtype=np.int64)
    new = out["min"].to_numpy(dtype=np.int64) >= start
    ex = _examples(period, ["sig"], examples)
    return pd.DataFrame({
        "signature": _strings(out["signature"].to_numpy()),
        "runs": runs, "previous_runs": prev,
        "workflows": out["workflows"].to_numpy(dtype=np.int64),
        "first_seen": _to_datetime(out["min"].to_numpy()),
        "last_seen": _to_datetime(out["max"].to_numpy()),
        "new": new, "growing": ~new & (runs >= prev * (1 + min_growth)) & (runs > prev),
        "example_run_ids": pd.Series([ex[i] for i in out.index], dtype=object),
    })


def workflow_signatures(df: pd.DataFrame, *, period_start: Any, period_end: Any,
                        top: int = DEFAULT_TOP, examples: int = DEFAULT_EXAMPLES
                        ) -> pd.DataFrame:
    """The ``top`` failure signatures of each workflow in the period.

    Args:
        df: a runs frame, as for :func:`failure_signatures`.
        period_start: start of the period (inclusive).
        period_end: end of the period (exclusive).
        top: signatures kept per workflow.
        examples: run ids given per row (newest first).

    Returns:
        ``workflow_permanent_id``, ``rank`` (1 = most runs; ties by
        signature), ``signature``, ``runs``, ``failed_runs`` (the workflow's
        failed runs in the period, the ``n`` of ``share``), ``share``,
        ``example_run_ids``; sorted by workflow, then rank.

    Example:
        >>> import pandas as pd
        >>> runs = pd.DataFrame({
        ...     "workflow_run_id": ["wr_1", "wr_2", "wr_3"],
        ...     "workflow_permanent_id": ["wpid_a", "wpid_a", "wpid_a"],
        ...     "status": ["failed", "timed_out", "failed"],
        ...     "created_at": pd.to_datetime(["2026-01-05 10:00"] * 3, utc=True),
        ...     "failure_reason": ["Login failed for a@b.io", "Login failed for c@d.io", None]})
        >>> got = workflow_signatures(runs, period_start="2026-01-05", period_end="2026-01-06")
        >>> got[["rank", "signature", "runs", "failed_runs"]].to_dict("records")
        [{'rank': 1, 'signature': 'Login failed for <email>', 'runs': 2, 'failed_runs': 3}, \
{'rank': 2, 'signature': '(no failure reason)', 'runs': 1, 'failed_runs': 3}]
    """
    require_columns(df, _INPUT, where="workflow_signatures")
    if top < 1:
        raise UsageError(f"top must be at least 1, got {top!r}")
    start, end = _window(period_start, period_end)
    rows = _failed_rows(df, end)
    labels = np.array(rows.attrs["labels"] or [""], dtype=object)
    period = rows[rows["created"] >= start]
    counts = period.groupby(["workflow", "sig"]).size().rename("runs").reset_index()
    counts["signature"] = labels[counts["sig"].to_numpy(dtype=np.int64)]
    counts = counts.sort_values(["workflow", "runs", "signature"],
                                ascending=[True, False, True], kind="stable")
    counts["rank"] = counts.groupby("workflow").cumcount() + 1
    counts["failed_runs"] = counts.groupby("workflow")["runs"].transform("sum")
    counts = counts[counts["rank"] <= top].reset_index(drop=True)
    ex = _examples(period, ["workflow", "sig"], examples)
    return pd.DataFrame({
        _WORKFLOW: _strings(counts["workflow"].to_numpy()),
        "rank": counts["rank"].to_numpy(dtype=np.int64),
        "signature": _strings(counts["signature"].to_numpy()),
        "runs": counts["runs"].to_numpy(dtype=np.int64),
        "failed_runs": counts["failed_runs"].to_numpy(dtype=np.int64),
        "share": counts["runs"].to_numpy(dtype=np.float64)
        / np.maximum(counts["failed_runs"].to_numpy(dtype=np.float64), 1),
        "example_run_ids": pd.Series([ex[(w, s)] for w, s in zip(counts["workflow"],
                                                                 counts["sig"], strict=True)],
                                     dtype=object),
    })
