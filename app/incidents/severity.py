"""A severity change by hand re-evaluates what the incident's urgency asks for (DESIGN rule 7).

Raising a severity into one the ladder escalates (SEV3 to SEV1) while nobody has acknowledged starts
the urgent ladder again from level 1, paged now on the people's rules for the new severity; raising
arms the open-time triggers that now apply, counted from the incident's creation, so one already due
fires at once. Lowering stops what no longer applies: the ladder's timer when the new severity does not
climb it, pending pages on channels the new severity's rules no longer ask for (the voice call of a
SEV1 that is now a SEV2), and the open-time triggers that no longer apply. Every change says so on the
timeline. An acknowledged incident keeps its owner: only the triggers change.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import update
from sqlmodel import Session, col, select

from app.escalation import engine, open_triggers
from app.incidents.lifecycle import get
from app.models import (
    EscalationPolicy,
    Incident,
    IncidentStatus,
    IncidentTrigger,
    Notification,
    NotificationStatus,
    User,
)
from app.outbox.notify_rules import channel_schedule, rules_from_stored
from app.outbox.step_keys import kind_of
from app.platform.config_cache import get_row
from app.platform.queueing import defer_job, due_triggers_wakeup
from app.platform.severity import require_severity
from app.timeline.entries import SYSTEM, record


def change_severity(session: Session, *, incident_id: int, severity: str, user_id: str, now: datetime) -> Incident:
    """Set the severity by hand (the reason says who and from what) and re-evaluate the ladder and triggers."""
    incident = get(session, incident_id)
    require_severity(severity)
    if incident.severity == severity:
        return incident
    previous = incident.severity
    incident.severity, incident.severity_rule = severity, "manual"
    incident.severity_reason = f"set to {severity} by {user_id} (was {previous})"
    session.add(incident)
    record(session, incident_id=incident_id, kind="severity", actor=user_id, at=now, detail=f"{previous} -> {severity}")
    if incident.status == IncidentStatus.RESOLVED:
        return incident
    _retune_triggers(session, incident, now)
    ladder = engine.ladder_for(session, incident)
    if incident.status == IncidentStatus.TRIGGERED:
        if ladder.escalates(severity) and not ladder.escalates(previous):
            record(session, incident_id=incident_id, kind="severity_ladder", actor=SYSTEM, at=now,
                   detail=f"{severity} climbs the ladder: paging level 1 again")
            engine.start(session, incident, now, restart=True)
        elif not ladder.escalates(severity) and incident.next_escalation_at is not None:
            engine.stop_ladder(session, incident, now)
            record(session, incident_id=incident_id, kind="severity_ladder", actor=SYSTEM, at=now,
                   detail=f"{severity} does not climb the ladder: escalation stopped at level "
                          f"{incident.escalation_level}")
    _cancel_unwanted_channels(session, incident, now)
    return incident


def _retune_triggers(session: Session, incident: Incident, now: datetime) -> None:
    """Cancel the armed triggers that no longer apply; arm the policy's triggers that now do."""
    armed = session.exec(select(IncidentTrigger).where(
        col(IncidentTrigger.incident_id) == incident.id, col(IncidentTrigger.cancelled_at).is_(None))).all()
    dropped = [t for t in armed if t.fired_at is None and t.rule is not None
               and not open_triggers.applies(t.rule, incident.severity)]
    for trigger in dropped:
        trigger.cancelled_at = now
        session.add(trigger)
    kept = [t.rule for t in armed if t not in dropped]
    policy_id = incident.escalation_policy_id
    policy = get_row(session, EscalationPolicy, policy_id) if policy_id else None
    used = set(session.exec(select(IncidentTrigger.trigger_index)
                            .where(col(IncidentTrigger.incident_id) == incident.id)).all())
    added = []
    for index, rule in enumerate(policy.open_triggers if policy else []):
        if rule in kept or not open_triggers.applies(rule, incident.severity):
            continue
        number = index + open_triggers.TRIGGERS_PER_ROUND * incident.escalation_round
        while number in used:  # cancelled by an earlier lowering: a new number, so it may fire once
            number += open_triggers.TRIGGERS_PER_ROUND
        used.add(number)
        due = incident.created_at + open_triggers.fires_after(rule)
        session.add(IncidentTrigger(incident_id=incident.id or 0, trigger_index=number, rule=dict(rule), due_at=due))
        defer_job(session, due_triggers_wakeup(max(due, now)))
        added.append(f"after {int(rule['after_seconds'])}s")
    if dropped or added:
        parts = ([f"armed {len(added)} open-time trigger(s) ({', '.join(added)} from creation)"] if added else []) + (
            [f"cancelled {len(dropped)} that no longer apply"] if dropped else [])
        record(session, incident_id=incident.id or 0, kind="severity_triggers", actor=SYSTEM, at=now,
               detail="; ".join(parts))


def _cancel_unwanted_channels(session: Session, incident: Incident, now: datetime) -> None:
    """Cancel pending pages on channels the people's rules do not use for the new severity."""
    pending = session.exec(select(Notification).where(
        col(Notification.incident_id) == incident.id, col(Notification.status) == NotificationStatus.PENDING,
        col(Notification.user_id).is_not(None), col(Notification.notice).is_(None))).all()
    cancelled = []
    for row in pending:
        user = get_row(session, User, row.user_id)
        wanted = {channel for channel, _ in channel_schedule(rules_from_stored(user.notify if user else None),
                                                             incident.severity, now)}
        if row.channel not in wanted and kind_of(row.step_key).stops_at_acknowledgement:
            cancelled.append(row)
    if cancelled:
        session.execute(update(Notification).where(col(Notification.id).in_([row.id for row in cancelled]),
                                                   col(Notification.status) == NotificationStatus.PENDING)
                        .values(status=NotificationStatus.CANCELLED))
        record(session, incident_id=incident.id or 0, kind="severity_pages", actor=SYSTEM, at=now,
               detail=f"{incident.severity} no longer asks for " + ", ".join(
                   f"{row.channel} to {row.user_id}" for row in cancelled) + ": cancelled")
