"""The escalation engine: runs ladder steps and open-time triggers against the database.

Every rule of DESIGN.md "Escalation engine" lives here. A wake-up claims its step with a
compare-and-set on (token, step) and the due time, so stale, duplicate and early wake-ups are
no-ops; the claim, the target resolution, the outbox rows, the timeline and the next timer are one
transaction; jobs are deferred until it commits.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Table, bindparam, update
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session, col

from app.escalation import open_triggers, paging
from app.escalation.stepping import Ladder, StepPlan, gap_line, ladder_from_policy, page_until_reached, plan_step
from app.models import EscalationPolicy, Incident, IncidentStatus
from app.outbox import step_keys
from app.platform.config_cache import get_row
from app.platform.queueing import defer_job, due_steps_wakeup
from app.timeline.change_feed import incident_changed
from app.timeline.entries import SYSTEM, record

# RQ's scheduler counts whole seconds and may run a job up to a second early.
EARLY_TOLERANCE = timedelta(seconds=0)


def new_token() -> str:
    """A fresh escalation token; changing it orphans every outstanding wake-up."""
    return uuid.uuid4().hex


def ladder_for(session: Session, incident: Incident) -> Ladder:
    """The ladder the incident was opened or handed over with (its policy as it is, for incidents
    opened before ladders were kept; an empty one when that policy is gone)."""
    snapshot = incident.ladder
    if snapshot is None:
        policy = get_row(session, EscalationPolicy, incident.escalation_policy_id) if incident.escalation_policy_id else None
        snapshot = ladder_snapshot(policy)
    if snapshot is None:
        return Ladder(())
    return ladder_from_policy(snapshot["levels"], snapshot["repeat"], snapshot["escalate_severities"])


def ladder_snapshot(policy: EscalationPolicy | None) -> dict[str, Any] | None:
    """What an incident keeps of its policy's ladder (DESIGN rule 12)."""
    if policy is None:
        return None
    return {"levels": [dict(level) for level in policy.levels], "repeat": policy.repeat,
            "escalate_severities": list(policy.escalate_severities)}


def step_key(incident: Incident, step: int) -> str:
    """The outbox key of a ladder step: unique per step and per start of the ladder."""
    return step_keys.ladder_step(step, incident.escalation_round)


def start(session: Session, incident: Incident, now: datetime, *, restart: bool = False,
          arm_triggers: bool = False) -> None:
    """Run step 0 (inside the creating transaction); a new incident, or one handed to another policy
    (`arm_triggers`), also arms its open-time triggers, counted from the incident's creation."""
    assert incident.id is not None
    incident.escalation_token = new_token()
    incident.escalation_step = 0
    incident.next_escalation_at = now
    if restart:
        incident.escalation_round += 1
    if not restart or arm_triggers:
        open_triggers.arm(session, incident, now)
    _run_claimed(session, incident, ladder_for(session, incident), 0, now, actor=SYSTEM)


def wake(session: Session, *, incident_id: int, token: str, step: int, now: datetime) -> bool:
    """A timer fired: run the due step, or re-trigger an acknowledged incident whose ack timed out."""
    incident = session.get(Incident, incident_id)
    if incident is None:
        return False
    if incident.status == IncidentStatus.ACKNOWLEDGED:
        return _reopen_after_ack_timeout(session, incident, token, now)
    return run_step(session, incident_id=incident_id, token=token, step=step, now=now)


def _reopen_after_ack_timeout(session: Session, incident: Incident, token: str, now: datetime) -> bool:
    """The acknowledgement timed out: back to triggered, and the ladder starts over (PagerDuty's rule)."""
    claimed = session.execute(
        update(Incident)
        .where(col(Incident.id) == incident.id, col(Incident.escalation_token) == token)
        .where(col(Incident.status) == IncidentStatus.ACKNOWLEDGED, col(Incident.next_escalation_at) <= now)
        .values(status=IncidentStatus.TRIGGERED, acknowledged_at=None, acknowledged_by=None)
    )
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        return False
    session.refresh(incident)
    record(session, incident_id=incident.id or 0, kind="ack_timeout", actor=SYSTEM, at=now,
           detail="acknowledgement timed out; re-triggered")
    start(session, incident, now, restart=True)
    return True


def run_step(session: Session, *, incident_id: int, token: str, step: int, now: datetime) -> bool:
    """Run `step` if it is still the incident's due step under `token`; False for a stale wake-up."""
    incident = session.get(Incident, incident_id)
    if incident is None or incident.next_escalation_at is None:
        return False
    ladder = ladder_for(session, incident)
    plan = plan_step(ladder, step, incident.severity, now, due=incident.next_escalation_at)
    first = step == 0 and incident.escalation_round == 0 and incident.escalation_level == 0
    if plan is None:
        # Nothing to page (a policy without levels): disarm the timer so no sweep finds it again.
        if _disarm(session, incident_id, token, step, now) and first:
            announce(session, incident, now)
        return False
    if not _claim(session, incident_id, token, step, now, plan):
        return False
    # The claim wrote these columns; tell the loaded row so, without reading it back.
    for name, value in (("escalation_step", plan.next_step if plan.next_step is not None else step + 1),
                        ("escalation_level", plan.level), ("next_escalation_at", plan.next_due_at),
                        ("last_step_at", now)):
        set_committed_value(incident, name, value)
    if first:
        announce(session, incident, now)
    _page_from(session, incident, ladder, plan, now, actor=SYSTEM)
    return True


def announce(session: Session, incident: Incident, now: datetime) -> None:
    """Step 0 of an incident opened by an alert: tell the channels that show incidents (the service's
    Slack channel, a major-incident channel). The intake wrote its "triggered" line and left this here."""
    incident_changed(session, incident, kind="triggered", actor=SYSTEM,
                     detail=f"{incident.severity} ({incident.severity_reason})", now=now)


def _disarm(session: Session, incident_id: int, token: str, step: int, now: datetime) -> bool:
    """Clear a due timer whose step has nothing to run (compare-and-set, like a claim)."""
    result = session.execute(
        update(Incident)
        .where(col(Incident.id) == incident_id, col(Incident.escalation_token) == token)
        .where(col(Incident.escalation_step) == step, col(Incident.next_escalation_at) <= now)
        .values(next_escalation_at=None)
    )
    return result.rowcount == 1  # type: ignore[attr-defined]


# A step that raised (a broken policy, a bug) is tried again this much later, not on every wake-up:
# left due, it would fail every batch it joins and, sorted first, hide real lost timers from the sweeper.
FAILED_STEP_RETRY = timedelta(seconds=60)


def postpone_failed_step(session: Session, *, incident_id: int, token: str, step: int, now: datetime,
                         error: BaseException) -> bool:
    """Move a step that raised to FAILED_STEP_RETRY from now and say so on the timeline (compare-and-set:
    a step that changed meanwhile is left alone)."""
    moved = session.execute(
        update(Incident)
        .where(col(Incident.id) == incident_id, col(Incident.escalation_token) == token)
        .where(col(Incident.escalation_step) == step, col(Incident.next_escalation_at).is_not(None))
        .values(next_escalation_at=now + FAILED_STEP_RETRY)
    )
    if moved.rowcount != 1:  # type: ignore[attr-defined]
        return False
    record(session, incident_id=incident_id, kind="escalation_error", actor=SYSTEM, at=now,
           detail=f"escalation step {step} failed ({type(error).__name__}: {error}); "
                  f"trying again in {int(FAILED_STEP_RETRY.total_seconds())}s")
    defer_job(session, due_steps_wakeup(now + FAILED_STEP_RETRY))
    return True


def escalate_now(session: Session, incident: Incident, *, actor: str, now: datetime) -> bool:
    """Page the next level now and restart its timer; False when the ladder has no next level."""
    # A manual escalation climbs whatever the severity: the commander asked for it.
    ladder = ladder_for(session, incident)
    ladder = Ladder(ladder.levels, ladder.repeat, (incident.severity,))
    step = _step_after_last(incident, ladder)
    if plan_step(ladder, step, incident.severity, now) is None:
        return False
    # Past the end of the ladder the last level is paged again, under a key of its own.
    key = step_key(incident, step) if step >= incident.escalation_step else step_keys.by_hand(incident.escalation_token)
    claimed = session.execute(
        update(Incident)
        .where(col(Incident.id) == incident.id, col(Incident.escalation_token) == incident.escalation_token)
        .values(escalation_token=new_token())
    )
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        return False
    session.refresh(incident)
    record(session, incident_id=incident.id or 0, kind="escalated", actor=actor, at=now, detail="escalated by hand")
    _run_claimed(session, incident, ladder, step, now, actor=actor, key_override=key)
    return True


def stop_ladder(session: Session, incident: Incident, now: datetime, *, ack_timeout: timedelta | None = None) -> None:
    """Acknowledge: orphan outstanding wake-ups; with an ack timeout, arm the re-trigger timer instead."""
    incident.escalation_token = new_token()
    incident.next_escalation_at = None
    if ack_timeout is not None:
        incident.next_escalation_at = now + ack_timeout
        _defer_wakeup(session, incident)
    session.add(incident)


# The incident columns that stop its ladder, for the UPDATE that resolves it: a new token (the
# `escalation_token` parameter, from `stopped_ladder_params`) orphans every outstanding wake-up and
# no step is due.
STOPPED_LADDER: dict[str, Any] = {"escalation_token": bindparam("escalation_token"), "next_escalation_at": None}


def stopped_ladder_params() -> dict[str, Any]:
    """The parameters of STOPPED_LADDER for one UPDATE."""
    return {"escalation_token": new_token()}


# The claim of a step: a compare-and-set on (token, step) and the due time, so exactly one caller
# wins and never before the step is due. Built once; the batched steps send it for many incidents.
_INCIDENT: Table = Incident.__table__  # type: ignore[attr-defined]
STEP_CLAIM = (
    update(_INCIDENT)
    .where(_INCIDENT.c.id == bindparam("claim_id"), _INCIDENT.c.escalation_token == bindparam("claim_token"))
    .where(_INCIDENT.c.escalation_step == bindparam("claim_step"), _INCIDENT.c.status == IncidentStatus.TRIGGERED)
    .where(_INCIDENT.c.next_escalation_at <= bindparam("claim_now"))
    .values(escalation_step=bindparam("new_step"), escalation_level=bindparam("new_level"),
            next_escalation_at=bindparam("new_due"), last_step_at=bindparam("new_last_step_at"))
)


def step_claim(incident_id: int, token: str, step: int, now: datetime, *, new_step: int, new_level: int,
               new_due: datetime | None, ran_at: datetime | None) -> dict[str, Any]:
    """STEP_CLAIM's parameters: claim `step` under `token` if due by `now`, and move the ladder on."""
    return dict(claim_id=incident_id, claim_token=token, claim_step=step, claim_now=now, new_step=new_step,
                new_level=new_level, new_due=new_due, new_last_step_at=ran_at)


def _claim(session: Session, incident_id: int, token: str, step: int, now: datetime, plan: StepPlan) -> bool:
    """Compare-and-set the step: exactly one caller wins, and never before the step is due."""
    claim = step_claim(incident_id, token, step, now + EARLY_TOLERANCE, new_level=plan.level, new_due=plan.next_due_at,
                       new_step=plan.next_step if plan.next_step is not None else step + 1, ran_at=now)
    return session.execute(STEP_CLAIM, claim).rowcount == 1  # type: ignore[attr-defined]


def _run_claimed(session: Session, incident: Incident, ladder: Ladder, step: int, now: datetime, *, actor: str,
                 key_override: str | None = None) -> None:
    """Run `step` for an incident whose token this transaction already owns."""
    plan = plan_step(ladder, step, incident.severity, now)
    if plan is None:
        incident.next_escalation_at = None
        session.add(incident)
        return
    incident.escalation_step = plan.next_step if plan.next_step is not None else step + 1
    incident.escalation_level = plan.level
    incident.next_escalation_at = plan.next_due_at
    incident.last_step_at = now
    session.add(incident)
    _page_from(session, incident, ladder, plan, now, actor=actor, key_override=key_override)


def _page_from(session: Session, incident: Incident, ladder: Ladder, plan: StepPlan, now: datetime, *, actor: str,
               key_override: str | None = None) -> None:
    """Page the plan's level; a level that reaches nobody hands on to the next level at once (rule 9)."""
    keys = iter([key_override] if key_override else [])

    def page(level: StepPlan) -> bool:
        reached = paging.page_targets(session, incident, level.targets, now,
                                      step_key=next(keys, None) or step_key(incident, level.step), level=level.level,
                                      reason=ladder.label(level.level), actor=actor)
        if not reached and level.next_step is not None:
            record(session, incident_id=incident.id or 0, kind="escalation_gap", actor=SYSTEM, at=now,
                   detail=gap_line(ladder, level))
        return reached

    last = page_until_reached(ladder, plan, incident.severity, now, page)
    if last is not plan:  # levels that reached nobody were passed: the ladder goes on from the last one paged
        incident.escalation_step = last.next_step if last.next_step is not None else last.step + 1
        incident.escalation_level = last.level
        incident.next_escalation_at = last.next_due_at
    session.add(incident)
    if incident.next_escalation_at is not None:
        _defer_wakeup(session, incident)


def _defer_wakeup(session: Session, incident: Incident) -> None:
    """Wake the due-steps drain when the incident's timer falls due (one wake-up per time slice)."""
    if incident.next_escalation_at is not None:
        defer_job(session, due_steps_wakeup(incident.next_escalation_at))


def _step_after_last(incident: Incident, ladder: Ladder) -> int:
    """The step a manual escalation runs: the next one, or the last level again past the end."""
    if not ladder.levels:
        return 0
    return min(incident.escalation_step, ladder.step_count - 1)
