"""JSON shapes of the REST API (CONTRACT section 6)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Table, bindparam, select
from sqlmodel import Session

from app.models import Alert, Incident, Notification, TimelineEntry
from app.platform.clock import isoformat

ALERT: Table = Alert.__table__  # type: ignore[attr-defined]
TIMELINE: Table = TimelineEntry.__table__  # type: ignore[attr-defined]
NOTIFICATION: Table = Notification.__table__  # type: ignore[attr-defined]
INCIDENT: Table = Incident.__table__  # type: ignore[attr-defined]


def incident_summary(incident: Incident | Any) -> dict[str, Any]:
    """The incident without its lists (for listings)."""
    return {
        "id": incident.id,
        "service": incident.service_id,
        "title": incident.title,
        "severity": incident.severity,
        "severity_rule": incident.severity_rule,
        "severity_reason": incident.severity_reason,
        "status": incident.status,
        "dedup_key": incident.dedup_key,
        "created_at": isoformat(incident.created_at),
        "acknowledged_at": isoformat(incident.acknowledged_at),
        "acknowledged_by": incident.acknowledged_by,
        "resolved_at": isoformat(incident.resolved_at),
        "resolved_by": incident.resolved_by,
        "escalation_level": incident.escalation_level,
        "commander": incident.commander,
    }


# The lists of one incident, read as plain rows (SQLAlchemy Core): responders' screens poll this
# page many times a second during an incident, and ORM objects would cost several times as much.
_ALERTS = select(ALERT).where(ALERT.c.incident_id == bindparam("incident_id")).order_by(ALERT.c.id)
_TIMELINE = (select(TIMELINE.c.at, TIMELINE.c.kind, TIMELINE.c.actor, TIMELINE.c.detail)
             .where(TIMELINE.c.incident_id == bindparam("incident_id")).order_by(TIMELINE.c.at, TIMELINE.c.id))
_NOTIFICATIONS = (select(NOTIFICATION).where(NOTIFICATION.c.incident_id == bindparam("incident_id"))
                  .order_by(NOTIFICATION.c.id))
_INCIDENT = select(INCIDENT).where(INCIDENT.c.id == bindparam("incident_id"))


def read_incident(session: Session, incident_id: int) -> Any:
    """The incident as a plain row (attributes named as on `Incident`), or None."""
    return session.execute(_INCIDENT, {"incident_id": incident_id}).first()


def incident_full(session: Session, incident: Any) -> dict[str, Any]:
    """The incident (a model or a plain row) with its alerts, timeline and notifications."""
    body = incident_summary(incident)
    key = {"incident_id": incident.id}
    alerts = session.execute(_ALERTS, key).all()
    timeline = session.execute(_TIMELINE, key).all()
    notifications = session.execute(_NOTIFICATIONS, key).all()
    body["alerts"] = [alert_json(a) for a in alerts]
    body["timeline"] = [{"at": isoformat(t.at), "kind": t.kind, "actor": t.actor, "detail": t.detail} for t in timeline]
    body["notifications"] = [notification_json(n) for n in notifications]
    return body


def alert_json(alert: Alert | Any) -> dict[str, Any]:
    """One stored alert event."""
    return {
        "id": alert.id,
        "received_at": isoformat(alert.received_at),
        "integration": alert.integration,
        "action": alert.action,
        "dedup_key": alert.dedup_key,
        "summary": alert.summary,
        "source": alert.source,
        "severity": alert.severity,
        "labels": alert.labels,
        "details": alert.details,
        "links": alert.links,
    }


def notification_json(n: Notification | Any) -> dict[str, Any]:
    """One outbox row as the API shows it."""
    return {
        "id": n.id,
        "user": n.user_id,
        "recipient": n.recipient,
        "channel": n.channel,
        "level": n.level,
        "step": n.step_key,
        "status": n.status,
        "provider": n.provider,
        "error": n.error,
        "created_at": isoformat(n.created_at),
        "due_at": isoformat(n.due_at),
        "sent_at": isoformat(n.sent_at),
    }
