"""The config file's shape (CONTRACT section 3) as pydantic models, and `Config`, the checked whole."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from app.configuration.fields import (
    Channel,
    Count,
    Email,
    Handle,
    IntegrationKeyValue,
    Phone,
    RateLimit,
    Seconds,
    Severities,
    Severity,
    SlackChannel,
    StatusChannel,
    Targets,
    TimeZone,
)

SECTIONS = ("users", "schedules", "escalation_policies", "accounts", "services", "classification")

# CONTRACT section 3: what a user without `notify:` gets. Stored explicitly so a reader of the
# database sees the rules that will really be used.
DEFAULT_NOTIFY_RULES: tuple[dict[str, Any], ...] = (
    {"channel": "slack", "after_seconds": 0, "severities": None},
    {"channel": "sms", "after_seconds": 0, "severities": ["SEV1", "SEV2"]},
    {"channel": "voice", "after_seconds": 120, "severities": ["SEV1"]},
)


class Spec(BaseModel):
    """Base of every file section: unknown keys are errors, since a typo would otherwise vanish."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class NotifyRuleSpec(Spec):
    """`{channel: sms, after: 0s, severities: [SEV1]}`: a personal notification rule."""

    channel: Channel
    after: Seconds = 0
    severities: Severities | None = None


class UserSpec(Spec):
    """One `users:` entry."""

    id: Handle
    name: str | None = None
    email: Email | None = None
    phone: Phone | None = None
    slack_user_id: str | None = None
    time_zone: TimeZone = "UTC"
    notify: list[NotifyRuleSpec] | None = Field(default=None, min_length=1)
    status_channel: StatusChannel | None = None


def status_channel(user: UserSpec) -> str:
    """Where status updates reach the user: their `status_channel`, else the channel of their first
    notify rule (CONTRACT section 8), a text where that rule rings a phone (an update never calls)."""
    if user.status_channel is not None:
        return user.status_channel
    first = notify_rules(user)[0]["channel"]
    return "sms" if first == "voice" else str(first)


class LevelSpec(Spec):
    """One rung of an escalation ladder; `name` is its tier ("Tier 2 database"), shown in pages and reviews."""

    name: str | None = Field(default=None, min_length=1, max_length=80)
    targets: Targets
    escalate_after: Seconds | None = None


class OpenTriggerSpec(Spec):
    """An open-time trigger: still unresolved after `after`, page `targets`, acknowledged or not."""

    severities: Severities
    after: Seconds
    targets: Targets


class PolicySpec(Spec):
    """One `escalation_policies:` entry."""

    id: Handle
    repeat: Count = 0
    levels: list[LevelSpec] = Field(min_length=1)
    open_triggers: list[OpenTriggerSpec] = []
    escalate_severities: list[Severity] = ["SEV1", "SEV2"]
    ack_timeout: Seconds | None = None


class IntegrationKeySpec(Spec):
    """`{name, key?, rate_limit?}`: a routing key of a service."""

    name: Handle
    key: IntegrationKeyValue | None = None
    rate_limit: RateLimit | None = None


class AccountSpec(Spec):
    """One `accounts:` entry: a customer or business unit, its director, stakeholders and SLA policy."""

    id: Handle
    name: str | None = None
    account_director: Handle | None = None
    stakeholders: list[Handle] = []
    sla: Handle | None = None


class ServiceSpec(Spec):
    """One `services:` entry."""

    id: Handle
    name: str | None = None
    escalation_policy: Handle
    account: Handle | None = None
    slack_channel: SlackChannel | None = None
    integration_keys: list[IntegrationKeySpec] = []


SPEC_MODELS: tuple[type[Spec], ...] = (
    NotifyRuleSpec, UserSpec, LevelSpec, OpenTriggerSpec, PolicySpec, IntegrationKeySpec, AccountSpec, ServiceSpec
)


@dataclass(frozen=True)
class OverrideEntry:
    """A config override of a schedule, its times already aware UTC."""

    user_id: str
    start_at: datetime
    end_at: datetime


@dataclass(frozen=True)
class ScheduleEntry:
    """One `schedules:` entry: `definition` is the entry minus its overrides, as `schedules.spec` reads it."""

    id: str
    time_zone: str
    definition: dict[str, Any]
    overrides: tuple[OverrideEntry, ...]


@dataclass(frozen=True)
class Config:
    """A whole config file that passed every check, ready for `plan_changes` and `apply_config`."""

    users: tuple[UserSpec, ...]
    schedules: tuple[ScheduleEntry, ...]
    escalation_policies: tuple[PolicySpec, ...]
    services: tuple[ServiceSpec, ...]
    accounts: tuple[AccountSpec, ...]
    classification: dict[str, Any]  # `policy_to_dict` of the checked policy


def notify_rules(user: UserSpec) -> list[dict[str, Any]]:
    """The user's rules in stored form (`after_seconds`), or the CONTRACT default when they give none."""
    if user.notify is None:
        return [dict(rule) for rule in DEFAULT_NOTIFY_RULES]
    return [
        {"channel": rule.channel, "after_seconds": rule.after, "severities": rule.severities}
        for rule in user.notify
    ]
