"""RQ's scheduler, with exact timing and no polling.

RQ scores scheduled jobs and reads the clock in whole seconds, so a wake-up due at 10.7 s runs
anywhere from 10.0 s to 11.0 s, up to a second early. Klaxon writes exact (float) scores for its
wake-ups (app.platform.queueing) and this scheduler compares them with the exact time. Instead of polling,
it sleeps until the earliest score in the registries it holds the locks of (at most
MAX_SLEEP_SECONDS, so heartbeats and locks stay fresh) and wakes early when a dispatcher publishes
that it scheduled a job (app.platform.queueing.scheduler_wake_channel). Pub/sub rather than a list: every
worker's scheduler hears it (a list would wake only one of them, maybe not the lock holder), and
the wait times out on our side to the millisecond (Redis checks blocking timeouts only 10 times a
second).

Locks are RQ's (one per queue, named after the scheduler that holds it) with a shorter lease: each
heartbeat, about once a second, refreshes this scheduler's locks and takes any that are free, so
when the holder stops (its locks released) or dies (they expire after LOCK_TTL_SECONDS) another
worker's scheduler takes over within seconds, not RQ's minutes. Two schedulers briefly moving the
same job cost nothing: a duplicate wake-up is a no-op (DESIGN rule 3).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterable
from typing import Any

from redis.client import PubSub
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError
from redis.exceptions import TimeoutError as RedisTimeoutError
from rq.registry import ScheduledJobRegistry
from rq.scheduler import RQScheduler
from rq.scripts import ACQUIRE_OR_REFRESH_LOCK_SCRIPT
from rq.utils import now, utcformat

log = logging.getLogger("klaxon.worker.scheduler")

MAX_SLEEP_SECONDS = 1.0
LOCK_TTL_SECONDS = 5
REDIS_RETRY_SECONDS = 1.0


class ExactScheduledJobRegistry(ScheduledJobRegistry):
    """A scheduled-job registry read against the exact current time."""

    def get_jobs_to_schedule(self, timestamp: int | None = None, chunk_size: int = 1000) -> list[str]:
        """Job ids whose (float) score is at or before now."""
        del timestamp  # RQ passes a whole-second clock; use the exact one
        ids = self.connection.zrangebyscore(self.key, 0, time.time(), start=0, num=chunk_size)
        return [i.decode() if isinstance(i, bytes) else str(i) for i in ids]


class ExactScheduler(RQScheduler):
    """RQScheduler against exact scores, sleeping until the next one is due (or a wake message)."""

    def __init__(self, queues: Any, *args: Any, wake_channel: str | None = None, **kwargs: Any) -> None:
        super().__init__(queues, *args, **kwargs)
        self.wake_channel = wake_channel
        self.started = threading.Event()
        self._last_beat = float("-inf")

    def prepare_registries(self, queue_names: Iterable[str] | None = None) -> None:
        """Use the exact registry for every queue this scheduler holds the lock of."""
        self._scheduled_job_registries = [
            ExactScheduledJobRegistry(name, connection=self.connection, serializer=self.serializer)
            for name in (queue_names or self._acquired_locks)
        ]

    def acquire_locks(self, auto_start: bool = False) -> set[str]:
        """Take every queue's lock that is free, refresh the ones held (one round trip); the ones held."""
        del auto_start  # RQ would fork a scheduler process; this one runs where it is
        self._hold_locks(beat=False)
        return self._acquired_locks

    def heartbeat(self) -> None:
        """RQ's heartbeat, which also takes every free lock (see the module docstring)."""
        self._hold_locks(beat=True)

    def _hold_locks(self, *, beat: bool) -> None:
        names = sorted(self._queue_names)
        script = self.connection.register_script(ACQUIRE_OR_REFRESH_LOCK_SCRIPT)
        with self.connection.pipeline() as pipe:
            for name in names:
                script(keys=[self.get_locking_key(name)], args=[self.name, LOCK_TTL_SECONDS], client=pipe)
            if beat:
                self.last_heartbeat = now()
                pipe.hset(self.key, "last_heartbeat", utcformat(self.last_heartbeat))
                pipe.expire(self.key, self.interval + 60)
            outcomes = pipe.execute()[:len(names)]
        held = {name for name, outcome in zip(names, outcomes) if outcome in (1, 2)}  # acquired, refreshed
        if held != self._acquired_locks:
            log.info("scheduler %s holds the locks of: %s", self.name, ", ".join(sorted(held)) or "no queue")
            self._scheduled_job_registries = []
        self._acquired_locks = held

    def seconds_to_next_job(self) -> float:
        """Seconds until the earliest job due in a registry this scheduler holds (MAX_SLEEP_SECONDS if none)."""
        if not self._scheduled_job_registries and self._acquired_locks:
            self.prepare_registries()
        if not self._scheduled_job_registries:
            return MAX_SLEEP_SECONDS
        with self.connection.pipeline(transaction=False) as pipe:
            for registry in self._scheduled_job_registries:
                pipe.zrange(registry.key, 0, 0, withscores=True)
            firsts = pipe.execute()
        scores = [first[0][1] for first in firsts if first]
        return min(scores) - time.time() if scores else MAX_SLEEP_SECONDS

    def work(self) -> None:
        """Schedule due jobs until `request_stop()` (RQ's loop, minus its signal handlers and polling)."""
        self.register_birth()
        wake: PubSub | None = None
        try:
            while not self._stop_requested:
                try:
                    if wake is None:
                        wake = self._subscribe()
                        self.started.set()
                    self._run_once(wake)
                except (RedisConnectionError, RedisTimeoutError) as error:
                    log.warning("scheduler %s: Redis unavailable (%s); retrying in %.0fs", self.name, error,
                                REDIS_RETRY_SECONDS)
                    _close(wake)
                    wake = None
                    time.sleep(REDIS_RETRY_SECONDS)
        finally:
            _close(wake)
            self._stop_quietly()

    def _run_once(self, wake: PubSub) -> None:
        """Beat (and hold the locks) when due, move what is due, else sleep until the next due job."""
        if time.monotonic() - self._last_beat >= self.interval:
            self.heartbeat()
            self._last_beat = time.monotonic()
        delay = self.seconds_to_next_job()
        if delay <= 0:
            self.enqueue_scheduled_jobs()
            return
        until_beat = self._last_beat + self.interval - time.monotonic()
        self._wait(wake, max(0.0, min(delay, MAX_SLEEP_SECONDS, until_beat)))

    def _subscribe(self) -> PubSub:
        wake = self.connection.pubsub()
        if self.wake_channel:
            wake.subscribe(self.wake_channel)
        return wake

    def _wait(self, wake: PubSub, timeout: float) -> None:
        """Sleep `timeout` seconds, or less if a wake message arrives (then drain the others)."""
        if not self.wake_channel:
            time.sleep(timeout)
            return
        deadline = time.monotonic() + timeout
        while not self._stop_requested and (left := deadline - time.monotonic()) > 0:
            message = wake.get_message(timeout=left)
            if message is not None and message["type"] == "message":
                while wake.get_message(timeout=0) is not None:
                    pass  # one look at the registries serves every job scheduled meanwhile
                return

    def _stop_quietly(self) -> None:
        try:
            self.stop()
        except RedisError as error:
            log.warning("scheduler %s: could not release its locks (%s); they expire on their own", self.name, error)


def _close(wake: PubSub | None) -> None:
    if wake is not None:
        try:
            wake.close()
        except RedisError:
            pass
