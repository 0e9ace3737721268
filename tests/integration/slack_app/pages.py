"""What the Slack app tests expect messages to look like: the page as Klaxon should render it, and buttons."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from app.platform.clock import isoformat
from integrations.notifier import Page
from tests.integration.slack_app.support import DETAILS, LINKS, PUBLIC_URL, incident

_BUTTONS = {
    "ack": {"type": "button", "action_id": "ack", "style": "primary",
            "text": {"type": "plain_text", "text": "Acknowledge", "emoji": True}},
    "resolve": {"type": "button", "action_id": "resolve",
                "text": {"type": "plain_text", "text": "Resolve", "emoji": True}},
    "escalate": {"type": "button", "action_id": "escalate", "style": "danger",
                 "text": {"type": "plain_text", "text": "Escalate", "emoji": True}},
}


def buttons(incident_id: int, *action_ids: str) -> dict[str, Any]:
    """The actions block Slack should get: these buttons, each carrying the incident id."""
    return {"type": "actions", "elements": [_BUTTONS[a] | {"value": str(incident_id)} for a in action_ids]}


def expected_page(runtime: Any, incident_id: int, **changes: Any) -> Page:
    """The checkout page of `support.trigger`, as the incident stands (status fields given by the test)."""
    stored = incident(runtime, incident_id)
    page = Page(
        incident_id=incident_id, title="Checkout 5xx above 2%", severity="SEV2",
        severity_reason=stored.severity_reason, service_id="checkout", service_name="Checkout API",
        status="triggered", created_at=isoformat(stored.created_at) or "", details=dict(DETAILS), links=LINKS,
        public_url=PUBLIC_URL,
    )
    return replace(page, **changes)


def slack_date(at: Any) -> str:
    """Slack's date token for an instant, as the message context line shows it."""
    return f"<!date^{int(at.timestamp())}^{{date_short_pretty}} {{time}}|{at.strftime('%Y-%m-%d %H:%M UTC')}>"
