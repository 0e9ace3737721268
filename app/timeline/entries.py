"""Writing an incident's timeline: every change, with its actor and time."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import Table
from sqlmodel import Session, col, func, select

from app.models import TimelineEntry

if TYPE_CHECKING:
    from app.models import Incident

SYSTEM = "klaxon"
TIMELINE: Table = TimelineEntry.__table__  # type: ignore[attr-defined]


@dataclass(frozen=True)
class Line:
    """One timeline entry to write, with the incident it tells the change feed about."""

    incident: Incident
    kind: str
    actor: str
    detail: str
    at: datetime


def record(session: Session, *, incident_id: int, kind: str, actor: str, detail: str, at: datetime) -> TimelineEntry:
    """Add one timeline entry to the current transaction."""
    entry = TimelineEntry(incident_id=incident_id, at=at, kind=kind, actor=actor, detail=detail)
    session.add(entry)
    from app.models import Incident
    from app.timeline.change_feed import incident_changed

    incident = session.get(Incident, incident_id)
    if incident is not None:
        incident_changed(session, incident, kind=kind, actor=actor, detail=detail, now=at)
    return entry


def record_many(session: Session, lines: list[Line]) -> None:
    """Write many entries with one INSERT (a batch of steps or deliveries), telling the change feed of
    each as `record` does."""
    if not lines:
        return
    from app.timeline.change_feed import incident_changed

    session.execute(TIMELINE.insert(), [
        dict(incident_id=line.incident.id, at=line.at, kind=line.kind, actor=line.actor, detail=line.detail)
        for line in lines])
    for line in lines:
        incident_changed(session, line.incident, kind=line.kind, actor=line.actor, detail=line.detail, now=line.at)


def count_lines(session: Session, incident_id: int, kind: str) -> int:
    """How many timeline lines of `kind` the incident has (numbers a hand-over's, a responder request's or
    a status update's step key)."""
    return int(session.exec(select(func.count()).select_from(TimelineEntry).where(
        col(TimelineEntry.incident_id) == incident_id, col(TimelineEntry.kind) == kind)).one())
