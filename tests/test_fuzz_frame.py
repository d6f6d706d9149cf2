"""Property-based tests: the frame builder never crashes on what a server may send.

Any field of a run may hold any JSON value, runs may carry unknown fields or
lack known ones, and a page may be any bytes at all. The builder must give
the typed frame (every schema column, every schema dtype) or raise a
:class:`SchemaError`; for a bad run, one that names the run and the field.
Raw pages (the fast Arrow path, falling back to the checking path) and
decoded pages (the checking path) must agree.
"""

from __future__ import annotations

import json
import warnings
from typing import Any

import orjson
import pandas as pd
import pytest
from conftest import recorded
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from runlytics import SchemaError, UnknownValueWarning, runs_frame
from runlytics.pages import page_index
from runlytics.schema import COLUMNS, api_field_names, pandas_dtypes

SETTINGS = settings(max_examples=150, deadline=None, database=None, derandomize=True,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
BASE_RUNS: list[dict[str, Any]] = json.loads(recorded("runs_page1_size5.json"))
FIELDS = list(api_field_names())

# Text that breaks naive handling: control characters, bidi marks, quotes,
# markup, surrogate-free astral characters, and long strings.
NASTY_TEXT = st.one_of(
    st.text(max_size=20),
    st.sampled_from(["", "\x00", "\x1b[31m", "\u202eevil", "<script>", '"}]', "\\", "\ud7ff",
                     "2026-01-20T11:52:29", "2026-01-20T11:52:29Z", "2026-13-45T99:99:99",
                     "9999-12-31T23:59:59.999999", "0001-01-01T00:00:00", "nan", "1e400",
                     "completed", "RESIDENTIAL", "x" * 5000, "🦄" * 10]),
)
SCALARS = st.one_of(
    st.none(), st.booleans(),
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.integers(min_value=2**63, max_value=2**80),  # beyond int64
    st.integers(min_value=-(2**80), max_value=-(2**63) - 1),
    st.floats(allow_nan=False, allow_infinity=False), NASTY_TEXT,
)
JSON = st.recursive(
    SCALARS,
    lambda inner: st.one_of(st.lists(inner, max_size=3),
                            st.dictionaries(NASTY_TEXT, inner, max_size=3)),
    max_leaves=6,
)


@st.composite
def hostile_run(draw: st.DrawFn) -> dict[str, Any]:
    """A recorded run with some fields replaced, dropped, or added."""
    run = dict(draw(st.sampled_from(BASE_RUNS)))
    for name in draw(st.lists(st.sampled_from(FIELDS), max_size=4, unique=True)):
        action = draw(st.sampled_from(["replace", "replace", "drop"]))
        if action == "drop":
            run.pop(name, None)
        else:
            run[name] = draw(JSON)
    for name, value in draw(st.dictionaries(NASTY_TEXT, JSON, max_size=2)).items():
        run.setdefault(name, value)
    return run


@st.composite
def hostile_page(draw: st.DrawFn) -> list[dict[str, Any]]:
    runs = draw(st.lists(hostile_run(), min_size=0, max_size=4))
    # Mostly well-formed runs around the hostile ones, so a bad value sits mid-page.
    good = draw(st.integers(0, 3))
    return [dict(r) for r in BASE_RUNS[:good]] + runs


def encode(page: list[dict[str, Any]]) -> bytes:
    # json, not orjson: orjson refuses integers beyond 64 bits, a server may not.
    # Both \\u escapes and raw UTF-8 get exercised.
    return json.dumps(page, ensure_ascii=len(page) % 2 == 0).encode()


def build(pages: list[Any]) -> pd.DataFrame | SchemaError:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UnknownValueWarning)
        try:
            return runs_frame(pages)
        except SchemaError as exc:
            return exc


def assert_typed(df: pd.DataFrame, n: int) -> None:
    assert list(df.columns) == [c.name for c in COLUMNS]
    assert len(df) == n
    for name, dtype in pandas_dtypes().items():
        if isinstance(dtype, pd.CategoricalDtype):
            assert isinstance(df[name].dtype, pd.CategoricalDtype), name
            known = list(dtype.categories)
            assert list(df[name].cat.categories[: len(known)]) == known, name
        else:
            assert df[name].dtype == dtype, (name, df[name].dtype)


def assert_names_run_and_field(error: SchemaError, page: list[dict[str, Any]]) -> None:
    message = str(error)
    assert "\n" not in message
    if error.field is None:  # a page-level fault: only for a run that is not an object
        pytest.fail(f"a bad run was not named: {message}")
    assert error.field.split(".")[0] in {c.name for c in COLUMNS}, error.field
    assert repr(error.field) in message or f"'{error.field}'" in message
    assert error.run_id in [r.get("workflow_run_id") for r in page]
    if error.run_id:  # as it is, or quoted when it is not plain one-line text
        assert str(error.run_id) in message or repr(error.run_id)[:100] in message
    else:
        assert "(no workflow_run_id)" in message


def assert_same_frame(raw: pd.DataFrame, decoded: pd.DataFrame) -> None:
    """Equal frames, JSON text included: 1 stays 1 next to 1.5, and 2**70 stays whole."""
    pd.testing.assert_frame_equal(raw, decoded)


@SETTINGS
@given(hostile_page())
@example([{**BASE_RUNS[0], "attempt": 2**70}])
@example([{**BASE_RUNS[0], "attempt": 1.5}])
@example([{**BASE_RUNS[0], "attempt": 3.0}])
@example([{**BASE_RUNS[0], "created_at": "9999-12-31T23:59:59.999999"}])
@example([{**BASE_RUNS[0], "created_at": "0001-01-01T00:00:00"}])
@example([{**BASE_RUNS[0], "created_at": "2026-01-20T11:52:29+14:00"}])
@example([{**BASE_RUNS[0], "proxy_location": {"country": {"x": 1}}}])
@example([{**BASE_RUNS[0], "proxy_location": {"url": "http://u:p@proxy:1"}}])
@example([{**BASE_RUNS[0], "proxy_location": ["RESIDENTIAL"]}])
@example([{**BASE_RUNS[0], "failure_category": [{"category": None, "confidence_float": True}]}])
@example([{**BASE_RUNS[0], "failure_category": [None]}])
@example([{**BASE_RUNS[0], "script_run": {"ai_fallback_triggered": "yes"}}])
@example([{**BASE_RUNS[0], "workflow_run_id": 7}])
@example([{**BASE_RUNS[0], "workflow_run_id": ""}])
@example([{**BASE_RUNS[0], "workflow_run_id": "wr_1\n\x1b[2J\u202e", "attempt": "x"}])
@example([{**BASE_RUNS[0], "workflow_run_id": "wr_" + "9" * 5000, "status": None}])
@example([{**BASE_RUNS[0], "extra_http_headers": {"a": {"b": [1, None, 2**70]}}}])
@example([{**BASE_RUNS[0], "new_field": 2**70}, {**BASE_RUNS[1], "new_field": "text"}])
@example([{**BASE_RUNS[0], "": None, "\x00proxyobj": 1}])
def test_any_json_in_any_field_gives_a_typed_frame_or_a_named_schema_error(page):
    body = encode(page)
    # Raw bytes (fast path, else checking path), the same bytes decoded by orjson
    # (checking path, same numbers), and the page as Python holds it (integers
    # beyond 64 bits stay integers there).
    results = []
    as_read = orjson.loads(body)  # what the builder sees in the bytes
    for pages, seen in (([body], as_read), ([as_read], as_read), ([page], page)):
        result = build(pages)
        if isinstance(result, SchemaError):
            assert_names_run_and_field(result, seen)
        else:
            assert_typed(result, len(page))
        results.append(result)
    raw, decoded, _ = results
    # The fast path and the checking path agree on what is wrong and on the frame.
    assert type(raw) is type(decoded), (raw, decoded)
    if isinstance(raw, pd.DataFrame):
        assert_same_frame(raw, decoded)
    else:
        assert (raw.run_id, raw.field) == (decoded.run_id, decoded.field)


@settings(SETTINGS, max_examples=75)
@given(st.lists(hostile_page(), min_size=1, max_size=3))
def test_several_pages_fail_or_build_as_one(pages):
    """Pages are batched together: a bad page anywhere is named, a good batch is whole."""
    bodies = [encode(p) for p in pages]
    result = build(bodies)
    every_run = [r for body in bodies for r in orjson.loads(body)]
    if isinstance(result, SchemaError):
        assert_names_run_and_field(result, every_run)
    else:
        assert_typed(result, len(every_run))


PAGE_BYTES = st.one_of(
    st.binary(max_size=200),
    st.builds(lambda v: json.dumps(v).encode(), JSON),  # valid JSON, any shape
    st.sampled_from([b"", b"[", b"]", b"[]", b"{}", b"null", b"[null]", b"[1, 2]", b"[[]]",
                     b'{"items": []}', b"[{}]", b"\xff\xfe[]", b"[]garbage", b"[] []",
                     b"NaN", b"[NaN]", b'[{"workflow_run_id": NaN}]', b"\x00" * 10,
                     b"<html><title>502</title></html>", b"[" * 5000 + b"]" * 5000,
                     b'"line one\\nline two"', b'["a\\nb"]', b"[]}{\"r\":[]"]),
    # a good page cut anywhere, as a gateway may send it
    st.integers(0, len(recorded("runs_page1_size5.json"))).map(
        lambda n: recorded("runs_page1_size5.json")[:n]),
)


@SETTINGS
@given(PAGE_BYTES)
def test_arbitrary_bytes_give_a_frame_or_a_schema_error(body):
    result = build([body])
    if isinstance(result, pd.DataFrame):
        decoded = json.loads(body)
        assert isinstance(decoded, list) and all(isinstance(r, dict) for r in decoded)
        assert_typed(result, len(decoded))
    else:
        assert "\n" not in str(result)


@SETTINGS
@given(st.one_of(PAGE_BYTES, hostile_page().map(encode)))
def test_page_index_never_raises_anything_but_schema_error(body):
    """What the pager reads from each page before anything else: same promise."""
    try:
        index = page_index(body)
    except SchemaError:
        return
    assert len(index.ids) == len(index.created_us) == len(index.modified_us)
    assert all(isinstance(i, str) for i in index.ids)


LOOKALIKE = {"workflow_run_id": "wr_phantom", "workflow_id": "w_phantom",
             "created_at": "2001-01-01T00:00:00", "modified_at": "2001-01-01T00:00:00"}


@st.composite
def page_with_lookalikes(draw: st.DrawFn) -> list[dict[str, Any]]:
    """Runs some of whose fields hold objects with the keys the pager indexes."""
    page = draw(hostile_page())
    for run in page:
        if draw(st.booleans()):
            field = draw(st.sampled_from(["browser_settings", "attempts", "extra_http_headers",
                                          "script_run", "some_new_field"]))
            run[field] = draw(st.sampled_from([LOOKALIKE, [LOOKALIKE], [{"a": 1}, LOOKALIKE],
                                               {"x": LOOKALIKE}, [LOOKALIKE, LOOKALIKE]]))
    return page


@SETTINGS
@given(page_with_lookalikes())
@example([{**BASE_RUNS[0], "browser_settings": LOOKALIKE}, BASE_RUNS[1]])
@example([BASE_RUNS[0], {**BASE_RUNS[1], "attempts": [{"attempt": 1}, LOOKALIKE]}])
def test_page_index_names_exactly_the_runs_of_the_page(page):
    """Compact JSON, as servers send it (the index may scan bytes then): a run-like
    object inside a run is never taken for a run of the page."""
    body = json.dumps(page, separators=(",", ":"), ensure_ascii=False).encode()
    try:
        index = page_index(body)
    except SchemaError:
        return
    assert index.ids == [run["workflow_run_id"] for run in page]
    frame = build([body])
    if isinstance(frame, pd.DataFrame):
        for name, stamps in (("created_at", index.created_us), ("modified_at", index.modified_us)):
            assert frame[name].astype("int64").tolist() == stamps.tolist()


@pytest.mark.parametrize("page", [None, 5, "text", {"a": 1}, [1], [[{}]], [None]])
def test_pages_that_are_not_lists_of_runs_are_schema_errors(page):
    with pytest.raises(SchemaError):
        runs_frame([page])
