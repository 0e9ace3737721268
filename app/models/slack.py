"""What Klaxon keeps about its Slack messages: the incident channel, what each page shows, thread posts.

The database decides what Slack should show; these rows remember what Slack shows now, so a sync
job repeated by a retry or a second worker changes nothing twice.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from app.platform.database import UTCDateTime

# pending -> opening -> open, or failed; skipped when Slack is not configured (console).
CHANNEL_STATUSES = ("pending", "opening", "open", "failed", "skipped")


class SlackIncident(SQLModel, table=True):
    """An incident's Slack state: its major-incident channel and the lease of the job syncing it."""

    __tablename__ = "slack_incident"

    incident_id: int = Field(primary_key=True, foreign_key="incident.id")
    channel_status: str | None = None  # None: not a major incident (yet)
    channel_name: str | None = None
    channel_id: str | None = None
    channel_attempts: int = 0
    channel_claimed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    channel_opened_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    channel_error: str | None = None
    # One sync job per incident at a time: two racing chat.updates could leave the older state on top.
    sync_lease_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # Bumped by every sync job; the lease holder syncs again when it moved while it worked.
    sync_requests: int = 0


class SlackMessage(SQLModel, table=True):
    """A posted page message (a Slack notification) and the fingerprint of what it shows now."""

    __tablename__ = "slack_message"

    notification_id: int = Field(primary_key=True, foreign_key="notification.id")
    incident_id: int = Field(foreign_key="incident.id", index=True)
    fingerprint: str = Field(max_length=64)
    rendered_at: datetime = Field(sa_type=UTCDateTime)
    gone: bool = False  # Slack said it can never be updated again (deleted, archived, ...)
    error: str | None = None


class SlackTimelinePost(SQLModel, table=True):
    """One timeline entry posted to one place: a page's thread (`C..:ts`) or the incident channel (`C..`)."""

    __tablename__ = "slack_timeline_post"
    __table_args__ = (UniqueConstraint("target", "entry_id", name="uq_slack_timeline_post_once"),)

    id: int | None = Field(default=None, primary_key=True)
    incident_id: int = Field(foreign_key="incident.id", index=True)
    entry_id: int = Field(foreign_key="timeline_entry.id")
    target: str = Field(max_length=128)
    posted_at: datetime = Field(sa_type=UTCDateTime)
