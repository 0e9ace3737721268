"""Incident service functions: verb first, session first, keyword-only after (as Dispatch does).

Status only moves forward (triggered -> acknowledged -> resolved), by compare-and-set, so three
people pressing the same button cause one change. Every change goes on the timeline.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlalchemy import bindparam, update
from sqlmodel import Session, col, select

from app.escalation import engine, open_triggers, paging
from app.incidents import handover
from app.models import EscalationPolicy, Incident, IncidentStatus, Notification, NotificationStatus, Service, User
from app.outbox import step_keys
from app.platform.database import UTCDateTime
from app.platform.errors import BadRequest, Conflict, NotFound
from app.platform.severity import require_severity
from app.timeline.entries import Line, record, record_many

# Presses of Escalate this close together are one escalation (several people, one page).
MANUAL_ESCALATION_DEBOUNCE = timedelta(seconds=10)


def open_incident(session: Session, service_id: str, dedup_key: str) -> Incident | None:
    """The service's open incident with this dedup key, if any."""
    return session.exec(select(Incident).where(
        col(Incident.service_id) == service_id, col(Incident.open_dedup_key) == dedup_key)).first()


def declare(session: Session, *, service_id: str, title: str, severity: str, user_id: str, now: datetime) -> Incident:
    """Declare an incident by hand (commanders): it pages like any other, with its declarer as commander."""
    service = session.get(Service, service_id)
    if service is None:
        raise BadRequest(f"unknown service {service_id!r}")
    require_severity(severity)
    if not title.strip():
        raise BadRequest("title must not be empty")
    dedup_key = f"declared-{uuid.uuid4().hex}"
    incident = Incident(service_id=service_id, title=title.strip()[:1024], severity=severity, severity_rule="declared",
                        severity_reason=f"declared {severity} by {user_id}", dedup_key=dedup_key,
                        open_dedup_key=dedup_key, created_at=now, commander=user_id,
                        escalation_policy_id=service.escalation_policy_id, details={"declared": True},
                        ladder=engine.ladder_snapshot(_policy(session, service.escalation_policy_id)))
    session.add(incident)
    session.flush()
    record(session, incident_id=incident.id or 0, kind="declared", actor=user_id, at=now,
           detail=f"{severity} declared; commander {user_id}")
    engine.start(session, incident, now)
    return incident


def get(session: Session, incident_id: int) -> Incident:
    """The incident, or NotFound."""
    incident = session.get(Incident, incident_id)
    if incident is None:
        raise NotFound(f"no incident {incident_id}")
    return incident


def acknowledge(session: Session, *, incident_id: int, user_id: str, now: datetime) -> Incident:
    """Acknowledge: stop the ladder (open-time triggers go on). Conflict if it is past triggered."""
    incident = get(session, incident_id)
    if not mark_acknowledged(session, incident, actor=user_id, now=now):
        raise Conflict(f"incident {incident_id} is already {incident.status}", detail=_who(incident))
    return incident


def resolve(session: Session, *, incident_id: int, user_id: str, now: datetime) -> Incident:
    """Resolve: stop everything. Conflict if it is already resolved."""
    resolved = mark_resolved(session, incident_id, actor=user_id, now=now)
    if resolved is None:
        incident = get(session, incident_id)
        raise Conflict(f"incident {incident_id} is already resolved", detail=_who(incident))
    return resolved


def escalate(session: Session, *, incident_id: int, user_id: str, now: datetime) -> Incident:
    """Page the next level now and restart its timer (an acknowledged incident goes back to triggered);
    presses within a few seconds count once."""
    incident = get(session, incident_id)
    if incident.status == IncidentStatus.RESOLVED:
        raise Conflict(f"incident {incident_id} is resolved")
    last = incident.escalated_by_hand_at
    if last is not None and now - last < MANUAL_ESCALATION_DEBOUNCE:
        raise Conflict(f"incident {incident_id} was escalated by hand {int((now - last).total_seconds())}s ago")
    claimed = session.execute(update(Incident).where(
        col(Incident.id) == incident_id, col(Incident.escalated_by_hand_at).is_(None) if last is None
        else col(Incident.escalated_by_hand_at) == last).values(escalated_by_hand_at=now))
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        raise Conflict(f"incident {incident_id} is being escalated by someone else")
    session.refresh(incident)
    if incident.status == IncidentStatus.ACKNOWLEDGED:
        # Escalating an acknowledged incident asks for more help (PagerDuty's rule, CONTRACT section 6):
        # it goes back to triggered, so the page is sent and the ladder goes on from that level.
        incident.status, incident.acknowledged_at, incident.acknowledged_by = IncidentStatus.TRIGGERED, None, None
        session.add(incident)
    if not engine.escalate_now(session, incident, actor=user_id, now=now):
        raise Conflict(f"incident {incident_id} has no escalation level to page")
    return incident


def reassign(session: Session, *, incident_id: int, service_id: str, user_id: str, now: datetime) -> Incident:
    """Hand the incident to another team: its service and policy change and its ladder starts again."""
    incident = get(session, incident_id)
    target = session.get(Service, service_id)
    if target is None:
        raise BadRequest(f"unknown service {service_id!r}")
    if incident.status == IncidentStatus.RESOLVED:
        raise Conflict(f"incident {incident_id} is resolved")
    if target.id == incident.service_id:
        raise Conflict(f"incident {incident_id} already belongs to {service_id}")
    clash = open_incident(session, target.id, incident.dedup_key)
    if clash is not None:
        raise Conflict(f"{service_id} already has open incident {clash.id} with dedup key {incident.dedup_key!r}")
    previous = incident.service_id
    incident.service_id, incident.escalation_policy_id = target.id, target.escalation_policy_id
    incident.ladder = engine.ladder_snapshot(_policy(session, target.escalation_policy_id))
    incident.status, incident.acknowledged_at, incident.acknowledged_by = IncidentStatus.TRIGGERED, None, None
    session.add(incident)
    record(session, incident_id=incident_id, kind="reassigned", actor=user_id, at=now,
           detail=f"handed from {previous} to {target.id}")
    handover.stand_down(session, incident, previous, now)
    engine.start(session, incident, now, restart=True, arm_triggers=True)
    handover.tell_previous_responders(session, incident, previous=previous, actor=user_id, now=now)
    return incident


def assign_to_user(session: Session, *, incident_id: int, assignee: str, user_id: str, now: datetime) -> Incident:
    """Reassign to one person (`{"to": "user:ID"}`): the ladder ends, its pending pages are cancelled, and
    only that person is paged, now, until they acknowledge (open-time triggers go on). An acknowledged
    incident goes back to triggered: it is theirs to acknowledge."""
    incident = get(session, incident_id)
    if incident.status == IncidentStatus.RESOLVED:
        raise Conflict(f"incident {incident_id} is resolved")
    if session.get(User, assignee) is None:
        raise BadRequest(f"unknown user {assignee!r}")
    engine.stop_ladder(session, incident, now)
    incident.status, incident.acknowledged_at, incident.acknowledged_by = IncidentStatus.TRIGGERED, None, None
    session.execute(update(Notification).where(
        col(Notification.incident_id) == incident_id, col(Notification.status) == NotificationStatus.PENDING,
        col(Notification.notice).is_(None)).values(status=NotificationStatus.CANCELLED))
    record(session, incident_id=incident_id, kind="assigned", actor=user_id, at=now,
           detail=f"reassigned to {assignee}; the escalation ladder stopped")
    if not paging.page_targets(session, incident, (f"user:{assignee}",), now,
                               step_key=step_keys.assign(incident.escalation_token), level=0,
                               reason=f"reassigned to {assignee}", actor=user_id):
        raise Conflict(f"{assignee} has no notification rule for {incident.severity}: nobody would be paged")
    return incident


def _policy(session: Session, policy_id: str | None) -> EscalationPolicy | None:
    return session.get(EscalationPolicy, policy_id) if policy_id else None


def add_note(session: Session, *, incident_id: int, user_id: str, text: str, now: datetime) -> Incident:
    """Add a note to the timeline."""
    incident = get(session, incident_id)
    if not text.strip():
        raise BadRequest("note text must not be empty")
    record(session, incident_id=incident_id, kind="note", actor=user_id, at=now, detail=text.strip()[:4000])
    return incident


def assign_commander(session: Session, *, incident_id: int, commander_id: str, user_id: str, now: datetime) -> Incident:
    """Make a user the incident commander."""
    incident = get(session, incident_id)
    if session.get(User, commander_id) is None:
        raise BadRequest(f"unknown user {commander_id!r}")
    incident.commander = commander_id
    session.add(incident)
    record(session, incident_id=incident_id, kind="commander", actor=user_id, at=now, detail=f"commander {commander_id}")
    return incident


def mark_acknowledged(session: Session, incident: Incident, *, actor: str, now: datetime) -> bool:
    """Acknowledge by compare-and-set (triggered -> acknowledged) and stop the ladder; False if it was past triggered."""
    won = session.execute(update(Incident)
                          .where(col(Incident.id) == incident.id, col(Incident.status) == IncidentStatus.TRIGGERED)
                          .values(status=IncidentStatus.ACKNOWLEDGED, acknowledged_at=now, acknowledged_by=actor))
    session.refresh(incident)
    if won.rowcount != 1:  # type: ignore[attr-defined]
        return False
    policy = session.get(EscalationPolicy, incident.escalation_policy_id) if incident.escalation_policy_id else None
    timeout = timedelta(seconds=policy.ack_timeout_seconds) if policy and policy.ack_timeout_seconds else None
    engine.stop_ladder(session, incident, now, ack_timeout=timeout)
    record(session, incident_id=incident.id or 0, kind="acknowledged", actor=actor, at=now, detail="")
    return True


# Built once: constructing this UPDATE on every call cost more CPU than running it.
_RESOLVE = (update(Incident)
            .where(col(Incident.id) == bindparam("incident_id"), col(Incident.status) != IncidentStatus.RESOLVED)
            .values(status=IncidentStatus.RESOLVED, resolved_at=bindparam("now", type_=UTCDateTime),
                    resolved_by=bindparam("actor"), open_dedup_key=None, **engine.STOPPED_LADDER)
            .returning(Incident))


def mark_resolved(session: Session, incident_id: int, *, actor: str, now: datetime) -> Incident | None:
    """Resolve and stop the ladder in one UPDATE that reads the row back (RETURNING), cancel the
    open-time triggers, write the timeline line: three statements, no read before them (this is
    every resolve of a storm). None if it was already resolved or does not exist."""
    won = session.scalars(_RESOLVE, {"incident_id": incident_id, "now": now, "actor": actor,
                                     **engine.stopped_ladder_params()},
                          execution_options={"synchronize_session": False, "populate_existing": True}).first()
    if won is None:
        return None
    open_triggers.cancel_triggers(session, won, now)
    record_many(session, [Line(won, "resolved", actor, "", now)])
    return won


def _who(incident: Incident) -> dict[str, object]:
    return {"status": incident.status, "acknowledged_by": incident.acknowledged_by, "resolved_by": incident.resolved_by}
