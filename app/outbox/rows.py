"""Creating outbox rows: one per (incident, step, recipient, channel), and waking their channel's drain.

Rows are written with Core `INSERT ... ON CONFLICT DO NOTHING` on the outbox's unique key, so a row
that already exists is skipped by the database (DESIGN rule 6) without reading the step's rows first,
and a batch of steps writes all of its rows with one statement.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session

from app.models import Incident, Notification, NotificationStatus
from app.outbox.step_keys import kind_of
from app.platform.queueing import (
    DRAIN_DELIVERIES_JOB,
    PendingJob,
    defer_job,
    deliveries_wake,
    deliveries_wakeup,
    delivery_queue,
)

NOTIFICATION: Table = Notification.__table__  # type: ignore[attr-defined]
_ONCE = ("incident_id", "step_key", "recipient", "channel")


def add_notification(session: Session, incident: Incident, *, step_key: str, level: int, recipient: str,
                     user_id: str | None, channel: str, due_at: datetime, now: datetime) -> bool:
    """Add one outbox row unless the same (step, recipient, channel) exists; defer its delivery."""
    return bool(insert_pages(session, [notification_values(
        incident, step_key=step_key, level=level, recipient=recipient, user_id=user_id, channel=channel,
        due_at=due_at, now=now)], now))


def notification_values(incident: Incident, *, step_key: str, level: int, recipient: str, user_id: str | None,
                        channel: str, due_at: datetime, now: datetime) -> dict[str, Any]:
    """One new (pending) outbox row."""
    return dict(incident_id=incident.id or 0, step_key=step_key, level=level, recipient=recipient, user_id=user_id,
                channel=channel, urgent=kind_of(step_key).stops_at_acknowledgement, status=NotificationStatus.PENDING,
                attempts=0, created_at=now,
                due_at=due_at)


def insert_pages(session: Session, rows: list[dict[str, Any]], now: datetime) -> list[tuple[int, str, datetime]]:
    """Insert the rows that do not exist yet (one statement) and defer their delivery; (id, channel,
    due_at) of the rows inserted."""
    if not rows:
        return []
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    statement = (dialect.insert(NOTIFICATION).values(rows).on_conflict_do_nothing(index_elements=_ONCE)
                 .returning(NOTIFICATION.c.id, NOTIFICATION.c.channel, NOTIFICATION.c.due_at))
    inserted = [(int(i), c, d) for i, c, d in session.execute(statement).all()]
    _defer_delivery(session, inserted, now)
    return inserted


def _defer_delivery(session: Session, rows: list[tuple[int, str, datetime]], now: datetime) -> None:
    """Wake each channel's drain: at once for the rows due now (one coalesced job per channel, as an
    RQ job costs more than a console page), and at each later due time (one job per time slice)."""
    due_now: set[str] = set()
    for _row_id, channel, due_at in rows:
        if due_at > now:
            defer_job(session, deliveries_wakeup(channel, due_at))
        else:
            due_now.add(channel)
    for channel in sorted(due_now):
        defer_job(session, PendingJob(delivery_queue(channel), DRAIN_DELIVERIES_JOB, (channel,),
                                      coalesce=deliveries_wake(channel)))
