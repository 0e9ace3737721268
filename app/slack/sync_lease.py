"""One Slack sync per incident at a time: a lease in `slack_incident`, and a request count so that a
change made while a sync runs is never left unsynced (two racing chat.updates could otherwise leave
the older state on top)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Callable

from sqlalchemy import update
from sqlmodel import Session, col, select

from app.models import SlackIncident
from app.slack.incident_channel import ensure_slack_state

LEASE = timedelta(seconds=120)


def take_lease(session_factory: Callable[[], Session], incident_id: int, now: datetime) -> int | datetime:
    """Count our request, then take the lease: the request count we saw, or when the holder's lease ends."""
    with session_factory() as session:
        ensure_slack_state(session, incident_id)
        session.execute(update(SlackIncident).where(col(SlackIncident.incident_id) == incident_id)
                        .values(sync_requests=SlackIncident.sync_requests + 1))  # type: ignore[operator]
        taken = session.execute(update(SlackIncident).where(
            col(SlackIncident.incident_id) == incident_id,
            col(SlackIncident.sync_lease_until).is_(None) | (col(SlackIncident.sync_lease_until) < now))
            .values(sync_lease_until=now + LEASE))
        state = session.exec(select(SlackIncident).where(col(SlackIncident.incident_id) == incident_id)
                             .execution_options(populate_existing=True)).one()
        session.commit()
        if taken.rowcount == 1:  # type: ignore[attr-defined]
            return state.sync_requests
        return state.sync_lease_until or now


def release_unless_asked_again(session_factory: Callable[[], Session], incident_id: int, seen: int,
                                now: datetime) -> int | None:
    """Release the lease if no job asked for a sync since `seen`; else keep it and return the new count."""
    with session_factory() as session:
        released = session.execute(update(SlackIncident).where(
            col(SlackIncident.incident_id) == incident_id, col(SlackIncident.sync_requests) == seen)
            .values(sync_lease_until=None))
        if released.rowcount == 1:  # type: ignore[attr-defined]
            session.commit()
            return None
        # A job that found us busy counted its request and left: its change may postdate our plan.
        session.execute(update(SlackIncident).where(col(SlackIncident.incident_id) == incident_id)
                        .values(sync_lease_until=now + LEASE))
        state = session.exec(select(SlackIncident).where(col(SlackIncident.incident_id) == incident_id)
                             .execution_options(populate_existing=True)).one()
        session.commit()
        return state.sync_requests


def release(session_factory: Callable[[], Session], incident_id: int) -> None:
    """Give the lease back (the sync failed: the next job takes it at once)."""
    with session_factory() as session:
        session.execute(update(SlackIncident).where(col(SlackIncident.incident_id) == incident_id)
                        .values(sync_lease_until=None))
        session.commit()
