"""Driving the escalation engine in one process: freezegun moves the clock, RQ's own scheduler and a
SimpleWorker run whatever falls due, exactly as `klaxon worker` would."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

from rq import Queue, SimpleWorker
from sqlmodel import col, select

from app.models import Incident, Notification, TimelineEntry
from app.platform.queueing import queue_names
from workers.scheduling import ExactScheduler


class Driver:
    """Moves a frozen clock and runs due jobs through RQ's scheduler and a burst SimpleWorker."""

    def __init__(self, runtime: Any, frozen: Any) -> None:
        self.runtime = runtime
        self.frozen = frozen
        names = queue_names(runtime.settings.queue_prefix)
        self.queues = [Queue(name, connection=runtime.redis) for name in names]
        self.scheduler = ExactScheduler(names, connection=runtime.redis)

    @property
    def now(self) -> datetime:
        """The frozen instant, aware UTC."""
        return datetime.now(timezone.utc)

    def run_due(self) -> None:
        """Move due scheduled jobs to their queues and run every queued job (repeat until quiet)."""
        for _ in range(20):
            # Take the queues' scheduler locks only while moving jobs, as `klaxon worker --burst` does:
            # held on (a 5 s lease, real time), they would keep the next test's driver from moving its
            # own scheduled jobs on a slow machine.
            self.scheduler.acquire_locks()
            self.scheduler.enqueue_scheduled_jobs()
            self.scheduler.release_locks()
            if not any(len(q) for q in self.queues):
                return
            SimpleWorker(self.queues, connection=self.runtime.redis).work(
                burst=True, with_scheduler=False, logging_level="WARNING")

    def advance(self, delta: timedelta) -> None:
        """Tick the clock forward by `delta` in steps of at most 30 s, running what falls due."""
        remaining = delta
        while remaining > timedelta(0):
            step = min(remaining, timedelta(seconds=30))
            # From the clock's current reading: a ticking clock's `tick` counts from where it was
            # frozen and would drop the real time that has passed (seconds, on a busy machine).
            self.frozen.move_to(self.now + step)
            remaining -= step
            self.run_due()

    def jump(self, delta: timedelta) -> None:
        """Move the clock by `delta` at once and run what fell due (for tests where only the end state
        counts: each 30 s tick of `advance` costs a worker burst)."""
        self.frozen.move_to(self.now + delta)
        self.run_due()

    def pages(self, incident_id: int = 1, status: str = "sent") -> list[tuple[int, str, str]]:
        """(level, user, channel) of the incident's pages to people in `status`, in order (posts to
        Slack channels, such as a major incident's own channel, and notices are left out)."""
        with self.runtime.session() as session:
            rows = session.exec(select(Notification).where(col(Notification.incident_id) == incident_id,
                                                           col(Notification.status) == status,
                                                           col(Notification.recipient).startswith("user:"),
                                                           col(Notification.notice).is_(None))
                                .order_by(col(Notification.id))).all()
        return [(r.level, r.recipient.split(":", 1)[1], r.channel) for r in rows]

    def incident(self, incident_id: int = 1) -> Incident:
        """The incident as stored now."""
        with self.runtime.session() as session:
            incident = session.get(Incident, incident_id)
            assert incident is not None
            return incident

    def timeline(self, incident_id: int = 1) -> list[tuple[str, str]]:
        """(kind, detail) of the incident's timeline."""
        with self.runtime.session() as session:
            rows = session.exec(select(TimelineEntry).where(col(TimelineEntry.incident_id) == incident_id)
                                .order_by(col(TimelineEntry.id))).all()
        return [(r.kind, r.detail) for r in rows]
