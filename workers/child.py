"""One child of `klaxon worker`: an RQ worker for one queue, the RQ scheduler, or the sweeper."""

from __future__ import annotations

import logging
import os
import sys

from redis import Redis
from rq import Queue, SimpleWorker


from app.queueing import queue_names
from app.settings import Settings
from workers.context import get_runtime
from workers.scheduling import ExactScheduler
from workers.sweeper import run_sweeper

log = logging.getLogger("klaxon.worker")


def run_rq_worker(settings: Settings, queue_name: str, burst: bool = False) -> None:
    """An RQ worker for one queue. SimpleWorker runs jobs in-process so database connections are
    pooled across jobs (a fork per page costs more than the page); RQ's warm shutdown on SIGTERM
    lets the current job finish."""
    redis = Redis.from_url(settings.redis_url)
    worker = SimpleWorker([Queue(queue_name, connection=redis)], connection=redis)
    worker.work(burst=burst, with_scheduler=False, logging_level="WARNING")


def run_scheduler(settings: Settings) -> None:
    """RQ's scheduler for every Klaxon queue, as its own supervised process (DESIGN rule 4)."""
    redis = Redis.from_url(settings.redis_url)
    name = os.environ.get("KLAXON_SCHEDULER_NAME") or None
    scheduler = ExactScheduler(queue_names(settings.queue_prefix), connection=redis, interval=1, name=name)
    scheduler.acquire_locks()
    scheduler.work()


def run_burst(settings: Settings) -> None:
    """Run every due scheduled job, every queued job and one sweep, then return (tests, cron)."""
    redis = Redis.from_url(settings.redis_url)
    scheduler = ExactScheduler(queue_names(settings.queue_prefix), connection=redis, interval=1)
    scheduler.acquire_locks()
    scheduler.enqueue_scheduled_jobs()
    scheduler.release_locks()
    queues = [Queue(name, connection=redis) for name in queue_names(settings.queue_prefix)]
    SimpleWorker(queues, connection=redis).work(burst=True, with_scheduler=False, logging_level="WARNING")
    run_sweeper(get_runtime(), settings.sweeper_period_seconds, burst=True)


def main(role: str) -> None:
    """Run the named role until it is told to stop."""
    logging.basicConfig(level=logging.INFO, format=f"%(asctime)s %(levelname)s {role}: %(message)s")
    settings = Settings.from_env()
    if role.startswith("rq:"):
        run_rq_worker(settings, role[3:].split("#", 1)[0])
    elif role == "scheduler":
        run_scheduler(settings)
    elif role == "sweeper":
        run_sweeper(get_runtime(), settings.sweeper_period_seconds)
    else:
        raise SystemExit(f"unknown worker role {role!r}")


if __name__ == "__main__":
    main(sys.argv[1])
