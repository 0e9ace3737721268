"""Coalesced wake-ups: any number of new incidents (or due pages of one channel) wait behind one job,
which finds its work in the database; a commit after that job started wakes another."""

from __future__ import annotations

from typing import Any

from rq import Queue
from sqlmodel import col, select

from app.models import Notification
from app.platform.queueing import FIRST_STEPS_WAKE, wake_flag
from tests.support.config import apply_test_config, pd_trigger, run_first_steps, run_jobs


def queued(runtime: Any, suffix: str) -> list[str]:
    return [job.func_name for job in Queue(f"klaxon-{suffix}", connection=runtime.redis).get_jobs()]


def test_many_new_incidents_wait_behind_one_first_steps_job(runtime: Any, client: Any) -> None:
    apply_test_config(runtime)
    for n in range(5):
        assert client.post("/v2/enqueue", json=pd_trigger(dedup_key=f"k{n}")).status_code == 202
    assert queued(runtime, "escalation") == ["workers.jobs.run_first_steps"]
    run_first_steps(runtime)
    with runtime.session() as session:
        paged = set(session.exec(select(Notification.incident_id).where(col(Notification.level) == 1)).all())
    assert len(paged) == 5
    assert queued(runtime, "deliver-sms") == ["workers.jobs.drain_deliveries"]
    run_jobs(runtime)
    with runtime.session() as session:
        statuses = {n.status for n in session.exec(select(Notification).where(col(Notification.due_at) <= col(
            Notification.created_at))).all()}
    assert statuses == {"sent"}


def test_a_commit_after_the_job_started_wakes_another(runtime: Any, client: Any) -> None:
    apply_test_config(runtime)
    client.post("/v2/enqueue", json=pd_trigger(dedup_key="first"))
    assert runtime.redis.exists(wake_flag("klaxon", FIRST_STEPS_WAKE))
    run_first_steps(runtime)  # the job clears the flag as it starts
    assert not runtime.redis.exists(wake_flag("klaxon", FIRST_STEPS_WAKE))
    client.post("/v2/enqueue", json=pd_trigger(dedup_key="second"))
    assert queued(runtime, "escalation") == ["workers.jobs.run_first_steps"]


def test_a_lost_wakeup_flag_only_delays_to_the_sweeper(runtime: Any, client: Any) -> None:
    """A flag whose job is gone (Redis lost the job, not the key) suppresses wake-ups for at most its
    minute; the sweeper runs the due step meanwhile."""
    from datetime import timedelta

    from workers.sweeper import sweep_due_timers

    apply_test_config(runtime)
    runtime.redis.set(wake_flag("klaxon", FIRST_STEPS_WAKE), "1", ex=60)
    client.post("/v2/enqueue", json=pd_trigger(dedup_key="orphan"))
    assert queued(runtime, "escalation") == []
    assert 0 < runtime.redis.ttl(wake_flag("klaxon", FIRST_STEPS_WAKE)) <= 60
    assert sweep_due_timers(runtime, grace=timedelta(0)).steps == 1


def test_a_drain_comes_back_for_pages_due_a_little_later(runtime: Any) -> None:
    """A step on a host whose clock runs ahead writes pages "due now" that are due later by this
    worker's clock: the drain finds none yet, so it schedules itself at the first one's due time
    instead of leaving them to the sweeper."""
    from datetime import timedelta

    from rq.registry import ScheduledJobRegistry

    from app.incidents import lifecycle as incidents
    from app.platform.clock import utc_now
    from app.platform.queueing import WAKE_SLICE_SECONDS

    apply_test_config(runtime)
    ahead = utc_now() + timedelta(seconds=5)
    with runtime.session() as session:
        incidents.declare(session, service_id="checkout", title="clock ahead", severity="SEV1", user_id="alice",
                          now=ahead)
        session.commit()
    run_jobs(runtime)
    with runtime.session() as session:
        pending = session.exec(select(Notification).where(col(Notification.status) == "pending",
                                                          col(Notification.channel) == "sms")).all()
    assert pending, "not sent early"
    registry = ScheduledJobRegistry("klaxon-deliver-sms", connection=runtime.redis)
    scores = [score for _, score in runtime.redis.zrange(registry.key, 0, -1, withscores=True)]
    # at the end of the time slice that holds the due time: never before it, at most a slice after
    assert any(0 <= score - ahead.timestamp() <= WAKE_SLICE_SECONDS + 1e-6 for score in scores), scores
