"""The sweeper's side of the outbox: rows a dead worker left in `sending`, and rows whose wake-up Redis lost."""

from __future__ import annotations

import os
import socket
from datetime import datetime, timedelta

from sqlalchemy import update
from sqlmodel import Session, col, func, select

from app.models import Notification, NotificationStatus
from app.outbox.delivery import LIVE_CLAIM_LIMIT, MAX_ATTEMPTS, SENDING_LEASE
from app.outbox.fall_through import fail_and_fall_through
from app.platform.database import aware_utc


def reset_stuck(session: Session, now: datetime, live_claimers: set[str] | None = None) -> list[int]:
    """Return rows left in `sending` by a dead worker to pending (the fence of DESIGN rule 6): at once
    when the claimer was a process on this host that no longer exists; after SENDING_LEASE when its
    heartbeat is gone; a worker whose heartbeat is live (or when Redis cannot say: None) keeps its
    claim for LIVE_CLAIM_LIMIT, longer than any send plus the retries of recording it, so a database
    blip while it records never lets a second worker send the page again."""
    rows = session.exec(select(Notification.id, Notification.claimed_at, Notification.claimed_by,
                               Notification.attempts)
                               .where(col(Notification.status) == NotificationStatus.SENDING)).all()
    stuck = [(int(i or 0), tries) for i, at, by, tries in rows
             if _dead_here(by) or (at is not None and at < now - _lease(by, live_claimers))]
    retry = [i for i, tries in stuck if tries < MAX_ATTEMPTS]
    if retry:
        session.execute(update(Notification).where(col(Notification.id).in_(retry),
                                                   col(Notification.status) == NotificationStatus.SENDING)
                        .values(status=NotificationStatus.PENDING, due_at=now))
    for i, tries in stuck:
        # A page whose every attempt died with its worker (one that kills the process, say) is not retried for ever.
        row = session.get(Notification, i) if tries >= MAX_ATTEMPTS else None
        if row is not None and row.status == NotificationStatus.SENDING:
            fail_and_fall_through(session, row, now, f"gave up after {tries} attempts that never finished", None)
    return [i for i, _ in stuck]


def _lease(claimer: str | None, live_claimers: set[str] | None) -> timedelta:
    if live_claimers is None or (claimer is not None and claimer in live_claimers):
        return LIVE_CLAIM_LIMIT
    return SENDING_LEASE


def _dead_here(claimer: str | None) -> bool:
    """True when `claimer` names a process on this host that has exited."""
    if not claimer or ":" not in claimer:
        return False
    host, _, pid = claimer.rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def due_pending(session: Session, now: datetime, older_than: timedelta, limit: int = 500) -> list[tuple[int, str]]:
    """(id, channel) of pending rows due for longer than `older_than`: wake-ups Redis lost."""
    rows = session.exec(select(Notification.id, Notification.channel).where(
        col(Notification.status) == NotificationStatus.PENDING,
        col(Notification.due_at) <= now - older_than).limit(limit)).all()
    return [(int(i or 0), c) for i, c in rows]


def next_due_on_channel(session: Session, channel: str, after: datetime, horizon: timedelta) -> datetime | None:
    """When the first pending, never tried row of `channel` due after `after` (and within `horizon`)
    falls due (a retry has its own wake-up)."""
    found = session.exec(select(func.min(Notification.due_at)).where(
        col(Notification.status) == NotificationStatus.PENDING, col(Notification.channel) == channel,
        col(Notification.attempts) == 0,
        col(Notification.due_at) > after, col(Notification.due_at) <= after + horizon)).first()
    return aware_utc(found)
