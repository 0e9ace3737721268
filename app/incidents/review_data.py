"""What the post-incident review is written from: one incident read into plain, frozen values.

`load_review` reads the database (a handful of statements); `app.incidents.review.render_review` turns
the result into Markdown without touching the database or the clock, so it is tested with hand-built data.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, func, select

from app.models import Alert, Incident, Notification, Service, TimelineEntry
from app.outbox import recipients
from app.platform.database import aware_utc


@dataclass(frozen=True)
class AlertSummary:
    """The alerts attached to the incident, counted rather than listed (a storm brings thousands)."""

    count: int = 0
    first_received_at: datetime | None = None
    last_received_at: datetime | None = None
    sources: tuple[str, ...] = ()  # each alert's `source`, or its integration when it named none; sorted


@dataclass(frozen=True)
class TimelineLine:
    """One timeline entry."""

    at: datetime
    kind: str
    actor: str
    detail: str


@dataclass(frozen=True)
class Page:
    """One outbox row: a page, or a notice (`notice` True) that tells someone something without paging."""

    at: datetime  # when the row was written (the notification's created_at)
    to: str  # the user id, or the Slack channel (`#ops`)
    user: str | None  # the user id when the row is for a person, None for a channel
    channel: str  # slack | sms | voice | console | email
    level: int  # the ladder level (1-based); 0 for a page from outside the ladder
    step_key: str  # what made it (app.outbox.step_keys)
    status: str  # a NotificationStatus
    sent_at: datetime | None = None
    delivered_at: datetime | None = None
    error: str | None = None
    notice: bool = False


@dataclass(frozen=True)
class ReviewData:
    """Everything the review shows about one incident, as plain values (no ORM objects)."""

    incident_id: int
    title: str
    service: str
    severity: str
    severity_rule: str | None
    severity_reason: str
    status: str
    dedup_key: str
    created_at: datetime
    acknowledged_at: datetime | None = None
    acknowledged_by: str | None = None
    resolved_at: datetime | None = None
    resolved_by: str | None = None
    commander: str | None = None
    service_name: str | None = None
    alerts: AlertSummary = AlertSummary()
    timeline: tuple[TimelineLine, ...] = ()  # ordered by time, then by id
    pages: tuple[Page, ...] = ()  # ordered by created_at, then by id
    level_names: Mapping[int, str] = field(default_factory=dict)  # {1-based ladder level: its name}
    # The SLA outcome, one sentence a line; empty means no SLA policy applies (the SLA change fills it).
    sla_lines: tuple[str, ...] = ()


def load_review(session: Session, incident_id: int) -> ReviewData | None:
    """Read the incident, its alerts, timeline and pages for the review; None when there is no such incident."""
    incident = session.get(Incident, incident_id)
    if incident is None:
        return None
    service = session.get(Service, incident.service_id)
    timeline = session.exec(select(TimelineEntry).where(col(TimelineEntry.incident_id) == incident_id)
                            .order_by(col(TimelineEntry.at), col(TimelineEntry.id))).all()
    pages = session.exec(select(Notification).where(col(Notification.incident_id) == incident_id)
                         .order_by(col(Notification.created_at), col(Notification.id))).all()
    return ReviewData(
        incident_id=incident_id, title=incident.title, service=incident.service_id, severity=incident.severity,
        severity_rule=incident.severity_rule, severity_reason=incident.severity_reason, status=str(incident.status),
        dedup_key=incident.dedup_key, created_at=incident.created_at, acknowledged_at=incident.acknowledged_at,
        acknowledged_by=incident.acknowledged_by, resolved_at=incident.resolved_at, resolved_by=incident.resolved_by,
        commander=incident.commander, service_name=service.name if service else None,
        alerts=_alert_summary(session, incident_id),
        timeline=tuple(TimelineLine(at=e.at, kind=e.kind, actor=e.actor, detail=e.detail) for e in timeline),
        pages=tuple(_page(n) for n in pages),
        level_names=level_names(incident.ladder),
    )


def _alert_summary(session: Session, incident_id: int) -> AlertSummary:
    """Count, first and last arrival, and sources in one grouped statement."""
    origin = func.coalesce(col(Alert.source), col(Alert.integration))
    rows = session.exec(select(origin, func.count(), func.min(Alert.received_at), func.max(Alert.received_at))
                        .where(col(Alert.incident_id) == incident_id).group_by(origin)).all()
    if not rows:
        return AlertSummary()
    # MIN and MAX lose the column type (SQLite hands back text): make them aware UTC again.
    firsts = [at for at in (aware_utc(first) for _, _, first, _ in rows) if at is not None]
    lasts = [at for at in (aware_utc(last) for _, _, _, last in rows) if at is not None]
    return AlertSummary(count=sum(int(count) for _, count, _, _ in rows), first_received_at=min(firsts, default=None),
                        last_received_at=max(lasts, default=None), sources=tuple(sorted(str(o) for o, *_ in rows)))


def _page(row: Notification) -> Page:
    return Page(at=row.created_at, to=recipients.target(row.recipient), user=row.user_id, channel=row.channel,
                level=row.level, step_key=row.step_key, status=str(row.status), sent_at=row.sent_at,
                delivered_at=row.delivered_at, error=row.error, notice=row.notice is not None)


def level_names(ladder: dict[str, Any] | None) -> dict[int, str]:
    """{1-based level: name} of the ladder levels that have a name.

    The ladder is the incident's current snapshot: after a hand-over it is the new team's, so pages
    from before it are named by the new team's levels of the same number.
    """
    if not ladder:
        return {}
    return {number: str(level["name"]) for number, level in enumerate(ladder.get("levels") or [], start=1)
            if isinstance(level, dict) and level.get("name")}
