"""The lanes of `klaxon worker` (threads of one process) and their supervisor, against a real Redis."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone

import pytest
from redis import Redis
from rq import Queue

from app.platform.queueing import ESCALATE_JOB, JobDispatcher, PendingJob, queue_names, scheduler_wake_channel
from app.platform.settings import Settings
from tests.support.processes import wait_for
from tests.support.redis_server import RedisServer
from workers import scheduling
from workers.lanes import DEQUEUE_TIMEOUT_SECONDS, LaneSpec, RQLane
from workers.process import Supervisor
from workers.scheduling import LOCK_TTL_SECONDS, ExactScheduler

NAMES = queue_names("klaxon")


def pause(seconds: float) -> str:
    """A job that takes `seconds`, in short sleeps (a timer's timeout lands between two of them)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        time.sleep(0.02)
    return "done"


@pytest.fixture
def redis(redis_server: RedisServer) -> Iterator[Redis]:
    """The private Redis, emptied."""
    client = redis_server.client()
    client.flushall()
    yield client
    client.close()


class FakeLane:
    """A lane that runs until asked to stop (or, `stubborn`, for a second longer), or dies starting."""

    def __init__(self, dies: bool = False, stubborn: bool = False) -> None:
        self.dies, self.stubborn = dies, stubborn
        self.running, self.stop = threading.Event(), threading.Event()

    def run(self) -> None:
        if self.dies:
            raise RuntimeError("lane crashed while starting")
        self.running.set()
        self.stop.wait()
        if self.stubborn:
            time.sleep(1)

    def request_stop(self) -> None:
        self.stop.set()

    def is_started(self) -> bool:
        return self.running.is_set()


def test_supervisor_restarts_a_lane_that_dies_and_beats_only_while_every_lane_runs() -> None:
    built: list[FakeLane] = []

    def flaky() -> FakeLane:
        built.append(FakeLane(dies=not built))
        return built[-1]

    beats: list[int] = []
    forgotten: list[bool] = []
    supervisor = Supervisor([LaneSpec("steady", FakeLane), LaneSpec("flaky", flaky)],
                            beat=lambda: beats.append(len(built)), forget=lambda: forgotten.append(True))
    thread = threading.Thread(target=supervisor.run)
    thread.start()
    wait_for(lambda: beats, timeout=5, interval=0.01, message="the first heartbeat")
    assert supervisor.restarts == 1 and len(built) == 2
    assert beats[0] == 2, "no heartbeat while the crashed lane was down"
    assert supervisor.stop(timeout=5)
    thread.join(5)
    assert not thread.is_alive() and forgotten == [True]
    assert all(lane.stop.is_set() for lane in built[1:])


def test_supervisor_backs_off_from_a_lane_that_keeps_dying() -> None:
    beats: list[bool] = []
    supervisor = Supervisor([LaneSpec("doomed", lambda: FakeLane(dies=True))], beat=lambda: beats.append(True),
                            forget=lambda: None)
    thread = threading.Thread(target=supervisor.run)
    thread.start()
    time.sleep(2.5)
    supervisor.stop(timeout=1)
    thread.join(5)
    assert 1 <= supervisor.restarts <= 3, "restarted at once, then after 1 s and 2 s: not in a tight loop"
    assert beats == []


def test_supervisor_stop_is_bounded_when_a_lane_will_not_stop() -> None:
    supervisor = Supervisor([LaneSpec("stuck", lambda: FakeLane(stubborn=True))],
                            beat=lambda: None, forget=lambda: None)
    thread = threading.Thread(target=supervisor.run)
    thread.start()
    wait_for(lambda: supervisor.lanes and supervisor.lanes["stuck"][0].is_started(), timeout=5, interval=0.01)
    started = time.monotonic()
    assert supervisor.stop(timeout=0.3) is False
    assert time.monotonic() - started < 2
    thread.join(5)


def test_rq_lane_finishes_its_job_on_stop_then_stops(redis: Redis, redis_server: RedisServer) -> None:
    queue = Queue("lane-test", connection=redis)
    job = queue.enqueue(pause, 0.5)
    lane = RQLane(Settings(redis_url=redis_server.url), "lane-test")
    thread = threading.Thread(target=lane.run)
    thread.start()
    wait_for(lambda: job.get_status(refresh=True) == "started", timeout=10, interval=0.01, message="the job to start")
    lane.request_stop()
    thread.join(10)
    assert not thread.is_alive()
    assert job.get_status(refresh=True) == "finished" and job.return_value() == "done"


def test_idle_rq_lane_stops_within_its_dequeue_timeout(redis: Redis, redis_server: RedisServer) -> None:
    lane = RQLane(Settings(redis_url=redis_server.url), "lane-test")
    thread = threading.Thread(target=lane.run)
    thread.start()
    wait_for(lane.is_started, timeout=10, interval=0.01, message="the lane to start")
    time.sleep(0.2)
    asked = time.monotonic()
    lane.request_stop()
    thread.join(DEQUEUE_TIMEOUT_SECONDS + 5)
    assert not thread.is_alive()
    assert time.monotonic() - asked < DEQUEUE_TIMEOUT_SECONDS + 1.5


def test_job_timeout_in_a_lane_thread_fails_the_job_and_the_lane_goes_on(redis: Redis,
                                                                         redis_server: RedisServer) -> None:
    queue = Queue("lane-test", connection=redis)
    slow = queue.enqueue(pause, 30, job_timeout=1)
    quick = queue.enqueue(pause, 0)
    lane = RQLane(Settings(redis_url=redis_server.url), "lane-test")
    thread = threading.Thread(target=lane.run)
    thread.start()
    try:
        wait_for(lambda: quick.get_status(refresh=True) == "finished", timeout=15, interval=0.05,
                 message="the job after the one that timed out")
        assert slow.get_status(refresh=True) == "failed"
        assert "JobTimeoutException" in (slow.latest_result().exc_string or "")  # type: ignore[union-attr]
    finally:
        lane.request_stop()
        thread.join(10)


@pytest.fixture
def sleepy_scheduler(redis: Redis, monkeypatch: pytest.MonkeyPatch) -> Iterator[ExactScheduler]:
    """A scheduler whose heartbeat and longest sleep are 30 s: only a due job or a wake message wakes it."""
    monkeypatch.setattr(scheduling, "MAX_SLEEP_SECONDS", 30.0)
    scheduler = ExactScheduler(NAMES, connection=redis, interval=30, name="sleepy",
                               wake_channel=scheduler_wake_channel("klaxon"))
    scheduler.acquire_locks()
    thread = threading.Thread(target=scheduler.work)
    thread.start()
    wait_for(scheduler.started.is_set, timeout=5, interval=0.01, message="the scheduler to start")
    time.sleep(0.2)  # now asleep with nothing scheduled
    yield scheduler
    scheduler.request_stop()
    redis.publish(scheduler_wake_channel("klaxon"), "stop")
    thread.join(5)


def moved_at(redis: Redis, queue: str, timeout: float = 5) -> float:
    """The wall-clock time at which a job lands on `queue` (polled every millisecond)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if redis.llen(f"rq:queue:{queue}"):
            return time.time()
        time.sleep(0.001)
    raise AssertionError(f"no job reached {queue} within {timeout}s")


def test_scheduler_woken_by_the_dispatcher_moves_a_job_at_its_exact_time_never_early(
        redis: Redis, sleepy_scheduler: ExactScheduler) -> None:
    due = datetime.now(timezone.utc) + timedelta(milliseconds=300)
    JobDispatcher(redis, "klaxon").enqueue(PendingJob("escalation", ESCALATE_JOB, (1, "token", 0), due))
    late = moved_at(redis, NAMES[0]) - due.timestamp()
    assert late >= 0, f"moved {-late:.3f}s early"
    assert late < 0.1, f"moved {late:.3f}s late"


def test_scheduler_sleeps_until_the_earliest_job_it_knows_of(redis: Redis, sleepy_scheduler: ExactScheduler) -> None:
    dispatcher = JobDispatcher(redis, "klaxon")
    first = datetime.now(timezone.utc) + timedelta(milliseconds=400)
    later = first + timedelta(milliseconds=300)
    dispatcher.enqueue(PendingJob("escalation", ESCALATE_JOB, (2, "token", 0), later))
    dispatcher.enqueue(PendingJob("deliver-sms", ESCALATE_JOB, (1, "token", 0), first))
    assert 0 <= moved_at(redis, NAMES[2]) - first.timestamp() < 0.1
    assert 0 <= moved_at(redis, NAMES[0]) - later.timestamp() < 0.1


def test_a_restarted_scheduler_takes_its_locks_back_at_once_and_free_locks_pass_within_a_heartbeat(
        redis: Redis) -> None:
    first = ExactScheduler(NAMES, connection=redis, name="worker-a")
    assert first.acquire_locks() == set(NAMES)
    assert 0 < redis.ttl(first.get_locking_key(NAMES[0])) <= LOCK_TTL_SECONDS
    # Its lane died without releasing them; the supervisor's new lane has the same name.
    assert ExactScheduler(NAMES, connection=redis, name="worker-a").acquire_locks() == set(NAMES)
    other = ExactScheduler(NAMES, connection=redis, name="worker-b")
    assert other.acquire_locks() == set()
    first.release_locks()
    other.heartbeat()
    assert other.acquired_locks == set(NAMES)
