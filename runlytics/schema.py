"""The one table of run columns: every other module reads it.

Each :class:`Column` names an API field (or a column derived from one), its
*kind*, whether the server always sends it, and what it means. The kind fixes
the Arrow type (what Parquet stores) and the pandas dtype (what users get):

========== ==================================== ================================
kind       Arrow type                           pandas dtype
========== ==================================== ================================
string     string                               ``string[pyarrow]``
timestamp  timestamp[us, UTC]                   ``datetime64[us, UTC]``
category   dictionary<int32, string>            ``category`` (known values first)
int        int64                                ``Int64``
bool       bool                                 ``boolean``
json       string (JSON text)                   ``string[pyarrow]``
failures   list<struct<category, ...>>          ``ArrowDtype(list<struct>)``
script     struct<ai_fallback_triggered, ...>   ``ArrowDtype(struct)``
========== ==================================== ================================

Free-form objects (``extra_http_headers``, ``browser_settings``, ...) are kept
as compact JSON text: ``json.loads(value)`` gives the object back. Keys are
sorted, keys whose value is null are dropped, integers stay integers and
floats stay floats (``1`` stays ``1`` beside ``1.5``; integers beyond 64 bits
become floats). Fields the schema does not know
are kept in ``extra_fields``, a JSON object per run (null when there are none).

Example:
    >>> status = column("status")
    >>> status.kind, status.required, status.arrow_type
    ('category', True, DictionaryType(dictionary<values=string, indices=int32, ordered=0>))
    >>> [c.name for c in COLUMNS if c.kind == "timestamp"] == list(TIMESTAMP_COLUMNS)
    True
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
import pyarrow as pa

__all__ = [
    "COLUMNS",
    "DERIVED",
    "FAILURE_CATEGORIES",
    "FINAL_STATUSES",
    "STATUSES",
    "TIMESTAMP_COLUMNS",
    "TRIGGER_TYPES",
    "Column",
    "api_field_names",
    "arrow_schema",
    "column",
    "column_reference",
    "pandas_dtypes",
]

STATUSES = (
    "created", "queued", "running", "paused",
    "completed", "failed", "terminated", "canceled", "timed_out",
)
FINAL_STATUSES = ("completed", "failed", "terminated", "canceled", "timed_out")
TRIGGER_TYPES = (
    "manual", "api", "scheduled", "webhook", "mcp", "job_recipe_extract", "job_recipe_apply",
)
RUN_WITH = ("agent", "code")
BROWSER_SEED_SOURCES: tuple[str, ...] = ()
PROXY_LOCATIONS = (
    "RESIDENTIAL", "US-CA", "US-NY", "US-TX", "US-FL", "US-WA",
    "RESIDENTIAL_ES", "RESIDENTIAL_IE", "RESIDENTIAL_GB", "RESIDENTIAL_IN", "RESIDENTIAL_JP",
    "RESIDENTIAL_FR", "RESIDENTIAL_DE", "RESIDENTIAL_NZ", "RESIDENTIAL_ZA", "RESIDENTIAL_AR",
    "RESIDENTIAL_AU", "RESIDENTIAL_BR", "RESIDENTIAL_TR", "RESIDENTIAL_CA", "RESIDENTIAL_MX",
    "RESIDENTIAL_IT", "RESIDENTIAL_NL", "RESIDENTIAL_PH", "RESIDENTIAL_KR", "RESIDENTIAL_ISP",
    "NONE",
)
FAILURE_CATEGORIES = (
    "ANTI_BOT_DETECTION", "PROXY_ERROR", "BROWSER_ERROR", "NAVIGATION_FAILURE",
    "INFRASTRUCTURE_ERROR", "ELEMENT_STATE_TIMEOUT", "PAGE_LOAD_TIMEOUT", "AUTH_FAILURE",
    "CREDENTIAL_ERROR", "LLM_ERROR", "DATA_EXTRACTION_FAILURE", "ELEMENT_NOT_FOUND",
    "WRONG_PAGE_STATE", "MAX_STEPS_EXCEEDED", "LLM_REASONING_ERROR", "PARAMETER_BINDING_ERROR",
    "BROWSER_SESSION_EXPIRED", "BUDGET_EXHAUSTED", "WEBSITE_ERROR", "UNKNOWN",
)

FAILURE_ENTRY = pa.struct([
    ("category", pa.string()),
    ("confidence_float", pa.float64()),
    ("reasoning", pa.string()),
    ("reason_code", pa.string()),
    ("evidence_source", pa.string()),
])
SCRIPT_RUN = pa.struct([
    ("ai_fallback_triggered", pa.bool_()),
    ("script_id", pa.string()),
    ("script_revision_id", pa.string()),
])

_ARROW = {
    "string": pa.string(),
    "timestamp": pa.timestamp("us", tz="UTC"),
    "category": pa.dictionary(pa.int32(), pa.string()),
    "int": pa.int64(),
    "bool": pa.bool_(),
    "json": pa.string(),
    "failures": pa.list_(FAILURE_ENTRY),
    "script": SCRIPT_RUN,
}


@dataclass(frozen=True)
class Column:
    """One run column: its name, kind, whether it is required, and its meaning.

    Attributes:
        name: the column (the API field's name, unless ``derived``).
        kind: one of the kinds in the module's table; fixes the Arrow type and dtype.
        required: the server always sends it (not null in the Arrow schema).
        meaning: one sentence for the column reference.
        categories: the known values of a ``category`` column, in order.
        derived: made by runlytics from other fields, not sent by the server.

    Example:
        >>> attempt = Column("attempt", "int", False, "Attempt number.")
        >>> attempt.arrow_type, attempt.dtype
        (DataType(int64), Int64Dtype())
    """

    name: str
    kind: str
    required: bool
    meaning: str
    categories: tuple[str, ...] = ()
    derived: bool = False

    @property
    def arrow_type(self) -> pa.DataType:
        """The Arrow type of this column (what Parquet stores)."""
        return _ARROW[self.kind]

    @property
    def dtype(self) -> object:
        """The pandas dtype of this column (categoricals: known values only)."""
        if self.kind in ("string", "json"):
            return pd.StringDtype("pyarrow")
        if self.kind == "timestamp":
            return pd.DatetimeTZDtype("us", "UTC")
        if self.kind == "category":
            return pd.CategoricalDtype(list(self.categories))
        if self.kind == "int":
            return pd.Int64Dtype()
        if self.kind == "bool":
            return pd.BooleanDtype()
        return pd.ArrowDtype(self.arrow_type)


def _c(name: str, kind: str, meaning: str, *, required: bool = False,
       categories: tuple[str, ...] = (), derived: bool = False) -> Column:
    return Column(name, kind, required, meaning, categories, derived)


COLUMNS: tuple[Column, ...] = (
    _c("workflow_run_id", "string", "Unique id of the run (`wr_...`).", required=True),
    _c("workflow_id", "string", "Id of the workflow version that ran (`w_...`).", required=True),
    _c("workflow_permanent_id", "string", "Stable id of the workflow across versions (`wpid_...`).",
       required=True),
    _c("organization_id", "string", "Organisation that owns the run.", required=True),
    _c("status", "category", "Current status; final ones are completed, failed, terminated, "
       "canceled, timed_out.", required=True, categories=STATUSES),
    _c("workflow_title", "string", "Title of the workflow."),
    _c("trigger_type", "category", "How the run was started (open set; null for old runs).",
       categories=TRIGGER_TYPES),
    _c("created_at", "timestamp", "When the run was created (UTC).", required=True),
    _c("modified_at", "timestamp", "When the run record last changed (UTC).", required=True),
    _c("queued_at", "timestamp", "First move to queued (UTC); null on old servers."),
    _c("started_at", "timestamp", "First move to running (UTC), for the current attempt."),
    _c("finished_at", "timestamp", "When the run reached a final status (UTC)."),
    _c("attempt", "int", "Attempt number under a retry policy (1 = first)."),
    _c("retry_pending", "bool", "A retry is scheduled for this run."),
    _c("next_attempt_at", "timestamp", "When the pending retry is due (UTC)."),
    _c("attempts", "json", "Per-attempt history as JSON (the list endpoint sends `[]`)."),
    _c("failure_reason", "string", "Free-text reason for a failure."),
    _c("failure_category", "failures", "Failure causes ordered by confidence, first = primary: "
       "category, confidence_float, reasoning, reason_code, evidence_source."),
    _c("primary_failure_category", "category", "Category of the first failure_category entry.",
       categories=FAILURE_CATEGORIES, derived=True),
    _c("webhook_failure_reason", "string", "Why the webhook callback failed."),
    _c("run_with", "category", "Engine that ran the workflow: agent or code.", categories=RUN_WITH),
    _c("script_run", "script", "Script execution details: ai_fallback_triggered, script_id, "
       "script_revision_id."),
    _c("ai_fallback", "bool", "AI fallback was enabled for a code run."),
    _c("code_gen", "bool", "Code generation was enabled."),
    _c("proxy_location", "category", "Proxy used: an enum value, `COUNTRY[/SUBDIVISION[/CITY]]` "
       "for a geo object, `custom` for a custom proxy object.", categories=PROXY_LOCATIONS),
    _c("proxy_location_detail", "json", "The proxy_location object as JSON when the server sent "
       "an object; null for plain values.", derived=True),
    _c("workflow_schedule_id", "string", "Schedule that started the run (scheduled runs)."),
    _c("browser_session_id", "string", "Persistent browser session used."),
    _c("browser_profile_id", "string", "Browser profile used."),
    _c("browser_seed_source", "category", "Where the browser state was seeded from.",
       categories=BROWSER_SEED_SOURCES),
    _c("browser_sink_profile_id", "string", "Profile the browser state was saved to."),
    _c("start_fresh_browser", "bool", "The run asked for a fresh browser."),
    _c("reuse_browser_session", "bool", "The run reused a browser session."),
    _c("browser_address", "string", "CDP address of a user-supplied browser."),
    _c("browser_type", "string", "Browser type requested."),
    _c("browser_settings", "json", "Browser settings object as JSON."),
    _c("browser_settings_receipt", "json", "Browser settings as applied, as JSON."),
    _c("debug_session_id", "string", "Debug session the run belongs to."),
    _c("extra_http_headers", "json", "Extra HTTP headers as a JSON object; values may hold "
       "secrets and are redacted on export by default."),
    _c("cdp_connect_headers", "json", "CDP connect headers as JSON (the server masks values)."),
    _c("webhook_callback_url", "string", "Webhook called on completion; query-string "
       "credentials are redacted on export by default."),
    _c("totp_verification_url", "string", "URL polled for TOTP codes; query-string credentials "
       "are redacted on export by default."),
    _c("totp_identifier", "string", "Identifier for TOTP lookups."),
    _c("parent_workflow_run_id", "string", "Parent run (never set in this listing)."),
    _c("retried_from_workflow_run_id", "string", "Run this one manually retries."),
    _c("fallback_attempt", "int", "Fallback attempt number."),
    _c("depends_on_workflow_run_id", "string", "Run this one waits for."),
    _c("job_id", "string", "Job the run belongs to."),
    _c("sequential_key", "string", "Key that serialises runs."),
    _c("sequential_credential_id", "string", "Credential that serialises runs."),
    _c("max_screenshot_scrolls", "int", "Screenshot scroll limit."),
    _c("max_elapsed_time_minutes", "int", "Time limit of the run, minutes."),
    _c("ignore_inherited_workflow_system_prompt", "bool", "Inherited system prompt is ignored."),
    _c("copilot_session_id", "string", "Copilot session that made the run."),
    _c("created_by", "string", "User who created the run."),
    _c("credits_used", "int", "Credits charged."),
    _c("cached_credits_used", "int", "Credits charged for cached work."),
    _c("extra_fields", "json", "Fields this version of runlytics does not know, as a JSON "
       "object (null when there are none).", derived=True),
)

DERIVED = tuple(c.name for c in COLUMNS if c.derived)
TIMESTAMP_COLUMNS = tuple(c.name for c in COLUMNS if c.kind == "timestamp")
_BY_NAME = {c.name: c for c in COLUMNS}


def column(name: str) -> Column:
    """The :class:`Column` called ``name`` (KeyError if there is none).

    Example:
        >>> column("created_at").dtype
        datetime64[us, UTC]
        >>> column("latency")
        Traceback (most recent call last):
        ...
        KeyError: 'latency'
    """
    return _BY_NAME[name]


def api_field_names() -> tuple[str, ...]:
    """Names of the API fields the schema knows (derived columns excluded).

    Example:
        >>> names = api_field_names()
        >>> names[:2], "extra_fields" in names, len(names) == len(COLUMNS) - len(DERIVED)
        (('workflow_run_id', 'workflow_id'), False, True)
    """
    return tuple(c.name for c in COLUMNS if not c.derived)


def arrow_schema() -> pa.Schema:
    """The Arrow schema of a runs table, in column order.

    Example:
        >>> schema = arrow_schema()
        >>> schema.field("created_at")
        pyarrow.Field<created_at: timestamp[us, tz=UTC] not null>
        >>> schema.names[:2], len(schema) == len(COLUMNS)
        (['workflow_run_id', 'workflow_id'], True)
    """
    return pa.schema([pa.field(c.name, c.arrow_type, nullable=not c.required) for c in COLUMNS])


def pandas_dtypes() -> dict[str, object]:
    """Column name -> pandas dtype, with the known categories for categoricals.

    Example:
        >>> dtypes = pandas_dtypes()
        >>> dtypes["attempt"], dtypes["status"].categories[:3].tolist()
        (Int64Dtype(), ['created', 'queued', 'running'])
    """
    return {c.name: c.dtype for c in COLUMNS}


_DTYPE_NAMES = {
    "string": "string", "timestamp": "datetime64[us, UTC]", "category": "category",
    "int": "Int64", "bool": "boolean", "json": "string (JSON)",
    "failures": "list<struct> (Arrow)", "script": "struct (Arrow)",
}


def column_reference() -> str:
    """The column reference as a Markdown table (the README embeds this text).

    Example:
        >>> print(column_reference().splitlines()[2])
        | `workflow_run_id` | string | yes | Unique id of the run (`wr_...`). |
    """
    lines = ["| column | dtype | required | meaning |", "|---|---|---|---|"]
    for c in COLUMNS:
        note = " *(derived)*" if c.derived else ""
        meaning = c.meaning.replace("|", "\\|")
        lines.append(f"| `{c.name}` | {_DTYPE_NAMES[c.kind]} | {'yes' if c.required else ''} "
                     f"| {meaning}{note} |")
    return "\n".join(lines) + "\n"
