"""Database models (SQLModel). Importing this package registers every table on `SQLModel.metadata`."""

from app.models.configuration import (
    ConfigDocument,
    EscalationPolicy,
    IntegrationKey,
    ScheduleOverride,
    ScheduleRecord,
    Service,
)
from app.models.incidents import OPEN_STATUSES, Alert, Incident, IncidentStatus, TimelineEntry
from app.models.notifications import REACHED, ConsoleMessage, IncidentTrigger, Notification, NotificationStatus
from app.models.people import ApiToken, User
from app.models.slack import SlackIncident, SlackMessage, SlackTimelinePost

__all__ = [
    "OPEN_STATUSES",
    "REACHED",
    "Alert",
    "ApiToken",
    "ConfigDocument",
    "ConsoleMessage",
    "EscalationPolicy",
    "Incident",
    "IncidentStatus",
    "IncidentTrigger",
    "IntegrationKey",
    "Notification",
    "NotificationStatus",
    "ScheduleOverride",
    "ScheduleRecord",
    "Service",
    "SlackIncident",
    "SlackMessage",
    "SlackTimelinePost",
    "TimelineEntry",
    "User",
]
