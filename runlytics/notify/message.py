"""The alert a report raises, in no target's format: what broke, with its numbers.

:func:`build_alert` reads the report's JSON summary (``report.summary``) and
keeps what fits on a phone: the period, the headline figures with their n,
each broken threshold with its value, the top significant changes (when the
summary has a ``changes`` list) and a link to the report. Its text is plain
and cleaned (:func:`runlytics.report.text.clean`); each renderer escapes it
for its own format.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from ..report.text import clean, fmt_int, fmt_pct, fmt_seconds, fmt_time

__all__ = ["MAX_BREACHES", "MAX_CHANGES", "Alert", "alert_key", "build_alert"]

MAX_BREACHES = 5
MAX_CHANGES = 3
TITLE_LIMIT = 80
STATES = ("breach", "resolved", "ok")


@dataclass(frozen=True)
class Alert:
    """One alert, format-neutral.

    Attributes:
        state: ``breach`` (something broke), ``resolved`` (a breach cleared)
            or ``ok`` (nothing broke: sent only with ``on="always"``).
        title: one line for a heading.
        period: the report's period, as people read it.
        figures: the headline figures, each with its n.
        breaches: each broken threshold with its value (at most ``MAX_BREACHES``).
        changes: the top significant changes (at most ``MAX_CHANGES``).
        more: how many breaches and changes were left out.
        report_url: where the report is served, when known.
        key: the breach key (see :func:`alert_key`); empty when nothing broke.
    """

    state: str
    title: str
    period: str
    figures: tuple[str, ...]
    breaches: tuple[str, ...]
    changes: tuple[str, ...]
    more: int
    report_url: str | None
    key: str

    def lines(self) -> list[str]:
        """The alert as plain text lines (the JSON body's ``text``, logs, tests)."""
        out = [self.title, self.period, " · ".join(self.figures)]
        out += [f"• {line}" for line in (*self.breaches, *self.changes)]
        if self.more:
            out.append(f"…and {self.more} more in the report")
        if self.report_url:
            out.append(f"Report: {self.report_url}")
        return out

    def to_dict(self) -> dict[str, Any]:
        """The alert as JSON-ready data (lists for tuples)."""
        data = asdict(self)
        return {k: list(v) if isinstance(v, tuple) else v for k, v in data.items()}


def alert_key(summary: dict[str, Any]) -> str:
    """What broke, as one sorted string: the same breach always gives the same key.

    Broken thresholds count by their expression, significant changes by
    workflow and metric; an empty key means nothing broke.

    Example:
        >>> alert_key({"thresholds": [
        ...     {"expr": "success_rate<0.9", "breached": True},
        ...     {"expr": "stuck_runs>0", "breached": False}],
        ...     "changes": [{"workflow_permanent_id": "wpid_a", "metric": "success_rate",
        ...                  "significant": True}]})
        'change:wpid_a:success_rate|threshold:success_rate<0.9'
    """
    parts = {f"threshold:{t.get('expr')}" for t in _broken(summary)}
    parts |= {f"change:{c.get('workflow_permanent_id')}:{c.get('metric')}"
              for c in _significant(summary)}
    return "|".join(sorted(parts))


def build_alert(summary: dict[str, Any], *, state: str | None = None,
                report_url: str | None = None) -> Alert:
    """The :class:`Alert` for a report's JSON summary.

    Args:
        summary: ``report.summary`` (``period``, ``runs``, ``success_rate``,
            ``success_rate_n``, ``failed_runs``, ``queue_seconds``,
            ``duration_seconds``, ``stuck_runs``, ``thresholds`` and, when
            present, ``changes``).
        state: ``breach``, ``resolved`` or ``ok`` (default: ``breach`` when
            something broke, else ``ok``).
        report_url: a link to the report, shown last.

    Returns:
        An :class:`Alert`.

    Example:
        >>> summary = {"period": {"start": "2026-01-08T00:00:00+00:00",
        ...                       "end": "2026-01-15T00:00:00+00:00"},
        ...            "runs": 40, "success_rate": 0.8, "success_rate_n": 40,
        ...            "failed_runs": 8, "stuck_runs": 0,
        ...            "queue_seconds": {"p90": 150.0, "n": 40},
        ...            "thresholds": [{"expr": "success_rate<0.9", "key": "success_rate",
        ...                            "op": "<", "threshold": 0.9, "value": 0.8,
        ...                            "breached": True}]}
        >>> print("\\n".join(build_alert(summary).lines()))
        runlytics: 1 threshold broke
        2026-01-08 00:00 – 2026-01-15 00:00 UTC
        40 runs · success 80.0% (n=40) · 8 failed · queue p90 2.5 min (n=40) · 0 stuck
        • success_rate < 0.9: 0.8
    """
    broken, significant = _broken(summary), _significant(summary)
    key = alert_key(summary)
    state = state or ("breach" if key else "ok")
    if state not in STATES:
        raise ValueError(f"state must be one of {STATES}, got {state!r}")
    breaches = [_threshold_line(t) for t in broken]
    changes = [_change_line(c) for c in sorted(significant, key=_change_rank)]
    shown_b, shown_c = breaches[:MAX_BREACHES], changes[:MAX_CHANGES]
    more = len(breaches) - len(shown_b) + len(changes) - len(shown_c)
    if state != "breach":  # a resolved or quiet report lists nothing as broken
        shown_b, shown_c, more = [], [], 0
    return Alert(state=state, title=_title(state, len(breaches), len(changes)),
                 period=_period(summary), figures=tuple(_figures(summary)),
                 breaches=tuple(shown_b), changes=tuple(shown_c), more=more,
                 report_url=report_url, key=key)


def _broken(summary: dict[str, Any]) -> list[dict[str, Any]]:
    return [t for t in summary.get("thresholds") or () if isinstance(t, dict) and t.get("breached")]


def _significant(summary: dict[str, Any]) -> list[dict[str, Any]]:
    return [c for c in summary.get("changes") or ()
            if isinstance(c, dict) and c.get("significant")]


def _change_rank(change: dict[str, Any]) -> tuple[float, str]:
    p_value = change.get("p_value")
    return (p_value if isinstance(p_value, int | float) else 1.0,
            str(change.get("workflow_title") or ""))


def _title(state: str, n_breaches: int, n_changes: int) -> str:
    if state == "resolved":
        return "runlytics: resolved, nothing is broken now"
    if state == "ok":
        return "runlytics: all thresholds hold"
    parts = []
    if n_breaches:
        parts.append(f"{n_breaches} threshold{'s' if n_breaches != 1 else ''} broke")
    if n_changes:
        parts.append(f"{n_changes} significant change{'s' if n_changes != 1 else ''}")
    return "runlytics: " + ", ".join(parts)


def _period(summary: dict[str, Any]) -> str:
    period = summary.get("period") or {}
    tz = summary.get("tz") or "UTC"
    return (f"{fmt_time(period.get('start'), tz)} – {fmt_time(period.get('end'), tz)} "
            f"{clean(tz, 40)}")


def _figures(summary: dict[str, Any]) -> list[str]:
    queue = summary.get("queue_seconds") or {}
    duration = summary.get("duration_seconds") or {}
    figures = [f"{fmt_int(summary.get('runs'))} runs",
               f"success {fmt_pct(summary.get('success_rate'))} "
               f"(n={fmt_int(summary.get('success_rate_n'))})",
               f"{fmt_int(summary.get('failed_runs'))} failed"]
    if queue.get("p90") is not None:
        figures.append(f"queue p90 {fmt_seconds(queue.get('p90'))} (n={fmt_int(queue.get('n'))})")
    if duration.get("p90") is not None:
        figures.append(f"duration p90 {fmt_seconds(duration.get('p90'))} "
                       f"(n={fmt_int(duration.get('n'))})")
    figures.append(f"{fmt_int(summary.get('stuck_runs'))} stuck")
    return figures


def _number(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return clean(value, 30) or "no data"


def _threshold_line(threshold: dict[str, Any]) -> str:
    key, op = clean(threshold.get("key"), 60), clean(threshold.get("op"), 4)
    return f"{key} {op} {_number(threshold.get('threshold'))}: {_number(threshold.get('value'))}"


def _change_line(change: dict[str, Any]) -> str:
    if change.get("workflow_permanent_id") is None:  # the organisation's own row
        title = "Whole organisation"
    else:
        title = clean(change.get("workflow_title") or change.get("workflow_permanent_id"),
                      TITLE_LIMIT)
    p_value = change.get("p_value")
    p_text = f", p={p_value:.2g}" if isinstance(p_value, int | float) else ""
    return (f"{title}: {clean(change.get('metric'), 40)} {_number(change.get('previous'))} → "
            f"{_number(change.get('current'))} (n={fmt_int(change.get('n_previous'))}/"
            f"{fmt_int(change.get('n_current'))}{p_text})")
