"""`klaxon worker --burst`: run what is due now, in this thread, then return (tests, cron)."""

from __future__ import annotations

from redis import Redis
from rq import Queue, SimpleWorker

from app.platform.queueing import queue_names
from app.platform.settings import Settings
from workers.context import get_runtime
from workers.scheduling import ExactScheduler
from workers.sweeper import run_sweeper


def run_burst(settings: Settings) -> None:
    """Run every due scheduled job, every queued job and one sweep (and what it queued), then return."""
    redis = Redis.from_url(settings.redis_url)
    scheduler = ExactScheduler(queue_names(settings.queue_prefix), connection=redis, interval=1)
    scheduler.acquire_locks()
    scheduler.enqueue_scheduled_jobs()
    scheduler.release_locks()
    queues = [Queue(name, connection=redis) for name in queue_names(settings.queue_prefix)]
    SimpleWorker(queues, connection=redis).work(burst=True, with_scheduler=False, logging_level="WARNING")
    run_sweeper(get_runtime(), settings.sweeper_period_seconds, burst=True)
    # The sweep hands lost pages to the delivery lanes: run what it queued.
    SimpleWorker(queues, connection=redis).work(burst=True, with_scheduler=False, logging_level="WARNING")
