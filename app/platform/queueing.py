"""Jobs are enqueued only after the transaction that made their rows commits (DESIGN rule 2).

Service functions call `defer_job(session, ...)`; the jobs wait in `session.info` and go to RQ
from the session's `after_commit` hook. A rollback drops them. If Redis is down at that moment the
rows are still committed and the sweeper finds them (DESIGN rule 4), so a failed enqueue is logged,
never raised into the request that already succeeded.

The app names jobs by dotted path (`workers.jobs.escalate`): `workers` imports `app`, never the
reverse, and a test checks that every name here resolves.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from redis import Redis
from rq import Queue
from rq.registry import ScheduledJobRegistry
from sqlalchemy import event
from sqlmodel import Session

log = logging.getLogger(__name__)

ESCALATE_JOB = "workers.jobs.escalate"
RUN_FIRST_STEPS_JOB = "workers.jobs.run_first_steps"
RUN_DUE_STEPS_JOB = "workers.jobs.run_due_steps"
FIRE_TRIGGER_JOB = "workers.jobs.fire_open_trigger"
FIRE_DUE_TRIGGERS_JOB = "workers.jobs.fire_due_triggers"
DELIVER_JOB = "workers.jobs.deliver_notification"
DRAIN_DELIVERIES_JOB = "workers.jobs.drain_deliveries"
SLACK_SYNC_JOB = "workers.slack_jobs.sync_incident"
SLACK_OPEN_CHANNEL_JOB = "workers.slack_jobs.open_incident_channel"
SLACK_TELL_JOB = "workers.slack_jobs.tell_user"
JOB_NAMES = (ESCALATE_JOB, RUN_FIRST_STEPS_JOB, RUN_DUE_STEPS_JOB, FIRE_TRIGGER_JOB, FIRE_DUE_TRIGGERS_JOB, DELIVER_JOB,
             DRAIN_DELIVERIES_JOB,
             SLACK_SYNC_JOB, SLACK_OPEN_CHANNEL_JOB, SLACK_TELL_JOB)
FIRST_STEPS_WAKE = "first-steps"

ESCALATION_QUEUE = "escalation"
CHANNELS = ("slack", "sms", "voice", "email")


def queue_names(prefix: str) -> list[str]:
    """Every queue a worker serves, escalation first: one per delivery channel (DESIGN rule 10)."""
    return [f"{prefix}-{ESCALATION_QUEUE}"] + [f"{prefix}-deliver-{c}" for c in CHANNELS]


def scheduler_wake_channel(prefix: str) -> str:
    """The pub/sub channel that wakes every worker's scheduler when a job is scheduled."""
    return f"{prefix}:scheduler-wake"


def delivery_queue(channel: str) -> str:
    """The queue suffix for a delivery channel."""
    return f"deliver-{channel}"


@dataclass(frozen=True)
class PendingJob:
    """A job to enqueue once the surrounding transaction commits."""

    queue: str  # suffix, e.g. "escalation" or "deliver-sms"
    func: str
    args: tuple[Any, ...]
    at: datetime | None = None  # run at this aware UTC instant; None = now
    # Jobs with the same `coalesce` name are one wake-up: while one waits in its queue, the next is
    # not enqueued (the waiting one will find that work in the database when it runs).
    coalesce: str | None = None


def wake_flag(prefix: str, name: str) -> str:
    """The Redis key that says a coalesced wake-up job is waiting; the job deletes it when it starts."""
    return f"{prefix}:wake:{name}"


def deliveries_wake(channel: str) -> str:
    """The coalescing name of a channel's delivery drain."""
    return f"deliver-{channel}"


# Timed wake-ups falling due within the same slice of time are one job: a wave of 1,000 timers over
# 10 s costs 100 wake-ups that each run ~10 rows in one batch, not 1,000 jobs. A wake-up runs at the
# end of its slice, never before a row in it is due, so it adds at most this much lateness.
WAKE_SLICE_SECONDS = 0.1


def timed_wakeup(queue: str, func: str, args: tuple[Any, ...], name: str, at: datetime) -> PendingJob:
    """A coalesced wake-up `func(*args, wake name)` at the end of the time slice that holds `at`
    (the job deletes its flag by that name when it starts)."""
    slice_index = math.ceil(round(at.timestamp() / WAKE_SLICE_SECONDS, 6))
    wake_name = f"{name}@{slice_index}"
    return PendingJob(queue, func, (*args, wake_name), datetime.fromtimestamp(slice_index * WAKE_SLICE_SECONDS,
                                                                             timezone.utc), coalesce=wake_name)


def due_steps_wakeup(at: datetime) -> PendingJob:
    """The wake-up that runs every escalation step due by `at` (one per time slice)."""
    return timed_wakeup(ESCALATION_QUEUE, RUN_DUE_STEPS_JOB, (), "due-steps", at)


def due_triggers_wakeup(at: datetime) -> PendingJob:
    """The wake-up that fires every open-time trigger due by `at` (one per time slice)."""
    return timed_wakeup(ESCALATION_QUEUE, FIRE_DUE_TRIGGERS_JOB, (), "due-triggers", at)


def deliveries_wakeup(channel: str, at: datetime) -> PendingJob:
    """The wake-up that sends every page of `channel` due by `at` (one per time slice)."""
    return timed_wakeup(delivery_queue(channel), DRAIN_DELIVERIES_JOB, (channel,), deliveries_wake(channel), at)


class JobDispatcher:
    """Puts jobs on the RQ queues named `<prefix>-<suffix>`."""

    def __init__(self, redis: Redis, prefix: str) -> None:
        self.redis = redis
        self.prefix = prefix
        self._queues: dict[str, Queue] = {}

    def queue(self, suffix: str) -> Queue:
        """The RQ queue for a suffix (cached per dispatcher)."""
        if suffix not in self._queues:
            self._queues[suffix] = Queue(f"{self.prefix}-{suffix}", connection=self.redis)
        return self._queues[suffix]

    def enqueue(self, job: PendingJob, now: datetime | None = None) -> None:
        """Enqueue one job now, or schedule it at `job.at`."""
        self.dispatch_all([job], now)

    def dispatch_all(self, jobs: list[PendingJob], now: datetime | None = None) -> None:
        """Enqueue the jobs in one Redis round trip; a failure is logged and left to the sweeper.

        Scheduled jobs get aware UTC times (RQ reads naive ones as local time). Immediate ones go
        through `enqueue_many`, which, unlike `enqueue`, shares a pipeline without a MULTI of its own.
        """
        current = now or datetime.now(timezone.utc)
        earliest: datetime | None = None
        try:
            jobs = self._without_waiting_wakeups(jobs)
            with self.redis.pipeline() as pipe:
                for job in jobs:
                    queue = self.queue(job.queue)
                    if job.at is not None and job.at > current:
                        scheduled = queue.enqueue_at(job.at.astimezone(timezone.utc), job.func, *job.args,
                                                     pipeline=pipe, job_timeout=_JOB_TIMEOUT, **_JOB_OPTIONS)
                        # RQ scores in whole seconds (up to a second early); the exact score lets
                        # workers.scheduling wake it on time.
                        pipe.zadd(ScheduledJobRegistry(queue=queue).key, {scheduled.id: job.at.timestamp()})
                        earliest = job.at if earliest is None else min(earliest, job.at)
                    else:
                        data = Queue.prepare_data(job.func, job.args, timeout=_JOB_TIMEOUT, **_JOB_OPTIONS)
                        queue.enqueue_many([data], pipeline=pipe)
                if earliest is not None:
                    # A scheduler sleeps until the earliest due time it knows of; this one may be sooner.
                    pipe.publish(scheduler_wake_channel(self.prefix), str(earliest.timestamp()))
                pipe.execute()
        except Exception:  # noqa: BLE001 - the rows are committed; the sweeper recovers them
            log.warning("enqueue of %d jobs failed; the sweeper will pick them up", len(jobs), exc_info=True)

    def _without_waiting_wakeups(self, jobs: list[PendingJob]) -> list[PendingJob]:
        """Drop coalesced wake-ups whose job is already waiting (SET NX of its flag fails). A flag
        whose job was lost expires within a minute; until then the sweeper runs that work."""
        names = list(dict.fromkeys(job.coalesce for job in jobs if job.coalesce))
        if not names:
            return jobs
        with self.redis.pipeline(transaction=False) as pipe:
            for name in names:
                pipe.set(wake_flag(self.prefix, name), "1", nx=True, ex=_flag_ttl(jobs, name))
            won = {name for name, fresh in zip(names, pipe.execute()) if fresh}
        kept, seen = [], set()
        for job in jobs:
            if job.coalesce is None or (job.coalesce in won and job.coalesce not in seen):
                kept.append(job)
                seen.add(job.coalesce)
        return kept


def _flag_ttl(jobs: list[PendingJob], name: str) -> int:
    """A flag outlives its job's wait by a minute; a lost job's flag then expires and frees the name."""
    at = max((job.at for job in jobs if job.coalesce == name and job.at is not None), default=None)
    wait = (at - datetime.now(timezone.utc)).total_seconds() if at is not None else 0.0
    return 60 + max(0, math.ceil(wait))


_JOB_OPTIONS: dict[str, Any] = {"result_ttl": 0, "failure_ttl": 7 * 86400}
_JOB_TIMEOUT = 120


def defer_job(session: Session, job: PendingJob) -> None:
    """Queue `job` to be enqueued after `session` commits."""
    session.info.setdefault("pending_jobs", []).append(job)


def bind_dispatcher(session: Session, dispatcher: JobDispatcher | None) -> Session:
    """Make `session` hand its deferred jobs to `dispatcher` after each commit (None drops them)."""
    session.info[_DISPATCHER] = dispatcher
    return session


_DISPATCHER = "job_dispatcher"


# Listeners on the Session class, registered once: one per session costs more than the rest of a
# trigger's session bookkeeping. SQLAlchemy fires both hooks for a SAVEPOINT (`begin_nested`) too:
# its release is no commit, and its rollback must not drop the jobs of the transaction around it.
@event.listens_for(Session, "after_commit")
def _dispatch_after_commit(session: Session) -> None:
    if _DISPATCHER not in session.info or session.in_nested_transaction():
        return
    jobs = session.info.pop("pending_jobs", [])
    dispatcher = session.info[_DISPATCHER]
    if jobs and dispatcher is not None:
        dispatcher.dispatch_all(jobs)


@event.listens_for(Session, "after_rollback")
def _drop_after_rollback(session: Session) -> None:
    if _DISPATCHER in session.info and not session.in_nested_transaction():
        session.info.pop("pending_jobs", None)
