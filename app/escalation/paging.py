"""Turning a level's targets into outbox rows: one per (incident, step, recipient, channel)."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, col, select

from app.config_cache import get_row
from app.escalation.stepping import channel_schedule, rules_from_stored
from app.escalation.targets import resolve_targets
from app.models import Incident, Notification, User
from app.queueing import DELIVER_JOB, DRAIN_DELIVERIES_JOB, PendingJob, defer_job, deliveries_wake, delivery_queue
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
    rows: list[Notification] = []
    for user_id in resolved.user_ids:
        user = get_row(session, User, user_id)
        if user is None:
            continue
        channels = channel_schedule(rules_from_stored(user.notify), incident.severity, now)
        added = [
            row for channel, due_at in channels
            if (row := _add(session, incident, existing, step_key, level, f"user:{user_id}", user_id, channel,
                            due_at, now)) is not None
        ]
        rows.extend(added)
        if channels:
            paged.append(f"{user_id} ({', '.join(c for c, _ in channels)})")
        elif not added:
            resolved.empty.append(f"user:{user_id} (no notification rule for {incident.severity})")
    for channel_name in resolved.slack_channels:
        row = _add(session, incident, existing, step_key, level, f"slack:{channel_name}", None, "slack", now, now)
        rows.extend([row] if row is not None else [])
        paged.append(channel_name)
    _defer_delivery(session, rows, now)
    if paged:
        record(session, incident_id=incident.id or 0, kind="paged", actor=actor, at=now,
               detail=f"{reason}: paged {', '.join(paged)}")
    return bool(paged)


def add_notification(session: Session, incident: Incident, *, step_key: str, level: int, recipient: str,
                     user_id: str | None, channel: str, due_at: datetime, now: datetime) -> bool:
    """Add one outbox row unless the same (step, recipient, channel) exists; defer its delivery."""
    existing = _existing_keys(session, incident.id or 0, step_key)
    row = _add(session, incident, existing, step_key, level, recipient, user_id, channel, due_at, now)
    _defer_delivery(session, [row] if row is not None else [], now)
    return row is not None


def _add(session: Session, incident: Incident, existing: set[tuple[str, str]], step_key: str, level: int,
         recipient: str, user_id: str | None, channel: str, due_at: datetime, now: datetime) -> Notification | None:
    if (recipient, channel) in existing:
        return None
    existing.add((recipient, channel))
    row = Notification(
        incident_id=incident.id or 0, step_key=step_key, level=level, recipient=recipient, user_id=user_id,
        channel=channel, urgent=step_key.startswith("esc:"), created_at=now, due_at=due_at,
    )
    session.add(row)
    return row


def _defer_delivery(session: Session, rows: list[Notification], now: datetime) -> None:
    """Flush the new rows together (one multi-row INSERT for their ids), then defer their delivery:
    one coalesced drain per channel for the rows due now (an RQ job costs more than a console page),
    a job at its time for each later one."""
    if not rows:
        return
    session.flush()
    due_now: set[str] = set()
    for row in rows:
        if row.due_at > now:
            defer_job(session, PendingJob(delivery_queue(row.channel), DELIVER_JOB, (row.id,), row.due_at))
        else:
            due_now.add(row.channel)
    for channel in due_now:
        defer_job(session, PendingJob(delivery_queue(channel), DRAIN_DELIVERIES_JOB, (channel,),
                                      coalesce=deliveries_wake(channel)))


def _existing_keys(session: Session, incident_id: int, step_key: str) -> set[tuple[str, str]]:
    rows = session.exec(
        select(Notification.recipient, Notification.channel)
        .where(col(Notification.incident_id) == incident_id, col(Notification.step_key) == step_key)
    ).all()
    return {(r, c) for r, c in rows}
