"""People: users (the config's `users:`) and the API tokens they hold."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column
from sqlmodel import Field, SQLModel

from app.platform.database import UTCDateTime


class User(SQLModel, table=True):
    """A person who can be paged. `id` is the stable handle used everywhere (`alice`)."""

    id: str = Field(primary_key=True, max_length=64)
    name: str
    email: str | None = None
    phone: str | None = None  # E.164
    slack_user_id: str | None = Field(default=None, index=True)
    time_zone: str = "UTC"
    # Personal notification rules: [{"channel", "after_seconds", "severities": [...] or null}]
    notify: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    # False after the phone replied STOP: SMS and voice skip this user and fall through.
    sms_enabled: bool = True
    # Where status updates reach this user as a subscriber: slack, sms or email (CONTRACT section 8).
    status_channel: str = "slack"


class ApiToken(SQLModel, table=True):
    """A bearer token for the REST API; only its SHA-256 is stored."""

    __tablename__ = "api_token"

    id: int | None = Field(default=None, primary_key=True)
    user_id: str = Field(foreign_key="user.id", index=True)
    role: str  # responder | commander | admin
    token_hash: str = Field(unique=True, max_length=64)
    created_at: datetime = Field(sa_type=UTCDateTime)
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
