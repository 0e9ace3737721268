"""RQ jobs: imperative verbs taking ids and tokens only. They wake the engine; the database decides.

A wake-up that arrives early (RQ's scheduler counts whole seconds) waits out the last moment or
re-arms itself; a stale or duplicate one finds its token or step changed and does nothing.
"""

from __future__ import annotations

import logging
import time
from datetime import timedelta

from app.clock import utc_now
from app.delivery import deliver
from app.escalation import engine
from app.models import Incident, IncidentTrigger
from app.queueing import ESCALATE_JOB, ESCALATION_QUEUE, FIRE_TRIGGER_JOB, PendingJob
from workers.context import get_runtime

log = logging.getLogger(__name__)

# An early wake-up closer than this to its due time sleeps instead of re-arming.
MAX_EARLY_SLEEP = timedelta(seconds=2)


def escalate(incident_id: int, token: str, step: int) -> str:
    """Run escalation step `step` of an incident if `token` still holds it."""
    runtime = get_runtime()
    with runtime.session() as session:
        incident = session.get(Incident, incident_id)
        if incident is None or incident.escalation_token != token or incident.escalation_step != step:
            return "stale"
        due = incident.next_escalation_at
        if due is None:
            return "stale"
        early = due - utc_now()
        if early > MAX_EARLY_SLEEP:
            runtime.dispatcher.enqueue(PendingJob(ESCALATION_QUEUE, ESCALATE_JOB, (incident_id, token, step), due))
            return "early"
        if early > timedelta(0):
            session.rollback()
            time.sleep(early.total_seconds())
        ran = engine.wake(session, incident_id=incident_id, token=token, step=step, now=utc_now())
        session.commit()
        return "ran" if ran else "stale"


def escalate_many(wakeups: list[tuple[int, str, int]]) -> dict[str, int]:
    """Run many (incident id, token, step) wake-ups: step 0 of the incidents a batch intake opened.
    Each runs in its own transaction, as `escalate` would, so one failure pages everyone else."""
    outcomes: dict[str, int] = {}
    for incident_id, token, step in wakeups:
        try:
            outcome = escalate(incident_id, token, step)
        except Exception:  # noqa: BLE001 - the timer stays due; the sweeper runs it again
            log.exception("step %s of incident %s failed; the sweeper will retry it", step, incident_id)
            outcome = "failed"
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
    return outcomes


def fire_open_trigger(trigger_id: int) -> str:
    """Fire an open-time trigger if it is due and unfired."""
    runtime = get_runtime()
    with runtime.session() as session:
        trigger = session.get(IncidentTrigger, trigger_id)
        if trigger is None or trigger.fired_at is not None or trigger.cancelled_at is not None:
            return "skipped"
        early = trigger.due_at - utc_now()
        if early > MAX_EARLY_SLEEP:
            runtime.dispatcher.enqueue(PendingJob(ESCALATION_QUEUE, FIRE_TRIGGER_JOB, (trigger_id,), trigger.due_at))
            return "early"
        if early > timedelta(0):
            session.rollback()
            time.sleep(early.total_seconds())
        fired = engine.fire_trigger(session, trigger_id=trigger_id, now=utc_now())
        session.commit()
        return "fired" if fired else "skipped"


def deliver_notification(notification_id: int) -> str:
    """Deliver one outbox row on its channel."""
    runtime = get_runtime()
    return deliver(runtime.session, runtime.notifiers, notification_id, utc_now, runtime.settings.public_url)


def deliver_notifications(notification_ids: list[int]) -> dict[str, int]:
    """Deliver several outbox rows of one channel, one after another, each claimed on its own; a
    failure leaves that row to its retry or the sweeper and goes on with the rest."""
    outcomes: dict[str, int] = {}
    for notification_id in notification_ids:
        try:
            outcome = deliver_notification(notification_id)
        except Exception:  # noqa: BLE001 - the row stays pending or leased; the sweeper finds it
            log.exception("delivery of notification %s failed", notification_id)
            outcome = "failed"
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
    return outcomes
