"""RQ jobs: imperative verbs taking ids and tokens only. They wake the engine; the database decides.

A wake-up that arrives early (RQ's scheduler counts whole seconds) waits out the last moment or
re-arms itself; a stale or duplicate one finds its token or step changed and does nothing.
"""

from __future__ import annotations

import logging
import time
from datetime import datetime, timedelta
from typing import Any, Callable

from app.escalation import due_steps, engine, open_triggers
from app.models import Incident, IncidentTrigger
from app.outbox.delivery import Sent, deliver, record_sent_many, send_claimed
from app.outbox.delivery_batch import claim_due
from app.outbox.recovery import next_due_on_channel
from app.platform.clock import utc_now
from app.platform.queueing import (
    ESCALATE_JOB,
    ESCALATION_QUEUE,
    FIRE_TRIGGER_JOB,
    FIRST_STEPS_WAKE,
    PendingJob,
    deliveries_wake,
    deliveries_wakeup,
    due_steps_wakeup,
    due_triggers_wakeup,
    wake_flag,
)
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
    """The coalesced wake-up an intake sends for the incidents it opened: run every due step (ack
    timeouts have timed wake-ups of their own, so this one does not look for them)."""
    return run_due_steps(FIRST_STEPS_WAKE, timeouts=False)


def run_due_steps(wake: str | None = None, *, timeouts: bool = True) -> dict[str, int]:
    """Run every escalation step that is due, a batch per transaction (app.escalation.due_steps); then
    the ack timeouts that are due, one by one. One wake-up serves any number of incidents."""
    runtime = get_runtime()
    if wake is not None:
        runtime.redis.delete(wake_flag(runtime.settings.queue_prefix, wake))  # later commits wake again
    outcomes: dict[str, int] = {}
    while _run_step_batch(runtime, outcomes) >= due_steps.BATCH_SIZE:
        pass
    if timeouts:
        _run_ack_timeouts(outcomes)
    _rearm(lambda session: due_steps.next_step_at(session, utc_now(), REARM_HORIZON), due_steps_wakeup)
    return outcomes


def _run_ack_timeouts(outcomes: dict[str, int]) -> None:
    with get_runtime().session(reading=True) as session:
        due = due_steps.due_incidents(session, utc_now(), statuses=("acknowledged",))
    for incident_id, token, step in due:
        _count(outcomes, _run_logged(lambda: escalate(incident_id, token, step), incident_id))


def _run_step_batch(runtime: Any, outcomes: dict[str, int]) -> int:
    """One batch of due steps in one transaction; if it fails, its incidents one by one (so one bad
    row cannot hold back the rest, and each failure is logged and left to the sweeper). How many
    incidents it took."""
    try:
        with runtime.session() as session:
            ran = due_steps.run_due_steps(session, utc_now())
            session.commit()
        _count(outcomes, "ran", len(ran))
        return len(ran)
    except Exception:  # noqa: BLE001 - fall back to single steps below
        log.exception("a batch of due steps failed; running them one by one")
    with runtime.session(reading=True) as session:
        due = due_steps.due_incidents(session, utc_now(), limit=due_steps.BATCH_SIZE, statuses=("triggered",))
    for incident_id, token, step in due:
        _count(outcomes, run_or_postpone(runtime, (incident_id, token, step), lambda: escalate(incident_id, token, step)))
    return len(due)


def run_or_postpone(runtime: Any, due: tuple[int, str, int], run: Callable[[], str]) -> str:
    """Run one due step; if it raises, log it and postpone it (engine.postpone_failed_step)."""
    incident_id, token, step = due
    try:
        return run()
    except Exception as error:  # noqa: BLE001 - one bad step must not stop the others
        log.exception("escalation step %s of incident %s failed; trying again later", step, incident_id)
        with runtime.session() as session:
            engine.postpone_failed_step(session, incident_id=incident_id, token=token, step=step, now=utc_now(),
                                        error=error)
            session.commit()
        return "failed"


def _run_logged(run: Callable[[], str], item: Any) -> str:
    try:
        return run()
    except Exception:  # noqa: BLE001 - the row stays due; its retry or the sweeper runs it
        log.exception("running %s failed; the sweeper will retry it", item)
        return "failed"


def _count(outcomes: dict[str, int], outcome: str, n: int = 1) -> None:
    if n:
        outcomes[outcome] = outcomes.get(outcome, 0) + n


# The host that wrote a row and this worker may read different clocks, so rows written "due now" can
# be due a little later here: a drain that leaves such rows comes back at the first one's time
# instead of leaving them to the sweeper. It shares its time slice's wake-up with the timer's own.
REARM_HORIZON = timedelta(seconds=60)


def _rearm(next_due: Callable[[Any], datetime | None], wakeup: Callable[[datetime], PendingJob]) -> None:
    runtime = get_runtime()
    with runtime.session(reading=True) as session:
        later = next_due(session)
    if later is not None:
        runtime.dispatcher.enqueue(wakeup(later))


def fire_due_triggers(wake: str | None = None) -> dict[str, int]:
    """Fire every open-time trigger that is due, each in its own transaction (one wake-up per time
    slice serves any number of incidents opened together)."""
    runtime = get_runtime()
    if wake is not None:
        runtime.redis.delete(wake_flag(runtime.settings.queue_prefix, wake))
    outcomes: dict[str, int] = {}
    with runtime.session(reading=True) as session:
        due = open_triggers.due_triggers(session, utc_now())
    for trigger_id in due:
        _count(outcomes, _run_logged(lambda: fire_open_trigger(trigger_id), trigger_id))
    _rearm(lambda session: open_triggers.next_trigger_at(session, utc_now(), REARM_HORIZON), due_triggers_wakeup)
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
        fired = open_triggers.fire_trigger(session, trigger_id=trigger_id, now=utc_now())
        session.commit()
        return "fired" if fired else "skipped"


def deliver_notification(notification_id: int) -> str:
    """Deliver one outbox row on its channel."""
    runtime = get_runtime()
    return deliver(runtime.session, runtime.notifiers, notification_id, utc_now, runtime.settings.public_url)


def drain_deliveries(channel: str, wake: str | None = None) -> dict[str, int]:
    """Send every page of `channel` that is due, claimed a batch per transaction (app.outbox.delivery_batch).
    One wake-up serves any number of rows."""
    runtime = get_runtime()
    prefix = runtime.settings.queue_prefix
    runtime.redis.delete(wake_flag(prefix, wake or deliveries_wake(channel)))  # later commits wake again
    notifier = runtime.notifiers[channel]
    # Console pages are stored, not sent, so a big batch is cheap; a provider's pages wait on each
    # other's calls once claimed, so its batches stay small and two workers share a wave. Texts that
    # are bundled per phone (app.phone.sms_policy) are claimed one at a time: a text takes the pages still
    # pending for its phone with it.
    if callable(getattr(notifier, "send_bundle", None)):
        limit = 1
    else:
        limit = CONSOLE_BATCH if notifier.provider == "console" else PROVIDER_BATCH
    outcomes: dict[str, int] = {}
    while True:
        with runtime.session() as session:
            claimed, per_row = claim_due(session, channel, utc_now(), public_url=runtime.settings.public_url,
                                         limit=limit)
            session.commit()
        for notification_id in per_row:
            _count(outcomes, _run_logged(lambda: deliver_notification(notification_id), notification_id))
        sent: list[Sent] = []
        for each in claimed:
            _count(outcomes, _run_logged(lambda: send_claimed(runtime.session, runtime.notifiers, each, utc_now,
                                                              console_sent=sent), each.notification_id))
        if sent:
            with runtime.session() as session:
                record_sent_many(session, sent, utc_now())
                session.commit()
        if len(claimed) + len(per_row) < limit:
            break
    _rearm(lambda session: next_due_on_channel(session, channel, utc_now(), REARM_HORIZON),
           lambda at: deliveries_wakeup(channel, at))
    return outcomes


CONSOLE_BATCH = 200
PROVIDER_BATCH = 10
