"""An alert as a Slack incoming-webhook body: Block Kit header, sections and context.

Text that came from users or sites (workflow titles, failure texts) is
escaped for mrkdwn (``&``, ``<``, ``>`` as entities, so ``<!channel>`` and
``<https://evil|click>`` show as text) and bare mentions (``@here``,
``@channel``, ``@everyone``, ``@name``) get a zero-width space after the
``@``, so no message can ping anyone or hide a link.
"""

from __future__ import annotations

import re
from typing import Any

from .message import Alert

__all__ = ["HEADER_LIMIT", "SECTION_LIMIT", "escape_mrkdwn", "render_text", "slack_body"]

HEADER_LIMIT = 150  # Block Kit: a header's plain_text
SECTION_LIMIT = 3000  # Block Kit: a section's text
ZWSP = "\u200b"
_MENTION = re.compile(r"@(?=\w)")


def escape_mrkdwn(text: str) -> str:
    """``text`` safe in Slack mrkdwn: no control sequence, link or mention survives.

    Example:
        >>> escape_mrkdwn("<!channel> <https://evil|click> & @here")
        '&lt;!channel&gt; &lt;https://evil|click&gt; &amp; @\\u200bhere'
    """
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _MENTION.sub("@" + ZWSP, text)


def slack_body(alert: Alert) -> dict[str, Any]:
    """The JSON body to POST to a Slack incoming webhook.

    Returns:
        ``{"text": fallback, "blocks": [header, section, ..., context]}``.

    Example:
        >>> from runlytics.notify.message import build_alert
        >>> body = slack_body(build_alert({"runs": 3, "thresholds": []}))
        >>> [block["type"] for block in body["blocks"]], body["text"]
        (['header', 'section'], 'runlytics: all thresholds hold')
    """
    head = f"*{escape_mrkdwn(alert.period)}*\n{escape_mrkdwn(' · '.join(alert.figures))}"
    blocks: list[dict[str, Any]] = [
        {"type": "header",
         "text": {"type": "plain_text", "text": _cut(alert.title, HEADER_LIMIT), "emoji": False}},
        _section(head),
    ]
    items = [f"• {escape_mrkdwn(line)}" for line in (*alert.breaches, *alert.changes)]
    if alert.more:
        items.append(f"_…and {alert.more} more in the report_")
    if items:
        blocks.append(_section("\n".join(items)))
    if alert.report_url:
        link = f"<{escape_mrkdwn(alert.report_url).replace('|', '%7C')}|Open the report>"
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": link}]})
    return {"text": escape_mrkdwn(alert.title), "blocks": blocks}


def render_text(body: dict[str, Any]) -> str:
    """A Slack body as the text a reader sees (entities decoded, markup kept).

    Example:
        >>> print(render_text({"blocks": [
        ...     {"type": "header", "text": {"type": "plain_text", "text": "Hi"}},
        ...     {"type": "section", "text": {"type": "mrkdwn", "text": "a &lt;b&gt;"}}]}))
        Hi
        a <b>
    """
    out = []
    for block in body.get("blocks", ()):
        texts = [block["text"]] if "text" in block else block.get("elements", [])
        for text in texts:
            value = text["text"]
            if text["type"] == "mrkdwn":
                value = value.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
            out.append(value)
    return "\n".join(out)


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": _cut(text, SECTION_LIMIT)}}


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
