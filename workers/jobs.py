"""RQ jobs: imperative verbs taking ids and tokens only. They wake the engine; the database decides.

A wake-up that arrives early (RQ's scheduler counts whole seconds) waits out the last moment or
re-arms itself; a stale or duplicate one finds its token or step changed and does nothing.
"""

from __future__ import annotations

import logging
import time
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any, Callable

from app.clock import utc_now
from app.delivery import deliver, due_on_channel, next_due_on_channel
from app.escalation import engine
from app.models import Incident, IncidentTrigger
from app.queueing import (DRAIN_DELIVERIES_JOB, ESCALATE_JOB, ESCALATION_QUEUE, FIRE_TRIGGER_JOB, FIRST_STEPS_WAKE,
                          RUN_FIRST_STEPS_JOB, PendingJob, deliveries_wake, delivery_queue, wake_flag)
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


def run_first_steps() -> dict[str, int]:
    """Run step 0 of every incident an intake opened and nobody has paged yet (one coalesced wake-up
    for any number of new incidents). Each step runs in its own transaction, as `escalate` would."""
    runtime = get_runtime()
    runtime.redis.delete(wake_flag(runtime.settings.queue_prefix, FIRST_STEPS_WAKE))  # later commits wake again
    return _drain(lambda session, seen: engine.due_first_steps(session, utc_now(), exclude=seen),
                  lambda item: escalate(item[0], item[1], 0),
                  lambda session: engine.next_first_step_at(session, utc_now(), REARM_HORIZON),
                  PendingJob(ESCALATION_QUEUE, RUN_FIRST_STEPS_JOB, ()))


# The host that wrote a row and this worker may read different clocks, so rows written "due now" can
# be due a little later here: a drain that leaves such rows comes back at the first one's time
# instead of leaving them to the sweeper. Rows due later, and retries, have wake-ups of their own.
REARM_HORIZON = timedelta(seconds=60)


def _drain(find: Callable[[Any, set[Any]], list[Any]], run: Callable[[Any], str],
           next_due: Callable[[Any], datetime | None], rearm: PendingJob) -> dict[str, int]:
    """Run what `find` lists until it lists nothing new; each item at most once, a failure logged and
    left to its retry or the sweeper. Then, if rows fall due within the horizon, come back at the first."""
    runtime = get_runtime()
    outcomes: dict[str, int] = {}
    seen: set[Any] = set()
    while True:
        with runtime.session(reading=True) as session:
            batch = [item for item in find(session, seen) if item not in seen]
            later = None if batch else next_due(session)
        if not batch:
            if later is not None:
                runtime.dispatcher.enqueue(replace(rearm, at=later))
            return outcomes
        for item in batch:
            seen.add(item)
            try:
                outcome = run(item)
            except Exception:  # noqa: BLE001 - the row stays due; its retry or the sweeper runs it
                log.exception("running %s failed; the sweeper will retry it", item)
                outcome = "failed"
            outcomes[outcome] = outcomes.get(outcome, 0) + 1


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


def drain_deliveries(channel: str) -> dict[str, int]:
    """Deliver every page of `channel` that is due now (one coalesced wake-up for any number of rows),
    each claimed on its own as `deliver_notification` does."""
    runtime = get_runtime()
    runtime.redis.delete(wake_flag(runtime.settings.queue_prefix, deliveries_wake(channel)))
    return _drain(lambda session, seen: due_on_channel(session, channel, utc_now(), exclude=seen),
                  deliver_notification,
                  lambda session: next_due_on_channel(session, channel, utc_now(), REARM_HORIZON),
                  PendingJob(delivery_queue(channel), DRAIN_DELIVERIES_JOB, (channel,)))
