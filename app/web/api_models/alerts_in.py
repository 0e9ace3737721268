"""What the intakes take and answer (CONTRACT section 5): PagerDuty v2, Alertmanager and Grafana, generic."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from app.web.api_models.common import Strict


class PagerDutyPayload(BaseModel):
    """PagerDuty Events API v2's payload."""

    model_config = ConfigDict(populate_by_name=True)

    summary: str = Field(max_length=1024)
    source: str
    severity: Literal["critical", "error", "warning", "info"]
    timestamp: str | None = None
    component: str | None = None
    group: str | None = None
    class_: str | None = Field(None, alias="class")
    custom_details: Any = None


class PagerDutyEvent(BaseModel):
    """PagerDuty Events API v2, exactly: `routing_key` is a Klaxon integration key."""

    routing_key: str
    event_action: Literal["trigger", "acknowledge", "resolve"]
    dedup_key: str | None = None
    payload: PagerDutyPayload | None = Field(None, description="required for trigger")
    images: list[dict[str, Any]] | None = None
    links: list[dict[str, Any]] | None = None
    client: str | None = None
    client_url: str | None = None


class PagerDutyAccepted(Strict):
    """PagerDuty's answer to an accepted event."""

    status: Literal["success"]
    message: str
    dedup_key: str


class PagerDutyRefused(Strict):
    """PagerDuty's answer to an invalid (400), too large (413) or throttled (429, with Retry-After) event."""

    status: Literal["invalid event", "throttle event"]
    message: str
    errors: list[str] | None = None


class GenericEvent(BaseModel):
    """Klaxon's own simple event."""

    model_config = ConfigDict(extra="forbid")

    summary: str
    severity: Literal["critical", "error", "warning", "info"] | None = None
    source: str | None = None
    dedup_key: str | None = None
    action: Literal["trigger", "acknowledge", "resolve"] | None = None
    labels: dict[str, str] | None = None
    details: dict[str, Any] | None = None
    links: list[Any] | None = None


class GenericBatch(BaseModel):
    """1 to 1,000 generic events, accepted all or nothing."""

    events: list[GenericEvent] = Field(min_length=1, max_length=1000)


class EventAccepted(Strict):
    """An accepted event: its dedup key and the incident it opened or joined (none for an ack or
    resolve without an open incident)."""

    status: Literal["accepted"]
    dedup_key: str
    incident_id: int | None


class BatchAccepted(Strict):
    """An accepted batch: every event's dedup key, in order."""

    accepted: int
    dedup_keys: list[str]


class AlertmanagerAlert(BaseModel):
    """One alert of an Alertmanager group."""

    status: Literal["firing", "resolved"]
    labels: dict[str, str]
    annotations: dict[str, str] = {}
    startsAt: str | None = None
    endsAt: str | None = None
    generatorURL: str | None = None
    fingerprint: str | None = None


class AlertmanagerWebhook(BaseModel):
    """Prometheus Alertmanager's webhook (version 4), and Grafana's, which shares its shape: one
    incident per group (`groupKey`)."""

    version: str
    groupKey: str
    status: Literal["firing", "resolved"]
    receiver: str | None = None
    groupLabels: dict[str, str] = {}
    commonLabels: dict[str, str] = {}
    commonAnnotations: dict[str, str] = {}
    externalURL: str | None = None
    truncatedAlerts: int | None = None
    alerts: list[AlertmanagerAlert]
