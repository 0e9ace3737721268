"""The built-in console outbox: the Notifier used for a channel with no provider credentials.

It logs the page and the delivery code stores it as a `ConsoleMessage` in the same transaction
that marks the notification sent, so a laptop sees every page exactly once in the UI and API.
"""

from __future__ import annotations

import logging
import uuid

from integrations.notifier import DeliveryReceipt, Page, Recipient

log = logging.getLogger("klaxon.outbox")


def page_text(page: Page) -> str:
    """The one-line text of a page, with the reply codes people use from SMS (a notice: its text)."""
    if page.notice:
        return page.notice
    asked = f"{page.message} -- " if page.message else ""
    tier = f"; {page.level_name}" if page.level_name else ""
    number = page.incident_id
    return (f"{asked}[{page.severity}] {page.service_name}: {page.title} (incident {number}, {page.status}{tier}). "
            f"Reply ACK {number}, RES {number} or ESC {number}")


def recipient_address(recipient: Recipient, channel: str) -> str:
    """Where the page would have gone on the real channel."""
    if recipient.slack_channel:
        return recipient.slack_channel
    if channel in ("sms", "voice") and recipient.phone:
        return f"{recipient.user_id} <{recipient.phone}>"
    if channel == "slack" and recipient.slack_user_id:
        return f"{recipient.user_id} <{recipient.slack_user_id}>"
    return recipient.user_id or "?"


class ConsoleNotifier:
    """Pretends to be a channel: logs the page and hands back a local id."""

    provider = "console"

    def __init__(self, channel: str) -> None:
        self.channel = channel

    def send(self, page: Page, recipient: Recipient) -> DeliveryReceipt:
        """Log the page; the caller stores it in the console outbox."""
        text = page_text(page)
        log.info("console %s page to %s: %s", self.channel, recipient_address(recipient, self.channel), text)
        return DeliveryReceipt(provider_id=f"console-{uuid.uuid4().hex}", status="sent", detail=text)
