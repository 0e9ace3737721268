"""Turning a level's targets into outbox rows: one per (incident, step, recipient, channel).

Rows are written with Core `INSERT ... ON CONFLICT DO NOTHING` on the outbox's unique key, so a
row that already exists is skipped by the database (DESIGN rule 6) without reading the step's rows
first, and a batch of steps writes all of its rows with one statement.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session

from app.escalation.step_keys import kind_of
from app.escalation.stepping import channel_schedule, rules_from_stored
from app.escalation.targets import ResolvedTargets, resolve_targets
from app.incidents.timeline import SYSTEM, record
from app.models import Incident, Notification, User
from app.outbox import recipients
from app.platform.config_cache import get_row
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


@dataclass
class PagePlan:
    """The outbox rows of one level for one incident, and what its timeline line says."""

    rows: list[dict[str, Any]] = field(default_factory=list)
    paged: list[str] = field(default_factory=list)

    @property
    def reached(self) -> bool:
        """True when the level reached someone (a person with a rule for this severity, or a channel)."""
        return bool(self.paged)


def plan_pages(session: Session, incident: Incident, resolved: ResolvedTargets, now: datetime, *, step_key: str,
               level: int) -> PagePlan:
    """The rows for `resolved`: each person on each channel their rules ask for, each Slack channel."""
    plan = PagePlan()
    for user_id in resolved.user_ids:
        user = get_row(session, User, user_id)
        if user is None:
            continue
        channels = channel_schedule(rules_from_stored(user.notify), incident.severity, now)
        plan.rows.extend(notification_values(incident, step_key=step_key, level=level, recipient=recipients.user(user_id),
                                             user_id=user_id, channel=channel, due_at=due_at, now=now)
                         for channel, due_at in channels)
        if channels:
            plan.paged.append(f"{user_id} ({', '.join(c for c, _ in channels)})")
    for channel_name in resolved.slack_channels:
        plan.rows.append(notification_values(incident, step_key=step_key, level=level, recipient=recipients.slack_channel(channel_name),
                                             user_id=None, channel="slack", due_at=now, now=now))
        plan.paged.append(channel_name)
    return plan


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
    plan = plan_pages(session, incident, resolve_targets(session, targets, now), now, step_key=step_key, level=level)
    insert_pages(session, plan.rows, now)
    if plan.paged:
        record(session, incident_id=incident.id or 0, kind="paged", actor=actor, at=now,
               detail=paged_line(reason, plan))
    return plan.reached


def paged_line(reason: str, plan: PagePlan) -> str:
    """The "paged" timeline line of a level."""
    return f"{reason}: paged {', '.join(plan.paged)}"


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
                channel=channel, urgent=kind_of(step_key).stops_at_acknowledgement, status="pending", attempts=0, created_at=now,
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
