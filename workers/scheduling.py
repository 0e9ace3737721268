"""RQ's scheduler, with sub-second timing.

RQ scores scheduled jobs and reads the clock in whole seconds, so a wake-up due at 10.7 s runs
anywhere from 10.0 s to 11.0 s, up to a second early. Klaxon writes exact (float) scores for its
wake-ups (app.queueing) and this scheduler compares them with the exact time, polling several times
a second: wake-ups arrive on time, never early, and no worker has to sleep off an early arrival.
Locks, heartbeats and failover are RQ's own, unchanged.
"""

from __future__ import annotations

import time
from collections.abc import Iterable

from rq.registry import ScheduledJobRegistry
from rq.scheduler import RQScheduler

POLL_SECONDS = 0.1


class ExactScheduledJobRegistry(ScheduledJobRegistry):
    """A scheduled-job registry read against the exact current time."""

    def get_jobs_to_schedule(self, timestamp: int | None = None, chunk_size: int = 1000) -> list[str]:
        """Job ids whose (float) score is at or before now."""
        del timestamp  # RQ passes a whole-second clock; use the exact one
        ids = self.connection.zrangebyscore(self.key, 0, time.time(), start=0, num=chunk_size)
        return [i.decode() if isinstance(i, bytes) else str(i) for i in ids]


class ExactScheduler(RQScheduler):
    """RQScheduler polling every POLL_SECONDS against exact scores."""

    def prepare_registries(self, queue_names: Iterable[str] | None = None) -> None:
        """Use the exact registry for every queue this scheduler holds the lock of."""
        self._scheduled_job_registries = [
            ExactScheduledJobRegistry(name, connection=self.connection, serializer=self.serializer)
            for name in (queue_names or self._acquired_locks)
        ]

    def work(self) -> None:
        """RQ's scheduler loop, polling more often; heartbeats stay about once a second."""
        self._install_signal_handlers()
        self.register_birth()
        last_beat = 0.0
        while not self._stop_requested:
            if self.should_reacquire_locks:
                self.acquire_locks()
            if time.monotonic() - last_beat >= self.interval:
                self.heartbeat()
                last_beat = time.monotonic()
            self.enqueue_scheduled_jobs()
            time.sleep(POLL_SECONDS)
        self.stop()
