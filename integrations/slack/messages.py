"""The Block Kit message for a page: what happened, how bad and why, who else knows, and buttons.

Pure functions of a `Page`; the same page always renders to the same blocks, so `chat.update`
can re-render the whole message whenever the incident changes.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone

from integrations.notifier import Page

ACTION_IDS = ("ack", "resolve", "escalate")

# Slack's documented limits; over them chat.postMessage fails with invalid_blocks.
_HEADER_MAX = 150
_TEXT_MAX = 3000
_FIELD_MAX = 2000
_BUTTON_TEXT_MAX = 75
_DETAILS_SHOWN = 10
_DETAIL_VALUE_MAX = 200

_SEVERITY_EMOJI = {
    "SEV1": ":red_circle:",
    "SEV2": ":large_orange_circle:",
    "SEV3": ":large_yellow_circle:",
    "SEV4": ":large_blue_circle:",
}
_STATUS_LABEL = {
    "triggered": ":rotating_light: Triggered",
    "acknowledged": ":eyes: Acknowledged",
    "resolved": ":white_check_mark: Resolved",
}


def escape(text: str) -> str:
    """Escape Slack's three control characters so user text can never forge links or mentions."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def truncate(text: str, limit: int) -> str:
    """Cut text to at most `limit` characters, marking the cut with an ellipsis."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def slack_date(at: datetime | str) -> str:
    """Render an instant with Slack's date token, so each reader sees it in their own time zone."""
    if isinstance(at, str):
        try:
            at = datetime.fromisoformat(at)
        except ValueError:
            return escape(str(at))
    if at.tzinfo is None:
        at = at.replace(tzinfo=timezone.utc)  # across our boundaries naive never happens; be safe
    utc = at.astimezone(timezone.utc)
    fallback = utc.strftime("%Y-%m-%d %H:%M UTC")
    return f"<!date^{int(utc.timestamp())}^{{date_short_pretty}} {{time}}|{fallback}>"


def fallback_text(page: Page) -> str:
    """The plain `text` Slack shows in notifications and where blocks cannot be rendered."""
    status = page.status.capitalize()
    by = page.resolved_by if page.status == "resolved" else page.acknowledged_by
    who = f" by {by}" if by and page.status != "triggered" else ""
    return escape(f"[{page.severity}] #{page.incident_id} {page.title} ({page.service_name}): {status}{who}")


def page_blocks(page: Page, *, changed_at: datetime | None = None) -> list[dict[str, object]]:
    """All blocks for a page message; the buttons go away once the incident is resolved."""
    blocks: list[dict[str, object]] = [_header(page), _summary(page)]
    if page.message:  # a responder request: why this person is asked, above everything else but the title
        blocks.insert(1, _section(f"*{escape(page.message)}*"))
    details = _details(page)
    if details:
        blocks.append(_section(details))
    links = _links(page)
    if links:
        blocks.append(_section(links))
    context = _context_lines(page, changed_at)
    if context:
        blocks.append({"type": "context", "elements": [_mrkdwn(line) for line in context]})
    buttons = action_buttons(page)
    if buttons:
        blocks.append({"type": "actions", "elements": buttons})
    return blocks


def action_buttons(page: Page) -> list[dict[str, object]]:
    """Acknowledge / Resolve / Escalate, each carrying the incident id; fewer as the incident moves on."""
    if page.status == "resolved":
        return []
    value = str(page.incident_id)
    buttons = [
        _button("ack", "Acknowledge", value, style="primary"),
        _button("resolve", "Resolve", value),
        _button("escalate", "Escalate", value, style="danger"),
    ]
    if page.status == "acknowledged":
        # Status only moves forward: a second acknowledge would be a no-op, so don't offer it.
        buttons = buttons[1:]
    return buttons


def _button(action_id: str, label: str, value: str, *, style: str | None = None) -> dict[str, object]:
    button: dict[str, object] = {
        "type": "button",
        "action_id": action_id,
        "text": {"type": "plain_text", "text": truncate(label, _BUTTON_TEXT_MAX), "emoji": True},
        "value": value,
    }
    if style:
        button["style"] = style
    return button


def _mrkdwn(text: str, limit: int = _TEXT_MAX) -> dict[str, object]:
    return {"type": "mrkdwn", "text": truncate(text, limit)}


def _section(text: str) -> dict[str, object]:
    return {"type": "section", "text": _mrkdwn(text)}


def _header(page: Page) -> dict[str, object]:
    text = f"{page.severity} · #{page.incident_id} {page.title}"
    return {"type": "header", "text": {"type": "plain_text", "text": truncate(text, _HEADER_MAX), "emoji": True}}


def _summary(page: Page) -> dict[str, object]:
    emoji = _SEVERITY_EMOJI.get(page.severity, ":grey_question:")
    why = f" — {escape(page.severity_reason)}" if page.severity_reason else ""
    fields = [
        _mrkdwn(f"*Service*\n{escape(page.service_name or page.service_id)}", _FIELD_MAX),
        _mrkdwn(f"*Status*\n{_STATUS_LABEL.get(page.status, escape(page.status))}", _FIELD_MAX),
        _mrkdwn(f"*Opened*\n{slack_date(page.created_at)}", _FIELD_MAX),
    ]
    if page.commander:
        fields.append(_mrkdwn(f"*Commander*\n{escape(page.commander)}", _FIELD_MAX))
    return {"type": "section", "text": _mrkdwn(f"{emoji} *{escape(page.severity)}*{why}"), "fields": fields}


def _details(page: Page) -> str:
    if not page.details:
        return ""
    lines = ["*Details*"]
    items = list(page.details.items())
    for key, value in items[:_DETAILS_SHOWN]:
        shown = value if isinstance(value, str) else json.dumps(value, sort_keys=True, default=str)
        lines.append(f"• `{escape(str(key))}`: {escape(truncate(shown, _DETAIL_VALUE_MAX))}")
    if len(items) > _DETAILS_SHOWN:
        lines.append(f"…and {len(items) - _DETAILS_SHOWN} more")
    return "\n".join(lines)


def _links(page: Page) -> str:
    lines = []
    for link in page.links:
        url = link.get("href") or link.get("url") or ""
        if _safe_url(url):
            label = escape(link.get("text") or url).replace("|", "¦")
            lines.append(f"<{url}|{label}>")
    if page.public_url and _safe_url(page.public_url):
        # The UI's incident page; KLAXON_PUBLIC_URL is where people (and Slack) reach us.
        lines.append(f"<{page.public_url.rstrip('/')}/incidents/{page.incident_id}|Open in Klaxon>")
    return "*Links*\n" + "\n".join(lines) if lines else ""


def _safe_url(url: str) -> bool:
    # Inside <url|label> these characters would end or split the link; refuse rather than mangle.
    return url.startswith(("https://", "http://")) and not any(c in url for c in "<>| \n")


def _context_lines(page: Page, changed_at: datetime | None) -> list[str]:
    lines = []
    when = f" {slack_date(changed_at)}" if changed_at else ""
    if page.status == "resolved":
        by = f" by {escape(page.resolved_by)}" if page.resolved_by else ""
        lines.append(f":white_check_mark: Resolved{by}{when}")
    elif page.status == "acknowledged":
        by = f" by {escape(page.acknowledged_by)}" if page.acknowledged_by else ""
        lines.append(f":eyes: Acknowledged{by}{when}")
    if page.status == "resolved" and page.acknowledged_by:
        lines.append(f"Acknowledged by {escape(page.acknowledged_by)}")
    if page.level_name:
        lines.append(f"Paged as {escape(page.level_name)}")
    if page.also_paged:
        lines.append("Also paged: " + ", ".join(escape(user) for user in page.also_paged))
    return lines
