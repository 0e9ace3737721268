"""Configuration as stored by `klaxon apply`: services, keys, policies, schedules, classification."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column
from sqlmodel import Field, SQLModel

from app.platform.database import UTCDateTime


class EscalationPolicy(SQLModel, table=True):
    """An escalation ladder. `levels` and `open_triggers` keep the config's shape, durations in seconds."""

    __tablename__ = "escalation_policy"

    id: str = Field(primary_key=True, max_length=64)
    repeat: int = 0
    # [{"targets": ["schedule:x", "user:y", "slack:#c"], "escalate_after_seconds": 300}]
    levels: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    # [{"severities": ["SEV1"], "after_seconds": 900, "targets": [...]}]
    open_triggers: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    escalate_severities: list[str] = Field(
        default_factory=lambda: ["SEV1", "SEV2"], sa_column=Column(JSON, nullable=False)
    )
    ack_timeout_seconds: int | None = None


class Account(SQLModel, table=True):
    """A customer or business unit that services belong to (CONTRACT section 8): who its account
    director is (target `account:director`), who hears its status updates (`account:stakeholders`)."""

    id: str = Field(primary_key=True, max_length=64)
    name: str
    account_director: str | None = Field(default=None, max_length=64)  # a user id
    stakeholders: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))  # user ids
    sla: str | None = Field(default=None, max_length=64)  # an `slas:` id


class Service(SQLModel, table=True):
    """Something that breaks: alerts for it open incidents routed by its escalation policy."""

    id: str = Field(primary_key=True, max_length=64)
    name: str
    escalation_policy_id: str = Field(foreign_key="escalation_policy.id")
    slack_channel: str | None = None
    account_id: str | None = Field(default=None, foreign_key="account.id", index=True)


class IntegrationKey(SQLModel, table=True):
    """A routing key a monitoring tool posts with; stored as SHA-256, never in clear."""

    __tablename__ = "integration_key"

    id: int | None = Field(default=None, primary_key=True)
    service_id: str = Field(foreign_key="service.id", index=True)
    name: str
    key_hash: str = Field(unique=True, max_length=64)
    rate_limit: str | None = None  # "600/m"


class ScheduleRecord(SQLModel, table=True):
    """A schedule as configured (its layers kept in the config's own shape for `schedules.spec`)."""

    __tablename__ = "schedule"

    id: str = Field(primary_key=True, max_length=64)
    time_zone: str
    definition: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


class ScheduleOverride(SQLModel, table=True):
    """Someone covering a span of a schedule; the newest (highest id) wins where overrides stack."""

    __tablename__ = "schedule_override"

    id: int | None = Field(default=None, primary_key=True)
    schedule_id: str = Field(foreign_key="schedule.id", index=True)
    user_id: str = Field(foreign_key="user.id")
    start_at: datetime = Field(sa_type=UTCDateTime)
    end_at: datetime = Field(sa_type=UTCDateTime)
    source: str = "api"  # "config" overrides are replaced by `klaxon apply`; "api" ones are kept
    created_at: datetime = Field(sa_type=UTCDateTime)


class ConfigDocument(SQLModel, table=True):
    """Whole-deployment settings from the config file, by name (e.g. `classification`)."""

    __tablename__ = "config_document"

    name: str = Field(primary_key=True, max_length=64)
    body: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
