"""The request and response models of the HTTP surface (CONTRACT sections 5 to 8), from which
`api_docs` generates the OpenAPI document.

They describe; the views keep their own checks and their own clear errors (a model does not turn a
400 that says what is wrong into a generic 422). tests/integration/test_openapi.py holds the models
to the answers the API really gives.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

Severity = Literal["SEV1", "SEV2", "SEV3", "SEV4"]
Status = Literal["triggered", "acknowledged", "resolved"]
Instant = str  # ISO 8601 UTC with a Z, e.g. 2026-12-01T09:30:00Z
NEXT = "URL of the next page, or null on the last one"


class Strict(BaseModel):
    """A model whose fields are all there is (an extra field in an answer is a mistake in the model)."""

    model_config = ConfigDict(extra="forbid")


# ---- errors ----------------------------------------------------------------------------------------

class ErrorBody(Strict):
    """Every error of the API: what is wrong, in words, and details when there are any."""

    error: str
    detail: Any = None


# ---- incidents -------------------------------------------------------------------------------------

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


class Paging(BaseModel):
    """Every list pages (CONTRACT section 6)."""

    limit: int | None = Field(None, ge=1, le=1000, description="at most this many (default 100)")
    cursor: str | None = Field(None, description="the opaque cursor of the previous page's `next`")


class IncidentFilters(Paging):
    """Filters of the incident list; `since` and `until` bound the creation time (with an offset or Z)."""

    status: str | None = Field(None, description="triggered, acknowledged or resolved (comma-separated)")
    service: str | None = None
    severity: Severity | None = None
    since: Instant | None = None
    until: Instant | None = None


class Declare(BaseModel):
    """Declare an incident by hand."""

    service: str
    title: str
    severity: Severity


class Escalate(BaseModel):
    """`next` pages the next level now; `service:ID` hands the incident over to another team."""

    to: str = Field("next", pattern=r"^(next|service:.+)$")


class Note(BaseModel):
    """A note for the timeline."""

    text: str = Field(max_length=4000)


class SeverityChange(BaseModel):
    """The new severity."""

    severity: Severity


class CommanderChange(BaseModel):
    """The new incident commander (a user id)."""

    user: str


# ---- schedules ----------------------------------------------------------------------------------

class ScheduleOut(Strict):
    """A schedule, its layers and who is on call now."""

    id: str
    time_zone: str
    layers: list[str]
    oncall: list[str]


class SchedulePage(Strict):
    """A page of schedules, by id."""

    schedules: list[ScheduleOut]
    next: str | None = Field(description=NEXT)


class OnCallOut(Strict):
    """Who is on call at `at`."""

    schedule: str
    at: Instant
    oncall: list[str]


class AtQuery(BaseModel):
    """An instant (with an offset or Z); now when absent."""

    at: Instant | None = None


class SpanOut(Strict):
    """A stretch of time."""

    start: Instant
    end: Instant


class ShiftOut(SpanOut):
    """Who is on call over one stretch."""

    users: list[str]


class ShiftsOut(Strict):
    """The final shifts in [start, end), and the gaps where nobody is on call."""

    schedule: str
    start: Instant
    end: Instant
    shifts: list[ShiftOut]
    gaps: list[SpanOut]


class WindowQuery(BaseModel):
    """[start, end): start defaults to now, end to start + 7 days; at most 366 days."""

    start: Instant | None = None
    end: Instant | None = None


class OverrideOut(Strict):
    """An override: `user` is on call in [start, end) instead of the rotation."""

    id: int
    schedule: str
    user: str
    start: Instant
    end: Instant
    source: Literal["api", "config"]


class OverridePage(Strict):
    """A page of overrides that have not ended."""

    schedule: str
    overrides: list[OverrideOut]
    next: str | None = Field(description=NEXT)


class NewOverride(BaseModel):
    """Instants with an offset or Z; at most 90 days; it must end in the future."""

    user: str
    start: Instant
    end: Instant


class FeedQuery(BaseModel):
    """Calendar apps cannot send headers: the read-only feed token from GET /feeds, or a Bearer token."""

    token: str | None = None


class ScheduleFeed(Strict):
    """A schedule's calendar feed."""

    schedule: str
    url: str


class FeedsOut(Strict):
    """The caller's read-only feed token and the calendar URLs to subscribe to."""

    token: str
    mine: str
    schedules: list[ScheduleFeed]


# ---- alerts in ------------------------------------------------------------------------------------

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


# ---- provider webhooks ----------------------------------------------------------------------------

class SlackInteraction(BaseModel):
    """Slack interactivity (a button press), signed with X-Slack-Signature over the raw body."""

    payload: str = Field(description="Slack's JSON block_actions payload")


class SlackCommand(BaseModel):
    """A slash command (`/oncall`, `/incident`), signed with X-Slack-Signature over the raw body."""

    command: str
    text: str = ""
    user_id: str
    channel_id: str | None = None
    team_id: str | None = None
    response_url: str | None = None


class SlackAnswer(Strict):
    """What the sender of a slash command sees (ephemeral)."""

    response_type: Literal["ephemeral", "in_channel"]
    text: str


class TwilioSms(BaseModel):
    """An inbound SMS, signed with X-Twilio-Signature against KLAXON_PUBLIC_URL + path."""

    From: str
    Body: str = ""
    MessageSid: str | None = None


class TwilioCall(BaseModel):
    """A page call's webhook (the call answered, or the keys pressed: `?gather=1&incident_id=N`)."""

    CallSid: str
    From: str | None = None
    To: str | None = None
    Digits: str | None = None
    AnsweredBy: str | None = None


class TwilioStatus(BaseModel):
    """A message's or call's status callback."""

    MessageSid: str | None = None
    MessageStatus: str | None = None
    CallSid: str | None = None
    CallStatus: str | None = None
    ErrorCode: str | None = None


# ---- health ---------------------------------------------------------------------------------------

class Alive(Strict):
    """The process is up."""

    status: Literal["ok"]


class Readiness(Strict):
    """Ready when pages can go out (503 otherwise), with each check's state."""

    status: Literal["ready", "not ready"]
    checks: dict[str, str]
