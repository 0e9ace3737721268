"""Writing an incident's timeline: every change, with its actor and time."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from app.models import TimelineEntry

SYSTEM = "klaxon"


def record(session: Session, *, incident_id: int, kind: str, actor: str, detail: str, at: datetime) -> TimelineEntry:
    """Add one timeline entry to the current transaction."""
    entry = TimelineEntry(incident_id=incident_id, at=at, kind=kind, actor=actor, detail=detail)
    session.add(entry)
    from app.change_feed import incident_changed
    from app.models import Incident

    incident = session.get(Incident, incident_id)
    if incident is not None:
        incident_changed(session, incident, kind=kind, actor=actor, detail=detail, now=at)
    return entry
