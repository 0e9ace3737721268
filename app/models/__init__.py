"""Database models (SQLModel). Importing this package registers every table on `SQLModel.metadata`."""

from app.models.configuration import (
    ConfigDocument,
    EscalationPolicy,
    IntegrationKey,
    ScheduleOverride,
    ScheduleRecord,
    Service,
)
from app.models.incidents import Alert, Incident, TimelineEntry
from app.models.notifications import ConsoleMessage, IncidentTrigger, Notification
from app.models.people import ApiToken, User
from app.models.slack import SlackIncident, SlackMessage, SlackTimelinePost

__all__ = [
    "Alert",
    "ApiToken",
    "ConfigDocument",
    "ConsoleMessage",
    "EscalationPolicy",
    "Incident",
    "IncidentTrigger",
    "IntegrationKey",
    "Notification",
    "ScheduleOverride",
    "ScheduleRecord",
    "Service",
    "SlackIncident",
    "SlackMessage",
    "SlackTimelinePost",
    "TimelineEntry",
    "User",
]
