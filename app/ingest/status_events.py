"""Acknowledge and resolve events from monitoring tools: stored, then applied to the open incident."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from app.incidents.lifecycle import mark_acknowledged, mark_resolved, open_incident
from app.ingest.store import store_alert_only
from integrations.inbound.event import InboundEvent


def apply_status_event(session: Session, *, service_id: str, event: InboundEvent, dedup_key: str,
                       now: datetime) -> int | None:
    """Store an acknowledge or resolve event and apply it to the open incident, if there is one
    (none: accepted and ignored, as PagerDuty does). Returns that incident's id."""
    actor = f"integration:{event.integration}"
    incident = open_incident(session, service_id, dedup_key)
    store_alert_only(session.connection(), service_id=service_id, incident_id=incident.id if incident else None,
                     event=event, dedup_key=dedup_key, now=now)
    if incident is not None and event.action == "acknowledge":
        mark_acknowledged(session, incident, actor=actor, now=now)
    elif incident is not None and event.action == "resolve":
        mark_resolved(session, incident.id or 0, actor=actor, now=now)
    return incident.id if incident else None
