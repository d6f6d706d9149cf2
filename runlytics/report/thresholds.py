"""``--fail-on`` thresholds: ``dotted.key OP number`` over the JSON summary.

Grammar: a key path of the JSON summary (``queue_seconds.p90``,
``success_rate``, ``status.failed``, ``previous.success_rate``), an operator
among ``> >= < <= == !=`` and a number (``120``, ``0.9``, ``1e3``, or a
percentage ``90%`` meaning 0.9). Spaces around the parts are allowed.

Rules:

* A key that names nothing in the summary, an object (``queue_seconds``) or
  a list (``workflows``) is a usage error.
* In the count maps ``status``, ``trigger_types`` and ``failure_categories``
  a name that is absent counts 0: a failure category nobody hit this week is
  not an error.
* A key whose value is null (no finished runs, so no ``success_rate``; no
  previous period in the data; ``fetch.*`` for a file without a fetch
  report) is **not breached**: the result says "no data", and the CLI prints
  that on stderr without failing.

Example:
    >>> t = parse_threshold("queue_seconds.p90>120")
    >>> evaluate_thresholds([t], {"queue_seconds": {"p90": 143.0}})[0].breached
    True
"""

from __future__ import annotations

import math
import operator
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ..errors import UsageError

__all__ = ["COUNT_MAPS", "OPERATORS", "Threshold", "ThresholdResult", "check_keys",
           "evaluate_thresholds", "parse_threshold"]

OPERATORS: dict[str, Callable[[float, float], bool]] = {
    ">=": operator.ge, "<=": operator.le, "==": operator.eq, "!=": operator.ne,
    ">": operator.gt, "<": operator.lt,
}
#: Summary keys holding {name: count}: an absent name counts 0.
COUNT_MAPS = ("status", "trigger_types", "failure_categories")

_EXPR = re.compile(
    r"^\s*(?P<key>[A-Za-z_][A-Za-z0-9_\-]*(?:\.[A-Za-z0-9_\-]+)*)\s*"
    r"(?P<op>>=|<=|==|!=|>|<)\s*"
    r"(?P<num>[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?)\s*(?P<pct>%?)\s*$"
)


@dataclass(frozen=True)
class Threshold:
    """One parsed ``--fail-on`` expression: breached when ``value_at(key) OP number``."""

    expr: str
    key: tuple[str, ...]
    op: str
    number: float

    @property
    def dotted(self) -> str:
        return ".".join(self.key)


@dataclass(frozen=True)
class ThresholdResult:
    """A threshold checked against a summary: the value found and whether it broke."""

    threshold: Threshold
    value: float | None
    breached: bool

    @property
    def no_data(self) -> bool:
        return self.value is None

    @property
    def state(self) -> str:
        """``broke``, ``ok`` or ``no data``."""
        return "no data" if self.no_data else "broke" if self.breached else "ok"

    def describe(self) -> str:
        """``success_rate<0.9 (success_rate = 0.8318)``, or ``... is null: no data``."""
        t = self.threshold
        if self.no_data:
            return f"{t.expr} ({t.dotted} is null: no data, not checked)"
        return f"{t.expr} ({t.dotted} = {self.value:.6g})"

    def to_dict(self) -> dict[str, Any]:
        t = self.threshold
        return {"expr": t.expr, "key": t.dotted, "op": t.op, "threshold": t.number,
                "value": self.value, "breached": self.breached}


def parse_threshold(text: str) -> Threshold:
    """Parse ``dotted.key OP number``; raise :class:`UsageError` when it is not one.

    Example:
        >>> parse_threshold("success_rate < 90%").number
        0.9
    """
    match = _EXPR.match(text or "")
    if not match:
        raise UsageError(f"--fail-on {text!r}: expected KEY OP NUMBER, e.g. "
                         "'queue_seconds.p90>120', 'success_rate<0.9' or 'stuck_runs>0' "
                         "(OP: > >= < <= == !=)")
    number = float(match["num"]) / (100.0 if match["pct"] else 1.0)
    if not math.isfinite(number):
        raise UsageError(f"--fail-on {text!r}: the number must be finite")
    expr = f"{match['key']}{match['op']}{match['num']}{match['pct']}"
    return Threshold(expr, tuple(match["key"].split(".")), match["op"], number)


def _resolve(summary: Mapping[str, Any], threshold: Threshold) -> Any:
    """The summary value at the threshold's key, or UsageError naming what is wrong."""
    node: Any = summary
    path: list[str] = []
    for part in threshold.key:
        if node is None:  # e.g. no fetch report with this data: no data, like a null value
            return None
        if isinstance(node, Mapping):
            if part in node:
                node = node[part]
            elif path and path[-1] in COUNT_MAPS:
                # a name nobody hit counts 0; in a map of nulls (no data) it is null too
                nulls = bool(node) and all(v is None for v in node.values())
                node = None if nulls else 0
            else:
                where = ".".join(path) or "the summary"
                known = ", ".join(sorted(str(k) for k in node)) if path else ", ".join(
                    str(k) for k in node)
                raise UsageError(f"--fail-on {threshold.expr!r}: {where} has no key "
                                 f"{part!r} (keys: {known})")
        else:
            raise UsageError(f"--fail-on {threshold.expr!r}: {'.'.join(path)} is not an "
                             "object, so it has no keys")
        path.append(part)
    if isinstance(node, Mapping):
        raise UsageError(f"--fail-on {threshold.expr!r}: {threshold.dotted} is an object; name "
                         f"one of its numbers: {', '.join(map(str, node))}")
    if isinstance(node, list | tuple):
        raise UsageError(f"--fail-on {threshold.expr!r}: {threshold.dotted} is a list; "
                         "thresholds compare numbers")
    if isinstance(node, bool) or not (node is None or isinstance(node, int | float)):
        raise UsageError(f"--fail-on {threshold.expr!r}: {threshold.dotted} is "
                         f"{node!r}, not a number")
    return node


def check_keys(thresholds: Iterable[Threshold], summary: Mapping[str, Any]) -> None:
    """Raise :class:`UsageError` for the first threshold whose key is not a number in ``summary``.

    :func:`runlytics.report.check_threshold_keys` checks against the summary
    of a report on no runs, before anything is fetched.
    """
    for threshold in thresholds:
        _resolve(summary, threshold)


def evaluate_thresholds(thresholds: Sequence[Threshold],
                        summary: Mapping[str, Any]) -> list[ThresholdResult]:
    """Check each threshold against ``summary``; null values are not breached.

    Raises:
        UsageError: a key that names no number in ``summary``.
    """
    results = []
    for threshold in thresholds:
        value = _resolve(summary, threshold)
        if value is None or (isinstance(value, float) and math.isnan(value)):
            results.append(ThresholdResult(threshold, None, False))
            continue
        breached = OPERATORS[threshold.op](float(value), threshold.number)
        results.append(ThresholdResult(threshold, float(value), breached))
    return results
