"""Open-time triggers ("a SEV1 still unresolved after 15 minutes pages the account director"): durable
timers armed when the ladder starts, fired once while the incident is open, cancelled when it resolves."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Table, bindparam, update
from sqlmodel import Session, col, func, select

from app.escalation import paging
from app.models import EscalationPolicy, Incident, IncidentStatus, IncidentTrigger
from app.outbox import step_keys
from app.platform.database import UTCDateTime, aware_utc
from app.platform.queueing import defer_job, due_triggers_wakeup

# Every resolve runs this: a Core statement built once (an ORM bulk UPDATE built per call cost a
# millisecond of CPU, more than the rest of the resolve).
_TRIGGERS: Table = IncidentTrigger.__table__  # type: ignore[attr-defined]
_CANCEL_TRIGGERS = (update(_TRIGGERS)
                    .where(_TRIGGERS.c.incident_id == bindparam("of_incident"), _TRIGGERS.c.fired_at.is_(None),
                           _TRIGGERS.c.cancelled_at.is_(None))
                    .values(cancelled_at=bindparam("now", type_=UTCDateTime)))


def cancel_triggers(session: Session, incident: Incident, now: datetime) -> None:
    """Resolve: cancel every open-time trigger of the incident that has not fired."""
    session.execute(_CANCEL_TRIGGERS, {"of_incident": incident.id, "now": now})


def fire_trigger(session: Session, *, trigger_id: int, now: datetime) -> bool:
    """Fire an open-time trigger once, if it is due and its incident is still unresolved."""
    trigger = session.get(IncidentTrigger, trigger_id)
    if trigger is None:
        return False
    incident = session.get(Incident, trigger.incident_id)
    if incident is None or incident.status == IncidentStatus.RESOLVED:
        return False
    claimed = session.execute(
        update(IncidentTrigger)
        .where(col(IncidentTrigger.id) == trigger_id, col(IncidentTrigger.fired_at).is_(None))
        .where(col(IncidentTrigger.cancelled_at).is_(None), col(IncidentTrigger.due_at) <= now)
        .values(fired_at=now)
    )
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        return False
    rule = trigger.rule if trigger.rule is not None else _rule_at(session, incident, trigger.trigger_index)
    if rule is None:
        return True
    paging.page_targets(
        session, incident, tuple(rule.get("targets", ())), now,
        step_key=step_keys.trigger(trigger.trigger_index), level=0,
        reason=f"open-time trigger: {incident.severity} unresolved after {int(rule['after_seconds'])}s",
    )
    return True


TRIGGERS_PER_ROUND = 1000


def applies(rule: dict[str, Any], severity: str) -> bool:
    """True when the trigger rule covers `severity` (a rule without severities covers every one)."""
    return severity in (rule.get("severities") or [severity])


def fires_after(rule: dict[str, Any]) -> timedelta:
    """How long after the incident opens the rule fires."""
    return timedelta(seconds=int(rule["after_seconds"]))


def arm(session: Session, incident: Incident, now: datetime) -> None:
    """Arm the policy's open-time triggers for this start of the ladder, counted from the incident's creation."""
    policy = session.get(EscalationPolicy, incident.escalation_policy_id) if incident.escalation_policy_id else None
    for index, rule in enumerate(policy.open_triggers if policy else []):
        if not applies(rule, incident.severity):
            continue
        # Numbered per start of the ladder: a policy handed over to arms its own rule 0, 1 ... again.
        number = index + TRIGGERS_PER_ROUND * incident.escalation_round
        trigger = IncidentTrigger(incident_id=incident.id or 0, trigger_index=number, rule=dict(rule),
                                  due_at=incident.created_at + fires_after(rule))
        session.add(trigger)
        defer_job(session, due_triggers_wakeup(trigger.due_at))


def _rule_at(session: Session, incident: Incident, index: int) -> dict[str, Any] | None:
    """The policy's trigger rule at `index` now (for timers armed before rules were kept with them)."""
    policy = session.get(EscalationPolicy, incident.escalation_policy_id)
    rules = policy.open_triggers if policy else []
    return rules[index] if index < len(rules) else None


def next_trigger_at(session: Session, after: datetime, horizon: timedelta) -> datetime | None:
    """When the first open-time trigger due after `after` (and within `horizon`) falls due."""
    found = session.exec(
        select(func.min(IncidentTrigger.due_at))
        .where(col(IncidentTrigger.fired_at).is_(None), col(IncidentTrigger.cancelled_at).is_(None))
        .where(col(IncidentTrigger.due_at) > after, col(IncidentTrigger.due_at) <= after + horizon)
    ).first()
    return aware_utc(found)


def due_triggers(session: Session, now: datetime, limit: int = 500) -> list[int]:
    """Ids of open-time triggers due and not fired or cancelled."""
    rows = session.exec(
        select(IncidentTrigger.id)
        .where(col(IncidentTrigger.fired_at).is_(None), col(IncidentTrigger.cancelled_at).is_(None))
        .where(col(IncidentTrigger.due_at) <= now).limit(limit)
    ).all()
    return [int(i or 0) for i in rows]
