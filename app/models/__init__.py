"""Database models (SQLModel). Importing this package registers every table on `SQLModel.metadata`."""

from app.models.configuration import (
    Account,
    ConfigDocument,
    EscalationPolicy,
    IntegrationKey,
    ScheduleOverride,
    ScheduleRecord,
    Service,
)
from app.models.incidents import OPEN_STATUSES, Alert, Incident, IncidentStatus, IncidentSubscriber, TimelineEntry
from app.models.notifications import REACHED, ConsoleMessage, IncidentTrigger, Notification, NotificationStatus
from app.models.people import ApiToken, User
from app.models.slack import SlackIncident, SlackMessage, SlackTimelinePost

__all__ = [
    "Account",
    "OPEN_STATUSES",
    "REACHED",
    "Alert",
    "ApiToken",
    "ConfigDocument",
    "ConsoleMessage",
    "EscalationPolicy",
    "Incident",
    "IncidentStatus",
    "IncidentSubscriber",
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
