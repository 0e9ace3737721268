"""Turning a level's targets into outbox rows (app/outbox/rows.py): who is paged on which channel when.

Rows are written with Core `INSERT ... ON CONFLICT DO NOTHING` on the outbox's unique key, so a
row that already exists is skipped by the database (DESIGN rule 6) without reading the step's rows
first, and a batch of steps writes all of its rows with one statement.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlmodel import Session

from app.escalation.targets import ResolvedTargets, resolve_targets
from app.models import Incident, User
from app.outbox import recipients
from app.outbox.notify_rules import channel_schedule, rules_from_stored
from app.outbox.rows import insert_pages, notification_values
from app.platform.config_cache import get_row
from app.timeline.entries import SYSTEM, record


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
    resolved = resolve_targets(session, targets, now, service_id=incident.service_id)
    plan = plan_pages(session, incident, resolved, now, step_key=step_key, level=level)
    insert_pages(session, plan.rows, now)
    if plan.paged:
        record(session, incident_id=incident.id or 0, kind="paged", actor=actor, at=now,
               detail=paged_line(reason, plan))
    return plan.reached


def paged_line(reason: str, plan: PagePlan) -> str:
    """The "paged" timeline line of a level."""
    return f"{reason}: paged {', '.join(plan.paged)}"
