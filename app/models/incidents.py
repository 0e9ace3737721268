"""Incidents, the alerts attached to them, and their timeline."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Column, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.platform.database import UTCDateTime


class IncidentStatus(StrEnum):
    """Where an incident stands; it moves only forward, but for an acknowledgement that times out."""

    TRIGGERED = "triggered"
    ACKNOWLEDGED = "acknowledged"
    RESOLVED = "resolved"


OPEN_STATUSES = (IncidentStatus.TRIGGERED, IncidentStatus.ACKNOWLEDGED)


class IncidentSubscriber(SQLModel, table=True):
    """A user added to one incident's status updates (the account's stakeholders hear them anyway)."""

    __tablename__ = "incident_subscriber"
    __table_args__ = (UniqueConstraint("incident_id", "user_id", name="uq_subscriber_once"),)

    id: int | None = Field(default=None, primary_key=True)
    incident_id: int = Field(foreign_key="incident.id", index=True)
    user_id: str = Field(foreign_key="user.id", max_length=64)
    added_by: str = Field(max_length=64)
    added_at: datetime = Field(sa_type=UTCDateTime)


class Incident(SQLModel, table=True):
    """One problem on one service. Status moves only forward: triggered -> acknowledged -> resolved.

    `open_dedup_key` equals `dedup_key` while the incident is open and is NULL once resolved: the
    unique index on (service_id, open_dedup_key) makes a second open incident for the same key
    impossible on SQLite and PostgreSQL alike (NULLs never collide).

    The escalation timer lives here (DESIGN rule 1): `escalation_step` is the next step of the
    flattened ladder to run, `next_escalation_at` when it is due, and `escalation_token` changes on
    every acknowledge, resolve and manual escalation so that stale wake-ups are no-ops.
    """

    __table_args__ = (
        UniqueConstraint("service_id", "open_dedup_key", name="uq_incident_open_dedup"),
        Index("ix_incident_due", "status", "next_escalation_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    service_id: str = Field(foreign_key="service.id", index=True)
    title: str
    severity: str
    severity_rule: str | None = None
    severity_reason: str = ""
    status: str = Field(default=IncidentStatus.TRIGGERED, index=True)  # an IncidentStatus
    dedup_key: str = Field(max_length=255)
    open_dedup_key: str | None = Field(default=None, max_length=255)
    created_at: datetime = Field(sa_type=UTCDateTime)
    acknowledged_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    acknowledged_by: str | None = None
    resolved_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    resolved_by: str | None = None
    commander: str | None = None
    escalation_policy_id: str | None = None
    # The policy's ladder when the incident opened or was handed over ({"levels", "repeat",
    # "escalate_severities"}): what its step timers page, whatever a later `klaxon apply` does to the
    # policy (DESIGN rule 12). None: opened before snapshots were kept; the policy is read as it is.
    ladder: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    escalation_level: int = 0  # 1-based level last paged; 0 before the first page
    escalation_step: int = 0
    escalation_round: int = 0  # bumped when the ladder starts over (ack timeout, hand-over)
    escalation_token: str = ""
    next_escalation_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_step_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    escalated_by_hand_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    details: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


class Alert(SQLModel, table=True):
    """Every accepted event, kept as received (also acknowledge/resolve events with no incident)."""

    id: int | None = Field(default=None, primary_key=True)
    incident_id: int | None = Field(default=None, foreign_key="incident.id", index=True)
    service_id: str = Field(foreign_key="service.id")
    received_at: datetime = Field(sa_type=UTCDateTime)
    integration: str
    action: str
    dedup_key: str = Field(max_length=255)
    summary: str
    source: str | None = None
    severity: str | None = None
    labels: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    details: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    links: list[Any] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))


class TimelineEntry(SQLModel, table=True):
    """One line of an incident's history: what happened, when, and who did it."""

    __tablename__ = "timeline_entry"

    id: int | None = Field(default=None, primary_key=True)
    incident_id: int = Field(foreign_key="incident.id", index=True)
    at: datetime = Field(sa_type=UTCDateTime)
    kind: str
    actor: str
    detail: str = ""
