"""The sweeper: every few seconds, run what Redis lost (DESIGN rule 4).

It claims due escalation steps, open-time triggers and outbox rows straight from the database,
through the same compare-and-set claims as the jobs, so running it beside the jobs (or on several
hosts at once) can never page twice. It leaves a short grace after each due time so that, while
Redis is healthy, the jobs do the work and the sweeper finds nothing.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from datetime import timedelta
from typing import Callable

from redis.exceptions import RedisError

from app.escalation import due_steps, engine, open_triggers
from app.models import Notification
from app.outbox.delivery import deliver
from app.outbox.recovery import due_pending, reset_stuck
from app.platform import worker_heartbeats
from app.platform.clock import utc_now
from app.platform.queueing import CHANNELS, DRAIN_DELIVERIES_JOB, ESCALATION_QUEUE, PendingJob, delivery_queue
from app.platform.runtime import Runtime
from workers.jobs import run_or_postpone

log = logging.getLogger(__name__)

GRACE = timedelta(seconds=2)
# While a queue holds a backlog its jobs are late, not lost: the sweeper then only takes what is
# this overdue, instead of racing the workers for every row and adding to the load.
BACKLOG_GRACE = timedelta(seconds=30)


@dataclass
class SweepReport:
    """What one sweep found and ran."""

    steps: int = 0
    triggers: int = 0
    deliveries: int = 0
    unstuck: int = 0

    @property
    def total(self) -> int:
        """How many lost timers and rows this sweep ran."""
        return self.steps + self.triggers + self.deliveries + self.unstuck


def sweep_due_timers(runtime: Runtime, grace: timedelta = GRACE) -> SweepReport:
    """One sweep: overdue steps, overdue triggers, stuck and overdue outbox rows."""
    report = SweepReport()
    busy = _busy_queues(runtime)
    cutoff = utc_now() - (BACKLOG_GRACE if busy is not None and ESCALATION_QUEUE in busy else grace)
    with runtime.session() as session:
        due = due_steps.due_incidents(session, cutoff)
    for item in due:
        if run_or_postpone(runtime, item, lambda: _wake(runtime, *item)) == "ran":
            report.steps += 1
    with runtime.session() as session:
        triggers = open_triggers.due_triggers(session, cutoff)
    for trigger_id in triggers:
        if _guarded(lambda: _fire(runtime, trigger_id), f"open-time trigger {trigger_id}"):
            report.triggers += 1
    with runtime.session() as session:
        report.unstuck = len(reset_stuck(session, utc_now(), _live_claimers(runtime)))
        session.commit()
    with runtime.session() as session:
        overdue = due_pending(session, utc_now(), grace)
    lost = [(notification_id, channel) for notification_id, channel in overdue
            if busy is None or delivery_queue(channel) not in busy
            or _overdue_by(runtime, notification_id) >= BACKLOG_GRACE]
    report.deliveries = _hand_to_lanes(runtime, lost) if busy is not None else _deliver_here(runtime, lost)
    return report


def _hand_to_lanes(runtime: Runtime, lost: list[tuple[int, str]]) -> int:
    """Wake each channel's delivery lane for its lost pages, so a slow or failing channel (a Slack
    outage: two 10 s timeouts a message) never holds back another's, nor the next sweep. Not
    coalesced: a flag whose job was lost must not hide these rows for its minute."""
    for channel in sorted({channel for _, channel in lost}):
        runtime.dispatcher.enqueue(PendingJob(delivery_queue(channel), DRAIN_DELIVERIES_JOB, (channel,)))
    return len(lost)


def _deliver_here(runtime: Runtime, lost: list[tuple[int, str]]) -> int:
    """Redis is down, so no lane can run: deliver in this thread, texts and calls before Slack."""
    sent = 0
    for notification_id, _channel in sorted(lost, key=lambda item: URGENT_FIRST.index(item[1])):
        if _guarded(lambda: deliver(runtime.session, runtime.notifiers, notification_id, utc_now,
                                    runtime.settings.public_url) != "skipped", f"page {notification_id}"):
            sent += 1
    return sent


URGENT_FIRST = ("sms", "voice", "slack", "email")


def _guarded(run: Callable[[], bool], what: str) -> bool:
    """Run one piece of a sweep; an exception is logged and the sweep goes on."""
    try:
        return run()
    except Exception:  # noqa: BLE001 - one bad row must not stop the sweep
        log.exception("sweeping %s failed; the next sweep tries again", what)
        return False


def _fire(runtime: Runtime, trigger_id: int) -> bool:
    with runtime.session() as session:
        fired = open_triggers.fire_trigger(session, trigger_id=trigger_id, now=utc_now())
        session.commit()
    return fired


def _wake(runtime: Runtime, incident_id: int, token: str, step: int) -> str:
    with runtime.session() as session:
        ran = engine.wake(session, incident_id=incident_id, token=token, step=step, now=utc_now())
        session.commit()
    return "ran" if ran else "stale"


def _live_claimers(runtime: Runtime) -> set[str] | None:
    """"host:pid" of every worker whose heartbeat is live (None when Redis cannot say)."""
    try:
        workers = worker_heartbeats.live_workers(runtime.redis, runtime.settings.queue_prefix)
    except RedisError:
        return None
    return {f"{w.get('host')}:{w.get('pid')}" for w in workers}


def _busy_queues(runtime: Runtime) -> set[str] | None:
    """Queue suffixes with jobs waiting right now (None when Redis cannot say: then sweep everything)."""
    try:
        names = [ESCALATION_QUEUE] + [delivery_queue(c) for c in CHANNELS]
        with runtime.redis.pipeline() as pipe:
            for name in names:
                pipe.llen(f"rq:queue:{runtime.settings.queue_prefix}-{name}")
            lengths = pipe.execute()
    except RedisError:
        return None
    return {name for name, length in zip(names, lengths) if length}


def _overdue_by(runtime: Runtime, notification_id: int) -> timedelta:
    with runtime.session() as session:
        row = session.get(Notification, notification_id)
        return utc_now() - row.due_at if row is not None else timedelta(0)


def run_sweeper(runtime: Runtime, period: float, *, burst: bool = False, stop: threading.Event | None = None) -> None:
    """Sweep every `period` seconds until `stop` is set (or once, with `burst`)."""
    stop = stop or threading.Event()
    log.info("sweeper started, every %.1fs", period)
    while not stop.is_set():
        started = time.monotonic()
        try:
            report = sweep_due_timers(runtime)
            if report.total:
                log.warning("sweeper ran %s lost timers or rows", report)
        except Exception:  # noqa: BLE001 - a database outage must not kill the sweeper; retry next period
            log.exception("sweep failed; retrying in %.1fs", period)
        if burst:
            return
        stop.wait(max(0.1, period - (time.monotonic() - started)))
