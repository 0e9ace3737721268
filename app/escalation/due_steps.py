"""Running every due escalation step in one transaction: how a wave of timers keeps up.

A batch locks the incidents whose step is due (`FOR UPDATE SKIP LOCKED` on PostgreSQL, so two
workers split a wave instead of queueing on the same rows; SQLite's single writer, BEGIN IMMEDIATE,
does the same), plans each step in Python exactly as `engine.run_step` would (policies and users from
the configuration cache, each level's targets resolved once per batch), then writes with a fixed
number of statements whatever its size: one UPDATE per incident sent together (a compare-and-set on
token and step, as every claim is), one INSERT for every outbox row, one for every timeline line.
Every step is whole or absent (DESIGN rule 5): a failure rolls back the batch, and the caller runs
those incidents one by one (`engine.wake`), so a bad row cannot hold back the others. Also here:
which timers are due (the sweeper's work list) and when the next one falls due.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session, col, func, select

from app.escalation import paging
from app.escalation.engine import EARLY_TOLERANCE, STEP_CLAIM, announce, ladder_for, step_claim, step_key
from app.escalation.stepping import StepPlan, gap_line, page_until_reached, plan_step
from app.escalation.targets import ResolvedTargets, needs_service, resolve_targets
from app.models import OPEN_STATUSES, Incident, IncidentStatus
from app.outbox import rows
from app.platform.database import aware_utc
from app.platform.metrics import ESCALATION_LATENESS_SECONDS
from app.platform.queueing import defer_job, due_steps_wakeup
from app.timeline.entries import SYSTEM, Line, record_many

BATCH_SIZE = 100

@dataclass
class Batch:
    """What a batch writes: the claims, the outbox rows and the timeline lines."""

    now: datetime
    claims: list[dict[str, Any]] = field(default_factory=list)
    rows: list[dict[str, Any]] = field(default_factory=list)
    lines: list[Line] = field(default_factory=list)
    resolved: dict[tuple[tuple[str, ...], str | None], ResolvedTargets] = field(default_factory=dict)


def lock_due(session: Session, now: datetime, limit: int = BATCH_SIZE) -> list[Incident]:
    """Triggered incidents whose step is due, oldest first, locked for this transaction."""
    return list(session.exec(
        select(Incident)
        .where(col(Incident.status) == IncidentStatus.TRIGGERED,
               col(Incident.next_escalation_at) <= now + EARLY_TOLERANCE)
        .order_by(col(Incident.next_escalation_at)).limit(limit)
        .with_for_update(skip_locked=True)
    ).all())


def run_due_steps(session: Session, now: datetime, limit: int = BATCH_SIZE) -> list[int]:
    """Run the due step of up to `limit` incidents in the caller's transaction; their ids."""
    incidents = lock_due(session, now, limit)
    batch = Batch(now)
    for incident in incidents:
        _plan(session, batch, incident)
    if batch.claims:
        session.execute(STEP_CLAIM, batch.claims)  # the whole batch's claims at once
        _tell_loaded_rows(incidents, batch.claims)
    rows.insert_pages(session, batch.rows, now)
    record_many(session, batch.lines)
    for claim in batch.claims:
        if claim["new_due"] is not None:
            defer_job(session, due_steps_wakeup(claim["new_due"]))
    return [incident.id or 0 for incident in incidents]


def _plan(session: Session, batch: Batch, incident: Incident) -> None:
    """Plan one incident's due step into the batch (the rules of `engine.run_step` and `_page_from`)."""
    now, step = batch.now, incident.escalation_step
    if (step > 0 or incident.escalation_round > 0) and incident.next_escalation_at is not None:
        ESCALATION_LATENESS_SECONDS.observe(max(0.0, (now - incident.next_escalation_at).total_seconds()))
    ladder = ladder_for(session, incident)
    plan = plan_step(ladder, step, incident.severity, now, due=incident.next_escalation_at)
    first = step == 0 and incident.escalation_round == 0 and incident.escalation_level == 0
    if plan is None:  # nothing to page: disarm the timer so no sweep finds it again
        batch.claims.append(_claim(incident, step, step, incident.escalation_level, None, now,
                                   ran_at=incident.last_step_at))
        if first:
            announce(session, incident, now)
        return
    if first:
        announce(session, incident, now)

    def page(level: StepPlan) -> bool:
        pages = paging.plan_pages(session, incident, _resolved(session, batch, level, incident), now,
                                  step_key=step_key(incident, level.step), level=level.level)
        batch.rows.extend(pages.rows)
        if pages.reached:
            batch.lines.append(Line(incident, "paged", SYSTEM,
                                    paging.paged_line(ladder.label(level.level), pages), now))
        elif level.next_step is not None:
            batch.lines.append(Line(incident, "escalation_gap", SYSTEM, gap_line(ladder, level), now))
        return pages.reached

    plan = page_until_reached(ladder, plan, incident.severity, now, page)
    batch.claims.append(_claim(incident, step, _next_step(plan), plan.level, plan.next_due_at, now))


def _tell_loaded_rows(incidents: list[Incident], claims: list[dict[str, Any]]) -> None:
    """The claims wrote these columns; tell the loaded rows so, without reading them back."""
    by_id = {incident.id: incident for incident in incidents}
    for claim in claims:
        incident = by_id[claim["claim_id"]]
        for name, key in (("escalation_step", "new_step"), ("escalation_level", "new_level"),
                          ("next_escalation_at", "new_due"), ("last_step_at", "new_last_step_at")):
            set_committed_value(incident, name, claim[key])


def _next_step(plan: StepPlan) -> int:
    return plan.next_step if plan.next_step is not None else plan.step + 1


def _claim(incident: Incident, step: int, new_step: int, new_level: int, new_due: datetime | None,
           now: datetime, *, ran_at: datetime | None | str = "now") -> dict[str, Any]:
    return step_claim(incident.id or 0, incident.escalation_token, step, now, new_step=new_step, new_level=new_level,
                      new_due=new_due, ran_at=now if ran_at == "now" else ran_at)  # type: ignore[arg-type]


def _resolved(session: Session, batch: Batch, plan: StepPlan, incident: Incident) -> ResolvedTargets:
    """A level's targets resolved once per batch (every incident of the batch pages at the same `now`), once
    per service where an `account:` target depends on it."""
    service_id = incident.service_id if needs_service(plan.targets) else None
    key = (plan.targets, service_id)
    if key not in batch.resolved:
        batch.resolved[key] = resolve_targets(session, plan.targets, batch.now, service_id=service_id)
    return batch.resolved[key]


def due_incidents(session: Session, now: datetime, limit: int = 500,
                  statuses: tuple[str, ...] = OPEN_STATUSES) -> list[tuple[int, str, int]]:
    """(id, token, step) of incidents whose timer is due (a step, or an ack timeout): the sweeper's work list."""
    rows = session.exec(
        select(Incident.id, Incident.escalation_token, Incident.escalation_step)
        .where(col(Incident.status).in_(statuses), col(Incident.next_escalation_at) <= now)
        .order_by(col(Incident.next_escalation_at)).limit(limit)
    ).all()
    return [(int(i or 0), t, s) for i, t, s in rows]


def next_step_at(session: Session, after: datetime, horizon: timedelta) -> datetime | None:
    """When the first timer due after `after` (and within `horizon`) falls due."""
    found = session.exec(
        select(func.min(Incident.next_escalation_at))
        .where(col(Incident.status).in_(OPEN_STATUSES), col(Incident.next_escalation_at) > after)
        .where(col(Incident.next_escalation_at) <= after + horizon)
    ).first()
    return aware_utc(found)
