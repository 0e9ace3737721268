"""The incident API's bodies, filters and answers (CONTRACT section 6)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from app.web.api_models.common import NEXT, Instant, Paging, Severity, Status, Strict


class AlertOut(Strict):
    """One stored alert event of an incident."""

    id: int
    received_at: Instant
    integration: str
    action: Literal["trigger", "acknowledge", "resolve"]
    dedup_key: str
    summary: str
    source: str | None
    severity: str | None
    labels: dict[str, Any]
    details: dict[str, Any]
    links: list[Any]


class TimelineOut(Strict):
    """One line of an incident's timeline."""

    at: Instant
    kind: str
    actor: str
    detail: str


class NotificationOut(Strict):
    """One outbox row: a page (or a notice) to one recipient on one channel, and what became of it."""

    id: int
    user: str | None
    recipient: str
    channel: Literal["slack", "sms", "voice", "console", "email"]
    level: int
    step: str
    status: str
    provider: str | None
    error: str | None
    created_at: Instant
    due_at: Instant
    sent_at: Instant | None


class IncidentSummary(Strict):
    """An incident without its lists (as listed)."""

    id: int
    service: str
    title: str
    severity: Severity
    severity_rule: str | None
    severity_reason: str
    status: Status
    dedup_key: str
    created_at: Instant
    acknowledged_at: Instant | None
    acknowledged_by: str | None
    resolved_at: Instant | None
    resolved_by: str | None
    escalation_level: int
    commander: str | None


class IncidentOut(IncidentSummary):
    """An incident with its alerts, timeline and notifications."""

    alerts: list[AlertOut]
    timeline: list[TimelineOut]
    notifications: list[NotificationOut]


class IncidentPage(Strict):
    """A page of incidents, newest first."""

    incidents: list[IncidentSummary]
    next: str | None = Field(description=NEXT)




class IncidentFilters(Paging):
    """Filters of the incident list; `since` and `until` bound the creation time (with an offset or Z)."""

    status: str | None = Field(None, description="triggered, acknowledged or resolved (comma-separated)")
    service: str | None = None
    account: str | None = Field(None, description="incidents of the services of this account")
    severity: Severity | None = None
    since: Instant | None = None
    until: Instant | None = None


class Declare(BaseModel):
    """Declare an incident by hand."""

    service: str
    title: str
    severity: Severity


class Escalate(BaseModel):
    """`next` pages the next level now; `service:ID` hands the incident over to another team; `user:ID`
    reassigns it to one person and ends the ladder."""

    to: str = Field("next", pattern=r"^(next|service:.+|user:.+)$")


class Responders(BaseModel):
    """More people to page without escalating, and why."""

    targets: list[str] = Field(min_length=1, description="user:ID or schedule:ID")
    message: str | None = Field(None, max_length=300)


class StatusUpdate(BaseModel):
    """A status update for the incident's subscribers and Slack channel."""

    text: str = Field(min_length=1, max_length=2000)


class Subscriber(BaseModel):
    """A user to add to (or remove from) the incident's status updates."""

    user: str


class Note(BaseModel):
    """A note for the timeline."""

    text: str = Field(max_length=4000)


class SeverityChange(BaseModel):
    """The new severity."""

    severity: Severity


class CommanderChange(BaseModel):
    """The new incident commander (a user id)."""

    user: str
