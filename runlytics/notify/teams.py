"""An alert as a Microsoft Teams Workflows-webhook body: one Adaptive Card 1.4.

The old Office 365 connectors are retired; a Teams Workflows webhook takes
``{"type": "message", "attachments": [{"contentType":
"application/vnd.microsoft.card.adaptive", "content": <card>}]}``.

Text from users or sites goes into ``TextRun`` elements of ``RichTextBlock``s,
which Adaptive Cards never read as Markdown, so ``[click](https://evil)`` stays
text. As a second guard :func:`escape_card_text` breaks the Markdown link
syntax and ``<at>`` tags with a zero-width space and does the same after every
``@``, so no text can link or mention even where a client reads Markdown.
"""

from __future__ import annotations

import re
from typing import Any

from .message import Alert

__all__ = ["CARD_CONTENT_TYPE", "CARD_VERSION", "escape_card_text", "teams_body"]

CARD_CONTENT_TYPE = "application/vnd.microsoft.card.adaptive"
CARD_SCHEMA = "http://adaptivecards.io/schemas/adaptive-card.json"
CARD_VERSION = "1.4"
ZWSP = "\u200b"
_BREAKS = re.compile(r"(?<=\]|<|@)(?=[(\w/!])")


def escape_card_text(text: str) -> str:
    """``text`` that cannot become a link or a mention in a card.

    Example:
        >>> escape_card_text("[click](https://evil) <at>x</at> @here")
        '[click]\\u200b(https://evil) <\\u200bat>x<\\u200b/at> @\\u200bhere'
    """
    return _BREAKS.sub(ZWSP, text)


def teams_body(alert: Alert) -> dict[str, Any]:
    """The JSON body to POST to a Teams Workflows webhook.

    Example:
        >>> from runlytics.notify.message import build_alert
        >>> body = teams_body(build_alert({"runs": 3, "thresholds": []}))
        >>> card = body["attachments"][0]["content"]
        >>> body["type"], card["type"], card["version"], card["body"][0]["text"]
        ('message', 'AdaptiveCard', '1.4', 'runlytics: all thresholds hold')
    """
    blocks: list[dict[str, Any]] = [
        {"type": "TextBlock", "text": alert.title, "weight": "Bolder", "size": "Medium",
         "wrap": True, "style": "heading"},
        _runs(alert.period, subtle=True),
        _runs(" · ".join(alert.figures)),
    ]
    blocks += [_runs(f"• {line}") for line in (*alert.breaches, *alert.changes)]
    if alert.more:
        blocks.append(_runs(f"…and {alert.more} more in the report", subtle=True))
    card: dict[str, Any] = {"type": "AdaptiveCard", "$schema": CARD_SCHEMA,
                            "version": CARD_VERSION, "body": blocks,
                            "msteams": {"width": "Full"}}
    if alert.report_url:
        card["actions"] = [{"type": "Action.OpenUrl", "title": "Open the report",
                            "url": alert.report_url}]
    return {"type": "message",
            "attachments": [{"contentType": CARD_CONTENT_TYPE, "contentUrl": None,
                             "content": card}]}


def _runs(text: str, *, subtle: bool = False) -> dict[str, Any]:
    run: dict[str, Any] = {"type": "TextRun", "text": escape_card_text(text)}
    if subtle:
        run["isSubtle"] = True
    return {"type": "RichTextBlock", "inlines": [run]}
