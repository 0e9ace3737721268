"""The one interface every outbound channel implements (Slack, Twilio SMS, Twilio voice, email, console).

Shaped after Warehouse's email interfaces: the app builds a `Page` and a `Recipient`, picks the
`Notifier` for the channel, and maps the two exceptions below to retry or fall-through.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol


@dataclass(frozen=True)
class Page:
    """Everything a person needs to act on an incident, independent of channel."""

    incident_id: int
    title: str
    severity: str
    severity_reason: str
    service_id: str
    service_name: str
    status: str  # triggered | acknowledged | resolved
    created_at: str  # ISO 8601 UTC
    details: dict[str, object] = field(default_factory=dict)
    links: tuple[dict[str, str], ...] = ()
    also_paged: tuple[str, ...] = ()  # user ids of the others paged for the same step
    acknowledged_by: str | None = None
    resolved_by: str | None = None
    commander: str | None = None
    public_url: str = ""  # where Slack and Twilio reach us (KLAXON_PUBLIC_URL)
    acknowledged_at: str | None = None  # ISO 8601 UTC
    resolved_at: str | None = None
    notice: str | None = None  # set: not a page but this text to tell (a hand-over); no actions
    message: str | None = None  # a page's line from whoever asked for it ("alice: need DB eyes"), shown first
    level_name: str | None = None  # the tier of the ladder level that pages ("Tier 2 database")


@dataclass(frozen=True)
class Recipient:
    """Who a page goes to on one channel: a user's address, or a Slack channel."""

    user_id: str | None
    name: str = ""
    phone: str | None = None  # E.164
    slack_user_id: str | None = None
    slack_channel: str | None = None  # "#channel" for channel posts
    time_zone: str = "UTC"
    email: str | None = None


def missing_address(channel: str, recipient: Recipient) -> str | None:
    """Why `recipient` cannot be reached on `channel` (a permanent failure: fall through to the next
    channel), or None. Checked before any notifier, the console's included, so a page that could
    never reach a real phone does not look sent in the console either."""
    if channel in ("sms", "voice") and recipient.user_id and not recipient.phone:
        return f"{recipient.user_id} has no phone number"
    if channel == "slack" and not (recipient.slack_user_id or recipient.slack_channel):
        return f"{recipient.user_id} has no Slack user id"
    if channel == "email" and not recipient.email:
        return f"{recipient.user_id} has no email address"
    return None


@dataclass(frozen=True)
class DeliveryReceipt:
    """What the provider said when it took the page.

    `provider_id` is the Twilio SID or the Slack `channel:ts`; `status` is `sent` once a provider
    accepted it (Twilio's `queued` counts as sent; its status callback later says `delivered`).
    """

    provider_id: str | None
    status: str = "sent"
    detail: str = ""


class DeliveryError(Exception):
    """A provider refused or failed a page; `code` is the provider's own error code."""

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        self.code = code


class TransientDeliveryError(DeliveryError):
    """Worth retrying: 5xx, timeouts, rate limits (`retry_after` seconds when the provider said)."""

    def __init__(self, message: str, *, code: str | None = None, retry_after: float | None = None) -> None:
        super().__init__(message, code=code)
        self.retry_after = retry_after


class PermanentDeliveryError(DeliveryError):
    """Retrying cannot help (invalid number, user not in Slack): fall through to the next channel."""


class Notifier(Protocol):
    """Sends one page to one recipient on one channel."""

    channel: str
    provider: str  # `console`, `slack`, `twilio` or `smtp`: what the notification row records

    def send(self, page: Page, recipient: Recipient) -> DeliveryReceipt:
        """Deliver the page or raise a DeliveryError subclass."""
        ...
