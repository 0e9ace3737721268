"""Building the channel-neutral `Page` and `Recipient` for a notification."""

from __future__ import annotations

from dataclasses import replace

from sqlmodel import Session, col, func, select

from app.models import Alert, Incident, Notification, Service, User
from app.outbox import recipients
from app.outbox.recipients import RecipientKind
from app.platform.clock import isoformat
from app.platform.config_cache import get_row
from integrations.notifier import Page, Recipient


def build_page(session: Session, incident: Incident, *, public_url: str = "", step_key: str | None = None) -> Page:
    """Everything a person needs to act on `incident`, from its latest alert and its step's pages."""
    latest = session.exec(
        select(Alert).where(col(Alert.incident_id) == incident.id).order_by(col(Alert.id).desc()).limit(1)
    ).first()
    also: tuple[str, ...] = ()
    if step_key is not None:
        also = tuple(sorted({
            uid for uid in session.exec(
                select(Notification.user_id).where(
                    col(Notification.incident_id) == incident.id, col(Notification.step_key) == step_key
                )
            ).all() if uid
        }))
    return _page(incident, get_row(session, Service, incident.service_id), latest, also, public_url)


def for_row(page: Page, row: Notification, incident: Incident) -> Page:
    """The page as `row` sends it: a notice row's own text, a responder request's message, the name of the
    ladder level that pages (its tier), else the page itself."""
    name = level_name(incident, row.level)
    if row.notice or row.message or name:
        return replace(page, notice=row.notice, message=row.message, level_name=name)
    return page


def level_name(incident: Incident, level: int) -> str | None:
    """The name of the incident's ladder level `level` (1-based), if it has one."""
    levels = (incident.ladder or {}).get("levels") or []
    return levels[level - 1].get("name") if 0 < level <= len(levels) else None


def build_pages(session: Session, steps: list[tuple[Incident, str]], *, public_url: str = "") -> list[Page]:
    """`build_page` for many (incident, step key) pairs with two queries in all: a delivery batch."""
    ids = {incident.id for incident, _ in steps}
    latest_ids = select(func.max(Alert.id)).where(col(Alert.incident_id).in_(ids)).group_by(col(Alert.incident_id))
    latest = {alert.incident_id: alert for alert in session.exec(select(Alert).where(col(Alert.id).in_(latest_ids)))}
    paged: dict[tuple[int, str], set[str]] = {}
    for incident_id, key, user_id in session.exec(
            select(Notification.incident_id, Notification.step_key, Notification.user_id)
            .where(col(Notification.incident_id).in_(ids), col(Notification.step_key).in_({k for _, k in steps}))
            .where(col(Notification.user_id).is_not(None))):
        paged.setdefault((incident_id, key), set()).add(user_id or "")
    return [_page(incident, get_row(session, Service, incident.service_id), latest.get(incident.id),
                  tuple(sorted(paged.get((incident.id or 0, key), ()))), public_url)
            for incident, key in steps]


def _page(incident: Incident, service: Service | None, latest: Alert | None, also: tuple[str, ...],
          public_url: str) -> Page:
    return Page(
        incident_id=incident.id or 0,
        title=incident.title,
        severity=incident.severity,
        severity_reason=incident.severity_reason,
        service_id=incident.service_id,
        service_name=service.name if service else incident.service_id,
        status=incident.status,
        created_at=isoformat(incident.created_at) or "",
        details=dict(latest.details) if latest else {},
        links=tuple(link for link in (latest.links if latest else []) if isinstance(link, dict)),
        also_paged=also,
        acknowledged_by=incident.acknowledged_by,
        resolved_by=incident.resolved_by,
        commander=incident.commander,
        public_url=public_url,
        acknowledged_at=isoformat(incident.acknowledged_at),
        resolved_at=isoformat(incident.resolved_at),
    )


def build_recipient(session: Session, notification: Notification) -> Recipient:
    """The address of a notification's recipient: a user's contact details or a Slack channel."""
    kind, target = recipients.parse(notification.recipient)
    if kind is RecipientKind.SLACK_CHANNEL:
        return Recipient(user_id=None, slack_channel=target)
    user = get_row(session, User, notification.user_id) if notification.user_id else None
    if user is None:
        return Recipient(user_id=notification.user_id)
    return Recipient(
        user_id=user.id, name=user.name, phone=user.phone, slack_user_id=user.slack_user_id, time_zone=user.time_zone,
        email=user.email
    )
