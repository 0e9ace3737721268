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
    return entry
