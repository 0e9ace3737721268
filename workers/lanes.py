"""The lanes of `klaxon worker`: each a thread of the one worker process, started and stopped the same way.

A lane is an RQ worker for one queue, the RQ scheduler or the sweeper. Each (re)start builds a fresh
lane object; `run()` blocks until `request_stop()` (callable from any thread) takes effect, and
`is_started()` says when it can do its work.

RQ assumes it owns the main thread: its workers install SIGINT/SIGTERM handlers (only the main thread
may) and time jobs out with SIGALRM (delivered to the main thread only). `ThreadWorker` leaves signals
to the supervisor, times jobs out with a timer thread, and returns to its loop every few seconds
while idle so it sees a stop request soon. RQ's `rq shutdown <worker>` command still works: RQ answers
it by sending SIGINT to the process, which stops the whole `klaxon worker` gracefully.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any, Callable, Protocol

from redis import Redis
from rq import SimpleWorker
from rq.job import Job
from rq.queue import Queue
from rq.timeouts import TimerDeathPenalty

from app.platform.queueing import scheduler_wake_channel
from app.platform.runtime import Runtime
from app.platform.settings import Settings
from workers.scheduling import ExactScheduler
from workers.sweeper import run_sweeper

DEQUEUE_TIMEOUT_SECONDS = 3


class Lane(Protocol):
    """One unit of work of the worker process, run in its own thread."""

    def run(self) -> None:
        """Work until a stop is requested (or the lane fails)."""

    def request_stop(self) -> None:
        """Ask the lane to stop after what it is doing now (any thread may call this)."""

    def is_started(self) -> bool:
        """True once the lane is doing its work."""


@dataclass(frozen=True)
class LaneSpec:
    """A lane's name and how to build a fresh one."""

    name: str
    build: Callable[[], Lane]


class ThreadWorker(SimpleWorker):
    """An RQ SimpleWorker that runs in a thread: jobs run in that thread (pooled database connections)."""

    death_penalty_class = TimerDeathPenalty
    # Retry a lost Redis within a few seconds, not RQ's minute, so a stop is noticed soon.
    max_connection_wait_time = float(DEQUEUE_TIMEOUT_SECONDS)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.started = threading.Event()

    @property
    def dequeue_timeout(self) -> int:
        """Seconds one blocking dequeue waits before the loop looks for a stop request."""
        return DEQUEUE_TIMEOUT_SECONDS

    def _install_signal_handlers(self) -> None:
        """Signals belong to the supervisor (the main thread)."""

    def bootstrap(self, *args: Any, **kwargs: Any) -> None:
        """RQ's bootstrap (birth, pub/sub commands), then mark the lane started."""
        super().bootstrap(*args, **kwargs)
        self.started.set()

    def request_thread_stop(self) -> None:
        """Stop after the current job (RQ's warm shutdown), or within a dequeue timeout when idle."""
        self._stop_requested = True

    def dequeue_job_and_maintain_ttl(self, timeout: int | None, max_idle_time: int | None = None
                                     ) -> tuple[Job, Queue] | None:
        """RQ's dequeue, giving up (None: the loop then ends) once a stop is requested."""
        if timeout is None:  # burst: never blocks
            return super().dequeue_job_and_maintain_ttl(timeout, max_idle_time)
        while not self._stop_requested:
            # RQ's own loop never checks for a stop; bounding its idle time returns here each timeout.
            result = super().dequeue_job_and_maintain_ttl(timeout, max_idle_time=timeout)
            if result is not None:
                return result
        return None


class RQLane:
    """An RQ worker on one queue."""

    def __init__(self, settings: Settings, queue_name: str) -> None:
        self.settings, self.queue_name = settings, queue_name
        self.worker: ThreadWorker | None = None
        self._stop = False

    def run(self) -> None:
        """Work the queue until stopped (the worker is built here: building it already talks to Redis)."""
        worker = ThreadWorker([self.queue_name], connection=Redis.from_url(self.settings.redis_url))
        self.worker = worker
        if self._stop:
            worker.request_thread_stop()
        try:
            worker.work(with_scheduler=False, logging_level="WARNING")
        finally:
            worker.connection.close()

    def request_stop(self) -> None:
        """Warm shutdown: the current job finishes."""
        self._stop = True
        if self.worker is not None:
            self.worker.request_thread_stop()

    def is_started(self) -> bool:
        """True once the worker is registered and dequeuing."""
        return self.worker is not None and self.worker.started.is_set()


class SchedulerLane:
    """RQ's scheduler for every Klaxon queue, under the process's stable scheduler name."""

    def __init__(self, settings: Settings, queue_names: list[str], name: str) -> None:
        # A restarted lane reuses `name`, so it takes its locks back at once instead of waiting out their TTL.
        self.scheduler = ExactScheduler(queue_names, connection=Redis.from_url(settings.redis_url), interval=1,
                                        name=name, wake_channel=scheduler_wake_channel(settings.queue_prefix))

    def run(self) -> None:
        """Take the locks and schedule until stopped."""
        self.scheduler.acquire_locks()
        self.scheduler.work()

    def request_stop(self) -> None:
        """Stop within a second; the locks are released."""
        self.scheduler.request_stop()

    def is_started(self) -> bool:
        """True once the scheduler listens for wake-ups."""
        return self.scheduler.started.is_set()


class SweeperLane:
    """The sweeper (DESIGN rule 4)."""

    def __init__(self, runtime: Runtime, period: float) -> None:
        self.runtime, self.period = runtime, period
        self.stop = threading.Event()

    def run(self) -> None:
        """Sweep every period until stopped."""
        run_sweeper(self.runtime, self.period, stop=self.stop)

    def request_stop(self) -> None:
        """Stop after the current sweep."""
        self.stop.set()

    def is_started(self) -> bool:
        """The sweeper needs no start-up."""
        return True
