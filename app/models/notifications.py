"""The outbox: one row per page to one recipient on one channel, plus open-time trigger timers."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Column, Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.platform.database import UTCDateTime


class NotificationStatus(StrEnum):
    """pending -> sending -> sent -> delivered, or failed (DESIGN rule 6); a pending page whose incident
    was acknowledged or resolved before it went out becomes cancelled."""

    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    DELIVERED = "delivered"
    FAILED = "failed"
    CANCELLED = "cancelled"


REACHED = (NotificationStatus.SENT, NotificationStatus.DELIVERED)  # the provider took it


class Notification(SQLModel, table=True):
    """A page in the outbox. (incident, step, recipient, channel) is unique: a second insert fails.

    `step_key` names the step run that made it: `esc:3` for escalation step 3 (unique across repeats),
    `trigger:2` for open-time trigger row 2. `recipient` is `user:alice` or `slack:#channel`.
    A row with a `notice` is not a page but a message to tell someone something (a hand-over): it
    goes out with that text, no actions, and is never re-paged or re-rendered as a page.
    """

    __table_args__ = (
        UniqueConstraint("incident_id", "step_key", "recipient", "channel", name="uq_notification_once"),
        Index("ix_notification_due", "status", "due_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    incident_id: int = Field(foreign_key="incident.id", index=True)
    step_key: str = Field(max_length=64)
    level: int = 0
    recipient: str = Field(max_length=128)
    user_id: str | None = Field(default=None, foreign_key="user.id")
    channel: str  # slack | sms | voice | console
    urgent: bool = True
    status: str = NotificationStatus.PENDING  # a NotificationStatus
    attempts: int = 0
    created_at: datetime = Field(sa_type=UTCDateTime)
    due_at: datetime = Field(sa_type=UTCDateTime)
    claimed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    claimed_by: str | None = Field(default=None, max_length=128)  # "host:pid" of the sending worker
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    delivered_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    provider: str | None = None  # console | slack | twilio
    provider_id: str | None = Field(default=None, unique=True, max_length=128)
    provider_status: str | None = None
    error: str | None = None
    notice: str | None = Field(default=None, sa_type=Text)
    message: str | None = Field(default=None, sa_type=Text)  # a page's line from whoever asked for it


class IncidentTrigger(SQLModel, table=True):
    """An open-time trigger timer ("SEV1 still unresolved after 15 minutes") for one incident."""

    __tablename__ = "incident_trigger"
    __table_args__ = (
        UniqueConstraint("incident_id", "trigger_index", name="uq_trigger_once"),
        Index("ix_trigger_due", "fired_at", "due_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    incident_id: int = Field(foreign_key="incident.id", index=True)
    trigger_index: int
    due_at: datetime = Field(sa_type=UTCDateTime)
    fired_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    cancelled_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # The rule that armed this timer, as it was then (`targets`, `after_seconds`, `severities`): what it
    # fires, whatever a later `klaxon apply` does to the policy (DESIGN rule 12). None: armed before
    # snapshots were kept, so the policy's rule at `trigger_index` is used.
    rule: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))


class ConsoleMessage(SQLModel, table=True):
    """The built-in console outbox: what would have gone to Slack or Twilio on a laptop."""

    __tablename__ = "console_message"

    id: int | None = Field(default=None, primary_key=True)
    notification_id: int | None = Field(default=None, foreign_key="notification.id", index=True)
    channel: str
    to: str
    text: str
    created_at: datetime = Field(sa_type=UTCDateTime)
