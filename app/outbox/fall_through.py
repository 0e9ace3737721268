"""Fall-through: a page that failed for good goes to the same person's next untried channel, now."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, col, select

from app.models import Incident, Notification, NotificationStatus, User
from app.outbox import recipients, rows
from app.outbox.notify_rules import fallback_channel, rules_from_stored
from app.platform.metrics import PAGES
from app.platform.queueing import DELIVER_JOB, PendingJob, defer_job, delivery_queue
from app.timeline.entries import SYSTEM, record


def fail_and_fall_through(session: Session, row: Notification, now: datetime, reason: str, code: str | None) -> None:
    """Fail the row and page the same person on their next untried channel, now."""
    PAGES.labels(row.channel, "failed").inc()
    row.status, row.error = NotificationStatus.FAILED, reason
    session.add(row)
    target = recipients.target(row.recipient)
    record(session, incident_id=row.incident_id, kind="delivery_failed", actor=SYSTEM, at=now,
           detail=f"{row.channel} {'notice' if row.notice else 'page'} to {target} failed permanently: {reason}")
    if not row.user_id or row.notice:  # a notice is told once, on one channel: it is not a page to chase
        return
    user = session.get(User, row.user_id)
    incident = session.get(Incident, row.incident_id)
    if user is None or incident is None:
        return
    channel, waiting = next_channel(session, row, user)
    if channel is None:
        record(session, incident_id=row.incident_id, kind="delivery_failed", actor=SYSTEM, at=now,
               detail=f"no channel left to reach {target}")
        return
    if channel in waiting:
        # Already scheduled by a delayed rule: bring it forward rather than add yet another channel.
        expedited = waiting[channel]
        if expedited.due_at > now:
            expedited.due_at = now
            session.add(expedited)
            defer_job(session, PendingJob(delivery_queue(channel), DELIVER_JOB, (expedited.id,)))
    else:
        rows.add_notification(session, incident, step_key=row.step_key, level=row.level, recipient=row.recipient,
                                user_id=row.user_id, channel=channel, due_at=now, now=now)
    record(session, incident_id=row.incident_id, kind="fallback", actor=SYSTEM, at=now,
           detail=f"falling back to {channel} for {target}")


def next_channel(session: Session, row: Notification, user: User) -> tuple[str | None, dict[str, Notification]]:
    """The channel fall-through would use for `row`'s person, and the rows of this step still pending
    by channel (a pending one is brought forward rather than added again)."""
    siblings = session.exec(select(Notification).where(
        col(Notification.incident_id) == row.incident_id, col(Notification.step_key) == row.step_key,
        col(Notification.recipient) == row.recipient)).all()
    waiting = {n.channel: n for n in siblings if n.status == NotificationStatus.PENDING and n.id != row.id}
    done = {n.channel for n in siblings if n.channel not in waiting}
    skip = done | ({"sms", "voice"} if not user.sms_enabled else set())
    return fallback_channel(rules_from_stored(user.notify), skip), waiting


def describe_failure(error: Exception, code: str | None) -> str:
    """A provider's error as the timeline and the outbox row show it."""
    return f"{error} (code {code})" if code else str(error)
