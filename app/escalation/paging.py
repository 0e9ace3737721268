"""Turning a level's targets into outbox rows: one per (incident, step, recipient, channel)."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, col, select

from app.escalation.stepping import channel_schedule, rules_from_stored
from app.escalation.targets import resolve_targets
from app.models import Incident, Notification, User
from app.queueing import DELIVER_JOB, PendingJob, defer_job, delivery_queue
from app.timeline import SYSTEM, record


def page_targets(
    session: Session,
    incident: Incident,
    targets: tuple[str, ...],
    now: datetime,
    *,
    step_key: str,
    level: int,
    reason: str,
    actor: str = SYSTEM,
) -> bool:
    """Write the outbox rows for `targets` and defer their delivery; False when nobody was reached."""
    resolved = resolve_targets(session, targets, now)
    existing = _existing_keys(session, incident.id or 0, step_key)
    paged: list[str] = []
    for user_id in resolved.user_ids:
        user = session.get(User, user_id)
        if user is None:
            continue
        channels = channel_schedule(rules_from_stored(user.notify), incident.severity, now)
        added = [
            channel for channel, due_at in channels
            if _add(session, incident, existing, step_key, level, f"user:{user_id}", user_id, channel, due_at, now)
        ]
        if channels:
            paged.append(f"{user_id} ({', '.join(c for c, _ in channels)})")
        elif not added:
            resolved.empty.append(f"user:{user_id} (no notification rule for {incident.severity})")
    for channel_name in resolved.slack_channels:
        _add(session, incident, existing, step_key, level, f"slack:{channel_name}", None, "slack", now, now)
        paged.append(channel_name)
    if paged:
        record(session, incident_id=incident.id or 0, kind="paged", actor=actor, at=now,
               detail=f"{reason}: paged {', '.join(paged)}")
    return bool(paged)


def add_notification(session: Session, incident: Incident, *, step_key: str, level: int, recipient: str,
                     user_id: str | None, channel: str, due_at: datetime, now: datetime) -> bool:
    """Add one outbox row unless the same (step, recipient, channel) exists; defer its delivery."""
    existing = _existing_keys(session, incident.id or 0, step_key)
    return _add(session, incident, existing, step_key, level, recipient, user_id, channel, due_at, now)


def _add(session: Session, incident: Incident, existing: set[tuple[str, str]], step_key: str, level: int,
         recipient: str, user_id: str | None, channel: str, due_at: datetime, now: datetime) -> bool:
    if (recipient, channel) in existing:
        return False
    existing.add((recipient, channel))
    row = Notification(
        incident_id=incident.id or 0, step_key=step_key, level=level, recipient=recipient, user_id=user_id,
        channel=channel, urgent=step_key.startswith("esc:"), created_at=now, due_at=due_at,
    )
    session.add(row)
    session.flush()
    defer_job(session, PendingJob(delivery_queue(channel), DELIVER_JOB, (row.id,), due_at if due_at > now else None))
    return True


def _existing_keys(session: Session, incident_id: int, step_key: str) -> set[tuple[str, str]]:
    rows = session.exec(
        select(Notification.recipient, Notification.channel)
        .where(col(Notification.incident_id) == incident_id, col(Notification.step_key) == step_key)
    ).all()
    return {(r, c) for r, c in rows}
