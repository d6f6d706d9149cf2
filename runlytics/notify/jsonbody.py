"""An alert as a plain JSON webhook body: the report's summary plus the alert.

For receivers of your own (a pager bridge, a ticket robot): ``{"alert":
{...}, "summary": {...}}`` with the alert's fields (``state``, ``title``,
``key``, ``breaches``, ...) and its text as ``alert.text`` lines.
"""

from __future__ import annotations

import json
from typing import Any

from .message import Alert

__all__ = ["json_body"]


def json_body(alert: Alert, summary: dict[str, Any]) -> dict[str, Any]:
    """The JSON body for a ``json:URL`` target (plain data, strict JSON: no NaN).

    Example:
        >>> from runlytics.notify.message import build_alert
        >>> body = json_body(build_alert({"runs": 3, "thresholds": []}), {"runs": 3})
        >>> body["alert"]["state"], body["alert"]["text"][0], body["summary"]
        ('ok', 'runlytics: all thresholds hold', {'runs': 3})
    """
    alert_data = {**alert.to_dict(), "text": alert.lines()}
    # Round-trip so the body is plain JSON whatever the summary holds (timestamps, NaN).
    plain: dict[str, Any] = json.loads(json.dumps({"alert": alert_data, "summary": summary},
                                                  default=str), parse_constant=lambda _: None)
    return plain
