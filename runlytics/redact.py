"""Redaction of values that may hold secrets, for every file and report.

What is redacted (names stay visible, values become ``***``):

- ``extra_http_headers`` and ``cdp_connect_headers``: every header value.
- ``webhook_callback_url``, ``totp_verification_url``, ``browser_address``:
  every query-string value and any password in the URL.
- ``proxy_location_detail``: the password in a custom proxy URL.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlsplit, urlunsplit

import orjson
import pyarrow as pa
import pyarrow.compute as pc

__all__ = ["MASK", "REDACTED_COLUMNS", "redact_headers", "redact_table", "redact_url"]

MASK = "***"


def redact_url(url: str) -> str:
    """``url`` with query values, any password and any fragment replaced by ``***``.

    A query part without ``=`` (a bare token) is replaced whole.

    Example:
        >>> redact_url("https://u:pw@hooks.example/cb?token=abc&tenant=x")
        'https://u:***@hooks.example/cb?token=***&tenant=***'
    """
    try:
        parts = urlsplit(url)
    except ValueError:
        return MASK
    netloc = parts.netloc
    if "@" in netloc:
        userinfo, host = netloc.rsplit("@", 1)
        user = userinfo.split(":", 1)[0]
        netloc = f"{user}:{MASK}@{host}" if ":" in userinfo else f"{MASK}@{host}"
    query = "&".join(f"{part.split('=', 1)[0]}={MASK}" if "=" in part else MASK
                     for part in parts.query.split("&") if part)
    # OAuth-style callbacks carry tokens in the fragment (#access_token=...)
    fragment = MASK if parts.fragment else ""
    return urlunsplit((parts.scheme, netloc, parts.path, query, fragment))


def redact_headers(text: str) -> str:
    """A JSON object of headers with every value replaced by ``***``.

    Text that is not a JSON object is replaced whole.

    Example:
        >>> redact_headers('{"Authorization": "Bearer s3cret", "X-Tenant": "acme"}')
        '{"Authorization":"***","X-Tenant":"***"}'
        >>> redact_headers("Bearer s3cret")
        '***'
    """
    try:
        headers = orjson.loads(text)
    except orjson.JSONDecodeError:
        return MASK
    if not isinstance(headers, dict):
        return MASK
    return orjson.dumps({k: MASK for k in headers}).decode()


def _redact_proxy(text: str) -> str:
    try:
        detail = orjson.loads(text)
    except orjson.JSONDecodeError:
        return MASK
    if isinstance(detail, dict) and isinstance(detail.get("url"), str):
        detail["url"] = redact_url(detail["url"])
    return orjson.dumps(detail).decode()


REDACTED_COLUMNS: dict[str, Callable[[str], str]] = {
    "extra_http_headers": redact_headers,
    "cdp_connect_headers": redact_headers,
    "webhook_callback_url": redact_url,
    "totp_verification_url": redact_url,
    "browser_address": redact_url,
    "proxy_location_detail": _redact_proxy,
}


def redact_table(table: pa.Table) -> pa.Table:
    """A copy of a runs table with the secret-bearing values redacted.

    Each distinct value is redacted once (webhook URLs and headers repeat
    across a workflow's runs), then spread back over the rows.

    Args:
        table: a runs table, or some of its columns; columns not in
            :data:`REDACTED_COLUMNS` are left as they are.

    Returns:
        A new table (``table`` is not changed).

    Example:
        >>> import pyarrow as pa
        >>> table = pa.table({"workflow_run_id": ["wr_1", "wr_2"],
        ...                   "extra_http_headers": ['{"Authorization": "Bearer s3cret"}', None],
        ...                   "webhook_callback_url": ["https://hooks.example/cb?token=abc"] * 2})
        >>> redact_table(table).to_pydict()  # doctest: +NORMALIZE_WHITESPACE
        {'workflow_run_id': ['wr_1', 'wr_2'],
         'extra_http_headers': ['{"Authorization":"***"}', None],
         'webhook_callback_url': ['https://hooks.example/cb?token=***',
                                  'https://hooks.example/cb?token=***']}
    """
    for name, redact in REDACTED_COLUMNS.items():
        if name not in table.column_names:
            continue
        values = table.column(name)
        if values.null_count == len(values):
            continue
        index = table.column_names.index(name)
        encoded = pc.dictionary_encode(values).combine_chunks()
        distinct = pa.array([redact(v) for v in encoded.dictionary.to_pylist()], pa.string())
        redacted = distinct.take(encoded.indices).cast(values.type)
        table = table.set_column(index, table.field(index), redacted)
    return table


def has_secrets(table: pa.Table) -> bool:
    """Whether any secret-bearing column holds a value.

    Example:
        >>> import pyarrow as pa
        >>> has_secrets(pa.table({"browser_address": ["ws://127.0.0.1:9222"]}))
        True
        >>> has_secrets(pa.table({"browser_address": pa.nulls(1, pa.string())}))
        False
    """
    return any(name in table.column_names and pc.count(table.column(name)).as_py()
               for name in REDACTED_COLUMNS)
