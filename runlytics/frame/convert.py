"""The typed runs table -> a pandas DataFrame with the schema's dtypes.

Categories are the schema's known values followed by any unknown ones,
sorted; unknown ones are named once by an :class:`UnknownValueWarning`.
"""

from __future__ import annotations

import warnings
from typing import Any

import pandas as pd
import pyarrow as pa

from ..schema import COLUMNS, Column, arrow_schema

__all__ = ["UnknownValueWarning", "empty_frame", "table_to_frame"]


class UnknownValueWarning(UserWarning):
    """A categorical column holds values this version of runlytics does not know.

    Example:
        >>> import warnings
        >>> table = pa.table({"status": pa.array(["completed", "archived"]).dictionary_encode()})
        >>> with warnings.catch_warnings(record=True) as caught:
        ...     warnings.simplefilter("always")
        ...     frame = table_to_frame(table)
        >>> [str(w.message) for w in caught if w.category is UnknownValueWarning]
        ['status: values unknown to runlytics kept as they are: archived']
    """


def table_to_frame(table: pa.Table, *, warn_unknown: bool = True,
                   consume: bool = False) -> pd.DataFrame:
    """Convert a typed runs table (or some of its columns) to pandas.

    Categories are the schema's known values followed by any unknown ones,
    sorted; with ``warn_unknown`` an :class:`UnknownValueWarning` names the
    unknown ones once per call. ``consume=True`` frees the table while
    converting (less memory); the table must not be used afterwards.

    Args:
        table: the typed table of :func:`~runlytics.frame.runs_table` (what
            Parquet stores), all of its columns or some.
        warn_unknown: warn about category values the schema does not know.
        consume: free each column as it is converted.

    Returns:
        The runs DataFrame with the schema's dtypes for the table's columns.

    Example:
        >>> table = pa.table({"workflow_run_id": ["wr_1"], "attempt": [2],
        ...                   "status": pa.array(["completed"]).dictionary_encode()})
        >>> table_to_frame(table).dtypes.astype(str).to_dict()
        {'workflow_run_id': 'string', 'attempt': 'Int64', 'status': 'category'}
    """
    # consume=True frees each column as it is converted (lower peak memory); only
    # for tables nobody else holds: using the table afterwards would crash.
    frame = table.to_pandas(types_mapper=_pandas_type, split_blocks=True, self_destruct=consume)
    for col in COLUMNS:
        if col.kind == "category" and col.name in frame.columns:
            frame[col.name] = _with_categories(frame[col.name], col, warn_unknown,
                                               _labels_of_objects(frame, col.name))
    return frame


def empty_frame() -> pd.DataFrame:
    """A frame with every run column and dtype and no rows.

    Example:
        >>> frame = empty_frame()
        >>> frame.shape == (0, len(COLUMNS)), str(frame["created_at"].dtype)
        (True, 'datetime64[us, UTC]')
    """
    return table_to_frame(arrow_schema().empty_table())


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
        # stacklevel: past table_to_frame and runs_frame, to the caller's line
        warnings.warn(f"{col.name}: values unknown to runlytics kept as they are: "
                      f"{', '.join(map(str, news))}", UnknownValueWarning, stacklevel=4)
    return values.cat.set_categories(known + unknown)
