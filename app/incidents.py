"""Incident service functions: verb first, session first, keyword-only after (as Dispatch does).

Status only moves forward (triggered -> acknowledged -> resolved), by compare-and-set, so three
people pressing the same button cause one change. Every change goes on the timeline.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from app.classifier import Classification
from app.config_cache import get_row
from app.errors import BadRequest, Conflict, NotFound
from app.escalation import engine
from app.models import Alert, EscalationPolicy, Incident, Service, User
from app.timeline import record
from integrations.inbound.event import InboundEvent

SEVERITIES = ("SEV1", "SEV2", "SEV3", "SEV4")
# Presses of Escalate this close together are one escalation (several people, one page).
MANUAL_ESCALATION_DEBOUNCE = timedelta(seconds=10)


@dataclass(frozen=True)
class IngestResult:
    """What happened to one accepted event."""

    dedup_key: str
    incident_id: int | None
    created: bool


def ingest(session: Session, *, service: Service, event: InboundEvent, classification: Classification | None,
           now: datetime) -> IngestResult:
    """Store an accepted event and open, join, acknowledge or resolve the matching incident."""
    dedup_key = event.dedup_key or uuid.uuid4().hex
    actor = f"integration:{event.integration}"
    incident = _open_incident(session, service.id, dedup_key)
    created = False
    if event.action == "trigger" and incident is None:
        assert classification is not None
        incident, created = _open_or_join(session, service, event, dedup_key, classification, now)
    alert = Alert(incident_id=incident.id if incident else None, service_id=service.id, received_at=now,
                  integration=event.integration, action=event.action, dedup_key=dedup_key, summary=event.summary,
                  source=event.source, severity=event.severity, labels=dict(event.labels),
                  details=dict(event.details), links=list(event.links))
    session.add(alert)
    if incident is not None and not created:
        if event.action == "trigger":
            record(session, incident_id=incident.id or 0, kind="alert", actor=actor, at=now,
                   detail=f"alert attached: {event.summary[:200]}")
        elif event.action == "acknowledge":
            _acknowledge(session, incident, actor=actor, now=now)
        elif event.action == "resolve":
            _resolve(session, incident, actor=actor, now=now)
    return IngestResult(dedup_key, incident.id if incident else None, created)


def _open_incident(session: Session, service_id: str, dedup_key: str) -> Incident | None:
    return session.exec(select(Incident).where(
        col(Incident.service_id) == service_id, col(Incident.open_dedup_key) == dedup_key)).first()


def _open_or_join(session: Session, service: Service, event: InboundEvent, dedup_key: str,
                  classification: Classification, now: datetime) -> tuple[Incident, bool]:
    """Open a new incident, or join the one a concurrent request opened first (the unique index decides)."""
    incident = Incident(
        service_id=service.id, title=event.summary[:1024], severity=classification.severity,
        severity_rule=classification.rule, severity_reason=classification.reason, status="triggered",
        dedup_key=dedup_key, open_dedup_key=dedup_key, created_at=now,
        escalation_policy_id=service.escalation_policy_id,
        details={"source": event.source, "labels": dict(event.labels)},
    )
    try:
        with session.begin_nested():
            session.add(incident)
            session.flush()
    except IntegrityError:
        existing = _open_incident(session, service.id, dedup_key)
        if existing is None:
            raise
        record(session, incident_id=existing.id or 0, kind="alert", actor=f"integration:{event.integration}",
               at=now, detail=f"alert attached: {event.summary[:200]}")
        return existing, False
    record(session, incident_id=incident.id or 0, kind="triggered", actor=f"integration:{event.integration}", at=now,
           detail=f"{classification.severity} ({classification.reason})")
    get_row(session, EscalationPolicy, service.escalation_policy_id)  # the engine then reads it without a query
    engine.start(session, incident, now)
    return incident, True


def declare(session: Session, *, service_id: str, title: str, severity: str, user_id: str, now: datetime) -> Incident:
    """Declare an incident by hand (commanders): it pages like any other, with its declarer as commander."""
    service = session.get(Service, service_id)
    if service is None:
        raise BadRequest(f"unknown service {service_id!r}")
    if severity not in SEVERITIES:
        raise BadRequest(f"severity must be one of {', '.join(SEVERITIES)}, not {severity!r}")
    if not title.strip():
        raise BadRequest("title must not be empty")
    dedup_key = f"declared-{uuid.uuid4().hex}"
    incident = Incident(service_id=service_id, title=title.strip()[:1024], severity=severity, severity_rule="declared",
                        severity_reason=f"declared {severity} by {user_id}", dedup_key=dedup_key,
                        open_dedup_key=dedup_key, created_at=now, commander=user_id,
                        escalation_policy_id=service.escalation_policy_id, details={"declared": True})
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
    if not _acknowledge(session, incident, actor=user_id, now=now):
        raise Conflict(f"incident {incident_id} is already {incident.status}", detail=_who(incident))
    return incident


def resolve(session: Session, *, incident_id: int, user_id: str, now: datetime) -> Incident:
    """Resolve: stop everything. Conflict if it is already resolved."""
    incident = get(session, incident_id)
    if not _resolve(session, incident, actor=user_id, now=now):
        raise Conflict(f"incident {incident_id} is already resolved", detail=_who(incident))
    return incident


def escalate(session: Session, *, incident_id: int, user_id: str, now: datetime) -> Incident:
    """Page the next level now and restart its timer; presses within a few seconds count once."""
    incident = get(session, incident_id)
    if incident.status == "resolved":
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
    if not engine.escalate_now(session, incident, actor=user_id, now=now):
        raise Conflict(f"incident {incident_id} has no escalation level to page")
    if incident.status != "triggered":
        incident.next_escalation_at = None  # acknowledged: one level paged, the ladder stays stopped
        session.add(incident)
    return incident


def reassign(session: Session, *, incident_id: int, service_id: str, user_id: str, now: datetime) -> Incident:
    """Hand the incident to another team: its service and policy change and its ladder starts again."""
    incident = get(session, incident_id)
    target = session.get(Service, service_id)
    if target is None:
        raise BadRequest(f"unknown service {service_id!r}")
    if incident.status == "resolved":
        raise Conflict(f"incident {incident_id} is resolved")
    if target.id == incident.service_id:
        raise Conflict(f"incident {incident_id} already belongs to {service_id}")
    clash = _open_incident(session, target.id, incident.dedup_key)
    if clash is not None:
        raise Conflict(f"{service_id} already has open incident {clash.id} with dedup key {incident.dedup_key!r}")
    previous = incident.service_id
    incident.service_id, incident.escalation_policy_id = target.id, target.escalation_policy_id
    incident.status, incident.acknowledged_at, incident.acknowledged_by = "triggered", None, None
    session.add(incident)
    record(session, incident_id=incident_id, kind="reassigned", actor=user_id, at=now,
           detail=f"handed from {previous} to {target.id}")
    engine.start(session, incident, now, restart=True)
    return incident


def add_note(session: Session, *, incident_id: int, user_id: str, text: str, now: datetime) -> Incident:
    """Add a note to the timeline."""
    incident = get(session, incident_id)
    if not text.strip():
        raise BadRequest("note text must not be empty")
    record(session, incident_id=incident_id, kind="note", actor=user_id, at=now, detail=text.strip()[:4000])
    return incident


def change_severity(session: Session, *, incident_id: int, severity: str, user_id: str, now: datetime) -> Incident:
    """Set the severity by hand; the reason says who and from what."""
    incident = get(session, incident_id)
    if severity not in SEVERITIES:
        raise BadRequest(f"severity must be one of {', '.join(SEVERITIES)}, not {severity!r}")
    if incident.severity == severity:
        return incident
    previous = incident.severity
    incident.severity, incident.severity_rule = severity, "manual"
    incident.severity_reason = f"set to {severity} by {user_id} (was {previous})"
    session.add(incident)
    record(session, incident_id=incident_id, kind="severity", actor=user_id, at=now, detail=f"{previous} -> {severity}")
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


def _acknowledge(session: Session, incident: Incident, *, actor: str, now: datetime) -> bool:
    won = session.execute(update(Incident).where(col(Incident.id) == incident.id, col(Incident.status) == "triggered")
                          .values(status="acknowledged", acknowledged_at=now, acknowledged_by=actor))
    session.refresh(incident)
    if won.rowcount != 1:  # type: ignore[attr-defined]
        return False
    policy = session.get(EscalationPolicy, incident.escalation_policy_id) if incident.escalation_policy_id else None
    timeout = timedelta(seconds=policy.ack_timeout_seconds) if policy and policy.ack_timeout_seconds else None
    engine.stop_ladder(session, incident, now, ack_timeout=timeout)
    record(session, incident_id=incident.id or 0, kind="acknowledged", actor=actor, at=now, detail="")
    return True


def _resolve(session: Session, incident: Incident, *, actor: str, now: datetime) -> bool:
    won = session.execute(update(Incident).where(col(Incident.id) == incident.id, col(Incident.status) != "resolved")
                          .values(status="resolved", resolved_at=now, resolved_by=actor, open_dedup_key=None))
    session.refresh(incident)
    if won.rowcount != 1:  # type: ignore[attr-defined]
        return False
    engine.stop_everything(session, incident, now)
    record(session, incident_id=incident.id or 0, kind="resolved", actor=actor, at=now, detail="")
    return True


def _who(incident: Incident) -> dict[str, object]:
    return {"status": incident.status, "acknowledged_by": incident.acknowledged_by, "resolved_by": incident.resolved_by}
