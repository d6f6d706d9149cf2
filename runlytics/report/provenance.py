"""The report's last section: where the data came from and how the fetch went.

Every format shows the same facts: the source, the API (base URL redacted),
the filters, the fetch's counters (retries by reason, the list moving while
paging, duplicates, tie groups, a page size the server clamped) and when the
report was made, with the moment ages are measured to.
"""

from __future__ import annotations

from typing import Any

from .._version import __version__
from .build import Report
from .model import Definitions, Section, Text
from .text import fmt_int, fmt_time

__all__ = ["provenance"]


def _retries(fetch: dict[str, Any]) -> str:
    reasons = fetch.get("retry_reasons") or {}
    detail = ", ".join(f"{k}: {v}" for k, v in sorted(reasons.items()))
    return f"{fmt_int(fetch.get('retries') or 0)}" + (f" ({detail})" if detail else "")


def _drift(fetch: dict[str, Any]) -> str:
    if not fetch.get("drift_detected"):
        return "no"
    return (f"yes: {fmt_int(fetch.get('repeats_while_paging'))} repeated rows, "
            f"{fmt_int(fetch.get('runs_caught_up'))} new runs caught up, "
            f"{fmt_int(fetch.get('gap_refetches'))} pages re-read")


def _fetch_items(fetch: dict[str, Any]) -> list[tuple[str, tuple[Text, ...]]]:
    items: list[tuple[str, tuple[Text, ...]]] = []
    if fetch.get("base_url"):
        items.append(("API", (Text(fetch["base_url"], True, 200),)))
    filters = fetch.get("filters") or {}
    if filters:
        shown = ", ".join(f"{k}={v}" for k, v in filters.items())
        items.append(("Filters", (Text(shown, True, 300),)))
    items += [
        ("Fetched", (Text(f"{fmt_int(fetch.get('runs', 0))} runs from "
                          f"{fmt_int(fetch.get('pages_requested'))} pages, "
                          f"{fmt_int(fetch.get('requests'))} requests in "
                          f"{float(fetch.get('elapsed_seconds') or 0):.1f} s; stopped: "
                          f"{fetch.get('stopped_because') or '–'}", limit=300),)),
        ("Retries", (Text(_retries(fetch), limit=300),)),
        ("List moved while paging", (Text(_drift(fetch), limit=300),)),
        ("Duplicates dropped", (Text(fmt_int(fetch.get("duplicates_dropped"))),)),
        ("Tie groups", (Text(f"{fmt_int(fetch.get('tie_groups_repaired'))} re-read, "
                             f"{fmt_int(fetch.get('tie_groups_unverified'))} unverified"),)),
    ]
    if fetch.get("page_size_clamped_to"):
        items.append(("Page size", (Text(f"clamped by the server to "
                                         f"{fetch['page_size_clamped_to']}"),)))
    return items


def provenance(report: Report) -> Section:
    """The "How the data was fetched" section of ``report``."""
    items: list[tuple[str, tuple[Text, ...]]] = []
    if report.source:
        items.append(("Data", (Text(report.source, True, 300),)))
    if report.fetch_report:
        items += _fetch_items(report.fetch_report)
    else:
        items.append(("Fetch report", (Text("none recorded with this data"),)))
    generated = (f"{fmt_time(report.generated_at, report.tz, seconds=True)} ({report.tz}) by "
                 f"runlytics {__version__}; ages measured to "
                 f"{fmt_time(report.now, report.tz, seconds=True)}")
    items.append(("Generated", (Text(generated, limit=300),)))
    return Section("provenance", "How the data was fetched", (Definitions(tuple(items)),),
                   ("source", "fetch", "generated_at", "now"))
