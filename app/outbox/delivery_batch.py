"""Claiming a channel's due pages in batches: how a wave of pages keeps up.

One transaction locks up to a batch of due `pending` rows of one channel (`FOR UPDATE SKIP LOCKED`
on PostgreSQL, so two workers split the rows; SQLite's single writer does the same), cancels the
ones no longer wanted, claims the rest with one UPDATE (pending -> sending, DESIGN rule 6) and builds
their pages with two more queries. The worker then sends them one by one through
`delivery.send_claimed`; pages the console outbox took are recorded together at the end, pages a
provider took are recorded as each returns (a page that went out must not wait on the next one's
provider call to be remembered). Rows needing the per-row rules (a phone that replied STOP) take
`delivery.deliver`'s path.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import update
from sqlmodel import Session, col, select

from app.models import Incident, Notification, NotificationStatus
from app.outbox import recipients
from app.outbox.delivery import Claimed, no_longer_wanted, texts_turned_off, worker_id
from app.outbox.pages import build_pages, build_recipient, for_row


def claim_due(session: Session, channel: str, now: datetime, *, public_url: str, limit: int) -> tuple[list[Claimed],
                                                                                                        list[int]]:
    """Claim up to `limit` due rows of `channel` in the caller's transaction: the claimed pages, and
    the ids of rows that need the per-row path."""
    rows = session.exec(
        select(Notification, Incident).join(Incident, col(Incident.id) == col(Notification.incident_id))
        .where(col(Notification.status) == NotificationStatus.PENDING, col(Notification.channel) == channel)
        .where(col(Notification.due_at) <= now)  # drains wake at exact times: never send early
        .order_by(col(Notification.due_at)).limit(limit)
        .with_for_update(skip_locked=True, of=Notification)
    ).all()
    cancelled, per_row, wanted = [], [], []
    stopped = texts_turned_off(session, [row for row, _ in rows])
    for row, incident in rows:
        if no_longer_wanted(row, incident):
            cancelled.append(row.id)
        elif row.id in stopped:
            per_row.append(row.id or 0)
        else:
            wanted.append((row, incident))
    if cancelled:
        session.execute(update(Notification).where(col(Notification.id).in_(cancelled))
                        .values(status=NotificationStatus.CANCELLED))
    if not wanted:
        return [], per_row
    session.execute(update(Notification).where(col(Notification.id).in_([row.id for row, _ in wanted]))
                    .values(status=NotificationStatus.SENDING, claimed_at=now, claimed_by=worker_id(),
                            attempts=Notification.attempts + 1))  # type: ignore[operator]
    pages = build_pages(session, [(incident, row.step_key) for row, incident in wanted], public_url=public_url)
    return [Claimed(row.id or 0, row.channel, for_row(page, row, incident), build_recipient(session, row),
                    row.incident_id, recipients.target(row.recipient), row.level)
            for (row, incident), page in zip(wanted, pages)], per_row
