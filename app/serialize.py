"""JSON shapes of the REST API (CONTRACT section 6)."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, col, select

from app.clock import isoformat
from app.models import Alert, Incident, Notification, TimelineEntry


def incident_summary(incident: Incident) -> dict[str, Any]:
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


def incident_full(session: Session, incident: Incident) -> dict[str, Any]:
    """The incident with its alerts, timeline and notifications."""
    body = incident_summary(incident)
    alerts = session.exec(select(Alert).where(col(Alert.incident_id) == incident.id).order_by(col(Alert.id))).all()
    timeline = session.exec(select(TimelineEntry).where(col(TimelineEntry.incident_id) == incident.id)
                            .order_by(col(TimelineEntry.at), col(TimelineEntry.id))).all()
    notifications = session.exec(select(Notification).where(col(Notification.incident_id) == incident.id)
                                 .order_by(col(Notification.id))).all()
    body["alerts"] = [alert_json(a) for a in alerts]
    body["timeline"] = [{"at": isoformat(t.at), "kind": t.kind, "actor": t.actor, "detail": t.detail} for t in timeline]
    body["notifications"] = [notification_json(n) for n in notifications]
    return body


def alert_json(alert: Alert) -> dict[str, Any]:
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


def notification_json(n: Notification) -> dict[str, Any]:
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
