"""Incident command (CONTRACT section 6): responders paged without escalating, subscribers, status updates.

Decisions where the contract is silent, as an incident commander using PagerDuty or incident.io expects:
- A responder request pages each person once, by their own notification rules for the incident's
  severity, with the commander's message leading the page; it keeps its actions, goes out whether the
  incident is acknowledged or not (the commander asked for these people), and stops only at resolve. A
  second request for the same people pages them again: it is a new request.
- Subscribers are the account's stakeholders plus users added to one incident. A status update goes on
  the timeline, to the incident's Slack channel (its major-incident channel when one is open, else its
  service's channel), and to each subscriber once on their `status_channel`, as a notice: no actions,
  never re-paged, never falling through to another channel.
- A resolved incident takes no more responders or status updates (409): it is over; a note still goes on
  the timeline. Empty text is a 400. Nothing is written when a request is refused.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, col, select

from app.escalation.paging import paged_line, plan_pages
from app.escalation.targets import account_people, resolve_targets
from app.incidents.lifecycle import get
from app.models import (
    Incident,
    IncidentStatus,
    IncidentSubscriber,
    ScheduleRecord,
    Service,
    SlackIncident,
    User,
)
from app.outbox import recipients, step_keys
from app.outbox.rows import insert_pages, notification_values
from app.platform.config_cache import get_row
from app.platform.errors import BadRequest, Conflict, NotFound
from app.timeline.entries import SYSTEM, count_lines, record

MAX_TEXT = 2000
MAX_MESSAGE = 300
RESPONDER_KINDS = ("user", "schedule")


def add_responders(session: Session, *, incident_id: int, targets: object, message: str | None, user_id: str,
                   now: datetime) -> Incident:
    """Page `targets` (`user:ID`, `schedule:ID`) for the incident now, with `message`; the ladder is untouched."""
    incident = _open(session, incident_id, "add responders to")
    wanted = _responder_targets(session, targets)
    said = (message or "").strip()[:MAX_MESSAGE]
    resolved = resolve_targets(session, wanted, now, service_id=incident.service_id)
    request = count_lines(session, incident_id, "responders_added") + 1
    plan = plan_pages(session, incident, resolved, now, step_key=step_keys.responders(request), level=0)
    if not plan.reached:
        raise Conflict(f"nobody to page: {', '.join(wanted)} reach no one with a notification rule for "
                       f"{incident.severity} now")
    asked = f"{user_id} asks for your help" + (f": {said}" if said else "")
    insert_pages(session, [{**row, "message": asked} for row in plan.rows], now)
    record(session, incident_id=incident_id, kind="responders_added", actor=user_id, at=now,
           detail=paged_line("responders requested" + (f" ({said})" if said else ""), plan))
    return incident


def subscribe(session: Session, *, incident_id: int, subscriber: str, user_id: str, now: datetime) -> Incident:
    """Add a user to the incident's status updates (idempotent)."""
    incident = _open(session, incident_id, "subscribe to")
    _require_user(session, subscriber)
    if _subscription(session, incident_id, subscriber) is None:
        session.add(IncidentSubscriber(incident_id=incident_id, user_id=subscriber, added_by=user_id, added_at=now))
        record(session, incident_id=incident_id, kind="subscribed", actor=user_id, at=now, detail=subscriber)
    return incident


def unsubscribe(session: Session, *, incident_id: int, subscriber: str, user_id: str, now: datetime) -> Incident:
    """Remove a user added to the incident's status updates (an account stakeholder stays one)."""
    incident = get(session, incident_id)
    row = _subscription(session, incident_id, subscriber)
    if row is None:
        raise NotFound(f"{subscriber} is not subscribed to incident {incident_id}")
    session.delete(row)
    record(session, incident_id=incident_id, kind="unsubscribed", actor=user_id, at=now, detail=subscriber)
    return incident


def subscribers(session: Session, incident: Incident) -> list[str]:
    """Who hears the incident's status updates: the account's stakeholders, then users added, once each."""
    added = session.exec(select(IncidentSubscriber.user_id).where(col(IncidentSubscriber.incident_id) == incident.id)
                         .order_by(col(IncidentSubscriber.id))).all()
    return list(dict.fromkeys([*account_people(session, incident.service_id, "stakeholders"), *added]))


def post_status_update(session: Session, *, incident_id: int, text: str, user_id: str, now: datetime) -> Incident:
    """Put a status update on the timeline and tell the incident's Slack channel and every subscriber, once."""
    incident = _open(session, incident_id, "post a status update on")
    said = text.strip()
    if not said:
        raise BadRequest("text must not be empty")
    if len(said) > MAX_TEXT:
        raise BadRequest(f"text is {len(said)} characters; a status update holds at most {MAX_TEXT}")
    key = step_keys.status_update(count_lines(session, incident_id, "status_update") + 1)
    notice = f"Status update on incident #{incident_id} ({incident.title}) from {user_id}: {said}"
    rows, told = [], []
    for person in subscribers(session, incident):
        user = get_row(session, User, person)
        if user is None:
            continue
        rows.append({**notification_values(incident, step_key=key, level=0, recipient=recipients.user(person),
                                           user_id=person, channel=user.status_channel, due_at=now, now=now),
                     "notice": notice})
        told.append(f"{person} ({user.status_channel})")
    channel = incident_slack_channel(session, incident)
    if channel:
        rows.append({**notification_values(incident, step_key=key, level=0, recipient=recipients.slack_channel(channel),
                                           user_id=None, channel="slack", due_at=now, now=now), "notice": notice})
        told.append(channel)
    record(session, incident_id=incident_id, kind="status_update", actor=user_id, at=now, detail=said)
    insert_pages(session, rows, now)
    if told:
        record(session, incident_id=incident_id, kind="status_notice", actor=SYSTEM, at=now,
               detail="telling " + ", ".join(told))
    return incident


def incident_slack_channel(session: Session, incident: Incident) -> str | None:
    """Where the incident lives in Slack: its own major-incident channel once open, else its service's channel."""
    opened = session.exec(select(SlackIncident.channel_id).where(
        col(SlackIncident.incident_id) == incident.id, col(SlackIncident.channel_status) == "open")).first()
    if opened:
        return opened
    service = get_row(session, Service, incident.service_id)
    return service.slack_channel if service else None


def _open(session: Session, incident_id: int, doing: str) -> Incident:
    incident = get(session, incident_id)
    if incident.status == IncidentStatus.RESOLVED:
        raise Conflict(f"incident {incident_id} is resolved: nobody can {doing} it any more")
    return incident


def _responder_targets(session: Session, targets: object) -> list[str]:
    if not isinstance(targets, list) or not targets or not all(isinstance(t, str) for t in targets):
        raise BadRequest('targets must be a non-empty list such as ["user:alice", "schedule:db-primary"]')
    for target in targets:
        kind, _, name = target.partition(":")
        if kind not in RESPONDER_KINDS or not name:
            raise BadRequest(f"unknown target {target!r}: use user:ID or schedule:ID")
        if kind == "user":
            _require_user(session, name)
        elif get_row(session, ScheduleRecord, name) is None:
            raise BadRequest(f"unknown schedule {name!r}")
    return list(dict.fromkeys(targets))


def _require_user(session: Session, user_id: object) -> None:
    if not isinstance(user_id, str) or get_row(session, User, user_id) is None:
        raise BadRequest(f"unknown user {user_id!r}")


def _subscription(session: Session, incident_id: int, user_id: str) -> IncidentSubscriber | None:
    return session.exec(select(IncidentSubscriber).where(
        col(IncidentSubscriber.incident_id) == incident_id, col(IncidentSubscriber.user_id) == user_id)).first()

