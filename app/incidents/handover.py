"""A hand-over to another team (CONTRACT section 6): the old team stands down and is told once.

`incidents.reassign` moves the incident to the new service and policy, then:
- `stand_down` cancels the old policy's pending and later pages (the previous responders' later
  channel rules among them) and its open-time triggers, and says so on the timeline;
- once the new policy's level 1 is paged, `tell_previous_responders` sends each person a page of
  this incident reached (sent or delivered) one notice, on the channel that reached them first, a
  text where that was a call (a notice never rings a phone at 3 a.m.). Someone the new policy pages
  now is not told: the page says more. A notice is an outbox row like a page (claimed once,
  retried, on the timeline) but carries its own text, no actions, and never falls through.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import update
from sqlmodel import Session, col, select

from app.models import REACHED, Incident, IncidentTrigger, Notification, NotificationStatus, Service
from app.outbox import recipients, step_keys
from app.outbox.rows import insert_pages, notification_values
from app.platform.config_cache import get_row
from app.timeline.entries import SYSTEM, count_lines, record


def stand_down(session: Session, incident: Incident, previous: str, now: datetime) -> None:
    """Cancel the old policy's pending pages and open-time triggers; the timeline says how many."""
    pages = session.execute(update(Notification).where(col(Notification.incident_id) == incident.id,
                                                        col(Notification.status) == NotificationStatus.PENDING)
                     .values(status=NotificationStatus.CANCELLED))
    triggers = session.execute(update(IncidentTrigger).where(
        col(IncidentTrigger.incident_id) == incident.id, col(IncidentTrigger.fired_at).is_(None),
        col(IncidentTrigger.cancelled_at).is_(None)).values(cancelled_at=now))
    counts = (pages.rowcount, triggers.rowcount)  # type: ignore[attr-defined]
    if any(counts):
        record(session, incident_id=incident.id or 0, kind="handover_cancelled", actor=SYSTEM, at=now,
               detail=f"{previous} stood down: {counts[0]} pending page(s) and {counts[1]} open-time trigger(s) "
                      "cancelled")


def tell_previous_responders(session: Session, incident: Incident, *, previous: str, actor: str,
                             now: datetime) -> dict[str, str]:
    """Queue one hand-over notice per person the old policy reached; {user: channel} of those told."""
    told = _who_to_tell(session, incident)
    if not told:
        return told
    text = (f"Klaxon: incident #{incident.id} ({incident.title}) was handed over from {_name(session, previous)} "
            f"to {_name(session, incident.service_id)} by {actor}. You are no longer paged for it.")
    key = step_keys.handover(count_lines(session, incident.id or 0, "reassigned"))
    insert_pages(session, [{**notification_values(incident, step_key=key, level=0, recipient=recipients.user(user),
                                                  user_id=user, channel=channel, due_at=now, now=now), "notice": text}
                           for user, channel in told.items()], now)
    record(session, incident_id=incident.id or 0, kind="handover_notice", actor=SYSTEM, at=now,
           detail="telling " + ", ".join(f"{user} ({channel})" for user, channel in told.items())
                  + " that it was handed over")
    return told


def _who_to_tell(session: Session, incident: Incident) -> dict[str, str]:
    """{user: first channel that reached them}, for people not paged by the new policy now."""
    reached = session.exec(select(Notification.user_id, Notification.channel).where(
        col(Notification.incident_id) == incident.id, col(Notification.status).in_(REACHED),
        col(Notification.user_id).is_not(None), col(Notification.notice).is_(None))
        .order_by(col(Notification.sent_at), col(Notification.id))).all()
    paged_now = set(session.exec(select(Notification.user_id).where(
        col(Notification.incident_id) == incident.id, col(Notification.status) == NotificationStatus.PENDING,
        col(Notification.notice).is_(None))).all())
    first: dict[str, str] = {}
    for user, channel in reached:
        if user and user not in paged_now:
            first.setdefault(user, "sms" if channel == "voice" else channel)
    return dict(sorted(first.items()))


def _name(session: Session, service_id: str) -> str:
    service = get_row(session, Service, service_id)
    return service.name if service else service_id
